package nmf

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/ipamd/ipamd/duplex/admission"
	"github.com/ipamd/ipamd/duplex/contain"
	"github.com/ipamd/ipamd/duplex/security"
	"github.com/ipamd/ipamd/internal/workpool"
	"github.com/ipamd/ipamd/soap/xmlstream"
)

// Router picks the endpoint for a session from the decoded preamble.
// Returning a *FaultError (e.g. FaultEndpointNotFound for an unknown Via
// path, FaultContentTypeInvalid for an encoding the endpoint does not take)
// makes the server send that Fault record and close. Any other error is
// answered with FaultEndpointUnavailable; a nil handler with a nil error
// with FaultEndpointNotFound.
type Router interface {
	Route(p *Preamble) (SessionHandler, error)
}

// SessionHandler serves sessions routed to one endpoint.
type SessionHandler interface {
	// ServeSession runs one framing session. It should read with
	// s.ReadMessage until io.EOF (the client's End record) or an error. When
	// it returns, the server closes the session output (End) if not yet done,
	// waits up to Options.CloseTimeout for the client's End/EOF, then either
	// reads a new preamble on the same connection (reuse) or closes. A
	// non-nil error (a session ended by a protocol fault) rules out reuse:
	// the connection closes after the End exchange. ctx is
	// cancelled when the server shuts down and when ServeSession returns.
	ServeSession(ctx context.Context, s *Session) error
}

// Options configures a Server. Zero values select the defaults.
type Options struct {
	// MaxMessageSize bounds the payload of a Sized Envelope (WCF
	// MaxReceivedMessageSize); bigger → MaxMessageSizeExceededFault + close.
	// Default 65536.
	MaxMessageSize int
	// PreambleTimeout bounds the whole preamble, including reuse preambles
	// from their first byte (WCF ChannelInitializationTimeout; defeats
	// slowloris). Default 30s.
	PreambleTimeout time.Duration
	// IdleTimeout: no complete record from the client for this long → abort
	// (WCF ReceiveTimeout). Also bounds the wait for a reuse preamble on an
	// idle connection. Default 10m.
	IdleTimeout time.Duration
	// CloseTimeout bounds the wait for the client's End after ours and the
	// input drain after a fault. Default 10s.
	CloseTimeout time.Duration
	// WriteTimeout bounds each record write. Default 30s.
	WriteTimeout time.Duration
	// MaxConnections caps concurrently served connections; above it a
	// connection gets a ServerTooBusy fault and is closed. Default 10000.
	MaxConnections int
	// MaxConnectionsPerAddress caps the connections one client address
	// (IPv4 address, IPv6 /64) may hold, counted at accept, before the
	// preamble and any authentication; above it the connection gets a
	// ServerTooBusy fault, so one client cannot take every MaxConnections
	// slot. Default 64.
	MaxConnectionsPerAddress int
	// MaxViaLength bounds the Via (bytes) → ViaTooLong. Default 2048.
	MaxViaLength int
	// MaxContentTypeLength bounds extensible content and upgrade types
	// (bytes) → ContentTypeTooLong. Default 256.
	MaxContentTypeLength int
	// Upgrader accepts Upgrade Requests (transport security) on listeners
	// served with Serve. nil refuses every upgrade with FaultUpgradeInvalid.
	// ServeListener sets it per listener instead.
	Upgrader Upgrader
	// MaxEchoBytes bounds the client text (the Via) repeated in log fields
	// and errors (xmlstream.Truncate); the daemon's limits.max_echo_bytes.
	// Default 256.
	MaxEchoBytes int
	// Logger receives one entry per connection (debug; info when a fault
	// was sent) with fields remote_addr, via, fault. nil = no logging.
	Logger *zap.Logger
}

func (o Options) withDefaults() Options {
	setInt := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	setDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	setInt(&o.MaxMessageSize, 65536)
	if o.MaxMessageSize > maxMB31 {
		o.MaxMessageSize = maxMB31
	}
	setInt(&o.MaxEchoBytes, 256)
	setDur(&o.PreambleTimeout, 30*time.Second)
	setDur(&o.IdleTimeout, 10*time.Minute)
	setDur(&o.CloseTimeout, 10*time.Second)
	setDur(&o.WriteTimeout, 30*time.Second)
	setInt(&o.MaxConnections, 10000)
	setInt(&o.MaxConnectionsPerAddress, 64)
	setInt(&o.MaxViaLength, 2048)
	setInt(&o.MaxContentTypeLength, 256)
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	return o
}

// maxRefusing caps connections being refused with ServerTooBusy at the same
// time (each lives up to CloseTimeout); beyond it they are closed at once.
const maxRefusing = 256

