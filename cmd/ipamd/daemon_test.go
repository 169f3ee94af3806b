package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// daemon is `ipamd serve` running as a child process, with its JSON log
// lines parsed as they come.
type daemon struct {
	t      *testing.T
	cmd    *exec.Cmd
	mu     sync.Mutex
	lines  []map[string]any
	raw    strings.Builder
	newLog chan struct{}
	exited chan struct{}
	err    error // cmd.Wait's, once exited is closed

	netTCP string // the net.tcp listener's address
	admin  string // the admin listener's address ("" if none)
}

// startDaemon runs ipamd serve with a net.tcp listener and an admin
// listener on OS-chosen loopback ports, plus args, and waits for "ready".
func startDaemon(t *testing.T, args ...string) *daemon {
	t.Helper()
	return startDaemonEnv(t, nil, args...)
}

// startDaemonEnv is startDaemon with more environment variables.
func startDaemonEnv(t *testing.T, env []string, args ...string) *daemon {
	t.Helper()
	d := spawnServe(t, env, append([]string{"--listen", "net.tcp://127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
		"--state-dir", t.TempDir()}, args...)...)
	d.netTCP = d.waitLog("listening", 20*time.Second)["addr"].(string)
	if a := d.waitLog("admin listening", 5*time.Second); a != nil {
		d.admin, _ = a["addr"].(string)
	}
	d.waitLog("ready", 5*time.Second)
	return d
}

// spawnServe starts `ipamd serve args...` with a clean IPAMD_* environment
// plus env, and reads its log; the process is killed when the test ends if
// it is still running. It does not wait for anything.
func spawnServe(t *testing.T, env []string, args ...string) *daemon {
	t.Helper()
	d := &daemon{t: t, cmd: exec.Command(binary, append([]string{"serve"}, args...)...), newLog: make(chan struct{}, 1), exited: make(chan struct{})}
	d.cmd.Env = append(cleanEnv(), env...)
	stderr, err := d.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			var m map[string]any
			d.mu.Lock()
			d.raw.WriteString(sc.Text() + "\n")
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				d.lines = append(d.lines, m)
			}
			d.mu.Unlock()
			select {
			case d.newLog <- struct{}{}:
			default:
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		d.err = d.cmd.Wait() // after stderr is read to EOF, as os/exec asks
		close(d.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-d.exited:
		default:
			_ = d.cmd.Process.Kill()
			<-d.exited
		}
		if t.Failed() {
			t.Logf("ipamd log:\n%s", d.log())
		}
	})
	return d
}

func (d *daemon) log() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.raw.String()
}

// findLog returns the first log entry with msg, or nil.
func (d *daemon) findLog(msg string) map[string]any {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, l := range d.lines {
		if l["msg"] == msg {
			return l
		}
	}
	return nil
}

// waitLog waits for a log entry with msg.
func (d *daemon) waitLog(msg string, timeout time.Duration) map[string]any {
	d.t.Helper()
	return d.waitMatch(fmt.Sprintf("%q", msg), timeout, func(l map[string]any) bool { return l["msg"] == msg })
}

// entries returns the log entries so far for which match is true.
func (d *daemon) entries(match func(map[string]any) bool) []map[string]any {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []map[string]any
	for _, l := range d.lines {
		if match(l) {
			out = append(out, l)
		}
	}
	return out
}

// waitMatch waits for a log entry for which match is true (what names it
// in the failure).
func (d *daemon) waitMatch(what string, timeout time.Duration, match func(map[string]any) bool) map[string]any {
	d.t.Helper()
	return d.waitCount(what, 1, timeout, match)[0]
}

// waitCount waits for n log entries for which match is true and returns
// them.
func (d *daemon) waitCount(what string, n int, timeout time.Duration, match func(map[string]any) bool) []map[string]any {
	d.t.Helper()
	deadline := time.After(timeout)
	for {
		if ls := d.entries(match); len(ls) >= n {
			return ls[:n]
		}
		select {
		case <-d.newLog:
		case <-d.exited:
			if ls := d.entries(match); len(ls) >= n {
				return ls[:n]
			}
			d.t.Fatalf("ipamd exited (%v) without logging %s", d.err, what)
		case <-deadline:
			d.t.Fatalf("no %s log entry within %v", what, timeout)
		}
	}
}

func (d *daemon) signal(sig os.Signal) {
	d.t.Helper()
	if err := d.cmd.Process.Signal(sig); err != nil {
		d.t.Fatal(err)
	}
}

// exitCode waits for the process to exit and returns its exit code.
func (d *daemon) exitCode(timeout time.Duration) int {
	d.t.Helper()
	select {
	case <-d.exited:
	case <-time.After(timeout):
		d.t.Fatalf("ipamd did not exit within %v", timeout)
	}
	var ee *exec.ExitError
	switch {
	case d.err == nil:
		return 0
	case errors.As(d.err, &ee):
		return ee.ExitCode()
	}
	d.t.Fatal(d.err)
	return -1
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	c := &httpClient
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var httpClient = http.Client{Timeout: 10 * time.Second}
