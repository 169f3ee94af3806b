package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ipamd/ipamd/store/schema"
	"github.com/ipamd/ipamd/store/storetest"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// TestEnumerateGroupDataMatchStore: the LogicalGroupData kinds over the
// built-in Managed by group (levels Managed by, Managed by entity) of a
// converted v1 store, read as a Range, an IPAddress and a Subnet group.
// The first three IPv4 objects of each type get the values (A, E1),
// (A, E2), (B, E1) and the last one loses its Managed by value; then the
// objects of the whole group, of the root node A, of the child node
// (A, E1) and those not in the group come out in RecordId order as the
// test's own queries of the association table say, each row the same as
// the one its own enumeration (ranges, addresses, subnets) builds; the
// IPv6 ranges of the group too. A group that does not exist and a path
// that does not follow the group's fields are IpamApiInvalidParameter.
// Both engines. Rules E8 and E23.
func TestEnumerateGroupDataMatchStore(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			s := convertedStore(t, e.Dialect, 450)
			ctx := context.Background()
			p := s.dialect.Placeholder
			ids := func(query string, args ...any) []int64 { return queryIDs(t, s.db, query, args...) }
			one := func(query string, args ...any) int64 {
				t.Helper()
				var v int64
				if err := s.db.QueryRow(query, args...).Scan(&v); err != nil {
					t.Fatalf("%s: %v", query, err)
				}
				return v
			}
			var (
				group  int64
				stored string
			)
			if err := s.db.QueryRow(`SELECT "RecordId", "Fields" FROM "ADM_LogicalGroupsTable" WHERE "Name" = 'Managed by'`).Scan(&group, &stored); err != nil {
				t.Fatal(err)
			}
			var fields []schema.LogicalGroupField
			if err := json.Unmarshal([]byte(stored), &fields); err != nil || len(fields) != 2 {
				t.Fatalf("Managed by group fields %q: %v", stored, err)
			}
			f0, f1 := fields[0].CustomFieldRecordId, fields[1].CustomFieldRecordId
			// Values: A an existing Managed by value, B and E2 new ones, E1
			// an existing Managed by entity value.
			next := one(`SELECT MAX("RecordId") + 1 FROM "ADM_CustomFieldValuesTable"`)
			a := one(`SELECT MIN("RecordId") FROM "ADM_CustomFieldValuesTable" WHERE "CustomFieldRecordId" = `+p(1), f0)
			e1 := one(`SELECT MIN("RecordId") FROM "ADM_CustomFieldValuesTable" WHERE "CustomFieldRecordId" = `+p(1), f1)
			b, e2 := next, next+1
			for _, v := range []struct {
				id, field int64
				text      string
			}{{b, f0, "Other team"}, {e2, f1, "Branch office"}} {
				if _, err := s.db.Exec(`INSERT INTO "ADM_CustomFieldValuesTable" ("RecordId", "CustomFieldRecordId", "Value") VALUES (`+p(1)+`, `+p(2)+`, `+p(3)+`)`, v.id, v.field, v.text); err != nil {
					t.Fatal(err)
				}
			}
			assoc := one(`SELECT MAX("RecordId") + 1 FROM "ADM_CustomFieldValuesAssociationTable"`)
			types := []struct {
				groupType, objectType, table, only string
				kind                               RowKind
			}{
				{"Range", "IPRange", "ADM_IPRangeTable", "", RangeRows},
				{"IPAddress", "IPAddress", "ADM_IPAddressTable", "", AddressRows},
				{"Subnet", "IPSubnet", "ADM_IPBlocksTable", ` AND "IsSubnet" = ` + p(1), SubnetRows},
			}
			for _, ty := range types {
				var args []any
				if ty.only != "" {
					args = append(args, true)
				}
				objs := ids(`SELECT "RecordId" FROM "`+ty.table+`" WHERE "Family" = 'IPv4'`+ty.only+` ORDER BY "RecordId"`, args...)
				if len(objs) < 4 {
					t.Fatalf("%d IPv4 %s objects, want four or more", len(objs), ty.objectType)
				}
				for i, vs := range [][2]int64{{a, e1}, {a, e2}, {b, e1}, {}} {
					obj := objs[i]
					if i == 3 {
						obj = objs[len(objs)-1]
					}
					if _, err := s.db.Exec(`DELETE FROM "ADM_CustomFieldValuesAssociationTable" WHERE "ObjectType" = `+p(1)+` AND "UsedById" = `+p(2)+
						` AND "CustomFieldId" IN (`+p(3)+`, `+p(4)+`)`, ty.objectType, obj, f0, f1); err != nil {
						t.Fatal(err)
					}
					if vs[0] == 0 {
						continue // unmapped
					}
					for j, v := range vs {
						if _, err := s.db.Exec(`INSERT INTO "ADM_CustomFieldValuesAssociationTable" ("RecordId", "ObjectType", "Af", "UsedById", "CustomFieldId", "CustomFieldValueId")
							VALUES (`+p(1)+`, `+p(2)+`, 'InterNetwork', `+p(3)+`, `+p(4)+`, `+p(5)+`)`, assoc, ty.objectType, obj, fields[j].CustomFieldRecordId, v); err != nil {
							t.Fatal(err)
						}
						assoc++
					}
				}
			}
			for _, ty := range types {
				// The rows as their own enumeration builds them, by id.
				built := map[int64]ipam.AnyIpamObject{}
				for _, v6 := range []bool{false, true} {
					if err := s.EnumerateRows(ctx, RowQuery{Kind: ty.kind, IPv6: v6, Blocks: &BlockQuery{}}, func(o ipam.AnyIpamObject) error {
						built[rowRecordID(o)] = o
						return nil
					}); err != nil {
						t.Fatal(err)
					}
				}
				af := func(v6 bool) string {
					if v6 {
						return `'InterNetworkV6', 'IPv6'`
					}
					return `'InterNetwork', 'IPv4'`
				}
				mapped := func(v6 bool) []int64 {
					return ids(`SELECT DISTINCT "UsedById" FROM "ADM_CustomFieldValuesAssociationTable" WHERE "ObjectType" = `+p(1)+
						` AND "Af" IN (`+af(v6)+`) AND "CustomFieldId" = `+p(2)+` ORDER BY "UsedById"`, ty.objectType, f0)
				}
				// The oracle of a node: each object's values, read once,
				// filtered here.
				has := map[int64]map[[2]int64]bool{} // object -> (field, value)
				arows, err := s.db.Query(`SELECT "UsedById", "CustomFieldId", "CustomFieldValueId" FROM "ADM_CustomFieldValuesAssociationTable"
					WHERE "ObjectType" = `+p(1)+` AND "Af" IN (`+af(false)+`) AND "CustomFieldValueId" IS NOT NULL`, ty.objectType)
				if err != nil {
					t.Fatal(err)
				}
				for arows.Next() {
					var o, f, v int64
					if err := arows.Scan(&o, &f, &v); err != nil {
						t.Fatal(err)
					}
					if has[o] == nil {
						has[o] = map[[2]int64]bool{}
					}
					has[o][[2]int64{f, v}] = true
				}
				arows.Close()
				ofValues := func(vs ...[2]int64) []int64 {
					var out []int64
					for o, fv := range has {
						if !slices.ContainsFunc(vs, func(v [2]int64) bool { return !fv[v] }) {
							out = append(out, o)
						}
					}
					slices.Sort(out)
					return out
				}
				var onlyArgs []any
				if ty.only != "" {
					onlyArgs = append(onlyArgs, true)
				}
				only := ty.only
				if e.Dialect == schema.PostgreSQL && only != "" {
					only = ` AND "IsSubnet" = $3`
				}
				unmapped := ids(`SELECT o."RecordId" FROM "`+ty.table+`" o WHERE o."Family" = 'IPv4' AND NOT EXISTS (SELECT 1 FROM "ADM_CustomFieldValuesAssociationTable" x
					WHERE x."ObjectType" = `+p(1)+` AND x."UsedById" = o."RecordId" AND x."CustomFieldId" = `+p(2)+`)`+only+` ORDER BY o."RecordId"`,
					append([]any{ty.objectType, f0}, onlyArgs...)...)
				rootA := []NodeLevel{{CustomFieldID: f0, ValueID: a}}
				childAE1 := []NodeLevel{{CustomFieldID: f0, ValueID: a}, {CustomFieldID: f1, ValueID: e1}}
				for _, tc := range []struct {
					name string
					v6   bool
					n    NodeQuery
					want []int64
				}{
					{"the group", false, NodeQuery{}, mapped(false)},
					{"the group, IPv6", true, NodeQuery{}, mapped(true)},
					{"node A", false, NodeQuery{Parent: rootA}, ofValues([2]int64{f0, a})},
					{"node A / E1", false, NodeQuery{Parent: childAE1}, ofValues([2]int64{f0, a}, [2]int64{f1, e1})},
					{"not in the group", false, NodeQuery{Unmapped: true}, unmapped},
				} {
					if !tc.v6 && (len(tc.want) == 0 || (tc.name != "not in the group" && len(tc.want) >= len(built))) {
						t.Fatalf("%s %s: the test's data selects %v", ty.groupType, tc.name, tc.want)
					}
					n := tc.n
					n.GroupID, n.Type = group, ty.groupType
					var got []int64
					if err := s.EnumerateRows(ctx, RowQuery{Kind: GroupDataRows, IPv6: tc.v6, Groups: &GroupQuery{Type: ty.groupType, Node: &n}}, func(o ipam.AnyIpamObject) error {
						id := rowRecordID(o)
						got = append(got, id)
						if !reflect.DeepEqual(o, built[id]) {
							t.Errorf("%s %s: row %d is not the one its own enumeration builds:\n%+v\n%+v", ty.groupType, tc.name, id, o, built[id])
						}
						return nil
					}); err != nil {
						t.Fatalf("%s %s: %v", ty.groupType, tc.name, err)
					}
					if fmt.Sprint(got) != fmt.Sprint(tc.want) {
						t.Errorf("%s %s: %v, the store %v", ty.groupType, tc.name, got, tc.want)
					}
				}
			}
			for _, tc := range []struct {
				name string
				n    NodeQuery
			}{
				{"no such group", NodeQuery{GroupID: 1 << 40}},
				{"a path off the fields", NodeQuery{GroupID: group, Parent: []NodeLevel{{CustomFieldID: f1, ValueID: e1}}}},
			} {
				n := tc.n
				n.Type = "Range"
				err := s.EnumerateRows(ctx, RowQuery{Kind: GroupDataRows, Groups: &GroupQuery{Type: "Range", Node: &n}}, func(ipam.AnyIpamObject) error { return nil })
				var exc *ipam.IpamException
				if !errors.As(err, &exc) || exc.ExceptionID != ipam.IpamApiInvalidParameter {
					t.Errorf("%s: %v, want IpamApiInvalidParameter", tc.name, err)
				}
			}
		})
	}
}

