// Package daemontest builds the ipamd binary and runs it as a child process,
// the way an operator runs it: real flags, listeners on OS-chosen loopback
// ports, JSON logs read back to learn the endpoints it bound, to wait for
// readiness and to observe what it did; signals and exit codes as a
// service manager sees them.
//
// It is the one process harness, for cmd/ipamd's tests and the suites under
// test/ alike; production code does not import it. A test package calls
// Binary (built once per test binary), Spawn or Start for each daemon it
// needs, and Cleanup from its TestMain after m.Run.
package daemontest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

// Flags of `ipamd serve` the interop tests set. They are named here once so
// a renamed flag breaks one place.
const (
	FlagListen            = "--listen"
	FlagStateDir          = "--state-dir"
	FlagLogFormat         = "--log-format"
	FlagLogLevel          = "--log-level"
	FlagWorkDuration      = "--dev-work-duration"           // in-memory provisioning/conversion duration
	FlagCheckpointEvery   = "--session-checkpoint-interval" // Notify…Checkpoint period
	FlagRequireConversion = "--dev-require-conversion"      // start provisioned, schema conversion required
	FlagMaxMessageSize    = "--limits-max-message-size"
	FlagCallbackAttempts  = "--callbacks-max-attempts"
	FlagCallbackTimeout   = "--callbacks-attempt-timeout"
	FlagCallbackBackoff   = "--callbacks-initial-backoff"
	FlagCallbackMaxWait   = "--callbacks-max-backoff"
)

// Defaults every daemon gets unless the test overrides them: a short work
// phase with several checkpoints, so a flow takes about two seconds and
// always carries at least one Notify…Checkpoint.
const (
	DefaultWorkDuration    = "2s"
	DefaultCheckpointEvery = "400ms"
)

const (
	buildTimeout = 3 * time.Minute
	startTimeout = 20 * time.Second
	stopTimeout  = 10 * time.Second // SIGTERM → exit; then the process is killed
)

var build struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// Binary returns the path of an ipamd binary built from this module's
// ./cmd/ipamd, building it on first use.
func Binary(t testing.TB) string {
	t.Helper()
	path, err := Build()
	if err != nil {
		t.Fatalf("building ipamd: %v", err)
	}
	return path
}

// Build is Binary for a TestMain: it returns the build's error.
func Build() (string, error) {
	build.once.Do(func() { build.dir, build.path, build.err = buildBinary() })
	return build.path, build.err
}

// Cleanup removes the build directory; call it from TestMain after m.Run.
func Cleanup() {
	if build.dir != "" {
		_ = os.RemoveAll(build.dir)
	}
}

func buildBinary() (dir, path string, err error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", "", err
	}
	dir, err = os.MkdirTemp("", "ipamd-test-")
	if err != nil {
		return "", "", fmt.Errorf("temp dir: %w", err)
	}
	path = filepath.Join(dir, "ipamd")
	if runtime.GOOS == "windows" {
		path += ".exe"
	}
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	// go test puts its own GOROOT/bin first on the test's PATH.
	cmd := exec.CommandContext(ctx, "go", "build", "-o", path, "./cmd/ipamd")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		_ = os.RemoveAll(dir)
		return "", "", fmt.Errorf("go build ./cmd/ipamd: %w\n%s", err, out)
	}
	return dir, path, nil
}

// ModuleRoot walks up from the working directory (a test's package
// directory) to the directory holding go.mod.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("working directory: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// Server is one running ipamd with an HTTP listener.
type Server struct {
	// Endpoints maps a port type name (ipam.PortIIpamAsyncProvision, …) to
	// its HTTP endpoint URL, as the daemon logged it.
	Endpoints map[string]string
	// Log holds the daemon's log lines.
	Log *Log
	// Process is the daemon's process.
	Process *Process
}

// Provision is the IIpamAsyncProvision endpoint URL.
func (s *Server) Provision() string { return s.Endpoints[ipam.PortIIpamAsyncProvision] }

// Conversion is the IIpamAsyncSchemaConversion endpoint URL.
func (s *Server) Conversion() string { return s.Endpoints[ipam.PortIIpamAsyncSchemaConversion] }

