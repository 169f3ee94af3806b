package services

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

// The kinds of rows of this file: the ranges or the addresses of the
// family, every one built, those the RowQuery.Filter keeps sent
// (IPRangeByFilter, IpamIPAddressByFilter). RowQuery's AddressSpaceID,
// Category and Virtualization, when set, repeat criteria of the filter
// that the store may apply in its query: they drop only rows the filter
// drops too, so the result is the same with or without them.
const (
	FilterRangeRows RowKind = iota + 96
	FilterAddressRows
)

// MaxFilterCriteria bounds the criteria of one FilterInfo: each row is
// tested against every criterion, so their number multiplies the work of
// the whole enumeration. More is IpamApiInvalidParameter before any row is
// read.
const MaxFilterCriteria = 64

// The BuiltInCustomField numbers (2.2.5.5) the ManagedByService and
// ServiceInstance keys compare: Managed by and Managed by entity.
const builtInManagedBy, builtInManagedByEntity = 8, 9

// filtered is what the range and address keys read of a row.
type filtered struct {
	virt, category string
	space          *string // the row's own address space's name
	spaceID        int64
	values         []*ipam.CustomFieldValue
	unmapped       bool
	start, end     netip.Addr // a range's bounds; an address is both
}

func rangeFiltered(o ipam.AnyIpamObject) (filtered, bool) {
	r, ok := o.(*ipam.IPRangeRow)
	if !ok {
		return filtered{}, false
	}
	return filtered{
		virt: r.VirtualizationType, category: r.AddressCategory, space: ownSpace(r.ProviderAddressSpaceName, r.CustomerAddressSpaceName),
		spaceID: r.AddressSpaceRecordID, values: r.CustomFieldValues, start: r.StartIPAddress, end: r.EndIPAddress,
		unmapped: r.ParentIPBlockRecordID == nil || *r.ParentIPBlockRecordID == 0,
	}, true
}

func addressFiltered(o ipam.AnyIpamObject) (filtered, bool) {
	a, ok := o.(*ipam.IPAddressRow)
	if !ok {
		return filtered{}, false
	}
	return filtered{
		virt: a.VirtualizationType, category: a.AddressCategory, space: ownSpace(a.ProviderAddressSpaceName, a.CustomerAddressSpaceName),
		spaceID: a.AddressSpaceRecordID, values: a.CustomFieldValues, start: a.Address, end: a.Address,
		unmapped: a.ParentIPRangeRecordID == nil || *a.ParentIPRangeRecordID == 0,
	}, true
}

// ownSpace is the name of a row's own address space: the customer
// space's for a row of a customer space, else the provider space's.
func ownSpace(provider, customer *string) *string {
	if customer != nil {
		return customer
	}
	return provider
}

// filterBuilder turns the criteria of one ByFilter type into a RowFilter
// over one row type, and notes what the store may select in its query.
type filterBuilder struct {
	param      string // the parameter type, for refusals
	view       func(ipam.AnyIpamObject) (filtered, bool)
	f          RowFilter
	virt       []string        // the union of the VirtualizationType criteria
	spaceIDs   map[int64]bool  // the AddressSpaceId criteria
	categories map[string]bool // the AddressCategory criteria
}

func (b *filterBuilder) keep(key string, m func(filtered) bool) {
	b.f.add(key, func(o ipam.AnyIpamObject) bool {
		r, ok := b.view(o)
		return ok && m(r)
	})
}

func (b *filterBuilder) refuse(format string, args ...any) *ipam.IpamException {
	return ipam.NewException(ipam.IpamApiInvalidParameter, "%s.FilterInfo: "+format, append([]any{b.param}, args...)...)
}

// common reads the keys GetIPRangeFilter and GetIpamIPAddressFilter share
// (2.2.5.49, 2.2.5.50); ok is false for a key that is not one of them.
func (b *filterBuilder) common(key, value string) (ok bool, exc *ipam.IpamException) {
	switch key {
	case "VirtualizationType": // the row's type is one of the listed
		var types []string
		for _, s := range strings.Fields(value) {
			if s != "NonVirtualized" && s != "Fabric" && s != "Virtual" {
				return true, b.refuse("VirtualizationType %q is not an IPVirtualizationType", s)
			}
			types = append(types, s)
		}
		b.virt = append(b.virt, types...)
		b.keep(key, func(r filtered) bool {
			vt := r.virt
			if vt == "" {
				vt = "NonVirtualized"
			}
			return slices.Contains(types, vt)
		})
	case "AddressCategory": // the row's AddressCategory
		c := ipam.AddressCategory(value)
		if !c.Valid() {
			return true, b.refuse("AddressCategory %q is not an AddressCategory", value)
		}
		b.categories[value] = true
		b.keep(key, func(r filtered) bool {
			rc := r.category
			if rc == "" {
				rc = string(ipam.AddressCategoryNone)
			}
			return rc == value
		})
	case "AddressSpaceName": // the name of the row's own address space
		b.keep(key, func(r filtered) bool { return r.space != nil && *r.space == value })
	case "ManagedByService": // the row's Managed by value
		b.keep(key, func(r filtered) bool { return hasValue(r.values, builtInManagedBy, value) })
	case "ServiceInstance": // the row's Managed by entity value
		b.keep(key, func(r filtered) bool { return hasValue(r.values, builtInManagedByEntity, value) })
	case "Unmapped": // true: rows without a parent (block, range); false: no restriction
		u, err := strconv.ParseBool(value)
		if err != nil {
			return true, b.refuse("Unmapped %q is not a boolean", value)
		}
		if u {
			b.f.unmapped = true
			b.keep(key, func(r filtered) bool { return r.unmapped })
		}
	default:
		return false, nil
	}
	return true, nil
}

