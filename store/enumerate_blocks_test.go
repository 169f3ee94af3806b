package store

import (
	"context"
	"fmt"
	"testing"

	"github.com/ipamd/ipamd/store/schema"
	"github.com/ipamd/ipamd/store/storetest"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// keyedRow is what the tests below compare of a row: its RecordId, a
// key member (an address or a name) and how many custom field values (or
// permitted values) it carries.
type keyedRow struct {
	id     int64
	key    string
	values int
}

// keyed reads a row of this file's kinds as a keyedRow.
func keyed(t *testing.T, o ipam.AnyIpamObject) keyedRow {
	t.Helper()
	switch v := o.(type) {
	case *ipam.IPBlockRow:
		return keyedRow{v.RecordID, v.StartIPAddress.String(), len(v.CustomFieldValues)}
	case *ipam.AddressSpaceRow:
		return keyedRow{v.RecordID, *v.Name, len(v.CustomFieldValues)}
	case *ipam.CustomFieldRow:
		return keyedRow{v.RecordID, *v.Name, len(v.Values)}
	}
	t.Fatalf("unexpected row %T", o)
	return keyedRow{}
}

// queryKeyed reads what an enumeration must return, by a query of its own
// (id, key, count).
func queryKeyed(t *testing.T, s *Store, query string, args ...any) []keyedRow {
	t.Helper()
	rows, err := s.db.Query(query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []keyedRow
	for rows.Next() {
		var r keyedRow
		if err := rows.Scan(&r.id, &r.key, &r.values); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func blockQuery(where string, objectTypes string) string {
	return `SELECT b."RecordId", b."StartIPAddress",
		(SELECT COUNT(*) FROM "ADM_CustomFieldValuesAssociationTable" c WHERE c."ObjectType" IN (` + objectTypes + `) AND c."UsedById" = b."RecordId")
		FROM "ADM_IPBlocksTable" b WHERE ` + where + ` ORDER BY b."RecordId"`
}

// TestEnumerateBlocksMatchStore: blocks, subnets, address spaces and custom
// fields of a converted v1 store come out one for one, in RecordId order,
// with their addresses or names and their custom field values (permitted
// values for custom fields), under every selection the parameter types
// make, on both engines.
func TestEnumerateBlocksMatchStore(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			s := convertedStore(t, e.Dialect, 3000)
			ctx := context.Background()
			p := s.dialect.Placeholder
			var parent, subnetParent int64
			if err := s.db.QueryRow(`SELECT "ParentBlockRecordId" FROM "ADM_IPBlocksTable" WHERE "IsSubnet" = `+p(1)+` AND "Family" = 'IPv4' AND "ParentBlockRecordId" IS NOT NULL ORDER BY "RecordId" LIMIT 1`, false).Scan(&parent); err != nil {
				t.Fatalf("a child block: %v", err)
			}
			if err := s.db.QueryRow(`SELECT "ParentBlockRecordId" FROM "ADM_IPBlocksTable" WHERE "IsSubnet" = `+p(1)+` AND "Family" = 'IPv4' AND "ParentBlockRecordId" IS NOT NULL ORDER BY "RecordId" LIMIT 1`, true).Scan(&subnetParent); err != nil {
				t.Fatalf("a subnet with a parent block: %v", err)
			}
			// One subnet no range maps to (a converted v1 store has none:
			// conversion made each subnet for a range).
			var empty int64
			if err := s.db.QueryRow(`SELECT MAX("RecordId") + 1 FROM "ADM_IPBlocksTable"`).Scan(&empty); err != nil {
				t.Fatal(err)
			}
			if _, err := s.db.Exec(`INSERT INTO "ADM_IPBlocksTable" ("Family", "RecordId", "IsSubnet", "AddressSpaceRecordId", "AddressCategory",
				"StartIPAddress", "EndIPAddress", "NetworkId", "PrefixLength", "SubnetMask", "NumberOfChildBlocks")
				VALUES ('IPv4', `+p(1)+`, `+p(2)+`, 1, 'Public', '192.0.2.0', '192.0.2.255', '192.0.2.0', 24, '255.255.255.0', 0)`, empty, true); err != nil {
				t.Fatal(err)
			}
			if _, err := s.db.Exec(`INSERT INTO "ADM_SubnetTable" ("Family", "RecordId", "Name", "IsOverlapping", "UseForUtilization", "VSId", "VirtualizationType")
				VALUES ('IPv4', `+p(1)+`, 'empty', `+p(2)+`, `+p(3)+`, 0, 'NonVirtualized')`, empty, false, true); err != nil {
				t.Fatal(err)
			}
			// Custom field values on a block, a subnet and an address space
			// (a converted v1 store has them on ranges and addresses only):
			// RIR = its first value on the first IPv4 block and on space 1, a
			// free value on the empty subnet.
			var rir, rirValue, assoc, block int64
			if err := s.db.QueryRow(`SELECT f."RecordId", MIN(v."RecordId") FROM "ADM_CustomFieldsTable" f JOIN "ADM_CustomFieldValuesTable" v
				ON v."CustomFieldRecordId" = f."RecordId" WHERE f."BuiltinCustomFieldNumber" = 'Rir' GROUP BY f."RecordId"`).Scan(&rir, &rirValue); err != nil {
				t.Fatalf("the RIR field: %v", err)
			}
			if err := s.db.QueryRow(`SELECT COALESCE(MAX("RecordId"), 0) + 1 FROM "ADM_CustomFieldValuesAssociationTable"`).Scan(&assoc); err != nil {
				t.Fatal(err)
			}
			if err := s.db.QueryRow(`SELECT MIN("RecordId") FROM "ADM_IPBlocksTable" WHERE "IsSubnet" = `+p(1)+` AND "Family" = 'IPv4'`, false).Scan(&block); err != nil {
				t.Fatal(err)
			}
			for i, a := range []struct {
				objectType string
				id         int64
				valueID    any
				value      any
			}{{"IPBlock", block, rirValue, nil}, {"AddressSpace", 1, rirValue, nil}, {"IPSubnet", empty, nil, "lab"}} {
				if _, err := s.db.Exec(`INSERT INTO "ADM_CustomFieldValuesAssociationTable" ("RecordId", "ObjectType", "Af", "UsedById", "CustomFieldId", "CustomFieldValueId", "Value")
					VALUES (`+p(1)+`, `+p(2)+`, 'IPv4', `+p(3)+`, `+p(4)+`, `+p(5)+`, `+p(6)+`)`, assoc+int64(i), a.objectType, a.id, rir, a.valueID, a.value); err != nil {
					t.Fatalf("associate %s: %v", a.objectType, err)
				}
			}
			name := "Managed by"
			private, space := "Private", int64(1)
			provider := "Provider"
			for _, tc := range []struct {
				name string
				q    RowQuery
				want string
				args []any
				min  int
			}{
				{"all IPv4 blocks", RowQuery{Kind: BlockRows}, blockQuery(`b."Family" = 'IPv4' AND b."IsSubnet" = `+p(1), `'IPBlock'`), []any{false}, 1},
				{"all IPv6 blocks", RowQuery{Kind: BlockRows, IPv6: true}, blockQuery(`b."Family" = 'IPv6' AND b."IsSubnet" = `+p(1), `'IPBlock'`), []any{false}, 1},
				{"root IPv4 blocks", RowQuery{Kind: BlockRows, Blocks: &BlockQuery{RootOnly: true}},
					blockQuery(`b."Family" = 'IPv4' AND b."IsSubnet" = `+p(1)+` AND b."ParentBlockRecordId" IS NULL`, `'IPBlock'`), []any{false}, 1},
				{"child blocks", RowQuery{Kind: BlockRows, Blocks: &BlockQuery{ParentBlockID: &parent}},
					blockQuery(`b."Family" = 'IPv4' AND b."IsSubnet" = `+p(1)+` AND b."ParentBlockRecordId" = `+p(2), `'IPBlock'`), []any{false, parent}, 1},
				{"all IPv4 subnets", RowQuery{Kind: SubnetRows}, blockQuery(`b."Family" = 'IPv4' AND b."IsSubnet" = `+p(1), `'IPBlock', 'IPSubnet'`), []any{true}, 1},
				{"all IPv6 subnets", RowQuery{Kind: SubnetRows, IPv6: true}, blockQuery(`b."Family" = 'IPv6' AND b."IsSubnet" = `+p(1), `'IPBlock', 'IPSubnet'`), []any{true}, 1},
				{"direct child subnets", RowQuery{Kind: SubnetRows, Blocks: &BlockQuery{ParentBlockID: &subnetParent}},
					blockQuery(`b."Family" = 'IPv4' AND b."IsSubnet" = `+p(1)+` AND b."ParentBlockRecordId" = `+p(2), `'IPBlock', 'IPSubnet'`), []any{true, subnetParent}, 1},
				{"empty subnets", RowQuery{Kind: SubnetRows, Blocks: &BlockQuery{EmptyOnly: true}},
					blockQuery(`b."Family" = 'IPv4' AND b."IsSubnet" = `+p(1)+` AND NOT EXISTS (SELECT 1 FROM "ADM_IPRangeTable" r WHERE r."ParentIPBlockRecordId" = b."RecordId")`, `'IPBlock', 'IPSubnet'`), []any{true}, 1},
				{"subnets by category", RowQuery{Kind: SubnetRows, Category: &private},
					blockQuery(`b."Family" = 'IPv4' AND b."IsSubnet" = `+p(1)+` AND b."AddressCategory" = 'Private'`, `'IPBlock', 'IPSubnet'`), []any{true}, 1},
				{"subnets of the default space, non-virtualized", RowQuery{Kind: SubnetRows, AddressSpaceID: &space, Virtualization: []string{"NonVirtualized"}},
					blockQuery(`b."Family" = 'IPv4' AND b."IsSubnet" = `+p(1)+` AND b."AddressSpaceRecordId" = 1`, `'IPBlock', 'IPSubnet'`), []any{true}, 2},
				{"virtual subnets", RowQuery{Kind: SubnetRows, Virtualization: []string{"Virtual", "Fabric"}},
					blockQuery(`b."Family" = 'IPv4' AND b."IsSubnet" = `+p(1)+` AND 1 = 0`, `'IPBlock'`), []any{true}, 0},
				{"address spaces", RowQuery{Kind: AddressSpaceRows}, `SELECT a."RecordId", a."Name",
					(SELECT COUNT(*) FROM "ADM_CustomFieldValuesAssociationTable" c WHERE c."ObjectType" = 'AddressSpace' AND c."UsedById" = a."RecordId")
					FROM "ADM_AddressSpaceTable" a ORDER BY a."RecordId"`, nil, 1},
				{"provider address spaces", RowQuery{Kind: AddressSpaceRows, Blocks: &BlockQuery{SpaceType: &provider}}, `SELECT a."RecordId", a."Name",
					(SELECT COUNT(*) FROM "ADM_CustomFieldValuesAssociationTable" c WHERE c."ObjectType" = 'AddressSpace' AND c."UsedById" = a."RecordId")
					FROM "ADM_AddressSpaceTable" a WHERE a."Family" = 'Provider' ORDER BY a."RecordId"`, nil, 1},
				{"custom fields", RowQuery{Kind: CustomFieldRows}, `SELECT f."RecordId", f."Name",
					(SELECT COUNT(*) FROM "ADM_CustomFieldValuesTable" v WHERE v."CustomFieldRecordId" = f."RecordId" AND f."Type" = 'Multivalued')
					FROM "ADM_CustomFieldsTable" f ORDER BY f."RecordId"`, nil, 18},
				{"custom field by name", RowQuery{Kind: CustomFieldRows, Blocks: &BlockQuery{Name: &name}}, `SELECT f."RecordId", f."Name",
					(SELECT COUNT(*) FROM "ADM_CustomFieldValuesTable" v WHERE v."CustomFieldRecordId" = f."RecordId")
					FROM "ADM_CustomFieldsTable" f WHERE f."Name" = 'Managed by'`, nil, 1},
			} {
				want := queryKeyed(t, s, tc.want, tc.args...)
				if len(want) < tc.min {
					t.Fatalf("%s: the converted store has %d rows, want at least %d", tc.name, len(want), tc.min)
				}
				var got []keyedRow
				values := 0
				err := s.EnumerateRows(ctx, tc.q, func(o ipam.AnyIpamObject) error {
					got = append(got, keyed(t, o))
					var cfv []*ipam.CustomFieldValue
					switch v := o.(type) {
					case *ipam.IPBlockRow:
						cfv = v.CustomFieldValues
					case *ipam.AddressSpaceRow:
						cfv = v.CustomFieldValues
					}
					for _, c := range cfv {
						values++
						if c.ParentCustomFieldRecordID != rir || c.ParentCustomFieldName != "RIR" || c.ParentCustomFieldNumber != 1 ||
							(c.RecordID != rirValue && c.Value != "lab") || c.Value == "" {
							t.Errorf("%s: custom field value %+v", tc.name, *c)
						}
					}
					if b, ok := o.(*ipam.IPBlockRow); ok && (b.Subnet != nil) != (tc.q.Kind == SubnetRows) {
						t.Errorf("%s: row %d subnet members %v", tc.name, b.RecordID, b.Subnet != nil)
					}
					return nil
				})
				if err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				if len(got) != len(want) {
					t.Fatalf("%s: %d rows, the store has %d", tc.name, len(got), len(want))
				}
				if (tc.name == "all IPv4 blocks" || tc.name == "address spaces" || tc.name == "empty subnets") && values != 1 {
					t.Errorf("%s: %d custom field values, want the one associated above", tc.name, values)
				}
				for i := range want {
					w := want[i]
					if a := ipam.ParseIPAddressText(w.key); a.IsValid() {
						w.key = a.String()
					}
					if got[i] != w {
						t.Errorf("%s row %d: got %+v, store %+v", tc.name, i, got[i], w)
						break
					}
				}
			}
		})
	}
}

// TestEnumerateSubnetsWithinBlock: IpamIPSubnetsByBlockId selects the
// subnets inside the block's bounds (3.5.4.8.1.53), checked against the
// ranges of the subnets themselves.
func TestEnumerateSubnetsWithinBlock(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			s := convertedStore(t, e.Dialect, 1500)
			ctx := context.Background()
			var all []*ipam.IPBlockRow
			collect := func(q RowQuery) []*ipam.IPBlockRow {
				var out []*ipam.IPBlockRow
				if err := s.EnumerateRows(ctx, q, func(o ipam.AnyIpamObject) error {
					out = append(out, o.(*ipam.IPBlockRow))
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				return out
			}
			all = collect(RowQuery{Kind: SubnetRows})
			blocks := collect(RowQuery{Kind: BlockRows})
			tested := 0
			for _, b := range blocks {
				id := b.RecordID
				got := collect(RowQuery{Kind: SubnetRows, Blocks: &BlockQuery{WithinBlockID: &id}})
				var want []int64
				for _, sn := range all {
					if sn.ParentIPBlockRecordID != nil && !sn.StartIPAddress.Less(b.StartIPAddress) && !b.EndIPAddress.Less(sn.EndIPAddress) &&
						sn.PrefixLength >= b.PrefixLength && sn.AddressSpaceRecordID == b.AddressSpaceRecordID {
						want = append(want, sn.RecordID)
					}
				}
				if fmt.Sprint(ids(got)) != fmt.Sprint(want) {
					t.Fatalf("block %d (%s-%s): subnets %v, want %v", id, b.StartIPAddress, b.EndIPAddress, ids(got), want)
				}
				if len(want) > 0 {
					tested++
				}
			}
			if tested == 0 {
				t.Fatal("no block of the converted store holds a subnet")
			}
			missing := int64(-1)
			if got := collect(RowQuery{Kind: SubnetRows, Blocks: &BlockQuery{WithinBlockID: &missing}}); len(got) != 0 {
				t.Errorf("subnets of a missing block: %d", len(got))
			}
		})
	}
}

