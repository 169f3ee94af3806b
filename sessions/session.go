package sessions

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/ipamd/ipamd/duplex/security"
	"github.com/ipamd/ipamd/services/adm"
	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/soap/xmlstream"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// Options are the per-session settings.
type Options struct {
	// InactivityInterval is the InactivityTimer period (MS-IPAMM2 3.1.2: 15 s).
	InactivityInterval time.Duration
	// KeepaliveGraceCount is ADM_KeepaliveGraceCountInitialValue (default 3):
	// silent intervals tolerated before the session is aborted.
	KeepaliveGraceCount int
	// UninitializedTimeout bounds how long a session may stay in
	// SessionInitialized — no successful Initialize…, e.g. a caller that is
	// not an administrator, or one that only sends Keepalives — before it
	// is aborted; Keepalives do not extend it. It is checked at each
	// InactivityTimer tick, so the bound holds to within one
	// InactivityInterval. Default 60s.
	UninitializedTimeout time.Duration
	// WriteTimeout bounds one reply or callback write.
	WriteTimeout time.Duration
	Limits       soap.Limits
	Logger       *zap.Logger
	// Authorizer is consulted before Initialize… and Start… (MS-IPAMM2
	// 3.1.4.2 step 1, 3.11.6.1, 3.15.6.1: both require IsAdministrator);
	// nil allows everything.
	Authorizer Authorizer
	// Observer receives events for metrics; nil observes nothing.
	Observer Observer
}

func (o *Options) withDefaults() Options {
	out := *o
	if out.InactivityInterval <= 0 {
		out.InactivityInterval = 15 * time.Second
	}
	if out.KeepaliveGraceCount < 0 {
		out.KeepaliveGraceCount = 3
	}
	if out.WriteTimeout <= 0 {
		out.WriteTimeout = 30 * time.Second
	}
	if out.UninitializedTimeout <= 0 {
		out.UninitializedTimeout = 60 * time.Second
	}
	if out.Logger == nil {
		out.Logger = zap.NewNop()
	}
	if out.Observer == nil {
		out.Observer = NopObserver{}
	}
	return out
}

// ErrSessionCompleted is returned for a callback the state machine no longer
// allows (anything after Notify…Complete).
var ErrSessionCompleted = errors.New("session completed")

// ErrShuttingDown is the cause of work cancelled by a graceful stop
// (Manager.CancelWork) and of operations refused while draining.
var ErrShuttingDown = errors.New("ipamd is shutting down")

var sessionSeq atomic.Uint64

// testHookClientEnded, set by tests only, runs when Serve has read the
// client's End, before the session ends: it orders the work's last
// callback against the End deterministically.
var testHookClientEnded func(*Session)

// Session is one IPAM session on one framing session.
type Session struct {
	id      string
	binding *Binding
	t       Transport
	opts    Options
	log     sessionLog // built at its first entry (logger.go)

	ctx    context.Context
	cancel context.CancelFunc
	// workCtx is the context of the work a Start launches: a child of ctx
	// that Manager.CancelWork can end alone, so the transport stays up to
	// carry the Notify…Complete that reports the cancellation. Made by the
	// Start, so sessions without work do not pay for it; guarded by stateMu.
	workCtx    context.Context
	cancelWork context.CancelCauseFunc

	peer Peer         // what Transport.Peer said at the start
	obs  PortObserver // never nil

	impl     any
	complete func(context.Context, *ipam.IpamException) error
	identity *security.Identity // the caller, as the transport established it

	// sendMu serialises Sends, so replies (reader goroutine) and callbacks
	// (work goroutine) keep their order and the transport one encode buffer.
	sendMu sync.Mutex

	stateMu  sync.Mutex
	state    State
	draining bool // no more Initialize or Start; guarded by stateMu

	started  time.Time     // when Serve began, for UninitializedTimeout
	received atomic.Bool   // ADM_MessageReceivedSinceLastTimerTick
	ignored  atomic.Uint32 // client messages dropped (ignore)
	grace    int           // ADM_KeepaliveGraceCount; guarded by stateMu
	timer    *time.Timer   // InactivityTimer; guarded by stateMu

	stepped chan stepped // stepOffStack's answer, lent while a step runs (next)
}

