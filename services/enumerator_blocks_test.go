package services

import (
	"testing"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

// TestRowQueryForBlocks: the block, subnet, address space and custom field
// parameter types and what they select (docs/protocol.md, the coverage
// table), with the refusals: a wrong ObjectType, no AddressFamily, an
// unknown IPAddressSpaceType.
func TestRowQueryForBlocks(t *testing.T) {
	base := func(ot ipam.EnumerationObjectType) ipam.EnumerationParametersBase {
		return ipam.EnumerationParametersBase{ObjectType: ot}
	}
	const v4, v6 = ipam.AddressFamilyInterNetwork, ipam.AddressFamilyInterNetworkV6
	blk, sub := base(ipam.EnumerationObjectTypeIPBlock), base(ipam.EnumerationObjectTypeIPSubnet)
	private := ipam.AddressCategoryPrivate
	fabric := "Fabric"
	name := "RIR"
	customer := ipam.IPAddressSpaceTypeCustomer
	none := ipam.IPAddressSpaceTypeNone
	bogus := ipam.IPAddressSpaceType("Tenant")
	for _, tc := range []struct {
		name  string
		p     ipam.AnyEnumerationParametersBase
		exc   string
		check func(q *RowQuery) bool
	}{
		{"child blocks", &ipam.IPBlockChildBlockEnumerationParameters{EnumerationParametersBase: blk, AddressFamily: v4, ParentBlockRecordId: 3}, "",
			func(q *RowQuery) bool {
				return q.Kind == BlockRows && *q.Blocks.ParentBlockID == 3 && !q.Blocks.RootOnly
			}},
		{"all blocks", &ipam.IPBlockGetAllBlocksEnumerationParameters{EnumerationParametersBase: blk, AddressFamily: v6}, "",
			func(q *RowQuery) bool { return q.Kind == BlockRows && q.IPv6 && *q.Blocks == BlockQuery{} }},
		{"root blocks", &ipam.IPBlockRootEnumerationParameters{EnumerationParametersBase: blk, AddressFamily: v4, AddressCategory: &private}, "",
			func(q *RowQuery) bool { return q.Kind == BlockRows && q.Blocks.RootOnly && *q.Category == "Private" }},
		{"subnets by category", &ipam.IpamIPSubnetsByAddressCategoryEnumerationParameters{EnumerationParametersBase: sub, AddressFamily: v4, AddressCategory: private}, "",
			func(q *RowQuery) bool { return q.Kind == SubnetRows && *q.Category == "Private" }},
		{"subnets by space", &ipam.IpamIPSubnetsByAddressSpaceAndVirtualizationTypeEnumerationParameters{EnumerationParametersBase: sub, AddressFamily: v4,
			AddressSpaceRecordId: 2, VirtualizationType: &fabric}, "",
			func(q *RowQuery) bool {
				return q.Kind == SubnetRows && *q.AddressSpaceID == 2 && q.Virtualization[0] == "Fabric"
			}},
		{"subnets in block", &ipam.IpamIPSubnetsByBlockIdEnumerationParameters{EnumerationParametersBase: sub, AddressFamily: v4, ParentBlockRecordId: 4}, "",
			func(q *RowQuery) bool { return q.Kind == SubnetRows && *q.Blocks.WithinBlockID == 4 }},
		{"unmapped subnets", &ipam.IpamIPSubnetsByUnmappedEnumerationParameters{EnumerationParametersBase: sub, AddressFamily: v4}, "",
			func(q *RowQuery) bool {
				return q.Kind == SubnetRows && *q.AddressSpaceID == 1 && q.Virtualization == nil
			}},
		{"subnets by virtualization", &ipam.IpamIPSubnetsByVirtualizationTypeEnumerationParameters{EnumerationParametersBase: sub, AddressFamily: v4, VirtualizationType: &fabric}, "",
			func(q *RowQuery) bool {
				return q.Kind == SubnetRows && len(q.Virtualization) == 1 && !q.Blocks.EmptyOnly
			}},
		{"empty subnets", &ipam.IpamIPSubnetsByVirtualizationTypeEnumerationParameters{EnumerationParametersBase: sub, AddressFamily: v4, EmptySubnetsOnly: true, VirtualizationType: &fabric}, "",
			func(q *RowQuery) bool { return q.Blocks.EmptyOnly && q.Virtualization == nil }},
		{"direct child subnets", &ipam.IpamIPSubnetsDirectChildrenByBlockIdEnumerationParameters{EnumerationParametersBase: sub, AddressFamily: v6, ParentBlockRecordId: 5}, "",
			func(q *RowQuery) bool { return q.Kind == SubnetRows && q.IPv6 && *q.Blocks.ParentBlockID == 5 }},
		{"custom fields", &ipam.CustomFieldEnumerationParameters{EnumerationParametersBase: base(ipam.EnumerationObjectTypeCustomField), CustomFieldName: &name}, "",
			func(q *RowQuery) bool { return q.Kind == CustomFieldRows && *q.Blocks.Name == "RIR" }},
		{"address spaces", &ipam.AddressSpaceEnumerationParameters{EnumerationParametersBase: base(ipam.EnumerationObjectTypeAddressSpace), AddressSpaceType: &customer}, "",
			func(q *RowQuery) bool { return q.Kind == AddressSpaceRows && *q.Blocks.SpaceType == "Customer" }},
		{"address spaces None", &ipam.AddressSpaceEnumerationParameters{EnumerationParametersBase: base(ipam.EnumerationObjectTypeAddressSpace), AddressSpaceType: &none}, "",
			func(q *RowQuery) bool { return q.Kind == AddressSpaceRows && q.Blocks.SpaceType == nil }},
		{"bad address space type", &ipam.AddressSpaceEnumerationParameters{EnumerationParametersBase: base(ipam.EnumerationObjectTypeAddressSpace), AddressSpaceType: &bogus},
			ipam.IpamApiInvalidParameter, nil},
		{"block parameters, subnet object", &ipam.IPBlockRootEnumerationParameters{EnumerationParametersBase: sub, AddressFamily: v4}, ipam.IpamApiInvalidEnumeration, nil},
		{"custom field parameters, block object", &ipam.CustomFieldEnumerationParameters{EnumerationParametersBase: blk}, ipam.IpamApiInvalidEnumeration, nil},
		{"block without family", &ipam.IPBlockGetAllBlocksEnumerationParameters{EnumerationParametersBase: blk}, ipam.IpamApiInvalidAddressFamily, nil},
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
