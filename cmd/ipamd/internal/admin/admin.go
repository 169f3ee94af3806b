// Package admin is ipamd's admin HTTP listener, apart from the SOAP
// listeners: Prometheus metrics, liveness and readiness probes, the log
// level, and (opt-in) Go's profiler.
//
//	GET  /metrics        Prometheus text exposition (the registry given)
//	GET  /healthz        200 "ok" while the process serves HTTP (liveness)
//	GET  /readyz         200 "ready", or 503 with the reason: listeners not up
//	                     yet, draining, or the readiness check failing (store)
//	GET  /log/level      {"level":"info"}
//	PUT  /log/level      {"level":"debug"} (zap.AtomicLevel's handler)
//	     /debug/pprof/   net/http/pprof, only with Options.Pprof
//
// The listener has no authentication: it belongs on loopback (the default)
// or a management network.
package admin

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	"github.com/ipamd/ipamd/duplex/admission"
)

// ReadyFunc reports whether ipamd can take work: nil when ready, else an
// error saying why not (it becomes the 503 body). It runs per /readyz
// request with a timeout, so it may do I/O (ping the store).
type ReadyFunc func(ctx context.Context) error

// Options configures the admin server.
type Options struct {
	Gatherer prometheus.Gatherer
	// Level is the logger's level, read and set by /log/level.
	Level zap.AtomicLevel
	// Ready is the readiness check; nil means always ready.
	Ready ReadyFunc
	// ReadyTimeout bounds one readiness check. Default 2s.
	ReadyTimeout time.Duration
	// Pprof mounts /debug/pprof/.
	Pprof bool
	// MaxConnections and MaxConnectionsPerAddress cap open connections in
	// total and per client address, at accept; more are answered 503.
	// Defaults 32 and 8.
	MaxConnections           int
	MaxConnectionsPerAddress int
	Logger                   *zap.Logger
}

// Server is the admin HTTP server.
type Server struct {
	opts Options
	hs   *http.Server
	lim  *admission.Limiter
}

// New returns the server; Serve starts it.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	if opts.ReadyTimeout <= 0 {
		opts.ReadyTimeout = 2 * time.Second
	}
	if opts.MaxConnections <= 0 {
		opts.MaxConnections = 32
	}
	if opts.MaxConnectionsPerAddress <= 0 {
		opts.MaxConnectionsPerAddress = 8
	}
	s := &Server{opts: opts, lim: admission.New(opts.MaxConnections, opts.MaxConnectionsPerAddress)}
	s.hs = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		// pprof's CPU profile and trace run for ?seconds= (default 30).
		WriteTimeout:   2 * time.Minute,
		IdleTimeout:    time.Minute,
		MaxHeaderBytes: 16 << 10,
		ErrorLog:       zap.NewStdLog(opts.Logger.WithOptions(zap.IncreaseLevel(zap.WarnLevel))),
	}
	return s
}

// Handler is the admin mux.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.opts.Gatherer, promhttp.HandlerOpts{
		ErrorLog:            zap.NewStdLog(s.opts.Logger),
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 4,
	}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		text(w, http.StatusOK, "ok")
	})
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("/log/level", s.opts.Level)
	if s.opts.Pprof {
		// A mux of its own, so nothing else registered on
		// http.DefaultServeMux (net/http/pprof's init does) is served.
		pp := http.NewServeMux()
		pp.HandleFunc("/debug/pprof/", pprof.Index)
		pp.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		pp.HandleFunc("/debug/pprof/profile", pprof.Profile)
		pp.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		pp.HandleFunc("/debug/pprof/trace", pprof.Trace)
		mux.Handle("/debug/pprof/", pp)
	}
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		body := "ipamd admin\n/metrics\n/healthz\n/readyz\n/log/level (GET, PUT {\"level\":\"debug\"})\n"
		if s.opts.Pprof {
			body += "/debug/pprof/\n"
		}
		text(w, http.StatusOK, body)
	})
	return mux
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.opts.Ready == nil {
		text(w, http.StatusOK, "ready")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.ReadyTimeout)
	defer cancel()
	if err := s.opts.Ready(ctx); err != nil {
		text(w, http.StatusServiceUnavailable, "not ready: "+err.Error())
		return
	}
	text(w, http.StatusOK, "ready")
}

func text(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = fmt.Fprint(w, body)
	if len(body) == 0 || body[len(body)-1] != '\n' {
		_, _ = fmt.Fprintln(w)
	}
}

// Serve serves on ln until Shutdown; it returns nil after Shutdown.
// Connections above the caps are answered 503 at accept.
func (s *Server) Serve(ln net.Listener) error {
	aln := admission.NewListener(ln, s.lim, refuse)
	defer aln.WaitRefusals()
	if err := s.hs.Serve(aln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("admin: %w", err)
	}
	return nil
}

// Admission returns the admission counters (open connections, refusals).
func (s *Server) Admission() admission.Stats { return s.lim.Stats() }

// refuse answers a connection above the caps without reading from it.
func refuse(c net.Conn, why admission.Reason) {
	body := "too many connections (" + why.String() + "); try again later\n"
	_, _ = fmt.Fprintf(c, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\nRetry-After: 1\r\nConnection: close\r\n\r\n%s", len(body), body)
}

// Shutdown stops the server, waiting for requests in flight until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	if err := s.hs.Shutdown(ctx); err != nil {
		_ = s.hs.Close()
		return fmt.Errorf("admin: shutdown: %w", err)
	}
	return nil
}
