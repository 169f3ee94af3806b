package soaphttp

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/ipamd/ipamd/duplex/admission"
	"github.com/ipamd/ipamd/duplex/contain"
	"github.com/ipamd/ipamd/duplex/hostcheck"
	"github.com/ipamd/ipamd/duplex/security"
	"github.com/ipamd/ipamd/soap"
)

// Router picks the endpoint for a request path; ok is false when there is
// none.
type Router interface {
	RouteHTTP(path string) (h SessionHandler, ok bool)
}

// SessionHandler serves the sessions of one endpoint.
type SessionHandler interface {
	// ServeSession runs one session: it reads requests with s.ReadEnvelope
	// until io.EOF or an error. ctx is cancelled when the server shuts down.
	ServeSession(ctx context.Context, s *Session) error
}

// WSDLFunc returns the WSDL for a request that reached the server as host
// (the request's Host), so the port addresses name what the client used.
type WSDLFunc func(host string) ([]byte, error)

// Options configures a Server. Zero values select the defaults.
type Options struct {
	// MaxMessageSize bounds a request body; bigger → 413. Default 65536.
	MaxMessageSize int64
	// MaxSessions caps live sessions; a request that would start one more
	// gets 503. Default 10000.
	MaxSessions int
	// MaxConnections caps open HTTP connections, counted at accept before
	// any byte is read; above it a connection is answered 503 with a SOAP
	// Receiver fault and closed. Default 1000.
	MaxConnections int
	// MaxConnectionsPerAddress caps the open connections, and the live
	// sessions, of one client address (IPv4 address, IPv6 /64), so one
	// client cannot take every slot. Default 64.
	MaxConnectionsPerAddress int
	// ReadHeaderTimeout, ReadTimeout and IdleTimeout are the http.Server's.
	// Defaults 10s, 30s, 2m.
	ReadHeaderTimeout, ReadTimeout, IdleTimeout time.Duration
	// RequestTimeout bounds how long a request waits for its session to take
	// and answer it. Default 60s.
	RequestTimeout time.Duration
	// Callback configures callback delivery.
	Callback CallbackOptions
	// WSDL serves GET <path>?wsdl; nil answers 404.
	WSDL WSDLFunc
	// FaultDetail, when set, adds a detail (the IpamException) to the faults
	// this package answers itself.
	FaultDetail func(reason string) soap.BodyWriter
	// DeniedDetail, when set, is the detail of the faults that refuse a
	// caller (a foreign Host or Origin, a missing or wrong session id) in
	// place of FaultDetail's.
	DeniedDetail func(reason string) soap.BodyWriter
	// Identify names the caller of a request that starts a session (the
	// local account owning a loopback socket, security.NewLocalIdentity);
	// it is called while the request's connection is open. nil: sessions
	// have no identity (the session layer's default).
	Identify func(r *http.Request) *security.Identity
	// AllowedHosts are names, besides the address a connection reached (and
	// loopback names when that is loopback), that a request's Host and
	// Origin may carry: the names clients use for this server.
	AllowedHosts []string
	// Limits are the SOAP decoder quotas for reading requests: a request
	// is decoded once, its headers here and its body by the session. Its
	// MaxEchoBytes bounds the client text this transport repeats in its
	// faults and logs. SetLimits replaces them (and MaxMessageSize) while
	// serving.
	Limits soap.Limits
	// Logger receives transport events (refused requests at debug, callback
	// failures at warn). nil = no logging.
	Logger *zap.Logger
}

func (o Options) withDefaults() Options {
	if o.MaxMessageSize <= 0 {
		o.MaxMessageSize = 65536
	}
	if o.MaxSessions <= 0 {
		o.MaxSessions = 10000
	}
	if o.MaxConnections <= 0 {
		o.MaxConnections = 1000
	}
	if o.MaxConnectionsPerAddress <= 0 {
		o.MaxConnectionsPerAddress = 64
	}
	setDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	setDur(&o.ReadHeaderTimeout, 10*time.Second)
	setDur(&o.ReadTimeout, 30*time.Second)
	setDur(&o.IdleTimeout, 2*time.Minute)
	setDur(&o.RequestTimeout, 60*time.Second)
	o.Callback = o.Callback.withDefaults()
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	o.Limits = clampLimits(o.MaxMessageSize, o.Limits)
	return o
}

