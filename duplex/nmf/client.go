package nmf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// The client side of a duplex framing session: what a WCF
// DuplexChannelFactory over NetTcpBinding (SecurityMode.None, buffered) does
// on the wire. It shares the Framer (record coder, budgets) and FaultError with
// the server, so the bytes one side writes are by construction the bytes the
// other side's decoder reads.
//
// No goroutine runs per connection or per message: reads happen on the
// caller's goroutine (one ReadMessage at a time), writes on any goroutine
// under one lock, and a context interrupts blocking I/O by moving the socket
// deadline into the past (context.AfterFunc), as on the server.

// Client-side sentinel errors.
var (
	// ErrRemoteFault is wrapped by the *FaultError of a Fault record the
	// server sent (in answer to the preamble or mid-session); the
	// FaultError's URI says which fault. (Its text completes the
	// FaultError's: "nmf: framing fault EndpointNotFound: sent by the
	// server".)
	ErrRemoteFault = errors.New("sent by the server")
	// ErrProtocol: the server sent bytes no MC-NMF server may send in a
	// duplex session (a record type out of place, a malformed fault). The
	// connection has been aborted.
	ErrProtocol = errors.New("nmf: framing protocol violation by the server")
	// ErrMessageTooLarge: the peer announced a Sized Envelope larger than
	// the reader's MaxMessageSize (on a client, Dialer.MaxMessageSize: the
	// connection has been aborted; a server answers with
	// FaultMaxMessageSizeExceeded). Refused before any payload byte is read.
	ErrMessageTooLarge = errors.New("nmf: message exceeds the maximum message size")
)

// DefaultPort is the TCP port of a net.tcp URI without one ([MS-NMFTB] 2.1).
const DefaultPort = 808

// ViaAddr returns the host:port to dial for a net.tcp URI (the Via).
func ViaAddr(via string) (string, error) {
	u, err := url.Parse(via)
	if err != nil {
		return "", fmt.Errorf("nmf: via %q: %w", via, err)
	}
	if u.Scheme != "net.tcp" {
		return "", fmt.Errorf("nmf: via %q: scheme must be net.tcp", via)
	}
	host := u.Hostname()
	if host == "" {
		return "", fmt.Errorf("nmf: via %q has no host", via)
	}
	port := u.Port()
	if port == "" {
		port = strconv.Itoa(DefaultPort)
	} else if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return "", fmt.Errorf("nmf: via %q: port %q out of range 1..65535", via, port)
	}
	return net.JoinHostPort(host, port), nil
}

// Dialer opens client framing sessions. The zero value is ready to use.
type Dialer struct {
	// MaxMessageSize bounds the payload of a Sized Envelope from the server
	// (WCF MaxReceivedMessageSize); bigger → ErrMessageTooLarge, abort.
	// Default 65536.
	MaxMessageSize int
	// HandshakeTimeout bounds connect, preamble and the wait for the
	// Preamble Ack together (WCF OpenTimeout). Default 30s.
	HandshakeTimeout time.Duration
	// ReadTimeout bounds the wait for each record from the server (WCF
	// ReceiveTimeout); on expiry the connection is aborted and ReadMessage
	// fails with ErrIdleTimeout. Default 10m.
	ReadTimeout time.Duration
	// WriteTimeout bounds each record write (WCF SendTimeout). Default 30s.
	WriteTimeout time.Duration
	// CloseTimeout bounds ClientSession.Close's wait for the server's End.
	// Default 10s.
	CloseTimeout time.Duration
	// NetDialer connects the TCP socket; nil uses a zero net.Dialer.
	NetDialer *net.Dialer
	// Upgrade, when set, secures the connection in the preamble (TLS or
	// NegotiateStream); nil speaks SecurityMode.None.
	Upgrade ClientUpgrade
}

func (d *Dialer) withDefaults() Dialer {
	o := *d
	if o.MaxMessageSize <= 0 {
		o.MaxMessageSize = 65536
	}
	o.MaxMessageSize = min(o.MaxMessageSize, maxMB31)
	if o.HandshakeTimeout <= 0 {
		o.HandshakeTimeout = 30 * time.Second
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = 10 * time.Minute
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 30 * time.Second
	}
	if o.CloseTimeout <= 0 {
		o.CloseTimeout = 10 * time.Second
	}
	if o.NetDialer == nil {
		o.NetDialer = &net.Dialer{}
	}
	return o
}

