package main

import (
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

func skipWithoutSignals(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGTERM/SIGHUP on Windows (the SCM stops the service: see internal/winsvc)")
	}
}

// TestDrainLetsRunningWorkFinish: SIGTERM while a provisioning runs. The
// listener closes, /readyz turns 503 while /metrics still answers, the
// session gets its checkpoints and a successful Notify…Complete and a
// proper End, and ipamd exits 0 with the drain in its log.
func TestDrainLetsRunningWorkFinish(t *testing.T) {
	skipWithoutSignals(t)
	d := startDaemon(t, "--dev-work-duration", "3s", "--session-checkpoint-interval", "400ms", "--shutdown-drain-timeout", "30s")
	idle := openProvision(t, d.netTCP) // initialized, no work: closed by the drain
	s := openProvision(t, d.netTCP)
	s.start()
	if status, _ := httpGet(t, "http://"+d.admin+"/readyz"); status != http.StatusOK {
		t.Fatalf("/readyz before the stop = %d", status)
	}

	d.signal(syscall.SIGTERM)
	d.waitLog("draining: no new sessions; running work may finish", 5*time.Second)
	if status, body := httpGet(t, "http://"+d.admin+"/readyz"); status != http.StatusServiceUnavailable || !strings.Contains(body, "draining") {
		t.Errorf("/readyz while draining = %d %q, want 503", status, body)
	}
	if status, body := httpGet(t, "http://"+d.admin+"/metrics"); status != 200 || !strings.Contains(body, "ipamd_draining 1") {
		t.Errorf("/metrics while draining = %d, ipamd_draining 1 missing", status)
	}
	if c, err := net.DialTimeout("tcp", d.netTCP, time.Second); err == nil {
		c.Close()
		t.Error("the net.tcp listener still accepts during the drain")
	}
	if _, _, end := idle.next(); !end {
		t.Error("the idle session was not closed with End")
	}
	idle.end(true)

	checkpoints, exc := s.complete()
	if exc != nil {
		t.Fatalf("Complete carried %s: %s; want success (the drain lets the work finish)", exc.ExceptionID, exc.Message)
	}
	if checkpoints < 2 {
		t.Errorf("%d checkpoints during 3s of work at 400ms", checkpoints)
	}
	s.end(true)
	if code := d.exitCode(20 * time.Second); code != 0 {
		t.Fatalf("exit code %d, want 0", code)
	}
	drained := d.waitLog("drained", time.Second)
	if drained["took"] == nil {
		t.Errorf("drained entry %v lacks took", drained)
	}
	d.waitLog("stopped", time.Second)
	if d.findLog("drain timeout: cancelling running work; its sessions are told in Notify…Complete") != nil {
		t.Error("the work was cancelled although it finished within the drain timeout")
	}
}

// TestDrainTimeoutCancelsWork: work longer than shutdown.drain_timeout is
// cancelled; its session is told in Notify…Complete with an IpamException
// naming the shutdown, and ipamd still exits 0.
func TestDrainTimeoutCancelsWork(t *testing.T) {
	skipWithoutSignals(t)
	d := startDaemon(t, "--dev-work-duration", "1h", "--shutdown-drain-timeout", "1s")
	s := openProvision(t, d.netTCP)
	s.start()
	start := time.Now()
	d.signal(syscall.SIGTERM)
	_, exc := s.complete()
	if exc == nil || exc.ExceptionID != ipam.IpamApiUnabletoProvisionIpam || !strings.Contains(exc.Message, "shutting down") ||
		!strings.Contains(exc.Message, "shutdown.drain_timeout (1s)") {
		t.Fatalf("Complete exception %+v, want IpamApiUnabletoProvisionIpam naming the drain timeout", exc)
	}
	if took := time.Since(start); took < 900*time.Millisecond {
		t.Errorf("work cancelled after %v, before the 1s drain timeout", took)
	}
	s.end(true)
	if code := d.exitCode(20 * time.Second); code != 0 {
		t.Fatalf("exit code %d, want 0", code)
	}
	d.waitLog("drain timeout: cancelling running work; its sessions are told in Notify…Complete", time.Second)
	d.waitLog("stopped", time.Second)
}

