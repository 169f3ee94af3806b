package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/ipamd/ipamd/store/schema"
	"github.com/ipamd/ipamd/store/storetest"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// TestEnumerateLogicalGroupNodesMatchStore: LogicalGroupNodeRoot and
// LogicalGroupNodeChildren of the built-in Managed by group (levels
// Managed by, Managed by entity) over the ranges of a converted v1 store,
// their values made various here: the roots are the distinct Managed by
// values the IPv4 ranges carry, each root's children the distinct Managed
// by entity values of the ranges that carry the root's value, each child
// with its root as AncestorNodes; the last level has no children; a path
// that does not follow the group's fields and a group that does not exist
// are IpamApiInvalidParameter. The test's own reading of the association
// table is the oracle. Both engines. Rule E8.
func TestEnumerateLogicalGroupNodesMatchStore(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			s := convertedStore(t, e.Dialect, 200)
			ctx := context.Background()
			p := s.dialect.Placeholder
			var (
				groupID int64
				stored  string
			)
			if err := s.db.QueryRow(`SELECT "RecordId", "Fields" FROM "ADM_LogicalGroupsTable" WHERE "Name" = 'Managed by'`).Scan(&groupID, &stored); err != nil {
				t.Fatal(err)
			}
			var fields []schema.LogicalGroupField
			if err := json.Unmarshal([]byte(stored), &fields); err != nil || len(fields) != 2 {
				t.Fatalf("Managed by group fields %q: %v", stored, err)
			}
			// Various values: a third of the ranges another Managed by
			// value, every other one a new Managed by entity value.
			var other, entity, nextValue int64
			if err := s.db.QueryRow(`SELECT MAX("RecordId") FROM "ADM_CustomFieldValuesTable" WHERE "CustomFieldRecordId" = `+p(1), fields[0].CustomFieldRecordId).Scan(&other); err != nil {
				t.Fatal(err)
			}
			if err := s.db.QueryRow(`SELECT MAX("RecordId") + 1 FROM "ADM_CustomFieldValuesTable"`).Scan(&nextValue); err != nil {
				t.Fatal(err)
			}
			entity = nextValue
			if _, err := s.db.Exec(`INSERT INTO "ADM_CustomFieldValuesTable" ("RecordId", "CustomFieldRecordId", "Value") VALUES (`+p(1)+`, `+p(2)+`, 'Branch office')`,
				entity, fields[1].CustomFieldRecordId); err != nil {
				t.Fatal(err)
			}
			// A v1 store of this size has few ranges: association rows of six
			// more ranges (the nodes read only the association table),
			// their Managed by values alternating, their entity values
			// the first and third the new value (so the two roots have
			// different children).
			var first [2]int64
			for i, f := range fields {
				if err := s.db.QueryRow(`SELECT MIN("RecordId") FROM "ADM_CustomFieldValuesTable" WHERE "CustomFieldRecordId" = `+p(1), f.CustomFieldRecordId).Scan(&first[i]); err != nil {
					t.Fatal(err)
				}
			}
			var assoc int64
			if err := s.db.QueryRow(`SELECT MAX("RecordId") + 1 FROM "ADM_CustomFieldValuesAssociationTable"`).Scan(&assoc); err != nil {
				t.Fatal(err)
			}
			for i := range int64(6) {
				mb, mbe := first[0], first[1]
				if i%2 == 1 {
					mb = other
				}
				if i == 0 || i == 2 {
					mbe = entity
				}
				for j, v := range []int64{mb, mbe} {
					if _, err := s.db.Exec(`INSERT INTO "ADM_CustomFieldValuesAssociationTable" ("RecordId", "ObjectType", "Af", "UsedById", "CustomFieldId", "CustomFieldValueId")
						VALUES (`+p(1)+`, 'IPRange', 'InterNetwork', `+p(2)+`, `+p(3)+`, `+p(4)+`)`, assoc, 1000+i, fields[j].CustomFieldRecordId, v); err != nil {
						t.Fatal(err)
					}
					assoc++
				}
			}
			// The oracle: each IPv4 range's value of each field.
			values := map[int64]string{}
			vrows, err := s.db.Query(`SELECT "RecordId", "Value" FROM "ADM_CustomFieldValuesTable"`)
			if err != nil {
				t.Fatal(err)
			}
			for vrows.Next() {
				var id int64
				var v string
				if err := vrows.Scan(&id, &v); err != nil {
					t.Fatal(err)
				}
				values[id] = v
			}
			vrows.Close()
			of := map[int64]map[int64]int64{} // range -> field -> value
			arows, err := s.db.Query(`SELECT "UsedById", "CustomFieldId", "CustomFieldValueId" FROM "ADM_CustomFieldValuesAssociationTable"
				WHERE "ObjectType" = 'IPRange' AND "Af" IN ('InterNetwork', 'IPv4') AND "CustomFieldValueId" IS NOT NULL`)
			if err != nil {
				t.Fatal(err)
			}
			for arows.Next() {
				var r, f, v int64
				if err := arows.Scan(&r, &f, &v); err != nil {
					t.Fatal(err)
				}
				if of[r] == nil {
					of[r] = map[int64]int64{}
				}
				of[r][f] = v
			}
			arows.Close()
			distinct := func(field int64, keep func(map[int64]int64) bool) []int64 {
				var out []int64
				for _, fv := range of {
					if v, ok := fv[field]; ok && keep(fv) && !slices.Contains(out, v) {
						out = append(out, v)
					}
				}
				slices.Sort(out)
				return out
			}
			read := func(n *NodeQuery) ([]*ipam.LogicalGroupNode, error) {
				var got []*ipam.LogicalGroupNode
				err := s.EnumerateRows(ctx, RowQuery{Kind: LogicalGroupNodeRows, Groups: &GroupQuery{Type: "Range", Node: n}}, func(o ipam.AnyIpamObject) error {
					got = append(got, o.(*ipam.LogicalGroupNode))
					return nil
				})
				return got, err
			}
			check := func(what string, got []*ipam.LogicalGroupNode, want []int64, f schema.LogicalGroupField, ancestors int) {
				t.Helper()
				var ids []int64
				for _, n := range got {
					ids = append(ids, *n.NodeCustomFieldValueID)
					if n.Type != "Range" || n.IPv6 || *n.CustomFieldRecordID != f.CustomFieldRecordId || *n.NodeLevel != f.RecordId ||
						*n.LogicalGroupRecordID != groupID || n.NodeValue == nil || *n.NodeValue != values[*n.NodeCustomFieldValueID] || len(n.AncestorNodes) != ancestors {
						t.Errorf("%s: node %+v", what, n)
					}
				}
				if fmt.Sprint(ids) != fmt.Sprint(want) {
					t.Errorf("%s: values %v, want %v", what, ids, want)
				}
			}
			roots, err := read(&NodeQuery{GroupID: groupID, Type: "Range"})
			if err != nil {
				t.Fatal(err)
			}
			wantRoots := distinct(fields[0].CustomFieldRecordId, func(map[int64]int64) bool { return true })
			if len(wantRoots) < 2 {
				t.Fatalf("the test's data has %d Managed by values, want several", len(wantRoots))
			}
			check("roots", roots, wantRoots, fields[0], 0)
			children := 0
			for _, root := range wantRoots {
				path := []NodeLevel{{CustomFieldID: fields[0].CustomFieldRecordId, ValueID: root}}
				got, err := read(&NodeQuery{GroupID: groupID, Type: "Range", Parent: path})
				if err != nil {
					t.Fatal(err)
				}
				want := distinct(fields[1].CustomFieldRecordId, func(fv map[int64]int64) bool { return fv[fields[0].CustomFieldRecordId] == root })
				check(fmt.Sprintf("children of %d", root), got, want, fields[1], 1)
				for _, c := range got {
					if a := c.AncestorNodes[0]; *a.NodeCustomFieldValueID != root || *a.NodeValue != values[root] {
						t.Errorf("child %d of %d: ancestor %+v", *c.NodeCustomFieldValueID, root, a)
					}
				}
				children += len(got)
				// The last level has no children.
				leaf := append(path, NodeLevel{CustomFieldID: fields[1].CustomFieldRecordId, ValueID: want[0]})
				if got, err := read(&NodeQuery{GroupID: groupID, Type: "Range", Parent: leaf}); err != nil || len(got) != 0 {
					t.Errorf("children of a leaf: %d, %v", len(got), err)
				}
			}
			if children <= len(wantRoots) {
				t.Errorf("%d children under %d roots: the data does not vary the second level", children, len(wantRoots))
			}
			for name, n := range map[string]*NodeQuery{
				"no such group": {GroupID: 1 << 40, Type: "Range"},
				"path off the fields": {GroupID: groupID, Type: "Range",
					Parent: []NodeLevel{{CustomFieldID: fields[1].CustomFieldRecordId, ValueID: entity}}},
				"value of another field": {GroupID: groupID, Type: "Range",
					Parent: []NodeLevel{{CustomFieldID: fields[0].CustomFieldRecordId, ValueID: entity}}},
			} {
				var exc *ipam.IpamException
				if _, err := read(n); !errors.As(err, &exc) || exc.ExceptionID != ipam.IpamApiInvalidParameter {
					t.Errorf("%s: %v, want IpamApiInvalidParameter", name, err)
				}
			}
		})
	}
}

