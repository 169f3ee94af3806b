package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/ipamd/ipamd/config"
	"github.com/ipamd/ipamd/duplex/nmf"
	"github.com/ipamd/ipamd/duplex/soaphttp"
	"github.com/ipamd/ipamd/internal/server/admin"
	"github.com/ipamd/ipamd/internal/server/metrics"
	"github.com/ipamd/ipamd/services"
	"github.com/ipamd/ipamd/sessions"
)

// Supervisor is whoever started ipamd and wants to know where it is:
// systemd (sd_notify), the Windows SCM, or nobody. The command implements
// it; the server only calls it.
type Supervisor interface {
	// Ready: the listeners are up.
	Ready(status string)
	// Stopping: a graceful stop began.
	Stopping(status string)
	// Reloading: a configuration reload began; Ready follows.
	Reloading()
	// Status updates the status line.
	Status(status string)
	// Watchdog keeps the supervisor's watchdog fed while alive succeeds,
	// until ctx ends.
	Watchdog(ctx context.Context, alive func() error)
}

// NopSupervisor is the Supervisor of a server nobody supervises.
type NopSupervisor struct{}

func (NopSupervisor) Ready(string)                           {}
func (NopSupervisor) Stopping(string)                        {}
func (NopSupervisor) Reloading()                             {}
func (NopSupervisor) Status(string)                          {}
func (NopSupervisor) Watchdog(context.Context, func() error) {}

// options connect the server to the process around it (set with the
// Option functions of server.go).
type options struct {
	log *zap.Logger
	// level is the logger's level: /log/level and a reload change it.
	level zap.AtomicLevel
	// supervisor is told about readiness, stop and reload.
	supervisor Supervisor
	// reload fires for SIGHUP or a service parameter change.
	reload <-chan struct{}
	// loadConfig reads the configuration again (same file, environment and
	// flags) for a reload; nil disables reloading.
	loadConfig func() (*config.Config, error)
	// storeReady is the store's readiness check for /readyz; nil selects
	// serve.go's storeReady.
	storeReady func(context.Context) error
	// build labels ipamd_build_info.
	build metrics.BuildInfo
	// store, when set, is the store the services run on instead of the
	// one the configuration names.
	store services.Store
	// wrapListener, when set, wraps each bound listener.
	wrapListener func(net.Listener) net.Listener
}

func (so options) withDefaults() options {
	if so.log == nil {
		so.log = zap.NewNop()
	}
	if so.level == (zap.AtomicLevel{}) {
		so.level = zap.NewAtomicLevel()
	}
	if so.supervisor == nil {
		so.supervisor = NopSupervisor{}
	}
	if so.build == (metrics.BuildInfo{}) {
		so.build = metrics.BuildInfo{Version: "dev", Commit: "unknown", GoVersion: runtime.Version()}
	}
	return so
}

// lifecycle is a running server's state between start and exit: readiness,
// reload and the graceful stop.
type lifecycle struct {
	mu      sync.Mutex     // serializes reloads and guards cfg
	cfg     *config.Config // the effective configuration; replaced by reloads
	so      options
	log     *zap.Logger
	metrics *metrics.Metrics
	mgr     *sessions.Manager
	enum    *services.Enumerator // its rows bound follows limits.max_message_size
	nmf     *nmf.Server
	http    *soaphttp.Server
	// local is the local-account policy New resolved (localPolicy): its
	// settings need a restart, so a reload reuses it.
	local *services.LocalPolicy

	serving  atomic.Bool // the listeners are up
	draining atomic.Bool

	admin     *admin.Server
	adminAddr string
}

