package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ipamd/ipamd/internal/server/servertest"
	"github.com/ipamd/ipamd/store"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// TestEnumerateConvertedStore: the daemon refuses IIpamEnumerator while the
// store needs its schema conversion (3.1.4.2), and after it `ipamd
// enumerate` lists every address, range, block, subnet, address space and
// custom field of the store over net.tcp, as many rows as the store holds.
// Rules E3, E8.
func TestEnumerateConvertedStore(t *testing.T) {
	state := t.TempDir()
	live := filepath.Join(state, store.WIDFileName)
	if out, errOut, code := ipamd(t, nil, "dev", "make-legacy-store", "--engine", "sqlite", "--path", live,
		"--addresses", "1500", "--seed", "3"); code != 0 {
		t.Fatalf("make-legacy-store: exit %d\n%s%s", code, out, errOut)
	}
	if err := store.SaveActive(state, store.Config{Type: ipam.IpamDatabaseTypeWindowsInternalDatabase, Path: live}, false); err != nil {
		t.Fatal(err)
	}
	base := serveDaemon(t, servertest.Set("state_dir", state))

	// Before the conversion: refused at InitializeEnumeration.
	out, stderr, code := ipamd(t, nil, "enumerate", "--server", base, "--object", "IPAddress", "--output", "json")
	var r report
	if err := json.Unmarshal([]byte(lastLine(stderr)), &r); err != nil {
		t.Fatalf("enumerate before conversion: exit %d, stderr not a report: %v\n%s", code, err, stderr)
	}
	if code != exitRemote || r.Exception == nil || r.Exception.ID != ipam.IpamApiCallsAreNotAllowedUntilSchemaConversionIsDone || out != "" {
		t.Fatalf("enumerate before conversion: exit %d, %+v, stdout %q", code, r, out)
	}

	if r, stderr, code := runJSON(t, "convert", "--server", base+"/ipam/IIpamAsyncSchemaConversion"); code != 0 || r.Outcome != "success" {
		t.Fatalf("convert: exit %d, %+v\n%s", code, r, stderr)
	}

	db := openSQLite(t, live)
	var parent int64
	if err := db.QueryRow(`SELECT "ParentBlockRecordId" FROM "ADM_IPBlocksTable" WHERE "IsSubnet" = 1 AND "Family" = 'IPv4'
		AND "ParentBlockRecordId" IS NOT NULL ORDER BY "RecordId" LIMIT 1`).Scan(&parent); err != nil {
		t.Fatalf("a block with subnets: %v", err)
	}
	parentID := strconv.FormatInt(parent, 10)
	for _, tc := range []struct {
		args  []string
		query string
		typ   string // the first row's type (prefix)
	}{
		{[]string{"--object", "IPAddress", "--output", "json"}, `SELECT COUNT(*) FROM "ADM_IPAddressTable" WHERE "Family" = 'IPv4'`, "IpamIPv4Address"},
		{[]string{"--object", "IPAddress", "--family", "IPv6", "--output", "json"}, `SELECT COUNT(*) FROM "ADM_IPAddressTable" WHERE "Family" = 'IPv6'`, "IpamIPv6Address"},
		{[]string{"--object", "IPRange"}, `SELECT COUNT(*) FROM "ADM_IPRangeTable" WHERE "Family" = 'IPv4'`, "IPv4Range"},
		{[]string{"--object", "IPBlock", "--output", "json"}, `SELECT COUNT(*) FROM "ADM_IPBlocksTable" WHERE "Family" = 'IPv4' AND "IsSubnet" = 0`, "IPv4Block"},
		{[]string{"--object", "IPBlock", "--family", "IPv6"}, `SELECT COUNT(*) FROM "ADM_IPBlocksTable" WHERE "Family" = 'IPv6' AND "IsSubnet" = 0`, "IPv6Block"},
		{[]string{"--object", "IPSubnet", "--output", "json"}, `SELECT COUNT(*) FROM "ADM_SubnetTable" WHERE "Family" = 'IPv4'`, "IPv4Subnet"},
		{[]string{"--object", "IPSubnet", "--parent-block", parentID}, `SELECT COUNT(*) FROM "ADM_IPBlocksTable" WHERE "IsSubnet" = 1 AND "ParentBlockRecordId" = ` + parentID, "IPv4Subnet"},
		{[]string{"--object", "AddressSpace", "--output", "json"}, `SELECT COUNT(*) FROM "ADM_AddressSpaceTable"`, "ProviderAddressSpace"},
		{[]string{"--object", "CustomField", "--output", "json"}, `SELECT COUNT(*) FROM "ADM_CustomFieldsTable"`, "CustomField"},
		{[]string{"--object", "CustomField", "--name", "Managed by"}, `SELECT COUNT(*) FROM "ADM_CustomFieldsTable" WHERE "Name" = 'Managed by'`, "CustomField"},
	} {
		var want int
		if err := db.QueryRow(tc.query).Scan(&want); err != nil {
			t.Fatal(err)
		}
		out, stderr, code := ipamd(t, nil, append([]string{"enumerate", "--server", base}, tc.args...)...)
		if code != 0 {
			t.Fatalf("enumerate %v: exit %d\n%s", tc.args, code, stderr)
		}
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if want == 0 || len(lines) != want {
			t.Fatalf("enumerate %v: %d lines, the store has %d rows\n%s", tc.args, len(lines), want, stderr)
		}
		if tc.args[len(tc.args)-1] == "json" {
			var row map[string]any
			if err := json.Unmarshal([]byte(lines[0]), &row); err != nil {
				t.Fatalf("row is not JSON: %v\n%s", err, lines[0])
			}
			if typ, _ := row["type"].(string); typ != tc.typ || row["RecordId"] == nil {
				t.Errorf("%v: row %v", tc.args, row)
			}
		} else if !strings.HasPrefix(lines[0], tc.typ+" RecordId=") {
			t.Errorf("%v: text row %q", tc.args, lines[0])
		}
		if !strings.Contains(stderr, "enumeration succeeded") && !strings.Contains(stderr, `"outcome":"success"`) {
			t.Errorf("no final line on stderr:\n%s", stderr)
		}
	}
	enumerateGroups(t, base, db)
}

