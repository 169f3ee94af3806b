//go:build linux

package faults

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	daemontest "github.com/ipamd/ipamd/internal/daemontest"
	"github.com/ipamd/ipamd/internal/v1gen"
	"github.com/ipamd/ipamd/store"
	"github.com/ipamd/ipamd/store/convert"
	"github.com/ipamd/ipamd/store/schema"
	"github.com/ipamd/ipamd/store/storetest"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// pgCluster is a private PostgreSQL cluster of one test, so that it can be
// restarted without disturbing the shared server other tests run on.
type pgCluster struct {
	bin, data, log string
	port           int
}

// startCluster initialises and starts a private cluster on a free loopback
// port, as the postgres user (the tests run as root in CI), and stops it
// when t ends. It skips when not root or without Debian's server binaries,
// and fails instead under IPAMD_REQUIRE_POSTGRES=1.
func startCluster(t *testing.T) *pgCluster {
	t.Helper()
	missing := func(why string) {
		if os.Getenv(storetest.EnvRequirePostgres) == "1" {
			t.Fatalf("%s=1: %s", storetest.EnvRequirePostgres, why)
		}
		t.Skip(why)
	}
	if os.Geteuid() != 0 {
		t.Skip("a private PostgreSQL cluster is started as the postgres user, which needs root")
	}
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(bins, func(i, j int) bool { // newest major version first
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(bins[i])))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(bins[j])))
		return vi > vj
	})
	c := &pgCluster{}
	for _, b := range bins {
		if _, err := os.Stat(filepath.Join(b, "pg_ctl")); err == nil {
			c.bin = b
			break
		}
	}
	if c.bin == "" {
		missing("needs the PostgreSQL server binaries (/usr/lib/postgresql/N/bin: initdb, pg_ctl)")
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		missing("needs the postgres user to run a private cluster")
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	dir, err := os.MkdirTemp("", "ipamd-pgrestart-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.port = l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	c.data, c.log = filepath.Join(dir, "data"), filepath.Join(dir, "log")
	// Trust on loopback: the cluster lives for one test and listens on
	// 127.0.0.1 only, its socket directory is the test's own.
	c.pgctl(t, "initdb", "-D", c.data, "-U", "postgres", "-A", "trust", "--no-sync")
	c.pgctl(t, "pg_ctl", "-D", c.data, "-w", "-l", c.log, "-o",
		fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", c.port, dir), "start")
	t.Cleanup(func() {
		_ = exec.Command("runuser", "-u", "postgres", "--", filepath.Join(c.bin, "pg_ctl"), "-D", c.data, "-m", "immediate", "-w", "stop").Run()
	})
	return c
}

// pgctl runs one of the cluster's server binaries as the postgres user.
func (c *pgCluster) pgctl(t *testing.T, name string, args ...string) {
	t.Helper()
	out, err := exec.Command("runuser", append([]string{"-u", "postgres", "--", filepath.Join(c.bin, name)}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", name, err, out)
	}
}

// restart is `pg_ctl restart -m fast`: every session is terminated, new
// connections are refused until the server is up again (pg_ctl waits).
func (c *pgCluster) restart(t *testing.T) {
	t.Helper()
	c.pgctl(t, "pg_ctl", "-D", c.data, "-w", "-l", c.log, "-m", "fast", "restart")
}

// newDB creates an empty database on the cluster.
func (c *pgCluster) newDB(t *testing.T, name string) store.Config {
	t.Helper()
	cfg := store.Config{Type: ipam.IpamDatabaseTypeMSSQLServer, Host: "127.0.0.1", Port: c.port, Name: "postgres", User: "postgres", Password: "trusted"}
	admin := sqlDB(t, cfg)
	if _, err := admin.ExecContext(ctxFor(t, 30*time.Second), "CREATE DATABASE "+schema.Quote(name)); err != nil {
		t.Fatal(err)
	}
	_ = admin.Close()
	cfg.Name = name
	return cfg
}

// The PostgreSQL server ipamd converts a store on is restarted
// (`pg_ctl restart -m fast`, a private cluster of this test) in the middle
// of a step: the client gets Notify…Complete with
// IpamSchemaConversionFailed within the bound of docs/reliability.md, the
// store still needs conversion, the next Start resumes it, and the
// converted store equals an uninterrupted conversion row for row.
func TestConversionSurvivesPostgresRestart(t *testing.T) {
	const addresses = 20000
	const step4 = "4 backfill addresses"
	c := startCluster(t)
	cfg := c.newDB(t, "ipam_restart")
	db := sqlDB(t, cfg)
	ctx := ctxFor(t, 4*time.Minute)
	if _, err := v1gen.Generate(ctx, db, schema.PostgreSQL, v1gen.Options{Addresses: addresses, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	d := startIpamd(t, cfg)

	res := make(chan error, 1)
	go func() { _, err := convertVia(ctx, d); res <- err }()
	for progressOf(db, step4) == 0 {
		select {
		case err := <-res:
			t.Fatalf("the conversion ended before step 4 showed rows: %v", err)
		case <-time.After(5 * time.Millisecond):
		}
	}
	at := conversionClock(t, db)
	restarted := time.Now()
	c.restart(t)
	t.Logf("pg_ctl restart -m fast took %v", time.Since(restarted).Round(time.Millisecond))
	db = sqlDB(t, cfg) // the old pool's connections were terminated

	// Bound: the server terminates every session at once, so the batch's
	// next round trip fails; the lease's release at End is bounded by L/3.
	bound := daemonLease + slack
	select {
	case err := <-res:
		took := time.Since(restarted)
		t.Logf("the client got Complete %v after the restart began: %v", took.Round(time.Millisecond), err)
		if err == nil {
			t.Fatal("the conversion completed although its server was restarted mid-step")
		}
		if remoteID(err) != ipam.IpamSchemaConversionFailed {
			t.Fatalf("the client got %v, want IpamSchemaConversionFailed", err)
		}
		if took > bound {
			t.Errorf("Complete came %v after the restart, want within %v", took, bound)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("the client got no Complete after the restart")
	}
	for _, e := range d.srv.Log.Find(func(e daemontest.Entry) bool { return e.Msg() == "schema conversion failed" }) {
		t.Logf("where the restart met the conversion: %s", e.String("error"))
	}
	if req, _, _, err := convert.Required(ctx, db, schema.PostgreSQL); err != nil || !req {
		t.Fatalf("after the failed conversion Required = %v, %v", req, err)
	}

	// The next Start resumes at once: the failed job's End released the
	// lease on a fresh connection (its first attempt met a terminated one),
	// so the client is never refused as another operation.
	resumed := time.Now()
	deadline := resumed.Add(daemonLease + slack)
	for {
		_, err := convertVia(ctx, d)
		if err == nil {
			t.Logf("the resumed conversion completed %v after the failed one ended", time.Since(resumed).Round(time.Millisecond))
			break
		}
		if remoteID(err) == ipam.IpamSchemaConversionAnotherOperationInProgress {
			t.Fatalf("the resume was refused: the failed job's lease was left behind: %v", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the conversion did not resume within %v: %v", daemonLease+slack, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
	if req, _, _, err := convert.Required(ctx, db, schema.PostgreSQL); err != nil || req {
		t.Fatalf("after the resumed conversion Required = %v, %v", req, err)
	}

	// The uninterrupted conversion, on a second database of the same
	// cluster, with the interrupted one's clock. The database
	// configuration row names the database: only its presence is compared.
	sameRows(t, dumpPG(t, db), referenceIn(t, sqlDB(t, c.newDB(t, "ipam_reference")), addresses, at), "ADM_DatabaseConfigurationTable")
}
