package ipam

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ipamd/ipamd/soap/xmlstream"
)

// The LogicalGroup and LogicalGroupNode members of the logical group node
// parameter types (MS-IPAMM2 2.2.4.339 LogicalGroupNodeRoot, .338
// LogicalGroupNodeChildren, .398 SubnetLogicalGroupNodeRoot). A client
// sends them as one of their eight derived types (i:type), which the
// generator does not read, so both are written by hand (ipamgen
// -handwritten) and read only what the server uses; the server looks the
// group up by its RecordId and never trusts the rest (docs/protocol.md,
// "Logical group nodes"). LogicalGroupNode is also the row type of those
// enumerations.

// MaxAncestorNodes bounds the AncestorNodes a LogicalGroupNode may carry:
// one per level above it, and a group has at most this many levels
// (docs/protocol.md). More is refused before anything is kept.
const MaxAncestorNodes = 16

// LogicalGroup is the LogicalGroup a parameter names.
type LogicalGroup struct {
	// Type is the LogicalGroupType the i:type names (Range, IPAddress,
	// ManagedServer, Subnet); "" for the base type or no i:type.
	Type string
	IPv6 bool
	// RecordID is the group's RecordId; nil when absent or i:nil.
	RecordID *int64
}

// LogicalGroupNode is a node of a logical group's hierarchy: what a
// parameter names, and a row (IPv4RangeLogicalGroupNode, ... by Type and
// IPv6).
type LogicalGroupNode struct {
	ID   int    // z:Id of a row, set by AssignIDs
	Type string // LogicalGroupType of the i:type; "" for the base type
	IPv6 bool
	// AncestorNodes: the nodes above this one, root first.
	AncestorNodes          []*LogicalGroupNode
	CustomFieldRecordID    *int64
	LogicalGroupRecordID   *int64
	NodeCustomFieldValueID *int64
	NodeLevel              *int64
	NodeValue              *string
	// AddressSpaceRecordID of a Subnet node.
	AddressSpaceRecordID int64
	// UtilizationStatistics of a Range or Subnet node; the spec's
	// utilization of a node is not computed (docs/data-model.md): nil.
	UtilizationStatistics *IPUtilization
}

var (
	_ familyReader  = (*LogicalGroup)(nil)
	_ familyReader  = (*LogicalGroupNode)(nil)
	_ AnyIpamObject = (*LogicalGroupNode)(nil)
)

// logicalGroupNodeTypes names the node type of each LogicalGroupType,
// IPv4 and IPv6.
var logicalGroupNodeTypes = map[string][2]string{
	"Range":         {"IPv4RangeLogicalGroupNode", "IPv6RangeLogicalGroupNode"},
	"IPAddress":     {"IpamIPv4AddressLogicalGroupNode", "IpamIPv6AddressLogicalGroupNode"},
	"ManagedServer": {"ActiveServerV4LogicalGroupNode", "ActiveServerV6LogicalGroupNode"},
	"Subnet":        {"IPv4SubnetLogicalGroupNode", "IPv6SubnetLogicalGroupNode"},
}

// familyOf finds the LogicalGroupType and family of a derived type's name
// in names; the base type (base) or no i:type is "".
func familyOf(names map[string][2]string, base, space, local string, typed bool) (string, bool, error) {
	if !typed || (space == Namespace && local == base) {
		return "", false, nil
	}
	if space == Namespace {
		for t, n := range names {
			if local == n[0] {
				return t, false, nil
			}
			if local == n[1] {
				return t, true, nil
			}
		}
	}
	return "", false, invalid("i:type is not a %s type", base)
}

func (v *LogicalGroup) xsdType() (space, local string) {
	if n, ok := logicalGroupTypes[v.Type]; ok {
		return Namespace, n[b2i(v.IPv6)]
	}
	return Namespace, "LogicalGroup"
}

