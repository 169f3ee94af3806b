package main

import (
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/ipamd/ipamd/internal/daemontest"
)

// TestLogNothingLostOnOrderlyStop: the daemon's log is buffered
// (logbuf.go), and an orderly stop writes what the buffer holds. Sessions
// run back to back, then SIGTERM at once, while the last of their
// "session completed" lines are still held: every session's line must be
// in the log.
func TestLogNothingLostOnOrderlyStop(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the daemon")
	}
	d := startDaemon(t, "--dev-provisioned", "--log-format", "json", "--log-level", "info")
	const sessions = 400
	out, errOut, code := daemontest.Run(t, nil, "", "bench", "sessions", "--server", "net.tcp://"+d.netTCP,
		"--count", strconv.Itoa(sessions), "--warmup", "0", "--clients", "8", "--output", "json")
	if code != 0 {
		t.Fatalf("bench exit %d: %s\n%s", code, errOut, out)
	}
	d.Signal(syscall.SIGTERM)
	if c := d.ExitCode(30 * time.Second); c != 0 {
		t.Fatalf("exit code %d", c)
	}
	got := len(d.Log.Find(func(e daemontest.Entry) bool { return e.Msg() == "session completed" }))
	if got != sessions {
		t.Fatalf("%d \"session completed\" lines in the log after an orderly stop, want %d", got, sessions)
	}
	if d.FindLog("stopped") == nil {
		t.Fatal("the last line (\"stopped\") is missing")
	}
}