// startAdmin starts the admin listener (admin.listen; "" disables it). The
// returned channel yields Serve's result.
func (lf *lifecycle) startAdmin(ctx context.Context) (<-chan error, error) {
	if lf.cfg.Admin.Listen == "" {
		return nil, nil
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", lf.cfg.Admin.Listen)
	if err != nil {
		if isAddrInUse(err) && lf.cfg.Origin("admin.listen") == "default" {
			// The default address is taken (another ipamd on this host, a
			// second instance for a test): run without the admin endpoint
			// rather than not at all. A configured address must work.
			lf.log.Warn("admin listener disabled: its default address is in use; set admin.listen to another address or \"\" to silence this",
				zap.String("addr", lf.cfg.Admin.Listen), zap.Error(err))
			return nil, nil
		}
		return nil, fmt.Errorf("admin listener %s: %w", lf.cfg.Admin.Listen, err)
	}
	lf.adminAddr = ln.Addr().String()
	token, err := readAdminToken(lf.cfg.Admin.TokenFile, lf.log)
	if err != nil {
		_ = ln.Close()
		return nil, err
	}
	if ta, ok := ln.Addr().(*net.TCPAddr); ok && !ta.IP.IsLoopback() {
		// Allowed by admin.allow_remote; said at every start so that it is
		// never forgotten in a deployment.
		lf.log.Warn("admin listener on a non-loopback address: metrics, probes and the profiler are open to that network",
			zap.String("addr", lf.adminAddr), zap.Bool("admin.allow_remote", lf.cfg.Admin.AllowRemote), zap.Bool("pprof", lf.cfg.Admin.Pprof))
	}
	lf.admin = admin.New(admin.Options{
		Gatherer:                 lf.metrics.Registry(),
		Level:                    lf.so.level,
		Ready:                    lf.ready,
		Pprof:                    lf.cfg.Admin.Pprof,
		AllowedHosts:             lf.cfg.Admin.AllowedHosts,
		Token:                    token,
		MaxConnections:           lf.cfg.Admin.MaxConnections,
		MaxConnectionsPerAddress: lf.cfg.Admin.MaxConnectionsPerAddress,
		Logger:                   lf.log.Named("admin"),
	})
	lf.metrics.WatchAdmin(lf.admin)
	done := make(chan error, 1)
	go func() { done <- lf.admin.Serve(ln) }()
	lf.log.Info("admin listening", zap.String("addr", lf.adminAddr), zap.Bool("pprof", lf.cfg.Admin.Pprof))
	return done, nil
}

// minAdminToken is the shortest admin.token_file token accepted.
const minAdminToken = 16

// readAdminToken reads admin.token_file's first line ("" when unset).
func readAdminToken(path string, log *zap.Logger) (string, error) {
	if path == "" {
		return "", nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("admin.token_file: %w", err)
	}
	if !fi.Mode().IsRegular() || fi.Size() > 4096 {
		return "", fmt.Errorf("admin.token_file %s: not a regular file of at most 4096 bytes", path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("admin.token_file: %w", err)
	}
	tok, _, _ := strings.Cut(string(b), "\n")
	tok = strings.TrimSpace(tok)
	if len(tok) < minAdminToken {
		return "", fmt.Errorf("admin.token_file %s: the token (first line) must have at least %d characters", path, minAdminToken)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		log.Warn("admin.token_file is readable by other users: make it mode 0600", zap.String("path", path), zap.Stringer("mode", fi.Mode().Perm()))
	}
	return tok, nil
}

// stopAdmin stops the admin listener last, so /metrics and /readyz answer
// through the whole drain.
func (lf *lifecycle) stopAdmin(done <-chan error) {
	if lf.admin == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := lf.admin.Shutdown(ctx); err != nil {
		lf.log.Debug("admin shutdown", zap.Error(err))
	}
	if err := <-done; err != nil {
		lf.log.Warn("admin listener failed", zap.Error(err))
	}
}

// ready is /readyz: the listeners are up, no stop is draining, and the
// store answers.
func (lf *lifecycle) ready(ctx context.Context) error {
	switch {
	case lf.draining.Load():
		return errors.New("shutting down: draining sessions")
	case !lf.serving.Load():
		return errors.New("listeners not up yet")
	}
	if lf.so.storeReady != nil {
		if err := lf.so.storeReady(ctx); err != nil {
			return fmt.Errorf("store: %w", err)
		}
	}
	return nil
}

// alive is the watchdog's liveness check: the session manager's lock can
// be taken (a deadlock there would freeze every session start and end).
func (lf *lifecycle) alive() error {
	done := make(chan struct{})
	go func() {
		lf.mgr.SessionsByState()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-time.After(5 * time.Second):
		return errors.New("session manager unresponsive for 5s")
	}
}

// run waits for the stop request (ctx, or drain: Server.Drain) or a failed
// listener, handling reloads meanwhile.
func (lf *lifecycle) run(ctx context.Context, drain, failed <-chan struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-drain:
			return
		case <-failed:
			lf.log.Error("a listener failed: stopping")
			return
		case <-lf.so.reload:
			lf.reload()
		}
	}
}