func (v *LogicalGroupNode) xsdType() (space, local string) {
	if n, ok := logicalGroupNodeTypes[v.Type]; ok {
		return Namespace, n[b2i(v.IPv6)]
	}
	return Namespace, "LogicalGroupNode"
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// GetIpamObject implements AnyIpamObject.
func (v *LogicalGroupNode) GetIpamObject() *IpamObject { return &IpamObject{} }

func (v *LogicalGroup) readFamily(r xmlstream.Reader, space, local string, typed bool) (err error) {
	if v.Type, v.IPv6, err = familyOf(logicalGroupTypes, "LogicalGroup", space, local, typed); err != nil {
		return err
	}
	return v.readContent(r)
}

func (v *LogicalGroupNode) readFamily(r xmlstream.Reader, space, local string, typed bool) (err error) {
	if v.Type, v.IPv6, err = familyOf(logicalGroupNodeTypes, "LogicalGroupNode", space, local, typed); err != nil {
		return err
	}
	return v.readNode(r, true)
}

// readContent reads the group's RecordId; the other members are skipped
// (the server reads the group from the store).
func (v *LogicalGroup) readContent(r xmlstream.Reader) error {
	for {
		n, err := xmlstream.NextStart(r)
		if err != nil {
			return err
		}
		if n == nil {
			return nil
		}
		if n.Name.Local == "RecordId" && n.Name.Space == Namespace {
			if v.RecordID != nil {
				return invalid("LogicalGroup: <RecordId> appears twice")
			}
			if v.RecordID, err = readLong(r, n); err != nil {
				return fmt.Errorf("<RecordId>: %w", err)
			}
			continue
		}
		if err := xmlstream.Skip(r); err != nil {
			return err
		}
	}
}

func (v *LogicalGroupNode) readContent(r xmlstream.Reader) error { return v.readNode(r, true) }

// readNode reads a node's members; ancestors (withAncestors false) are
// read without their own AncestorNodes, which repeat the outer list.
func (v *LogicalGroupNode) readNode(r xmlstream.Reader, withAncestors bool) error {
	var seen [7]bool
	for {
		n, err := xmlstream.NextStart(r)
		if err != nil {
			return err
		}
		if n == nil {
			return nil
		}
		i := -1
		if n.Name.Space == Namespace {
			i = indexOf(n.Name.Local, "AncestorNodes", "CustomFieldRecordId", "LogicalGroupRecordId",
				"NodeCustomFieldValueId", "NodeLevel", "NodeValue", "AddressSpaceRecordId")
		}
		if i < 0 || (i == 0 && !withAncestors) {
			if err := xmlstream.Skip(r); err != nil {
				return err
			}
			continue
		}
		if seen[i] {
			return invalid("LogicalGroupNode: <%s> appears twice", n.Name.Local)
		}
		seen[i] = true
		switch i {
		case 0:
			err = v.readAncestors(r, n)
		case 1:
			v.CustomFieldRecordID, err = readLong(r, n)
		case 2:
			v.LogicalGroupRecordID, err = readLong(r, n)
		case 3:
			v.NodeCustomFieldValueID, err = readLong(r, n)
		case 4:
			v.NodeLevel, err = readLong(r, n)
		case 5:
			if xmlstream.IsNil(n) {
				err = xmlstream.Skip(r)
			} else {
				var s string
				// A value is a custom field value: bounded like one.
				if s, err = xmlstream.ReadTextMax(r, maxNodeValue); err == nil {
					v.NodeValue = &s
				}
			}
		case 6:
			var id *int64
			// A member of the Subnet nodes only (the others skip it).
			if id, err = readLong(r, n); id != nil && v.Type == "Subnet" {
				v.AddressSpaceRecordID = *id
			}
		}
		if err != nil {
			return fmt.Errorf("<%s>: %w", n.Name.Local, err)
		}
	}
}

// maxNodeValue bounds a NodeValue read (a custom field value's length).
const maxNodeValue = 4096

func (v *LogicalGroupNode) readAncestors(r xmlstream.Reader, n *xmlstream.Node) error {
	if xmlstream.IsNil(n) {
		return xmlstream.Skip(r)
	}
	v.AncestorNodes = []*LogicalGroupNode{}
	for {
		m, err := xmlstream.NextStart(r)
		if err != nil {
			return err
		}
		if m == nil {
			return nil
		}
		if m.Name.Local != "LogicalGroupNode" || m.Name.Space != Namespace || xmlstream.IsNil(m) {
			if err := xmlstream.Skip(r); err != nil {
				return err
			}
			continue
		}
		if len(v.AncestorNodes) == MaxAncestorNodes {
			return invalid("LogicalGroupNode: more than %d AncestorNodes", MaxAncestorNodes)
		}
		space, local, typed, err := xmlstream.XSIType(r, m)
		if err != nil {
			return err
		}
		a := &LogicalGroupNode{}
		if a.Type, a.IPv6, err = familyOf(logicalGroupNodeTypes, "LogicalGroupNode", space, local, typed); err != nil {
			return err
		}
		if err := a.readNode(r, false); err != nil {
			return err
		}
		v.AncestorNodes = append(v.AncestorNodes, a)
	}
}

func indexOf(s string, names ...string) int {
	for i, n := range names {
		if s == n {
			return i
		}
	}
	return -1
}

// readLong reads an xsd:long member; i:nil is nil.
func readLong(r xmlstream.Reader, n *xmlstream.Node) (*int64, error) {
	if xmlstream.IsNil(n) {
		return nil, xmlstream.Skip(r)
	}
	s, err := xmlstream.ReadTextMax(r, 64)
	if err != nil {
		return nil, err
	}
	i, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return nil, invalid("not an xsd:long")
	}
	return &i, nil
}