// stepped is what a message's step on its own goroutine returned, or the
// panic it raised.
type stepped struct {
	env       *soap.Envelope
	err, herr error
	panicked  bool
	panic     any
}

// newSession starts a session on t for the caller t.Peer names (nil:
// unauthenticated, transport security none).
func newSession(ctx context.Context, b *Binding, t Transport, opts Options) *Session {
	opts = opts.withDefaults()
	peer := t.Peer()
	id := peer.Identity
	if id == nil {
		ta, ok := peer.Addr.(*net.TCPAddr)
		id = &security.Identity{Mechanism: security.MechanismNone, Loopback: ok && ta.IP.IsLoopback()}
	}
	s := &Session{
		id:       strconv.FormatUint(sessionSeq.Add(1), 16),
		binding:  b,
		t:        t,
		peer:     peer,
		opts:     opts,
		identity: id,
		obs:      NopObserver{},
	}
	s.log.s = s
	s.ctx, s.cancel = context.WithCancel(ctx)
	s.impl, s.complete = b.NewSession(s.sendCallback)
	return s
}

// State returns the current state.
func (s *Session) State() State {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	return s.state
}

// move applies ev; it reports false (and changes nothing) when ev is illegal,
// or when it is a client operation (Initialize, Start) and the session is
// draining: checked under the same lock as drain's look at the state, so no
// work can start once drain has decided the session is idle.
func (s *Session) move(ev event) (from, to State, ok bool) {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	from = s.state
	if s.draining && (ev == evInitialize || ev == evStart) {
		return from, from, false
	}
	to, ok = from.next(ev)
	if ok {
		s.state = to
		s.obs.StateChanged(from, to)
	}
	return from, to, ok
}

// workContext returns the context for the session's work, making it on
// first use.
func (s *Session) workContext() context.Context {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	if s.workCtx == nil {
		s.workCtx, s.cancelWork = context.WithCancelCause(ipam.WithCallbackFlusher(s.ctx, callbackFlusher{s}))
	}
	return s.workCtx
}

// callbackFlusher is the session's ipam.CallbackFlusher, in its work's
// context: the port implementation flushes before work that may wait,
// so a Notify…Start the transport holds is not held while it waits.
type callbackFlusher struct{ s *Session }

func (f callbackFlusher) FlushCallbacks() {
	s := f.s
	s.sendMu.Lock()
	err := s.t.Send(s.ctx, Outgoing{Kind: KindFlush})
	s.sendMu.Unlock()
	if err != nil {
		s.log.Debug("flushing held callbacks", zap.Error(err)) // the write that failed aborted the transport
	}
}

// stopWork cancels the session's work, if it has any, with cause.
func (s *Session) stopWork(cause error) {
	s.stateMu.Lock()
	cancel := s.cancelWork
	s.stateMu.Unlock()
	if cancel != nil {
		cancel(cause)
	}
}

func (s *Session) isDraining() bool {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	return s.draining
}

// drain is the session's part of a graceful stop. A session whose work runs
// (Started, In Progress) goes on until its Notify…Complete; one that is
// done already (Completed) is closing anyway. An idle one (Session or
// …Initialized) is closed now — End on net.tcp, Receive sees EOF over
// HTTP — and any Initialize or Start still arriving is refused.
func (s *Session) drain() {
	s.stateMu.Lock()
	s.draining = true
	st := s.state
	s.stateMu.Unlock()
	if st >= Started {
		return
	}
	s.log.Info("closing idle session: the server is shutting down", zap.String("state", s.binding.StateNames[st]))
	ctx, cancel := context.WithTimeout(s.ctx, s.opts.WriteTimeout)
	defer cancel()
	// After any reply being written, so a reply is never cut by our End.
	s.sendMu.Lock()
	err := s.t.Close(ctx)
	s.sendMu.Unlock()
	if err != nil {
		s.log.Debug("closing an idle session", zap.Error(err))
	}
}

// shuttingDown is what a client is told when its operation is refused
// because the server is stopping.
func (s *Session) shuttingDown(op string) *ipam.IpamException {
	return ipam.NewException(ipam.IpamApiGenericErrorOccurred,
		"%s refused: the IPAM server is shutting down and takes no new work; try again later", op)
}