// stop is the graceful stop:
//
//  1. the transports stop accepting and refuse new sessions (net.tcp:
//     ServerTooBusy; HTTP: 503 with a Receiver fault), /readyz turns 503;
//  2. idle sessions are closed; running provisioning or conversion may go
//     on for shutdown.drain_timeout and end with its Notify…Complete;
//  3. work still running then is cancelled at its next safe point, and its
//     session reports it in Notify…Complete (limits.close_timeout);
//  4. whatever is left is closed (End records), then aborted.
//
// A second SIGTERM/SIGINT during all this exits at once (exit code 3;
// see handleSignals in servecmd.go).
func (lf *lifecycle) stop(stopServe context.CancelFunc) {
	lf.mu.Lock()
	cfg := lf.cfg
	lf.mu.Unlock()
	lf.draining.Store(true)
	lf.metrics.SetDraining(true)
	states := stateCounts(lf.mgr.SessionsByState())
	lf.so.supervisor.Stopping(fmt.Sprintf("draining %d session(s) for up to %s", lf.mgr.Active(), config.FormatDuration(cfg.Shutdown.DrainTimeout)))
	fields := []zap.Field{zap.Duration("drain_timeout", cfg.Shutdown.DrainTimeout),
		zap.Int64("sessions", lf.mgr.Active()), zap.Any("sessions_by_state", states),
		zap.Int("connections", lf.nmf.Stats().Active), zap.Int("http_sessions", lf.http.ActiveSessions())}
	lf.nmf.Drain()
	lf.http.Drain()
	lf.mgr.Drain()
	// Said once it is true: the listeners are closed by now (the counts are
	// those the drain began with).
	lf.log.Info("draining: no new sessions; running work may finish", fields...)

	start := time.Now()
	dctx, cancel := context.WithTimeout(context.Background(), cfg.Shutdown.DrainTimeout)
	err := lf.mgr.Wait(dctx)
	cancel()
	if err != nil {
		cause := fmt.Errorf("%w: shutdown.drain_timeout (%s) elapsed", sessions.ErrShuttingDown, config.FormatDuration(cfg.Shutdown.DrainTimeout))
		n := lf.mgr.CancelWork(cause)
		if n > 0 {
			lf.log.Warn("drain timeout: cancelling running work; its sessions are told in Notify…Complete",
				zap.Int("sessions", n), zap.Any("sessions_by_state", stateCounts(lf.mgr.SessionsByState())))
			lf.so.supervisor.Status(fmt.Sprintf("drain timeout: cancelled the work of %d session(s)", n))
		} else {
			lf.log.Warn("drain timeout: no work running, but sessions still open (clients that have not ended them)",
				zap.Any("sessions_by_state", stateCounts(lf.mgr.SessionsByState())))
		}
		cctx, cancel := context.WithTimeout(context.Background(), cfg.Limits.CloseTimeout)
		if err := lf.mgr.Wait(cctx); err != nil {
			lf.log.Warn("sessions still open after the work was cancelled; closing them",
				zap.Int64("sessions", lf.mgr.Active()), zap.Duration("waited", cfg.Limits.CloseTimeout))
		}
		cancel()
	} else {
		lf.log.Info("drained", zap.Duration("took", time.Since(start)))
	}

	sctx, cancel := context.WithTimeout(context.Background(), cfg.Limits.CloseTimeout)
	defer cancel()
	if err := lf.nmf.Shutdown(sctx); err != nil {
		lf.log.Warn("connections aborted at shutdown", zap.Error(err))
	}
	if err := lf.http.Shutdown(sctx); err != nil {
		lf.log.Warn("HTTP sessions aborted at shutdown", zap.Error(err))
	}
	stopServe()
}

func stateCounts(m map[sessions.State]int) map[string]int {
	out := make(map[string]int, len(m))
	for st, n := range m {
		out[st.String()] = n
	}
	return out
}

// readerQuota is what a reload of a SOAP reader quota applies to: a
// net.tcp session decodes with its own codec, made at its start; the HTTP
// transport decodes each request (headers, and the body its session reads
// from the same envelope) with the quotas it holds when the request
// arrives (soaphttp.Server.SetLimits).
const readerQuota = "new net.tcp sessions and every HTTP request from now on"