// writeContent writes the group as a client names it: its RecordId.
func (v *LogicalGroup) writeContent(w xmlstream.Writer) error {
	m := newRowWriter(w)
	m.baseMembers()
	m.longPtr("RecordId", v.RecordID)
	return m.err
}

func (v *LogicalGroupNode) assignIDs(next func() int) {
	v.ID = next()
	for _, a := range v.AncestorNodes {
		if a != nil {
			a.assignIDs(next)
		}
	}
	if v.UtilizationStatistics != nil {
		v.UtilizationStatistics.ID = next()
	}
}

// writeContent writes the node's members in the WSDL's order: the base
// type's, then the derived type's.
func (v *LogicalGroupNode) writeContent(w xmlstream.Writer) error {
	m := newRowWriter(w)
	m.id(v.ID)
	m.baseMembers()
	if v.AncestorNodes == nil {
		m.nilMember("AncestorNodes")
	} else {
		m.start("AncestorNodes", Namespace)
		for _, a := range v.AncestorNodes {
			if a == nil {
				m.nilMember("LogicalGroupNode")
				continue
			}
			m.start("LogicalGroupNode", Namespace)
			if _, local := a.xsdType(); local != "LogicalGroupNode" {
				m.attr("i", "type", NamespaceXSI, local)
			}
			if m.err == nil {
				m.err = a.writeContent(w)
			}
			m.end()
		}
		m.end()
	}
	m.longPtr("CustomFieldRecordId", v.CustomFieldRecordID)
	m.longPtr("LogicalGroupRecordId", v.LogicalGroupRecordID)
	m.longPtr("NodeCustomFieldValueId", v.NodeCustomFieldValueID)
	m.longPtr("NodeLevel", v.NodeLevel)
	m.str("NodeValue", v.NodeValue)
	switch v.Type {
	case "Subnet":
		m.long("AddressSpaceRecordId", v.AddressSpaceRecordID)
		m.utilization("UtilizationStatistics", v.UtilizationStatistics, v.IPv6)
	case "Range":
		m.utilization("UtilizationStatistics", v.UtilizationStatistics, v.IPv6)
	}
	return m.err
}