// clampLimits keeps the decoder's message bound within the body bound.
func clampLimits(maxBody int64, l soap.Limits) soap.Limits {
	if l.MaxMessageBytes <= 0 || int64(l.MaxMessageBytes) > maxBody {
		l.MaxMessageBytes = int(maxBody)
	}
	return l
}

// requestLimits bound reading one request: the body, then its decoding.
type requestLimits struct {
	maxBody int64
	soap    soap.Limits
}

// ErrServerClosed is returned by Serve after Shutdown.
var ErrServerClosed = errors.New("soaphttp: server closed")

// Server is the HTTP transport: an http.Handler plus the session registry.
type Server struct {
	opts   Options
	router Router
	// limits are the body bound, reader quotas and echo bound requests
	// are read with now: Options', then what SetLimits stored (a reload).
	limits   atomic.Pointer[requestLimits]
	callback *callbackClient
	hosts    hostcheck.Policy

	ctx    context.Context // cancelled by Shutdown: ends every session
	cancel context.CancelFunc

	mu        sync.Mutex
	sessions  map[sessionKey]*Session
	https     []*http.Server
	listeners map[net.Listener]struct{}
	closed    bool
	draining  bool
	wg        sync.WaitGroup // session goroutines
	active    atomic.Int64

	// conns admits connections (MaxConnections, MaxConnectionsPerAddress);
	// peers counts live sessions per address (MaxConnectionsPerAddress).
	conns        *admission.Limiter
	peers        *admission.Limiter
	peerRefused  atomic.Uint64
	busyResponse [3][]byte // the 503 for a refused connection, by admission.Reason
}

// sessionKey finds a session: its endpoint and the SHA-256 of its id, so
// that the map lookup's timing says nothing about the id (Session.owns then
// compares the id itself in constant time).
type sessionKey struct {
	h      SessionHandler
	digest [sha256.Size]byte
}

// NewServer returns a server routing requests with router.
func NewServer(opts Options, router Router) *Server {
	opts = opts.withDefaults()
	s := &Server{opts: opts, router: router, sessions: map[sessionKey]*Session{}, listeners: map[net.Listener]struct{}{},
		conns: admission.New(opts.MaxConnections, opts.MaxConnectionsPerAddress),
		peers: admission.New(0, opts.MaxConnectionsPerAddress)}
	s.hosts = hostcheck.New(opts.AllowedHosts)
	s.limits.Store(&requestLimits{maxBody: opts.MaxMessageSize, soap: opts.Limits})
	s.busyResponse[admission.TooMany] = s.busyHTTPResponse(fmt.Sprintf(
		"The server has %d HTTP connections open; try again later.", opts.MaxConnections))
	s.busyResponse[admission.TooManyFromAddress] = s.busyHTTPResponse(fmt.Sprintf(
		"This address has %d HTTP connections open; close one or try again later.", opts.MaxConnectionsPerAddress))
	s.callback = newCallbackClient(opts.Callback)
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s
}

// SetLimits replaces the body bound (Options.MaxMessageSize; <= 0: the
// default) and the SOAP reader quotas and echo bound (Options.Limits) for
// the requests read from now on, whatever session they belong to: a
// request's headers are decoded here and its body by its session from the
// same envelope, so both obey what the request arrived under. A request
// being read keeps the limits it started with.
func (s *Server) SetLimits(maxMessageSize int64, l soap.Limits) {
	if maxMessageSize <= 0 {
		maxMessageSize = Options{}.withDefaults().MaxMessageSize
	}
	s.limits.Store(&requestLimits{maxBody: maxMessageSize, soap: clampLimits(maxMessageSize, l)})
}

// Limits are the SOAP reader quotas and echo bound requests are read with
// now (Options.Limits, or the last SetLimits).
func (s *Server) Limits() soap.Limits { return s.limits.Load().soap }

// MaxMessageSize is the body bound requests are read with now
// (Options.MaxMessageSize, or the last SetLimits).
func (s *Server) MaxMessageSize() int64 { return s.limits.Load().maxBody }

// ActiveSessions is the number of live sessions.
func (s *Server) ActiveSessions() int { return int(s.active.Load()) }

