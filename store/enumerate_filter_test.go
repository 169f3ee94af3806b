package store

import (
	"context"
	"slices"
	"strconv"
	"testing"

	"github.com/ipamd/ipamd/services"
	"github.com/ipamd/ipamd/store/storetest"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// TestEnumerateByFilterMatchStore: IpamIPSubnetByFilterEnumerationParameters
// and AddressSpaceByFilterEnumerationParameters, from their parameters
// (services.RowQueryFor) to the rows, keep exactly the subnets and address
// spaces a query of the test's own selects, for each key and for keys
// together, on both engines. The converted v1 store gets what conversion
// does not make: a customer address space holding one subnet, an empty
// subnet, and a LogicalNetwork value on a subnet. Rule E10.
func TestEnumerateByFilterMatchStore(t *testing.T) {
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
			ids := func(query string, args ...any) []int64 { return queryIDs(t, s.db, query, args...) }
			// A customer space of the default provider space, holding the
			// first IPv4 subnet.
			tenant := one(`SELECT MAX("RecordId") + 1 FROM "ADM_AddressSpaceTable"`)
			exec(`INSERT INTO "ADM_AddressSpaceTable" ("Family", "RecordId", "AddressSpaceType", "ProviderAddressSpaceRecordId", "Name")
				VALUES ('Customer', `+p(1)+`, 'Customer', 1, 'tenant')`, tenant)
			moved := one(`SELECT MIN("RecordId") FROM "ADM_IPBlocksTable" WHERE "Family" = 'IPv4' AND "IsSubnet" = `+p(1), true)
			exec(`UPDATE "ADM_IPBlocksTable" SET "AddressSpaceRecordId" = `+p(1)+` WHERE "RecordId" = `+p(2), tenant, moved)
			// An empty subnet.
			empty := one(`SELECT MAX("RecordId") + 1 FROM "ADM_IPBlocksTable"`)
			exec(`INSERT INTO "ADM_IPBlocksTable" ("Family", "RecordId", "IsSubnet", "AddressSpaceRecordId", "AddressCategory",
				"StartIPAddress", "EndIPAddress", "NetworkId", "PrefixLength", "SubnetMask", "NumberOfChildBlocks")
				VALUES ('IPv4', `+p(1)+`, `+p(2)+`, 1, 'Public', '192.0.2.0', '192.0.2.255', '192.0.2.0', 24, '255.255.255.0', 0)`, empty, true)
			exec(`INSERT INTO "ADM_SubnetTable" ("Family", "RecordId", "Name", "IsOverlapping", "UseForUtilization", "VSId", "VirtualizationType")
				VALUES ('IPv4', `+p(1)+`, 'empty', `+p(2)+`, `+p(3)+`, 0, 'NonVirtualized')`, empty, false, true)
			// A LogicalNetwork value (a free-form built-in field) on the
			// last converted subnet.
			logical := one(`SELECT MAX("RecordId") FROM "ADM_IPBlocksTable" WHERE "Family" = 'IPv4' AND "IsSubnet" = `+p(1)+` AND "RecordId" < `+p(2), true, empty)
			field := one(`SELECT "RecordId" FROM "ADM_CustomFieldsTable" WHERE "BuiltinCustomFieldNumber" = 'LogicalNetwork'`)
			exec(`INSERT INTO "ADM_CustomFieldValuesAssociationTable" ("RecordId", "ObjectType", "Af", "UsedById", "CustomFieldId", "Value")
				VALUES (`+p(1)+`, 'IPSubnet', 'IPv4', `+p(2)+`, `+p(3)+`, 'lnet')`,
				one(`SELECT COALESCE(MAX("RecordId"), 0) + 1 FROM "ADM_CustomFieldValuesAssociationTable"`), logical, field)
			var network string
			var prefix int64
			if err := s.db.QueryRow(`SELECT "NetworkId", "PrefixLength" FROM "ADM_IPBlocksTable" WHERE "RecordId" = `+p(1), logical).Scan(&network, &prefix); err != nil {
				t.Fatal(err)
			}
			network = ipam.ParseIPAddressText(network).String()

			subnets := `SELECT "RecordId" FROM "ADM_IPBlocksTable" WHERE "Family" = 'IPv4' AND "IsSubnet" = ` + p(1)
			sub := ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeIPSubnet}
			spc := ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeAddressSpace}
			bySubnet := func(kv ...string) ipam.AnyEnumerationParametersBase {
				var c []*ipam.TupleOfGetIPSubnetFilteranyType2zwQHvQz
				for i := 0; i+1 < len(kv); i += 2 {
					v := kv[i+1]
					c = append(c, &ipam.TupleOfGetIPSubnetFilteranyType2zwQHvQz{FilterCriterion: ipam.FilterCriterion{Key: kv[i], Value: &v}})
				}
				return &ipam.IpamIPSubnetByFilterEnumerationParameters{EnumerationParametersBase: sub, AddressFamily: ipam.AddressFamilyInterNetwork, FilterInfo: c}
			}
			bySpace := func(kv ...string) ipam.AnyEnumerationParametersBase {
				var c []*ipam.TupleOfGetAddressSpaceFilteranyType2zwQHvQz
				for i := 0; i+1 < len(kv); i += 2 {
					v := kv[i+1]
					c = append(c, &ipam.TupleOfGetAddressSpaceFilteranyType2zwQHvQz{FilterCriterion: ipam.FilterCriterion{Key: kv[i], Value: &v}})
				}
				return &ipam.AddressSpaceByFilterEnumerationParameters{EnumerationParametersBase: spc, FilterInfo: c}
			}
			for _, tc := range []struct {
				name string
				p    ipam.AnyEnumerationParametersBase
				want []int64
				min  int
			}{
				{"every subnet", bySubnet(), ids(subnets+` ORDER BY "RecordId"`, true), 3},
				{"the default space's subnets", bySubnet("AddressSpaceName", "DefaultIPAddressSpace"),
					ids(subnets+` AND "AddressSpaceRecordId" = 1 ORDER BY "RecordId"`, true), 2},
				{"the customer space's subnet", bySubnet("AddressSpaceName", "tenant"), []int64{moved}, 1},
				{"a network", bySubnet("NetworkId", network, "PrefixLength", "24", "PrefixLength", "16", "PrefixLength", itoa(prefix)),
					ids(subnets+` AND "RecordId" = `+p(2), true, logical), 1},
				{"a prefix length", bySubnet("PrefixLength", itoa(prefix)), ids(subnets+` AND "PrefixLength" = `+p(2)+` ORDER BY "RecordId"`, true, prefix), 1},
				{"empty subnets", bySubnet("EmptySubnets", "true"),
					ids(subnets+` AND NOT EXISTS (SELECT 1 FROM "ADM_IPRangeTable" r WHERE r."ParentIPBlockRecordId" = "ADM_IPBlocksTable"."RecordId") ORDER BY "RecordId"`, true), 1},
				{"a logical network", bySubnet("LogicalNetwork", "lnet"), []int64{logical}, 1},
				{"a logical network elsewhere", bySubnet("LogicalNetwork", "lnet", "AddressSpaceName", "tenant"), nil, 0},
				{"virtual subnets", bySubnet("VirtualizationType", "Virtual Fabric"), nil, 0},
				{"every address space", bySpace(), ids(`SELECT "RecordId" FROM "ADM_AddressSpaceTable" ORDER BY "RecordId"`), 2},
				{"customer spaces", bySpace("IPAddressSpaceType", "Customer"), []int64{tenant}, 1},
				{"provider spaces", bySpace("IPAddressSpaceType", "Provider"), ids(`SELECT "RecordId" FROM "ADM_AddressSpaceTable" WHERE "Family" = 'Provider' ORDER BY "RecordId"`), 1},
				{"spaces of the default provider", bySpace("MappingProviderAddressSpaceName", "DefaultIPAddressSpace"), []int64{tenant}, 1},
			} {
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
					case *ipam.IPBlockRow:
						got = append(got, v.RecordID)
					case *ipam.AddressSpaceRow:
						got = append(got, v.RecordID)
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

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func head(ids []int64) []int64 { return ids[:min(len(ids), 5)] }