// TestEnumerateSubnetGroupNodesMatchStore: the roots of a Subnet group
// (SubnetLogicalGroupNodeRoot) are the values of its first field among the
// subnets' associations; with an address space, among that space's
// subnets only, each node carrying the space as AddressSpaceRecordId.
// Both engines. Rule E8.
func TestEnumerateSubnetGroupNodesMatchStore(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			s := convertedStore(t, e.Dialect, 200)
			ctx := context.Background()
			p := s.dialect.Placeholder
			var subnet, space, field, group, value, assoc int64
			if err := s.db.QueryRow(`SELECT "RecordId", "AddressSpaceRecordId" FROM "ADM_IPBlocksTable" WHERE "IsSubnet" = `+p(1)+` AND "Family" = 'IPv4' ORDER BY "RecordId"`, true).Scan(&subnet, &space); err != nil {
				t.Fatal(err)
			}
			if err := s.db.QueryRow(`SELECT "RecordId" FROM "ADM_CustomFieldsTable" WHERE "BuiltinCustomFieldNumber" = 'LogicalNetwork'`).Scan(&field); err != nil {
				t.Fatal(err)
			}
			for q, into := range map[string]*int64{
				`SELECT MAX("RecordId") + 1 FROM "ADM_LogicalGroupsTable"`:                &group,
				`SELECT MAX("RecordId") + 1 FROM "ADM_CustomFieldValuesTable"`:            &value,
				`SELECT MAX("RecordId") + 1 FROM "ADM_CustomFieldValuesAssociationTable"`: &assoc,
			} {
				if err := s.db.QueryRow(q).Scan(into); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s.db.Exec(`INSERT INTO "ADM_LogicalGroupsTable" ("RecordId", "Fields", "Name", "Users", "BuiltinLogicalGroupNumber", "Origin")
				VALUES (`+p(1)+`, `+p(2)+`, 'Subnets by network', 'IPAddressSpaceManagement', 'None', 'External')`,
				group, fmt.Sprintf(`[{"RecordId":1,"CustomFieldRecordId":%d,"CustomFieldName":"Logical network"}]`, field)); err != nil {
				t.Fatal(err)
			}
			// Two values: one on the subnet, one on a subnet of no address
			// space (an id no block has).
			for i, used := range []int64{subnet, 1 << 40} {
				if _, err := s.db.Exec(`INSERT INTO "ADM_CustomFieldValuesTable" ("RecordId", "CustomFieldRecordId", "Value") VALUES (`+p(1)+`, `+p(2)+`, `+p(3)+`)`,
					value+int64(i), field, fmt.Sprint("net", i)); err != nil {
					t.Fatal(err)
				}
				if _, err := s.db.Exec(`INSERT INTO "ADM_CustomFieldValuesAssociationTable" ("RecordId", "ObjectType", "Af", "UsedById", "CustomFieldId", "CustomFieldValueId")
					VALUES (`+p(1)+`, 'IPSubnet', 'InterNetwork', `+p(2)+`, `+p(3)+`, `+p(4)+`)`, assoc+int64(i), used, field, value+int64(i)); err != nil {
					t.Fatal(err)
				}
			}
			for _, tc := range []struct {
				space *int64
				want  string
			}{{nil, fmt.Sprintf("[%d net0 0 %d net1 0]", value, value+1)}, {&space, fmt.Sprintf("[%d net0 %d]", value, space)}} {
				var got []any
				if err := s.EnumerateRows(ctx, RowQuery{Kind: LogicalGroupNodeRows, Groups: &GroupQuery{Type: "Subnet",
					Node: &NodeQuery{GroupID: group, Type: "Subnet", AddressSpaceID: tc.space}}}, func(o ipam.AnyIpamObject) error {
					n := o.(*ipam.LogicalGroupNode)
					if n.Type != "Subnet" || n.IPv6 {
						t.Errorf("node %+v", n)
					}
					got = append(got, *n.NodeCustomFieldValueID, *n.NodeValue, n.AddressSpaceRecordID)
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				if fmt.Sprint(got) != tc.want {
					t.Errorf("address space %v: %v, want %s", tc.space, got, tc.want)
				}
			}
		})
	}
}