// Stats are the transport's admission counters.
type Stats struct {
	Connections int // open connections
	// RefusedTotal and RefusedAddress count connections answered 503 at
	// accept: MaxConnections reached, or the address held its share.
	RefusedTotal, RefusedAddress uint64
	// SessionsRefusedAddress counts requests refused with 503 because
	// their address held MaxConnectionsPerAddress live sessions.
	SessionsRefusedAddress uint64
}

// Stats returns the current counters.
func (s *Server) Stats() Stats {
	cs := s.conns.Stats()
	return Stats{Connections: cs.Active, RefusedTotal: cs.RefusedTotal, RefusedAddress: cs.RefusedAddress,
		SessionsRefusedAddress: s.peerRefused.Load()}
}

// busyHTTPResponse is a whole HTTP/1.1 503 response with a SOAP 1.2
// Receiver fault (the request's SOAP version is unknown: nothing of it has
// been read), encoded once so a refusal costs no work.
func (s *Server) busyHTTPResponse(reason string) []byte {
	f := soap.ReceiverFault(reason)
	if s.opts.FaultDetail != nil {
		f.Detail = s.opts.FaultDetail(reason)
	}
	body, err := soap.NewCodec(soap.EncodingText, s.opts.Limits).Encode(nil, &soap.Header{Action: soap.ActionSOAPFault}, f)
	if err != nil {
		body = nil
	}
	head := fmt.Sprintf("HTTP/1.1 503 Service Unavailable\r\nContent-Type: %s\r\nContent-Length: %d\r\nRetry-After: 1\r\nConnection: close\r\n\r\n",
		soap.EncodingText.ContentType(), len(body))
	return append([]byte(head), body...)
}

// refuseConn answers a connection refused at accept.
func (s *Server) refuseConn(c net.Conn, why admission.Reason) {
	if int(why) < len(s.busyResponse) && s.busyResponse[why] != nil {
		_, _ = c.Write(s.busyResponse[why])
	}
	s.opts.Logger.Debug("connection refused", zap.Stringer("remote_addr", c.RemoteAddr()), zap.Stringer("reason", why))
}

// Serve accepts HTTP connections on ln until Shutdown or ctx ends.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.opts.ReadHeaderTimeout,
		ReadTimeout:       s.opts.ReadTimeout,
		WriteTimeout:      s.opts.RequestTimeout + s.opts.ReadTimeout,
		IdleTimeout:       s.opts.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          zap.NewStdLog(s.opts.Logger.WithOptions(zap.IncreaseLevel(zap.WarnLevel))),
		BaseContext:       func(net.Listener) context.Context { return s.ctx },
	}
	s.mu.Lock()
	if s.closed || s.draining {
		s.mu.Unlock()
		ln.Close()
		return ErrServerClosed
	}
	s.https = append(s.https, hs)
	s.listeners[ln] = struct{}{}
	s.mu.Unlock()

	stop := context.AfterFunc(ctx, func() { hs.Close() })
	defer stop()
	aln := admission.NewListener(ln, s.conns, s.refuseConn)
	err := hs.Serve(aln)
	aln.WaitRefusals()
	s.mu.Lock()
	delete(s.listeners, ln)
	draining := s.draining
	s.mu.Unlock()
	switch {
	case errors.Is(err, http.ErrServerClosed) && ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, http.ErrServerClosed), draining:
		// After Drain the listener is closed under hs.Serve; the
		// connections it accepted are still served until Shutdown.
		return ErrServerClosed
	}
	return err
}

// Drain is the first step of a graceful stop: it closes the listeners (Serve
// returns ErrServerClosed) and refuses requests that would start a new
// session with 503 and a Receiver fault, while running sessions go on
// taking requests on the connections already open and delivering their
// callbacks. Call Shutdown to end the rest. Drain may be called more than
// once.
func (s *Server) Drain() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.draining = true
	for ln := range s.listeners {
		_ = ln.Close()
	}
}

// Draining reports whether Drain (or Shutdown) was called.
func (s *Server) Draining() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.draining || s.closed
}

