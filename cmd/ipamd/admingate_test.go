package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestAdminGates drives a real daemon's admin listener: a non-loopback
// admin.listen needs admin.allow_remote (and is warned about), a Host that
// does not name the listener is refused, and PUT /log/level above warn
// needs the bearer token of admin.token_file.
func TestAdminGates(t *testing.T) {
	skipWithoutSignals(t)
	if _, stderr, code := ipamd(t, nil, "config", "validate", "--admin-listen", "0.0.0.0:0", "--state-dir", t.TempDir()); code != 2 || !strings.Contains(stderr, "admin.allow_remote") {
		t.Errorf("admin.listen 0.0.0.0 without admin.allow_remote: exit %d, %q", code, stderr)
	}

	token := "admin-token-" + strings.Repeat("x", 20)
	tokenFile := filepath.Join(t.TempDir(), "admin.token")
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, "--admin-token-file", tokenFile)
	base := "http://" + d.admin
	put := func(level string, hdr map[string]string) int {
		req, _ := http.NewRequest(http.MethodPut, base+"/log/level", strings.NewReader(`{"level":"`+level+`"}`))
		for k, v := range hdr {
			if k == "Host" {
				req.Host = v
			} else {
				req.Header.Set(k, v)
			}
		}
		resp, err := httpClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := put("warn", nil); s != 200 {
		t.Errorf("PUT warn without a token = %d, want 200", s)
	}
	if s := put("error", nil); s != 401 {
		t.Errorf("PUT error without a token = %d, want 401", s)
	}
	if s := put("debug", map[string]string{"Host": "attacker.example"}); s != 403 {
		t.Errorf("PUT debug with a foreign Host = %d, want 403", s)
	}
	if _, body := httpGet(t, base+"/log/level"); !strings.Contains(body, `"warn"`) {
		t.Errorf("level after the refusals: %s", body)
	}
	if s := put("error", map[string]string{"Authorization": "Bearer " + token}); s != 200 {
		t.Errorf("PUT error with the token = %d, want 200", s)
	}
	if _, body := httpGet(t, base+"/log/level"); !strings.Contains(body, `"error"`) {
		t.Errorf("level after PUT error with the token: %s", body)
	}
	d.Signal(syscall.SIGTERM)
	if code := d.ExitCode(20 * time.Second); code != 0 {
		t.Fatalf("exit %d", code)
	}

	// Opted in: served, and warned at start.
	r := startDaemon(t, "--admin-listen", "0.0.0.0:0", "--admin-allow-remote")
	if r.FindLog("admin listener on a non-loopback address: metrics, probes and the profiler are open to that network") == nil {
		t.Errorf("no warning for a remote admin listener")
	}
	r.Signal(syscall.SIGTERM)
	if code := r.ExitCode(20 * time.Second); code != 0 {
		t.Fatalf("exit %d", code)
	}
}
