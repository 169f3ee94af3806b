package server_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
	"go.uber.org/zap"

	"github.com/ipamd/ipamd/config"
	"github.com/ipamd/ipamd/internal/server"
	"github.com/ipamd/ipamd/internal/server/metrics"
	"github.com/ipamd/ipamd/internal/server/servertest"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// drainAsync starts the graceful stop (what SIGTERM does) and returns
// Serve's result when it has returned.
func drainAsync(s *servertest.Server) <-chan error {
	done := make(chan error, 1)
	go func() { done <- s.Stop() }()
	return done
}

// TestDrainLetsRunningWorkFinish: a stop while a provisioning runs. The
// listener closes, /readyz turns 503 while /metrics still answers, the
// session gets its checkpoints and a successful Notify…Complete and a
// proper End, and Serve returns nil with the drain in the log.
func TestDrainLetsRunningWorkFinish(t *testing.T) {
	s := servertest.Start(t, servertest.Set("dev.work_duration", "1s"),
		servertest.Set("session.checkpoint_interval", "100ms"), servertest.Set("shutdown.drain_timeout", "30s"))
	idle := openProvision(t, s.NetTCP) // initialized, no work: closed by the drain
	p := openProvision(t, s.NetTCP)
	p.start()
	if err := s.Ready(context.Background()); err != nil {
		t.Fatalf("Ready before the stop: %v", err)
	}
	if status, _ := httpGet(t, "http://"+s.Admin+"/readyz"); status != http.StatusOK {
		t.Fatalf("/readyz before the stop = %d", status)
	}

	stopped := drainAsync(s)
	s.WaitLog("draining: no new sessions; running work may finish", 5*time.Second)
	if err := s.Ready(context.Background()); err == nil || !strings.Contains(err.Error(), "draining") {
		t.Errorf("Ready while draining = %v", err)
	}
	if status, body := httpGet(t, "http://"+s.Admin+"/readyz"); status != http.StatusServiceUnavailable || !strings.Contains(body, "draining") {
		t.Errorf("/readyz while draining = %d %q, want 503", status, body)
	}
	if status, body := httpGet(t, "http://"+s.Admin+"/metrics"); status != 200 || !strings.Contains(body, "ipamd_draining 1") {
		t.Errorf("/metrics while draining = %d, ipamd_draining 1 missing", status)
	}
	if c, err := net.DialTimeout("tcp", s.NetTCP, time.Second); err == nil {
		c.Close()
		t.Error("the net.tcp listener still accepts during the drain")
	}
	if _, _, end := idle.next(); !end {
		t.Error("the idle session was not closed with End")
	}
	idle.end(true)

	checkpoints, exc := p.complete()
	if exc != nil {
		t.Fatalf("Complete carried %s: %s; want success (the drain lets the work finish)", exc.ExceptionID, exc.Message)
	}
	if checkpoints < 2 {
		t.Errorf("%d checkpoints during 1s of work at 100ms", checkpoints)
	}
	p.end(true)
	if err := <-stopped; err != nil {
		t.Fatalf("Serve: %v, want nil", err)
	}
	if drained := s.WaitLog("drained", time.Second); drained.ContextMap()["took"] == nil {
		t.Errorf("drained entry %v lacks took", drained.ContextMap())
	}
	if s.Logs.FilterMessage("drain timeout: cancelling running work; its sessions are told in Notify…Complete").Len() > 0 {
		t.Error("the work was cancelled although it finished within the drain timeout")
	}
}

// TestDrainTimeoutCancelsWork: work longer than shutdown.drain_timeout is
// cancelled; its session is told in Notify…Complete with an IpamException
// naming the shutdown, and Serve still returns nil.
func TestDrainTimeoutCancelsWork(t *testing.T) {
	s := servertest.Start(t, servertest.Set("dev.work_duration", "1h"), servertest.Set("shutdown.drain_timeout", "500ms"))
	p := openProvision(t, s.NetTCP)
	p.start()
	start := time.Now()
	stopped := drainAsync(s)
	_, exc := p.complete()
	if exc == nil || exc.ExceptionID != ipam.IpamApiUnabletoProvisionIpam || !strings.Contains(exc.Message, "shutting down") ||
		!strings.Contains(exc.Message, "shutdown.drain_timeout (500ms)") {
		t.Fatalf("Complete exception %+v, want IpamApiUnabletoProvisionIpam naming the drain timeout", exc)
	}
	if took := time.Since(start); took < 450*time.Millisecond {
		t.Errorf("work cancelled after %v, before the 500ms drain timeout", took)
	}
	p.end(true)
	if err := <-stopped; err != nil {
		t.Fatalf("Serve: %v, want nil", err)
	}
	s.WaitLog("drain timeout: cancelling running work; its sessions are told in Notify…Complete", time.Second)
}