// Server accepts net.tcp connections and runs duplex framing sessions.
type Server struct {
	// opts is swapped by Reconfigure; each connection keeps the snapshot it
	// was accepted with, so a reload never changes a connection midway.
	opts   atomic.Pointer[Options]
	router Router
	log    *zap.Logger

	baseCtx    context.Context // cancelled by Shutdown
	baseCancel context.CancelFunc

	// drainCtx is cancelled by Drain (and Shutdown): listeners close, idle
	// connections stop waiting for a reuse preamble, and new preambles are
	// refused with ServerTooBusy. Only its Err is used (Draining).
	drainCtx    context.Context
	drainCancel context.CancelFunc

	mu        sync.Mutex
	closing   bool
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	wg        sync.WaitGroup
	// peers counts served connections per client address (its total cap
	// is unused: MaxConnections is checked against active).
	peers *admission.Limiter

	// workers serve the accepted connections, each on a goroutine that
	// served one before when one waits (a goroutine per connection grew
	// its stack at every connection's first read deadline).
	workers *workpool.Pool[*conn]

	active   atomic.Int64
	refusing atomic.Int64
	accepted atomic.Uint64
	busy     atomic.Uint64 // ServerTooBusy faults sent
	busyPeer atomic.Uint64 // … of them for MaxConnectionsPerAddress
}

// connWorkerIdle is how long a connection's worker waits for another
// connection before it exits. Short, so that tests checking for leaked
// goroutines (goleak retries for about a second) and a server that went
// quiet see them gone.
const connWorkerIdle = 100 * time.Millisecond

// NewServer returns a server that routes sessions with router.
func NewServer(opts Options, router Router) *Server {
	opts = opts.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		router:     router,
		log:        opts.Logger,
		baseCtx:    ctx,
		baseCancel: cancel,
		listeners:  make(map[net.Listener]struct{}),
		conns:      make(map[*conn]struct{}),
		peers:      admission.New(0, opts.MaxConnectionsPerAddress),
	}
	s.workers = workpool.New(connWorkerIdle, s.serveConn)
	s.drainCtx, s.drainCancel = context.WithCancel(ctx)
	s.opts.Store(&opts)
	return s
}

// Reconfigure applies new limits and timeouts to the connections accepted
// from now on; connections already open keep theirs. Logger and Upgrader
// stay those given to NewServer.
func (s *Server) Reconfigure(opts Options) {
	opts = opts.withDefaults()
	cur := s.opts.Load()
	opts.Logger, opts.Upgrader = cur.Logger, cur.Upgrader
	s.opts.Store(&opts)
	s.peers.SetLimits(0, opts.MaxConnectionsPerAddress)
}

// Options are the options new connections get (what NewServer and the
// last Reconfigure set).
func (s *Server) Options() Options { return *s.opts.Load() }

// Stats are the server's counters since NewServer.
type Stats struct {
	Active   int    // connections being served
	Accepted uint64 // connections accepted
	Busy     uint64 // ServerTooBusy faults sent (MaxConnections reached, or draining)
	// BusyAddress counts the connections refused because their address
	// held MaxConnectionsPerAddress (answered with ServerTooBusy, or closed
	// when too many were being refused already).
	BusyAddress uint64
}

// Stats returns the current counters (atomic loads; cheap enough to scrape).
func (s *Server) Stats() Stats {
	return Stats{Active: int(s.active.Load()), Accepted: s.accepted.Load(), Busy: s.busy.Load(), BusyAddress: s.busyPeer.Load()}
}

// Draining reports whether Drain (or Shutdown) was called.
func (s *Server) Draining() bool { return s.drainCtx.Err() != nil }

// Drain is the first step of a graceful stop: it closes the listeners (Serve
// returns ErrServerClosed), answers every new preamble (a pooled connection
// starting another session, or one accepted just before) with a
// ServerTooBusy fault, and closes connections idle between sessions.
// Sessions already running go on until they end; call Shutdown to end the
// rest. Drain returns at once and may be called more than once.
func (s *Server) Drain() {
	s.mu.Lock()
	s.drainCancel()
	for ln := range s.listeners {
		_ = ln.Close()
	}
	for c := range s.conns {
		c.interruptReuseWait()
	}
	s.mu.Unlock()
}

// ActiveConnections is the number of connections being served (not counting
// those being refused with ServerTooBusy).
func (s *Server) ActiveConnections() int { return int(s.active.Load()) }

