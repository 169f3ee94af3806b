// Package negotiate_test runs MIT GSSAPI with gss-ntlmssp — real
// third-party NegotiateStream initiators, via nns_client.py on Debian's
// python3-gssapi — against ipamd's application/negotiate listener.
//
// The test skips unless /usr/bin/python3 can import gssapi and gss-ntlmssp
// is registered (Debian: apt-get install --no-install-recommends
// python3-gssapi gss-ntlmssp); with IPAMD_REQUIRE_INTEROP=1 it fails
// instead. Nothing outside the test's temporary directory is touched: the
// GSSAPI configuration is chosen by environment variables.
package negotiate_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ipamd/ipamd/internal/daemontest"
	"github.com/ipamd/ipamd/internal/negotiatetest"
)

const (
	python        = "/usr/bin/python3"
	ntlmMechConf  = "/etc/gss/mech.d/mech.ntlmssp.conf"
	clientTimeout = 30 * time.Second
)

func requirePeers(t *testing.T) {
	t.Helper()
	skip := func(why string) {
		if os.Getenv("IPAMD_REQUIRE_INTEROP") == "1" {
			t.Fatalf("IPAMD_REQUIRE_INTEROP=1 but %s", why)
		}
		t.Skip(why + " (apt-get install --no-install-recommends python3-gssapi gss-ntlmssp)")
	}
	if runtime.GOOS != "linux" {
		skip("not Linux")
	}
	if err := exec.Command(python, "-c", "import gssapi").Run(); err != nil {
		skip(python + " cannot import gssapi")
	}
	if _, err := os.Stat(ntlmMechConf); err != nil {
		skip("gss-ntlmssp is not installed")
	}
}

// startIpamd builds and starts ipamd with a negotiate listener whose NTLM
// accounts file holds IPAM\bob, and returns the listener's port.
func startIpamd(t *testing.T, dir string) string {
	t.Helper()
	return startIpamdWith(t, dir)
}

// startIpamdWith is startIpamd with extra serve flags.
func startIpamdWith(t *testing.T, dir string, extra ...string) string {
	t.Helper()
	accounts := negotiatetest.AccountsFile(t, dir, "bob", "Bob-Pass-1234")
	args := append([]string{"serve", "--state-dir", filepath.Join(dir, "state"),
		"--listen", "net.tcp://127.0.0.1:0?security=negotiate",
		"--security-negotiate-ntlm-accounts-file", accounts, "--log-level", "debug"}, extra...)
	addr := daemontest.Spawn(t, nil, args...).WaitLog("listening", 20*time.Second).String("addr")
	return addr[strings.LastIndexByte(addr, ':')+1:]
}

// runClient runs nns_client.py against port and returns its output and
// exit code.
func runClient(t *testing.T, env []string, port string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, append([]string{"nns_client.py", "--port", port}, args...)...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), 0
}

// cleanEnv is the environment the peers start from.
func cleanEnv() []string { return daemontest.CleanEnv() }

func TestMain(m *testing.M) {
	code := m.Run()
	daemontest.Cleanup()
	os.Exit(code)
}

func TestGSSNTLMSSP(t *testing.T) {
	requirePeers(t)
	dir := t.TempDir()
	port := startIpamd(t, dir)
	users := filepath.Join(dir, "ntlm-users")
	wrong := filepath.Join(dir, "ntlm-users-wrong")
	if err := os.WriteFile(users, []byte("IPAM:bob:Bob-Pass-1234\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(wrong, []byte("IPAM:bob:Not-The-Password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	krb5conf := filepath.Join(dir, "krb5.conf") // empty: no realm, so SPNEGO offers NTLM only
	if err := os.WriteFile(krb5conf, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		userFile  string
		args      []string
		wantCode  int
		wantInOut string
	}{
		{"spnego", users, []string{"--mech", "spnego"}, 0, "SESSION_OK"},
		{"raw ntlm", users, []string{"--mech", "ntlm"}, 0, "SESSION_OK"},
		{"spnego, wrong password", wrong, []string{"--mech", "spnego"}, 3, "HANDSHAKE_ERROR 0x8009030C"},
		{"raw ntlm, wrong password", wrong, []string{"--mech", "ntlm"}, 3, "HANDSHAKE_ERROR 0x8009030C"},
		{"spnego, tampered data frame", users, []string{"--mech", "spnego", "--tamper"}, 4, "CLOSED"},
		// A pooled connection: the second session on the same socket.
		{"spnego, two sessions on one socket", users, []string{"--mech", "spnego", "--sessions", "2"}, 0, "SESSION_OK\nAUTHENTICATED mech=spnego"},
		{"raw ntlm, two sessions on one socket", users, []string{"--mech", "ntlm", "--sessions", "2"}, 0, "SESSION_OK\nAUTHENTICATED mech=ntlm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, code := runClient(t, append(cleanEnv(),
				"NTLM_USER_FILE="+tt.userFile, "NTLMUSER=bob",
				"KRB5_CONFIG="+krb5conf, "KRB5CCNAME=FILE:"+filepath.Join(dir, "no-ccache")), port, tt.args...)
			if code != tt.wantCode || !strings.Contains(out, tt.wantInOut) {
				t.Fatalf("exit %d, want %d with %q; output:\n%s", code, tt.wantCode, tt.wantInOut, out)
			}
		})
	}
}
