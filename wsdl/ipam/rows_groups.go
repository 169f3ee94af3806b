package ipam

import (
	"github.com/ipamd/ipamd/soap/xmlstream"
)

// The rows of the logical group and custom field association enumerations
// (MS-IPAMM2 2.2.4.332 LogicalGroup and its eight types, 2.2.4.81
// CustomFieldAssociation), written as rows.go describes. Which table and
// column feeds each member: docs/data-model.md, "Enumerated rows".

// LogicalGroupRow is one of the eight LogicalGroup types, picked by Type
// (a LogicalGroupType name) and IPv6: IPv4RangeLogicalGroup,
// IpamIPv4AddressLogicalGroup, ActiveServerV4LogicalGroup,
// IPv4SubnetLogicalGroup and their IPv6 twins (GetLogicalGroupFromTable).
type LogicalGroupRow struct {
	ID                        int    // z:Id, set by AssignIDs
	Type                      string // LogicalGroupType: Range, IPAddress, ManagedServer, Subnet
	IPv6                      bool
	BuiltInLogicalGroupNumber string // BuiltInLogicalGroup name
	Fields                    []GroupField
	Name                      *string
	Origin                    string // LogicalGroupOrigin name
	RecordID                  int64
	Users                     string // LogicalGroupUsers names
	// UtilizationStatistics of a Range group; the spec gives no source
	// for it (docs/data-model.md), so it is nil.
	UtilizationStatistics *IPUtilization
}

// GroupField is a LogicalGroupField (2.2.4.336): one level of a logical
// group's hierarchy.
type GroupField struct {
	CustomFieldName     *string
	CustomFieldRecordID int64
	RecordID            int64
}

// CustomFieldAssociationRow is a CustomFieldAssociation: the linked value
// pairs of two multivalued custom fields (the first value's field is
// CustomField1, the second's CustomField2).
type CustomFieldAssociationRow struct {
	ID           int // z:Id, set by AssignIDs
	CustomField1 *CustomFieldRow
	CustomField2 *CustomFieldRow
	Pairs        [][2]*CustomFieldValue
}

var (
	_ AnyIpamObject = (*LogicalGroupRow)(nil)
	_ AnyIpamObject = (*CustomFieldAssociationRow)(nil)
)

// GetIpamObject implements AnyIpamObject.
func (v *LogicalGroupRow) GetIpamObject() *IpamObject { return &IpamObject{} }

// GetIpamObject implements AnyIpamObject.
func (v *CustomFieldAssociationRow) GetIpamObject() *IpamObject { return &IpamObject{} }

// logicalGroupTypes names the row type of each LogicalGroupType, IPv4 and
// IPv6 (GetLogicalGroupFromTable, 3.1.1.1.16.2.1).
var logicalGroupTypes = map[string][2]string{
	"Range":         {"IPv4RangeLogicalGroup", "IPv6RangeLogicalGroup"},
	"IPAddress":     {"IpamIPv4AddressLogicalGroup", "IpamIPv6AddressLogicalGroup"},
	"ManagedServer": {"ActiveServerV4LogicalGroup", "ActiveServerV6LogicalGroup"},
	"Subnet":        {"IPv4SubnetLogicalGroup", "IPv6SubnetLogicalGroup"},
}

func (v *LogicalGroupRow) xsdType() (space, local string) {
	names, ok := logicalGroupTypes[v.Type]
	if !ok {
		return Namespace, "LogicalGroup"
	}
	if v.IPv6 {
		return Namespace, names[1]
	}
	return Namespace, names[0]
}

func (v *CustomFieldAssociationRow) xsdType() (space, local string) {
	return Namespace, "CustomFieldAssociation"
}

func (v *LogicalGroupRow) readContent(xmlstream.Reader) error {
	return invalid("LogicalGroupRow is written by the server only")
}

func (v *CustomFieldAssociationRow) readContent(xmlstream.Reader) error {
	return invalid("CustomFieldAssociationRow is written by the server only")
}

func (v *LogicalGroupRow) assignIDs(next func() int) {
	v.ID = next()
	if v.UtilizationStatistics != nil {
		v.UtilizationStatistics.ID = next()
	}
}

func (v *CustomFieldAssociationRow) assignIDs(next func() int) {
	v.ID = next()
	for _, f := range []*CustomFieldRow{v.CustomField1, v.CustomField2} {
		if f != nil {
			f.assignIDs(next)
		}
	}
	for _, p := range v.Pairs {
		for _, c := range p {
			if c != nil {
				c.ID = next()
			}
		}
	}
}

func (v *LogicalGroupRow) writeContent(w xmlstream.Writer) error {
	m := newRowWriter(w)
	m.id(v.ID)
	m.baseMembers()
	m.enum("BuiltInLogicalGroupNumber", v.BuiltInLogicalGroupNumber, "None")
	if v.Fields == nil {
		m.nilMember("Fields")
	} else {
		m.start("Fields", Namespace)
		for _, f := range v.Fields {
			m.start("LogicalGroupField", Namespace)
			m.str("CustomFieldName", f.CustomFieldName)
			m.long("CustomFieldRecordId", f.CustomFieldRecordID)
			m.long("RecordId", f.RecordID)
			m.end()
		}
		m.end()
	}
	m.str("Name", v.Name)
	m.enum("Origin", v.Origin, "None")
	m.long("RecordId", v.RecordID)
	m.enum("Users", v.Users, "None")
	if v.Type == "Range" {
		m.utilization("UtilizationStatistics", v.UtilizationStatistics, v.IPv6)
	}
	return m.err
}

func (v *CustomFieldAssociationRow) writeContent(w xmlstream.Writer) error {
	m := newRowWriter(w)
	m.id(v.ID)
	m.baseMembers()
	for i, f := range []*CustomFieldRow{v.CustomField1, v.CustomField2} {
		local := [...]string{"CustomField1", "CustomField2"}[i]
		if f == nil {
			m.nilMember(local)
			continue
		}
		m.start(local, Namespace)
		if m.err == nil {
			m.err = f.writeContent(w)
		}
		m.end()
	}
	if v.Pairs == nil {
		m.nilMember("CustomFieldValueAssociations")
		return m.err
	}
	m.start("CustomFieldValueAssociations", Namespace)
	m.xmlns("b", NamespaceSystem)
	for _, p := range v.Pairs {
		m.startP("b", "TupleOfCustomFieldValueCustomFieldValuenTEz2bI_S", NamespaceSystem)
		for i, c := range p {
			local := [...]string{"m_Item1", "m_Item2"}[i]
			if c == nil {
				m.startP("b", local, NamespaceSystem)
				m.attr("i", "nil", NamespaceXSI, "true")
				m.end()
				continue
			}
			m.startP("b", local, NamespaceSystem)
			m.customFieldValueMembers(c)
			m.end()
		}
		m.end()
	}
	m.end()
	return m.err
}

// customFieldValueMembers writes a CustomFieldValue's z:Id and members
// into the element just started, its base members nil (a value of a
// definition, not one set on an object: as CustomField.Values).
func (m *rowWriter) customFieldValueMembers(c *CustomFieldValue) {
	m.id(c.ID)
	m.baseMembers()
	m.valueMembers(c)
}
