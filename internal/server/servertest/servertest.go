// Package servertest runs a whole ipamd server inside a test: the same
// assembly as `ipamd serve` (internal/server), on OS-chosen loopback ports
// with a temporary state directory (its SQLite store), its log kept in
// memory. The server drains and stops when the test ends, so goleak sees
// nothing of it. Tests that need a process (signals, sd_notify, service
// installation, a kill) run the binary instead.
package servertest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/ipamd/ipamd/config"
	"github.com/ipamd/ipamd/internal/server"
)

// Server is a running server and where to reach it.
type Server struct {
	*server.Server
	// Config is the configuration it started with.
	Config *config.Config
	// NetTCP and HTTP are host:port of the first net.tcp and the first
	// http listener ("" when there is none); Admin is the admin
	// listener's ("" when off).
	NetTCP, HTTP, Admin string
	// Logs is everything it logged, at the configured level and above.
	Logs *observer.ObservedLogs
	// Level is its log level (what /log/level and a reload change).
	Level zap.AtomicLevel

	t        testing.TB
	stopOnce sync.Once
	stopErr  error
	served   chan struct{} // closed when Serve has returned
	serveErr error         // Serve's result, once served is closed
	checked  atomic.Bool   // the test has seen Serve's result (Stop, ServeErr)
}

// Option changes what Start runs.
type Option func(*settings)

type settings struct {
	cfg     *config.Config
	set     [][2]string
	edit    []func(*config.Config)
	opts    []server.Option
	sup     server.Supervisor
	timeout time.Duration
}

// Set sets a setting by its key, with the value as a flag or an
// environment variable would give it (a list comma-separated), e.g.
// Set("dev.work_duration", "3s").
func Set(key, value string) Option {
	return func(s *settings) { s.set = append(s.set, [2]string{key, value}) }
}

// Edit changes the configuration after it is validated: for values
// outside a setting's range that a test needs (a 200ms inactivity
// interval), which no operator can set.
func Edit(edit func(*config.Config)) Option {
	return func(s *settings) { s.edit = append(s.edit, edit) }
}

// WithConfig starts from cfg instead of the defaults with loopback
// listeners (Set still applies on top; an empty state_dir gets a temporary
// one).
func WithConfig(cfg *config.Config) Option { return func(s *settings) { s.cfg = cfg } }

// WithServerOptions passes options to server.New (a store readiness check,
// a reload source).
func WithServerOptions(opts ...server.Option) Option {
	return func(s *settings) { s.opts = append(s.opts, opts...) }
}

// WithSupervisor sets a supervisor to be told what the server's supervisor
// is told.
func WithSupervisor(sup server.Supervisor) Option { return func(s *settings) { s.sup = sup } }

// WithStopTimeout bounds the stop at the end of the test (default: the
// drain timeout plus the close timeout plus 10s).
func WithStopTimeout(d time.Duration) Option { return func(s *settings) { s.timeout = d } }

// Listen are the listeners a server gets unless the test sets "listen":
// one net.tcp and one http listener on OS-chosen loopback ports.
const Listen = "net.tcp://127.0.0.1:0,http://127.0.0.1:0"

// Start builds and runs a server and returns once it is ready (its
// listeners serve); the test fails if it does not start. The server is
// drained and stopped by t.Cleanup (or earlier by Stop); the cleanup fails
// the test if Serve returned an error the test did not look at.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := TryStart(t, opts...)
	if err != nil {
		t.Fatalf("servertest: %v", err)
	}
	return s
}

