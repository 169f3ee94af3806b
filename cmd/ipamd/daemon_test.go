package main

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/ipamd/ipamd/internal/daemontest"
)

// daemon is `ipamd serve` running as a child process (daemontest's), with
// the addresses of its net.tcp and admin listeners.
type daemon struct {
	*daemontest.Process
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
	d := &daemon{Process: daemontest.Spawn(t, env, append([]string{"serve", "--listen", "net.tcp://127.0.0.1:0",
		"--admin-listen", "127.0.0.1:0", "--state-dir", t.TempDir()}, args...)...)}
	d.netTCP = d.WaitLog("listening", 20*time.Second).String("addr")
	if a := d.WaitLog("admin listening", 5*time.Second); a != nil {
		d.admin = a.String("addr")
	}
	d.WaitLog("ready", 5*time.Second)
	return d
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
