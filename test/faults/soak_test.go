//go:build linux

package faults

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	daemon "github.com/ipamd/ipamd/internal/daemontest"
	"github.com/ipamd/ipamd/internal/loadgen"
)

// TestSoak runs the soak mix against one provisioned daemon (embedded
// store) for 60 s — IPAMD_SOAK_DURATION overrides it, e.g. 30m for the
// long run docs/reliability.md reports — and fails on an action that did
// not end as expected or a resource that grew beyond its bound once the
// load stopped.
func TestSoak(t *testing.T) {
	dur := time.Minute
	if v := os.Getenv("IPAMD_SOAK_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("IPAMD_SOAK_DURATION: %v", err)
		}
		dur = d
	}
	if testing.Short() {
		dur = 10 * time.Second
	}
	state := t.TempDir()
	d := runIpamd(t, state, "--limits-preamble-timeout", "2s")
	ctx, cancel := context.WithTimeout(context.Background(), dur+5*time.Minute)
	defer cancel()
	if _, err := provisionVia(ctx, d, widSetting(state)); err != nil {
		t.Fatalf("provisioning the soak's store: %v", err)
	}
	r, err := loadgen.Soak(ctx, loadgen.SoakConfig{Target: d.provision, Admin: d.admin, Duration: dur, Clients: 8,
		SampleEvery: 5 * time.Second, SessionTimeout: 20 * time.Second, Hold: 2 * time.Second})
	if err != nil {
		t.Fatalf("soak: %v", err)
	}
	for _, s := range r.Samples {
		t.Logf("t=%5.1fs rss=%6.1f MiB goroutines=%4.0f fds=%4.0f sessions=%3.0f load=%v db_in_use=%.0f db_open=%.0f",
			s.At.Seconds(), s.RSSBytes/(1<<20), s.Goroutines, s.FDs, s.Sessions, s.Load, s.DBInUse, s.DBOpen)
	}
	t.Logf("actions %v; errors %v; growth rss %.1f MiB, goroutines %.0f, fds %.0f, sessions %.0f, database connections in use %.0f, open %.0f",
		r.Actions, r.Errors, r.Growth.RSSBytes/(1<<20), r.Growth.Goroutines, r.Growth.FDs, r.Growth.Sessions, r.Growth.DBInUse, r.Growth.DBOpen)
	for _, a := range []string{loadgen.SoakRefused, loadgen.SoakHeld, loadgen.SoakDisconnect, loadgen.SoakSlow, loadgen.SoakMalformed} {
		if r.Actions[a] == 0 {
			t.Errorf("the mix ran no %s action", a)
		}
	}
	if len(r.Errors) > 0 {
		t.Errorf("actions that did not end as expected: %v", r.Errors)
	}
	for _, v := range r.Violations {
		t.Errorf("leak: %s", v)
	}
	// The store's pool is sampled for real: the provisioned store has
	// connections open (ipamd_store_connections is fed, not a constant 0).
	opened := 0.0
	for _, s := range r.Samples {
		opened = max(opened, s.DBOpen)
	}
	if opened == 0 {
		t.Errorf("no sample saw an open database connection: ipamd_store_connections is not fed by the active store")
	}
}

// `ipamd bench soak` is the operator's way to run the same soak: a short
// run against a provisioned daemon exits 0 and prints the samples and the
// growth.
func TestBenchSoakCommand(t *testing.T) {
	state := t.TempDir()
	d := runIpamd(t, state, "--limits-preamble-timeout", "2s")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := provisionVia(ctx, d, widSetting(state)); err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(ctx, daemon.Binary(t), "bench", "soak", "--server", d.provision, "--admin", d.admin,
		"--duration", "5s", "--sample-every", "1s", "--clients", "4").CombinedOutput()
	if err != nil {
		t.Fatalf("ipamd bench soak: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "growth: rss") || !strings.Contains(string(out), "load=true") {
		t.Errorf("ipamd bench soak printed no samples or growth:\n%s", out)
	}
}