// enumerateGroups: `ipamd enumerate` lists the logical groups (all, and one
// by --name), the custom field associations and the root nodes of the
// built-in Managed by group over the IPv4 ranges and over the IPv6
// addresses (its RecordId from the store, as a user takes it from --object
// LogicalGroup) as the store holds them; the test's own queries are the
// oracle (the ones of the client package's tests). A group
// the store does not have is the server's IpamApiInvalidParameter.
func enumerateGroups(t *testing.T, base string, db *sql.DB) {
	t.Helper()
	// A v1 store has no links between custom field values: two, between
	// the first two Managed by values and the first IP address state.
	if _, err := db.Exec(`INSERT INTO "ADM_MultiValueCustomFieldValueAssociationTable" ("CustomFieldValueId1", "CustomFieldValueId2")
		SELECT m."RecordId", (SELECT MIN(v."RecordId") FROM "ADM_CustomFieldValuesTable" v JOIN "ADM_CustomFieldsTable" f ON f."RecordId" = v."CustomFieldRecordId"
			WHERE f."BuiltinCustomFieldNumber" = 'IPAddressState')
		FROM "ADM_CustomFieldValuesTable" m JOIN "ADM_CustomFieldsTable" g ON g."RecordId" = m."CustomFieldRecordId"
		WHERE g."BuiltinCustomFieldNumber" = 'ManagedBy' ORDER BY m."RecordId" LIMIT 2`); err != nil {
		t.Fatal(err)
	}
	strs := func(query string, args ...any) []string {
		t.Helper()
		rows, err := db.Query(query, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var a, b, c string
			if err := rows.Scan(&a, &b, &c); err != nil {
				t.Fatal(err)
			}
			out = append(out, a+" "+b+" "+c)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	name := func(v any) string {
		m, _ := v.(map[string]any)
		return fmt.Sprint(m["Name"])
	}
	var group, groupName string
	if err := db.QueryRow(`SELECT "RecordId", "Name" FROM "ADM_LogicalGroupsTable" WHERE "BuiltinLogicalGroupNumber" = 'ManagedBy'`).Scan(&group, &groupName); err != nil {
		t.Fatal(err)
	}
	// The roots of the Managed by group: the distinct values of its first
	// field (Managed by) among the objects of one type and family.
	const roots = `SELECT DISTINCT ?, v."RecordId", v."Value" FROM "ADM_CustomFieldValuesAssociationTable" a
		JOIN "ADM_CustomFieldValuesTable" v ON v."RecordId" = a."CustomFieldValueId"
		JOIN "ADM_CustomFieldsTable" f ON f."RecordId" = a."CustomFieldId"
		WHERE a."ObjectType" = ? AND a."Af" = ? AND f."BuiltinCustomFieldNumber" = 'ManagedBy' ORDER BY v."RecordId"`
	node := func(r map[string]any) string {
		return fmt.Sprintf("%v %v %v", r["type"], r["NodeCustomFieldValueId"], r["NodeValue"])
	}
	const groups = `SELECT ?, "RecordId", "Name" FROM "ADM_LogicalGroupsTable" WHERE "Users" LIKE '%IPAddressSpaceManagement%'`
	for _, tc := range []struct {
		args   []string
		want   []string
		sorted bool // the rows come in no stated order: compared sorted
		key    func(row map[string]any) string
	}{
		{[]string{"--object", "LogicalGroup"}, strs(groups+` ORDER BY "RecordId"`, "IPv4RangeLogicalGroup"), false,
			func(r map[string]any) string { return fmt.Sprintf("%v %v %v", r["type"], r["RecordId"], r["Name"]) }},
		{[]string{"--object", "LogicalGroup", "--group-type", "IPAddress", "--family", "IPv6", "--name", groupName},
			strs(groups+` AND "Name" = ? ORDER BY "RecordId"`, "IpamIPv6AddressLogicalGroup", groupName), false,
			func(r map[string]any) string { return fmt.Sprintf("%v %v %v", r["type"], r["RecordId"], r["Name"]) }},
		{[]string{"--object", "CustomFieldAssociation"},
			strs(`SELECT DISTINCT 'CustomFieldAssociation', f1."Name", f2."Name" FROM "ADM_MultiValueCustomFieldValueAssociationTable" a
				JOIN "ADM_CustomFieldValuesTable" v1 ON v1."RecordId" = a."CustomFieldValueId1" JOIN "ADM_CustomFieldsTable" f1 ON f1."RecordId" = v1."CustomFieldRecordId"
				JOIN "ADM_CustomFieldValuesTable" v2 ON v2."RecordId" = a."CustomFieldValueId2" JOIN "ADM_CustomFieldsTable" f2 ON f2."RecordId" = v2."CustomFieldRecordId"`), true,
			func(r map[string]any) string {
				return fmt.Sprintf("%v %s %s", r["type"], name(r["CustomField1"]), name(r["CustomField2"]))
			}},
		{[]string{"--object", "LogicalGroupNode", "--group-id", group}, strs(roots, "IPv4RangeLogicalGroupNode", "IPRange", "InterNetwork"), false, node},
		{[]string{"--object", "LogicalGroupNode", "--group-id", group, "--group-type", "IPAddress", "--family", "IPv6"},
			strs(roots, "IpamIPv6AddressLogicalGroupNode", "IPAddress", "InterNetworkV6"), false, node},
	} {
		args := append([]string{"enumerate", "--server", base, "--output", "json"}, tc.args...)
		out, stderr, code := ipamd(t, nil, args...)
		if code != 0 {
			t.Fatalf("enumerate %v: exit %d\n%s", tc.args, code, stderr)
		}
		var got []string
		for line := range strings.Lines(out) {
			var row map[string]any
			d := json.NewDecoder(strings.NewReader(line))
			d.UseNumber() // RecordIds as the store writes them
			if err := d.Decode(&row); err != nil {
				t.Fatalf("%v: row is not JSON: %v\n%s", tc.args, err, line)
			}
			got = append(got, tc.key(row))
		}
		if tc.sorted {
			slices.Sort(got)
			slices.Sort(tc.want)
		}
		if len(tc.want) == 0 || !slices.Equal(got, tc.want) {
			t.Errorf("enumerate %v:\n got %q\nwant %q", tc.args, got, tc.want)
		}
	}
	// A group the store does not have: the server's IpamApiInvalidParameter.
	var missing int64
	if err := db.QueryRow(`SELECT MAX("RecordId") + 1 FROM "ADM_LogicalGroupsTable"`).Scan(&missing); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := ipamd(t, nil, "enumerate", "--server", base, "--output", "json", "--object", "LogicalGroupNode", "--group-id", strconv.FormatInt(missing, 10))
	var r report
	if err := json.Unmarshal([]byte(lastLine(stderr)), &r); err != nil || code != exitRemote || out != "" ||
		r.Exception == nil || r.Exception.ID != ipam.IpamApiInvalidParameter {
		t.Errorf("nodes of group %d: exit %d, %+v (%v), stdout %q", missing, code, r, err, out)
	}
}

// TestEnumerateFlagsRefused: each flag that does not apply to the object,
// and a node enumeration without its group, is refused before a
// connection is made, with a message naming the flag.
func TestEnumerateFlagsRefused(t *testing.T) {
	for _, tc := range []struct {
		f    enumerateFlags
		want string
	}{
		{enumerateFlags{object: "IPRange", groupID: 3}, "--group-id"},
		{enumerateFlags{object: "CustomField", groupType: "Range"}, "--group-type"},
		{enumerateFlags{object: "CustomFieldAssociation", name: "x"}, "--name"},
		{enumerateFlags{object: "CustomFieldAssociation", groupType: "Range"}, "--group-type"},
		{enumerateFlags{object: "LogicalGroup", groupID: 3}, "--group-id"},
		{enumerateFlags{object: "LogicalGroup", groupType: "Block"}, "--group-type"},
		{enumerateFlags{object: "LogicalGroup", rangeID: 2}, "--range-id"},
		{enumerateFlags{object: "LogicalGroup", parentBlock: 2}, "--parent-block"},
		{enumerateFlags{object: "LogicalGroup", addressSpace: 2}, "--address-space"},
		{enumerateFlags{object: "LogicalGroupNode"}, "--group-id"},
		{enumerateFlags{object: "LogicalGroupNode", groupID: 1, name: "x"}, "--name"},
		{enumerateFlags{object: "LogicalGroupNode", groupID: 1, addressSpace: 2}, "--address-space"},
		{enumerateFlags{object: "LogicalGroups"}, "--object"},
	} {
		tc.f.family = "IPv4"
		p, err := tc.f.params()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, %v; want an error naming %s", tc.f, p, err, tc.want)
		}
	}
	// What the flags select: the node's group as a typed LogicalGroup.
	f := enumerateFlags{object: "LogicalGroupNode", family: "IPv6", groupID: 7, groupType: "subnet", addressSpace: 2}
	p, err := f.params()
	sp, ok := p.(*ipam.SubnetLogicalGroupNodeRootEnumerationParameters)
	if err != nil || !ok || sp.AddressSpaceId != 2 || sp.LogicalGroup == nil || sp.LogicalGroup.Type != "Subnet" || !sp.LogicalGroup.IPv6 ||
		*sp.LogicalGroup.RecordID != 7 || sp.AddressFamily != ipam.AddressFamilyInterNetworkV6 {
		t.Errorf("subnet group nodes: %#v, %v", p, err)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
