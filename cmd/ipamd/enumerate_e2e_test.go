package main

import (
	"encoding/json"
	"path/filepath"
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
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