// Start runs `ipamd serve` on http://127.0.0.1:0 with a fresh state
// directory, JSON logs at debug level and the Default* work settings, then
// flags (later flags win), waits until it has logged the three HTTP endpoints,
// and stops it (SIGTERM) when the test ends, failing the test unless it
// then exits cleanly. On failure the test's log gets the daemon's output.
func Start(t testing.TB, flags ...string) *Server {
	t.Helper()
	args := []string{"serve",
		FlagListen, "http://127.0.0.1:0",
		FlagStateDir, t.TempDir(),
		FlagLogFormat, "json",
		FlagLogLevel, "debug",
		FlagWorkDuration, DefaultWorkDuration,
		FlagCheckpointEvery, DefaultCheckpointEvery,
	}
	p := Spawn(t, nil, append(args, flags...)...)
	t.Cleanup(func() {
		// Registered after Spawn's, so it runs first: stop and judge the exit.
		p.stop()
		select {
		case <-p.exited:
			if err := p.err; err != nil && !isSignalExit(err) {
				t.Errorf("ipamd exit: %v", err)
			}
		case <-time.After(stopTimeout):
			t.Errorf("ipamd did not stop within %v", stopTimeout)
		}
	})
	// The three port types' endpoints are logged together.
	listening := p.WaitCount("three HTTP \"listening\"", 3, startTimeout, func(e Entry) bool {
		return e.Msg() == "listening" && e.String("transport") == "http"
	})
	eps := map[string]string{}
	for _, e := range listening {
		eps[e.String("port_type")] = e.String("endpoint")
	}
	return &Server{Endpoints: eps, Log: p.Log, Process: p}
}

// Process is one ipamd child process with its log read as it comes.
type Process struct {
	t   testing.TB
	cmd *exec.Cmd
	// Log holds the process's output lines (stdout and stderr).
	Log    *Log
	exited chan struct{}
	err    error // cmd.Wait's, once exited is closed
}

// Spawn starts the ipamd binary with args (the command first: "serve", …)
// in a clean environment (CleanEnv plus env) and reads its output into Log.
// It waits for nothing. When the test ends a process still running gets
// SIGTERM, then is killed after a grace period; on failure the test's log
// gets its output.
func Spawn(t testing.TB, env []string, args ...string) *Process {
	t.Helper()
	p := &Process{t: t, cmd: exec.Command(Binary(t), args...), Log: &Log{}, exited: make(chan struct{})}
	p.cmd.Env = append(CleanEnv(), env...)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatalf("pipe: %v", err)
	}
	p.cmd.Stdout, p.cmd.Stderr = pw, pw
	if err := p.cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		t.Fatalf("start ipamd: %v", err)
	}
	pw.Close()
	t.Logf("ipamd %s (pid %d)", strings.Join(args, " "), p.cmd.Process.Pid)
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			p.Log.add(sc.Text())
		}
		_, _ = io.Copy(io.Discard, pr)
		pr.Close()
		p.err = p.cmd.Wait() // after the output is read to EOF, as os/exec asks
		close(p.exited)
		p.Log.poke() // wake waiters
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			p.stop()
			select {
			case <-p.exited:
			case <-time.After(stopTimeout):
				_ = p.cmd.Process.Kill()
				<-p.exited
			}
		}
		if t.Failed() {
			t.Logf("ipamd log:\n%s", p.Log.String())
		}
	})
	return p
}

// CleanEnv is this process's environment without IPAMD_*, KRB5* and NTLM*
// variables, so a developer's settings (or a Kerberos client's) do not
// reach the daemon or the peer under test.
func CleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "IPAMD_") && !strings.HasPrefix(kv, "KRB5") && !strings.HasPrefix(kv, "NTLM") {
			env = append(env, kv)
		}
	}
	return env
}

// stop asks the process to stop (SIGTERM; a kill where there is none).
func (p *Process) stop() {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		_ = p.cmd.Process.Kill()
	}
}

// Signal sends sig to the process.
func (p *Process) Signal(sig os.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		p.t.Fatal(err)
	}
}

// Pid is the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Exited is closed when the process has exited.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// ExitCode waits up to timeout for the process to exit and returns its
// exit code (-1 when a signal ended it).
func (p *Process) ExitCode(timeout time.Duration) int {
	p.t.Helper()
	select {
	case <-p.exited:
	case <-time.After(timeout):
		p.t.Fatalf("ipamd did not exit within %v", timeout)
	}
	var ee *exec.ExitError
	switch {
	case p.err == nil:
		return 0
	case errors.As(p.err, &ee):
		return ee.ExitCode()
	}
	p.t.Fatalf("ipamd: %v", p.err)
	return -1
}

