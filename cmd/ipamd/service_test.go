package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ipamd/ipamd/cmd/ipamd/internal/systemd"
)

// TestServiceInstallRoot runs `ipamd service install --root DIR` as an
// operator would: the binary, the configuration and the unit land under
// DIR; the unit parses, passes systemd-analyze verify (where installed) and
// follows the configuration (a port below 1024 grants
// CAP_NET_BIND_SERVICE; the drain timeout sizes TimeoutStopSec).
func TestServiceInstallRoot(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("systemd only")
	}
	root := t.TempDir()
	cfg := filepath.Join(root, "etc/ipamd/ipamd.yaml")
	if err := os.MkdirAll(filepath.Dir(cfg), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte("listen:\n  - net.tcp://127.0.0.1:808\nshutdown:\n  drain_timeout: 5m\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := ipamd(t, nil, "service", "install", "--root", root, "--user", "ipamd")
	if code != 0 {
		t.Fatalf("install: exit %d\n%s%s", code, out, stderr)
	}
	for _, want := range []string{"CAP_NET_BIND_SERVICE", "write unit " + filepath.Join(root, "etc/systemd/system/ipamd.service"),
		"keep configuration", "would run: systemctl enable ipamd.service (not run with --root)"} {
		if !strings.Contains(out, want) {
			t.Errorf("install output lacks %q:\n%s", want, out)
		}
	}
	unit, err := os.ReadFile(filepath.Join(root, "etc/systemd/system/ipamd.service"))
	if err != nil {
		t.Fatal(err)
	}
	u, err := systemd.ParseUnit(unit)
	if err != nil {
		t.Fatal(err)
	}
	svc := u["Service"]
	for key, want := range map[string]string{
		"Type": "notify", "User": "ipamd", "AmbientCapabilities": "CAP_NET_BIND_SERVICE",
		"TimeoutStopSec": "330s", "ExecStart": "/usr/local/bin/ipamd serve --config /etc/ipamd/ipamd.yaml",
	} {
		if got := strings.Join(svc[key], "|"); got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	installed := filepath.Join(root, "usr/local/bin/ipamd")
	if fi, err := os.Stat(installed); err != nil || fi.Mode().Perm() != 0o755 {
		t.Fatalf("binary not installed: %v", err)
	}
	verifyUnit(t, unit, installed)

	// The dry run prints the same unit and writes nothing.
	dry := t.TempDir()
	out, _, code = ipamd(t, nil, "service", "install", "--dry-run", "--root", dry)
	if code != 0 || !strings.Contains(out, "----- "+filepath.Join(dry, "etc/systemd/system/ipamd.service")) || !strings.Contains(out, "DynamicUser=yes") {
		t.Errorf("dry run: exit %d\n%s", code, out)
	}
	if entries, _ := os.ReadDir(dry); len(entries) != 0 {
		t.Errorf("dry run wrote %v", entries)
	}

	out, _, code = ipamd(t, nil, "service", "uninstall", "--root", root)
	if code != 0 {
		t.Fatalf("uninstall: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(root, "etc/systemd/system/ipamd.service")); !os.IsNotExist(err) {
		t.Errorf("unit still installed: %v", err)
	}
	// An invalid configuration is a configuration error (exit 2).
	if err := os.WriteFile(cfg, []byte("limits:\n  max_connections: 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := ipamd(t, nil, "service", "install", "--root", root); code != 2 || !strings.Contains(stderr, "limits.max_connections") {
		t.Errorf("install with an invalid configuration: exit %d %s", code, stderr)
	}
}

// verifyUnit runs systemd-analyze verify on unit with ExecStart pointed at
// exe (verify insists the binary exists). Absent tool: skipped with a log.
func verifyUnit(t *testing.T, unit []byte, exe string) {
	t.Helper()
	tool, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Log("systemd-analyze not installed: unit not verified")
		return
	}
	text := strings.Replace(string(unit), "ExecStart=/usr/local/bin/ipamd ", "ExecStart="+exe+" ", 1)
	path := filepath.Join(t.TempDir(), "ipamd.service")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, tool, "verify", "--man=no", path).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestSdNotify runs ipamd as systemd would (NOTIFY_SOCKET, WATCHDOG_USEC):
// READY=1 once it listens, WATCHDOG=1 at half the interval, STOPPING=1 at
// SIGTERM.
func TestSdNotify(t *testing.T) {
	skipWithoutSignals(t)
	sock := filepath.Join(t.TempDir(), "notify")
	ln, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Skipf("unixgram: %v", err)
	}
	defer ln.Close()
	got := make(chan string, 64)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := ln.Read(buf)
			if err != nil {
				close(got)
				return
			}
			got <- string(buf[:n])
		}
	}()
	next := func(prefix string) string {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case m := <-got:
				if strings.HasPrefix(m, prefix) {
					return m
				}
			case <-deadline:
				t.Fatalf("no %q notification", prefix)
			}
		}
	}
	d := startDaemonEnv(t, []string{"NOTIFY_SOCKET=" + sock, "WATCHDOG_USEC=400000"})
	if m := next("READY=1"); !strings.Contains(m, "STATUS=serving 1 listener(s)") {
		t.Errorf("ready notification %q", m)
	}
	next("WATCHDOG=1")
	next("WATCHDOG=1")
	d.Signal(syscall.SIGHUP)
	next("RELOADING=1")
	next("READY=1")
	d.Signal(syscall.SIGTERM)
	if m := next("STOPPING=1"); !strings.Contains(m, "STATUS=draining 0 session(s)") {
		t.Errorf("stopping notification %q", m)
	}
	if code := d.ExitCode(20 * time.Second); code != 0 {
		t.Fatalf("exit %d", code)
	}
	d.WaitLog("running under systemd", time.Second)
}