// TestEnumerateByLogicalGroupMatchStore: the ranges and addresses of the
// built-in Managed by group (a range group) over a converted v1 store: the
// addresses of every range with a Managed by value (the whole group), of
// the ranges of one node (its Managed by value), of the ranges without a
// Managed by value (one range's value removed here), and the node's
// ranges; the test's own queries are the oracle, range by range in
// RecordId order. Both engines. Rule E8.
func TestEnumerateByLogicalGroupMatchStore(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			s := convertedStore(t, e.Dialect, 200)
			ctx := context.Background()
			p := s.dialect.Placeholder
			var group int64
			var stored string
			if err := s.db.QueryRow(`SELECT "RecordId", "Fields" FROM "ADM_LogicalGroupsTable" WHERE "Name" = 'Managed by'`).Scan(&group, &stored); err != nil {
				t.Fatal(err)
			}
			var fields []schema.LogicalGroupField
			if err := json.Unmarshal([]byte(stored), &fields); err != nil {
				t.Fatal(err)
			}
			mb := fields[0].CustomFieldRecordId
			ids := func(query string, args ...any) []int64 { return queryIDs(t, s.db, query, args...) }
			ranges := ids(`SELECT "RecordId" FROM "ADM_IPRangeTable" WHERE "Family" = 'IPv4' ORDER BY "RecordId"`)
			if len(ranges) < 2 {
				t.Fatalf("%d IPv4 ranges, want two or more", len(ranges))
			}
			// The last range loses its Managed by value: it is unmapped.
			unmapped := ranges[len(ranges)-1]
			if _, err := s.db.Exec(`DELETE FROM "ADM_CustomFieldValuesAssociationTable" WHERE "ObjectType" = 'IPRange' AND "UsedById" = `+p(1)+` AND "CustomFieldId" = `+p(2), unmapped, mb); err != nil {
				t.Fatal(err)
			}
			var value int64
			if err := s.db.QueryRow(`SELECT "CustomFieldValueId" FROM "ADM_CustomFieldValuesAssociationTable" WHERE "ObjectType" = 'IPRange' AND "UsedById" = `+p(1)+` AND "CustomFieldId" = `+p(2), ranges[0], mb).Scan(&value); err != nil {
				t.Fatal(err)
			}
			addressesOf := func(rs []int64) []int64 {
				var out []int64
				for _, r := range rs {
					out = append(out, ids(`SELECT "RecordId" FROM "ADM_IPAddressTable" WHERE "Family" = 'IPv4' AND "RangeRecordId" = `+p(1)+` ORDER BY "RecordId"`, r)...)
				}
				return out
			}
			mapped := ids(`SELECT DISTINCT "UsedById" FROM "ADM_CustomFieldValuesAssociationTable" WHERE "ObjectType" = 'IPRange' AND "Af" = 'InterNetwork' AND "CustomFieldId" = `+p(1)+` ORDER BY "UsedById"`, mb)
			ofNode := ids(`SELECT DISTINCT "UsedById" FROM "ADM_CustomFieldValuesAssociationTable" WHERE "ObjectType" = 'IPRange' AND "Af" = 'InterNetwork' AND "CustomFieldId" = `+p(1)+` AND "CustomFieldValueId" = `+p(2)+` ORDER BY "UsedById"`, mb, value)
			if slices.Contains(mapped, unmapped) || !slices.Contains(ofNode, ranges[0]) {
				t.Fatalf("the test's data: mapped %v, of the node %v", mapped, ofNode)
			}
			path := []NodeLevel{{CustomFieldID: mb, ValueID: value}}
			for _, tc := range []struct {
				name string
				kind RowKind
				n    NodeQuery
				want []int64
			}{
				{"addresses of the group", GroupAddressRows, NodeQuery{GroupID: group}, addressesOf(mapped)},
				{"addresses of the node", GroupAddressRows, NodeQuery{GroupID: group, Parent: path}, addressesOf(ofNode)},
				{"addresses not in the group", GroupAddressRows, NodeQuery{GroupID: group, Unmapped: true}, addressesOf([]int64{unmapped})},
				{"ranges of the node", GroupRangeRows, NodeQuery{GroupID: group, Parent: path}, ofNode},
			} {
				var got []int64
				n := tc.n
				n.Type = "Range"
				if err := s.EnumerateRows(ctx, RowQuery{Kind: tc.kind, Groups: &GroupQuery{Type: "Range", Node: &n}}, func(o ipam.AnyIpamObject) error {
					switch r := o.(type) {
					case *ipam.IPAddressRow:
						got = append(got, r.RecordID)
					case *ipam.IPRangeRow:
						got = append(got, r.RecordID)
					default:
						t.Errorf("%s: a %T row", tc.name, o)
					}
					return nil
				}); err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				if len(tc.want) == 0 || fmt.Sprint(got) != fmt.Sprint(tc.want) {
					t.Errorf("%s: %v, the store %v", tc.name, got, tc.want)
				}
			}
		})
	}
}
