// Package server assembles and runs the ipamd daemon in a process: the
// data store, the services and their sessions, the net.tcp and HTTP
// listeners with their transport security, the admin endpoint and the
// lifecycle (readiness, reload, graceful stop). cmd/ipamd wires it to
// flags, signals and the service manager; servertest runs it inside a
// test.
//
//	srv, err := server.New(ctx, cfg, server.WithLogger(log))
//	...
//	err = srv.Serve(ctx) // until ctx ends or Drain; then drains and closes
package server

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"

	"go.uber.org/zap"

	"github.com/ipamd/ipamd/config"
	"github.com/ipamd/ipamd/duplex/nmf"
	"github.com/ipamd/ipamd/internal/server/metrics"
	"github.com/ipamd/ipamd/services"
)

// Server is one ipamd server: built by New, run by Serve.
type Server struct {
	log        *zap.Logger
	lf         *lifecycle
	listeners  []listener
	adminDone  <-chan error
	closeStore func() error
	storeOnce  sync.Once

	serving atomic.Bool   // Serve was called
	drain   chan struct{} // closed by Drain
	drainMu sync.Once
	done    chan struct{} // closed when Serve returns
}

// listener is one bound listen URI.
type listener struct {
	net.Listener
	uri  config.ListenURI
	mode string // its security mode (config.Security…)
	sec  nmf.ListenerSecurity
}

// Option sets how the server meets the process around it.
type Option func(*options)

// WithLogger sets the logger (default: none).
func WithLogger(log *zap.Logger) Option { return func(o *options) { o.log = log } }

// WithLevel sets the logger's level, which /log/level and a reload change.
func WithLevel(level zap.AtomicLevel) Option { return func(o *options) { o.level = level } }

// WithSupervisor sets who is told about readiness, stop and reload
// (systemd, the Windows SCM); default: nobody.
func WithSupervisor(s Supervisor) Option { return func(o *options) { o.supervisor = s } }

// WithReload makes each receive on reload (SIGHUP, a service parameter
// change) read the configuration again with load and apply it (see
// Reload).
func WithReload(reload <-chan struct{}, load func() (*config.Config, error)) Option {
	return func(o *options) { o.reload, o.loadConfig = reload, load }
}

// WithStoreReady replaces the data store's readiness check of /readyz.
func WithStoreReady(ready func(context.Context) error) Option {
	return func(o *options) { o.storeReady = ready }
}

// WithBuildInfo sets the labels of ipamd_build_info.
func WithBuildInfo(b metrics.BuildInfo) Option { return func(o *options) { o.build = b } }

// WithStore runs the services on st instead of the store the configuration
// names (its dev.* settings too): a test's in-memory stand-in whose ADM
// state it inspects. The server does not close st.
func WithStore(st services.Store) Option { return func(o *options) { o.store = st } }

// WithListenerWrap wraps each bound listener before it serves (tests count
// or disturb the accepted connections with it).
func WithListenerWrap(wrap func(net.Listener) net.Listener) Option {
	return func(o *options) { o.wrapListener = wrap }
}

// ActiveSessions is the number of sessions open now.
func (s *Server) ActiveSessions() int64 { return s.lf.mgr.Active() }

// Addr is a bound listener.
type Addr struct {
	URI      config.ListenURI // as configured (its port may be 0)
	Security string           // its security mode
	Addr     net.Addr         // where it is bound
}

// Addrs are the bound listeners, in the order of the configuration's
// listen URIs.
func (s *Server) Addrs() []Addr {
	out := make([]Addr, len(s.listeners))
	for i, ln := range s.listeners {
		out[i] = Addr{URI: ln.uri, Security: ln.mode, Addr: ln.Addr()}
	}
	return out
}

// AdminAddr is the admin listener's bound address, "" when it is off.
func (s *Server) AdminAddr() string { return s.lf.adminAddr }

// Ready is /readyz: nil once Serve has the listeners up, while no stop is
// draining and the store answers.
func (s *Server) Ready(ctx context.Context) error { return s.lf.ready(ctx) }

// Reload applies next as SIGHUP does: what can change while running is
// applied (new connections and sessions get it), the rest is kept as it
// runs and returned in restart. Both are logged, as for SIGHUP.
func (s *Server) Reload(next *config.Config) (applied, restart []string) {
	s.lf.so.supervisor.Reloading()
	defer s.lf.so.supervisor.Ready("serving (configuration reloaded)")
	return s.lf.apply(next)
}

// RunningConfig is the effective configuration (the last reload's).
func (s *Server) RunningConfig() *config.Config {
	s.lf.mu.Lock()
	defer s.lf.mu.Unlock()
	return s.lf.cfg
}

// Drain starts the graceful stop, as cancelling Serve's context does, and
// waits until Serve has returned or ctx ends.
func (s *Server) Drain(ctx context.Context) error {
	if !s.serving.Load() {
		return errors.New("server: Drain before Serve")
	}
	s.drainMu.Do(func() { close(s.drain) })
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Done is closed when Serve has returned.
func (s *Server) Done() <-chan struct{} { return s.done }

// Close releases a server whose Serve was never called (the listeners, the
// admin listener, the store); after Serve it does nothing.
func (s *Server) Close() error {
	if !s.serving.CompareAndSwap(false, true) {
		return nil
	}
	defer close(s.done)
	return s.release()
}

// release closes what New took.
func (s *Server) release() error {
	for _, ln := range s.listeners {
		_ = ln.Close()
	}
	if s.lf != nil && s.adminDone != nil {
		s.lf.stopAdmin(s.adminDone)
	}
	return s.closeStoreOnce()
}

func (s *Server) closeStoreOnce() (err error) {
	s.storeOnce.Do(func() {
		if err = s.closeStore(); err != nil {
			s.log.Warn("closing the data store", zap.Error(err))
		}
	})
	return err
}
