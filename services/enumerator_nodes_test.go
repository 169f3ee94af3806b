package services

import (
	"fmt"
	"testing"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

// TestRowQueryForNodes: the logical group node parameter types and the
// by-logical-group address and range types, and what they select (docs/protocol.md, "Logical group nodes"): the group's
// RecordId and the family and objects of its i:type; the parent's path,
// root first; the address space of a Subnet group's roots. Refused: no
// group or parent, the base type, no RecordId, a LogicalGroupType that
// does not fit the group, a parent without its ids, a family that is not
// the group's, a wrong ObjectType.
func TestRowQueryForNodes(t *testing.T) {
	base := ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeLogicalGroupNode}
	id, field, value, parentField, parentValue := int64(2), int64(9), int64(284), int64(8), int64(279)
	group := func(typ string, v6 bool) *ipam.LogicalGroup {
		return &ipam.LogicalGroup{Type: typ, IPv6: v6, RecordID: &id}
	}
	parent := &ipam.LogicalGroupNode{Type: "IPAddress", IPv6: true, LogicalGroupRecordID: &id, CustomFieldRecordID: &field, NodeCustomFieldValueID: &value,
		AncestorNodes: []*ipam.LogicalGroupNode{{Type: "IPAddress", IPv6: true, CustomFieldRecordID: &parentField, NodeCustomFieldValueID: &parentValue}}}
	space := int64(3)
	adr := ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeIPAddress}
	rng := ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeIPRange}
	rangeNode := &ipam.LogicalGroupNode{Type: "Range", LogicalGroupRecordID: &id, CustomFieldRecordID: &field, NodeCustomFieldValueID: &value}
	for _, tc := range []struct {
		name  string
		p     ipam.AnyEnumerationParametersBase
		exc   string
		check func(q *RowQuery) bool
	}{
		{"roots", &ipam.LogicalGroupNodeRootEnumerationParameters{EnumerationParametersBase: base, LogicalGroup: group("Range", false),
			LogicalGroupType: ipam.LogicalGroupTypeRange}, "",
			func(q *RowQuery) bool {
				return q.Kind == LogicalGroupNodeRows && !q.IPv6 && q.Groups.Node.GroupID == 2 && q.Groups.Node.Type == "Range" && q.Groups.Node.Parent == nil
			}},
		{"IPv6 server roots", &ipam.LogicalGroupNodeRootEnumerationParameters{EnumerationParametersBase: base, LogicalGroup: group("ManagedServer", true),
			LogicalGroupType: ipam.LogicalGroupTypeManagedServer}, "",
			func(q *RowQuery) bool { return q.IPv6 && q.Groups.Node.Type == "ManagedServer" }},
		{"subnet roots", &ipam.SubnetLogicalGroupNodeRootEnumerationParameters{EnumerationParametersBase: base, LogicalGroup: group("Subnet", true),
			AddressFamily: ipam.AddressFamilyInterNetworkV6, AddressSpaceId: space}, "",
			func(q *RowQuery) bool {
				return q.IPv6 && q.Groups.Node.Type == "Subnet" && *q.Groups.Node.AddressSpaceID == 3
			}},
		{"subnet roots of every address space", &ipam.SubnetLogicalGroupNodeRootEnumerationParameters{EnumerationParametersBase: base,
			LogicalGroup: group("Subnet", false), AddressFamily: ipam.AddressFamilyInterNetwork}, "",
			func(q *RowQuery) bool { return !q.IPv6 && q.Groups.Node.AddressSpaceID == nil }},
		{"children", &ipam.LogicalGroupNodeChildrenEnumerationParameters{EnumerationParametersBase: base, ParentLogicalGroupNode: parent}, "",
			func(q *RowQuery) bool {
				return q.IPv6 && q.Groups.Node.GroupID == 2 && q.Groups.Node.Type == "IPAddress" &&
					fmt.Sprint(q.Groups.Node.Parent) == "[{8 279} {9 284}]"
			}},
		{"no group", &ipam.LogicalGroupNodeRootEnumerationParameters{EnumerationParametersBase: base, LogicalGroupType: ipam.LogicalGroupTypeRange},
			ipam.IpamApiInvalidParameter, nil},
		{"base group type", &ipam.LogicalGroupNodeRootEnumerationParameters{EnumerationParametersBase: base, LogicalGroup: group("", false),
			LogicalGroupType: ipam.LogicalGroupTypeRange}, ipam.IpamApiInvalidParameter, nil},
		{"group without RecordId", &ipam.LogicalGroupNodeRootEnumerationParameters{EnumerationParametersBase: base, LogicalGroup: &ipam.LogicalGroup{Type: "Range"},
			LogicalGroupType: ipam.LogicalGroupTypeRange}, ipam.IpamApiInvalidParameter, nil},
		{"group type of another group", &ipam.LogicalGroupNodeRootEnumerationParameters{EnumerationParametersBase: base, LogicalGroup: group("Range", false),
			LogicalGroupType: ipam.LogicalGroupTypeIPAddress}, ipam.IpamApiInvalidParameter, nil},
		{"group type None", &ipam.LogicalGroupNodeRootEnumerationParameters{EnumerationParametersBase: base, LogicalGroup: group("Range", false),
			LogicalGroupType: ipam.LogicalGroupTypeNone}, ipam.IpamApiInvalidParameter, nil},
		{"subnet roots of a range group", &ipam.SubnetLogicalGroupNodeRootEnumerationParameters{EnumerationParametersBase: base, LogicalGroup: group("Range", false),
			AddressFamily: ipam.AddressFamilyInterNetwork}, ipam.IpamApiInvalidParameter, nil},
		{"subnet roots of the other family", &ipam.SubnetLogicalGroupNodeRootEnumerationParameters{EnumerationParametersBase: base, LogicalGroup: group("Subnet", false),
			AddressFamily: ipam.AddressFamilyInterNetworkV6}, ipam.IpamApiInvalidAddressFamily, nil},
		{"subnet roots without family", &ipam.SubnetLogicalGroupNodeRootEnumerationParameters{EnumerationParametersBase: base, LogicalGroup: group("Subnet", false)},
			ipam.IpamApiInvalidAddressFamily, nil},
		{"no parent", &ipam.LogicalGroupNodeChildrenEnumerationParameters{EnumerationParametersBase: base}, ipam.IpamApiInvalidParameter, nil},
		{"parent without group", &ipam.LogicalGroupNodeChildrenEnumerationParameters{EnumerationParametersBase: base,
			ParentLogicalGroupNode: &ipam.LogicalGroupNode{Type: "Range", CustomFieldRecordID: &field, NodeCustomFieldValueID: &value}}, ipam.IpamApiInvalidParameter, nil},
		{"ancestor without value", &ipam.LogicalGroupNodeChildrenEnumerationParameters{EnumerationParametersBase: base,
			ParentLogicalGroupNode: &ipam.LogicalGroupNode{Type: "Range", LogicalGroupRecordID: &id, CustomFieldRecordID: &field, NodeCustomFieldValueID: &value,
				AncestorNodes: []*ipam.LogicalGroupNode{{Type: "Range", CustomFieldRecordID: &parentField}}}}, ipam.IpamApiInvalidParameter, nil},
		{"node parameters, group object", &ipam.LogicalGroupNodeRootEnumerationParameters{
			EnumerationParametersBase: ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeLogicalGroup},
			LogicalGroup:              group("Range", false), LogicalGroupType: ipam.LogicalGroupTypeRange}, ipam.IpamApiInvalidEnumeration, nil},
		{"addresses of a group", &ipam.IpamIPAddressAllForLogicalGroupEnumerationParameters{EnumerationParametersBase: adr, AddressFamily: ipam.AddressFamilyInterNetworkV6,
			LogicalGroupRecordId: 2, LogicalGroupType: ipam.LogicalGroupTypeRange}, "",
			func(q *RowQuery) bool {
				return q.Kind == GroupAddressRows && q.IPv6 && q.Groups.Node.GroupID == 2 && q.Groups.Node.Parent == nil && !q.Groups.Node.Unmapped
			}},
		{"addresses not in a group", &ipam.UnmappedIpamIPAddressForLogicalGroupEnumerationParameters{EnumerationParametersBase: adr, AddressFamily: ipam.AddressFamilyInterNetwork,
			LogicalGroupId: 2, LogicalGroupType: ipam.LogicalGroupTypeRange}, "",
			func(q *RowQuery) bool { return q.Kind == GroupAddressRows && !q.IPv6 && q.Groups.Node.Unmapped }},
		{"addresses of a node", &ipam.IpamIPAddressAllForLogicalGroupNodeEnumerationParameters{EnumerationParametersBase: adr, AddressFamily: ipam.AddressFamilyInterNetwork,
			LogicalGroupNode: rangeNode, LogicalGroupType: ipam.LogicalGroupTypeRange}, "",
			func(q *RowQuery) bool {
				return q.Kind == GroupAddressRows && q.Groups.Node.GroupID == 2 && fmt.Sprint(q.Groups.Node.Parent) == "[{9 284}]"
			}},
		{"ranges of a node", &ipam.IPRangeAllForLogicalGroupNodeEnumerationParameters{EnumerationParametersBase: rng, AddressFamily: ipam.AddressFamilyInterNetwork,
			LogicalGroupNode: rangeNode, LogicalGroupType: ipam.LogicalGroupTypeRange}, "",
			func(q *RowQuery) bool {
				return q.Kind == GroupRangeRows && fmt.Sprint(q.Groups.Node.Parent) == "[{9 284}]"
			}},
		{"addresses of an address node", &ipam.IpamIPAddressAllForLogicalGroupNodeEnumerationParameters{EnumerationParametersBase: adr, AddressFamily: ipam.AddressFamilyInterNetwork,
			LogicalGroupNode: parent, LogicalGroupType: ipam.LogicalGroupTypeRange}, ipam.IpamApiInvalidParameter, nil},
		{"addresses of a subnet group", &ipam.IpamIPAddressAllForLogicalGroupEnumerationParameters{EnumerationParametersBase: adr, AddressFamily: ipam.AddressFamilyInterNetwork,
			LogicalGroupRecordId: 2, LogicalGroupType: ipam.LogicalGroupTypeSubnet}, ipam.IpamApiInvalidParameter, nil},
		{"ranges of a node without family", &ipam.IPRangeAllForLogicalGroupNodeEnumerationParameters{EnumerationParametersBase: rng,
			LogicalGroupNode: rangeNode, LogicalGroupType: ipam.LogicalGroupTypeRange}, ipam.IpamApiInvalidAddressFamily, nil},
		{"ranges of a node, address object", &ipam.IPRangeAllForLogicalGroupNodeEnumerationParameters{EnumerationParametersBase: adr,
			AddressFamily: ipam.AddressFamilyInterNetwork, LogicalGroupNode: rangeNode, LogicalGroupType: ipam.LogicalGroupTypeRange}, ipam.IpamApiInvalidEnumeration, nil},
	} {
		q, exc := RowQueryFor(tc.p)
		switch {
		case tc.exc != "" && (exc == nil || exc.ExceptionID != tc.exc):
			t.Errorf("%s: %v, want %s", tc.name, exc, tc.exc)
		case tc.exc == "" && (exc != nil || !tc.check(q)):
			t.Errorf("%s: %+v %v", tc.name, q, exc)
		}
	}
}
