package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ipamd/ipamd/internal/server/servertest"
	"github.com/ipamd/ipamd/store"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// TestEnumerateGroupDataAndServers: against a daemon serving a converted
// v1 store on its net.tcp listener, `ipamd enumerate --object ServerInfo`
// lists every server of the store; `--object LogicalGroupData --group-id`
// of the built-in Managed by group lists the IPv4 ranges with a Managed by
// value, with `--parent-node` the Path of a root the ranges carrying that
// root's value, with `--unmapped` the ranges without one (the two sets
// together every IPv4 range, none twice): each as a query of the test's
// own over the store's tables selects them, in RecordId order. Rules E8,
// E10.
func TestEnumerateGroupDataAndServers(t *testing.T) {
	state := t.TempDir()
	live := filepath.Join(state, store.WIDFileName)
	if out, errOut, code := ipamd(t, nil, "dev", "make-legacy-store", "--engine", "sqlite", "--path", live,
		"--addresses", "400", "--seed", "11"); code != 0 {
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
	ids := func(typ, query string, args ...any) []string {
		t.Helper()
		rows, err := db.Query(query, args...)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		defer rows.Close()
		out := []string{}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprint(typ, " ", id))
		}
		return out
	}
	var group, managedBy, root int64
	if err := db.QueryRow(`SELECT "RecordId" FROM "ADM_LogicalGroupsTable" WHERE "BuiltinLogicalGroupNumber" = 'ManagedBy'`).Scan(&group); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT "RecordId" FROM "ADM_CustomFieldsTable" WHERE "BuiltinCustomFieldNumber" = 'ManagedBy'`).Scan(&managedBy); err != nil {
		t.Fatal(err)
	}
	// The root most ranges share, so the node is not the whole group only
	// by chance of a single value.
	if err := db.QueryRow(`SELECT "CustomFieldValueId" FROM "ADM_CustomFieldValuesAssociationTable" WHERE "ObjectType" = 'IPRange'
		AND "CustomFieldId" = ? AND "CustomFieldValueId" IS NOT NULL GROUP BY 1 ORDER BY COUNT(*) DESC, 1 LIMIT 1`, managedBy).Scan(&root); err != nil {
		t.Fatal(err)
	}
	withValue := func(value string) string {
		return `SELECT r."RecordId" FROM "ADM_IPRangeTable" r WHERE r."Family" = 'IPv4' AND ` + value + ` (SELECT 1 FROM "ADM_CustomFieldValuesAssociationTable" a
			WHERE a."ObjectType" = 'IPRange' AND a."UsedById" = r."RecordId" AND a."CustomFieldId" = ?`
	}
	servers := ids("ServerInfo", `SELECT "RecordId" FROM "ADM_ServersTable" ORDER BY "RecordId"`)
	mapped := ids("IPv4Range", withValue("EXISTS")+`) ORDER BY r."RecordId"`, managedBy)
	node := ids("IPv4Range", withValue("EXISTS")+` AND a."CustomFieldValueId" = ?) ORDER BY r."RecordId"`, managedBy, root)
	unmapped := ids("IPv4Range", withValue("NOT EXISTS")+`) ORDER BY r."RecordId"`, managedBy)
	all := ids("IPv4Range", `SELECT "RecordId" FROM "ADM_IPRangeTable" WHERE "Family" = 'IPv4' ORDER BY "RecordId"`)
	if len(servers) == 0 || len(node) == 0 || len(node) == len(all) || len(mapped)+len(unmapped) != len(all) {
		t.Fatalf("the store's data does not tell the selections apart: %d servers, %d ranges, %d mapped, %d of the node, %d unmapped",
			len(servers), len(all), len(mapped), len(node), len(unmapped))
	}
	key := func(r map[string]any) string { return fmt.Sprint(r["type"], " ", r["RecordId"]) }
	g := fmt.Sprint(group)
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--object", "ServerInfo"}, servers},
		{[]string{"--object", "LogicalGroupData", "--group-id", g}, mapped},
		{[]string{"--object", "LogicalGroupData", "--group-id", g, "--group-type", "Range", "--parent-node", fmt.Sprintf("%d:%d", managedBy, root)}, node},
		{[]string{"--object", "LogicalGroupData", "--group-id", g, "--unmapped"}, unmapped},
	} {
		if got := enumerateJSON(t, base, tc.args, key); !slices.Equal(got, tc.want) {
			t.Errorf("enumerate %v:\n got %q\nwant %q", tc.args, got, tc.want)
		}
	}
	got := slices.Concat(enumerateJSON(t, base, []string{"--object", "LogicalGroupData", "--group-id", g}, key),
		enumerateJSON(t, base, []string{"--object", "LogicalGroupData", "--group-id", g, "--unmapped"}, key))
	slices.SortFunc(got, func(a, b string) int {
		var x, y int64
		fmt.Sscanf(a, "IPv4Range %d", &x)
		fmt.Sscanf(b, "IPv4Range %d", &y)
		return int(x - y)
	})
	if !slices.Equal(got, all) {
		t.Errorf("the group's ranges and those it does not map are not every range once:\n got %q\nwant %q", got, all)
	}
	// The text rows name the servers.
	out, stderr, code := ipamd(t, nil, "enumerate", "--server", base, "--object", "ServerInfo")
	if code != 0 || strings.Count(out, "\n") != len(servers) || !strings.HasPrefix(out, "ServerInfo RecordId=") || !strings.Contains(out, " Name=") {
		t.Errorf("servers in text: exit %d\n%s%s", code, out, stderr)
	}
}

// TestEnumerateDataFlagsRefused: the flags --object ServerInfo and
// LogicalGroupData do not read, and --unmapped elsewhere, are refused
// before a connection is made, with a message naming the flag; what they
// select otherwise.
func TestEnumerateDataFlagsRefused(t *testing.T) {
	for _, tc := range []struct {
		f    enumerateFlags
		want string
	}{
		{enumerateFlags{object: "ServerInfo", groupID: 1}, "--group-id"},
		{enumerateFlags{object: "ServerInfo", unmapped: true}, "--unmapped"},
		{enumerateFlags{object: "ServerInfo", addressSpace: 1}, "--address-space"},
		{enumerateFlags{object: "ServerInfo", filters: []string{"a=b"}}, "--filter"},
		{enumerateFlags{object: "LogicalGroupData"}, "--group-id"},
		{enumerateFlags{object: "LogicalGroupData", groupID: 1, unmapped: true, parentNode: "1:2"}, "--unmapped"},
		{enumerateFlags{object: "LogicalGroupData", groupID: 1, parentNode: "1:x"}, "--parent-node"},
		{enumerateFlags{object: "LogicalGroupData", groupID: 1, groupType: "Rack"}, "--group-type"},
		{enumerateFlags{object: "LogicalGroupData", groupID: 1, name: "x"}, "--name"},
		{enumerateFlags{object: "LogicalGroupData", groupID: 1, rangeID: 2}, "--range-id"},
		{enumerateFlags{object: "LogicalGroupNode", groupID: 1, unmapped: true}, "--unmapped"},
		{enumerateFlags{object: "IPRange", unmapped: true}, "--unmapped"},
	} {
		tc.f.family = "IPv4"
		p, err := tc.f.params()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, %v; want an error naming %s", tc.f, p, err, tc.want)
		}
	}
	f := enumerateFlags{object: "ServerInfo", family: "IPv4"}
	if p, err := f.params(); err != nil || p.(*ipam.ServerInfoEnumerationParameters).Filter != nil {
		t.Errorf("servers: %#v, %v", p, err)
	}
	f = enumerateFlags{object: "LogicalGroupData", family: "IPv6", groupID: 4, groupType: "subnet", unmapped: true}
	p, err := f.params()
	up, ok := p.(*ipam.LogicalGroupDataUnmappedItemsEnumerationParameters)
	if err != nil || !ok || up.LogicalGroupType != ipam.LogicalGroupTypeSubnet || up.LogicalGroup.Type != "Subnet" || !up.LogicalGroup.IPv6 || *up.LogicalGroup.RecordID != 4 {
		t.Errorf("unmapped: %#v, %v", p, err)
	}
	f = enumerateFlags{object: "LogicalGroupData", family: "IPv4", groupID: 4, groupType: "IPAddress", parentNode: "8:30,9:31"}
	p, err = f.params()
	np, ok := p.(*ipam.LogicalGroupDataForLogicalGroupNodeEnumerationParameters)
	if err != nil || !ok || np.LogicalGroupNode == nil || np.LogicalGroupNode.Type != "IPAddress" || *np.LogicalGroupNode.NodeCustomFieldValueID != 31 ||
		len(np.LogicalGroupNode.AncestorNodes) != 1 || *np.LogicalGroupNode.AncestorNodes[0].CustomFieldRecordID != 8 || np.ObjectType != ipam.EnumerationObjectTypeLogicalGroupData {
		t.Errorf("a node's objects: %#v, %v", p, err)
	}
}
