package services

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

// RowFilter keeps the rows that meet the FilterInfo of a ByFilter parameter
// type (MS-IPAMM2 3.5.4.8.1.1, 3.5.4.8.1.50: every row is built, then kept
// when it satisfies every criterion). Criteria of one key are alternatives
// (FilterInfo is a list, so a key may repeat), different keys all apply;
// what each key accepts and matches is ipamd's reading (docs/protocol.md,
// "ByFilter parameter types").
type RowFilter struct {
	keys  []string
	match map[string][]func(ipam.AnyIpamObject) bool
	// unmapped: the filter keeps only rows without a parent (the Unmapped
	// key of ranges and addresses, enumerator_filter_ranges.go).
	unmapped bool
}

// UnmappedOnly reports whether the filter keeps only the ranges without a
// parent block or the addresses without a range (Unmapped true), so a store
// may look for such rows first and answer at once when there are none.
func (f *RowFilter) UnmappedOnly() bool { return f != nil && f.unmapped }

// Keep reports whether row meets the filter.
func (f *RowFilter) Keep(row ipam.AnyIpamObject) bool {
	for _, k := range f.keys {
		if !slices.ContainsFunc(f.match[k], func(m func(ipam.AnyIpamObject) bool) bool { return m(row) }) {
			return false
		}
	}
	return true
}

func (f *RowFilter) add(key string, m func(ipam.AnyIpamObject) bool) {
	if f.match == nil {
		f.match = map[string][]func(ipam.AnyIpamObject) bool{}
	}
	if _, ok := f.match[key]; !ok {
		f.keys = append(f.keys, key)
	}
	f.match[key] = append(f.match[key], m)
}

// builtInLogicalNetwork is the BuiltInCustomField number of LogicalNetwork
// (2.2.5.5), the field the LogicalNetwork key compares.
const builtInLogicalNetwork = 12

// criterionValue is a criterion's value, or the refusal of one it cannot
// take.
func criterionValue(c *ipam.FilterCriterion, param string) (string, *ipam.IpamException) {
	switch {
	case c.Unsupported:
		return "", ipam.NewException(ipam.IpamApiInvalidParameter, "%s.FilterInfo: the %s value of type %s is not one ipamd reads", param, c.Key, c.ValueType)
	case c.Value == nil:
		return "", ipam.NewException(ipam.IpamApiInvalidParameter, "%s.FilterInfo: the %s criterion has no value", param, c.Key)
	}
	return strings.TrimSpace(*c.Value), nil
}

// subnetFilter maps IpamIPSubnetByFilterEnumerationParameters (3.5.4.8.1.50).
func subnetFilter(v *ipam.IpamIPSubnetByFilterEnumerationParameters) (moreQuery, *ipam.IpamException) {
	const param = "IpamIPSubnetByFilterEnumerationParameters"
	if len(v.FilterInfo) > MaxFilterCriteria { // enumerator_filter_ranges.go
		return moreQuery{}, ipam.NewException(ipam.IpamApiInvalidParameter, "%s.FilterInfo: %d criteria, more than the %d ipamd takes", param, len(v.FilterInfo), MaxFilterCriteria)
	}
	b := BlockQuery{}
	f := &RowFilter{}
	subnet := func(o ipam.AnyIpamObject) *ipam.IPBlockRow {
		if r, ok := o.(*ipam.IPBlockRow); ok && r.Subnet != nil {
			return r
		}
		return nil
	}
	for _, t := range v.FilterInfo {
		if t == nil {
			return moreQuery{}, ipam.NewException(ipam.IpamApiInvalidParameter, "%s.FilterInfo: a criterion is nil", param)
		}
		c := &t.FilterCriterion
		value, exc := criterionValue(c, param)
		if exc != nil {
			return moreQuery{}, exc
		}
		switch c.Key {
		case "VirtualizationType": // the subnet's type is one of the listed
			var types []string
			for _, s := range strings.Fields(value) {
				if s != "NonVirtualized" && s != "Fabric" && s != "Virtual" {
					return moreQuery{}, ipam.NewException(ipam.IpamApiInvalidParameter, "%s.FilterInfo: VirtualizationType %q is not an IPVirtualizationType", param, s)
				}
				types = append(types, s)
			}
			f.add(c.Key, func(o ipam.AnyIpamObject) bool {
				r := subnet(o)
				if r == nil {
					return false
				}
				vt := r.Subnet.VirtualizationType
				if vt == "" {
					vt = "NonVirtualized"
				}
				return slices.Contains(types, vt)
			})
		case "AddressSpaceName": // the name of the subnet's own address space
			f.add(c.Key, func(o ipam.AnyIpamObject) bool {
				r := subnet(o)
				if r == nil {
					return false
				}
				name := r.Subnet.ProviderAddressSpaceName
				if r.Subnet.CustomerAddressSpaceName != nil {
					name = r.Subnet.CustomerAddressSpaceName
				}
				return name != nil && *name == value
			})
		case "NetworkId": // an address (text or sysnet:IPAddress) equal to NetworkId
			a, err := netip.ParseAddr(value)
			if err != nil {
				return moreQuery{}, ipam.NewException(ipam.IpamApiInvalidParameter, "%s.FilterInfo: NetworkId %q is not an IP address", param, value)
			}
			f.add(c.Key, func(o ipam.AnyIpamObject) bool {
				r := subnet(o)
				return r != nil && r.NetworkID.Unmap() == a.Unmap()
			})
		case "PrefixLength":
			n, err := strconv.ParseInt(value, 10, 32)
			if err != nil || n < 0 || n > 128 {
				return moreQuery{}, ipam.NewException(ipam.IpamApiInvalidParameter, "%s.FilterInfo: PrefixLength %q is not a prefix length", param, value)
			}
			f.add(c.Key, func(o ipam.AnyIpamObject) bool {
				r := subnet(o)
				return r != nil && int64(r.PrefixLength) == n
			})
		case "EmptySubnets": // true: subnets no range maps to; false: no restriction
			empty, err := strconv.ParseBool(value)
			if err != nil {
				return moreQuery{}, ipam.NewException(ipam.IpamApiInvalidParameter, "%s.FilterInfo: EmptySubnets %q is not a boolean", param, value)
			}
			b.EmptyOnly = b.EmptyOnly || empty
		case "LogicalNetwork": // the subnet's LogicalNetwork custom field value
			f.add(c.Key, func(o ipam.AnyIpamObject) bool {
				r := subnet(o)
				return r != nil && slices.ContainsFunc(r.CustomFieldValues, func(cv *ipam.CustomFieldValue) bool {
					return cv != nil && cv.ParentCustomFieldNumber == builtInLogicalNetwork && cv.Value == value
				})
			})
		default:
			return moreQuery{}, ipam.NewException(ipam.IpamApiInvalidParameter, "%s.FilterInfo: %q is not a GetIPSubnetFilter", param, c.Key)
		}
	}
	q := RowQuery{Kind: SubnetRows, Blocks: &b}
	if len(f.keys) > 0 {
		q.Filter = f
	}
	return moreQuery{q: q, want: ipam.EnumerationObjectTypeIPSubnet, family: v.AddressFamily}, nil
}