// Serve runs the session until the client ends it, the transport fails or a
// fatal protocol error closes it. It returns nil for a client End.
func (s *Session) Serve() error {
	defer s.cancel()
	s.obs.SessionStarted(s.peer.Transport)
	defer func() { s.obs.SessionEnded(s.State()) }()
	s.log.Debug("session started")
	s.stateMu.Lock()
	s.started = time.Now()
	s.grace = s.opts.KeepaliveGraceCount
	s.timer = time.AfterFunc(s.opts.InactivityInterval, s.inactivityTick)
	s.stateMu.Unlock()
	defer func() {
		s.stateMu.Lock()
		s.timer.Stop()
		s.stateMu.Unlock()
	}()

	for {
		_, err, herr := s.next()
		if errors.Is(err, io.EOF) {
			// The client's End. The transport lets nothing but our End
			// follow it; work still running is cancelled as Serve returns,
			// and its Notify…Complete is not sent.
			if ce := s.log.Check(zap.DebugLevel, "session ended by client"); ce != nil {
				ce.Write(zap.Stringer("state", stateName{s})) // the field costs an allocation: only when written
			}
			if testHookClientEnded != nil {
				testHookClientEnded(s)
			}
			return nil
		}
		var de *soap.DecodeError
		if err != nil && errors.As(err, &de) {
			s.received.Store(true)
			return s.malformed(err, de)
		}
		if err != nil {
			return fmt.Errorf("session %s: read: %w", s.id, err)
		}
		if herr != nil {
			return herr
		}
	}
}

// next receives the next message and handles it. On a transport that can
// Await (net.tcp), the session waits on this goroutine and receives, decodes and
// handles on another one, a step worker (stepworkers.go): decoding and
// handling (the codec, the service, the store, the caller lookup) grow a
// goroutine's stack to 8 KiB, and on this goroutine that stack would stay
// while the session waits for its client's next message, because the
// parked call chain is too deep for the GC to shrink it — the largest part
// of a held session (issue 16, docs/performance.md). The worker's stack
// serves the next session's step, or goes back to the runtime when the
// worker has been idle a while. This goroutine waits for
// it, so messages are handled one after another as before; a panic is
// raised again here, where the transport's containment expects it. What
// needs no decoding (Await says so: the client's End, a failed wait) is
// received here, without handing it to a worker and back.
func (s *Session) next() (env *soap.Envelope, err, herr error) {
	if !s.t.Await(s.ctx) {
		return s.step()
	}
	s.stepped = steppedChans.Get().(chan stepped) // not kept while the session waits
	stepWorkers.Go(s)                             // on a step worker (stepworkers.go)
	r := <-s.stepped
	steppedChans.Put(s.stepped)
	s.stepped = nil
	if r.panicked {
		panic(r.panic)
	}
	return r.env, r.err, r.herr
}

// step receives one message and handles it unless the receive failed.
func (s *Session) step() (env *soap.Envelope, err, herr error) {
	env, err = s.t.Receive(s.ctx)
	if err != nil {
		return env, err, nil
	}
	s.received.Store(true)
	return env, nil, s.handle(env)
}

// steppedChans lends next's answer channels: a held session keeps none.
var steppedChans = sync.Pool{New: func() any { return make(chan stepped, 1) }}

// stepOffStack is a step worker's part of next; it answers on s.stepped.
func (s *Session) stepOffStack() {
	var r stepped
	defer func() {
		if p := recover(); p != nil {
			r = stepped{panicked: true, panic: p}
		}
		s.stepped <- r
	}()
	r.env, r.err, r.herr = s.step()
}

