//go:build linux

package faults

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ipamd/ipamd/client"
	"github.com/ipamd/ipamd/duplex/nmf"
	daemon "github.com/ipamd/ipamd/internal/daemontest"
	"github.com/ipamd/ipamd/internal/v1gen"
	"github.com/ipamd/ipamd/store"
	"github.com/ipamd/ipamd/store/convert"
	"github.com/ipamd/ipamd/store/schema"
	"github.com/ipamd/ipamd/store/storetest"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// daemonLease is store.lease_duration of the daemons in the two-daemon
// tests.
const daemonLease = 3 * time.Second

// ipamd is one daemon process of a two-daemon test.
type ipamd struct {
	srv        *daemon.Server
	pid        int
	conversion string // net.tcp IIpamAsyncSchemaConversion endpoint
	provision  string // net.tcp IIpamAsyncProvision endpoint
	admin      string // admin listener address (/metrics)
}

// startIpamd runs ipamd with a net.tcp listener whose active store is cfg
// (recorded in a fresh state directory).
func startIpamd(t *testing.T, cfg store.Config) *ipamd {
	t.Helper()
	state := t.TempDir()
	if err := store.SaveActive(state, cfg, true); err != nil {
		t.Fatal(err)
	}
	return runIpamd(t, state, "--store-allowed-hosts", fmt.Sprintf("%s:%d", cfg.Host, cfg.Port))
}

// runIpamd runs ipamd on state with a net.tcp listener, a short lease and
// flags.
func runIpamd(t *testing.T, state string, flags ...string) *ipamd {
	t.Helper()
	srv := daemon.Start(t, append([]string{
		daemon.FlagListen, "net.tcp://127.0.0.1:0",
		daemon.FlagStateDir, state,
		daemon.FlagWorkDuration, "0s",
		daemon.FlagCheckpointEvery, "500ms",
		"--store-lease-duration", daemonLease.String(),
		"--log-level", "info",
		"--admin-listen", "127.0.0.1:0",
	}, flags...)...)
	d := &ipamd{srv: srv}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ready, err := srv.Log.WaitFor(ctx, func(e daemon.Entry) bool { return e.Msg() == "ready" })
	if err != nil {
		t.Fatal(err)
	}
	d.admin = ready.String("admin")
	for _, e := range srv.Log.Find(func(e daemon.Entry) bool { return e.Msg() == "starting" }) {
		if pid, ok := e["pid"].(float64); ok {
			d.pid = int(pid)
		}
	}
	for _, e := range srv.Log.Find(func(e daemon.Entry) bool {
		return e.Msg() == "listening" && e.String("transport") == "net.tcp"
	}) {
		switch e.String("port_type") {
		case ipam.PortIIpamAsyncSchemaConversion:
			d.conversion = e.String("endpoint")
		case ipam.PortIIpamAsyncProvision:
			d.provision = e.String("endpoint")
		}
	}
	if d.pid == 0 || d.conversion == "" || d.provision == "" {
		t.Fatalf("ipamd: pid %d, net.tcp endpoints %q %q", d.pid, d.conversion, d.provision)
	}
	return d
}

func (d *ipamd) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := syscall.Kill(d.pid, sig); err != nil {
		t.Fatalf("%v to ipamd %d: %v", sig, d.pid, err)
	}
}

// convertVia runs a whole IIpamAsyncSchemaConversion session on d over
// net.tcp, as an administrator (the daemon's own account on loopback).
func convertVia(ctx context.Context, d *ipamd) (client.Result, error) {
	c := &client.Client{KeepaliveInterval: time.Second, Dialer: nmf.Dialer{ReadTimeout: 2 * time.Minute, WriteTimeout: 10 * time.Second, HandshakeTimeout: 10 * time.Second}}
	cs, err := c.Dial(ctx, d.conversion)
	if err != nil {
		return client.Result{}, err
	}
	return c.ConvertSchema(ctx, cs, nil)
}

// provisionVia runs a whole IIpamAsyncProvision session on d over net.tcp.
func provisionVia(ctx context.Context, d *ipamd, setting *ipam.IpamProvisioningSetting) (client.Result, error) {
	c := &client.Client{KeepaliveInterval: time.Second, Dialer: nmf.Dialer{ReadTimeout: 2 * time.Minute, WriteTimeout: 10 * time.Second, HandshakeTimeout: 10 * time.Second}}
	cs, err := c.Dial(ctx, d.provision)
	if err != nil {
		return client.Result{}, err
	}
	return c.Provision(ctx, cs, setting, nil)
}

func remoteID(err error) string {
	var re *client.RemoteError
	if errors.As(err, &re) {
		return re.ExceptionID()
	}
	return ""
}

// progressOf reads the rows done of a conversion step (0 before it).
func progressOf(db *sql.DB, step string) int64 {
	var n int64
	_ = db.QueryRow(`SELECT done_rows FROM ipamd_conversion_progress WHERE step = $1`, step).Scan(&n)
	return n
}

// conversionClock is the clock a running conversion stamps rows with
// (kept in its progress table, so a resumed conversion uses it too).
func conversionClock(t *testing.T, db *sql.DB) time.Time {
	t.Helper()
	var micros int64
	if err := db.QueryRow(`SELECT last_record_id FROM ipamd_conversion_progress WHERE step = '@started'`).Scan(&micros); err != nil {
		t.Fatalf("conversion clock: %v", err)
	}
	return time.UnixMicro(micros).UTC()
}