// FindLog returns the first JSON entry with msg, or nil.
func (p *Process) FindLog(msg string) Entry {
	if es := p.Log.Find(func(e Entry) bool { return e.Msg() == msg }); len(es) > 0 {
		return es[0]
	}
	return nil
}

// WaitLog waits up to timeout for an entry with msg.
func (p *Process) WaitLog(msg string, timeout time.Duration) Entry {
	p.t.Helper()
	return p.WaitCount(fmt.Sprintf("%q", msg), 1, timeout, func(e Entry) bool { return e.Msg() == msg })[0]
}

// WaitCount waits up to timeout for n entries for which match is true and
// returns them; what names them in the failure. A process that exits
// first fails the test at once.
func (p *Process) WaitCount(what string, n int, timeout time.Duration, match func(Entry) bool) []Entry {
	p.t.Helper()
	deadline := time.After(timeout)
	for {
		ch := p.Log.wake()
		if es := p.Log.Find(match); len(es) >= n {
			return es[:n]
		}
		select {
		case <-ch:
		case <-p.exited:
			if es := p.Log.Find(match); len(es) >= n {
				return es[:n]
			}
			p.t.Fatalf("ipamd exited (%v) without logging %s\n%s", p.err, what, p.Log.String())
		case <-deadline:
			p.t.Fatalf("no %s log entry within %v\n%s", what, timeout, p.Log.String())
		}
	}
}

func isSignalExit(err error) bool {
	var ee *exec.ExitError
	return errors.As(err, &ee) && !ee.Exited()
}

// Log collects a daemon's log lines; the JSON ones are also kept decoded.
type Log struct {
	mu      sync.Mutex
	lines   []string
	entries []Entry
	changed chan struct{} // closed and replaced on every line
}

// Entry is one JSON log line.
type Entry map[string]any

// Msg is the entry's message.
func (e Entry) Msg() string { return e.String("msg") }

// String returns a string field ("" if absent or not a string).
func (e Entry) String(key string) string {
	s, _ := e[key].(string)
	return s
}

func (l *Log) add(line string) Entry {
	var e Entry
	if err := json.Unmarshal([]byte(line), &e); err != nil {
		e = nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, line)
	if e != nil {
		l.entries = append(l.entries, e)
	}
	if l.changed != nil {
		close(l.changed)
		l.changed = nil
	}
	return e
}

// poke wakes the waiters without a line.
func (l *Log) poke() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.changed != nil {
		close(l.changed)
		l.changed = nil
	}
}

// wake returns a channel closed on the next line.
func (l *Log) wake() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.changed == nil {
		l.changed = make(chan struct{})
	}
	return l.changed
}

// String is the whole log.
func (l *Log) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b bytes.Buffer
	for _, s := range l.lines {
		b.WriteString(s)
		b.WriteByte('\n')
	}
	return b.String()
}

// Find returns the JSON entries for which match reports true.
func (l *Log) Find(match func(Entry) bool) []Entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Entry
	for _, e := range l.entries {
		if match(e) {
			out = append(out, e)
		}
	}
	return out
}

// WaitFor waits until an entry matches, and returns it; it fails with
// ctx's error when none does in time.
func (l *Log) WaitFor(ctx context.Context, match func(Entry) bool) (Entry, error) {
	for {
		l.mu.Lock()
		for _, e := range l.entries {
			if match(e) {
				l.mu.Unlock()
				return e, nil
			}
		}
		if l.changed == nil {
			l.changed = make(chan struct{})
		}
		ch := l.changed
		l.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, fmt.Errorf("no matching log entry: %w", ctx.Err())
		}
	}
}

// Lines returns a copy of the raw lines.
func (l *Log) Lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

// runTimeout bounds one command run to completion.
const runTimeout = 30 * time.Second

// Run runs the ipamd binary with args to completion in a clean environment
// (CleanEnv plus env) with stdin, and returns its output and exit code. A
// command that does not exit within 30 s is killed and fails the test.
func Run(t testing.TB, env []string, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(Binary(t), args...)
	cmd.Env = append(CleanEnv(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
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
	case <-time.After(runTimeout):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("ipamd %q did not exit within %v", args, runTimeout)
	}
	return out.String(), errb.String(), code
}