// rowRecordID is the RecordId of a range, address or block row.
func rowRecordID(o ipam.AnyIpamObject) int64 {
	switch r := o.(type) {
	case *ipam.IPRangeRow:
		return r.RecordID
	case *ipam.IPAddressRow:
		return r.RecordID
	case *ipam.IPBlockRow:
		return r.RecordID
	}
	return -1
}

// TestGroupServerIDsMatchStore: the servers an ActiveServer logical group
// selects (groupObjectIDs of ObjectType ServerInfo, which the ServerInfo
// row builder will take): without a family, those with a value of the
// group's first field, those with a node's value, and the servers without
// one; the built-in Managed by group over the servers of a converted v1
// store, two of them given Managed by values here. Both engines. Rule E23.
func TestGroupServerIDsMatchStore(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			s := convertedStore(t, e.Dialect, 200)
			ctx := context.Background()
			p := s.dialect.Placeholder
			servers := queryIDs(t, s.db, `SELECT "RecordId" FROM "ADM_ServersTable" ORDER BY "RecordId"`)
			if len(servers) < 3 {
				t.Fatalf("%d servers, want three or more", len(servers))
			}
			var group, field, value, assoc int64
			var stored string
			if err := s.db.QueryRow(`SELECT "RecordId", "Fields" FROM "ADM_LogicalGroupsTable" WHERE "Name" = 'Managed by'`).Scan(&group, &stored); err != nil {
				t.Fatal(err)
			}
			var fields []schema.LogicalGroupField
			if err := json.Unmarshal([]byte(stored), &fields); err != nil || len(fields) == 0 {
				t.Fatalf("Managed by group fields %q: %v", stored, err)
			}
			field = fields[0].CustomFieldRecordId
			for q, into := range map[string]*int64{
				`SELECT MAX("RecordId") + 1 FROM "ADM_CustomFieldValuesAssociationTable"`:                        &assoc,
				`SELECT MIN("RecordId") FROM "ADM_CustomFieldValuesTable" WHERE "CustomFieldRecordId" = ` + p(1): &value,
			} {
				args := []any{}
				if strings.Contains(q, "CustomFieldRecordId") {
					args = append(args, field)
				}
				if err := s.db.QueryRow(q, args...).Scan(into); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s.db.Exec(`DELETE FROM "ADM_CustomFieldValuesAssociationTable" WHERE "ObjectType" = 'ServerInfo'`); err != nil {
				t.Fatal(err)
			}
			// The first server the node's value, the second another value
			// of the field (the association's free Value, no value row).
			for i, v := range []any{value, nil} {
				if _, err := s.db.Exec(`INSERT INTO "ADM_CustomFieldValuesAssociationTable" ("RecordId", "ObjectType", "UsedById", "CustomFieldId", "CustomFieldValueId", "Value")
					VALUES (`+p(1)+`, 'ServerInfo', `+p(2)+`, `+p(3)+`, `+p(4)+`, 'x')`, assoc+int64(i), servers[i], field, v); err != nil {
					t.Fatal(err)
				}
			}
			for _, tc := range []struct {
				name string
				n    NodeQuery
				v6   bool
				want []int64
			}{
				{"the group", NodeQuery{}, false, servers[:2]},
				{"the group, V6", NodeQuery{}, true, servers[:2]},
				{"the node", NodeQuery{Parent: []NodeLevel{{CustomFieldID: field, ValueID: value}}}, false, servers[:1]},
				{"not in the group", NodeQuery{Unmapped: true}, false, servers[2:]},
			} {
				n := tc.n
				n.GroupID, n.Type = group, "ManagedServer"
				tx, err := s.db.BeginTx(ctx, nil)
				if err != nil {
					t.Fatal(err)
				}
				q := RowQuery{Kind: GroupDataRows, IPv6: tc.v6, Groups: &GroupQuery{Type: n.Type, Node: &n}}
				got, err := s.groupObjectIDs(ctx, tx, q, "ServerInfo")
				if err != nil || fmt.Sprint(got) != fmt.Sprint(tc.want) {
					t.Errorf("%s: %v %v, the store %v", tc.name, got, err, tc.want)
				}
				// The enumeration sends those servers as ServerInfo rows.
				var rows []int64
				err = s.enumerateGroupData(ctx, tx, q, func(o ipam.AnyIpamObject) error {
					r, ok := o.(*ipam.ServerInfoRow)
					if !ok {
						return fmt.Errorf("row %T, want ServerInfo", o)
					}
					rows = append(rows, r.RecordID)
					return nil
				})
				_ = tx.Rollback()
				if err != nil || fmt.Sprint(rows) != fmt.Sprint(tc.want) {
					t.Errorf("%s: rows %v %v, the store %v", tc.name, rows, err, tc.want)
				}
			}
		})
	}
}