// Shutdown stops accepting requests, ends every session (work in progress
// is cancelled through the sessions' contexts) and waits for them, or for
// ctx. Callbacks still being delivered are abandoned.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	https := s.https
	live := make([]*Session, 0, len(s.sessions))
	for _, ss := range s.sessions {
		live = append(live, ss)
	}
	s.mu.Unlock()

	var firstErr error
	for _, hs := range https {
		// A listener Drain closed may still be tracked by http.Server until
		// its Serve returns; closing it again is not a failure.
		if err := hs.Shutdown(ctx); err != nil && !errors.Is(err, net.ErrClosed) && firstErr == nil {
			firstErr = err
		}
	}
	for _, ss := range live {
		ss.Abort()
	}
	s.cancel()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		if firstErr == nil {
			firstErr = ctx.Err()
		}
	}
	return firstErr
}

// ServeHTTP implements http.Handler. A panic while reading the request is
// contained here — logged bounded (net/http's own recovery would log the
// whole stack, or nothing at this logger's level) and answered 500 with a
// Receiver fault — and the server goes on.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rl := s.limits.Load() // one snapshot for the whole request
	lim := rl.soap
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			_ = contain.Recovered(s.opts.Logger, "soaphttp: handling a request", p,
				zap.String("remote_addr", r.RemoteAddr), zap.String("path", lim.Echo(r.URL.Path)))
			a := s.internalError()
			writeAnswer(w, soap.EncodingText, a)
		}
	}()
	if why := s.hosts.Check(r, "http.allowed_hosts"); why != "" {
		enc := soap.EncodingText
		if e, bad := requestEncoding(r.Header.Get("Content-Type"), lim); bad == "" {
			enc = e
		}
		s.deny(w, r, enc, http.StatusForbidden, soap.SenderFault(why), nil)
		return
	}
	h, found := s.router.RouteHTTP(r.URL.Path)
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if found && isWSDLQuery(r.URL) && s.opts.WSDL != nil {
			s.serveWSDL(w, r)
			return
		}
		if !found {
			s.refuse(w, r, soap.EncodingText, http.StatusNotFound, endpointNotFound(r.URL.Path, lim), nil)
			return
		}
		w.Header().Set("Allow", "POST, GET")
		s.refuse(w, r, soap.EncodingText, http.StatusMethodNotAllowed,
			soap.SenderFault("This endpoint takes SOAP messages by POST; its WSDL is at "+r.URL.Path+"?wsdl."), nil)
		return
	case http.MethodPost:
	default:
		w.Header().Set("Allow", "POST, GET")
		s.refuse(w, r, soap.EncodingText, http.StatusMethodNotAllowed,
			soap.SenderFault(fmt.Sprintf("Method %s is not allowed: SOAP messages are POSTed.", lim.Echo(r.Method))), nil)
		return
	}
	enc, why := requestEncoding(r.Header.Get("Content-Type"), lim)
	if why != "" {
		s.refuse(w, r, soap.EncodingText, http.StatusUnsupportedMediaType, soap.SenderFault(why), nil)
		return
	}
	if !found {
		s.refuse(w, r, enc, http.StatusNotFound, endpointNotFound(r.URL.Path, lim), nil)
		return
	}
	payload, err := readBody(w, r, rl.maxBody)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.refuse(w, r, enc, http.StatusRequestEntityTooLarge, soap.SenderFault(
				fmt.Sprintf("The message is larger than the %d bytes this endpoint accepts.", rl.maxBody)), nil)
			return
		}
		s.opts.Logger.Debug("reading request body", zap.String("remote_addr", r.RemoteAddr), zap.Error(err))
		return // the client went away; nobody to answer
	}

	// Read the headers: the session id picks the session; without one the
	// request starts a new session. The session reads the body from this
	// same envelope.
	env, err := soap.NewCodec(enc, lim).Keep(SessionIDHeader).Decode(payload)
	if err != nil {
		f, h := soap.SenderFault("The message could not be read."), (*soap.Header)(nil)
		var de *soap.DecodeError
		if errors.As(err, &de) {
			if de.Fault != nil {
				f = de.Fault
			}
			h = &de.Header
		}
		s.refuse(w, r, enc, faultStatus(enc, f), f, h)
		return
	}
	if f := soap.CheckTo(env.Header.To, r.URL.Path, lim.MaxEchoBytes); f != nil {
		s.refuse(w, r, enc, faultStatus(enc, f), f, &env.Header)
		return
	}
	replyTo, fault := s.checkReplyTo(r.Context(), env.Header.ReplyTo)
	if fault != nil {
		s.refuse(w, r, enc, http.StatusBadRequest, fault, &env.Header)
		return
	}
	var sess *Session
	switch ids := env.Header.Kept; len(ids) {
	case 0:
		var caller *security.Identity
		if s.opts.Identify != nil {
			caller = s.opts.Identify(r) // outside s.mu: it may read the kernel's tables
		}
		var status int
		sess, fault, status = s.newSession(h, enc, replyTo, caller, r)
		if fault != nil {
			s.refuse(w, r, enc, status, fault, &env.Header)
			return
		}
	case 1:
		if sess = s.lookup(h, ids[0].Text); sess == nil {
			s.deny(w, r, enc, http.StatusForbidden, soap.SenderFault(
				"No session of this endpoint has the ss:SessionId the request carries: it ended, or it is not the id this server returned."), &env.Header)
			return
		}
		if sess.replyTo != replyTo {
			f := soap.InvalidHeaderFault(soap.NSAddressing, "ReplyTo", soap.SubcodeInvalidAddress)
			f.Reason = "The a:ReplyTo differs from the one the session started with: a session keeps its callback address."
			s.refuse(w, r, enc, http.StatusBadRequest, f, &env.Header)
			return
		}
	default:
		s.refuse(w, r, enc, http.StatusBadRequest, soap.SenderFault("The request carries more than one ss:SessionId."), &env.Header)
		return
	}
	s.deliver(w, r, sess, enc, env)
}

