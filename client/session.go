package client

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/soap/textxml"
	"github.com/ipamd/ipamd/soap/xmlstream"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// state is the client's view of the session: the port type's state machine
// (3.11.1.1 / 3.15.1.1) on the requests it sent, and the callback port
// type's (3.13.1.1 / 3.17.1.1) on the callbacks it received.
type state uint8

const (
	stateNew         state = iota // framing session open, nothing sent
	stateInitialized              // Initialize… answered with success
	stateStartSent                // Start… sent; callback port "Callback Initialized"
	stateInProgress               // Notify…Start received
	stateCompleted                // Notify…Complete received
	stateClosed                   // Close or Abort called
)

// Session is one IPAM session on one framing session. Initialize, Start,
// Wait and Close run on one goroutine at a time (the session's reader);
// Abort may be called from any goroutine. Keepalives go out from a timer
// from NewSession until Close or Abort.
type Session struct {
	// OnRows receives the rows of each EnumeratedRowsCallback of an
	// Enumeration session (set before Wait); an error ends the session.
	OnRows func([]*ipam.GenericRow) error

	conn  Conn
	port  *port
	codec *soap.Codec
	to    string
	newID func() string

	// Reader state.
	state     state
	res       Result
	startSent time.Time

	wmu        sync.Mutex // serialises encoding and writing
	out        []byte
	lastSend   time.Time
	interval   time.Duration
	timer      *time.Timer
	stopped    bool  // no more keepalives
	kaErr      error // the keepalive write that failed
	keepalives int
}

// NewSession starts an IPAM session of port type pt on conn (a framing
// session whose preamble named pt's endpoint) and starts its keepalives.
func (c *Client) NewSession(conn Conn, pt PortType) (*Session, error) {
	p := pt.port()
	if p == nil {
		return nil, fmt.Errorf("client: unknown port type %v", pt)
	}
	enc, ok := soap.EncodingForContentType(conn.Encoding().ContentType())
	if !ok || enc.EnvelopeNamespace() != soap.NSEnvelope {
		return nil, fmt.Errorf("client: the session's encoding %v is not a SOAP 1.2 encoding this client speaks", conn.Encoding())
	}
	s := &Session{
		conn:     conn,
		port:     p,
		codec:    soap.NewCodec(enc, c.sessionLimits()),
		to:       conn.Via(),
		newID:    c.newMessageID,
		interval: c.keepaliveInterval(),
	}
	if s.newID == nil {
		s.newID = newMessageID
	}
	s.lastSend = time.Now()
	if s.interval > 0 {
		s.wmu.Lock()
		s.timer = time.AfterFunc(s.interval, s.keepaliveTick)
		s.wmu.Unlock()
	}
	return s, nil
}

// PortType returns the session's port type name.
func (s *Session) PortType() string { return s.port.name }

// Result returns what the session has done so far.
func (s *Session) Result() Result {
	r := s.res
	s.wmu.Lock()
	r.Keepalives = s.keepalives
	s.wmu.Unlock()
	return r
}

// run is the whole session: Initialize, Start, Wait, Close.
func (s *Session) run(ctx context.Context, params ipam.AnyEnumerationParametersBase, obs Observer) (Result, error) {
	err := s.Initialize(ctx, params)
	if err == nil {
		if obs != nil {
			obs.Observe(Event{Kind: EventInitialized})
		}
		err = s.Start(ctx)
	}
	if err == nil {
		err = s.Wait(ctx, obs)
	}
	cctx := ctx
	if ctx.Err() != nil {
		// End the session properly even when ctx ended it: the Dialer's
		// CloseTimeout bounds the exchange.
		cctx = context.WithoutCancel(ctx)
	}
	if cerr := s.Close(cctx); cerr != nil && err == nil {
		err = fmt.Errorf("client: %s completed, but the session did not close cleanly: %w", s.port.name, cerr)
	}
	return s.Result(), err
}

// Initialize sends Initialize… with params and waits for its reply. A fault
// answer is a *RemoteError (the session stays open: Close it).
func (s *Session) Initialize(ctx context.Context, params ipam.AnyEnumerationParametersBase) error {
	if s.state != stateNew {
		return fmt.Errorf("%w: Initialize after %v", ErrState, s.state)
	}
	id := s.newID()
	h := soap.Header{Action: s.port.initialize, MessageID: id, ReplyTo: soap.AddressAnonymous, To: s.to}
	t0 := time.Now()
	if err := s.send(ctx, &h, s.port.newInitialize(params)); err != nil {
		return err
	}
	env, err := s.receive(ctx)
	if err != nil {
		return err
	}
	if env.Header.RelatesTo != id && (!env.IsFault() || env.Header.RelatesTo != "") {
		return s.protocol("%s answered by %q relating to %q, want the reply to %q",
			s.port.initializeName, env.Header.Action, env.Header.RelatesTo, id)
	}
	if env.IsFault() {
		return s.remoteFault(env, s.port.initializeName)
	}
	if env.Header.Action != s.port.initializeReply {
		return s.protocol("%s answered with Action %q, want %q", s.port.initializeName, env.Header.Action, s.port.initializeReply)
	}
	if err := s.readBody(env, s.port.newReply()); err != nil {
		return err
	}
	s.res.Initialize = time.Since(t0)
	s.state = stateInitialized
	return nil
}

