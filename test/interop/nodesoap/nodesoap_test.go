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
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	daemon "github.com/ipamd/ipamd/internal/daemontest"
	"github.com/ipamd/ipamd/test/internal/peer"
	"github.com/ipamd/ipamd/wsdl/ipam"
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
		peer.Missing(t, "node and npm are needed on PATH (Debian: apt-get install nodejs npm)")
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
		peer.Missing(t, "npm ci (needs the npm registry) failed: %v\n%s", err, out)
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
		port     string // the script's --port
		portType string
		flags    []string
	}{
		{"provision", ipam.PortIIpamAsyncProvision, nil},
		{"conversion", ipam.PortIIpamAsyncSchemaConversion, []string{daemon.FlagRequireConversion}},
	} {
		t.Run(tc.port, func(t *testing.T) {
			t.Parallel()
			srv := daemon.Start(t, tc.flags...)
			lines := peer.Run(t, clientTimeout, []string{"NODE_PATH=" + modules}, "node", script,
				"--wsdl", srv.Endpoints[tc.portType]+"?wsdl", "--port", tc.port, "--timeout", callbackWait)
			peer.CheckSession(t, lines, tc.portType)
			// node-soap reports the HTTP status of the two requests.
			for _, e := range peer.Events(lines) {
				if want := map[string]string{"Initialize": "200", "Start": "202"}; want[opKind(e.Name)] != "" && e.Fields["status"] != want[opKind(e.Name)] {
					t.Errorf("%s: HTTP %s, want %s", e.Name, e.Fields["status"], want[opKind(e.Name)])
				}
			}
		})
	}
}

// opKind is "Initialize" or "Start" for the two client operations.
func opKind(op string) string {
	for _, k := range []string{"Initialize", "Start"} {
		if strings.HasPrefix(op, k) {
			return k
		}
	}
	return ""
}
