package mono_test

import (
	"context"
	"database/sql"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipamd/ipamd/internal/daemontest"
)

// TestMonoEnumeratesGroupData: Mono's WCF stack sends the LogicalGroupData
// parameter types as its DataContractSerializer writes them (the logical
// group and node as derived types, the Filter a Dictionary<int, object>)
// over net.tcp to ipamd serving a converted v1 store: the ranges of the
// built-in Managed by group (LogicalGroupDataForRootAlternateItems,
// IPv4RangeLogicalGroup) are the store's ranges with a Managed by value,
// in RecordId order; the same with a Filter of two entries is refused at
// Initialize with the Filter's fault (so the dictionary's entries were
// read), and an ActiveServerV4LogicalGroupNode with that Filter with the
// fault of the role Filter (its DHCP and DNS server rows are not built).
// Rule E23.
func TestMonoEnumeratesGroupData(t *testing.T) {
	for _, tool := range []string{"mcs", "mono"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not on PATH (install mono-mcs libmono-system-servicemodel4.0a-cil)", tool)
		}
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	src, err := filepath.Abs("groupdataclient.cs")
	if err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "groupdataclient.exe")
	if out, err := exec.CommandContext(ctx, "mcs", "-nowarn:649", "-out:"+exe,
		"-r:System.ServiceModel.dll", "-r:System.Runtime.Serialization.dll", src).CombinedOutput(); err != nil {
		t.Fatalf("mcs: %v\n%s", err, out)
	}
	state := t.TempDir()
	db := filepath.Join(state, "ipam.db")
	if out, stderr, code := daemontest.Run(t, nil, "", "dev", "make-legacy-store", "--engine", "sqlite", "--path", db,
		"--addresses", "600", "--seed", "9"); code != 0 {
		t.Fatalf("make-legacy-store: exit %d\n%s%s", code, out, stderr)
	}
	srv := startServer(t, &env{}, flagStateDir, state)
	if out, stderr, code := daemontest.Run(t, nil, "", "convert", "--server", srv.conversion()); code != 0 {
		t.Fatalf("convert: exit %d\n%s%s", code, out, stderr)
	}
	store, err := sql.Open("sqlite", "file:"+db+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var group, field, value int64
	if err := store.QueryRow(`SELECT "RecordId" FROM "ADM_LogicalGroupsTable" WHERE "BuiltinLogicalGroupNumber" = 'ManagedBy'`).Scan(&group); err != nil {
		t.Fatal(err)
	}
	if err := store.QueryRow(`SELECT "RecordId" FROM "ADM_CustomFieldsTable" WHERE "BuiltinCustomFieldNumber" = 'ManagedBy'`).Scan(&field); err != nil {
		t.Fatal(err)
	}
	if err := store.QueryRow(`SELECT MIN("CustomFieldValueId") FROM "ADM_CustomFieldValuesAssociationTable" WHERE "CustomFieldId" = ?`, field).Scan(&value); err != nil {
		t.Fatal(err)
	}
	var want []string
	rows, err := store.Query(`SELECT DISTINCT "UsedById" FROM "ADM_CustomFieldValuesAssociationTable" WHERE "ObjectType" = 'IPRange'
		AND "Af" IN ('InterNetwork', 'IPv4') AND "CustomFieldId" = ? ORDER BY "UsedById"`, field)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		want = append(want, fmt.Sprint("ROW IPv4Range ", id))
	}
	rows.Close()
	if len(want) == 0 {
		t.Fatal("the store has no range with a Managed by value")
	}
	run := func(mode string) []string {
		t.Helper()
		cctx, ccancel := context.WithTimeout(context.Background(), clientHardTimeout+60*time.Second)
		defer ccancel()
		out, err := exec.CommandContext(cctx, "mono", exe, mode, srv.base+"/ipam/IIpamEnumerator", fmt.Sprint(group), fmt.Sprint(field), fmt.Sprint(value)).CombinedOutput()
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if err != nil || lines[len(lines)-1] != "PASS" {
			t.Fatalf("mono client %s: %v\n%s\nserver log:\n%s", mode, err, tail(string(out), 20), tail(srv.log.String(), 30))
		}
		return lines[:len(lines)-1]
	}
	if got := run("group"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the group's ranges:\n%s\nthe store:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for mode, reason := range map[string]string{
		"rangefilter": "FAULT IpamApiInvalidParameter Filter applies only to ActiveServer",
		"servers":     "FAULT IpamApiInvalidEnumeration a Filter of an ActiveServer logical group",
	} {
		if got := run(mode); len(got) != 1 || !strings.HasPrefix(got[0], reason) {
			t.Errorf("%s: %q, want a fault saying %q", mode, got, reason)
		}
	}
}