// Start sends the one-way Start… request.
func (s *Session) Start(ctx context.Context) error {
	if s.state != stateInitialized {
		return fmt.Errorf("%w: Start in %v", ErrState, s.state)
	}
	h := soap.Header{Action: s.port.start, To: s.to}
	s.startSent = time.Now()
	if err := s.send(ctx, &h, s.port.startBody); err != nil {
		return err
	}
	s.state = stateStartSent
	return nil
}

// Wait receives the callbacks until Notify…Complete and reports each to obs
// (which may be nil). It returns nil for success and a *RemoteError for a
// Complete carrying an exception.
func (s *Session) Wait(ctx context.Context, obs Observer) error {
	if s.state != stateStartSent && s.state != stateInProgress {
		return fmt.Errorf("%w: Wait in %v", ErrState, s.state)
	}
	for {
		env, err := s.receive(ctx)
		if err != nil {
			return err
		}
		if env.IsFault() {
			return s.remoteFault(env, s.port.name)
		}
		kind := s.port.callback(env.Header.Action)
		switch {
		case kind == cbStart && s.state == stateStartSent:
			if err := s.readBody(env, s.port.newStart()); err != nil {
				return err
			}
			s.state = stateInProgress
			s.observe(obs, EventStarted)
		case kind == cbCheckpoint && s.state == stateInProgress:
			m := s.port.newCheckpoint()
			if err := s.readBody(env, m); err != nil {
				return err
			}
			if rows, ok := m.(*ipam.EnumeratedRows); ok {
				s.res.Rows += int64(len(rows.Rows))
				if s.OnRows != nil {
					if err := s.OnRows(rows.Rows); err != nil {
						s.Abort()
						return err
					}
				}
			}
			s.res.Checkpoints++
			s.observe(obs, EventCheckpoint)
		case kind == cbComplete:
			// 3.13.1.1 allows Complete straight after Callback Initialized.
			m := s.port.newComplete()
			if err := s.readBody(env, m); err != nil {
				return err
			}
			s.state = stateCompleted
			s.res.Completed = true
			s.res.Work = time.Since(s.startSent)
			s.observe(obs, EventCompleted)
			if exc := m.exception(); exc != nil {
				return &RemoteError{Operation: s.port.completeName, Exception: exc}
			}
			return nil
		case kind == cbNone:
			return s.protocol("unexpected Action %q in a %s session", env.Header.Action, s.port.name)
		default:
			return s.protocol("callback %q out of order (session %v)", env.Header.Action, s.state)
		}
	}
}

func (s *Session) observe(obs Observer, k EventKind) {
	if obs != nil {
		obs.Observe(Event{Kind: k, Checkpoints: s.res.Checkpoints, Elapsed: time.Since(s.startSent)})
	}
}

// Close stops the keepalives and ends the session: End to the server, wait
// for its End (bounded by the Dialer's CloseTimeout and ctx), close the
// connection. After Notify…Complete the server has usually sent its End
// already; before it, the End tells the server the client is gone.
func (s *Session) Close(ctx context.Context) error {
	if s.state == stateClosed {
		return nil
	}
	s.stopKeepalive()
	s.state = stateClosed
	t0 := time.Now()
	err := s.conn.Close(ctx)
	s.res.Close = time.Since(t0)
	return err
}

// Abort drops the connection at once and stops the keepalives. It does not
// block: closing the socket first ends a keepalive write in progress.
func (s *Session) Abort() {
	s.conn.Abort()
	s.stopKeepalive()
}

func (s *Session) stopKeepalive() {
	s.wmu.Lock()
	s.stopped = true
	if s.timer != nil {
		s.timer.Stop()
	}
	s.wmu.Unlock()
}

// keepaliveTick runs on the keepalive timer: if nothing was sent for a
// whole interval it sends a Keepalive (the client InactivityTimer of
// MS-IPAMM2 3.2.2/3.2.5, but measured from the last send, so no two sends
// are ever more than one interval apart), then re-arms.
func (s *Session) keepaliveTick() {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.stopped {
		return
	}
	if idle := time.Since(s.lastSend); idle < s.interval {
		s.timer.Reset(s.interval - idle)
		return
	}
	// The framing layer's write timeout bounds the write; Close and Abort
	// interrupt it (Abort closes the socket).
	if err := s.writeLocked(context.Background(), &soap.Header{Action: ipam.ActionKeepalive}, nil); err != nil {
		// The reader learns of it through the aborted connection.
		s.kaErr = err
		s.stopped = true
		s.conn.Abort()
		return
	}
	s.keepalives++
	s.timer.Reset(s.interval)
}