// TestSecondSignalForcesExit: a second SIGTERM during the drain exits at
// once with code 3.
func TestSecondSignalForcesExit(t *testing.T) {
	skipWithoutSignals(t)
	d := startDaemon(t, "--dev-work-duration", "1h", "--shutdown-drain-timeout", "1h")
	s := openProvision(t, d.netTCP)
	s.start()
	d.signal(syscall.SIGTERM)
	d.waitLog("draining: no new sessions; running work may finish", 5*time.Second)
	start := time.Now()
	d.signal(syscall.SIGTERM)
	if code := d.exitCode(10 * time.Second); code != 3 {
		t.Fatalf("exit code %d, want 3 (forced)", code)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("forced exit took %v", took)
	}
	d.waitLog("forced exit: the drain was interrupted", time.Second)
}

// TestAdminEndpoints checks /healthz, /readyz, /log/level and /metrics of a
// running daemon after one provisioning session and one refused one.
func TestAdminEndpoints(t *testing.T) {
	skipWithoutSignals(t)
	d := startDaemon(t, "--dev-work-duration", "100ms", "--session-checkpoint-interval", "20ms")
	base := "http://" + d.admin
	s := openProvision(t, d.netTCP)
	s.start()
	if _, exc := s.complete(); exc != nil {
		t.Fatalf("provisioning failed: %v", exc)
	}
	s.end(false)
	again := openProvision(t, d.netTCP) // already provisioned: Complete carries the refusal
	again.start()
	if _, exc := again.complete(); exc == nil || exc.ExceptionID != ipam.IpamApiErrorIpamAlreadyProvisioned {
		t.Fatalf("second provisioning: %+v", exc)
	}
	again.end(false)

	for _, tt := range []struct {
		path   string
		status int
		want   string
	}{
		{"/healthz", 200, "ok"},
		{"/readyz", 200, "ready"},
		{"/log/level", 200, `{"level":"info"}`},
		{"/debug/pprof/", 404, ""},
	} {
		if status, body := httpGet(t, base+tt.path); status != tt.status || !strings.Contains(body, tt.want) {
			t.Errorf("GET %s = %d %q, want %d %q", tt.path, status, body, tt.status, tt.want)
		}
	}
	// The sessions have ended once the server closed them; wait for the gauges to settle.
	var metrics string
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, metrics = httpGet(t, base+"/metrics")
		if strings.Contains(metrics, `ipamd_sessions{port_type="IIpamAsyncProvision",state="completed"} 0`) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, want := range []string{
		`ipamd_build_info{commit="`,
		`ipamd_connections{transport="net.tcp"} `,
		`ipamd_connections_accepted_total{transport="net.tcp"} 2`,
		`ipamd_sessions{port_type="IIpamAsyncProvision",state="completed"} 0`,
		`ipamd_sessions{port_type="IIpamAsyncSchemaConversion",state="in_progress"} 0`,
		`ipamd_sessions_started_total{port_type="IIpamAsyncProvision",transport="net.tcp"} 2`,
		`ipamd_messages_received_total{action="InitializeAsyncProvisioning",port_type="IIpamAsyncProvision"} 2`,
		`ipamd_messages_received_total{action="StartAsyncProvisioning",port_type="IIpamAsyncProvision"} 2`,
		`ipamd_messages_sent_total{action="NotifyAsyncProvisionComplete",port_type="IIpamAsyncProvision"} 2`,
		`ipamd_faults_total{exception_id="IpamApiErrorIpamAlreadyProvisioned",port_type="IIpamAsyncProvision"} 1`,
		`ipamd_callback_duration_seconds_count{callback="complete",port_type="IIpamAsyncProvision"} 2`,
		`ipamd_work_duration_seconds_count{kind="provisioning",result="success"} 1`,
		`ipamd_work_running{kind="provisioning"} 0`,
		`ipamd_draining 0`,
		`ipamd_config_reloads_total{result="success"} 0`,
		`go_goroutines `,
		`ipamd_process_open_fds `,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	// Provisioning seeds rows: the counter must have moved.
	if m := regexp.MustCompile(`(?m)^ipamd_work_rows_total\{kind="provisioning"\} (\d+)$`).FindStringSubmatch(metrics); m == nil || m[1] == "0" {
		t.Errorf("ipamd_work_rows_total for provisioning did not move: %v", m)
	}
	if m := regexp.MustCompile(`(?m)^ipamd_callback_duration_seconds_count\{callback="checkpoint",port_type="IIpamAsyncProvision"\} (\d+)$`).FindStringSubmatch(metrics); m == nil || m[1] == "0" {
		t.Errorf("no checkpoint latency observed")
	}

	req, _ := http.NewRequest(http.MethodPut, base+"/log/level", strings.NewReader(`{"level":"debug"}`))
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if _, body := httpGet(t, base+"/log/level"); !strings.Contains(body, `"debug"`) {
		t.Errorf("level after PUT: %s", body)
	}
	d.signal(syscall.SIGTERM)
	if code := d.exitCode(20 * time.Second); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

// TestReadyzNotReadyWithoutListeners is the other /readyz state: with
// --admin-pprof the profiler answers too.
func TestAdminPprofOptIn(t *testing.T) {
	skipWithoutSignals(t)
	d := startDaemon(t, "--admin-pprof")
	if status, body := httpGet(t, "http://"+d.admin+"/debug/pprof/"); status != 200 || !strings.Contains(body, "goroutine") {
		t.Errorf("/debug/pprof/ = %d", status)
	}
	d.signal(syscall.SIGTERM)
	d.exitCode(20 * time.Second)
}

// TestSIGHUPReload: SIGHUP re-reads the file, applies the log level and the
// limits, and names what needs a restart; a broken file changes nothing.
func TestSIGHUPReload(t *testing.T) {
	skipWithoutSignals(t)
	file := filepath.Join(t.TempDir(), "ipamd.yaml")
	write := func(s string) {
		if err := os.WriteFile(file, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("log:\n  level: info\n")
	d := startDaemon(t, "--config", file)
	base := "http://" + d.admin

	write("log:\n  level: debug\nlimits:\n  max_connections: 42\nendpoints:\n  provision_path: /other\n")
	d.signal(syscall.SIGHUP)
	reloaded := d.waitLog("configuration reloaded", 5*time.Second)
	if got := reloaded["applied"]; !sameStrings(got, "limits.max_connections", "log.level") {
		t.Errorf("applied = %v", got)
	}
	warn := d.waitLog("configuration changes not reloaded: they need a restart", time.Second)
	if got := warn["keys"]; !sameStrings(got, "endpoints.provision_path") {
		t.Errorf("restart keys = %v", got)
	}
	if _, body := httpGet(t, base+"/log/level"); !strings.Contains(body, `"debug"`) {
		t.Errorf("level after reload: %s", body)
	}

	write("log:\n  level: loud\n")
	d.signal(syscall.SIGHUP)
	d.waitLog("reload failed: keeping the running configuration", 5*time.Second)
	if _, body := httpGet(t, base+"/log/level"); !strings.Contains(body, `"debug"`) {
		t.Errorf("level after a failed reload: %s", body)
	}
	if _, m := httpGet(t, base+"/metrics"); !strings.Contains(m, `ipamd_config_reloads_total{result="failure"} 1`) ||
		!strings.Contains(m, `ipamd_config_reloads_total{result="success"} 1`) {
		t.Errorf("reload counters wrong")
	}
	d.signal(syscall.SIGTERM)
	if code := d.exitCode(20 * time.Second); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

func sameStrings(v any, want ...string) bool {
	list, ok := v.([]any)
	if !ok || len(list) != len(want) {
		return false
	}
	for i, w := range want {
		if list[i] != w {
			return false
		}
	}
	return true
}
