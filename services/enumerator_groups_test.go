package services

import (
	"testing"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

// TestRowQueryForGroups: the tier 2 parameter types and what they select
// (docs/protocol.md, the coverage table), with the refusals: a wrong
// ObjectType, a LogicalGroupType of None, no AddressFamily.
func TestRowQueryForGroups(t *testing.T) {
	base := func(ot ipam.EnumerationObjectType) ipam.EnumerationParametersBase {
		return ipam.EnumerationParametersBase{ObjectType: ot}
	}
	lg, cfa := base(ipam.EnumerationObjectTypeLogicalGroup), base(ipam.EnumerationObjectTypeCustomFieldAssociation)
	const v4, v6 = ipam.AddressFamilyInterNetwork, ipam.AddressFamilyInterNetworkV6
	name := "Managed by"
	for _, tc := range []struct {
		name  string
		p     ipam.AnyEnumerationParametersBase
		exc   string
		check func(q *RowQuery) bool
	}{
		{"range groups", &ipam.LogicalGroupsEnumerationParameters{EnumerationParametersBase: lg, AddressFamily: v4, LogicalGroupType: ipam.LogicalGroupTypeRange}, "",
			func(q *RowQuery) bool {
				return q.Kind == LogicalGroupRows && !q.IPv6 && *q.Groups == GroupQuery{Type: "Range", Users: "IPAddressSpaceManagement"}
			}},
		{"server groups by name", &ipam.LogicalGroupsEnumerationParameters{EnumerationParametersBase: lg, AddressFamily: v6,
			LogicalGroupType: ipam.LogicalGroupTypeManagedServer, LogicalGroupName: &name}, "",
			func(q *RowQuery) bool {
				return q.IPv6 && q.Groups.Users == "ServerManagement" && *q.Groups.Name == name
			}},
		{"subnet groups", &ipam.LogicalGroupsEnumerationParameters{EnumerationParametersBase: lg, AddressFamily: v4, LogicalGroupType: ipam.LogicalGroupTypeSubnet}, "",
			func(q *RowQuery) bool {
				return q.Groups.Type == "Subnet" && q.Groups.Users == "IPAddressSpaceManagement"
			}},
		{"associations", &ipam.CustomFieldAssociationEnumerationParameters{EnumerationParametersBase: cfa}, "",
			func(q *RowQuery) bool { return q.Kind == CustomFieldAssociationRows }},
		{"group type None", &ipam.LogicalGroupsEnumerationParameters{EnumerationParametersBase: lg, AddressFamily: v4, LogicalGroupType: ipam.LogicalGroupTypeNone},
			ipam.IpamApiInvalidParameter, nil},
		{"group type absent", &ipam.LogicalGroupsEnumerationParameters{EnumerationParametersBase: lg, AddressFamily: v4}, ipam.IpamApiInvalidParameter, nil},
		{"groups without family", &ipam.LogicalGroupsEnumerationParameters{EnumerationParametersBase: lg, LogicalGroupType: ipam.LogicalGroupTypeRange},
			ipam.IpamApiInvalidAddressFamily, nil},
		{"group parameters, node object", &ipam.LogicalGroupsEnumerationParameters{EnumerationParametersBase: base(ipam.EnumerationObjectTypeLogicalGroupNode),
			AddressFamily: v4, LogicalGroupType: ipam.LogicalGroupTypeRange}, ipam.IpamApiInvalidEnumeration, nil},
		{"association parameters, field object", &ipam.CustomFieldAssociationEnumerationParameters{EnumerationParametersBase: base(ipam.EnumerationObjectTypeCustomField)},
			ipam.IpamApiInvalidEnumeration, nil},
		{"a declared type ipamd does not enumerate", &ipam.IpamProvisioningEnumerationParameters{EnumerationParametersBase: base(ipam.EnumerationObjectTypeAsyncProvision)},
			ipam.IpamApiInvalidEnumeration, nil},
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