// send encodes and writes one message.
func (s *Session) send(ctx context.Context, h *soap.Header, body ipam.BodyWriter) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if err := s.writeLocked(ctx, h, body); err != nil {
		return fmt.Errorf("client: send %s: %w", h.Action, err)
	}
	return nil
}

func (s *Session) writeLocked(ctx context.Context, h *soap.Header, body ipam.BodyWriter) error {
	out, err := s.codec.Encode(s.out[:0], h, body)
	if err != nil {
		return err
	}
	s.out = out
	if err := s.conn.WriteMessage(ctx, out); err != nil {
		return err
	}
	s.lastSend = time.Now()
	return nil
}

// receive reads and decodes the next message that is not a Keepalive.
func (s *Session) receive(ctx context.Context) (*soap.Envelope, error) {
	for {
		p, err := s.conn.ReadMessage(ctx)
		if err != nil {
			s.wmu.Lock()
			kaErr := s.kaErr
			s.wmu.Unlock()
			switch {
			case kaErr != nil:
				return nil, fmt.Errorf("client: keepalive failed: %w", kaErr)
			case err == io.EOF:
				return nil, fmt.Errorf("%w (session %v)", ErrSessionClosed, s.state)
			}
			return nil, fmt.Errorf("client: receive: %w", err)
		}
		env, err := s.codec.Decode(p)
		if err != nil {
			return nil, s.protocol("undecodable message: %w", err)
		}
		if env.IsKeepalive() {
			continue // a server's Keepalive is as meaningless to us as ours is to it
		}
		return env, nil
	}
}

// readBody decodes a body into m and checks the envelope's end.
func (s *Session) readBody(env *soap.Envelope, m bodyReader) error {
	if err := m.ReadBody(env.Body()); err != nil {
		return s.protocol("%s body: %w", env.Header.Action, err)
	}
	if err := env.Finish(); err != nil {
		return s.protocol("%s: %w", env.Header.Action, err)
	}
	return nil
}

// protocol aborts the session for a protocol violation by the server.
func (s *Session) protocol(format string, args ...any) error {
	s.Abort()
	return fmt.Errorf("%w: %w", ErrProtocol, fmt.Errorf(format, args...))
}

// remoteFault reads a SOAP fault and its IpamException detail.
func (s *Session) remoteFault(env *soap.Envelope, op string) error {
	f, detail, err := soap.ReadFault(env.Body())
	if err != nil {
		return s.protocol("fault: %w", err)
	}
	return &RemoteError{Operation: op, Fault: f, Exception: exceptionFromDetail(detail)}
}

// exceptionFromDetail finds the IpamException element in a fault's detail
// (re-encoded as text by soap.ReadFault), or returns nil.
func exceptionFromDetail(detail []byte) *ipam.IpamException {
	if len(detail) == 0 {
		return nil
	}
	doc := make([]byte, 0, len(detail)+7)
	doc = append(append(append(doc, "<d>"...), detail...), "</d>"...)
	r := textxml.NewReader(doc, textxml.Options{})
	if _, err := r.Next(); err != nil {
		return nil
	}
	for {
		n, err := xmlstream.NextStart(r)
		if err != nil || n == nil {
			return nil
		}
		if n.Name.Local == "IpamException" && n.Name.Space == ipam.NamespaceDataContract {
			exc, err := ipam.ReadException(r)
			if err != nil {
				return nil
			}
			return exc
		}
		if err := xmlstream.Skip(r); err != nil {
			return nil
		}
	}
}

func (s state) String() string {
	switch s {
	case stateNew:
		return "new"
	case stateInitialized:
		return "initialized"
	case stateStartSent:
		return "start sent"
	case stateInProgress:
		return "in progress"
	case stateCompleted:
		return "completed"
	case stateClosed:
		return "closed"
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}

// newMessageID returns a fresh urn:uuid: (random, version 4) a:MessageID,
// as WCF writes them.
func newMessageID() string {
	var u [16]byte
	_, _ = rand.Read(u[:]) // crypto/rand.Read does not fail
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	b := make([]byte, 0, 45)
	b = append(b, "urn:uuid:"...)
	b = hex.AppendEncode(b, u[0:4])
	b = append(b, '-')
	b = hex.AppendEncode(b, u[4:6])
	b = append(b, '-')
	b = hex.AppendEncode(b, u[6:8])
	b = append(b, '-')
	b = hex.AppendEncode(b, u[8:10])
	b = append(b, '-')
	b = hex.AppendEncode(b, u[10:])
	return string(b)
}
