package services

import (
	"fmt"
	"testing"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

// TestRowQueryForGroupData: the LogicalGroupData parameter types and what
// they select (docs/protocol.md, "LogicalGroupData"): the node's group and
// path, or the group, with the objects and family of the node's or
// group's i:type; the objects not in the group. Refused: no node or group,
// the base types, a node without its ids, a LogicalGroupType that does not
// fit the group or is absent, a Filter for a group of ranges, addresses
// or subnets (IpamApiInvalidParameter); a role Filter of an ActiveServer
// group or node and a wrong ObjectType (IpamApiInvalidEnumeration); the
// servers of an ActiveServer group or node without a Filter are served. Rule
// E23.
func TestRowQueryForGroupData(t *testing.T) {
	base := ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeLogicalGroupData}
	id, field, value, parentField, parentValue := int64(2), int64(9), int64(284), int64(8), int64(279)
	group := func(typ string, v6 bool) *ipam.LogicalGroup {
		return &ipam.LogicalGroup{Type: typ, IPv6: v6, RecordID: &id}
	}
	node := func(typ string, v6 bool) *ipam.LogicalGroupNode {
		return &ipam.LogicalGroupNode{Type: typ, IPv6: v6, LogicalGroupRecordID: &id, CustomFieldRecordID: &field, NodeCustomFieldValueID: &value,
			AncestorNodes: []*ipam.LogicalGroupNode{{Type: typ, IPv6: v6, CustomFieldRecordID: &parentField, NodeCustomFieldValueID: &parentValue}}}
	}
	filter := []*ipam.KeyValueOfintanyType{{Key: 1}}
	data := func(typ string, v6, unmapped bool, path string) func(q *RowQuery) bool {
		return func(q *RowQuery) bool {
			n := q.Groups.Node
			return q.Kind == GroupDataRows && q.IPv6 == v6 && q.Groups.Type == typ && n.Type == typ && n.GroupID == 2 &&
				n.Unmapped == unmapped && fmt.Sprint(n.Parent) == path
		}
	}
	for _, tc := range []struct {
		name  string
		p     ipam.AnyEnumerationParametersBase
		exc   string
		check func(q *RowQuery) bool
	}{
		{"objects of a range node", &ipam.LogicalGroupDataForLogicalGroupNodeEnumerationParameters{EnumerationParametersBase: base,
			LogicalGroupNode: node("Range", false)}, "", data("Range", false, false, "[{8 279} {9 284}]")},
		{"objects of an IPv6 address node", &ipam.LogicalGroupDataForLogicalGroupNodeEnumerationParameters{EnumerationParametersBase: base,
			LogicalGroupNode: node("IPAddress", true)}, "", data("IPAddress", true, false, "[{8 279} {9 284}]")},
		{"objects of a subnet node, empty Filter", &ipam.LogicalGroupDataForLogicalGroupNodeEnumerationParameters{EnumerationParametersBase: base,
			LogicalGroupNode: node("Subnet", false), Filter: []*ipam.KeyValueOfintanyType{}}, "", data("Subnet", false, false, "[{8 279} {9 284}]")},
		{"objects of a group", &ipam.LogicalGroupDataForRootAlternateItemsEnumerationParameters{EnumerationParametersBase: base,
			LogicalGroup: group("IPAddress", false), LogicalGroupType: ipam.LogicalGroupTypeIPAddress}, "", data("IPAddress", false, false, "[]")},
		{"objects not in an IPv6 range group", &ipam.LogicalGroupDataUnmappedItemsEnumerationParameters{EnumerationParametersBase: base,
			LogicalGroup: group("Range", true), LogicalGroupType: ipam.LogicalGroupTypeRange}, "", data("Range", true, true, "[]")},
		{"no node", &ipam.LogicalGroupDataForLogicalGroupNodeEnumerationParameters{EnumerationParametersBase: base}, ipam.IpamApiInvalidParameter, nil},
		{"base node type", &ipam.LogicalGroupDataForLogicalGroupNodeEnumerationParameters{EnumerationParametersBase: base,
			LogicalGroupNode: node("", false)}, ipam.IpamApiInvalidParameter, nil},
		{"node without group", &ipam.LogicalGroupDataForLogicalGroupNodeEnumerationParameters{EnumerationParametersBase: base,
			LogicalGroupNode: &ipam.LogicalGroupNode{Type: "Range", CustomFieldRecordID: &field, NodeCustomFieldValueID: &value}}, ipam.IpamApiInvalidParameter, nil},
		{"Filter of a range node", &ipam.LogicalGroupDataForLogicalGroupNodeEnumerationParameters{EnumerationParametersBase: base,
			LogicalGroupNode: node("Range", false), Filter: filter}, ipam.IpamApiInvalidParameter, nil},
		{"servers of a node by role Filter", &ipam.LogicalGroupDataForLogicalGroupNodeEnumerationParameters{EnumerationParametersBase: base,
			LogicalGroupNode: node("ManagedServer", false), Filter: filter}, ipam.IpamApiInvalidEnumeration, nil},
		{"no group", &ipam.LogicalGroupDataForRootAlternateItemsEnumerationParameters{EnumerationParametersBase: base,
			LogicalGroupType: ipam.LogicalGroupTypeRange}, ipam.IpamApiInvalidParameter, nil},
		{"group without RecordId", &ipam.LogicalGroupDataUnmappedItemsEnumerationParameters{EnumerationParametersBase: base,
			LogicalGroup: &ipam.LogicalGroup{Type: "Range"}, LogicalGroupType: ipam.LogicalGroupTypeRange}, ipam.IpamApiInvalidParameter, nil},
		{"group type of another group", &ipam.LogicalGroupDataForRootAlternateItemsEnumerationParameters{EnumerationParametersBase: base,
			LogicalGroup: group("Range", false), LogicalGroupType: ipam.LogicalGroupTypeSubnet}, ipam.IpamApiInvalidParameter, nil},
		{"no group type", &ipam.LogicalGroupDataUnmappedItemsEnumerationParameters{EnumerationParametersBase: base,
			LogicalGroup: group("Range", false)}, ipam.IpamApiInvalidParameter, nil},
		{"Filter of an address group", &ipam.LogicalGroupDataUnmappedItemsEnumerationParameters{EnumerationParametersBase: base,
			LogicalGroup: group("IPAddress", false), LogicalGroupType: ipam.LogicalGroupTypeIPAddress, Filter: filter}, ipam.IpamApiInvalidParameter, nil},
		{"servers of a group", &ipam.LogicalGroupDataForRootAlternateItemsEnumerationParameters{EnumerationParametersBase: base,
			LogicalGroup: group("ManagedServer", true), LogicalGroupType: ipam.LogicalGroupTypeManagedServer}, "", data("ManagedServer", true, false, "[]")},
		{"servers of a node, empty Filter", &ipam.LogicalGroupDataForLogicalGroupNodeEnumerationParameters{EnumerationParametersBase: base,
			LogicalGroupNode: node("ManagedServer", false), Filter: []*ipam.KeyValueOfintanyType{}}, "", data("ManagedServer", false, false, "[{8 279} {9 284}]")},
		{"group data, range object", &ipam.LogicalGroupDataForRootAlternateItemsEnumerationParameters{
			EnumerationParametersBase: ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeIPRange},
			LogicalGroup:              group("Range", false), LogicalGroupType: ipam.LogicalGroupTypeRange}, ipam.IpamApiInvalidEnumeration, nil},
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
