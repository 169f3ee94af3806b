package services

import (
	"testing"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

// TestRowQueryForGroups: the tier 2 parameter types and what they select
// (docs/protocol.md, the coverage table), with the refusals: a wrong
// ObjectType, a LogicalGroupType of None, no AddressFamily, a ManagedBy
// variant without both values.
func TestRowQueryForGroups(t *testing.T) {
	base := func(ot ipam.EnumerationObjectType) ipam.EnumerationParametersBase {
		return ipam.EnumerationParametersBase{ObjectType: ot}
	}
	lg, cfa := base(ipam.EnumerationObjectTypeLogicalGroup), base(ipam.EnumerationObjectTypeCustomFieldAssociation)
	const v4, v6 = ipam.AddressFamilyInterNetwork, ipam.AddressFamilyInterNetworkV6
	name := "Managed by"
	rng, adr := base(ipam.EnumerationObjectTypeIPRange), base(ipam.EnumerationObjectTypeIPAddress)
	space, service, entity := int64(2), "IPAM", "Localhost"
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
		{"unmapped ranges", &ipam.IPRangeUnmappedEnumerationParameters{EnumerationParametersBase: rng, AddressFamily: v6}, "",
			func(q *RowQuery) bool { return q.Kind == UnmappedRangeRows && q.IPv6 }},
		{"unmapped addresses", &ipam.IpamIPAddressUnmappedAddressEnumerationParameters{EnumerationParametersBase: adr, AddressFamily: v4}, "",
			func(q *RowQuery) bool { return q.Kind == UnmappedAddressRows && !q.IPv6 }},
		{"addresses of unmapped ranges", &ipam.IpamIPAddressForUnmappedRangesEnumerationParameters{EnumerationParametersBase: adr, AddressFamily: v4}, "",
			func(q *RowQuery) bool { return q.Kind == UnmappedRangeAddressRows }},
		{"ranges managed by", &ipam.IPRangeByManagedByAndManagedByEntityEnumerationParameters{EnumerationParametersBase: rng, AddressFamily: v4,
			AddressSpaceId: &space, ManagedByValue: &service, ManagedByEntityValue: &entity}, "",
			func(q *RowQuery) bool {
				return q.Kind == ManagedByRangeRows && *q.AddressSpaceID == 2 && q.Groups.ManagedBy == "IPAM" && q.Groups.ManagedByEntity == "Localhost"
			}},
		{"addresses managed by", &ipam.IpamIPAddressByManagedByAndManagedByEntityEnumerationParameters{EnumerationParametersBase: adr, AddressFamily: v6,
			ManagedByValue: &service, ManagedByEntityValue: &entity}, "",
			func(q *RowQuery) bool { return q.Kind == ManagedByAddressRows && q.IPv6 && q.AddressSpaceID == nil }},
		{"managed by without entity", &ipam.IpamIPAddressByManagedByAndManagedByEntityEnumerationParameters{EnumerationParametersBase: adr, AddressFamily: v4,
			ManagedByValue: &service}, ipam.IpamApiInvalidParameter, nil},
		{"unmapped ranges, address object", &ipam.IPRangeUnmappedEnumerationParameters{EnumerationParametersBase: adr, AddressFamily: v4}, ipam.IpamApiInvalidEnumeration, nil},
		{"unmapped addresses without family", &ipam.IpamIPAddressUnmappedAddressEnumerationParameters{EnumerationParametersBase: adr}, ipam.IpamApiInvalidAddressFamily, nil},
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
