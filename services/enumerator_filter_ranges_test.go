package services

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

func rangeCriteria(kv ...string) []*ipam.TupleOfGetIPRangeFilteranyType2zwQHvQz {
	var out []*ipam.TupleOfGetIPRangeFilteranyType2zwQHvQz
	for i := 0; i+1 < len(kv); i += 2 {
		v := kv[i+1]
		out = append(out, &ipam.TupleOfGetIPRangeFilteranyType2zwQHvQz{FilterCriterion: ipam.FilterCriterion{Key: kv[i], Value: &v}})
	}
	return out
}

func addressCriteria(kv ...string) []*ipam.TupleOfGetIpamIPAddressFilteranyType2zwQHvQz {
	var out []*ipam.TupleOfGetIpamIPAddressFilteranyType2zwQHvQz
	for i := 0; i+1 < len(kv); i += 2 {
		v := kv[i+1]
		out = append(out, &ipam.TupleOfGetIpamIPAddressFilteranyType2zwQHvQz{FilterCriterion: ipam.FilterCriterion{Key: kv[i], Value: &v}})
	}
	return out
}

func byRange(c []*ipam.TupleOfGetIPRangeFilteranyType2zwQHvQz) *ipam.IPRangeByFilterEnumerationParameters {
	return &ipam.IPRangeByFilterEnumerationParameters{EnumerationParametersBase: ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeIPRange},
		AddressFamily: ipam.AddressFamilyInterNetwork, FilterInfo: c}
}

func byAddress(c []*ipam.TupleOfGetIpamIPAddressFilteranyType2zwQHvQz) *ipam.IpamIPAddressByFilterEnumerationParameters {
	return &ipam.IpamIPAddressByFilterEnumerationParameters{EnumerationParametersBase: ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeIPAddress},
		AddressFamily: ipam.AddressFamilyInterNetwork, FilterInfo: c}
}

// filterRows are the rows TestRowQueryForRangeFilters and
// FuzzRangeAddressFilter test criteria against.
func filterRows() (ranges, addresses []ipam.AnyIpamObject) {
	str := func(s string) *string { return &s }
	id := func(n int64) *int64 { return &n }
	managed := func(by, entity string) []*ipam.CustomFieldValue {
		return []*ipam.CustomFieldValue{{ParentCustomFieldNumber: 8, Value: by}, {ParentCustomFieldNumber: 9, Value: entity}}
	}
	ranges = []ipam.AnyIpamObject{
		&ipam.IPRangeRow{StartIPAddress: netip.MustParseAddr("10.1.0.1"), EndIPAddress: netip.MustParseAddr("10.1.0.254"),
			AddressCategory: "Private", VirtualizationType: "NonVirtualized", AddressSpaceRecordID: 1, ProviderAddressSpaceName: str("Default"),
			ParentIPBlockRecordID: id(7), CustomFieldValues: managed("DHCP", "dhcp1")},
		&ipam.IPRangeRow{StartIPAddress: netip.MustParseAddr("10.2.0.1"), EndIPAddress: netip.MustParseAddr("10.2.0.100"),
			AddressCategory: "Public", VirtualizationType: "Virtual", AddressSpaceRecordID: 2, ProviderAddressSpaceName: str("Default"),
			CustomerAddressSpaceName: str("tenant"), ParentIPBlockRecordID: id(8), CustomFieldValues: managed("IPAM", "Localhost")},
		&ipam.IPRangeRow{StartIPAddress: netip.MustParseAddr("10.3.0.1"), EndIPAddress: netip.MustParseAddr("10.3.0.254"),
			AddressCategory: "", VirtualizationType: "", AddressSpaceRecordID: 1, ProviderAddressSpaceName: str("Default"),
			CustomFieldValues: managed("DHCP", "dhcp2")},
	}
	addresses = []ipam.AnyIpamObject{
		&ipam.IPAddressRow{Address: netip.MustParseAddr("10.1.0.5"), AddressCategory: "Private", VirtualizationType: "NonVirtualized",
			ProviderAddressSpaceName: str("Default"), ParentIPRangeRecordID: id(1), CustomFieldValues: managed("DHCP", "dhcp1")},
		&ipam.IPAddressRow{Address: netip.MustParseAddr("10.2.0.5"), AddressCategory: "Public", VirtualizationType: "Fabric",
			ProviderAddressSpaceName: str("Default"), CustomerAddressSpaceName: str("tenant"), ParentIPRangeRecordID: id(2)},
		&ipam.IPAddressRow{Address: netip.MustParseAddr("198.51.100.7"), AddressCategory: "Public", ProviderAddressSpaceName: str("Default"),
			ParentIPRangeRecordID: id(0), CustomFieldValues: managed("IPAM", "Localhost")},
	}
	return ranges, addresses
}