// TestReadyStates: Ready (/readyz) is false before Serve, true while
// serving with a store that answers, false when the store does not, and
// false while draining.
func TestReadyStates(t *testing.T) {
	cfg := config.Default()
	cfg.Listen = []string{"net.tcp://127.0.0.1:0"}
	cfg.Admin.Listen = ""
	cfg.StateDir = t.TempDir()
	srv, err := server.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Ready(context.Background()); err == nil || !strings.Contains(err.Error(), "listeners not up yet") {
		t.Errorf("Ready before Serve = %v", err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if c, err := net.DialTimeout("tcp", srv.Addrs()[0].Addr.String(), time.Second); err == nil {
		c.Close()
		t.Error("Close left the listener open")
	}

	storeErr := errors.New("database unreachable")
	var failing atomic.Bool
	s := servertest.Start(t, servertest.WithServerOptions(server.WithStoreReady(func(context.Context) error {
		if failing.Load() {
			return storeErr
		}
		return nil
	})))
	if err := s.Ready(context.Background()); err != nil {
		t.Errorf("Ready while serving = %v", err)
	}
	failing.Store(true)
	if err := s.Ready(context.Background()); !errors.Is(err, storeErr) {
		t.Errorf("Ready with a failing store = %v", err)
	}
	if status, body := httpGet(t, "http://"+s.Admin+"/readyz"); status != http.StatusServiceUnavailable || !strings.Contains(body, "database unreachable") {
		t.Errorf("/readyz with a failing store = %d %q", status, body)
	}
	failing.Store(false)
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := s.Ready(context.Background()); err == nil || !strings.Contains(err.Error(), "draining") {
		t.Errorf("Ready after the stop = %v", err)
	}
}

// TestReload: a reload applies the log level and the limits, names what
// needs a restart (and keeps it as it runs); a configuration that does not
// load changes nothing; both are counted.
func TestReload(t *testing.T) {
	reload := make(chan struct{})
	var next *config.Config
	load := func() (*config.Config, error) {
		if next == nil {
			return nil, errors.New("log.level: \"loud\" is not a level")
		}
		return next, nil
	}
	s := servertest.Start(t, servertest.WithServerOptions(server.WithReload(reload, load)))
	base := "http://" + s.Admin

	c := *s.Config
	c.Log.Level = "debug"
	c.Limits.MaxConnections = 42
	c.Endpoints.ProvisionPath = "/other"
	applied, restart := s.Reload(&c)
	if !slices.Equal(applied, []string{"limits.max_connections", "log.level"}) {
		t.Errorf("applied = %v", applied)
	}
	if !slices.Equal(restart, []string{"endpoints.provision_path"}) {
		t.Errorf("restart = %v", restart)
	}
	if got := s.RunningConfig(); got.Limits.MaxConnections != 42 || got.Endpoints.ProvisionPath != s.Config.Endpoints.ProvisionPath {
		t.Errorf("running configuration after the reload: max_connections %d, provision_path %q", got.Limits.MaxConnections, got.Endpoints.ProvisionPath)
	}
	if e := s.WaitLog("configuration reloaded", time.Second); !strings.Contains(s.Log(), "configuration changes not reloaded: they need a restart") {
		t.Errorf("no restart warning after %v", e.ContextMap())
	}
	if _, body := httpGet(t, base+"/log/level"); !strings.Contains(body, `"debug"`) {
		t.Errorf("level after reload: %s", body)
	}
	// Still served at the old path: endpoints.provision_path needs a restart.
	openProvision(t, s.NetTCP).end(false)

	reload <- struct{}{} // load fails
	s.WaitLog("reload failed: keeping the running configuration", 5*time.Second)
	if s.Level.Level() != zap.DebugLevel {
		t.Errorf("level after a failed reload: %v", s.Level.Level())
	}
	_, m := httpGet(t, base+"/metrics")
	for _, want := range []string{`ipamd_config_reloads_total{result="failure"} 1`, `ipamd_config_reloads_total{result="success"} 1`} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// TestListenerFailureStopsServer: one listener failing (its socket gone)
// stops the server: the others close, sessions drain, and Serve returns
// the error naming the listener.
func TestListenerFailureStopsServer(t *testing.T) {
	s := servertest.Start(t)
	addrs := s.Addrs()
	if len(addrs) != 2 || addrs[0].URI.Transport != config.TransportNetTCP || addrs[1].URI.Transport != config.TransportHTTP {
		t.Fatalf("Addrs = %+v, want net.tcp and http", addrs)
	}
	p := openProvision(t, s.NetTCP) // an idle session: closed by the stop
	if err := server.CloseListener(s.Server, 1); err != nil {
		t.Fatal(err)
	}
	if _, _, end := p.next(); !end {
		t.Error("the idle session was not closed with End")
	}
	p.end(true)
	select {
	case <-s.Served():
	case <-time.After(20 * time.Second):
		t.Fatal("Serve did not return after a listener failed")
	}
	err := s.ServeErr()
	if err == nil || !strings.Contains(err.Error(), "serve "+addrs[1].Addr.String()) {
		t.Fatalf("Serve = %v, want the failed listener's error", err)
	}
	s.WaitLog("a listener failed: stopping", time.Second)
	if c, err := net.DialTimeout("tcp", s.NetTCP, time.Second); err == nil {
		c.Close()
		t.Error("the net.tcp listener still accepts after the stop")
	}
	if err := s.Stop(); err == nil {
		t.Error("Stop after a failed listener returned nil")
	}
}

// TestAdminEndpoints checks /healthz, /readyz, /log/level and /metrics of a
// running server after one provisioning session and one refused one.
func TestAdminEndpoints(t *testing.T) {
	s := servertest.Start(t, servertest.Set("dev.work_duration", "100ms"), servertest.Set("session.checkpoint_interval", "20ms"))
	base := "http://" + s.Admin
	p := openProvision(t, s.NetTCP)
	p.start()
	if _, exc := p.complete(); exc != nil {
		t.Fatalf("provisioning failed: %v", exc)
	}
	p.end(false)
	again := openProvision(t, s.NetTCP) // already provisioned: Complete carries the refusal
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
		time.Sleep(20 * time.Millisecond)
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
	scraped := exposition(t, metrics)
	if v, ok := scraped.Series(`ipamd_work_rows_total{kind="provisioning"}`); !ok || v == 0 {
		t.Errorf("ipamd_work_rows_total for provisioning did not move: %v %v", v, ok)
	}
	if v, ok := scraped.Series(`ipamd_callback_duration_seconds{callback="checkpoint",port_type="IIpamAsyncProvision"}`); !ok || v == 0 {
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
	if s.Level.Level() != zap.DebugLevel {
		t.Errorf("the server's level after PUT: %v", s.Level.Level())
	}
}

// TestAdminPprofOptIn: with admin.pprof the profiler answers too.
func TestAdminPprofOptIn(t *testing.T) {
	s := servertest.Start(t, servertest.Set("admin.pprof", "true"))
	if status, body := httpGet(t, "http://"+s.Admin+"/debug/pprof/"); status != 200 || !strings.Contains(body, "goroutine") {
		t.Errorf("/debug/pprof/ = %d", status)
	}
}

// recorder is a Supervisor that records what it is told.
type recorder struct {
	mu     sync.Mutex
	events []string
	alive  chan error
}

func (r *recorder) add(e string) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

func (r *recorder) Ready(status string)    { r.add("ready: " + status) }
func (r *recorder) Stopping(status string) { r.add("stopping: " + status) }
func (r *recorder) Reloading()             { r.add("reloading") }
func (r *recorder) Status(status string)   { r.add("status: " + status) }
func (r *recorder) Watchdog(ctx context.Context, alive func() error) {
	r.alive <- alive()
	<-ctx.Done()
}

func (r *recorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// TestSupervisorIsTold: the supervisor (systemd, the Windows SCM) hears of
// readiness, a reload (reloading, then ready again), a stop, and a drain
// timeout; its watchdog gets a liveness check that passes while the
// session manager answers.
func TestSupervisorIsTold(t *testing.T) {
	rec := &recorder{alive: make(chan error, 1)}
	s := servertest.Start(t, servertest.WithSupervisor(rec), servertest.Set("dev.work_duration", "1h"),
		servertest.Set("shutdown.drain_timeout", "100ms"))
	select {
	case err := <-rec.alive:
		if err != nil {
			t.Errorf("alive = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("the watchdog was not started")
	}
	c := *s.Config
	c.Log.Level = "debug"
	s.Reload(&c)
	p := openProvision(t, s.NetTCP)
	p.start()
	stopped := drainAsync(s)
	if _, exc := p.complete(); exc == nil {
		t.Error("the work was not cancelled at the drain timeout")
	}
	p.end(true)
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	want := []string{
		"ready: serving 2 listener(s)",
		"reloading",
		"ready: serving (configuration reloaded)",
		"stopping: draining 1 session(s) for up to 100ms",
		"status: drain timeout: cancelled the work of 1 session(s)",
	}
	if got := rec.all(); !slices.Equal(got, want) {
		t.Errorf("supervisor heard\n %q\nwant\n %q", got, want)
	}
}

// exposition parses a /metrics body.
func exposition(t *testing.T, body string) metrics.Exposition {
	t.Helper()
	e, err := metrics.ParseText(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return e
}