// ListenerSecurity is the transport security one listener offers.
type ListenerSecurity struct {
	// Upgrader performs the upgrades the listener accepts; nil refuses every
	// Upgrade Request with FaultUpgradeInvalid.
	Upgrader Upgrader
	// RequireUpgrade refuses a preamble that reaches Preamble End without an
	// upgrade with FaultUpgradeInvalid (what a .NET client configured with
	// SecurityMode.None facing a secured endpoint should be told: the
	// framing layer has no better fault, and the session must not start in
	// clear text).
	RequireUpgrade bool
	// Identify names the peer of a connection that made no upgrade (a
	// listener without security: the local account owning a loopback
	// socket, security.NewLocalIdentity); nil leaves Preamble.Identity nil.
	Identify func(net.Conn) *security.Identity
}

// Serve accepts connections on ln until ctx is done (returns ctx.Err()),
// Shutdown is called (ErrServerClosed) or Accept fails; it closes ln. The
// sessions of its connections are cancelled with ctx; use Shutdown to wait
// for them. Upgrades are offered as Options.Upgrader says, and not
// required.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	return s.ServeListener(ctx, ln, ListenerSecurity{Upgrader: s.opts.Load().Upgrader})
}

// ServeListener is Serve with the listener's own transport security, so one
// server (one connection limit, one Shutdown) can run listeners that differ
// in what they require.
func (s *Server) ServeListener(ctx context.Context, ln net.Listener, sec ListenerSecurity) error {
	s.mu.Lock()
	if s.closing || s.Draining() {
		s.mu.Unlock()
		_ = ln.Close()
		return ErrServerClosed
	}
	s.listeners[ln] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, ln)
		s.mu.Unlock()
		_ = ln.Close()
	}()

	// Connections outlive Serve (Shutdown waits for them): their context is
	// cancelled by ctx or Shutdown, not by Serve returning.
	connCtx, connCancel := context.WithCancel(context.WithoutCancel(ctx))
	context.AfterFunc(ctx, connCancel)
	context.AfterFunc(s.baseCtx, connCancel)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(s.baseCtx, cancel)()
	defer context.AfterFunc(ctx, func() { _ = ln.Close() })()

	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			closing := s.closing || s.Draining()
			s.mu.Unlock()
			switch {
			case closing:
				return ErrServerClosed
			case ctx.Err() != nil:
				return ctx.Err()
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || isTemporary(err) {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.log.Warn("nmf: accept failed, retrying", zap.Error(err), zap.Duration("delay", backoff))
				t := time.NewTimer(backoff)
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
				}
				continue
			}
			return fmt.Errorf("nmf: accept: %w", err)
		}
		backoff = 0
		s.accepted.Add(1)
		s.dispatch(connCtx, nc, sec)
	}
}

// isTemporary reports errors such as EMFILE that net/http also retries.
func isTemporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

// ServeConn serves one already accepted connection and returns when it is
// closed. It counts against MaxConnections like accepted ones.
func (s *Server) ServeConn(ctx context.Context, nc net.Conn) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(s.baseCtx, cancel)()
	switch c, refuse := s.track(ctx, nc, ListenerSecurity{Upgrader: s.opts.Load().Upgrader}); {
	case c == nil:
	case refuse:
		s.refuse(c)
	default:
		s.serveConn(c)
	}
}

// dispatch hands one accepted connection to its goroutine.
func (s *Server) dispatch(ctx context.Context, nc net.Conn, sec ListenerSecurity) {
	switch c, refuse := s.track(ctx, nc, sec); {
	case c == nil:
	case refuse:
		go s.refuse(c)
	default:
		s.workers.Go(c)
	}
}

// track registers a connection for Shutdown. It returns nil (connection
// closed) when the server is closing or too many are being refused, and
// refuse=true when MaxConnections is reached or the client's address holds
// MaxConnectionsPerAddress: admission comes before any byte is read.
func (s *Server) track(ctx context.Context, nc net.Conn, sec ListenerSecurity) (c *conn, refuse bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		_ = nc.Close()
		return nil, false
	}
	var (
		ticket admission.Ticket
		why    = admission.TooMany
	)
	if s.active.Load() < int64(s.opts.Load().MaxConnections) {
		ticket, why = s.peers.Acquire(nc.RemoteAddr())
		if why == admission.TooManyFromAddress {
			s.busyPeer.Add(1)
		}
	}
	if why != admission.Admitted {
		if s.refusing.Load() >= maxRefusing {
			_ = nc.Close()
			return nil, false
		}
		refuse = true
		s.refusing.Add(1)
	} else {
		s.active.Add(1)
	}
	c = newConn(s, ctx, nc, sec)
	c.ticket = ticket
	c.refusal = why
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	return c, refuse
}

