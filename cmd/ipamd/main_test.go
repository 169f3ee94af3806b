package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// binary is the ipamd binary built once by TestMain.
var binary string

func TestMain(m *testing.M) {
	os.Exit(func() int {
		dir, err := os.MkdirTemp("", "ipamd-cmd-test")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		binary = filepath.Join(dir, "ipamd")
		if runtime.GOOS == "windows" {
			binary += ".exe"
		}
		// go test puts its own GOROOT/bin first in PATH.
		build := exec.Command("go", "build", "-o", binary, ".")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "building ipamd:", err)
			return 1
		}
		return m.Run()
	}())
}

// ipamd runs the binary to completion with a clean IPAMD_* environment.
func ipamd(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(cleanEnv(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &ee):
			code = ee.ExitCode()
		default:
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("ipamd %q did not exit", args)
	}
	return out.String(), errb.String(), code
}

func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "IPAMD_") {
			env = append(env, kv)
		}
	}
	return env
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
	cmd := exec.Command(binary, "serve", "--listen", "net.tcp://127.0.0.1:0", "--state-dir", stateDir)
	cmd.Env = cleanEnv()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }()

	type entry struct {
		Level, Msg, Endpoint, PortType, Transport, Addr string
	}
	entries := make(chan entry)
	var rest bytes.Buffer
	go func() {
		defer close(entries)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var raw map[string]any
			if err := json.Unmarshal(sc.Bytes(), &raw); err != nil {
				rest.WriteString(sc.Text() + "\n")
				continue
			}
			s := func(k string) string { v, _ := raw[k].(string); return v }
			entries <- entry{s("level"), s("msg"), s("endpoint"), s("port_type"), s("transport"), s("addr")}
		}
		_, _ = io.Copy(&rest, stderr)
	}()

	var listening []entry
	timeout := time.After(20 * time.Second)
	for len(listening) < 2 {
		select {
		case e, ok := <-entries:
			if !ok {
				t.Fatalf("ipamd exited before listening; other output:\n%s", rest.String())
			}
			if e.Msg == "listening" {
				listening = append(listening, e)
			}
		case <-timeout:
			t.Fatal("no listening log")
		}
	}
	want := map[string]string{"IIpamAsyncProvision": "/ipam/IIpamAsyncProvision", "IIpamAsyncSchemaConversion": "/ipam/IIpamAsyncSchemaConversion"}
	for _, e := range listening {
		if e.Transport != "net.tcp" || !strings.HasPrefix(e.Endpoint, "net.tcp://127.0.0.1:") || !strings.HasSuffix(e.Endpoint, want[e.PortType]) {
			t.Errorf("listening entry %+v", e)
		}
		if strings.HasPrefix(e.Endpoint, "net.tcp://127.0.0.1:0/") {
			t.Errorf("endpoint shows port 0, not the bound port: %s", e.Endpoint)
		}
	}
	if fi, err := os.Stat(stateDir); err != nil || !fi.IsDir() {
		t.Errorf("state dir not created: %v", err)
	}
	conn, err := net.DialTimeout("tcp", listening[0].Addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", listening[0].Addr, err)
	}
	_ = conn.Close()

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Read stderr to EOF (the process exited) before Wait, as os/exec asks.
	drained := make(chan struct{})
	go func() {
		for range entries {
		}
		close(drained)
	}()
	select {
	case <-drained:
	case <-time.After(15 * time.Second):
		t.Fatal("ipamd did not exit after SIGTERM")
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, rest.String())
	}
}
