package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ipamd/ipamd/store/schema"
	"github.com/ipamd/ipamd/store/storetest"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// groupOf is what TestEnumerateLogicalGroupsMatchStore compares of a
// logical group: RecordId, name and its fields' custom field ids.
type groupOf struct {
	id     int64
	name   string
	fields string
}

// TestEnumerateLogicalGroupsMatchStore: LogicalGroupsEnumerationParameters
// reads the groups of a converted v1 store (its built-in groups) and two
// groups added here, one for servers and one for both kinds of users, one
// for one with a query of the test's own: the users the group type asks
// for, the name, the fields in hierarchy order; each row of the type the
// group type and family pick. Both engines. Rule E8.
func TestEnumerateLogicalGroupsMatchStore(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			s := convertedStore(t, e.Dialect, 200)
			ctx := context.Background()
			p := s.dialect.Placeholder
			var next int64
			if err := s.db.QueryRow(`SELECT MAX("RecordId") + 1 FROM "ADM_LogicalGroupsTable"`).Scan(&next); err != nil {
				t.Fatal(err)
			}
			for i, g := range []struct{ name, users, fields string }{
				{"Servers by site", "ServerManagement", `[{"RecordId":1,"CustomFieldRecordId":5,"CustomFieldName":"AD site"}]`},
				{"Everyone's", "IPAddressSpaceManagement ServerManagement", `[]`},
			} {
				if _, err := s.db.Exec(`INSERT INTO "ADM_LogicalGroupsTable" ("RecordId", "Fields", "Name", "Users", "BuiltinLogicalGroupNumber", "Origin")
					VALUES (`+p(1)+`, `+p(2)+`, `+p(3)+`, `+p(4)+`, 'None', 'External')`, next+int64(i), g.fields, g.name, g.users); err != nil {
					t.Fatalf("add group %s: %v", g.name, err)
				}
			}
			// The test's own reading: every group with its users and field ids.
			type stored struct {
				groupOf
				users string
			}
			var all []stored
			rows, err := s.db.Query(`SELECT "RecordId", "Name", "Users", "Fields" FROM "ADM_LogicalGroupsTable" ORDER BY "RecordId"`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var g stored
				var fields string
				if err := rows.Scan(&g.id, &g.name, &g.users, &fields); err != nil {
					t.Fatal(err)
				}
				var fs []schema.LogicalGroupField
				if err := json.Unmarshal([]byte(fields), &fs); err != nil {
					t.Fatalf("group %d fields %q: %v", g.id, fields, err)
				}
				var ids []string
				for _, f := range fs {
					ids = append(ids, fmt.Sprint(f.CustomFieldRecordId))
				}
				g.fields = strings.Join(ids, ",")
				all = append(all, g)
			}
			if err := rows.Close(); err != nil {
				t.Fatal(err)
			}
			want := func(users string, name *string) []groupOf {
				var out []groupOf
				for _, g := range all {
					if slices.Contains(strings.Fields(g.users), users) && (name == nil || *name == g.name) {
						out = append(out, g.groupOf)
					}
				}
				return out
			}
			managedBy := "Managed by"
			for _, tc := range []struct {
				name     string
				g        GroupQuery
				ipv6     bool
				users    string
				rowType  string
				atLeast  int
				wantName *string
			}{
				{"range groups", GroupQuery{Type: "Range", Users: "IPAddressSpaceManagement"}, false, "IPAddressSpaceManagement", "IPv4RangeLogicalGroup", 4, nil},
				{"IPv6 address groups", GroupQuery{Type: "IPAddress", Users: "IPAddressSpaceManagement"}, true, "IPAddressSpaceManagement", "IpamIPv6AddressLogicalGroup", 4, nil},
				{"server groups", GroupQuery{Type: "ManagedServer", Users: "ServerManagement"}, false, "ServerManagement", "ActiveServerV4LogicalGroup", 2, nil},
				{"subnet groups by name", GroupQuery{Type: "Subnet", Users: "IPAddressSpaceManagement", Name: &managedBy}, true, "IPAddressSpaceManagement", "IPv6SubnetLogicalGroup", 1, &managedBy},
			} {
				exp := want(tc.users, tc.wantName)
				if len(exp) < tc.atLeast {
					t.Fatalf("%s: the store has %d groups, want at least %d", tc.name, len(exp), tc.atLeast)
				}
				var got []groupOf
				err := s.EnumerateRows(ctx, RowQuery{Kind: LogicalGroupRows, IPv6: tc.ipv6, Groups: &tc.g}, func(o ipam.AnyIpamObject) error {
					g, ok := o.(*ipam.LogicalGroupRow)
					if !ok {
						return fmt.Errorf("row %T", o)
					}
					var ids []string
					for _, f := range g.Fields {
						ids = append(ids, fmt.Sprint(f.CustomFieldRecordID))
						if f.CustomFieldName == nil || *f.CustomFieldName == "" {
							t.Errorf("%s: group %d field %d has no name", tc.name, g.RecordID, f.RecordID)
						}
					}
					got = append(got, groupOf{g.RecordID, *g.Name, strings.Join(ids, ",")})
					if typ := typeOf(g); typ != tc.rowType {
						t.Errorf("%s: group %d is an %s, want %s", tc.name, g.RecordID, typ, tc.rowType)
					}
					if !slices.Contains(strings.Fields(g.Users), tc.users) || g.Origin == "" {
						t.Errorf("%s: group %d Users %q Origin %q", tc.name, g.RecordID, g.Users, g.Origin)
					}
					if g.Name != nil && *g.Name == "Managed by" && (g.BuiltInLogicalGroupNumber != "ManagedBy" || g.Origin != "BuiltIn") {
						t.Errorf("%s: the built-in group Managed by reads as %s / %s", tc.name, g.BuiltInLogicalGroupNumber, g.Origin)
					}
					return nil
				})
				if err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				if !slices.Equal(got, exp) {
					t.Errorf("%s:\n got   %+v\n store %+v", tc.name, got, exp)
				}
			}
		})
	}
}