// inactivityTick is the InactivityTimer expiry of 3.1.5: a message since the
// last tick resets the grace count; otherwise it counts down and, below zero,
// the session is aborted.
func (s *Session) inactivityTick() {
	if s.ctx.Err() != nil {
		return
	}
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	if s.state == SessionInitialized && time.Since(s.started) >= s.opts.UninitializedTimeout {
		// Admission's time bound: a session that never initialized
		// (unauthorized, or Keepalives only) holds a connection slot for
		// nothing.
		s.log.Info("session aborted: not initialized in time",
			zap.Duration("uninitialized_timeout", s.opts.UninitializedTimeout))
		s.obs.SessionExpired(ExpiredUninitialized)
		s.cancel()
		s.t.Abort()
		return
	}
	if s.received.Swap(false) {
		s.grace = s.opts.KeepaliveGraceCount
	} else {
		s.grace--
		if s.grace < 0 {
			s.log.Warn("session aborted: no message from the client",
				zap.Duration("inactivity", s.opts.InactivityInterval*time.Duration(s.opts.KeepaliveGraceCount+1)))
			s.obs.SessionExpired(ExpiredInactive)
			s.cancel()
			s.t.Abort()
			return
		}
	}
	s.timer.Reset(s.opts.InactivityInterval)
}

// errClose makes Serve return: the session was closed after a fatal fault.
var errClose = errors.New("session closed after a fault")

// malformed answers a message the transport could not decode (de, which
// err wraps) and ends the session: every undecodable message gets the SOAP
// fault the decoder chose, carrying an IpamException.
func (s *Session) malformed(err error, de *soap.DecodeError) error {
	fault, relatesTo, action := soap.SenderFault("The message could not be read."), de.Header.MessageID, soap.ActionDefaultFault
	if de.Fault != nil {
		fault = de.Fault
	}
	if fault.Action != "" {
		action = fault.Action
	}
	// The IpamException goes beside any detail the decoder gave (such
	// as WS-Addressing's ProblemHeaderQName): s:Detail may hold several.
	exc := ipam.FaultDetail{Exception: ipam.NewException(ipam.IpamApiInvalidParameter, "malformed message: %s", s.opts.Limits.Echo(err.Error()))}
	if fault.Detail == nil {
		fault.Detail = exc
	} else {
		fault.Detail = soap.Details{fault.Detail, exc}
	}
	s.log.Warn("malformed message, closing session", errField(err), zap.String("quota", xmlstream.QuotaName(err)))
	s.sendFault(action, relatesTo, fault)
	return s.closeAfterFault()
}

// handle dispatches one message. A non-nil error ends the session.
func (s *Session) handle(env *soap.Envelope) error {
	h := &env.Header
	action := h.Action
	s.obs.MessageReceived(action)
	if action == ipam.ActionKeepalive {
		return nil // 2.2.2.2: accepted and ignored
	}
	st := s.State()
	if st == Completed {
		// Completed: "no further processing … proceeds to close the
		// session" (3.11.1.1 / 3.15.1.1). Our End is out; nothing may be
		// answered. The message is dropped until the client's End.
		s.ignore(action, "the session is completed")
		return nil
	}
	op := s.binding.Port.Operations[action]
	if op == nil {
		if name, ok := s.binding.Port.CallbackOperations[action]; ok {
			// 3.11.4.4–6 / 3.15.4.4–6: the client MUST NOT invoke these and the server MUST ignore them.
			s.log.Debug("ignoring client-sent callback operation", zap.String("operation", name))
			return nil
		}
		s.log.Warn("unknown action, closing session", zap.String("action", s.opts.Limits.Echo(action)), zap.Int("action_bytes", len(action)))
		f := soap.ActionNotSupportedFault(action, s.opts.Limits.MaxEchoBytes)
		f.Detail = soap.Details{f.Detail, ipam.FaultDetail{Exception: ipam.NewException(ipam.IpamApiInvalidParameter,
			"the action %q is not an operation of %s", s.opts.Limits.Echo(action), s.binding.Port.Name)}}
		s.sendFault(soap.ActionAddressingFault, h.MessageID, f)
		return s.closeAfterFault()
	}
	if op.OneWay() {
		if st == Started || st == InProgress {
			// A second Start while the work runs is ignored (counted, and
			// logged once per session): Notify…Complete reports the work's
			// outcome, so it cannot also answer this Start, and a one-way
			// operation has no other answer a WCF client could correlate.
			// The work goes on and its Complete is the session's only one.
			s.ignore(action, "the work of this session is already running")
			return nil
		}
	}
	if exc := s.authorize(op); exc != nil {
		if op.OneWay() {
			// A one-way Start has no reply to fault: its faults travel in
			// Notify…Complete (3.11.4.7 / 3.15.4.7), which a duplex client
			// waits for. Complete(IpamApiAccessDenied), then our End.
			s.accept()
			if err := s.complete(s.ctx, exc); err != nil && !errors.Is(err, ErrSessionCompleted) {
				return fmt.Errorf("session %s: complete after refused %s: %w", s.id, op.Name, err)
			}
			return nil
		}
		// 3.1.4.2 step 1: refused before anything else, with the common
		// SOAP fault; the state machine does not move and nothing starts.
		s.sendFault(op.ReplyAction, h.MessageID, ipamFault(exc))
		return nil
	}
	if op.OneWay() {
		return s.handleOneWay(op, env)
	}
	return s.handleTwoWay(op, env)
}