// reloadable are the settings a reload applies, with what they apply to.
// Every other changed setting is reported as needing a restart.
var reloadable = map[string]string{
	"log.level":                               "now",
	"limits.max_message_size":                 "new net.tcp connections and sessions, every HTTP request and the enumerations started from now on",
	"limits.preamble_timeout":                 "new net.tcp connections",
	"limits.idle_timeout":                     "new net.tcp connections (the HTTP transport: after a restart)",
	"limits.close_timeout":                    "new net.tcp connections and the next stop",
	"limits.max_connections":                  "new net.tcp connections (the HTTP transport: after a restart)",
	"limits.max_session_table_bytes":          "new sessions (the NBFSE table: net.tcp only)",
	"limits.max_connections_per_address":      "new net.tcp connections (the HTTP transport: after a restart)",
	"limits.uninitialized_timeout":            "new sessions",
	"limits.reader.max_depth":                 readerQuota,
	"limits.reader.max_string_content_length": readerQuota,
	"limits.reader.max_array_length":          readerQuota,
	"limits.reader.max_bytes_per_read":        readerQuota,
	"limits.reader.max_attributes":            readerQuota,
	"limits.reader.max_expansion":             readerQuota,
	"limits.reader.max_header_size":           readerQuota,
	"limits.max_echo_bytes":                   "new net.tcp connections and sessions, and every HTTP request from now on (a running session keeps the bound it started with)",
	"session.inactivity_interval":             "new sessions",
	"session.keepalive_grace_count":           "new sessions",
	"security.administrators":                 "new sessions (a session already started keeps the caller's standing)",
	"shutdown.drain_timeout":                  "the next stop",
}

// reload reads the configuration again and applies what can change while
// running; it logs what it applied and what needs a restart. A
// configuration that does not load changes nothing.
func (lf *lifecycle) reload() {
	if lf.so.loadConfig == nil {
		lf.log.Warn("reload requested, but this process cannot reload its configuration")
		return
	}
	lf.so.supervisor.Reloading()
	defer lf.so.supervisor.Ready("serving (configuration reloaded)")
	next, err := lf.so.loadConfig()
	if err != nil {
		lf.metrics.Reloaded(false)
		lf.log.Error("reload failed: keeping the running configuration", zap.Error(err))
		return
	}
	lf.apply(next)
}

// apply applies next as a reload does (see reload) and returns the changed
// keys it applied and those that need a restart.
func (lf *lifecycle) apply(next *config.Config) (applied, restart []string) {
	lf.mu.Lock()
	defer lf.mu.Unlock()
	applied, restart = diffConfig(lf.cfg, next)
	// Keep what needs a restart as it runs, so the next reload reports it
	// again, `stop` uses the values the process actually has, and nothing
	// below applies a setting the log says was not applied.
	kept := *next
	for _, key := range restart {
		copySetting(&kept, lf.cfg, key)
	}
	if lvl, err := zapcore.ParseLevel(kept.Log.Level); err == nil {
		lf.so.level.SetLevel(lvl)
	}
	lf.nmf.Reconfigure(nmfOptions(&kept, lf.log))
	lf.mgr.Reconfigure(sessionOptions(&kept, lf.log, nil, lf.local))
	lf.enum.SetMaxBatchBytes(enumBatchBytes(&kept))
	lf.http.SetLimits(int64(kept.Limits.MaxMessageSize), readerLimits(&kept, lf.metrics.QuotaExceeded))
	lf.cfg = &kept
	lf.metrics.Reloaded(true)
	fields := []zap.Field{zap.Strings("applied", applied)}
	for _, k := range applied {
		fields = append(fields, zap.String(k, reloadable[k]))
	}
	lf.log.Info("configuration reloaded", fields...)
	if len(restart) > 0 {
		lf.log.Warn("configuration changes not reloaded: they need a restart", zap.Strings("keys", restart))
	}
	return applied, restart
}

// diffConfig returns the changed keys, split into those a reload applies
// and those that need a restart.
func diffConfig(old, next *config.Config) (applied, restart []string) {
	for _, s := range config.Settings() {
		if s.Format(old) == s.Format(next) {
			continue
		}
		if _, ok := reloadable[s.Key]; ok {
			applied = append(applied, s.Key)
		} else {
			restart = append(restart, s.Key)
		}
	}
	sort.Strings(applied)
	sort.Strings(restart)
	return applied, restart
}

// copySetting sets key in dst to its value in src (through the YAML form,
// the one generic accessor the settings table has).
func copySetting(dst, src *config.Config, key string) {
	s, ok := config.Lookup(key)
	if !ok {
		return
	}
	_ = s.Set(dst, s.Format(src))
}
