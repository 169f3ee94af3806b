package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipamd/ipamd/internal/negotiatetest"
)

// TestClientCommandsOverNegotiate: `ipamd provision|status --security
// negotiate` authenticate with NTLMv2 inside SPNEGO over NegotiateStream
// against a negotiate listener; the identity decides authorization (bob is
// an administrator, carol is not), a wrong password is a logon failure,
// and an unsecured client is refused in the preamble.
func TestClientCommandsOverNegotiate(t *testing.T) {
	dir := t.TempDir()
	accounts := negotiatetest.AccountsFile(t, dir, "bob", "Bob-Pass-1234", "carol", "Carol-Pass-1234")
	pwFile := filepath.Join(dir, "bob-password")
	if err := os.WriteFile(pwFile, []byte("Bob-Pass-1234\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	listening, _ := serveLogs(t, 3, "--listen", "net.tcp://127.0.0.1:0?security=negotiate",
		"--security-negotiate-ntlm-accounts-file", accounts, "--security-administrators", `IPAM\bob`)
	server := "net.tcp://" + listening[0]["addr"].(string)
	provision := []string{"provision", "--server", server, "--provisioning-method", "Manual",
		"--database-type", "WindowsInternalDatabase", "--progress", "never", "--output", "json"}

	for _, tt := range []struct {
		name     string
		env      []string
		args     []string
		code     int
		outcome  string // in the JSON report
		contains string // in stdout+stderr
	}{
		{"administrator from a password file", nil, []string{"--security", "negotiate", "--user", `IPAM\bob`, "--password-file", pwFile},
			0, `"outcome":"success"`, ""},
		{"second provisioning, password from the environment", []string{passwordEnv + "=Bob-Pass-1234"}, []string{"--security", "negotiate", "--user", `IPAM\bob`},
			3, "IpamApiErrorIpamAlreadyProvisioned", ""},
		{"not an administrator", []string{passwordEnv + "=Carol-Pass-1234"}, []string{"--security", "negotiate", "--user", `IPAM\carol`},
			3, "IpamApiAccessDenied", ""},
		{"wrong password", []string{passwordEnv + "=nope"}, []string{"--security", "negotiate", "--user", `IPAM\bob`},
			1, "", "0x8009030c"},
		{"no security against a negotiate listener", nil, nil,
			1, "", "UpgradeInvalid"},
		{"no password", nil, []string{"--security", "negotiate", "--user", `IPAM\bob`},
			2, "", passwordEnv},
		{"user without domain", []string{passwordEnv + "=x"}, []string{"--security", "negotiate", "--user", "bob"},
			2, "", `DOMAIN\user`},
		{"tls flags with negotiate", []string{passwordEnv + "=x"}, []string{"--security", "negotiate", "--user", `IPAM\bob`, "--tls-ca", pwFile},
			2, "", "--security tls"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, stderr, code := ipamd(t, tt.env, append(append([]string{}, provision...), tt.args...)...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, stderr)
			}
			if tt.outcome != "" && !strings.Contains(out, tt.outcome) {
				t.Errorf("stdout lacks %q: %s", tt.outcome, out)
			}
			if tt.contains != "" && !strings.Contains(out+stderr, tt.contains) {
				t.Errorf("output lacks %q:\nstdout: %s\nstderr: %s", tt.contains, out, stderr)
			}
		})
	}
	out, stderr, code := ipamd(t, []string{passwordEnv + "=Bob-Pass-1234"}, "status", "--server", server,
		"--security", "negotiate", "--user", `IPAM\bob`, "--output", "json")
	if code != 0 || !strings.Contains(out, `"configured":true`) {
		t.Fatalf("status: exit %d\nstdout: %s\nstderr: %s", code, out, stderr)
	}
}

// TestClientCommandsOverTLS: `--security tls` verifies the server against
// --tls-ca and presents --tls-cert when the listener requires a client
// certificate, whose subject is the identity authorization sees; without
// the CA or the client certificate the handshake fails.
func TestClientCommandsOverTLS(t *testing.T) {
	dir := t.TempDir()
	writePKI(t, dir)
	listening, _ := serveLogs(t, 3, "--listen", "net.tcp://127.0.0.1:0?security=tls",
		"--security-tls-certificate-file", filepath.Join(dir, "server.pem"),
		"--security-tls-key-file", filepath.Join(dir, "server.key"),
		"--security-tls-client-auth", "require",
		"--security-tls-client-ca-file", filepath.Join(dir, "ca.pem"),
		"--security-administrators", "CN=admin")
	server := "net.tcp://" + listening[0]["addr"].(string)
	ca, cert, key := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "client.pem"), filepath.Join(dir, "client.key")
	for _, tt := range []struct {
		name     string
		args     []string
		code     int
		contains string
	}{
		{"verified both ways", []string{"--tls-ca", ca, "--tls-cert", cert, "--tls-key", key}, 0, `"configured":false`},
		{"server name from the flag", []string{"--tls-ca", ca, "--tls-cert", cert, "--tls-key", key, "--tls-server-name", "localhost"}, 0, `"configured":false`},
		{"wrong server name", []string{"--tls-ca", ca, "--tls-cert", cert, "--tls-key", key, "--tls-server-name", "ipam.example"}, 1, "ipam.example"},
		{"server not trusted", []string{"--tls-cert", cert, "--tls-key", key}, 1, "certificate"},
		{"no client certificate", []string{"--tls-ca", ca}, 1, ""},
		{"cert without key", []string{"--tls-ca", ca, "--tls-cert", cert}, 2, "--tls-key"},
		{"missing CA file", []string{"--tls-ca", filepath.Join(dir, "absent.pem")}, 2, "--tls-ca"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, stderr, code := ipamd(t, nil, append([]string{"status", "--server", server, "--security", "tls", "--output", "json"}, tt.args...)...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, stderr)
			}
			if !strings.Contains(out+stderr, tt.contains) {
				t.Errorf("output lacks %q:\nstdout: %s\nstderr: %s", tt.contains, out, stderr)
			}
		})
	}
}
