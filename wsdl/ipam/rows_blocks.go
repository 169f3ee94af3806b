package ipam

import (
	"net/netip"
	"strconv"
	"time"

	"github.com/ipamd/ipamd/soap/xmlstream"
)

// The rows of the IP block, subnet, address space and custom field
// enumerations (MS-IPAMM2 2.2.4.295 IPBlock, 2.2.4.314 IPSubnet, 2.2.4.7
// AddressSpace, 2.2.4.80 CustomField), written as rows.go describes:
// base members first, then each type's members in ordinal order, the
// derived type's after its base's (IPSubnet extends IPBlock). Which
// table and column feeds each member: docs/data-model.md, "Enumerated
// rows".

// IPBlockRow is an IPv4Block or IPv6Block (by the family of
// StartIPAddress); with Subnet set it is an IPv4Subnet or IPv6Subnet.
type IPBlockRow struct {
	ID                     int // z:Id, set by AssignIDs
	AccessScopeID          int64
	AddressCategory        string // AddressCategory name
	AddressSpaceRecordID   int64
	CustomFieldValues      []*CustomFieldValue
	Description            *string
	EndIPAddress           netip.Addr
	IsInheritedAccessScope bool
	LastAssignedDate       *time.Time
	LastModifiedDate       *time.Time
	NetworkID              netip.Addr
	NumberOfChildBlocks    int32
	Owner                  *string
	ParentIPBlockRecordID  *int64
	PrefixLength           int32
	RIRReceivedDate        *time.Time
	RecordID               int64
	StartIPAddress         netip.Addr
	SubnetMask             netip.Addr
	UtilizationStatistics  *IPUtilization
	Subnet                 *IPSubnetMembers // nil: a block
}

// IPSubnetMembers are the members IPSubnet adds to IPBlock.
type IPSubnetMembers struct {
	CustomerAddressSpaceName *string
	IsOverlapping            bool
	Name                     *string
	ProviderAddressSpaceName *string
	UseForUtilization        bool
	VLANID                   []int32 // serarr:ArrayOfint; nil is i:nil
	VSID                     int32
	VirtualizationType       string // IPVirtualizationType
}

// AddressSpaceRow is a ProviderAddressSpace or CustomerAddressSpace.
type AddressSpaceRow struct {
	ID                           int // z:Id, set by AssignIDs
	AccessScopeID                int64
	Customer                     bool // CustomerAddressSpace, else ProviderAddressSpace
	CustomFieldValues            []*CustomFieldValue
	Description                  *string
	IPv4Utilization              *IPUtilization
	IPv6Utilization              *IPUtilization
	IsInheritedAccessScope       bool
	Name                         *string
	Owner                        *string
	RecordID                     int64
	IsDefault                    bool    // ProviderAddressSpace
	ProviderAddressSpaceName     *string // CustomerAddressSpace
	ProviderAddressSpaceRecordID int64   // CustomerAddressSpace
}

// CustomFieldRow is a CustomField; Values are the permitted values of a
// multivalued field (nil: i:nil, a free-form field).
type CustomFieldRow struct {
	ID                       int    // z:Id, set by AssignIDs
	BuiltInCustomFieldNumber string // BuiltInCustomField name
	Name                     *string
	Origin                   string // CustomFieldOrigin name
	RecordID                 int64
	Type                     string // CustomFieldType name
	Values                   []*CustomFieldValue
}

var (
	_ AnyIpamObject = (*IPBlockRow)(nil)
	_ AnyIpamObject = (*AddressSpaceRow)(nil)
	_ AnyIpamObject = (*CustomFieldRow)(nil)
)

// GetIpamObject implements AnyIpamObject.
func (v *IPBlockRow) GetIpamObject() *IpamObject { return &IpamObject{} }

// GetIpamObject implements AnyIpamObject.
func (v *AddressSpaceRow) GetIpamObject() *IpamObject { return &IpamObject{} }

// GetIpamObject implements AnyIpamObject.
func (v *CustomFieldRow) GetIpamObject() *IpamObject { return &IpamObject{} }