// deliver hands the request to its session and writes the session's
// answer.
func (s *Server) deliver(w http.ResponseWriter, r *http.Request, sess *Session, enc soap.Encoding, env *soap.Envelope) {
	hdr := &env.Header
	ex := &exchange{env: env, answer: make(chan answer, 1)}
	timer := time.NewTimer(s.opts.RequestTimeout)
	defer timer.Stop()
	if sess.enc != enc {
		s.refuse(w, r, enc, http.StatusBadRequest, soap.SenderFault(fmt.Sprintf(
			"This session speaks %s; the request is %s.", sess.enc.ContentType(), enc.ContentType())), hdr)
		return
	}
	select {
	case sess.in <- ex:
	case <-sess.ended:
		s.refuse(w, r, enc, http.StatusServiceUnavailable, soap.ReceiverFault("The session ended; start a new one."), hdr)
		return
	case <-r.Context().Done():
		return
	case <-timer.C:
		s.refuse(w, r, enc, http.StatusServiceUnavailable, soap.ReceiverFault(
			"The session did not take the request in time: an earlier request of it is still being processed."), hdr)
		return
	}
	select {
	case a := <-ex.answer:
		writeAnswer(w, enc, a)
	case <-r.Context().Done():
	case <-timer.C:
		s.refuse(w, r, enc, http.StatusServiceUnavailable, soap.ReceiverFault("The request was not answered in time."), hdr)
	}
}

// lookup returns the live session of h whose id is id, or nil.
func (s *Server) lookup(h SessionHandler, id string) *Session {
	key := sessionKey{h: h, digest: sha256.Sum256([]byte(id))}
	s.mu.Lock()
	ss := s.sessions[key]
	s.mu.Unlock()
	if ss == nil || !ss.owns(id) {
		return nil
	}
	return ss
}

// newSession starts a session of h calling back replyTo.
func (s *Server) newSession(h SessionHandler, enc soap.Encoding, replyTo string, caller *security.Identity, r *http.Request) (*Session, *soap.Fault, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, soap.ReceiverFault("The server is shutting down."), http.StatusServiceUnavailable
	}
	if s.draining {
		return nil, soap.ReceiverFault("The server is shutting down: it takes no new session; try again later."), http.StatusServiceUnavailable
	}
	if len(s.sessions) >= s.opts.MaxSessions {
		return nil, soap.ReceiverFault("The server has too many sessions; try again later."), http.StatusServiceUnavailable
	}
	ticket, why := s.peers.Acquire(remoteAddr(r.RemoteAddr))
	if why != admission.Admitted {
		s.peerRefused.Add(1)
		return nil, soap.ReceiverFault(fmt.Sprintf("This address has %d sessions open; end one or try again later.",
			s.opts.MaxConnectionsPerAddress)), http.StatusServiceUnavailable
	}
	ss := newSession(s, h, replyTo, enc, r.RemoteAddr)
	ss.ticket = ticket
	ss.identity = caller
	s.sessions[ss.key] = ss
	s.active.Add(1)
	s.wg.Add(1)
	go s.run(h, ss)
	return ss, nil, 0
}