// Dial connects to addr and opens a framing session for via with the
// default Dialer.
func Dial(ctx context.Context, addr, via string, enc Encoding) (*ClientSession, error) {
	var d Dialer
	return d.Dial(ctx, addr, via, enc)
}

// Dial connects to addr (host:port; see ViaAddr) and runs the preamble for
// via with the known encoding enc. A Fault record in answer to the preamble
// is returned as a *FaultError wrapping ErrRemoteFault, e.g. with URI
// FaultEndpointNotFound for a Via the server does not serve.
func (d *Dialer) Dial(ctx context.Context, addr, via string, enc Encoding) (*ClientSession, error) {
	o := d.withDefaults()
	if err := checkClientPreamble(via, enc); err != nil {
		return nil, err
	}
	hctx, cancel := context.WithTimeout(ctx, o.HandshakeTimeout)
	defer cancel()
	nc, err := o.NetDialer.DialContext(hctx, "tcp", addr)
	if err != nil {
		return nil, o.handshakeError(ctx, fmt.Errorf("nmf: dial %s: %w", addr, err))
	}
	s, err := o.handshake(hctx, nc, via, enc)
	if err != nil {
		_ = nc.Close()
		return nil, o.handshakeError(ctx, err)
	}
	return s, nil
}

// handshakeError names the handshake timeout when it, not the caller's
// context, ended the handshake.
func (d *Dialer) handshakeError(parent context.Context, err error) error {
	if parent.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w (handshake timeout %v)", err, d.HandshakeTimeout)
	}
	return err
}

// Handshake runs the preamble for via on an established connection and
// returns the session; on error the caller still owns nc.
func (d *Dialer) Handshake(ctx context.Context, nc net.Conn, via string, enc Encoding) (*ClientSession, error) {
	o := d.withDefaults()
	if err := checkClientPreamble(via, enc); err != nil {
		return nil, err
	}
	hctx, cancel := context.WithTimeout(ctx, o.HandshakeTimeout)
	defer cancel()
	s, err := o.handshake(hctx, nc, via, enc)
	if err != nil {
		return nil, o.handshakeError(ctx, err)
	}
	return s, nil
}

func checkClientPreamble(via string, enc Encoding) error {
	if via == "" || !utf8.ValidString(via) {
		return fmt.Errorf("nmf: via %q must be a non-empty UTF-8 URI", via)
	}
	if enc.ContentType() == "" {
		return fmt.Errorf("nmf: %v is not a known encoding", enc)
	}
	return nil
}

// ClientUpgrade is a stream upgrade the client asks for in its preamble
// ([MC-NMF] 2.2.3.8 Upgrade Request, 3.1.5.5): TLS (application/ssl-tls)
// or NegotiateStream (application/negotiate). The security packages provide
// the implementations; nmf only frames the request.
type ClientUpgrade interface {
	// Kind is the upgrade's content type, sent in the Upgrade Request.
	Kind() string
	// Upgrade runs the upgrade's handshake on nc after the server's Upgrade
	// Response and returns the connection the rest of the session uses.
	// It must honour ctx (the handshake deadline).
	Upgrade(ctx context.Context, nc net.Conn) (net.Conn, error)
}

// handshake runs the preamble on d, a Dialer with its defaults applied:
// with an upgrade, the records up to the Upgrade Request, the upgrade's own
// handshake, then the Preamble End on the upgraded stream.
func (d *Dialer) handshake(ctx context.Context, nc net.Conn, via string, enc Encoding) (*ClientSession, error) {
	s := &ClientSession{
		deadlines: deadlines{nc: nc},
		fr:        NewFramer(nc, nc, Limits{MaxMessageSize: d.MaxMessageSize}),
		opts:      *d,
		via:       via,
		enc:       enc,
	}
	s.wbuf = AppendPreambleStart(s.wbuf, via, enc)
	if d.Upgrade != nil {
		kind := d.Upgrade.Kind()
		if kind == "" || len(kind) > maxFaultLength || !utf8.ValidString(kind) {
			return nil, fmt.Errorf("nmf: upgrade kind %q must be 1..%d bytes of UTF-8", kind, maxFaultLength)
		}
		s.wbuf = AppendUpgradeRequest(s.wbuf, kind)
		if err := s.handshakeStep(ctx, "upgrade request", recUpgradeResponse); err != nil {
			return nil, err
		}
		if s.fr.Buffered() != 0 {
			return nil, fmt.Errorf("nmf: server sent %d bytes after the Upgrade Response: %w", s.fr.Buffered(), ErrProtocol)
		}
		up, err := d.Upgrade.Upgrade(ctx, nc)
		if err != nil {
			return nil, fmt.Errorf("nmf: upgrade %s: %w", kind, err)
		}
		s.dlmu.Lock()
		s.streamLocked(up)
		s.dlmu.Unlock()
		s.fr.Reset(up, up)
		s.wbuf = s.wbuf[:0]
	}
	s.wbuf = append(s.wbuf, recPreambleEnd)
	if err := s.handshakeStep(ctx, "preamble", recPreambleAck); err != nil {
		return nil, err
	}
	s.wbuf = s.wbuf[:0]
	return s, nil
}

// handshakeStep writes s.wbuf and reads the server's one-byte answer: want,
// or a Fault record (a *FaultError wrapping ErrRemoteFault).
func (s *ClientSession) handshakeStep(ctx context.Context, what string, want RecordType) error {
	timeout := s.opts.HandshakeTimeout
	stop, err := s.beginIO(dirWrite, timeout, ctx)
	if err != nil {
		return fmt.Errorf("nmf: %s: %w", what, err)
	}
	_, err = s.nc.Write(s.wbuf)
	s.endIO(dirWrite, stop)
	if err != nil {
		return s.ioError(what+" write", ctx, err, timeout)
	}
	stop, err = s.beginIO(dirRead, timeout, ctx)
	if err != nil {
		return fmt.Errorf("nmf: %s: %w", what, err)
	}
	defer s.endIO(dirRead, stop)
	t, err := s.fr.ReadRecordType()
	if err != nil {
		if err == io.EOF {
			return fmt.Errorf("nmf: server closed the connection after the %s: %w", what, io.ErrUnexpectedEOF)
		}
		return s.ioError(what+" answer", ctx, err, timeout)
	}
	switch t {
	case want:
		return nil
	case recFault:
		uri, err := s.fr.ReadFault()
		if err != nil {
			return fmt.Errorf("nmf: %s answered with a fault: %w", what, err)
		}
		return &FaultError{URI: uri, Err: ErrRemoteFault}
	}
	return fmt.Errorf("nmf: %s answered with record type 0x%02x: %w", what, byte(t), ErrProtocol)
}

// ClientSession is the client end of one duplex framing session. Reads
// belong to one goroutine at a time (ReadMessage, Close); WriteMessage,
// CloseOutput and Abort may be called from any goroutine.
type ClientSession struct {
	deadlines         // nc: the connection (upgraded, if it was)
	fr        *Framer // reads: the ReadMessage caller only
	opts      Dialer
	via       string
	enc       Encoding

	// Reader state: the ReadMessage caller only.
	rerr     error // sticky: io.EOF after the server's End, or the failure
	inClosed bool

	wmu       sync.Mutex
	wbuf      []byte
	outClosed bool

	aborted   atomic.Bool
	closeOnce sync.Once
}

// Via is the endpoint address sent in the preamble.
func (s *ClientSession) Via() string { return s.via }

// Encoding is the known encoding sent in the preamble.
func (s *ClientSession) Encoding() Encoding { return s.enc }

// LocalAddr is the client socket's address.
func (s *ClientSession) LocalAddr() net.Addr { return s.nc.LocalAddr() }

// RemoteAddr is the server's address.
func (s *ClientSession) RemoteAddr() net.Addr { return s.nc.RemoteAddr() }

// beginIO sets the deadline of one blocking operation in direction d to
// timeout from now (or ctx's deadline if sooner) and arms ctx to interrupt
// it. endIO must follow.
func (s *ClientSession) beginIO(d dir, timeout time.Duration, ctx context.Context) (stop func() bool, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(timeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	return s.begin(d, deadline, nil, ctx)
}

func (s *ClientSession) endIO(d dir, stop func() bool) { s.end(d, stop) }

// ioError classifies a failed read or write: aborted, interrupted by ctx,
// timed out, or the socket's own error.
func (s *ClientSession) ioError(what string, ctx context.Context, err error, timeout time.Duration) error {
	switch {
	case s.aborted.Load():
		return fmt.Errorf("nmf: %s: %w", what, ErrAborted)
	case ctxErr(ctx) != nil:
		return fmt.Errorf("nmf: %s: %w", what, ctxErr(ctx))
	case errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Errorf("nmf: %s: nothing for %v: %w", what, timeout, ErrIdleTimeout)
	}
	return fmt.Errorf("nmf: %s: %w", what, err)
}

// ctxErr is ctx.Err(), or context.DeadlineExceeded once ctx's deadline has
// passed: the socket deadline (set to ctx's) may fire before ctx's own timer.
func ctxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
		return context.DeadlineExceeded
	}
	return nil
}

// ReadMessage returns the payload of the next Sized Envelope from the
// server. The slice is valid until the next ReadMessage (the buffer is
// reused and grows up to Dialer.MaxMessageSize).
//
// io.EOF means the server sent its End record: it sends no more messages,
// and the caller should Close. A Fault record yields a *FaultError wrapping
// ErrRemoteFault; a record a server may not send mid-session, or an
// envelope above MaxMessageSize, aborts the connection (ErrProtocol,
// ErrMessageTooLarge). No record within Dialer.ReadTimeout aborts with
// ErrIdleTimeout. If ctx ends before a record starts, the error wraps
// ctx.Err() and the session stays usable; once a record was partly read,
// every later ReadMessage fails.
func (s *ClientSession) ReadMessage(ctx context.Context) ([]byte, error) {
	if s.rerr != nil {
		return nil, s.rerr
	}
	stop, err := s.beginIO(dirRead, s.opts.ReadTimeout, ctx)
	if err != nil {
		return nil, fmt.Errorf("nmf: read message: %w", err)
	}
	p, err := s.readRecord(ctx)
	s.endIO(dirRead, stop)
	return p, err
}

func (s *ClientSession) readRecord(ctx context.Context) ([]byte, error) {
	t, err := s.fr.ReadRecordType()
	if err != nil {
		return nil, s.readFailed(ctx, err, false)
	}
	switch t {
	case recSizedEnvelope:
		// Size checked before the payload is read; the buffer grows as the
		// bytes arrive: the size is the server's claim.
		buf, err := s.fr.ReadEnvelope()
		if errors.Is(err, ErrMessageTooLarge) {
			return nil, s.fail(fmt.Errorf("nmf: read message: %w", err))
		}
		if err != nil {
			return nil, s.readFailed(ctx, err, true)
		}
		return buf, nil
	case recEnd:
		s.inClosed = true
		s.rerr = io.EOF
		return nil, io.EOF
	case recFault:
		uri, err := s.fr.ReadFault()
		if err != nil {
			if errors.Is(err, ErrProtocol) {
				return nil, s.fail(fmt.Errorf("nmf: read message: %w", err))
			}
			return nil, s.readFailed(ctx, err, true)
		}
		// The server closes its output with the fault (End follows) and
		// then the connection: nothing more can happen on it.
		s.inClosed = true
		return nil, s.fail(&FaultError{URI: uri, Err: ErrRemoteFault})
	}
	return nil, s.fail(fmt.Errorf("nmf: read message: record type 0x%02x in a duplex session: %w", byte(t), ErrProtocol))
}

// fail makes err sticky and aborts the connection.
func (s *ClientSession) fail(err error) error {
	s.rerr = err
	s.Abort()
	return err
}

// readFailed classifies a read error; midRecord means the stream can no
// longer be parsed.
func (s *ClientSession) readFailed(ctx context.Context, err error, midRecord bool) error {
	if !midRecord && ctxErr(ctx) != nil && !s.aborted.Load() {
		return fmt.Errorf("nmf: read message: %w", ctxErr(ctx)) // nothing consumed: still usable
	}
	if err == io.EOF {
		if midRecord {
			return s.fail(fmt.Errorf("nmf: read message: truncated record: %w", io.ErrUnexpectedEOF))
		}
		return s.fail(fmt.Errorf("nmf: read message: server closed the connection without End: %w", io.ErrUnexpectedEOF))
	}
	return s.fail(s.ioError("read message", ctx, err, s.opts.ReadTimeout))
}

// WriteMessage sends payload as one Sized Envelope record. A write that fails
// or is interrupted aborts the connection (part of the record may be on the
// wire). It fails with ErrOutputClosed after CloseOutput.
func (s *ClientSession) WriteMessage(ctx context.Context, payload []byte) error {
	if len(payload) > maxMB31 {
		return fmt.Errorf("nmf: write message: payload of %d bytes too large for a record", len(payload))
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.outClosed {
		return ErrOutputClosed
	}
	b := appendEnvelopeHeader(s.wbuf[:0], len(payload))
	var err error
	if len(payload) <= copyLimit {
		b = append(b, payload...)
		err = s.writeLocked(ctx, b)
	} else {
		err = s.writeLocked(ctx, b, payload)
	}
	if cap(b) <= 2*copyLimit {
		s.wbuf = b[:0]
	}
	return err
}

// CloseOutput sends our End record once; later calls return nil. Messages
// from the server can still be read until its End.
func (s *ClientSession) CloseOutput(ctx context.Context) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.outClosed {
		return nil
	}
	s.wbuf = append(s.wbuf[:0], recEnd)
	err := s.writeLocked(ctx, s.wbuf)
	s.outClosed = true
	return err
}

// writeLocked writes the buffers as one record; the caller holds wmu.
func (s *ClientSession) writeLocked(ctx context.Context, bufs ...[]byte) error {
	stop, err := s.beginIO(dirWrite, s.opts.WriteTimeout, ctx)
	if err != nil {
		return fmt.Errorf("nmf: write: %w", err)
	}
	if len(bufs) == 1 {
		_, err = s.nc.Write(bufs[0])
	} else {
		nb := net.Buffers(bufs)
		_, err = nb.WriteTo(s.nc)
	}
	s.endIO(dirWrite, stop)
	if err != nil {
		err = s.ioError("write", ctx, err, s.opts.WriteTimeout)
		s.outClosed = true
		s.Abort()
		return err
	}
	return nil
}

// Close ends the session politely and closes the connection: it sends our
// End (if not yet sent), reads until the server's End within
// Dialer.CloseTimeout (or ctx), discarding messages still in flight, and
// closes the socket. It must not run concurrently with ReadMessage. The
// error says whether the exchange was clean; the connection is closed
// either way.
func (s *ClientSession) Close(ctx context.Context) error {
	defer s.closeConn()
	if s.aborted.Load() {
		if s.rerr != nil && s.rerr != io.EOF {
			return nil // the failure was reported by ReadMessage or a write
		}
		return fmt.Errorf("nmf: close: %w", ErrAborted)
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.CloseTimeout)
	defer cancel()
	if err := s.CloseOutput(ctx); err != nil {
		return fmt.Errorf("nmf: close: %w", err)
	}
	for !s.inClosed {
		if _, err := s.ReadMessage(ctx); err != nil {
			if err == io.EOF {
				break
			}
			return fmt.Errorf("nmf: close: waiting for the server's End: %w", err)
		}
	}
	return nil
}

// Abort closes the connection at once; blocked reads and writes fail with
// ErrAborted. Safe from any goroutine, any number of times.
func (s *ClientSession) Abort() {
	s.aborted.Store(true)
	s.closeConn()
}

func (s *ClientSession) closeConn() {
	s.closeOnce.Do(func() { _ = s.nc.Close() })
}