func (v *IPBlockRow) xsdType() (space, local string) {
	fam := "IPv4"
	if v.StartIPAddress.Is6() && !v.StartIPAddress.Is4In6() {
		fam = "IPv6"
	}
	if v.Subnet != nil {
		return Namespace, fam + "Subnet"
	}
	return Namespace, fam + "Block"
}

func (v *AddressSpaceRow) xsdType() (space, local string) {
	if v.Customer {
		return Namespace, "CustomerAddressSpace"
	}
	return Namespace, "ProviderAddressSpace"
}

func (v *CustomFieldRow) xsdType() (space, local string) { return Namespace, "CustomField" }

func (v *IPBlockRow) readContent(xmlstream.Reader) error {
	return invalid("IPBlockRow is written by the server only")
}

func (v *AddressSpaceRow) readContent(xmlstream.Reader) error {
	return invalid("AddressSpaceRow is written by the server only")
}

func (v *CustomFieldRow) readContent(xmlstream.Reader) error {
	return invalid("CustomFieldRow is written by the server only")
}

// assignIDs numbers the row and the IpamObject values it holds, in
// document order (AssignIDs).
func (v *IPBlockRow) assignIDs(next func() int) {
	v.ID = next()
	numberValues(v.CustomFieldValues, next)
	if v.UtilizationStatistics != nil {
		v.UtilizationStatistics.ID = next()
	}
}

func (v *AddressSpaceRow) assignIDs(next func() int) {
	v.ID = next()
	numberValues(v.CustomFieldValues, next)
	for _, u := range []*IPUtilization{v.IPv4Utilization, v.IPv6Utilization} {
		if u != nil {
			u.ID = next()
		}
	}
}

func (v *CustomFieldRow) assignIDs(next func() int) {
	v.ID = next()
	numberValues(v.Values, next)
}

func numberValues(vs []*CustomFieldValue, next func() int) {
	for _, c := range vs {
		if c != nil {
			c.ID = next()
		}
	}
}

// utilization writes an IPv4Utilization / IPv6Utilization member.
func (m *rowWriter) utilization(local string, u *IPUtilization, v6 bool) {
	if u == nil {
		m.nilMember(local)
		return
	}
	m.start(local, Namespace)
	m.id(u.ID)
	typ := "IPv4Utilization"
	if v6 {
		typ = "IPv6Utilization"
	}
	m.attr("i", "type", NamespaceXSI, typ)
	m.nilMember("EndTime")
	m.boolean("IsValid", u.IsValid)
	m.nilMember("StartTime")
	m.double("TotalAssignedAddresses", u.TotalAssignedAddresses)
	m.double("TotalAvailableAddresses", u.TotalAvailableAddresses)
	m.double("TotalUtilizedAddresses", u.TotalUtilized)
	if v6 {
		m.double("TotalStatefulAddresses", 0)
	}
	m.end()
}

