// Package daemon builds the ipamd binary and runs it as a child process for
// the interop tests, the way an operator runs it: real flags, a real HTTP
// listener on an OS-chosen loopback port, JSON logs read back to learn the
// endpoints it bound and to observe what it did.
//
// It is a helper for tests under test/ only. A test package calls Binary
// (built once per test binary), Start for each daemon it needs, and Cleanup
// from its TestMain after m.Run.
package daemon

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
	build.once.Do(func() { build.dir, build.path, build.err = buildBinary() })
	if build.err != nil {
		t.Fatalf("building ipamd: %v", build.err)
	}
	return build.path
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
	dir, err = os.MkdirTemp("", "ipamd-interop-")
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
}

// Provision is the IIpamAsyncProvision endpoint URL.
func (s *Server) Provision() string { return s.Endpoints[ipam.PortIIpamAsyncProvision] }

// Conversion is the IIpamAsyncSchemaConversion endpoint URL.
func (s *Server) Conversion() string { return s.Endpoints[ipam.PortIIpamAsyncSchemaConversion] }

// Start runs `ipamd serve` on http://127.0.0.1:0 with a fresh state
// directory, JSON logs at debug level and the Default* work settings, then
// flags (later flags win), waits until it has logged both HTTP endpoints,
// and stops it (SIGTERM) when the test ends. On failure the test's log gets
// the daemon's output.
func Start(t testing.TB, flags ...string) *Server {
	t.Helper()
	bin := Binary(t)
	args := []string{"serve",
		FlagListen, "http://127.0.0.1:0",
		FlagStateDir, t.TempDir(),
		FlagLogFormat, "json",
		FlagLogLevel, "debug",
		FlagWorkDuration, DefaultWorkDuration,
		FlagCheckpointEvery, DefaultCheckpointEvery,
	}
	args = append(args, flags...)

	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = stopTimeout
	pr, pw, err := os.Pipe()
	if err != nil {
		cancel()
		t.Fatalf("pipe: %v", err)
	}
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		cancel()
		pr.Close()
		pw.Close()
		t.Fatalf("start ipamd: %v", err)
	}
	pw.Close()
	t.Logf("ipamd %s (pid %d)", strings.Join(args, " "), cmd.Process.Pid)

	log := &Log{}
	// The reader owns endpoints until it hands them over on ready.
	ready := make(chan map[string]string, 1)
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		defer pr.Close()
		endpoints := map[string]string{}
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			e := log.add(sc.Text())
			if endpoints == nil || e == nil || e.Msg() != "listening" || e.String("transport") != "http" {
				continue
			}
			endpoints[e.String("port_type")] = e.String("endpoint")
			if len(endpoints) == 3 { // the three port types, logged together
				ready <- endpoints
				endpoints = nil
			}
		}
	}()
	var waitErr error // set before exited is closed
	exited := make(chan struct{})
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()

	t.Cleanup(func() {
		cancel() // SIGTERM; WaitDelay bounds the wait, then the process is killed
		select {
		case <-exited:
			// After SIGTERM a clean exit reads as context.Canceled.
			if err := waitErr; err != nil && !isSignalExit(err) && !errors.Is(err, context.Canceled) {
				t.Errorf("ipamd exit: %v", err)
			}
		case <-time.After(stopTimeout + 5*time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("ipamd did not stop within %v", stopTimeout)
		}
		<-readerDone
		if t.Failed() {
			t.Logf("ipamd log:\n%s", log.String())
		}
	})

	select {
	case eps := <-ready:
		return &Server{Endpoints: eps, Log: log}
	case <-exited:
		<-readerDone
		t.Fatalf("ipamd exited before listening: %v\n%s", waitErr, log.String())
	case <-time.After(startTimeout):
		t.Fatalf("ipamd did not log both HTTP endpoints within %v\n%s", startTimeout, log.String())
	}
	return nil
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