// referenceAt converts a fresh copy of the generated store without faults
// with the given conversion clock.
func referenceAt(t *testing.T, addresses int, at time.Time) map[string][]string {
	t.Helper()
	pg := storetest.NewPostgresDB(t)
	db, err := sql.Open("pgx", pg.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	return referenceIn(t, db, addresses, at)
}

// referenceIn generates the store into the empty database db and converts
// it without faults with the given conversion clock.
func referenceIn(t *testing.T, db *sql.DB, addresses int, at time.Time) map[string][]string {
	t.Helper()
	ctx := ctxFor(t, 3*time.Minute)
	if _, err := v1gen.Generate(ctx, db, schema.PostgreSQL, v1gen.Options{Addresses: addresses, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	if err := convert.Run(ctx, db, schema.PostgreSQL, convert.Options{Now: func() time.Time { return at }}); err != nil {
		t.Fatal(err)
	}
	return dumpPG(t, db)
}

// Two ipamd processes on one PostgreSQL database; a client converts
// through A, which then fails: killed (SIGKILL), paused past its lease
// (SIGSTOP, then SIGCONT while B converts) or cut off from the database
// only (a black hole between A and PostgreSQL). The client re-dials B: B
// refuses with IpamSchemaConversionAnotherOperationInProgress while A's
// lease is valid and resumes once it expired; A, if it comes back, writes
// no further batch (its next commit is fenced by the lease, and its client
// gets IpamSchemaConversionFailed saying the lease was lost); the store B
// leaves equals an uninterrupted conversion row for row.
func TestTwoDaemonsOneDatabase(t *testing.T) {
	const addresses = 4000
	const step4 = "4 backfill addresses"
	for _, fault := range []string{"SIGKILL", "SIGSTOP", "partition"} {
		t.Run(fault, func(t *testing.T) {
			pa, cfgA, db, direct := legacyPG(t, addresses)
			pb, cfgB := proxyTo(t, direct)
			// Round trips slowed so the conversion takes seconds and the
			// fault lands in the middle of it.
			pa.SetLatency(time.Millisecond)
			pb.SetLatency(time.Millisecond)
			a, b := startIpamd(t, cfgA), startIpamd(t, cfgB)

			ctx := ctxFor(t, 4*time.Minute)
			resA := make(chan error, 1)
			go func() { _, err := convertVia(ctx, a); resA <- err }()
			for progressOf(db, step4) == 0 {
				select {
				case err := <-resA:
					t.Fatalf("the conversion through A ended before step 4: %v", err)
				case <-time.After(20 * time.Millisecond):
				}
			}
			at := conversionClock(t, db)

			injected := time.Now()
			switch fault {
			case "SIGKILL":
				a.signal(t, syscall.SIGKILL)
			case "SIGSTOP":
				a.signal(t, syscall.SIGSTOP)
				t.Cleanup(func() { _ = syscall.Kill(a.pid, syscall.SIGCONT) })
			case "partition":
				pa.BlackHole()
				t.Cleanup(pa.Restore)
			}

			// The client re-dials B: refused while A's lease is valid, then
			// B takes the conversion over and runs it to the end.
			var refused atomic.Int32
			resB := make(chan error, 1)
			go func() {
				for {
					_, err := convertVia(ctx, b)
					if remoteID(err) == ipam.IpamSchemaConversionAnotherOperationInProgress && ctx.Err() == nil {
						refused.Add(1)
						time.Sleep(250 * time.Millisecond)
						continue
					}
					resB <- err
					return
				}
			}()
			if _, err := b.srv.Log.WaitFor(ctx, func(e daemon.Entry) bool { return e.Msg() == "schema conversion step" }); err != nil {
				t.Fatalf("B never took the conversion over: %v", err)
			}
			t.Logf("B took over %v after the fault, refused %d times before", time.Since(injected).Round(time.Millisecond), refused.Load())
			if refused.Load() == 0 {
				t.Errorf("B was not refused while A's lease was valid")
			}
			if fault == "SIGSTOP" {
				a.signal(t, syscall.SIGCONT) // A wakes while B converts
			}

			// A's client: a Complete with IpamSchemaConversionFailed (A
			// paused or partitioned) or a dropped session (A killed).
			select {
			case err := <-resA:
				t.Logf("A's client, %v after the fault: %v", time.Since(injected).Round(time.Millisecond), err)
				if fault != "SIGKILL" && remoteID(err) != ipam.IpamSchemaConversionFailed {
					t.Errorf("A's client got %v, want IpamSchemaConversionFailed", err)
				}
				if fault == "partition" && time.Since(injected) > 2*daemonLease+slack {
					t.Errorf("A's client got Complete %v after the partition, want within %v", time.Since(injected), 2*daemonLease+slack)
				}
			case <-time.After(2 * time.Minute):
				t.Errorf("A's client got no answer")
			}
			if err := <-resB; err != nil {
				t.Fatalf("B's conversion: %v", err)
			}
			if req, _, _, err := convert.Required(ctx, db, schema.PostgreSQL); err != nil || req {
				t.Fatalf("after B's conversion Required = %v, %v", req, err)
			}
			// Nothing A did after the fault is in the store: it equals an
			// uninterrupted conversion row for row. The database
			// configuration row names the server as the daemon that wrote
			// it reached it (here A's proxy): only its presence is compared.
			sameRows(t, dumpPG(t, db), referenceAt(t, addresses, at), "ADM_DatabaseConfigurationTable")
		})
	}
}
