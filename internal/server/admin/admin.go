// Package admin is ipamd's admin HTTP listener, apart from the SOAP
// listeners: Prometheus metrics, liveness and readiness probes, the log
// level, and (opt-in) Go's profiler.
//
//	GET  /metrics        Prometheus text exposition (the registry given)
//	GET  /healthz        200 "ok" while the process serves HTTP (liveness)
//	GET  /readyz         200 "ready", or 503 with the reason: listeners not up
//	                     yet, draining, or the readiness check failing (store)
//	GET  /log/level      {"level":"info"}
//	PUT  /log/level      {"level":"debug"} (zap.AtomicLevel's handler); a level
//	                     above warn needs "Authorization: Bearer <Options.Token>"
//	GET  /debug/pprof/   net/http/pprof, only with Options.Pprof (GET and HEAD only)
//
// The listener belongs on loopback (the configuration refuses anything else
// without admin.allow_remote) or a management network. Every request must
// name the listener in Host (duplex/hostcheck: no DNS rebinding from a
// web page) and carry no foreign Origin. Reading is open; the one change a
// caller without the token can make is the log level between debug and
// warn: silencing warnings and the access-denied audit log needs the token.
package admin

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/pprof"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/ipamd/ipamd/duplex/admission"
	"github.com/ipamd/ipamd/duplex/hostcheck"
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
	// AllowedHosts are names, besides the listener's address and loopback
	// names, that a request's Host may carry.
	AllowedHosts []string
	// Token, when not empty, is the bearer token PUT /log/level needs to
	// set a level above warn; empty: no such level can be set.
	Token string
	// MaxConnections and MaxConnectionsPerAddress cap open connections in
	// total and per client address, at accept; more are answered 503.
	// Defaults 32 and 8.
	MaxConnections           int
	MaxConnectionsPerAddress int
	Logger                   *zap.Logger
}

// Server is the admin HTTP server.
type Server struct {
	opts  Options
	hs    *http.Server
	lim   *admission.Limiter
	hosts hostcheck.Policy
	token [sha256.Size]byte // of Options.Token, compared in constant time
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
	s := &Server{opts: opts, lim: admission.New(opts.MaxConnections, opts.MaxConnectionsPerAddress),
		hosts: hostcheck.New(opts.AllowedHosts), token: sha256.Sum256([]byte(opts.Token))}
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

// Handler is the admin mux behind the Host and Origin check.
func (s *Server) Handler() http.Handler {
	mux := s.mux()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if why := s.hosts.Check(r, "admin.allowed_hosts"); why != "" {
			s.opts.Logger.Info("admin request refused", zap.String("remote_addr", r.RemoteAddr), zap.String("reason", why))
			text(w, http.StatusForbidden, why)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func (s *Server) mux() *http.ServeMux {
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
	mux.Handle("GET /log/level", s.opts.Level)
	mux.HandleFunc("PUT /log/level", s.putLevel)
	if s.opts.Pprof {
		// A mux of its own, so nothing else registered on
		// http.DefaultServeMux (net/http/pprof's init does) is served.
		pp := http.NewServeMux()
		pp.HandleFunc("/debug/pprof/", pprof.Index)
		pp.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		pp.HandleFunc("/debug/pprof/profile", pprof.Profile)
		pp.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		pp.HandleFunc("/debug/pprof/trace", pprof.Trace)
		// GET only: the profiler reads, and a cross-site form POST (which
		// needs no preflight) must not reach it.
		mux.Handle("GET /debug/pprof/", pp)
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

// maxLevelBody bounds a PUT /log/level body.
const maxLevelBody = 1024

// putLevel sets the log level as zap's handler does (JSON {"level":…}, or
// a form level=… in the body), itself, so that the level checked is the
// level set: a level above warn needs the token.
func (s *Server) putLevel(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxLevelBody))
	if err != nil {
		text(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d bytes", maxLevelBody))
		return
	}
	lvl, err := requestedLevel(r.Header.Get("Content-Type"), body)
	if err != nil {
		jsonAnswer(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	if lvl > zapcore.WarnLevel {
		switch auth := r.Header.Get("Authorization"); {
		case s.opts.Token == "":
			s.opts.Logger.Warn("log level change refused: above warn needs admin.token_file", zap.String("remote_addr", r.RemoteAddr), zap.Stringer("level", lvl))
			text(w, http.StatusForbidden, "a level above warn would silence warnings and the audit log: it needs the token of admin.token_file, and none is configured")
			return
		case !s.tokenMatches(auth):
			s.opts.Logger.Warn("log level change refused: wrong or missing token", zap.String("remote_addr", r.RemoteAddr), zap.Stringer("level", lvl))
			w.Header().Set("WWW-Authenticate", `Bearer realm="ipamd admin"`)
			text(w, http.StatusUnauthorized, "a level above warn needs \"Authorization: Bearer <token of admin.token_file>\"")
			return
		}
	}
	// Said before the change, so that it is written even when the new
	// level hides warnings.
	s.opts.Logger.Warn("log level changed", zap.String("remote_addr", r.RemoteAddr),
		zap.Stringer("from", s.opts.Level.Level()), zap.Stringer("to", lvl))
	s.opts.Level.SetLevel(lvl)
	jsonAnswer(w, http.StatusOK, map[string]string{"level": lvl.String()})
}

func jsonAnswer(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// tokenMatches compares an Authorization header with the token in
// constant time (over digests, so the length does not show either).
func (s *Server) tokenMatches(auth string) bool {
	scheme, tok, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	return subtle.ConstantTimeCompare(got[:], s.token[:]) == 1
}

// requestedLevel reads the level a PUT asks for: a form level=… (body
// only) for application/x-www-form-urlencoded, else one JSON object
// {"level":…}.
func requestedLevel(contentType string, body []byte) (zapcore.Level, error) {
	var name string
	if mt, _, _ := mime.ParseMediaType(contentType); mt == "application/x-www-form-urlencoded" {
		v, err := url.ParseQuery(string(body))
		if err != nil {
			return 0, fmt.Errorf("malformed form body: %w", err)
		}
		name = v.Get("level")
	} else {
		var req struct {
			Level *string `json:"level"`
		}
		if err := json.Unmarshal(body, &req); err != nil {
			return 0, fmt.Errorf("malformed request body: %w", err)
		}
		if req.Level != nil {
			name = *req.Level
		}
	}
	if name == "" {
		return 0, errors.New("must specify logging level")
	}
	var l zapcore.Level
	if err := l.UnmarshalText([]byte(name)); err != nil {
		return 0, err
	}
	return l, nil
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