// ignore drops a client message the state machine has no use for: counted
// always, logged at Info for the first of the session and at Debug after,
// so a client repeating it cannot flood the log.
func (s *Session) ignore(action, why string) {
	s.obs.MessageIgnored(action)
	lvl := zap.DebugLevel
	if s.ignored.Add(1) == 1 {
		lvl = zap.InfoLevel
	}
	if ce := s.log.Check(lvl, "message ignored"); ce != nil {
		ce.Write(zap.String("action", s.opts.Limits.Echo(action)), zap.String("reason", why),
			zap.Stringer("state", stateName{s}))
	}
}

// Authorizer decides whether the verified identity of a session's caller
// holds role, which op (an operation of the session's port type) requires;
// nil allows, an error refuses (its text is logged, never sent). The mapping
// of identities to the IPAM roles lives with the application
// (services.RoleAuthorizer).
type Authorizer interface {
	Authorize(ctx context.Context, id *security.Identity, role adm.Role, op string) error
}

// authorize checks the role op requires (the binding's: IsAdministrator
// for the async port types, IsIpamUser for IIpamEnumerator) and returns the
// IpamApiAccessDenied exception to answer with, or nil.
func (s *Session) authorize(op *ipam.Operation) *ipam.IpamException {
	if s.opts.Authorizer == nil {
		return nil
	}
	role := s.binding.Role
	if role == "" {
		role = adm.RoleAdministrators
	}
	err := s.opts.Authorizer.Authorize(s.ctx, s.identity, role, op.Name)
	if err == nil {
		return nil
	}
	s.log.Warn("operation refused: caller is not authorized",
		zap.String("operation", op.Name), zap.String("required_role", string(role)), zap.Error(err))
	return ipam.NewException(ipam.IpamApiAccessDenied, "%s requires membership in %s", op.Name, role)
}