func (s *Server) run(h SessionHandler, ss *Session) {
	defer s.wg.Done()
	defer s.active.Add(-1)
	err := s.serveContained(h, ss)
	ss.end()
	s.forget(ss)
	if err != nil {
		s.opts.Logger.Debug("session ended with an error", zap.String("session_id", ss.logID),
			zap.String("reply_to", ss.replyTo), zap.Error(err))
	}
}

// serveContained runs the session; a panic in it ends this session alone
// (logged, bounded): the request in hand gets a 500 Receiver fault, the
// session is aborted (its work cancelled), and the server goes on.
func (s *Server) serveContained(h SessionHandler, ss *Session) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = contain.Recovered(s.opts.Logger, "soaphttp: serving session", r,
				zap.String("session_id", ss.logID), zap.Stringer("remote_addr", ss.remote))
			ss.failCurrent(s.internalError())
			ss.Abort()
		}
	}()
	return h.ServeSession(s.ctx, ss)
}

// internalError is the answer to a request whose session failed inside.
func (s *Server) internalError() answer {
	f := soap.ReceiverFault("The server failed while handling the session; it has been closed.")
	if s.opts.FaultDetail != nil {
		f.Detail = s.opts.FaultDetail(f.Reason)
	}
	out, err := soap.NewCodec(soap.EncodingText, s.Limits()).Encode(nil, &soap.Header{Action: soap.ActionSOAPFault}, f)
	if err != nil {
		return answer{status: http.StatusInternalServerError}
	}
	return answer{status: http.StatusInternalServerError, payload: out}
}

// forget removes ss from the registry (if it is still the one registered).
func (s *Server) forget(ss *Session) {
	s.mu.Lock()
	if s.sessions[ss.key] == ss {
		delete(s.sessions, ss.key)
		ss.ticket.Release()
	}
	s.mu.Unlock()
}

// checkReplyTo requires a callback address the daemon may POST to.
func (s *Server) checkReplyTo(ctx context.Context, replyTo string) (string, *soap.Fault) {
	switch replyTo {
	case "", soap.AddressAnonymous, soap.NSAddressing + "/none":
		f := soap.HeaderRequiredFault(soap.NSAddressing, "ReplyTo")
		f.Reason = "This duplex endpoint needs a:ReplyTo with the client's callback URL (http or https): Notify… callbacks are POSTed there."
		return "", f
	}
	if err := s.callback.checkTarget(ctx, replyTo); err != nil {
		f := soap.InvalidHeaderFault(soap.NSAddressing, "ReplyTo", soap.SubcodeInvalidAddress)
		f.Reason = "The a:ReplyTo callback address is refused: " + err.Error()
		return "", f
	}
	return replyTo, nil
}