// typeOf is the i:type a row is written with.
func typeOf(o ipam.AnyIpamObject) string {
	var w typeRecorder
	_ = ipam.WriteItem(&w, o)
	return w.typ
}

// TestEnumerateCustomFieldAssociationsMatchStore: the value links of
// ADM_MultiValueCustomFieldValueAssociationTable (empty after a conversion:
// links are added here between the values of two pairs of multivalued
// fields) come out as one CustomFieldAssociation per pair of fields, each
// with both fields, their permitted values, and every linked pair of values,
// as the test's own query groups them. Both engines. Rule E8.
func TestEnumerateCustomFieldAssociationsMatchStore(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			s := convertedStore(t, e.Dialect, 100)
			ctx := context.Background()
			p := s.dialect.Placeholder
			empty := 0
			if err := s.EnumerateRows(ctx, RowQuery{Kind: CustomFieldAssociationRows}, func(ipam.AnyIpamObject) error { empty++; return nil }); err != nil || empty != 0 {
				t.Fatalf("a converted store: %d associations, %v; want none", empty, err)
			}
			valuesOf := func(field string) []int64 {
				out := queryIDs(t, s.db, `SELECT v."RecordId" FROM "ADM_CustomFieldValuesTable" v JOIN "ADM_CustomFieldsTable" f
					ON f."RecordId" = v."CustomFieldRecordId" WHERE f."BuiltinCustomFieldNumber" = `+p(1)+` ORDER BY v."RecordId"`, field)
				if len(out) < 2 {
					t.Fatalf("field %s has %d values", field, len(out))
				}
				return out
			}
			managedBy, state, device := valuesOf("ManagedBy"), valuesOf("IPAddressState"), valuesOf("DeviceType")
			links := [][2]int64{{managedBy[0], state[0]}, {managedBy[1], state[0]}, {managedBy[0], state[1]}, {device[1], managedBy[0]}}
			for _, l := range links {
				if _, err := s.db.Exec(`INSERT INTO "ADM_MultiValueCustomFieldValueAssociationTable" ("CustomFieldValueId1", "CustomFieldValueId2")
					VALUES (`+p(1)+`, `+p(2)+`)`, l[0], l[1]); err != nil {
					t.Fatal(err)
				}
			}
			// The test's own grouping: by (field of value 1, field of value 2).
			type assoc struct {
				f1, f2 int64
				pairs  string
			}
			var want []assoc
			rows, err := s.db.Query(`SELECT v1."CustomFieldRecordId", v2."CustomFieldRecordId", a."CustomFieldValueId1", a."CustomFieldValueId2"
				FROM "ADM_MultiValueCustomFieldValueAssociationTable" a
				JOIN "ADM_CustomFieldValuesTable" v1 ON v1."RecordId" = a."CustomFieldValueId1"
				JOIN "ADM_CustomFieldValuesTable" v2 ON v2."RecordId" = a."CustomFieldValueId2"
				ORDER BY 1, 2, 3, 4`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var f1, f2, a, b int64
				if err := rows.Scan(&f1, &f2, &a, &b); err != nil {
					t.Fatal(err)
				}
				if n := len(want); n == 0 || want[n-1].f1 != f1 || want[n-1].f2 != f2 {
					want = append(want, assoc{f1: f1, f2: f2})
				}
				want[len(want)-1].pairs += fmt.Sprintf("%d-%d ", a, b)
			}
			if err := rows.Close(); err != nil {
				t.Fatal(err)
			}
			if len(want) != 2 {
				t.Fatalf("the links make %d pairs of fields, want 2", len(want))
			}
			var got []assoc
			var permitted int
			err = s.EnumerateRows(ctx, RowQuery{Kind: CustomFieldAssociationRows}, func(o ipam.AnyIpamObject) error {
				a := o.(*ipam.CustomFieldAssociationRow)
				g := assoc{f1: a.CustomField1.RecordID, f2: a.CustomField2.RecordID}
				for _, pr := range a.Pairs {
					if pr[0] == nil || pr[1] == nil || pr[0].ParentCustomFieldRecordID != g.f1 || pr[1].ParentCustomFieldRecordID != g.f2 ||
						pr[0].Value == "" || pr[1].ParentCustomFieldName != *a.CustomField2.Name {
						t.Errorf("association %d-%d: pair %+v %+v", g.f1, g.f2, pr[0], pr[1])
						continue
					}
					g.pairs += fmt.Sprintf("%d-%d ", pr[0].RecordID, pr[1].RecordID)
				}
				permitted += len(a.CustomField1.Values) + len(a.CustomField2.Values)
				got = append(got, g)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("associations\n got   %+v\n store %+v", got, want)
			}
			if permitted < 2*len(links) {
				t.Errorf("the associations' fields carry %d permitted values", permitted)
			}
		})
	}
}