func (s *Session) handleTwoWay(op *ipam.Operation, env *soap.Envelope) error {
	h := &env.Header
	log := s.newOpLog(zap.String("operation", op.Name), zap.String("message_id", h.MessageID))
	ev := evInitialize // the only two-way operation of both port types
	if s.isDraining() {
		log.Info("operation refused: shutting down")
		s.sendFault(op.ReplyAction, h.MessageID, ipamFault(s.shuttingDown(op.Name)))
		return s.closeAfterFault()
	}
	if cur := s.State(); !legal(cur, ev) {
		exc := ipam.NewException(ipam.IpamApiGenericErrorOccurred,
			"%s is not allowed in state %s", op.Name, s.binding.StateNames[cur])
		log.Info("operation refused by the state machine", zap.String("state", s.binding.StateNames[cur]))
		s.sendFault(op.ReplyAction, h.MessageID, ipamFault(exc))
		return nil
	}
	reply, err := op.Invoke(s.ctx, s.impl, env.Body())
	if err != nil {
		if adm.Known(err) { // an IpamException or a domain error: the client's to see
			exc := adm.Exception(err, ipam.IpamApiGenericErrorOccurred)
			log.Info("operation failed", zap.String("ipam_exception_id", exc.ExceptionID), zap.String("reason", exc.Message))
			s.sendFault(op.ReplyAction, h.MessageID, ipamFault(exc))
			return nil
		}
		if id := s.binding.UnknownTypeID; id != "" && errors.Is(err, ipam.ErrUnknownType) {
			// A parameter type of the protocol the port type does not
			// serve: a validation failure, not a broken message (the
			// session stays in Session Initialized).
			log.Info("operation failed: unknown parameter type", errField(err))
			s.sendFault(op.ReplyAction, h.MessageID, ipamFault(ipam.NewException(id, "%s: %s", op.Name, s.opts.Limits.Echo(err.Error()))))
			return nil
		}
		if errors.Is(err, ipam.ErrInvalidMessage) || errors.Is(err, xmlstream.ErrMalformed) || errors.Is(err, xmlstream.ErrQuota) {
			log.Warn("invalid request, closing session", errField(err), zap.String("quota", xmlstream.QuotaName(err)))
			s.sendFault(op.ReplyAction, h.MessageID,
				ipamFault(ipam.NewException(ipam.IpamApiInvalidParameter, "invalid %s request: %s", op.Name, s.opts.Limits.Echo(err.Error()))))
			return s.closeAfterFault()
		}
		log.Error("operation failed", zap.Error(err))
		s.sendFault(op.ReplyAction, h.MessageID, ipamFault(adm.Exception(err, ipam.IpamApiGenericErrorOccurred)))
		return nil
	}
	if _, _, ok := s.move(ev); !ok {
		if s.isDraining() { // drain began while the operation ran
			log.Info("operation refused: shutting down")
			s.sendFault(op.ReplyAction, h.MessageID, ipamFault(s.shuttingDown(op.Name)))
			return s.closeAfterFault()
		}
		// Cannot happen: the reader goroutine is the only one moving on client events.
		return fmt.Errorf("session %s: state changed during %s", s.id, op.Name)
	}
	if err := s.send(s.ctx, op.ReplyAction, h.MessageID, reply); err != nil {
		return fmt.Errorf("session %s: reply to %s: %w", s.id, op.Name, err)
	}
	log.Debug("operation done", zap.String("state", s.binding.StateNames[s.State()]))
	return nil
}

func (s *Session) handleOneWay(op *ipam.Operation, env *soap.Envelope) error {
	log := s.newOpLog(zap.String("operation", op.Name))
	// A one-way message has no reply: answer the transport now, so the
	// client is not held until the first callback is delivered.
	s.accept()
	// Start is the only one-way operation of both port types.
	if _, _, ok := s.move(evStart); !ok {
		cur := s.State()
		exc := ipam.NewException(ipam.IpamApiGenericErrorOccurred,
			"%s is not allowed in state %s", op.Name, s.binding.StateNames[cur])
		if s.isDraining() {
			exc = s.shuttingDown(op.Name)
			log.Info("operation refused: shutting down", zap.String("state", s.binding.StateNames[cur]))
		} else {
			log.Info("operation refused by the state machine", zap.String("state", s.binding.StateNames[cur]))
		}
		// One-way: the refusal travels in Notify…Complete (3.11.4.7 / 3.15.4.7).
		if err := s.complete(s.ctx, exc); err != nil && !errors.Is(err, ErrSessionCompleted) {
			return fmt.Errorf("session %s: complete after refused %s: %w", s.id, op.Name, err)
		}
		return nil
	}
	// The work runs with workCtx, which a graceful stop may cancel on its
	// own (Manager.CancelWork) while the session stays up to report it.
	if _, err := op.Invoke(s.workContext(), s.impl, env.Body()); err != nil {
		var exc *ipam.IpamException
		if !errors.As(err, &exc) {
			exc = ipam.NewException(ipam.IpamApiInvalidParameter, "invalid %s request: %s", op.Name, s.opts.Limits.Echo(err.Error()))
		}
		log.Warn("one-way operation failed, closing session", errField(err), zap.String("quota", xmlstream.QuotaName(err)))
		_ = s.complete(s.ctx, exc)
		return s.closeAfterFault()
	}
	log.Debug("work started")
	return nil
}

