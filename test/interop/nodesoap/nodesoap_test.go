// Package nodesoap_test runs nodesoap_client.js, a node-soap client (npm
// "soap", pinned by package-lock.json), against a real ipamd's HTTP
// endpoint: node-soap loads <endpoint>?wsdl, calls Initialize… and Start… on
// the WSDL's SOAP 1.2 HTTP port with WS-Addressing headers, and the
// script's own listener must receive Notify…Start, one or more
// Notify…Checkpoint and Notify…Complete, for both port types.
//
// The npm packages are installed with `npm ci` from package-lock.json into
// a cache directory outside the repository (keyed by the lockfile's hash, so
// a changed lockfile installs afresh) and found through NODE_PATH; a
// node_modules directory beside this file, if someone ran npm ci here, is
// used instead. The test skips when node or npm is missing or npm ci fails
// (no registry access) unless IPAMD_REQUIRE_INTEROP=1, which CI sets; then
// it fails.
package nodesoap_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ipamd/ipamd/test/internal/daemon"
)

const (
	script        = "nodesoap_client.js"
	lockfile      = "package-lock.json"
	manifest      = "package.json"
	clientTimeout = 90 * time.Second // the whole script, WSDL load to Complete
	callbackWait  = "30"             // the script's wait for Notify…Complete, seconds
	npmTimeout    = 5 * time.Minute
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		daemon.Cleanup()
		os.Exit(code)
	}))
}

// nodeModules returns the node_modules directory holding the locked
// packages, running npm ci first when needed.
func nodeModules(t *testing.T) string {
	t.Helper()
	node, errNode := exec.LookPath("node")
	npm, errNpm := exec.LookPath("npm")
	if errNode != nil || errNpm != nil {
		daemon.MissingPeer(t, "node and npm are needed on PATH (Debian: apt-get install nodejs npm)")
	}
	t.Logf("using %s and %s", node, npm)
	if local, err := filepath.Abs("node_modules"); err == nil {
		if _, err := os.Stat(filepath.Join(local, "soap", "package.json")); err == nil {
			return local
		}
	}

	lock, err := os.ReadFile(lockfile)
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(append(append([]byte(nil), pkg...), lock...))
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "ipamd-interop", "nodesoap-"+hex.EncodeToString(sum[:8]))
	modules := filepath.Join(dir, "node_modules")
	if _, err := os.Stat(filepath.Join(modules, "soap", "package.json")); err == nil {
		return modules
	}

	// Install into a fresh directory and move it into place, so a failed or
	// concurrent install never leaves a half-filled cache entry behind.
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "install-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	for name, b := range map[string][]byte{manifest: pkg, lockfile: lock} {
		if err := os.WriteFile(filepath.Join(tmp, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), npmTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts")
	cmd.Dir = tmp
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		daemon.MissingPeer(t, "npm ci (needs the npm registry) failed: %v\n%s", err, out)
	}
	t.Logf("npm ci in %v", time.Since(start).Round(time.Millisecond))
	if err := os.Rename(tmp, dir); err != nil {
		if _, statErr := os.Stat(filepath.Join(modules, "soap", "package.json")); statErr != nil {
			t.Fatalf("moving the npm install into %s: %v", dir, err)
		}
		// Another test run installed the same lockfile meanwhile.
	}
	return modules
}

func TestNodeSoapSessions(t *testing.T) {
	modules := nodeModules(t)
	for _, tc := range []struct {
		port  string // the script's --port
		flags []string
		init  string
	}{
		{"provision", nil, "InitializeAsyncProvisioning"},
		{"conversion", []string{daemon.FlagRequireConversion}, "InitializeAsyncSchemaConversion"},
	} {
		t.Run(tc.port, func(t *testing.T) {
			t.Parallel()
			srv := daemon.Start(t, tc.flags...)
			endpoint := srv.Provision()
			if tc.port == "conversion" {
				endpoint = srv.Conversion()
			}
			lines := runScript(t, modules, "--wsdl", endpoint+"?wsdl", "--port", tc.port, "--timeout", callbackWait)
			checkEvents(t, lines, tc.init)
		})
	}
}

// runScript runs nodesoap_client.js; it fails the test unless it exits 0.
func runScript(t *testing.T, modules string, args ...string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", append([]string{script}, args...)...)
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	t.Logf("node %s %s → %v in %v\n%s", script, strings.Join(args, " "), err,
		time.Since(start).Round(time.Millisecond), out.String())
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("%s did not finish within %v", script, clientTimeout)
	case errors.As(err, &ee):
		t.Fatalf("%s exited %d: %s", script, ee.ExitCode(), strings.Join(linesWith(out.String(), "FAIL "), "; "))
	case err != nil:
		t.Fatalf("running %s: %v", script, err)
	}
	return strings.Split(strings.TrimSpace(out.String()), "\n")
}

func linesWith(out, prefix string) []string {
	var l []string
	for _, s := range strings.Split(out, "\n") {
		if strings.HasPrefix(s, prefix) {
			l = append(l, s)
		}
	}
	return l
}

// checkEvents checks the script's EVENT lines: Initialize (HTTP 200), Start
// (HTTP 202), then the callbacks Start, Checkpoint (one or more), Complete
// without exception.
func checkEvents(t *testing.T, lines []string, initOp string) {
	t.Helper()
	var ev []string
	for _, l := range lines {
		if s, ok := strings.CutPrefix(l, "EVENT "); ok && !strings.HasPrefix(s, "node ") {
			ev = append(ev, s)
		}
		if strings.HasPrefix(l, "FAIL ") {
			t.Errorf("script: %s", l)
		}
	}
	notify, startOp := "NotifyAsyncProvision", "StartAsyncProvisioning"
	if strings.Contains(initOp, "SchemaConversion") {
		notify, startOp = "NotifyAsyncSchemaConversion", "StartAsyncSchemaConversion"
	}
	if len(ev) < 5 {
		t.Fatalf("events %q: want Initialize, Start and at least three callbacks", ev)
	}
	for i, w := range []string{initOp + " status=200", startOp + " status=202", notify + "Start "} {
		if !strings.HasPrefix(ev[i], w) {
			t.Errorf("event %d is %q, want %s…", i, ev[i], w)
		}
	}
	for _, e := range ev[3 : len(ev)-1] {
		if !strings.HasPrefix(e, notify+"Checkpoint ") {
			t.Errorf("event %q between Start and Complete, want only %sCheckpoint", e, notify)
		}
	}
	if last := ev[len(ev)-1]; !strings.HasPrefix(last, notify+"Complete ") || !strings.Contains(last, " exception=nil") {
		t.Errorf("last event %q, want %sComplete … exception=nil", last, notify)
	}
}