func (s *Server) serveWSDL(w http.ResponseWriter, r *http.Request) {
	doc, err := s.opts.WSDL(r.Host)
	if err != nil {
		s.opts.Logger.Error("rendering the WSDL", zap.Error(err))
		http.Error(w, "the WSDL could not be rendered", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.Header().Set("Content-Length", fmt.Sprint(len(doc)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(doc)
}

// refuse answers a request the transport cannot hand to a session.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, enc soap.Encoding, status int, f *soap.Fault, req *soap.Header) {
	s.opts.Logger.Debug("request refused", zap.String("remote_addr", r.RemoteAddr), zap.String("path", s.Limits().Echo(r.URL.Path)),
		zap.Int("status", status), zap.String("reason", f.Reason))
	s.answerFault(w, r, enc, status, f, req, s.opts.FaultDetail)
}

// deny answers a request refused for who sent it, with DeniedDetail.
func (s *Server) deny(w http.ResponseWriter, r *http.Request, enc soap.Encoding, status int, f *soap.Fault, req *soap.Header) {
	detail := s.opts.DeniedDetail
	if detail == nil {
		detail = s.opts.FaultDetail
	}
	s.opts.Logger.Info("request refused", zap.String("remote_addr", r.RemoteAddr), zap.String("path", s.Limits().Echo(r.URL.Path)),
		zap.Int("status", status), zap.String("reason", f.Reason))
	s.answerFault(w, r, enc, status, f, req, detail)
}

func (s *Server) answerFault(w http.ResponseWriter, r *http.Request, enc soap.Encoding, status int, f *soap.Fault, req *soap.Header, detail func(string) soap.BodyWriter) {
	if detail != nil {
		if d := detail(f.Reason); f.Detail == nil {
			f.Detail = d
		} else {
			f.Detail = soap.Details{f.Detail, d}
		}
	}
	action := f.Action
	if action == "" {
		action = soap.ActionSOAPFault
	}
	h := soap.Header{Action: action}
	if req != nil {
		h.RelatesTo = req.MessageID
	}
	c := soap.NewCodec(enc, s.Limits())
	out, err := c.Encode(nil, &h, f)
	if errors.Is(err, soap.ErrMessageTooLarge) {
		f = soap.TooLargeFault()
		h.Action = f.Action
		out, err = c.Encode(nil, &h, f)
	}
	if err != nil {
		s.opts.Logger.Error("encoding a transport fault", zap.Error(err))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if enc == soap.EncodingText11 {
		status = http.StatusInternalServerError // WS-I BP R1126
	}
	writeAnswer(w, enc, answer{status: status, payload: out})
}

func writeAnswer(w http.ResponseWriter, enc soap.Encoding, a answer) {
	if a.payload == nil {
		w.WriteHeader(http.StatusAccepted)
		return
	}
	w.Header().Set("Content-Type", enc.ContentType())
	w.Header().Set("Content-Length", fmt.Sprint(len(a.payload)))
	w.WriteHeader(a.status)
	_, _ = w.Write(a.payload)
}

// faultStatus is SOAP's HTTP binding status for a fault: 1.2 §7.5.1.2
// (Sender → 400, everything else → 500), 1.1 always 500.
func faultStatus(enc soap.Encoding, f *soap.Fault) int {
	if enc != soap.EncodingText11 && f.Code == soap.CodeSender {
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

func endpointNotFound(path string, lim soap.Limits) *soap.Fault {
	return soap.AddressingFault(soap.SubcodeEndpointUnavailable, "",
		fmt.Sprintf("There is no IPAM endpoint at %q.", lim.Echo(path)), nil)
}

// requestEncoding maps a Content-Type to the SOAP version it carries, or
// says (as a fault reason, client text within lim's echo bound) why it
// cannot.
func requestEncoding(ct string, lim soap.Limits) (enc soap.Encoding, why string) {
	if ct == "" {
		return 0, "The request has no Content-Type: SOAP 1.2 is application/soap+xml, SOAP 1.1 is text/xml."
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return 0, fmt.Sprintf("The Content-Type %q cannot be parsed.", lim.Echo(ct))
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return 0, fmt.Sprintf("The charset %q is not supported: use utf-8.", lim.Echo(cs))
	}
	switch mt {
	case "application/soap+xml":
		return soap.EncodingText, ""
	case "text/xml":
		return soap.EncodingText11, ""
	}
	return 0, fmt.Sprintf("The content type %q is not SOAP: use application/soap+xml (SOAP 1.2) or text/xml (SOAP 1.1).", lim.Echo(mt))
}

func isWSDLQuery(u *url.URL) bool {
	q := strings.ToLower(u.RawQuery)
	return q == "wsdl" || q == "singlewsdl"
}

// firstBodyChunk bounds what a request body costs before its bytes arrive.
const firstBodyChunk = 8 << 10

// readBody reads the request body up to max bytes.
func readBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, error) {
	if r.ContentLength > max {
		// Read (and drop) some of it first: a client that sends the whole
		// body before reading would otherwise see a reset, not the 413.
		_, _ = io.CopyN(io.Discard, r.Body, 1<<20)
		return nil, &http.MaxBytesError{Limit: max}
	}
	body := http.MaxBytesReader(w, r.Body, max)
	defer body.Close()
	// Content-Length is the client's claim: it sizes the buffer only up to
	// a small first chunk; the rest grows as the bytes arrive (issue 12:
	// allocation before data).
	n := r.ContentLength
	if n < 0 || n > max {
		n = 512
	}
	buf := make([]byte, 0, min(n, firstBodyChunk))
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		m, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}