// TestRowQueryForRangeFilters: IPRangeByFilter and IpamIPAddressByFilter,
// what each key keeps (every key applies, a repeated key is an
// alternative), what the store may select in its query, and the
// refusals: an unknown key (bounded in the message), a value a key cannot
// read, a missing value, too many criteria. Rules E10, E20.
func TestRowQueryForRangeFilters(t *testing.T) {
	ranges, addresses := filterRows()
	v4 := func(s string) string { return s }
	many := make([]string, 0, 2*(MaxFilterCriteria+1))
	for range MaxFilterCriteria + 1 {
		many = append(many, "AddressCategory", "Public")
	}
	for _, tc := range []struct {
		name  string
		p     ipam.AnyEnumerationParametersBase
		exc   string
		keep  string // the rows kept, by index
		query string // what the store may select: space, category, virtualization
	}{
		{"ranges, no criteria", byRange(nil), "", "012", ""},
		{"ranges: virtualization", byRange(rangeCriteria("VirtualizationType", "NonVirtualized")), "", "02", "virt [NonVirtualized]"},
		{"ranges: either virtualization", byRange(rangeCriteria("VirtualizationType", "Virtual", "VirtualizationType", "Fabric")), "", "1", "virt [Virtual Fabric]"},
		{"ranges: category", byRange(rangeCriteria("AddressCategory", "Public")), "", "1", "category Public"},
		{"ranges: category None (also no category)", byRange(rangeCriteria("AddressCategory", "None")), "", "2", ""},
		{"ranges: either category", byRange(rangeCriteria("AddressCategory", "Public", "AddressCategory", "Private")), "", "01", ""},
		{"ranges: own space name", byRange(rangeCriteria("AddressSpaceName", "Default")), "", "02", ""},
		{"ranges: customer space name", byRange(rangeCriteria("AddressSpaceName", "tenant")), "", "1", ""},
		{"ranges: managed by", byRange(rangeCriteria("ManagedByService", "DHCP")), "", "02", ""},
		{"ranges: managed by and instance", byRange(rangeCriteria("ManagedByService", "DHCP", "ServiceInstance", "dhcp2")), "", "2", ""},
		{"ranges: unmapped", byRange(rangeCriteria("Unmapped", "true")), "", "2", ""},
		{"ranges: not only unmapped", byRange(rangeCriteria("Unmapped", "false")), "", "012", ""},
		{"ranges: space id", byRange(rangeCriteria("AddressSpaceId", "1")), "", "02", "space 1"},
		{"ranges: either space id", byRange(rangeCriteria("AddressSpaceId", "1", "AddressSpaceId", "2")), "", "012", ""},
		{"ranges: bounds", byRange(rangeCriteria("StartIP", "10.2.0.1", "EndIP", v4("10.2.0.100"))), "", "1", ""},
		{"ranges: start, mapped form", byRange(rangeCriteria("StartIP", "::ffff:10.3.0.1")), "", "2", ""},
		{"ranges: bounds of two ranges", byRange(rangeCriteria("StartIP", "10.2.0.1", "EndIP", "10.1.0.254")), "", "", ""},
		{"ranges: keys together", byRange(rangeCriteria("AddressSpaceId", "1", "ManagedByService", "DHCP", "VirtualizationType", "NonVirtualized")), "", "02",
			"space 1 virt [NonVirtualized]"},
		{"ranges: an address key", byRange(rangeCriteria("IpAddress", "10.1.0.5")), ipam.IpamApiInvalidParameter, "", ""},
		{"ranges: bad virtualization", byRange(rangeCriteria("VirtualizationType", "Cloud")), ipam.IpamApiInvalidParameter, "", ""},
		{"ranges: bad category", byRange(rangeCriteria("AddressCategory", "Secret")), ipam.IpamApiInvalidParameter, "", ""},
		{"ranges: bad boolean", byRange(rangeCriteria("Unmapped", "sometimes")), ipam.IpamApiInvalidParameter, "", ""},
		{"ranges: bad space id", byRange(rangeCriteria("AddressSpaceId", "one")), ipam.IpamApiInvalidParameter, "", ""},
		{"ranges: bad address", byRange(rangeCriteria("StartIP", "10.2.0.0/24")), ipam.IpamApiInvalidParameter, "", ""},
		{"ranges: zoned address", byRange(rangeCriteria("EndIP", "fe80::1%eth0")), ipam.IpamApiInvalidParameter, "", ""},
		{"ranges: nil criterion", byRange([]*ipam.TupleOfGetIPRangeFilteranyType2zwQHvQz{nil}), ipam.IpamApiInvalidParameter, "", ""},
		{"ranges: no value", byRange([]*ipam.TupleOfGetIPRangeFilteranyType2zwQHvQz{{FilterCriterion: ipam.FilterCriterion{Key: "StartIP"}}}), ipam.IpamApiInvalidParameter, "", ""},
		{"ranges: unsupported value", byRange([]*ipam.TupleOfGetIPRangeFilteranyType2zwQHvQz{{FilterCriterion: ipam.FilterCriterion{Key: "StartIP", Unsupported: true}}}),
			ipam.IpamApiInvalidParameter, "", ""},
		{"ranges: a long unknown key", byRange(rangeCriteria(strings.Repeat("k", 5000), "x")), ipam.IpamApiInvalidParameter, "", ""},
		{"ranges: too many criteria", byRange(rangeCriteria(many...)), ipam.IpamApiInvalidParameter, "", ""},
		{"ranges, address object", &ipam.IPRangeByFilterEnumerationParameters{EnumerationParametersBase: ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeIPAddress},
			AddressFamily: ipam.AddressFamilyInterNetwork}, ipam.IpamApiInvalidEnumeration, "", ""},
		{"ranges without family", &ipam.IPRangeByFilterEnumerationParameters{EnumerationParametersBase: ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeIPRange}},
			ipam.IpamApiInvalidAddressFamily, "", ""},

		{"addresses, no criteria", byAddress(nil), "", "012", ""},
		{"addresses: virtualization (none is NonVirtualized)", byAddress(addressCriteria("VirtualizationType", "NonVirtualized")), "", "02", "virt [NonVirtualized]"},
		{"addresses: category", byAddress(addressCriteria("AddressCategory", "Public")), "", "12", "category Public"},
		{"addresses: customer space", byAddress(addressCriteria("AddressSpaceName", "tenant")), "", "1", ""},
		{"addresses: managed by", byAddress(addressCriteria("ManagedByService", "IPAM", "ServiceInstance", "Localhost")), "", "2", ""},
		{"addresses: unmapped (range 0)", byAddress(addressCriteria("Unmapped", "1")), "", "2", ""},
		{"addresses: either address", byAddress(addressCriteria("IpAddress", "10.2.0.5", "IpAddress", "198.51.100.7")), "", "12", ""},
		{"addresses: address and category", byAddress(addressCriteria("IpAddress", "10.2.0.5", "AddressCategory", "Private")), "", "", "category Private"},
		{"addresses: a range key", byAddress(addressCriteria("StartIP", "10.1.0.1")), ipam.IpamApiInvalidParameter, "", ""},
		{"addresses: a space id", byAddress(addressCriteria("AddressSpaceId", "1")), ipam.IpamApiInvalidParameter, "", ""},
		{"addresses: bad address", byAddress(addressCriteria("IpAddress", "host.example")), ipam.IpamApiInvalidParameter, "", ""},
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
		rows, kind := ranges, FilterRangeRows
		if _, ok := tc.p.(*ipam.IpamIPAddressByFilterEnumerationParameters); ok {
			rows, kind = addresses, FilterAddressRows
		}
		var kept strings.Builder
		for i, r := range rows {
			if q.Filter == nil || q.Filter.Keep(r) {
				kept.WriteByte(byte('0' + i))
			}
		}
		if q.Filter.UnmappedOnly() != strings.Contains(tc.name, ": unmapped") {
			t.Errorf("%s: UnmappedOnly %v", tc.name, q.Filter.UnmappedOnly())
		}
		if q.Kind != kind || kept.String() != tc.keep || narrowing(q) != tc.query {
			t.Errorf("%s: kind %d kept %q, query %q; want %d %q %q", tc.name, q.Kind, kept.String(), narrowing(q), kind, tc.keep, tc.query)
		}
	}
}

