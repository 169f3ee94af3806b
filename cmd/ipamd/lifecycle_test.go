package main

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ipamd/ipamd/client"
	"github.com/ipamd/ipamd/config"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// startWork opens a provisioning session on the net.tcp listener at addr
// and starts its work; the session is aborted when the test ends.
func startWork(t *testing.T, addr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var c client.Client
	conn, err := c.Dial(ctx, "net.tcp://"+addr+config.Default().Endpoints.ProvisionPath)
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.NewSession(conn, client.Provisioning)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Abort)
	if err := s.Initialize(ctx, client.ProvisioningParameters(&ipam.IpamProvisioningSetting{})); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
}

func skipWithoutSignals(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGTERM/SIGHUP on Windows (the SCM stops the service: see internal/winsvc)")
	}
}

// The drain, readiness, reload and admin endpoints are tested in process
// (internal/server, through servertest); what is left here needs the
// process: its signals and exit codes.

// TestSecondSignalForcesExit: a second SIGTERM during the drain exits at
// once with code 3.
func TestSecondSignalForcesExit(t *testing.T) {
	skipWithoutSignals(t)
	d := startDaemon(t, "--dev-work-duration", "1h", "--shutdown-drain-timeout", "1h")
	startWork(t, d.netTCP)
	d.Signal(syscall.SIGTERM)
	d.WaitLog("draining: no new sessions; running work may finish", 5*time.Second)
	start := time.Now()
	d.Signal(syscall.SIGTERM)
	if code := d.ExitCode(10 * time.Second); code != 3 {
		t.Fatalf("exit code %d, want 3 (forced)", code)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("forced exit took %v", took)
	}
	d.WaitLog("forced exit: the drain was interrupted", time.Second)
}

// TestSIGHUPReload: SIGHUP re-reads the file (the same file, environment
// and flags), applies the log level and the limits, and names what needs a
// restart; a broken file changes nothing.
func TestSIGHUPReload(t *testing.T) {
	skipWithoutSignals(t)
	file := filepath.Join(t.TempDir(), "ipamd.yaml")
	write := func(s string) {
		if err := os.WriteFile(file, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("log:\n  level: info\n")
	d := startDaemon(t, "--config", file)
	base := "http://" + d.admin

	write("log:\n  level: debug\nlimits:\n  max_connections: 42\nendpoints:\n  provision_path: /other\n")
	d.Signal(syscall.SIGHUP)
	reloaded := d.WaitLog("configuration reloaded", 5*time.Second)
	if got := reloaded["applied"]; !sameStrings(got, "limits.max_connections", "log.level") {
		t.Errorf("applied = %v", got)
	}
	warn := d.WaitLog("configuration changes not reloaded: they need a restart", time.Second)
	if got := warn["keys"]; !sameStrings(got, "endpoints.provision_path") {
		t.Errorf("restart keys = %v", got)
	}
	if _, body := httpGet(t, base+"/log/level"); !strings.Contains(body, `"debug"`) {
		t.Errorf("level after reload: %s", body)
	}

	write("log:\n  level: loud\n")
	d.Signal(syscall.SIGHUP)
	d.WaitLog("reload failed: keeping the running configuration", 5*time.Second)
	if _, body := httpGet(t, base+"/log/level"); !strings.Contains(body, `"debug"`) {
		t.Errorf("level after a failed reload: %s", body)
	}
	if _, m := httpGet(t, base+"/metrics"); !strings.Contains(m, `ipamd_config_reloads_total{result="failure"} 1`) ||
		!strings.Contains(m, `ipamd_config_reloads_total{result="success"} 1`) {
		t.Errorf("reload counters wrong")
	}
	d.Signal(syscall.SIGTERM)
	if code := d.ExitCode(20 * time.Second); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

func sameStrings(v any, want ...string) bool {
	list, ok := v.([]any)
	if !ok || len(list) != len(want) {
		return false
	}
	for i, w := range want {
		if list[i] != w {
			return false
		}
	}
	return true
}
