// Package systemd is ipamd's systemd integration: the sd_notify protocol
// (READY, STOPPING, RELOADING, STATUS, WATCHDOG) and the hardened service
// unit that `ipamd service install` writes.
package systemd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// Notifier sends sd_notify messages to the service manager: one unix
// datagram per message to $NOTIFY_SOCKET. Outside systemd (no
// NOTIFY_SOCKET) every method does nothing, so callers need no special case.
// It is safe for concurrent use.
type Notifier struct {
	addr     *net.UnixAddr // nil: not under systemd
	watchdog time.Duration // 0: no watchdog
}

// NewNotifier reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID from
// getenv (os.Getenv when nil). The watchdog applies only when WATCHDOG_PID
// is unset or names this process, as sd_watchdog_enabled(3) says.
func NewNotifier(getenv func(string) string) *Notifier {
	if getenv == nil {
		getenv = os.Getenv
	}
	n := &Notifier{}
	if sock := getenv("NOTIFY_SOCKET"); sock != "" && (strings.HasPrefix(sock, "/") || strings.HasPrefix(sock, "@")) {
		// A leading @ is an abstract socket; Go's UnixAddr maps it.
		n.addr = &net.UnixAddr{Name: sock, Net: "unixgram"}
	}
	if usec, err := strconv.ParseInt(getenv("WATCHDOG_USEC"), 10, 64); err == nil && usec > 0 {
		pid := getenv("WATCHDOG_PID")
		if pid == "" || pid == strconv.Itoa(os.Getpid()) {
			n.watchdog = time.Duration(usec) * time.Microsecond
		}
	}
	return n
}

// Enabled reports whether a service manager listens.
func (n *Notifier) Enabled() bool { return n.addr != nil }

// WatchdogInterval is WatchdogSec= (0 when the watchdog is off).
func (n *Notifier) WatchdogInterval() time.Duration { return n.watchdog }

// Send sends one notification, e.g. "READY=1\nSTATUS=serving". It does
// nothing outside systemd.
func (n *Notifier) Send(state string) error {
	if n.addr == nil {
		return nil
	}
	c, err := net.DialUnix("unixgram", nil, n.addr)
	if err != nil {
		return fmt.Errorf("sd_notify: %w", err)
	}
	defer c.Close()
	_ = c.SetWriteDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte(state)); err != nil {
		return fmt.Errorf("sd_notify: %w", err)
	}
	return nil
}

// Ready says start-up is complete (Type=notify waits for it), with a status line.
func (n *Notifier) Ready(status string) error {
	return n.Send("READY=1\nSTATUS=" + oneLine(status) + "\nMAINPID=" + strconv.Itoa(os.Getpid()))
}

// Stopping says a graceful stop began.
func (n *Notifier) Stopping(status string) error {
	return n.Send("STOPPING=1\nSTATUS=" + oneLine(status))
}

// Reloading says a configuration reload began; Ready must follow. (The
// unit is Type=notify with ExecReload=kill -HUP, so systemd needs no
// MONOTONIC_USEC as Type=notify-reload would.)
func (n *Notifier) Reloading() error { return n.Send("RELOADING=1") }

// Status sets the status line `systemctl status` shows.
func (n *Notifier) Status(status string) error { return n.Send("STATUS=" + oneLine(status)) }

// Watchdog is one keep-alive ping.
func (n *Notifier) Watchdog() error { return n.Send("WATCHDOG=1") }

// RunWatchdog pings at half the watchdog interval until ctx ends, as
// sd_watchdog_enabled(3) advises. alive, when not nil, is asked before each
// ping; an error skips the ping, so a wedged daemon is restarted by
// systemd rather than kept alive by a timer. It returns at once when the
// watchdog is off.
func (n *Notifier) RunWatchdog(ctx context.Context, alive func() error, onError func(error)) {
	if n.watchdog <= 0 || n.addr == nil {
		return
	}
	t := time.NewTicker(n.watchdog / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var err error
		if alive != nil {
			err = alive()
		}
		if err == nil {
			err = n.Watchdog()
		}
		if err != nil && onError != nil {
			onError(err)
		}
	}
}

// ErrNotSystemd is returned by callers that need systemd and run without it.
var ErrNotSystemd = errors.New("systemd: not running under systemd")

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }
