package soaphttp

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"

	"github.com/ipamd/ipamd/duplex/admission"
	"github.com/ipamd/ipamd/duplex/security"
	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/soap/xmlstream"
)

// NSSession is the namespace of the session reference parameter
// (<ss:SessionId a:IsReferenceParameter="true">) that the replies and
// callbacks of a session carry and that the client's later requests of the
// session must carry back.
const NSSession = "urn:ipamd:2026:session"

// SessionIDHeader is the name of the session id header block.
var SessionIDHeader = xmlstream.Name{Space: NSSession, Local: "SessionId"}

// ErrAborted is returned by ReadEnvelope after Abort (a dead callback URL,
// the inactivity timer, shutdown).
var ErrAborted = errors.New("soaphttp: session aborted")

// exchange is one request waiting for its session's answer.
type exchange struct {
	env    *soap.Envelope // decoded once, by the server; its body is unread
	answer chan answer    // buffered 1; answered exactly once
}

// answer is an HTTP response: a SOAP message with a status, or (nil
// payload) 202 Accepted.
type answer struct {
	status  int
	payload []byte
}

// Session is one duplex session over HTTP. Its ReadEnvelope, WriteMessage
// and WriteFault belong to the session's reader goroutine; WriteCallback,
// CloseOutput and Abort may be called from any goroutine.
type Session struct {
	srv     *Server
	key     sessionKey
	replyTo string
	enc     soap.Encoding
	id      string // the session id: a secret shared with the client
	logID   string // a digest of id for logs, which must not hold the id
	remote  remoteAddr
	ticket  admission.Ticket // the session's per-address slot; released by forget
	// identity is the caller of the first request; nil if not identified.
	identity *security.Identity

	in    chan *exchange // unbuffered: a request is taken when the session reads it
	cur   *exchange      // the request being handled; reader goroutine only
	ended chan struct{}  // closed when ServeSession has returned

	closeOnce sync.Once
	closed    chan struct{} // output closed: no more callbacks, reads see io.EOF
	abortOnce sync.Once
	aborted   chan struct{}
	// abortCtx is cancelled by Abort: callback deliveries under way stop.
	abortCtx    context.Context
	cancelAbort context.CancelFunc
}

func newSession(srv *Server, h SessionHandler, replyTo string, enc soap.Encoding, remote string) *Session {
	id := newSessionID()
	digest := sha256.Sum256([]byte(id))
	ss := &Session{
		srv:     srv,
		key:     sessionKey{h: h, digest: digest},
		replyTo: replyTo,
		enc:     enc,
		id:      id,
		logID:   hex.EncodeToString(digest[:6]),
		remote:  remoteAddr(remote),
		in:      make(chan *exchange),
		ended:   make(chan struct{}),
		closed:  make(chan struct{}),
		aborted: make(chan struct{}),
	}
	ss.abortCtx, ss.cancelAbort = context.WithCancel(context.Background())
	return ss
}

// ID is the session id the replies and callbacks carry
// ("urn:ipamd:session:" and 256 random bits in hex). It is the client's
// proof that a request belongs to the session: keep it out of logs.
func (s *Session) ID() string { return s.id }

// LogID names the session in logs: a digest of ID that does not reveal it.
func (s *Session) LogID() string { return s.logID }

// Identity is the caller of the request that started the session, as
// Options.Identify named it (nil when it is not set).
func (s *Session) Identity() *security.Identity { return s.identity }

// ReplyTo is the client's callback URL.
func (s *Session) ReplyTo() string { return s.replyTo }

// Encoding is the SOAP version of the session (of its first request).
func (s *Session) Encoding() soap.Encoding { return s.enc }

// RemoteAddr is the address the session's first request came from.
func (s *Session) RemoteAddr() net.Addr { return s.remote }

// ReadEnvelope answers the previous request with 202 Accepted if the
// session wrote nothing for it (a one-way operation), then waits for the
// next one. The envelope is the one the server decoded to find the session
// (headers read, body not yet), so a request is decoded once. It returns
// io.EOF once the output is closed (the session is complete).
func (s *Session) ReadEnvelope(ctx context.Context) (*soap.Envelope, error) {
	s.finish()
	select {
	case <-s.closed:
		return nil, io.EOF
	case <-s.aborted:
		return nil, ErrAborted
	default:
	}
	select {
	case ex := <-s.in:
		s.cur = ex
		return ex.env, nil
	case <-s.closed:
		return nil, io.EOF
	case <-s.aborted:
		return nil, ErrAborted
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// WriteMessage answers the current request with 200 and payload.
func (s *Session) WriteMessage(ctx context.Context, payload []byte) error {
	return s.reply(http.StatusOK, payload)
}

// WriteFault answers the current request with a fault, with the status
// SOAP's HTTP binding gives f.
func (s *Session) WriteFault(ctx context.Context, payload []byte, f *soap.Fault) error {
	return s.reply(faultStatus(s.enc, f), payload)
}

func (s *Session) reply(status int, payload []byte) error {
	if s.cur == nil {
		return errors.New("soaphttp: no request to answer")
	}
	s.cur.answer <- answer{status: status, payload: append([]byte(nil), payload...)}
	s.cur = nil
	return nil
}

// AcceptOneWay answers the current request with 202 Accepted now: the
// message is one-way, and its callbacks must not hold the client's request.
func (s *Session) AcceptOneWay() { s.finish() }

// failCurrent answers the request in hand (if any) with a, after a failure
// inside the session.
func (s *Session) failCurrent(a answer) {
	if s.cur != nil {
		s.cur.answer <- a
		s.cur = nil
	}
}

// finish answers the current request with 202 if nothing answered it.
func (s *Session) finish() {
	if s.cur != nil {
		s.cur.answer <- answer{status: http.StatusAccepted}
		s.cur = nil
	}
}

// AddressCallback sets a:To to the client's callback URL and adds the
// session id as a reference parameter.
func (s *Session) AddressCallback(h *soap.Header) {
	h.To = s.replyTo
	h.Extra = append(h.Extra, sessionIDHeader(s.id))
}

// AddressReply adds the session id to a reply or fault of the session, so
// that the client learns it from the first reply (Initialize…'s) and sends
// it back in the session's later requests.
func (s *Session) AddressReply(h *soap.Header) {
	h.Extra = append(h.Extra, sessionIDHeader(s.id))
}

// owns reports, in constant time, whether id is this session's id.
func (s *Session) owns(id string) bool {
	return subtle.ConstantTimeCompare([]byte(id), []byte(s.id)) == 1
}

// WriteCallback POSTs one callback to the client's ReplyTo, retrying with
// back-off. When delivery gives up the session is aborted: its work is
// cancelled and later requests start a new session.
func (s *Session) WriteCallback(ctx context.Context, action string, payload []byte) error {
	select {
	case <-s.closed:
		return fmt.Errorf("soaphttp: callback %s after the session output was closed", action)
	case <-s.aborted:
		return fmt.Errorf("soaphttp: callback %s: %w", action, ErrAborted)
	default:
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(s.abortCtx, cancel)
	defer stop()
	err := s.srv.callback.deliver(ctx, s.replyTo, s.enc, action, payload)
	if s.abortCtx.Err() != nil {
		return fmt.Errorf("soaphttp: callback %s: %w", action, ErrAborted)
	}
	if err != nil {
		// Aborted before it is logged: once the line can be read, the
		// session's id names nothing (a request carrying it gets 403, not
		// the 503 of a session still ending).
		s.Abort()
		s.srv.opts.Logger.Warn("callback delivery failed, aborting the session",
			logFields(s, action, err)...)
		return err
	}
	return nil
}

// CloseOutput ends the session after its last callback: ReadEnvelope
// returns io.EOF, and the ReplyTo is free for a new session.
func (s *Session) CloseOutput(context.Context) error {
	s.closeOnce.Do(func() { close(s.closed) })
	s.srv.forget(s)
	return nil
}

// Abort ends the session at once.
func (s *Session) Abort() {
	s.abortOnce.Do(func() {
		close(s.aborted)
		s.cancelAbort()
	})
	s.srv.forget(s)
}

// end runs after ServeSession returned: the request in hand (if any) gets
// its 202, and senders waiting on in see ended.
func (s *Session) end() {
	s.finish()
	close(s.ended)
	s.cancelAbort() // release the context; the session is over
}

// sessionIDHeader is <ss:SessionId a:IsReferenceParameter="true">.
type sessionIDHeader string

func (h sessionIDHeader) WriteBody(w xmlstream.Writer) error {
	w.StartElement("ss", "SessionId", NSSession)
	w.Attr("a", "IsReferenceParameter", soap.NSAddressing, "true")
	w.Text(string(h))
	return w.EndElement()
}

// FixedHeaderKey implements soap.FixedHeader: the session's replies and
// callbacks are sent from templates with the id written in
// (docs/performance.md, "Messages encoded once").
func (h sessionIDHeader) FixedHeaderKey() (key, value string) { return "soaphttp.SessionId", string(h) }

// WithValue implements soap.FixedHeader.
func (sessionIDHeader) WithValue(v string) soap.BodyWriter { return sessionIDHeader(v) }

// sessionIDPrefix starts every session id.
const sessionIDPrefix = "urn:ipamd:session:"

// newSessionID is 256 bits from crypto/rand: nobody but the client that
// received it can name the session.
func newSessionID() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand: Go 1.24+)
	return sessionIDPrefix + hex.EncodeToString(b[:])
}

// remoteAddr is an HTTP request's RemoteAddr as a net.Addr.
type remoteAddr string

func (remoteAddr) Network() string  { return "tcp" }
func (a remoteAddr) String() string { return string(a) }