// addressSpaceFilter maps AddressSpaceByFilterEnumerationParameters
// (3.5.4.8.1.1).
func addressSpaceFilter(v *ipam.AddressSpaceByFilterEnumerationParameters) (moreQuery, *ipam.IpamException) {
	const param = "AddressSpaceByFilterEnumerationParameters"
	if len(v.FilterInfo) > MaxFilterCriteria { // enumerator_filter_ranges.go
		return moreQuery{}, ipam.NewException(ipam.IpamApiInvalidParameter, "%s.FilterInfo: %d criteria, more than the %d ipamd takes", param, len(v.FilterInfo), MaxFilterCriteria)
	}
	f := &RowFilter{}
	space := func(o ipam.AnyIpamObject) *ipam.AddressSpaceRow {
		r, _ := o.(*ipam.AddressSpaceRow)
		return r
	}
	for _, t := range v.FilterInfo {
		if t == nil {
			return moreQuery{}, ipam.NewException(ipam.IpamApiInvalidParameter, "%s.FilterInfo: a criterion is nil", param)
		}
		c := &t.FilterCriterion
		value, exc := criterionValue(c, param)
		if exc != nil {
			return moreQuery{}, exc
		}
		switch c.Key {
		case "IPAddressSpaceType": // Provider or Customer; None is any
			typ := ipam.IPAddressSpaceType(value)
			if !typ.Valid() {
				return moreQuery{}, ipam.NewException(ipam.IpamApiInvalidParameter, "%s.FilterInfo: IPAddressSpaceType %q is not an IPAddressSpaceType", param, value)
			}
			f.add(c.Key, func(o ipam.AnyIpamObject) bool {
				r := space(o)
				return r != nil && (typ == ipam.IPAddressSpaceTypeNone || r.Customer == (typ == ipam.IPAddressSpaceTypeCustomer))
			})
		case "MappingProviderAddressSpaceName": // customer spaces of the provider of that name
			f.add(c.Key, func(o ipam.AnyIpamObject) bool {
				r := space(o)
				return r != nil && r.Customer && r.ProviderAddressSpaceName != nil && *r.ProviderAddressSpaceName == value
			})
		default:
			return moreQuery{}, ipam.NewException(ipam.IpamApiInvalidParameter, "%s.FilterInfo: %q is not a GetAddressSpaceFilter", param, c.Key)
		}
	}
	q := RowQuery{Kind: AddressSpaceRows, Blocks: &BlockQuery{}}
	if len(f.keys) > 0 {
		q.Filter = f
	}
	return moreQuery{q: q, want: ipam.EnumerationObjectTypeAddressSpace, noFamily: true}, nil
}
