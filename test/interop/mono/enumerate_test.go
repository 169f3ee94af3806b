package mono_test

import (
	"context"
	"database/sql"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the embedded store, read to check the rows

	"github.com/ipamd/ipamd/internal/daemontest"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// TestMonoEnumeratesConvertedStore: Mono's WCF stack (DuplexChannelFactory
// over NetTcpBinding, binary session encoding, its DataContractSerializer
// with its default 64 KiB MaxReceivedMessageSize) enumerates the IPv4
// addresses and ranges of a v1 store ipamd converted, and gets every row of
// the store, in RecordId order, with its address. Rule E8.
func TestMonoEnumeratesConvertedStore(t *testing.T) {
	for _, tool := range []string{"mcs", "mono"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not on PATH (install mono-mcs libmono-system-servicemodel4.0a-cil)", tool)
		}
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	src, err := filepath.Abs("enumclient.cs")
	if err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "enumclient.exe")
	if out, err := exec.CommandContext(ctx, "mcs", "-nowarn:649", "-out:"+exe,
		"-r:System.ServiceModel.dll", "-r:System.Runtime.Serialization.dll", src).CombinedOutput(); err != nil {
		t.Fatalf("mcs: %v\n%s", err, out)
	}
	state := t.TempDir()
	db := filepath.Join(state, "ipam.db") // the default embedded store of the state directory
	if out, stderr, code := daemontest.Run(t, nil, "", "dev", "make-legacy-store", "--engine", "sqlite", "--path", db,
		"--addresses", "2500", "--seed", "9"); code != 0 {
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

	for _, tc := range []struct {
		object, rowType, query string
	}{
		{"IPAddress", "IpamIPv4Address", `SELECT "RecordId", "IpAddress" FROM "ADM_IPAddressTable" WHERE "Family" = 'IPv4' ORDER BY "RecordId"`},
		{"IPRange", "IPv4Range", `SELECT "RecordId", "StartIPAddress" FROM "ADM_IPRangeTable" WHERE "Family" = 'IPv4' ORDER BY "RecordId"`},
	} {
		t.Run(tc.object, func(t *testing.T) {
			var want []string
			rows, err := store.Query(tc.query)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var id, addr string
				if err := rows.Scan(&id, &addr); err != nil {
					t.Fatal(err)
				}
				want = append(want, "ROW "+tc.rowType+" "+id+" "+ipam.ParseIPAddressText(addr).String())
			}
			rows.Close()
			if len(want) == 0 {
				t.Fatal("the store has no such rows")
			}
			cctx, ccancel := context.WithTimeout(context.Background(), clientHardTimeout+60*time.Second)
			defer ccancel()
			out, err := exec.CommandContext(cctx, "mono", exe, tc.object, "IPv4", srv.base+"/ipam/IIpamEnumerator").CombinedOutput()
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			if err != nil || len(lines) == 0 || lines[len(lines)-1] != "PASS" {
				t.Fatalf("mono client: %v\n%s\nserver log:\n%s", err, tail(string(out), 20), tail(srv.log.String(), 30))
			}
			var got []string
			for _, l := range lines {
				if strings.HasPrefix(l, "ROW ") {
					got = append(got, l)
				}
			}
			if len(got) != len(want) {
				t.Fatalf("%d rows, the store has %d\n%s", len(got), len(want), tail(string(out), 5))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("row %d: %q, the store has %q", i, got[i], want[i])
				}
			}
			t.Logf("%d rows; %s", len(got), lines[len(lines)-2])
		})
	}
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