func ids(rows []*ipam.IPBlockRow) []int64 {
	out := []int64{}
	for _, r := range rows {
		out = append(out, r.RecordID)
	}
	return out
}

// TestEnumerateCustomFieldNumbers: a row's custom field values carry the
// built-in field's number (the BuiltInCustomField value of the stored
// literal), on ranges and addresses as on the rows of this file.
func TestEnumerateCustomFieldNumbers(t *testing.T) {
	s := convertedStore(t, schema.SQLite, 1500)
	want := map[string]int32{}
	for _, f := range schema.BuiltinCustomFields {
		want[f.Literal] = int32(f.Number)
	}
	var lits = map[int64]string{}
	rows, err := s.db.Query(`SELECT "RecordId", COALESCE("BuiltinCustomFieldNumber", '') FROM "ADM_CustomFieldsTable"`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var lit string
		if err := rows.Scan(&id, &lit); err != nil {
			t.Fatal(err)
		}
		lits[id] = lit
	}
	rows.Close()
	checked := 0
	for _, kind := range []RowKind{RangeRows, AddressRows} {
		err := s.EnumerateRows(context.Background(), RowQuery{Kind: kind}, func(o ipam.AnyIpamObject) error {
			var cfv []*ipam.CustomFieldValue
			switch v := o.(type) {
			case *ipam.IPRangeRow:
				cfv = v.CustomFieldValues
			case *ipam.IPAddressRow:
				cfv = v.CustomFieldValues
			}
			for _, c := range cfv {
				if n, builtin := want[lits[c.ParentCustomFieldRecordID]]; builtin {
					checked++
					if c.ParentCustomFieldNumber != n {
						t.Fatalf("value %+v: ParentCustomFieldNumber %d, want %d (%s)", *c, c.ParentCustomFieldNumber, n, lits[c.ParentCustomFieldRecordID])
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if checked == 0 {
		t.Fatal("no built-in custom field value on the converted store's ranges and addresses")
	}
}