// narrowing is what q lets the store select in its query.
func narrowing(q *RowQuery) string {
	var parts []string
	if q.AddressSpaceID != nil {
		parts = append(parts, fmt.Sprint("space ", *q.AddressSpaceID))
	}
	if q.Category != nil {
		parts = append(parts, "category "+*q.Category)
	}
	if q.Virtualization != nil {
		parts = append(parts, fmt.Sprint("virt ", q.Virtualization))
	}
	return strings.Join(parts, " ")
}

// FuzzRangeAddressFilter: any criteria of IPRangeByFilter and
// IpamIPAddressByFilter are refused with IpamApiInvalidParameter (the
// client's text bounded) or kept; a kept filter never panics on a row, and
// neither the query's narrowing nor UnmappedOnly drops a row the filter
// keeps (the store may apply them first). Rule E20.
func FuzzRangeAddressFilter(f *testing.F) {
	f.Add("AddressSpaceId", "1", "VirtualizationType", "NonVirtualized Fabric", false)
	f.Add("AddressCategory", "None", "StartIP", "::ffff:10.3.0.1", false)
	f.Add("IpAddress", "10.2.0.5", "AddressCategory", "Public", true)
	f.Add("Unmapped", "true", "ServiceInstance", "dhcp2", true)
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string, addresses bool) {
		ranges, addrs := filterRows()
		rows := ranges
		var p ipam.AnyEnumerationParametersBase = byRange(rangeCriteria(k1, v1, k2, v2))
		if addresses {
			rows, p = addrs, byAddress(addressCriteria(k1, v1, k2, v2))
		}
		q, exc := RowQueryFor(p)
		if exc != nil {
			if exc.ExceptionID != ipam.IpamApiInvalidParameter {
				t.Fatalf("%s: want IpamApiInvalidParameter", exc)
			}
			if len(exc.Message) > ipam.MaxExceptionMessageBytes+64 {
				t.Fatalf("the refusal echoes %d bytes", len(exc.Message))
			}
			return
		}
		for _, r := range rows {
			if q.Filter != nil && !q.Filter.Keep(r) {
				continue
			}
			if !narrowed(q, r) {
				t.Fatalf("the filter keeps %+v, the query's narrowing %q drops it", r, narrowing(q))
			}
			if q.Filter.UnmappedOnly() && !unmapped(r) {
				t.Fatalf("the filter keeps %+v, which has a parent, though it says it keeps only unmapped rows", r)
			}
		}
	})
}