// sendCallback is the Send of the port's callback client: it applies the
// callback to the state machine, writes it, and closes the session output
// after Notify…Complete (the Completed state "proceeds to close the session").
//
// The caller's ctx (the work's) only decides whether a Start or Checkpoint
// still goes out; the write itself runs under the session's lifetime, so a
// work cancellation never interrupts a record half-written (which would
// abort the connection). Complete goes out even after the work's context
// ended: it is how the client learns the work was cancelled.
func (s *Session) sendCallback(ctx context.Context, action string, body ipam.BodyWriter) error {
	if action != s.binding.Callbacks.Complete {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("session %s: callback %s: %w", s.id, action, context.Cause(ctx))
		}
	}
	ctx = s.ctx
	var ev event
	switch action {
	case s.binding.Callbacks.Start:
		if st := s.State(); st != Started {
			return fmt.Errorf("%w: Start callback in state %s", ErrSessionCompleted, s.binding.StateNames[st])
		}
		s.sendMu.Lock()
		defer s.sendMu.Unlock()
		start := time.Now()
		err := s.writeLocked(ctx, action, "", body, true)
		s.obs.CallbackDone(action, time.Since(start), err)
		if err != nil {
			return fmt.Errorf("session %s: callback: %w", s.id, err)
		}
		if s.peer.AcksCallbacks {
			s.received.Store(true)
		}
		return nil
	case s.binding.Callbacks.Checkpoint:
		ev = evCheckpointSent
	case s.binding.Callbacks.Complete:
		ev = evCompleteSent
	default:
		return fmt.Errorf("sessions: unknown callback action %q", action)
	}
	// Hold sendMu across the transition and the write, so the order on the
	// wire is the order of the state machine.
	s.sendMu.Lock()
	from, to, ok := s.move(ev)
	if !ok {
		s.sendMu.Unlock()
		return fmt.Errorf("%w: callback %s in state %s", ErrSessionCompleted, action, s.binding.StateNames[from])
	}
	start := time.Now()
	// Complete is the session's last message: the transport may end its
	// output with it (Outgoing.Last), and the Close below does nothing then.
	err := s.writeOutLocked(ctx, action, "", body, true, to == Completed)
	s.sendMu.Unlock()
	s.obs.CallbackDone(action, time.Since(start), err)
	if err != nil {
		return fmt.Errorf("session %s: callback: %w", s.id, err)
	}
	switch nc := body.(type) {
	case *ipam.NotifyAsyncProvisionComplete:
		if nc.Exception != nil {
			s.obs.Exception(nc.Exception.ExceptionID)
		}
	case *ipam.NotifyAsyncSchemaConversionComplete:
		if nc.Exception != nil {
			s.obs.Exception(nc.Exception.ExceptionID)
		}
	case *ipam.NotifyEnumerationComplete:
		if nc.Exception != nil {
			s.obs.Exception(nc.Exception.ExceptionID)
		}
	}
	if s.peer.AcksCallbacks {
		// The client's callback listener took it: over HTTP that is the
		// client's sign of life, as a Keepalive is on net.tcp.
		s.received.Store(true)
	}
	if to == Completed {
		s.logCompleted(from)
		// The transport bounds the write (Transport.Close): no timer and
		// context of our own per session.
		if err := s.t.Close(context.Background()); err != nil {
			s.log.Debug("closing session output", zap.Error(err))
		}
	}
	return nil
}

// send encodes and writes one reply or fault to the message being handled.
func (s *Session) send(ctx context.Context, action, relatesTo string, body ipam.BodyWriter) error {
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	return s.writeLocked(ctx, action, relatesTo, body, false)
}

// accept tells the transport that the message in hand is one-way.
func (s *Session) accept() {
	s.sendMu.Lock()
	err := s.t.Send(s.ctx, Outgoing{Kind: KindAccepted})
	s.sendMu.Unlock()
	if err != nil {
		s.log.Debug("accepting a one-way message", zap.Error(err))
	}
}

// writeLocked sends one message under sendMu: a reply or fault to the
// message in hand, or a callback.
func (s *Session) writeLocked(ctx context.Context, action, relatesTo string, body ipam.BodyWriter, callback bool) error {
	return s.writeOutLocked(ctx, action, relatesTo, body, callback, false)
}