// TryStart is Start that returns the error of server.New (an invalid
// configuration, a port in use) instead of failing the test.
func TryStart(t testing.TB, opts ...Option) (*Server, error) {
	t.Helper()
	var st settings
	for _, o := range opts {
		o(&st)
	}
	cfg := st.cfg
	if cfg == nil {
		cfg = config.Default()
		cfg.Listen = strings.Split(Listen, ",")
		cfg.Admin.Listen = "127.0.0.1:0"
		cfg.StateDir = ""
	} else {
		c := *cfg
		cfg = &c
	}
	for _, kv := range st.set {
		s, ok := config.Lookup(kv[0])
		if !ok {
			return nil, fmt.Errorf("no setting %q", kv[0])
		}
		if err := s.Set(cfg, kv[1]); err != nil {
			return nil, fmt.Errorf("%s: %w", kv[0], err)
		}
	}
	if cfg.StateDir == "" {
		cfg.StateDir = t.TempDir()
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	for _, e := range st.edit {
		e(cfg)
	}
	if err := cfg.EnsureStateDir(); err != nil {
		return nil, err
	}
	lvl, err := zapcore.ParseLevel(cfg.Log.Level)
	if err != nil {
		return nil, err
	}
	level := zap.NewAtomicLevelAt(lvl)
	core, logs := observer.New(level)
	log := zap.New(capped{core, logs})

	ready := make(chan struct{})
	sup := &supervisor{ready: ready, next: st.sup}
	all := append([]server.Option{server.WithLogger(log), server.WithLevel(level), server.WithSupervisor(sup)}, st.opts...)
	srv, err := server.New(context.Background(), cfg, all...)
	if err != nil {
		return nil, err
	}
	s := &Server{Server: srv, Config: cfg, Logs: logs, Level: level, t: t, served: make(chan struct{})}
	for _, a := range srv.Addrs() {
		switch {
		case a.URI.Transport == config.TransportNetTCP && s.NetTCP == "":
			s.NetTCP = a.Addr.String()
		case a.URI.Transport == config.TransportHTTP && s.HTTP == "":
			s.HTTP = a.Addr.String()
		}
	}
	s.Admin = srv.AdminAddr()
	go func() {
		defer close(s.served)
		s.serveErr = srv.Serve(context.Background())
	}()
	timeout := st.timeout
	if timeout == 0 {
		timeout = cfg.Shutdown.DrainTimeout + cfg.Limits.CloseTimeout + 10*time.Second
	}
	t.Cleanup(func() {
		if err := s.stop(timeout); err != nil && !s.checked.Load() {
			t.Errorf("servertest: stop: %v", err)
		}
		if t.Failed() {
			t.Logf("ipamd log:\n%s", s.Log())
		}
	})
	select {
	case <-ready:
	case <-s.served:
		return nil, fmt.Errorf("server stopped before it was ready: %v", s.serveErr)
	case <-time.After(20 * time.Second):
		return nil, fmt.Errorf("server not ready after 20s")
	}
	return s, nil
}

// URI is the endpoint of path (e.g. config's provision path) on the first
// listener of transport: net.tcp://127.0.0.1:PORT/path.
func (s *Server) URI(transport, path string) string {
	hostport := s.NetTCP
	if transport == config.TransportHTTP {
		hostport = s.HTTP
	}
	return transport + "://" + hostport + path
}

// ProvisionURI and SchemaConversionURI are the endpoints of the two port
// types on the first listener of transport.
func (s *Server) ProvisionURI(transport string) string {
	return s.URI(transport, s.Config.Endpoints.ProvisionPath)
}

func (s *Server) SchemaConversionURI(transport string) string {
	return s.URI(transport, s.Config.Endpoints.SchemaConversionPath)
}

// Stop drains and stops the server (as SIGTERM does) and returns what
// Serve returned; later calls return the same.
func (s *Server) Stop() error {
	s.checked.Store(true)
	return s.stop(s.Config.Shutdown.DrainTimeout + s.Config.Limits.CloseTimeout + 10*time.Second)
}

func (s *Server) stop(timeout time.Duration) error {
	s.stopOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		if err := s.Drain(ctx); err != nil {
			s.stopErr = fmt.Errorf("drain: %w", err)
			return
		}
		<-s.served
		s.stopErr = s.serveErr
	})
	return s.stopErr
}

// Served is closed when Serve has returned: by itself (a failed listener)
// or after Stop. ServeErr is then what it returned.
func (s *Server) Served() <-chan struct{} { return s.served }

// ServeErr is what Serve returned; call it after Served is closed.
func (s *Server) ServeErr() error {
	s.checked.Store(true)
	<-s.served
	return s.serveErr
}

// WaitLog waits up to timeout for a log entry with message msg and returns
// it; the test fails if none comes.
func (s *Server) WaitLog(msg string, timeout time.Duration) observer.LoggedEntry {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if es := s.Logs.FilterMessage(msg).All(); len(es) > 0 {
			return es[0]
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("servertest: no %q in the log after %v", msg, timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Log is the log as text, one entry a line.
func (s *Server) Log() string {
	var b strings.Builder
	for _, e := range s.Logs.All() {
		fmt.Fprintf(&b, "%s %s %s", e.Time.Format("15:04:05.000"), e.Level, e.Message)
		for k, v := range e.ContextMap() {
			fmt.Fprintf(&b, " %s=%v", k, v)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// MaxLogEntries bounds the log a Server keeps (a load test's sessions
// would otherwise fill memory); entries beyond it are dropped.
const MaxLogEntries = 20000

// capped stops recording at MaxLogEntries.
type capped struct {
	zapcore.Core
	logs *observer.ObservedLogs
}

func (c capped) With(fields []zapcore.Field) zapcore.Core {
	return capped{c.Core.With(fields), c.logs}
}

func (c capped) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) && c.logs.Len() < MaxLogEntries {
		return ce.AddCore(e, c)
	}
	return ce
}

// supervisor tells Start when the server is ready, and passes everything
// on to the test's supervisor.
type supervisor struct {
	once  sync.Once
	ready chan struct{}
	next  server.Supervisor
}

func (s *supervisor) Ready(status string) {
	s.once.Do(func() { close(s.ready) })
	if s.next != nil {
		s.next.Ready(status)
	}
}

func (s *supervisor) Stopping(status string) {
	if s.next != nil {
		s.next.Stopping(status)
	}
}

func (s *supervisor) Reloading() {
	if s.next != nil {
		s.next.Reloading()
	}
}

func (s *supervisor) Status(status string) {
	if s.next != nil {
		s.next.Status(status)
	}
}

func (s *supervisor) Watchdog(ctx context.Context, alive func() error) {
	if s.next != nil {
		s.next.Watchdog(ctx, alive)
	}
}