// narrowed reports whether row passes q's query narrowing as the store
// applies it (store/enumerate.go: a missing VirtualizationType is
// NonVirtualized; the category compared as stored).
func narrowed(q *RowQuery, row ipam.AnyIpamObject) bool {
	var space int64
	var category, virt string
	switch r := row.(type) {
	case *ipam.IPRangeRow:
		space, category, virt = r.AddressSpaceRecordID, r.AddressCategory, r.VirtualizationType
	case *ipam.IPAddressRow:
		space, category, virt = r.AddressSpaceRecordID, r.AddressCategory, r.VirtualizationType
	}
	if virt == "" {
		virt = "NonVirtualized"
	}
	if q.AddressSpaceID != nil && *q.AddressSpaceID != space {
		return false
	}
	if q.Category != nil && *q.Category != category {
		return false
	}
	if q.Virtualization != nil && !strings.Contains(" "+strings.Join(q.Virtualization, " ")+" ", " "+virt+" ") {
		return false
	}
	return true
}

// unmapped reports whether a range has no parent block or an address no
// range, as the store counts them (store/enumerate_filter.go).
func unmapped(row ipam.AnyIpamObject) bool {
	switch r := row.(type) {
	case *ipam.IPRangeRow:
		return r.ParentIPBlockRecordID == nil || *r.ParentIPBlockRecordID == 0
	case *ipam.IPAddressRow:
		return r.ParentIPRangeRecordID == nil || *r.ParentIPRangeRecordID == 0
	}
	return false
}