// writeOutLocked is writeLocked; last: the session's output ends with it
// (Outgoing.Last).
func (s *Session) writeOutLocked(ctx context.Context, action, relatesTo string, body ipam.BodyWriter, callback, last bool) error {
	m := Outgoing{Kind: KindReply, Header: soap.Header{Action: action, RelatesTo: relatesTo, To: soap.AddressAnonymous}, Body: body, Last: last}
	f, isFault := body.(*soap.Fault)
	switch {
	case callback:
		m.Kind = KindCallback
	case isFault:
		m.Kind, m.Fault = KindFault, f
	}
	err := s.t.Send(ctx, m)
	var replaced error // the callback that did not go out, a fault in its place
	if errors.Is(err, soap.ErrMessageTooLarge) {
		// limits.max_message_size bounds what is sent too: a small fixed
		// fault goes instead (to the callback channel for a callback).
		s.log.Warn("answer exceeds the message size limit; sending a fixed fault instead", zap.String("action", action), errField(err))
		f, isFault = soap.TooLargeFault(), true
		kind := m.Kind
		if kind != KindCallback {
			kind = KindFault
		} else {
			replaced = err
		}
		m = Outgoing{Kind: kind, Header: soap.Header{Action: f.Action, RelatesTo: relatesTo, To: soap.AddressAnonymous}, Body: f, Fault: f, Last: last}
		err = s.t.Send(ctx, m)
	}
	if err != nil {
		return fmt.Errorf("send %s: %w", action, err)
	}
	if replaced != nil {
		// The work must not count a callback the client never got: the
		// enumerator ends with an exception instead of going on as if
		// its rows had been sent (docs/protocol.md, rule E5).
		return fmt.Errorf("send %s: a fault went instead: %w", action, replaced)
	}
	if isFault {
		if exc := faultException(f); exc != nil {
			s.obs.Exception(exc.ExceptionID)
		}
	}
	s.obs.MessageSent(action)
	return nil
}

// faultException finds the IpamException among a fault's details.
func faultException(f *soap.Fault) *ipam.IpamException {
	switch d := f.Detail.(type) {
	case ipam.FaultDetail:
		return d.Exception
	case soap.Details:
		for _, e := range d {
			if fd, ok := e.(ipam.FaultDetail); ok {
				return fd.Exception
			}
		}
	}
	return nil
}

// sendFault writes a SOAP fault; failures are logged, the caller decides
// whether the session goes on.
func (s *Session) sendFault(action, relatesTo string, f *soap.Fault) {
	if err := s.send(s.ctx, action, relatesTo, f); err != nil {
		s.log.Debug("sending fault failed", zap.Error(err))
	}
}

// closeAfterFault ends the session after a fatal fault: End goes out, Serve
// returns and the framing layer waits for the client's End.
func (s *Session) closeAfterFault() error {
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.WriteTimeout)
	defer cancel()
	_ = s.t.Close(ctx)
	return errClose
}

// TransportFaultDetail is the IpamException detail for faults a transport
// answers before a session exists (bad content type, missing ReplyTo, …),
// so every SOAP fault ipamd sends carries one.
func TransportFaultDetail(reason string) soap.BodyWriter {
	return ipam.FaultDetail{Exception: ipam.NewException(ipam.IpamApiInvalidParameter, "%s", reason)}
}

// TransportDeniedDetail is the detail of a transport refusal that is about
// the caller (a foreign Host or Origin, a wrong session id):
// IpamApiAccessDenied, as an authorization refusal is.
func TransportDeniedDetail(reason string) soap.BodyWriter {
	return ipam.FaultDetail{Exception: ipam.NewException(ipam.IpamApiAccessDenied, "%s", reason)}
}

// ipamFault is the common SOAP fault of MS-IPAMM2 2.2.2.1.
func ipamFault(exc *ipam.IpamException) *soap.Fault {
	f := soap.SenderFault(exc.Message)
	f.Detail = ipam.FaultDetail{Exception: exc}
	return f
}

// maxLogError bounds an error's text in a log field: reader errors may
// quote client names.
const maxLogError = 512

// errField is zap.Error for errors that may carry client input.
func errField(err error) zap.Field {
	return zap.String("error", xmlstream.Truncate(err.Error(), maxLogError))
}

// stateName prints a session's current state lazily in log fields.
type stateName struct{ s *Session }

func (n stateName) String() string { return n.s.binding.StateNames[n.s.State()] }
