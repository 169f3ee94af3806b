package store

import (
	"context"
	"slices"
	"testing"

	"github.com/ipamd/ipamd/services"
	"github.com/ipamd/ipamd/store/storetest"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// TestEnumerateRangeAddressByFilterMatchStore: IPRangeByFilter and
// IpamIPAddressByFilter, from their parameters (services.RowQueryFor) to
// the rows, keep exactly the ranges and addresses a query of the test's
// own selects, for each key and for keys together, on both engines. The
// converted v1 store gets what conversion does not make: a customer address
// space holding one virtualized range and one address, two addresses
// without a range. Rules E10, E20.
func TestEnumerateRangeAddressByFilterMatchStore(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			s := convertedStore(t, e.Dialect, 1500)
			ctx := context.Background()
			p := s.dialect.Placeholder
			exec := func(query string, args ...any) {
				t.Helper()
				if _, err := s.db.Exec(query, args...); err != nil {
					t.Fatalf("%s: %v", query, err)
				}
			}
			one := func(query string, args ...any) int64 {
				t.Helper()
				var n int64
				if err := s.db.QueryRow(query, args...).Scan(&n); err != nil {
					t.Fatalf("%s: %v", query, err)
				}
				return n
			}
			text := func(query string, args ...any) string {
				t.Helper()
				var v string
				if err := s.db.QueryRow(query, args...).Scan(&v); err != nil {
					t.Fatalf("%s: %v", query, err)
				}
				return v
			}
			ids := func(query string, args ...any) []int64 { return queryIDs(t, s.db, query, args...) }

			// A customer space of the default provider space, holding the
			// first IPv4 range (made Virtual) and the first IPv4 address.
			tenant := one(`SELECT MAX("RecordId") + 1 FROM "ADM_AddressSpaceTable"`)
			exec(`INSERT INTO "ADM_AddressSpaceTable" ("Family", "RecordId", "AddressSpaceType", "ProviderAddressSpaceRecordId", "Name")
				VALUES ('Customer', `+p(1)+`, 'Customer', 1, 'tenant')`, tenant)
			movedRange := one(`SELECT MIN("RecordId") FROM "ADM_IPRangeTable" WHERE "Family" = 'IPv4'`)
			exec(`UPDATE "ADM_IPRangeTable" SET "AddressSpaceRecordId" = `+p(1)+`, "VirtualizationType" = 'Virtual' WHERE "RecordId" = `+p(2), tenant, movedRange)
			movedAddress := one(`SELECT MIN("RecordId") FROM "ADM_IPAddressTable" WHERE "Family" = 'IPv4'`)
			exec(`UPDATE "ADM_IPAddressTable" SET "AddressSpaceRecordId" = `+p(1)+` WHERE "RecordId" = `+p(2), tenant, movedAddress)
			// Two addresses without a range.
			next := one(`SELECT MAX("RecordId") + 1 FROM "ADM_IPAddressTable"`)
			for i, a := range []string{"198.51.100.7", "198.51.100.9"} {
				exec(`INSERT INTO "ADM_IPAddressTable" ("Family", "RecordId", "IpAddress", "AddressAssignment", "AddressCategory", "IsDuplicate", "AddressSpaceRecordId")
					VALUES ('IPv4', `+p(1)+`, `+p(2)+`, 'Static', 'Public', `+p(3)+`, 1)`, next+int64(i), a, false)
			}

			ranges := `SELECT x."RecordId" FROM "ADM_IPRangeTable" x WHERE x."Family" = 'IPv4'`
			addresses := `SELECT x."RecordId" FROM "ADM_IPAddressTable" x WHERE x."Family" = 'IPv4'`
			const order = ` ORDER BY x."RecordId"`
			// The Managed by value the most ranges (addresses) carry, and
			// the test's own selection of a value.
			managed := func(objectType, field string, arg int) string {
				return `EXISTS (SELECT 1 FROM "ADM_CustomFieldValuesAssociationTable" a JOIN "ADM_CustomFieldsTable" f ON f."RecordId" = a."CustomFieldId"
					LEFT JOIN "ADM_CustomFieldValuesTable" v ON v."RecordId" = a."CustomFieldValueId"
					WHERE a."ObjectType" = '` + objectType + `' AND a."UsedById" = x."RecordId" AND f."BuiltinCustomFieldNumber" = '` + field + `'
					AND COALESCE(v."Value", a."Value") = ` + p(arg) + `)`
			}
			common := func(objectType, field string) string {
				return text(`SELECT COALESCE(v."Value", a."Value") FROM "ADM_CustomFieldValuesAssociationTable" a
					JOIN "ADM_CustomFieldsTable" f ON f."RecordId" = a."CustomFieldId" LEFT JOIN "ADM_CustomFieldValuesTable" v ON v."RecordId" = a."CustomFieldValueId"
					WHERE a."ObjectType" = '` + objectType + `' AND f."BuiltinCustomFieldNumber" = '` + field + `'
					GROUP BY COALESCE(v."Value", a."Value") ORDER BY COUNT(*) DESC, 1 LIMIT 1`)
			}
			rangeBy, rangeEntity := common("IPRange", "ManagedBy"), common("IPRange", "ManagedByEntity")
			addressBy := common("IPAddress", "ManagedBy")
			category := text(`SELECT COALESCE(x."AddressCategory", 'None') FROM "ADM_IPRangeTable" x WHERE x."Family" = 'IPv4'
				GROUP BY COALESCE(x."AddressCategory", 'None') ORDER BY COUNT(*) DESC, 1 LIMIT 1`)
			// A range's bounds and an address, as the store keeps them and
			// as a client sends them (parsed).
			last := one(`SELECT MAX("RecordId") FROM "ADM_IPRangeTable" WHERE "Family" = 'IPv4'`)
			start := ipam.ParseIPAddressText(text(`SELECT "StartIPAddress" FROM "ADM_IPRangeTable" WHERE "RecordId" = `+p(1), last)).String()
			end := ipam.ParseIPAddressText(text(`SELECT "EndIPAddress" FROM "ADM_IPRangeTable" WHERE "RecordId" = `+p(1), last)).String()
			someAddress := one(`SELECT MAX("RecordId") FROM "ADM_IPAddressTable" WHERE "Family" = 'IPv4' AND "RangeRecordId" IS NOT NULL`)
			address := ipam.ParseIPAddressText(text(`SELECT "IpAddress" FROM "ADM_IPAddressTable" WHERE "RecordId" = `+p(1), someAddress)).String()

			base := func(ot ipam.EnumerationObjectType) ipam.EnumerationParametersBase {
				return ipam.EnumerationParametersBase{ObjectType: ot}
			}
			byRange := func(kv ...string) ipam.AnyEnumerationParametersBase {
				var c []*ipam.TupleOfGetIPRangeFilteranyType2zwQHvQz
				for i := 0; i+1 < len(kv); i += 2 {
					v := kv[i+1]
					c = append(c, &ipam.TupleOfGetIPRangeFilteranyType2zwQHvQz{FilterCriterion: ipam.FilterCriterion{Key: kv[i], Value: &v}})
				}
				return &ipam.IPRangeByFilterEnumerationParameters{EnumerationParametersBase: base(ipam.EnumerationObjectTypeIPRange), AddressFamily: ipam.AddressFamilyInterNetwork, FilterInfo: c}
			}
			byAddress := func(kv ...string) ipam.AnyEnumerationParametersBase {
				var c []*ipam.TupleOfGetIpamIPAddressFilteranyType2zwQHvQz
				for i := 0; i+1 < len(kv); i += 2 {
					v := kv[i+1]
					c = append(c, &ipam.TupleOfGetIpamIPAddressFilteranyType2zwQHvQz{FilterCriterion: ipam.FilterCriterion{Key: kv[i], Value: &v}})
				}
				return &ipam.IpamIPAddressByFilterEnumerationParameters{EnumerationParametersBase: base(ipam.EnumerationObjectTypeIPAddress), AddressFamily: ipam.AddressFamilyInterNetwork, FilterInfo: c}
			}
			for _, tc := range []struct {
				name string
				p    ipam.AnyEnumerationParametersBase
				want []int64
				min  int
			}{
				{"every range", byRange(), ids(ranges + order), 3},
				{"virtual ranges", byRange("VirtualizationType", "Virtual"), []int64{movedRange}, 1},
				{"non-virtualized ranges", byRange("VirtualizationType", "NonVirtualized Fabric"),
					ids(ranges + ` AND COALESCE(x."VirtualizationType", 'NonVirtualized') <> 'Virtual'` + order), 2},
				{"ranges of a category", byRange("AddressCategory", category), ids(ranges+` AND COALESCE(x."AddressCategory", 'None') = `+p(1)+order, category), 1},
				{"ranges of the customer space", byRange("AddressSpaceName", "tenant"), []int64{movedRange}, 1},
				{"ranges of the default space", byRange("AddressSpaceName", "DefaultIPAddressSpace"), ids(ranges + ` AND x."AddressSpaceRecordId" = 1` + order), 2},
				{"ranges of space 1", byRange("AddressSpaceId", "1"), ids(ranges + ` AND x."AddressSpaceRecordId" = 1` + order), 2},
				{"ranges of either space", byRange("AddressSpaceId", itoa(tenant), "AddressSpaceId", "1"), ids(ranges + order), 3},
				{"ranges managed by", byRange("ManagedByService", rangeBy, "ServiceInstance", rangeEntity),
					ids(ranges+` AND `+managed("IPRange", "ManagedBy", 1)+` AND `+managed("IPRange", "ManagedByEntity", 2)+order, rangeBy, rangeEntity), 1},
				{"ranges managed by, of space 1", byRange("ManagedByService", rangeBy, "AddressSpaceId", "1"),
					ids(ranges+` AND x."AddressSpaceRecordId" = 1 AND `+managed("IPRange", "ManagedBy", 1)+order, rangeBy), 1},
				{"a range by its bounds", byRange("StartIP", start, "EndIP", end), []int64{last}, 1},
				{"a start that is no range's", byRange("StartIP", "203.0.113.77"), nil, 0},
				{"unmapped ranges", byRange("Unmapped", "true"), ids(ranges + ` AND (x."ParentIPBlockRecordId" IS NULL OR x."ParentIPBlockRecordId" = 0)` + order), 0},
				{"every address", byAddress(), ids(addresses + order), 1000},
				{"addresses of the customer space", byAddress("AddressSpaceName", "tenant"), []int64{movedAddress}, 1},
				{"unmapped addresses", byAddress("Unmapped", "true"), ids(addresses + ` AND (x."RangeRecordId" IS NULL OR x."RangeRecordId" = 0)` + order), 2},
				{"unmapped public addresses", byAddress("Unmapped", "true", "AddressCategory", "Public", "VirtualizationType", "NonVirtualized"), []int64{next, next + 1}, 2},
				{"addresses by address", byAddress("IpAddress", address, "IpAddress", "198.51.100.9"),
					ids(addresses+` AND (x."RecordId" = `+p(1)+` OR x."RecordId" = `+p(2)+`)`+order, someAddress, next+1), 2},
				{"addresses managed by", byAddress("ManagedByService", addressBy), ids(addresses+` AND `+managed("IPAddress", "ManagedBy", 1)+order, addressBy), 1},
				{"virtual addresses", byAddress("VirtualizationType", "Virtual"), ids(addresses + ` AND x."VirtualizationType" = 'Virtual'` + order), 0},
			} {
				t.Logf("%s: %d rows", tc.name, len(tc.want))
				if len(tc.want) < tc.min {
					t.Fatalf("%s: the store has %d rows, want at least %d", tc.name, len(tc.want), tc.min)
				}
				q, exc := services.RowQueryFor(tc.p)
				if exc != nil {
					t.Fatalf("%s: %v", tc.name, exc)
				}
				var got []int64
				if err := s.EnumerateRows(ctx, *q, func(o ipam.AnyIpamObject) error {
					switch v := o.(type) {
					case *ipam.IPRangeRow:
						got = append(got, v.RecordID)
					case *ipam.IPAddressRow:
						got = append(got, v.RecordID)
					default:
						t.Errorf("%s: row %T", tc.name, o)
					}
					return nil
				}); err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				if !slices.Equal(got, tc.want) {
					t.Errorf("%s: %d rows %v, the store has %d %v", tc.name, len(got), head(got), len(tc.want), head(tc.want))
				}
			}
		})
	}
}
