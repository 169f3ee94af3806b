package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ipamd/ipamd/internal/server/servertest"
	"github.com/ipamd/ipamd/store"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// TestEnumerateFilterAndChildren: against a daemon serving a converted v1
// store on its net.tcp listener, `ipamd enumerate --filter KEY=VALUE`
// lists the ranges, addresses, subnets and address spaces a query of the
// test's own selects (the ByFilter parameter types), a key the server does
// not read ends with its IpamApiInvalidParameter, and `--parent-node`
// with the Path a root node's text row prints lists that node's children,
// whose own Paths extend it. Rules E8, E10, E20.
func TestEnumerateFilterAndChildren(t *testing.T) {
	state := t.TempDir()
	live := filepath.Join(state, store.WIDFileName)
	if out, errOut, code := ipamd(t, nil, "dev", "make-legacy-store", "--engine", "sqlite", "--path", live,
		"--addresses", "400", "--seed", "5"); code != 0 {
		t.Fatalf("make-legacy-store: exit %d\n%s%s", code, out, errOut)
	}
	if err := store.SaveActive(state, store.Config{Type: ipam.IpamDatabaseTypeWindowsInternalDatabase, Path: live}, false); err != nil {
		t.Fatal(err)
	}
	base := serveDaemon(t, servertest.Set("state_dir", state))
	if r, stderr, code := runJSON(t, "convert", "--server", base+"/ipam/IIpamAsyncSchemaConversion"); code != 0 || r.Outcome != "success" {
		t.Fatalf("convert: exit %d, %+v\n%s", code, r, stderr)
	}
	db := openSQLite(t, live)
	one := func(query string, args ...any) string {
		t.Helper()
		var v string
		if err := db.QueryRow(query, args...).Scan(&v); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return v
	}
	ids := func(typ, query string, args ...any) []string {
		t.Helper()
		rows, err := db.Query(query, args...)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprint(typ, " ", id))
		}
		return out
	}
	managedBy := one(`SELECT COALESCE(v."Value", a."Value") FROM "ADM_CustomFieldValuesAssociationTable" a
		JOIN "ADM_CustomFieldsTable" f ON f."RecordId" = a."CustomFieldId" LEFT JOIN "ADM_CustomFieldValuesTable" v ON v."RecordId" = a."CustomFieldValueId"
		WHERE a."ObjectType" = 'IPRange' AND f."BuiltinCustomFieldNumber" = 'ManagedBy' GROUP BY 1 ORDER BY COUNT(*) DESC, 1 LIMIT 1`)
	first := ipam.ParseIPAddressText(one(`SELECT "IpAddress" FROM "ADM_IPAddressTable" WHERE "Family" = 'IPv4' ORDER BY "RecordId" LIMIT 1`)).String()
	last := ipam.ParseIPAddressText(one(`SELECT "IpAddress" FROM "ADM_IPAddressTable" WHERE "Family" = 'IPv4' ORDER BY "RecordId" DESC LIMIT 1`)).String()
	prefix := one(`SELECT "PrefixLength" FROM "ADM_IPBlocksTable" WHERE "Family" = 'IPv4' AND "IsSubnet" = 1 ORDER BY "RecordId" LIMIT 1`)
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--object", "IPRange", "--filter", "ManagedByService=" + managedBy, "--filter", "AddressSpaceId=1"},
			ids("IPv4Range", `SELECT x."RecordId" FROM "ADM_IPRangeTable" x WHERE x."Family" = 'IPv4' AND x."AddressSpaceRecordId" = 1
				AND EXISTS (SELECT 1 FROM "ADM_CustomFieldValuesAssociationTable" a JOIN "ADM_CustomFieldsTable" f ON f."RecordId" = a."CustomFieldId"
				LEFT JOIN "ADM_CustomFieldValuesTable" v ON v."RecordId" = a."CustomFieldValueId"
				WHERE a."ObjectType" = 'IPRange' AND a."UsedById" = x."RecordId" AND f."BuiltinCustomFieldNumber" = 'ManagedBy'
				AND COALESCE(v."Value", a."Value") = ?) ORDER BY x."RecordId"`, managedBy)},
		{[]string{"--object", "IPAddress", "--filter", "IpAddress=" + last, "--filter", "IpAddress=" + first},
			ids("IpamIPv4Address", `SELECT "RecordId" FROM "ADM_IPAddressTable" WHERE "Family" = 'IPv4' AND "RecordId" IN
				((SELECT MIN("RecordId") FROM "ADM_IPAddressTable" WHERE "Family" = 'IPv4'), (SELECT MAX("RecordId") FROM "ADM_IPAddressTable" WHERE "Family" = 'IPv4'))
				ORDER BY "RecordId"`)},
		{[]string{"--object", "IPSubnet", "--filter", "PrefixLength=" + prefix},
			ids("IPv4Subnet", `SELECT "RecordId" FROM "ADM_IPBlocksTable" WHERE "Family" = 'IPv4' AND "IsSubnet" = 1 AND "PrefixLength" = ? ORDER BY "RecordId"`, prefix)},
		{[]string{"--object", "AddressSpace", "--filter", "IPAddressSpaceType=Provider"},
			ids("ProviderAddressSpace", `SELECT "RecordId" FROM "ADM_AddressSpaceTable" WHERE "Family" = 'Provider' ORDER BY "RecordId"`)},
	} {
		got := enumerateJSON(t, base, tc.args, func(r map[string]any) string { return fmt.Sprint(r["type"], " ", r["RecordId"]) })
		if len(tc.want) == 0 || !slices.Equal(got, tc.want) {
			t.Errorf("enumerate %v:\n got %q\nwant %q", tc.args, got, tc.want)
		}
	}

	// A key the server does not read: its IpamApiInvalidParameter.
	out, stderr, code := ipamd(t, nil, "enumerate", "--server", base, "--output", "json", "--object", "IPRange", "--filter", "IpAddress=10.0.0.1")
	var r report
	if err := json.Unmarshal([]byte(lastLine(stderr)), &r); err != nil || code != exitRemote || out != "" ||
		r.Exception == nil || r.Exception.ID != ipam.IpamApiInvalidParameter {
		t.Errorf("an address key for ranges: exit %d, %+v (%v), stdout %q", code, r, err, out)
	}

	enumerateChildren(t, base, db)
}