func (v *IPBlockRow) writeContent(w xmlstream.Writer) error {
	m := newRowWriter(w)
	m.id(v.ID)
	m.baseMembers()
	m.long("AccessScopeId", v.AccessScopeID)
	m.enum("AddressCategory", v.AddressCategory, "None")
	m.long("AddressSpaceRecordId", v.AddressSpaceRecordID)
	m.customFieldValues(v.CustomFieldValues)
	m.str("Description", v.Description)
	m.ipAddress("EndIPAddress", v.EndIPAddress)
	m.boolean("IsInheritedAccessScope", v.IsInheritedAccessScope)
	m.dateTime("LastAssignedDate", v.LastAssignedDate)
	m.dateTime("LastModifiedDate", v.LastModifiedDate)
	m.ipAddress("NetworkId", v.NetworkID)
	m.text("NumberOfChildBlocks", strconv.FormatInt(int64(v.NumberOfChildBlocks), 10))
	m.str("Owner", v.Owner)
	m.longPtr("ParentIPBlockRecordId", v.ParentIPBlockRecordID)
	m.partialCustomFieldValues(v.CustomFieldValues)
	m.text("PrefixLength", strconv.FormatInt(int64(v.PrefixLength), 10))
	m.dateTime("RIRReceivedDate", v.RIRReceivedDate)
	m.long("RecordId", v.RecordID)
	m.ipAddress("StartIPAddress", v.StartIPAddress)
	m.ipAddress("SubnetMask", v.SubnetMask)
	m.utilization("UtilizationStatistics", v.UtilizationStatistics, v.StartIPAddress.Is6() && !v.StartIPAddress.Is4In6())
	if s := v.Subnet; s != nil {
		m.str("CustomerAddressSpaceName", s.CustomerAddressSpaceName)
		m.boolean("IsOverlapping", s.IsOverlapping)
		m.str("Name", s.Name)
		m.str("ProviderAddressSpaceName", s.ProviderAddressSpaceName)
		m.boolean("UseForUtilization", s.UseForUtilization)
		if s.VLANID == nil {
			m.nilMember("VLANId")
		} else {
			m.start("VLANId", Namespace)
			m.xmlns("b", NamespaceArrays)
			for _, n := range s.VLANID {
				m.textP("b", "int", NamespaceArrays, strconv.FormatInt(int64(n), 10))
			}
			m.end()
		}
		m.text("VSId", strconv.FormatInt(int64(s.VSID), 10))
		m.enum("VirtualizationType", s.VirtualizationType, "NonVirtualized")
	}
	return m.err
}

func (v *AddressSpaceRow) writeContent(w xmlstream.Writer) error {
	m := newRowWriter(w)
	m.id(v.ID)
	m.baseMembers()
	m.long("AccessScopeId", v.AccessScopeID)
	typ := "Provider"
	if v.Customer {
		typ = "Customer"
	}
	m.text("AddressSpaceType", typ)
	m.customFieldValues(v.CustomFieldValues)
	m.str("Description", v.Description)
	m.utilization("IPv4UtilizationStatistics", v.IPv4Utilization, false)
	m.utilization("IPv6UtilizationStatistics", v.IPv6Utilization, true)
	m.boolean("IsInheritedAccessScope", v.IsInheritedAccessScope)
	m.str("Name", v.Name)
	m.str("Owner", v.Owner)
	m.partialCustomFieldValues(v.CustomFieldValues)
	m.long("RecordId", v.RecordID)
	if v.Customer {
		m.str("ProviderAddressSpaceName", v.ProviderAddressSpaceName)
		m.long("ProviderAddressSpaceRecordId", v.ProviderAddressSpaceRecordID)
	} else {
		m.boolean("IsDefault", v.IsDefault)
	}
	return m.err
}

func (v *CustomFieldRow) writeContent(w xmlstream.Writer) error {
	m := newRowWriter(w)
	m.id(v.ID)
	m.baseMembers()
	m.enum("BuiltInCustomFieldNumber", v.BuiltInCustomFieldNumber, "None")
	m.str("Name", v.Name)
	m.enum("Origin", v.Origin, "None")
	m.long("RecordId", v.RecordID)
	m.enum("Type", v.Type, "None")
	if v.Values == nil {
		m.nilMember("Values")
	} else {
		m.customFieldValuesAs("Values", v.Values)
	}
	return m.err
}

// customFieldValuesAs writes an ArrayOfCustomFieldValue member named
// local, its items as customFieldValues writes a row's.
func (m *rowWriter) customFieldValuesAs(local string, vs []*CustomFieldValue) {
	m.start(local, Namespace)
	for _, c := range vs {
		m.start("CustomFieldValue", Namespace)
		m.id(c.ID)
		m.baseMembers()
		m.long("BuiltInCustomFieldValueId", c.BuiltInCustomFieldValueID)
		m.text("ParentCustomFieldName", c.ParentCustomFieldName)
		m.text("ParentCustomFieldNumber", strconv.FormatInt(int64(c.ParentCustomFieldNumber), 10))
		m.long("ParentCustomFieldRecordId", c.ParentCustomFieldRecordID)
		m.long("RecordId", c.RecordID)
		m.text("Value", c.Value)
		m.end()
	}
	m.end()
}