// typeRecorder keeps the i:type of the first element written.
type typeRecorder struct {
	depth int
	typ   string
}

func (w *typeRecorder) StartElement(string, string, string) error { w.depth++; return nil }
func (w *typeRecorder) Attr(_, local, _, value string) error {
	if local == "type" && w.depth == 1 && w.typ == "" {
		w.typ = value
	}
	return nil
}
func (w *typeRecorder) XmlnsAttr(string, string) error { return nil }
func (w *typeRecorder) Text(string) error              { return nil }
func (w *typeRecorder) EndElement() error              { w.depth--; return nil }
func (w *typeRecorder) Close() error                   { return nil }

// TestEnumerateUnmappedAndManagedByMatchStore: the Unmapped and ManagedBy
// variants of ranges and addresses return exactly what a query of the
// test's own selects, on both engines: no unmapped range (a v2 store's
// ranges all have a parent block) and so no address of one; the addresses
// without a range (two added here); the ranges and addresses of a Managed
// by / Managed by entity pair (of address space 1 and of a space that does
// not exist, for ranges). Rule E8.
func TestEnumerateUnmappedAndManagedByMatchStore(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			s := convertedStore(t, e.Dialect, 1200)
			ctx := context.Background()
			p := s.dialect.Placeholder
			ids := func(query string, args ...any) []int64 { return queryIDs(t, s.db, query, args...) }
			var next int64
			if err := s.db.QueryRow(`SELECT MAX("RecordId") + 1 FROM "ADM_IPAddressTable"`).Scan(&next); err != nil {
				t.Fatal(err)
			}
			for i, a := range []string{"198.51.100.7", "198.51.100.9"} {
				if _, err := s.db.Exec(`INSERT INTO "ADM_IPAddressTable" ("Family", "RecordId", "IpAddress", "AddressAssignment", "AddressCategory", "IsDuplicate")
					VALUES ('IPv4', `+p(1)+`, `+p(2)+`, 'Static', 'Public', `+p(3)+`)`, next+int64(i), a, false); err != nil {
					t.Fatal(err)
				}
			}
			// The Managed by value the most ranges have, and one fewer have.
			managed := func(objectType, field string) string {
				return `EXISTS (SELECT 1 FROM "ADM_CustomFieldValuesAssociationTable" a JOIN "ADM_CustomFieldsTable" f ON f."RecordId" = a."CustomFieldId"
					LEFT JOIN "ADM_CustomFieldValuesTable" v ON v."RecordId" = a."CustomFieldValueId"
					WHERE a."ObjectType" = '` + objectType + `' AND a."UsedById" = x."RecordId" AND f."BuiltinCustomFieldNumber" = '` + field + `'
					AND COALESCE(v."Value", a."Value") = ` + p(map[string]int{"ManagedBy": 1, "ManagedByEntity": 2}[field]) + `)`
			}
			var values []string
			rows, err := s.db.Query(`SELECT COALESCE(v."Value", a."Value"), COUNT(*) FROM "ADM_CustomFieldValuesAssociationTable" a
				JOIN "ADM_CustomFieldsTable" f ON f."RecordId" = a."CustomFieldId" LEFT JOIN "ADM_CustomFieldValuesTable" v ON v."RecordId" = a."CustomFieldValueId"
				WHERE a."ObjectType" = 'IPRange' AND f."BuiltinCustomFieldNumber" = 'ManagedBy' GROUP BY COALESCE(v."Value", a."Value") ORDER BY 2 DESC, 1`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var v string
				var n int64
				if err := rows.Scan(&v, &n); err != nil {
					t.Fatal(err)
				}
				values = append(values, v)
			}
			rows.Close()
			if len(values) == 0 {
				t.Fatal("no range has a Managed by value")
			}
			values = append(values, "nobody")
			ranges := `SELECT x."RecordId" FROM "ADM_IPRangeTable" x WHERE x."Family" = 'IPv4'`
			addresses := `SELECT x."RecordId" FROM "ADM_IPAddressTable" x WHERE x."Family" = 'IPv4'`
			space, nowhere := int64(1), int64(999)
			type tc struct {
				name string
				q    RowQuery
				want []int64
				min  int
			}
			cases := []tc{
				{"unmapped ranges", RowQuery{Kind: UnmappedRangeRows},
					ids(ranges + ` AND (x."ParentIPBlockRecordId" IS NULL OR x."ParentIPBlockRecordId" = 0)`), 0},
				{"addresses of unmapped ranges", RowQuery{Kind: UnmappedRangeAddressRows},
					ids(addresses + ` AND x."RangeRecordId" IN (SELECT r."RecordId" FROM "ADM_IPRangeTable" r WHERE r."ParentIPBlockRecordId" IS NULL OR r."ParentIPBlockRecordId" = 0)`), 0},
				{"unmapped addresses", RowQuery{Kind: UnmappedAddressRows},
					ids(addresses + ` AND (x."RangeRecordId" IS NULL OR x."RangeRecordId" = 0) ORDER BY x."RecordId"`), 2},
			}
			for i, v := range values[:min(2, len(values)-1)] {
				g := &GroupQuery{ManagedBy: v, ManagedByEntity: "Localhost"}
				cases = append(cases,
					tc{"ranges managed by " + v, RowQuery{Kind: ManagedByRangeRows, Groups: g},
						ids(ranges+` AND `+managed("IPRange", "ManagedBy")+` AND `+managed("IPRange", "ManagedByEntity")+` ORDER BY x."RecordId"`, v, "Localhost"), 1},
					tc{"addresses managed by " + v, RowQuery{Kind: ManagedByAddressRows, Groups: g},
						ids(addresses+` AND `+managed("IPAddress", "ManagedBy")+` AND `+managed("IPAddress", "ManagedByEntity")+` ORDER BY x."RecordId"`, v, "Localhost"), 1 - i},
				)
			}
			cases = append(cases,
				tc{"ranges of space 1", RowQuery{Kind: ManagedByRangeRows, AddressSpaceID: &space, Groups: &GroupQuery{ManagedBy: values[0], ManagedByEntity: "Localhost"}},
					ids(ranges+` AND x."AddressSpaceRecordId" = 1 AND `+managed("IPRange", "ManagedBy")+` AND `+managed("IPRange", "ManagedByEntity")+` ORDER BY x."RecordId"`, values[0], "Localhost"), 1},
				tc{"ranges of no space", RowQuery{Kind: ManagedByRangeRows, AddressSpaceID: &nowhere, Groups: &GroupQuery{ManagedBy: values[0], ManagedByEntity: "Localhost"}}, nil, 0},
				tc{"another entity", RowQuery{Kind: ManagedByRangeRows, Groups: &GroupQuery{ManagedBy: values[0], ManagedByEntity: "elsewhere"}}, nil, 0},
				tc{"a value no one has", RowQuery{Kind: ManagedByAddressRows, Groups: &GroupQuery{ManagedBy: "nobody", ManagedByEntity: "Localhost"}}, nil, 0},
			)
			for _, c := range cases {
				t.Logf("%s: %d rows", c.name, len(c.want))
				if len(c.want) < c.min {
					t.Fatalf("%s: the store has %d rows, want at least %d", c.name, len(c.want), c.min)
				}
				var got []int64
				if err := s.EnumerateRows(ctx, c.q, func(o ipam.AnyIpamObject) error {
					switch v := o.(type) {
					case *ipam.IPRangeRow:
						got = append(got, v.RecordID)
					case *ipam.IPAddressRow:
						got = append(got, v.RecordID)
					default:
						t.Errorf("%s: row %T", c.name, o)
					}
					return nil
				}); err != nil {
					t.Fatalf("%s: %v", c.name, err)
				}
				if !slices.Equal(got, c.want) {
					t.Errorf("%s: %d rows %v, the store has %d %v", c.name, len(got), got[:min(5, len(got))], len(c.want), c.want[:min(5, len(c.want))])
				}
			}
		})
	}
}