// enumerateChildren: the roots of the built-in Managed by group over the
// IPv4 ranges in text, each with its Path; the children of the first root
// by that Path, as the store holds them (the values of the group's second
// field among the ranges carrying the root's value), each Path the root's
// and its own level.
func enumerateChildren(t *testing.T, base string, db *sql.DB) {
	t.Helper()
	var group, managedBy, entity int64
	if err := db.QueryRow(`SELECT "RecordId" FROM "ADM_LogicalGroupsTable" WHERE "BuiltinLogicalGroupNumber" = 'ManagedBy'`).Scan(&group); err != nil {
		t.Fatal(err)
	}
	for field, into := range map[string]*int64{"ManagedBy": &managedBy, "ManagedByEntity": &entity} {
		if err := db.QueryRow(`SELECT "RecordId" FROM "ADM_CustomFieldsTable" WHERE "BuiltinCustomFieldNumber" = ?`, field).Scan(into); err != nil {
			t.Fatal(err)
		}
	}
	out, stderr, code := ipamd(t, nil, "enumerate", "--server", base, "--object", "LogicalGroupNode", "--group-id", fmt.Sprint(group))
	if code != 0 {
		t.Fatalf("roots: exit %d\n%s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	_, path, ok := strings.Cut(lines[0], " Path=")
	var root int64
	if !ok {
		t.Fatalf("a root node's text row has no Path: %q", lines[0])
	}
	if _, err := fmt.Sscanf(path, fmt.Sprint(managedBy)+":%d", &root); err != nil {
		t.Fatalf("a root's Path %q is not the group's first field and a value: %v", path, err)
	}
	want := []string{}
	rows, err := db.Query(`SELECT DISTINCT v."RecordId", v."Value" FROM "ADM_CustomFieldValuesAssociationTable" a
		JOIN "ADM_CustomFieldValuesTable" v ON v."RecordId" = a."CustomFieldValueId"
		WHERE a."ObjectType" = 'IPRange' AND a."Af" = 'InterNetwork' AND a."CustomFieldId" = ?
		AND EXISTS (SELECT 1 FROM "ADM_CustomFieldValuesAssociationTable" x WHERE x."ObjectType" = 'IPRange'
		AND x."UsedById" = a."UsedById" AND x."CustomFieldId" = ? AND x."CustomFieldValueId" = ?) ORDER BY v."RecordId"`, entity, managedBy, root)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var v string
		if err := rows.Scan(&id, &v); err != nil {
			t.Fatal(err)
		}
		want = append(want, fmt.Sprintf("IPv4RangeLogicalGroupNode %d %s %s,%d:%d", id, v, path, entity, id))
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	got := enumerateJSON(t, base, []string{"--object", "LogicalGroupNode", "--group-id", fmt.Sprint(group), "--parent-node", path},
		func(r map[string]any) string {
			return fmt.Sprintf("%v %v %v %s", r["type"], r["NodeCustomFieldValueId"], r["NodeValue"], pathOf(r))
		})
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("children of %s:\n got %q\nwant %q", path, got, want)
	}
}

// pathOf is the Path of a node row read from JSON (its AncestorNodes, then
// itself), as the text row prints it.
func pathOf(r map[string]any) string {
	var levels []string
	ancestors, _ := r["AncestorNodes"].([]any)
	for _, a := range append(ancestors, r) {
		if n, ok := a.(map[string]any); ok {
			levels = append(levels, fmt.Sprintf("%v:%v", n["CustomFieldRecordId"], n["NodeCustomFieldValueId"]))
		}
	}
	return strings.Join(levels, ",")
}

// enumerateJSON runs `ipamd enumerate --output json` with args and returns
// key of each row.
func enumerateJSON(t *testing.T, base string, args []string, key func(map[string]any) string) []string {
	t.Helper()
	out, stderr, code := ipamd(t, nil, append([]string{"enumerate", "--server", base, "--output", "json"}, args...)...)
	if code != 0 {
		t.Fatalf("enumerate %v: exit %d\n%s", args, code, stderr)
	}
	var got []string
	for line := range strings.Lines(out) {
		var row map[string]any
		d := json.NewDecoder(strings.NewReader(line))
		d.UseNumber() // RecordIds as the store writes them
		if err := d.Decode(&row); err != nil {
			t.Fatalf("%v: row is not JSON: %v\n%s", args, err, line)
		}
		got = append(got, key(row))
	}
	return got
}

// TestEnumerateFilterFlagsRefused: --filter and --parent-node where they
// do not apply, or malformed, are refused before a connection is made,
// with a message naming the flag; what they select otherwise.
func TestEnumerateFilterFlagsRefused(t *testing.T) {
	for _, tc := range []struct {
		f    enumerateFlags
		want string
	}{
		{enumerateFlags{object: "CustomField", filters: []string{"a=b"}}, "--filter"},
		{enumerateFlags{object: "LogicalGroup", filters: []string{"a=b"}}, "--filter"},
		{enumerateFlags{object: "IPRange", filters: []string{"a=b"}, addressSpace: 1}, "--address-space"},
		{enumerateFlags{object: "IPAddress", filters: []string{"a=b"}, rangeID: 1}, "--range-id"},
		{enumerateFlags{object: "IPSubnet", filters: []string{"a=b"}, parentBlock: 1}, "--parent-block"},
		{enumerateFlags{object: "IPRange", filters: []string{"novalue"}}, "KEY=VALUE"},
		{enumerateFlags{object: "IPRange", filters: []string{"=x"}}, "KEY=VALUE"},
		{enumerateFlags{object: "IPRange", parentNode: "1:2"}, "--parent-node"},
		{enumerateFlags{object: "LogicalGroup", parentNode: "1:2"}, "--parent-node"},
		{enumerateFlags{object: "LogicalGroupNode", groupID: 1, parentNode: "1"}, "--parent-node"},
		{enumerateFlags{object: "LogicalGroupNode", groupID: 1, parentNode: "1:x"}, "--parent-node"},
		{enumerateFlags{object: "LogicalGroupNode", groupID: 1, parentNode: "1:2,,3:4"}, "--parent-node"},
		{enumerateFlags{object: "LogicalGroupNode", groupID: 1, parentNode: strings.Repeat("1:2,", 17) + "1:2"}, "--parent-node"},
		{enumerateFlags{object: "LogicalGroupNode", groupID: 1, groupType: "Subnet", parentNode: "1:2", addressSpace: 3}, "--address-space"},
		{enumerateFlags{object: "LogicalGroupNode", parentNode: "1:2"}, "--group-id"},
	} {
		tc.f.family = "IPv4"
		p, err := tc.f.params()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, %v; want an error naming %s", tc.f, p, err, tc.want)
		}
	}
	// The criteria, in order, as xsd:string values.
	f := enumerateFlags{object: "IPAddress", family: "IPv6", filters: []string{"IpAddress=2001:db8::1", "AddressCategory=Public=x"}}
	p, err := f.params()
	ap, ok := p.(*ipam.IpamIPAddressByFilterEnumerationParameters)
	if err != nil || !ok || ap.AddressFamily != ipam.AddressFamilyInterNetworkV6 || len(ap.FilterInfo) != 2 ||
		ap.FilterInfo[0].Key != "IpAddress" || *ap.FilterInfo[0].Value != "2001:db8::1" ||
		ap.FilterInfo[1].Key != "AddressCategory" || *ap.FilterInfo[1].Value != "Public=x" {
		t.Errorf("address filter: %#v, %v", p, err)
	}
	// A node's path: its ancestors, root first, then itself.
	f = enumerateFlags{object: "LogicalGroupNode", family: "IPv6", groupID: 4, groupType: "IPAddress", parentNode: "8:30, 9:31"}
	p, err = f.params()
	cp, ok := p.(*ipam.LogicalGroupNodeChildrenEnumerationParameters)
	if err != nil || !ok || cp.ParentLogicalGroupNode == nil {
		t.Fatalf("children: %#v, %v", p, err)
	}
	n := cp.ParentLogicalGroupNode
	if n.Type != "IPAddress" || !n.IPv6 || *n.LogicalGroupRecordID != 4 || *n.CustomFieldRecordID != 9 || *n.NodeCustomFieldValueID != 31 ||
		len(n.AncestorNodes) != 1 || *n.AncestorNodes[0].CustomFieldRecordID != 8 || *n.AncestorNodes[0].NodeCustomFieldValueID != 30 {
		t.Errorf("children of %+v (ancestors %+v)", n, n.AncestorNodes)
	}
}
