package services

import (
	"slices"
	"testing"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

// TestRowQueryForRanges: the range and address parameter types by block,
// subnet and virtualization type and what they select (docs/protocol.md,
// the coverage table), with the refusals: a wrong ObjectType, no
// AddressFamily, a VirtualizationType or AddressAssignment that is not
// one, ByBlockId without a BlockId.
func TestRowQueryForRanges(t *testing.T) {
	base := func(ot ipam.EnumerationObjectType) ipam.EnumerationParametersBase {
		return ipam.EnumerationParametersBase{ObjectType: ot}
	}
	rng, adr := base(ipam.EnumerationObjectTypeIPRange), base(ipam.EnumerationObjectTypeIPAddress)
	const v4, v6 = ipam.AddressFamilyInterNetwork, ipam.AddressFamilyInterNetworkV6
	fabric, both, bad := "Fabric", "NonVirtualized Virtual", "Cloud"
	static, wrong := ipam.AddressAssignment("Static"), ipam.AddressAssignment("Sometimes")
	block := int64(7)
	parentIs := func(q *RowQuery, id int64) bool {
		return q.Blocks != nil && q.Blocks.ParentBlockID != nil && *q.Blocks.ParentBlockID == id && q.Blocks.WithinBlockID == nil
	}
	for _, tc := range []struct {
		name  string
		p     ipam.AnyEnumerationParametersBase
		exc   string
		check func(q *RowQuery) bool
	}{
		{"ranges by virtualization type", &ipam.IPRangeByVirtualizationTypeParameters{EnumerationParametersBase: rng, AddressFamily: v6, VirtualizationType: &fabric}, "",
			func(q *RowQuery) bool {
				return q.Kind == RangeRows && q.IPv6 && slices.Equal(q.Virtualization, []string{"Fabric"}) && q.Blocks == nil
			}},
		{"ranges, any virtualization type", &ipam.IPRangeByVirtualizationTypeParameters{EnumerationParametersBase: rng, AddressFamily: v4}, "",
			func(q *RowQuery) bool { return q.Kind == RangeRows && !q.IPv6 && q.Virtualization == nil }},
		{"addresses by virtualization types", &ipam.IpamIPAddressByVirtualizationTypeParameters{EnumerationParametersBase: adr, AddressFamily: v4, VirtualizationType: &both}, "",
			func(q *RowQuery) bool {
				return q.Kind == AddressRows && slices.Equal(q.Virtualization, []string{"NonVirtualized", "Virtual"})
			}},
		{"ranges for block", &ipam.IPRangeForBlockEnumerationParameters{EnumerationParametersBase: rng, AddressFamily: v4, ParentBlockRecordId: 7}, "",
			func(q *RowQuery) bool {
				return q.Kind == BlockRangeRows && parentIs(q, 7) && q.Blocks.AddressAssignment == nil
			}},
		{"ranges for block, static", &ipam.IPRangeForBlockEnumerationParameters{EnumerationParametersBase: rng, AddressFamily: v6, ParentBlockRecordId: 7, AddressAssignment: &static}, "",
			func(q *RowQuery) bool {
				return q.Kind == BlockRangeRows && q.IPv6 && parentIs(q, 7) && *q.Blocks.AddressAssignment == "Static"
			}},
		{"ranges for subnet", &ipam.IPRangeForSubnetEnumerationParameter{EnumerationParametersBase: rng, AddressFamily: v4, SubnetId: 9}, "",
			func(q *RowQuery) bool { return q.Kind == BlockRangeRows && parentIs(q, 9) }},
		{"all ranges for block", &ipam.IPRangeAllForBlockEnumerationParameter{EnumerationParametersBase: rng, AddressFamily: v4, ParentBlockRecordId: 3}, "",
			func(q *RowQuery) bool {
				return q.Kind == BlockRangeRows && q.Blocks.ParentBlockID == nil && *q.Blocks.WithinBlockID == 3
			}},
		{"addresses by subnet id", &ipam.IpamIPAddressBySubnetIdEnumerationParameters{EnumerationParametersBase: adr, AddressFamily: v6, SubnetId: 9}, "",
			func(q *RowQuery) bool { return q.Kind == BlockAddressRows && q.IPv6 && parentIs(q, 9) }},
		{"addresses by block id", &ipam.IpamIPAddressByBlockIdEnumerationParameters{EnumerationParametersBase: adr, AddressFamily: v4, BlockId: &block}, "",
			func(q *RowQuery) bool { return q.Kind == BlockAddressRows && parentIs(q, 7) }},
		{"addresses by block id without id", &ipam.IpamIPAddressByBlockIdEnumerationParameters{EnumerationParametersBase: adr, AddressFamily: v4},
			ipam.IpamApiInvalidParameter, nil},
		{"ranges by a virtualization type that is none", &ipam.IPRangeByVirtualizationTypeParameters{EnumerationParametersBase: rng, AddressFamily: v4, VirtualizationType: &bad},
			ipam.IpamApiInvalidParameter, nil},
		{"ranges for block, assignment that is none", &ipam.IPRangeForBlockEnumerationParameters{EnumerationParametersBase: rng, AddressFamily: v4, AddressAssignment: &wrong},
			ipam.IpamApiInvalidParameter, nil},
		{"ranges for subnet, address object", &ipam.IPRangeForSubnetEnumerationParameter{EnumerationParametersBase: adr, AddressFamily: v4, SubnetId: 9},
			ipam.IpamApiInvalidEnumeration, nil},
		{"addresses by subnet id without family", &ipam.IpamIPAddressBySubnetIdEnumerationParameters{EnumerationParametersBase: adr, SubnetId: 9},
			ipam.IpamApiInvalidAddressFamily, nil},
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