// address reads an address criterion (text, or a sysnet:IPAddress the
// decoder gave as text).
func (b *filterBuilder) address(key, value string) (netip.Addr, *ipam.IpamException) {
	a, err := netip.ParseAddr(value)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, b.refuse("%s %q is not an IP address", key, value)
	}
	return a.Unmap(), nil
}

func hasValue(vs []*ipam.CustomFieldValue, number int32, value string) bool {
	return slices.ContainsFunc(vs, func(c *ipam.CustomFieldValue) bool {
		return c != nil && c.ParentCustomFieldNumber == number && c.Value == value
	})
}

// build checks the criteria's number and reads each with read (the key's
// own meaning, after the shared keys); it returns the query of kind.
func (b *filterBuilder) build(kind RowKind, criteria []*ipam.FilterCriterion, read func(key, value string) *ipam.IpamException) (RowQuery, *ipam.IpamException) {
	if len(criteria) > MaxFilterCriteria {
		return RowQuery{}, b.refuse("%d criteria, more than the %d ipamd takes", len(criteria), MaxFilterCriteria)
	}
	b.spaceIDs, b.categories = map[int64]bool{}, map[string]bool{}
	for _, c := range criteria {
		if c == nil {
			return RowQuery{}, b.refuse("a criterion is nil")
		}
		value, exc := criterionValue(c, b.param)
		if exc != nil {
			return RowQuery{}, exc
		}
		ok, exc := b.common(c.Key, value)
		if exc != nil {
			return RowQuery{}, exc
		}
		if ok {
			continue
		}
		if exc := read(c.Key, value); exc != nil {
			return RowQuery{}, exc
		}
	}
	q := RowQuery{Kind: kind}
	if len(b.f.keys) > 0 {
		f := b.f
		q.Filter = &f
	}
	// What the store may select first (every criterion of a key is an
	// alternative: only a key with one value narrows the query exactly).
	if len(b.virt) > 0 { // (an empty list keeps no row: the filter drops them)
		q.Virtualization = b.virt
	}
	if len(b.spaceIDs) == 1 {
		for id := range b.spaceIDs {
			q.AddressSpaceID = &id
		}
	}
	if len(b.categories) == 1 {
		for c := range b.categories {
			if c != string(ipam.AddressCategoryNone) { // None is also a row without one (NULL)
				q.Category = &c
			}
		}
	}
	return q, nil
}

// rangeFilter maps IPRangeByFilterEnumerationParameters (3.5.4.8.1.65).
// The spec's steps filter on a VirtualizationType member the type does not
// have and never read FilterInfo; ipamd applies FilterInfo as for
// addresses (docs/protocol.md, "ByFilter parameter types").
func rangeFilter(v *ipam.IPRangeByFilterEnumerationParameters) (moreQuery, *ipam.IpamException) {
	b := &filterBuilder{param: "IPRangeByFilterEnumerationParameters", view: rangeFiltered}
	criteria := make([]*ipam.FilterCriterion, len(v.FilterInfo))
	for i, t := range v.FilterInfo {
		if t != nil {
			criteria[i] = &t.FilterCriterion
		}
	}
	q, exc := b.build(FilterRangeRows, criteria, func(key, value string) *ipam.IpamException {
		switch key {
		case "AddressSpaceId": // the range's AddressSpaceRecordId
			id, err := strconv.ParseInt(value, 10, 64)
			if err != nil {
				return b.refuse("AddressSpaceId %q is not a number", value)
			}
			b.spaceIDs[id] = true
			b.keep(key, func(r filtered) bool { return r.spaceID == id })
		case "StartIP", "EndIP": // the range's first or last address
			a, exc := b.address(key, value)
			if exc != nil {
				return exc
			}
			start := key == "StartIP"
			b.keep(key, func(r filtered) bool {
				if start {
					return r.start.Unmap() == a
				}
				return r.end.Unmap() == a
			})
		default:
			return b.refuse("%q is not a GetIPRangeFilter", key)
		}
		return nil
	})
	if exc != nil {
		return moreQuery{}, exc
	}
	return moreQuery{q: q, want: ipam.EnumerationObjectTypeIPRange, family: v.AddressFamily}, nil
}

// addressFilter maps IpamIPAddressByFilterEnumerationParameters
// (3.5.4.8.1.42).
func addressFilter(v *ipam.IpamIPAddressByFilterEnumerationParameters) (moreQuery, *ipam.IpamException) {
	b := &filterBuilder{param: "IpamIPAddressByFilterEnumerationParameters", view: addressFiltered}
	criteria := make([]*ipam.FilterCriterion, len(v.FilterInfo))
	for i, t := range v.FilterInfo {
		if t != nil {
			criteria[i] = &t.FilterCriterion
		}
	}
	q, exc := b.build(FilterAddressRows, criteria, func(key, value string) *ipam.IpamException {
		switch key {
		case "IpAddress": // the address itself
			a, exc := b.address(key, value)
			if exc != nil {
				return exc
			}
			b.keep(key, func(r filtered) bool { return r.start.Unmap() == a })
		default:
			return b.refuse("%q is not a GetIpamIPAddressFilter", key)
		}
		return nil
	})
	if exc != nil {
		return moreQuery{}, exc
	}
	return moreQuery{q: q, want: ipam.EnumerationObjectTypeIPAddress, family: v.AddressFamily}, nil
}
