package systemd

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// listen opens a notify socket and returns its path and a reader of
// datagrams.
func listen(t *testing.T) (string, func() string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.sock")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Skipf("unixgram sockets: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return path, func() string {
		t.Helper()
		buf := make([]byte, 4096)
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("no notification: %v", err)
		}
		return string(buf[:n])
	}
}

func TestNotifier(t *testing.T) {
	path, next := listen(t)
	env := map[string]string{"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "200000", "WATCHDOG_PID": strconv.Itoa(os.Getpid())}
	n := NewNotifier(func(k string) string { return env[k] })
	if !n.Enabled() || n.WatchdogInterval() != 200*time.Millisecond {
		t.Fatalf("Enabled %v, watchdog %v", n.Enabled(), n.WatchdogInterval())
	}
	if err := n.Ready("serving\n2 listeners"); err != nil {
		t.Fatal(err)
	}
	if got := next(); got != "READY=1\nSTATUS=serving 2 listeners\nMAINPID="+strconv.Itoa(os.Getpid()) {
		t.Errorf("ready = %q", got)
	}
	_ = n.Stopping("draining 1 session")
	if got := next(); got != "STOPPING=1\nSTATUS=draining 1 session" {
		t.Errorf("stopping = %q", got)
	}
	_ = n.Reloading()
	if got := next(); got != "RELOADING=1" {
		t.Errorf("reloading = %q", got)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); n.RunWatchdog(ctx, nil, nil) }()
	start := time.Now()
	for range 2 {
		if got := next(); got != "WATCHDOG=1" {
			t.Errorf("watchdog = %q", got)
		}
	}
	if d := time.Since(start); d < 150*time.Millisecond || d > 2*time.Second {
		t.Errorf("two pings took %v, want about 200ms (half the interval each)", d)
	}
	cancel()
	<-done
}

func TestNotifierOff(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"no socket":            {},
		"relative socket":      {"NOTIFY_SOCKET": "notify.sock"},
		"other pid's watchdog": {"NOTIFY_SOCKET": "/nonexistent", "WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "1"},
	} {
		n := NewNotifier(func(k string) string { return env[k] })
		if n.WatchdogInterval() != 0 {
			t.Errorf("%s: watchdog on", name)
		}
		if env["NOTIFY_SOCKET"] == "" || !strings.HasPrefix(env["NOTIFY_SOCKET"], "/") {
			if n.Enabled() || n.Ready("x") != nil {
				t.Errorf("%s: notifier enabled", name)
			}
		}
	}
	// The watchdog loop returns at once when off.
	NewNotifier(func(string) string { return "" }).RunWatchdog(context.Background(), nil, nil)
}

func TestWatchdogSkipsPingWhenNotAlive(t *testing.T) {
	path, _ := listen(t)
	env := map[string]string{"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "40000"}
	n := NewNotifier(func(k string) string { return env[k] })
	errs := make(chan error, 10)
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	n.RunWatchdog(ctx, func() error { return context.DeadlineExceeded }, func(err error) {
		select {
		case errs <- err:
		default:
		}
	})
	if len(errs) == 0 {
		t.Fatal("a failing liveness check was not reported")
	}
}
