package services

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

func subnetCriteria(kv ...string) []*ipam.TupleOfGetIPSubnetFilteranyType2zwQHvQz {
	var out []*ipam.TupleOfGetIPSubnetFilteranyType2zwQHvQz
	for i := 0; i+1 < len(kv); i += 2 {
		v := kv[i+1]
		out = append(out, &ipam.TupleOfGetIPSubnetFilteranyType2zwQHvQz{FilterCriterion: ipam.FilterCriterion{Key: kv[i], Value: &v}})
	}
	return out
}

func spaceCriteria(kv ...string) []*ipam.TupleOfGetAddressSpaceFilteranyType2zwQHvQz {
	var out []*ipam.TupleOfGetAddressSpaceFilteranyType2zwQHvQz
	for i := 0; i+1 < len(kv); i += 2 {
		v := kv[i+1]
		out = append(out, &ipam.TupleOfGetAddressSpaceFilteranyType2zwQHvQz{FilterCriterion: ipam.FilterCriterion{Key: kv[i], Value: &v}})
	}
	return out
}

// TestRowQueryForFilters: the ByFilter parameter types, what their criteria
// keep (every key applies, a repeated key is an alternative), and the
// refusals: an unknown key, a value ipamd cannot read, a missing value.
// Rule E10.
func TestRowQueryForFilters(t *testing.T) {
	str := func(s string) *string { return &s }
	sub := ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeIPSubnet}
	spc := ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeAddressSpace}
	subnets := func(c []*ipam.TupleOfGetIPSubnetFilteranyType2zwQHvQz) ipam.AnyEnumerationParametersBase {
		return &ipam.IpamIPSubnetByFilterEnumerationParameters{EnumerationParametersBase: sub, AddressFamily: ipam.AddressFamilyInterNetwork, FilterInfo: c}
	}
	spaces := func(c []*ipam.TupleOfGetAddressSpaceFilteranyType2zwQHvQz) ipam.AnyEnumerationParametersBase {
		return &ipam.AddressSpaceByFilterEnumerationParameters{EnumerationParametersBase: spc, FilterInfo: c}
	}
	row := func(net string, prefix int32, space, customer *string, virt string, logical string) *ipam.IPBlockRow {
		r := &ipam.IPBlockRow{NetworkID: netip.MustParseAddr(net), PrefixLength: prefix,
			Subnet: &ipam.IPSubnetMembers{ProviderAddressSpaceName: space, CustomerAddressSpaceName: customer, VirtualizationType: virt}}
		if logical != "" {
			r.CustomFieldValues = []*ipam.CustomFieldValue{{ParentCustomFieldNumber: 12, Value: logical}}
		}
		return r
	}
	a := row("10.1.0.0", 24, str("Default"), nil, "", "net1")
	b := row("10.2.0.0", 16, str("Default"), str("tenant"), "Virtual", "")
	c := row("2001:db8::", 64, str("Other"), nil, "Fabric", "net2")
	block := &ipam.IPBlockRow{NetworkID: netip.MustParseAddr("10.1.0.0"), PrefixLength: 24}
	provider := &ipam.AddressSpaceRow{Name: str("Default")}
	customer := &ipam.AddressSpaceRow{Name: str("tenant"), Customer: true, ProviderAddressSpaceName: str("Default")}
	other := &ipam.AddressSpaceRow{Name: str("t2"), Customer: true, ProviderAddressSpaceName: str("Other")}
	for _, tc := range []struct {
		name  string
		p     ipam.AnyEnumerationParametersBase
		exc   string
		rows  []ipam.AnyIpamObject
		keep  string // which rows are kept, by index
		empty bool   // BlockQuery.EmptyOnly
	}{
		{"no criteria", subnets(nil), "", []ipam.AnyIpamObject{a, b, c}, "012", false},
		{"space name (the subnet's own space)", subnets(subnetCriteria("AddressSpaceName", "Default")), "", []ipam.AnyIpamObject{a, b, c}, "0", false},
		{"customer space name", subnets(subnetCriteria("AddressSpaceName", "tenant")), "", []ipam.AnyIpamObject{a, b, c}, "1", false},
		{"network id and prefix", subnets(subnetCriteria("NetworkId", "10.1.0.0", "PrefixLength", "24")), "", []ipam.AnyIpamObject{a, b, c, block}, "0", false},
		{"either network id", subnets(subnetCriteria("NetworkId", "10.1.0.0", "NetworkId", "2001:db8::")), "", []ipam.AnyIpamObject{a, b, c}, "02", false},
		{"both keys must hold", subnets(subnetCriteria("NetworkId", "10.1.0.0", "PrefixLength", "16")), "", []ipam.AnyIpamObject{a, b, c}, "", false},
		{"virtualization", subnets(subnetCriteria("VirtualizationType", "NonVirtualized Fabric")), "", []ipam.AnyIpamObject{a, b, c}, "02", false},
		{"logical network", subnets(subnetCriteria("LogicalNetwork", "net2")), "", []ipam.AnyIpamObject{a, b, c}, "2", false},
		{"empty subnets", subnets(subnetCriteria("EmptySubnets", "true")), "", []ipam.AnyIpamObject{a, b, c}, "012", true},
		{"not only empty subnets", subnets(subnetCriteria("EmptySubnets", "false")), "", []ipam.AnyIpamObject{a}, "0", false},
		{"customer spaces", spaces(spaceCriteria("IPAddressSpaceType", "Customer")), "", []ipam.AnyIpamObject{provider, customer, other}, "12", false},
		{"provider spaces", spaces(spaceCriteria("IPAddressSpaceType", "Provider")), "", []ipam.AnyIpamObject{provider, customer, other}, "0", false},
		{"spaces of a provider", spaces(spaceCriteria("MappingProviderAddressSpaceName", "Default")), "", []ipam.AnyIpamObject{provider, customer, other}, "1", false},
		{"unknown subnet key", subnets(subnetCriteria("Owner", "me")), ipam.IpamApiInvalidParameter, nil, "", false},
		{"bad virtualization", subnets(subnetCriteria("VirtualizationType", "Cloud")), ipam.IpamApiInvalidParameter, nil, "", false},
		{"bad network id", subnets(subnetCriteria("NetworkId", "10.1/16")), ipam.IpamApiInvalidParameter, nil, "", false},
		{"bad prefix", subnets(subnetCriteria("PrefixLength", "200")), ipam.IpamApiInvalidParameter, nil, "", false},
		{"bad boolean", subnets(subnetCriteria("EmptySubnets", "maybe")), ipam.IpamApiInvalidParameter, nil, "", false},
		{"nil criterion", subnets([]*ipam.TupleOfGetIPSubnetFilteranyType2zwQHvQz{nil}), ipam.IpamApiInvalidParameter, nil, "", false},
		{"no value", subnets([]*ipam.TupleOfGetIPSubnetFilteranyType2zwQHvQz{{FilterCriterion: ipam.FilterCriterion{Key: "NetworkId"}}}), ipam.IpamApiInvalidParameter, nil, "", false},
		{"unsupported value", spaces([]*ipam.TupleOfGetAddressSpaceFilteranyType2zwQHvQz{{FilterCriterion: ipam.FilterCriterion{Key: "IPAddressSpaceType", Unsupported: true}}}), ipam.IpamApiInvalidParameter, nil, "", false},
		{"unknown space key", spaces(spaceCriteria(strings.Repeat("k", 5000), "x")), ipam.IpamApiInvalidParameter, nil, "", false},
		{"bad space type", spaces(spaceCriteria("IPAddressSpaceType", "Tenant")), ipam.IpamApiInvalidParameter, nil, "", false},
		{"too many subnet criteria", subnets(subnetCriteria(slices.Repeat([]string{"PrefixLength", "24"}, MaxFilterCriteria+1)...)), ipam.IpamApiInvalidParameter, nil, "", false},
		{"too many space criteria", spaces(spaceCriteria(slices.Repeat([]string{"IPAddressSpaceType", "None"}, MaxFilterCriteria+1)...)), ipam.IpamApiInvalidParameter, nil, "", false},
		{"subnet filter, space object", &ipam.IpamIPSubnetByFilterEnumerationParameters{EnumerationParametersBase: spc, AddressFamily: ipam.AddressFamilyInterNetwork},
			ipam.IpamApiInvalidEnumeration, nil, "", false},
		{"subnet filter without family", &ipam.IpamIPSubnetByFilterEnumerationParameters{EnumerationParametersBase: sub}, ipam.IpamApiInvalidAddressFamily, nil, "", false},
	} {
		q, exc := RowQueryFor(tc.p)
		if tc.exc != "" {
			if exc == nil || exc.ExceptionID != tc.exc {
				t.Errorf("%s: %v, want %s", tc.name, exc, tc.exc)
			} else if len(exc.Message) > ipam.MaxExceptionMessageBytes+64 { // the bound and its "…[truncated N bytes]" note
				t.Errorf("%s: the refusal echoes %d bytes", tc.name, len(exc.Message))
			}
			continue
		}
		if exc != nil {
			t.Errorf("%s: %v", tc.name, exc)
			continue
		}
		var kept strings.Builder
		for i, r := range tc.rows {
			if q.Filter == nil || q.Filter.Keep(r) {
				kept.WriteByte(byte('0' + i))
			}
		}
		if kept.String() != tc.keep || q.Blocks.EmptyOnly != tc.empty {
			t.Errorf("%s: kept %q (empty only %v), want %q (%v)", tc.name, kept.String(), q.Blocks.EmptyOnly, tc.keep, tc.empty)
		}
	}
}
