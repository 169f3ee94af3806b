package main

import (
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ipamd/ipamd/internal/daemontest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	daemontest.Cleanup() // the binary daemontest built on first use
	os.Exit(code)
}

// ipamd runs the binary to completion with a clean IPAMD_* environment.
func ipamd(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return daemontest.Run(t, env, "", args...)
}

func TestVersion(t *testing.T) {
	out, _, code := ipamd(t, nil, "version")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"ipamd ", "commit: ", "go: " + runtime.Version(), "platform: " + runtime.GOOS} {
		if !strings.Contains(out, want) {
			t.Errorf("version output %q lacks %q", out, want)
		}
	}
}

func TestUsageAndConfigErrorsExit2(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("limits:\n  max_mesage_size: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		env  []string
		want string
	}{
		{[]string{"serve", "--limits-max-message-size", "1"}, nil,
			"config: limits.max_message_size = 1 (from flag --limits-max-message-size): must be between 1024 and 67108864"},
		{[]string{"serve", "--limits-idle-timeout", "forever"}, nil, `invalid argument "forever" for "--limits-idle-timeout"`},
		{[]string{"serve", "--no-such-flag"}, nil, "unknown flag: --no-such-flag"},
		{[]string{"serve", "extra-arg"}, nil, "unknown command"},
		{[]string{"frobnicate"}, nil, "unknown command"},
		{[]string{"serve", "--log-level", "info"}, []string{"IPAMD_LOG_FORMAT=xml"}, "log.format"},
		{[]string{"config", "validate", "--config", bad}, nil, `limits.max_mesage_size (from file ` + bad + `:2): unknown key`},
		{[]string{"config", "validate", "--config", filepath.Join(t.TempDir(), "missing.yaml")}, nil, "missing.yaml"},
		{[]string{"serve", "--listen", "https://127.0.0.1:0"}, nil, `unsupported scheme "https"`},
		{[]string{"serve", "--callbacks-allowed-networks", "10.0.0.1"}, nil, "must be a CIDR prefix"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, stderr, code := ipamd(t, append(tt.env, "IPAMD_STATE_DIR="+t.TempDir()), tt.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2; stderr:\n%s", code, stderr)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr %q lacks %q", stderr, tt.want)
			}
			if strings.Contains(stderr, "goroutine ") {
				t.Errorf("stack trace printed:\n%s", stderr)
			}
		})
	}
}

func TestConfigPrintAndValidate(t *testing.T) {
	dir := t.TempDir()
	out, stderr, code := ipamd(t, []string{"IPAMD_LIMITS_MAX_CONNECTIONS=42"},
		"config", "print", "--state-dir", dir, "--listen", "net.tcp://127.0.0.1:1", "--listen", "net.tcp://127.0.0.1:2")
	if code != 0 {
		t.Fatalf("config print: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"max_connections: 42\n", "  - net.tcp://127.0.0.1:1\n  - net.tcp://127.0.0.1:2\n", "state_dir: " + dir} {
		if !strings.Contains(out, want) {
			t.Errorf("config print output lacks %q:\n%s", want, out)
		}
	}
	file := filepath.Join(dir, "printed.yaml")
	if err := os.WriteFile(file, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	out2, stderr, code := ipamd(t, nil, "config", "validate", "--config", file)
	if code != 0 || !strings.Contains(out2, "OK") {
		t.Fatalf("config validate of printed config: exit %d\n%s%s", code, out2, stderr)
	}
	// The printed config read back prints the same.
	out3, _, _ := ipamd(t, nil, "config", "print", "--config", file)
	if out3 != out {
		t.Errorf("print → validate → print differs:\n%s\n---\n%s", out, out3)
	}
	_, _, code = ipamd(t, nil, "config", "validate", "--config", "../../deploy/ipamd.example.yaml", "--state-dir", dir)
	if code != 0 {
		t.Errorf("example config: exit %d", code)
	}
}

func TestServeListensAndStopsOnSIGTERM(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGTERM on Windows")
	}
	stateDir := filepath.Join(t.TempDir(), "state")
	d := daemontest.Spawn(t, nil, "serve", "--listen", "net.tcp://127.0.0.1:0", "--state-dir", stateDir)
	listening := d.WaitCount(`"listening"`, 2, 20*time.Second, func(e daemontest.Entry) bool { return e.Msg() == "listening" })
	want := map[string]string{"IIpamAsyncProvision": "/ipam/IIpamAsyncProvision", "IIpamAsyncSchemaConversion": "/ipam/IIpamAsyncSchemaConversion"}
	for _, e := range listening {
		endpoint := e.String("endpoint")
		if e.String("transport") != "net.tcp" || !strings.HasPrefix(endpoint, "net.tcp://127.0.0.1:") || !strings.HasSuffix(endpoint, want[e.String("port_type")]) {
			t.Errorf("listening entry %v", e)
		}
		if strings.HasPrefix(endpoint, "net.tcp://127.0.0.1:0/") {
			t.Errorf("endpoint shows port 0, not the bound port: %s", endpoint)
		}
	}
	if fi, err := os.Stat(stateDir); err != nil || !fi.IsDir() {
		t.Errorf("state dir not created: %v", err)
	}
	conn, err := net.DialTimeout("tcp", listening[0].String("addr"), 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", listening[0].String("addr"), err)
	}
	_ = conn.Close()

	d.Signal(syscall.SIGTERM)
	if code := d.ExitCode(15 * time.Second); code != 0 {
		t.Fatalf("exit %d after SIGTERM", code)
	}
}