// refuse answers a connection above MaxConnections with ServerTooBusy (what
// a .NET client reports as ServerTooBusyException) without reading its
// preamble: the client reads the fault when it waits for the PreambleAck.
func (s *Server) refuse(c *conn) {
	defer s.untrack(c, false)
	s.busy.Add(1)
	if c.refusal == admission.TooManyFromAddress {
		c.sendFault(newFault(FaultServerTooBusy, "%d connections from this address active", c.opts.MaxConnectionsPerAddress))
	} else {
		c.sendFault(newFault(FaultServerTooBusy, "%d connections active", c.opts.MaxConnections))
	}
	c.close()
	s.logConn(c, nil)
}

func (s *Server) untrack(c *conn, served bool) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	if served {
		c.ticket.Release()
		s.active.Add(-1)
	} else {
		s.refusing.Add(-1)
	}
	s.wg.Done()
}

// serveConn runs the sessions of one connection, one after another.
func (s *Server) serveConn(c *conn) {
	var connErr error
	defer s.untrack(c, true)
	defer func() {
		if r := recover(); r != nil {
			// Contained: this connection ends, the server goes on.
			connErr = contain.Recovered(s.log, "nmf: serving connection", r,
				zap.Stringer("remote_addr", c.raw.RemoteAddr()), zap.String("via", c.echo(c.via)))
			c.abort()
		}
		c.close()
		c.fr.lend() // the connection's end: its buffers go back
		s.logConn(c, connErr)
	}()
	defer context.AfterFunc(c.ctx, c.onCancel)()

	for {
		p, err := c.readPreamble()
		if err != nil {
			var fe *FaultError
			if errors.As(err, &fe) {
				c.sendFault(fe)
			}
			connErr = err
			return
		}
		c.via = p.Via
		if s.Draining() {
			// A new session while stopping: a .NET client reports
			// ServerTooBusyException, which says "try again later".
			s.busy.Add(1)
			fe := newFault(FaultServerTooBusy, "the server is shutting down")
			c.sendFault(fe)
			connErr = fe
			return
		}
		h, err := s.route(p, c.opts.MaxEchoBytes)
		if err != nil {
			var fe *FaultError
			errors.As(err, &fe)
			c.sendFault(fe)
			connErr = err
			return
		}
		c.wmu.Lock()
		err = c.emitLocked(append(c.uncorkLocked()[:0], recPreambleAck), true, nil)
		c.wmu.Unlock()
		if err != nil {
			connErr = err
			return
		}
		c.sessions++
		sctx, cancel := context.WithCancel(c.ctx)
		sess := newSession(c, sctx, p)
		err = h.ServeSession(sctx, sess)
		cancel()
		if err != nil {
			connErr = err
		}
		if !c.finishSession(sess, err == nil) {
			return
		}
		connErr = nil
	}
}

// route asks the router, turning every failure into a *FaultError.
func (s *Server) route(p *Preamble, maxEcho int) (SessionHandler, error) {
	h, err := s.router.Route(p)
	if err != nil {
		var fe *FaultError
		if errors.As(err, &fe) {
			return nil, err
		}
		return nil, &FaultError{URI: FaultEndpointUnavailable, Err: err}
	}
	if h == nil {
		return nil, newFault(FaultEndpointNotFound, "no endpoint for via %q", xmlstream.Truncate(p.Via, maxEcho))
	}
	return h, nil
}

// logConn logs the connection's end: at debug, or at info after a fault.
// The fields are built only when the line is written (a connection per
// session: issue 16).
func (s *Server) logConn(c *conn, err error) {
	level := zap.DebugLevel
	f := c.faultURI.Load()
	if f != nil {
		level = zap.InfoLevel
	}
	ce := s.log.Check(level, "nmf: connection closed")
	if ce == nil {
		return
	}
	fields := []zap.Field{
		zap.Stringer("remote_addr", c.raw.RemoteAddr()),
		zap.String("via", c.echo(c.via)),
		zap.Int("sessions", c.sessions),
	}
	if f != nil {
		fields = append(fields, zap.String("fault", *f))
	}
	if err != nil {
		fields = append(fields, zap.Error(err))
	}
	ce.Write(fields...)
}

// Shutdown stops accepting, cancels every session context (handlers should
// return; the server then sends End, waits up to CloseTimeout for the
// client's End and closes) and waits for the connection goroutines. If ctx
// ends first it aborts the remaining connections, waits up to one more second
// for their goroutines, and returns ctx.Err().
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	for ln := range s.listeners {
		_ = ln.Close()
	}
	s.mu.Unlock()
	s.baseCancel() // also cancels drainCtx

	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	for c := range s.conns {
		c.abort()
	}
	s.mu.Unlock()
	t := time.NewTimer(time.Second)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
	return fmt.Errorf("nmf: shutdown: %w", ctx.Err())
}
