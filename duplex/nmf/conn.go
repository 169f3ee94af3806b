package nmf

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ipamd/ipamd/duplex/admission"
	"github.com/ipamd/ipamd/duplex/security"
	"github.com/ipamd/ipamd/soap/xmlstream"
)

// conn is one accepted TCP connection; sessions run on it one after another.
type conn struct {
	srv  *Server
	opts *Options        // the server's options when the connection was accepted
	ctx  context.Context // server lifetime (Serve ctx + Shutdown)
	raw  net.Conn        // the accepted socket, closed by abort
	// fr reads the client's records (serving goroutine only); writes go
	// through wmu and the Append functions. Reset with nc. Its buffers
	// are lent out while the connection waits (idle.go).
	fr *Framer
	// rd is what fr reads on the raw socket (idle.go).
	rd rawReader
	// waitFn: the raw socket's read-then-wait, made on first use with rc;
	// rfd, waited and lent are its state (idle_unix.go). Serving
	// goroutine only.
	waitFn func(fd uintptr) bool
	rc     syscall.RawConn
	noRaw  bool // the socket offers no raw access
	rfd    uintptr
	waited bool
	lent   bool
	ready  bool // AwaitMessage's wait succeeded; the next read need not wait

	// deadlines.nc is raw or the upgraded stream, swapped under wmu+dlmu.
	deadlines
	reuseWait bool // awaitReuse is blocked reading; Drain interrupts it (guarded by dlmu)

	wmu  sync.Mutex // serialises whole records on the wire
	wbuf []byte     // record assembly buffer, guarded by wmu; holds the records of a Cork until Flush
	wbox *[]byte    // recordPool's box for wbuf (idle.go), guarded by wmu
	// corked: records are held in wbuf rather than written (Session.Cork).
	// Written under wmu; read without it by ReadMessage's safety flush.
	corked atomic.Bool

	ticket  admission.Ticket // the connection's per-address slot (served connections)
	refusal admission.Reason // why a refused connection is refused

	sec       ListenerSecurity   // what this connection's listener offers
	upgraded  bool               // serving goroutine only
	identity  *security.Identity // set by the upgrade, serving goroutine only
	broken    atomic.Bool        // stream state unknown or faulted: never reuse
	aborted   atomic.Bool
	closeOnce sync.Once

	// Connection log fields, serving goroutine only.
	via      string
	faultURI atomic.Pointer[string]
	sessions int
}

// readBufferSize is the per-connection read buffer. It is held while
// bytes are in flight and lent to a pool while the connection waits
// (idle.go; issue 7 and 16: 15,000 held sessions). The messages of an IPAM session are small — a
// binary Initialize is about 600 bytes, a text one under 2 KiB — so each
// still arrives with one read; a larger envelope is read past the buffer
// straight into the session's message buffer.
const readBufferSize = 2 << 10

// newServerFramer is a connection's Framer with the server's budgets and
// a pooled read buffer.
func newServerFramer(w io.Writer, r io.Reader, o *Options) *Framer {
	return newPooledFramer(w, r, Limits{
		MaxMessageSize:       o.MaxMessageSize,
		MaxViaLength:         o.MaxViaLength,
		MaxContentTypeLength: o.MaxContentTypeLength,
	})
}

func newConn(s *Server, ctx context.Context, nc net.Conn, sec ListenerSecurity) *conn {
	c := &conn{
		srv:       s,
		sec:       sec,
		opts:      s.opts.Load(),
		ctx:       ctx,
		raw:       nc,
		deadlines: deadlines{nc: nc},
	}
	c.rd.c = c
	c.fr = newServerFramer(nc, &c.rd, c.opts)
	return c
}

// onCancel runs (once, via context.AfterFunc) when the connection context is
// done: it interrupts whatever blocking operation is armed.
func (c *conn) onCancel() { c.interruptArmed() }

// echo is client text s as the connection may repeat it in a log field or
// an error: within Options.MaxEchoBytes.
func (c *conn) echo(s string) string { return xmlstream.Truncate(s, c.opts.MaxEchoBytes) }

// beginIO prepares one blocking operation in direction d: it sets the
// deadline, arms interruption by the connection context when honourConn, and
// by ctx when ctx is non-nil (a caller context other than the session's, which
// the connection context already covers). endIO must follow.
func (c *conn) beginIO(d dir, deadline time.Time, honourConn bool, ctx context.Context) (stop func() bool, err error) {
	var connCtx context.Context
	if honourConn {
		connCtx = c.ctx
	}
	return c.begin(d, deadline, connCtx, ctx)
}

func (c *conn) endIO(d dir, stop func() bool) { c.end(d, stop) }

// interruptReuseWait ends awaitReuse's wait (Drain): the connection is
// idle between sessions and is closed.
func (c *conn) interruptReuseWait() {
	c.dlmu.Lock()
	if c.reuseWait {
		c.setDeadlineLocked(dirRead, aLongTimeAgo)
	}
	c.dlmu.Unlock()
}

// abort closes the socket now; every blocked read and write fails.
func (c *conn) abort() {
	c.aborted.Store(true)
	c.broken.Store(true)
	c.close()
}

func (c *conn) close() {
	c.closeOnce.Do(func() { _ = c.raw.Close() })
}

// recordBufLocked returns the buffer the next record is appended to: after
// the records a Cork holds, or empty. The caller holds wmu.
func (c *conn) recordBufLocked() []byte {
	if c.wbuf == nil {
		c.wbuf = recordPool.get(&c.wbox)
	}
	if c.corked.Load() {
		return c.wbuf
	}
	return c.wbuf[:0]
}

// uncorkLocked ends a Cork and returns the held records, to which a record
// that must leave now (a Fault, the final End) is appended.
func (c *conn) uncorkLocked() []byte {
	c.corked.Store(false)
	if c.wbuf == nil {
		c.wbuf = recordPool.get(&c.wbox)
	}
	return c.wbuf
}

// emitLocked holds b (held records plus a new one) while corked, otherwise
// writes it as one Write. The caller holds wmu.
func (c *conn) emitLocked(b []byte, honourConn bool, ctx context.Context) error {
	if c.corked.Load() {
		c.wbuf = b
		return nil
	}
	err := c.writeLocked(b, honourConn, ctx)
	c.resetBufLocked(b)
	return err
}

// resetBufLocked returns b's storage to the pool once it is written: an
// idle connection holds no write buffer (idle.go); a large one is dropped.
func (c *conn) resetBufLocked(b []byte) {
	recordPool.put(&c.wbox, b)
	c.wbuf = nil
}

// writeLocked writes b as one Write with the write timeout. The caller holds
// wmu. A failed write may have put part of a record on the wire, so it
// aborts the connection.
func (c *conn) writeLocked(b []byte, honourConn bool, ctx context.Context) error {
	stop, err := c.beginIO(dirWrite, time.Now().Add(c.opts.WriteTimeout), honourConn, ctx)
	if err != nil {
		return fmt.Errorf("nmf: write: %w", err)
	}
	_, err = c.nc.Write(b)
	c.endIO(dirWrite, stop)
	if err != nil {
		return c.writeFailed(ctx, err)
	}
	return nil
}

// writeBuffersLocked is writeLocked for a header plus a large payload that
// is not worth copying.
func (c *conn) writeBuffersLocked(hdr, payload []byte, ctx context.Context) error {
	stop, err := c.beginIO(dirWrite, time.Now().Add(c.opts.WriteTimeout), true, ctx)
	if err != nil {
		return fmt.Errorf("nmf: write: %w", err)
	}
	bufs := net.Buffers{hdr, payload}
	_, err = bufs.WriteTo(c.nc)
	c.endIO(dirWrite, stop)
	if err != nil {
		return c.writeFailed(ctx, err)
	}
	return nil
}

func (c *conn) writeFailed(ctx context.Context, err error) error {
	wasAborted := c.aborted.Load()
	c.abort()
	switch {
	case wasAborted:
		return fmt.Errorf("nmf: write: %w", ErrAborted)
	case ctx != nil && ctx.Err() != nil:
		return fmt.Errorf("nmf: write interrupted, connection aborted: %w", ctx.Err())
	case c.ctx.Err() != nil:
		return fmt.Errorf("nmf: write interrupted, connection aborted: %w", c.ctx.Err())
	}
	return fmt.Errorf("nmf: write failed, connection aborted: %w", err)
}

// sendFault writes a Fault record plus End (ignoring failures: the peer may
// be gone), then half-closes and drains the input so the close does not turn
// into a reset that destroys the fault before the client reads it.
func (c *conn) sendFault(fe *FaultError) {
	uri := fe.URI
	if validFaultURI(uri) != nil {
		uri = FaultEndpointUnavailable
	}
	c.faultURI.Store(&uri)
	c.wmu.Lock()
	err := c.emitLocked(AppendFault(c.uncorkLocked(), uri), false, nil)
	c.wmu.Unlock()
	if err != nil {
		return
	}
	c.drainAndClose()
}

// maxDrain bounds what is read and discarded after a fault (CoreWCF drains
// up to MaxReceivedMessageSize).
const maxDrain = 64 << 10

func (c *conn) drainAndClose() {
	c.broken.Store(true)
	if cw, ok := c.nc.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	if _, err := c.beginIO(dirRead, time.Now().Add(c.opts.CloseTimeout), false, nil); err == nil {
		c.fr.drain(maxDrain)
		c.endIO(dirRead, nil)
	}
	c.close()
}

// finishSession runs after ServeSession returned: it sends our End if the
// handler did not, waits (CloseTimeout) for the client's End, and reports
// whether the connection may carry another session.
func (c *conn) finishSession(s *Session, reusable bool) (reuse bool) {
	s.ended.Store(true)
	c.fr.ReleaseBuffer() // the next session's messages may be smaller
	if c.aborted.Load() {
		return false
	}
	c.wmu.Lock()
	faulted := s.faulted
	if !s.outClosed {
		s.outClosed = true
		if err := c.emitLocked(append(c.uncorkLocked(), recEnd), false, nil); err != nil {
			// Tolerated: Mono sends End and FIN together, so our End may
			// meet EPIPE/ECONNRESET. Nothing more can happen on this socket.
			c.wmu.Unlock()
			return false
		}
	}
	c.wmu.Unlock()
	if faulted || c.broken.Load() {
		c.drainAndClose()
		return false
	}
	if !s.inClosed && !c.awaitEnd() {
		return false
	}
	if !reusable || c.ctx.Err() != nil || c.srv.Draining() || (c.upgraded && !c.downgrade()) {
		return false
	}
	return c.awaitReuse()
}

// RawReusable is implemented by upgraded streams that can hand the socket
// back after a session: Idle reports that every byte the peer sent on the
// secured stream has been read, so the next byte on the socket is raw.
// .NET pools the raw socket of a secured session and starts the next
// session on it with a new, cleartext preamble and a new upgrade
// (docs/security.md, connection reuse). NegotiateStream implements it;
// TLS does not (crypto/tls may read ahead), so a TLS client re-dials.
type RawReusable interface {
	Idle() bool
}

// downgrade returns the connection to its raw socket after a session on
// an upgraded stream, when the stream allows it: the next session starts
// unauthenticated and must upgrade again (the identity goes with the
// stream). It reports whether the connection may carry another session.
func (c *conn) downgrade() bool {
	r, ok := c.nc.(RawReusable)
	if !ok || c.fr.Buffered() > 0 || !r.Idle() {
		return false
	}
	c.wmu.Lock()
	c.dlmu.Lock()
	c.streamLocked(c.raw)
	c.upgraded = false
	c.identity = nil
	c.dlmu.Unlock()
	c.wmu.Unlock()
	c.fr.Reset(c.raw, &c.rd)
	return true
}

// awaitEnd reads, within CloseTimeout, until the client's End record,
// discarding envelopes the client had in flight when we closed our output.
func (c *conn) awaitEnd() bool {
	if _, err := c.beginIO(dirRead, time.Now().Add(c.opts.CloseTimeout), false, nil); err != nil {
		return false
	}
	defer c.endIO(dirRead, nil)
	for {
		t, err := c.fr.ReadRecordType()
		if err != nil {
			return false
		}
		switch t {
		case recEnd:
			return true
		case recSizedEnvelope:
			if c.fr.DiscardEnvelope() != nil {
				return false
			}
		default:
			return false
		}
	}
}

// awaitReuse waits (IdleTimeout, or until Drain or Shutdown) for the next
// byte after a cleanly closed session: a Version record starts a new session
// on the same connection (a .NET client's pooled connection); EOF or anything
// else closes.
func (c *conn) awaitReuse() bool {
	if _, err := c.beginIO(dirRead, time.Now().Add(c.opts.IdleTimeout), true, nil); err != nil {
		return false
	}
	// Checked and flagged under dlmu, which interruptReuseWait takes after
	// Drain has set the draining state: either this sees the drain, or the
	// drain sees the flag. (No per-call context watcher: it would cost
	// allocations on every reused session.)
	c.dlmu.Lock()
	if c.srv.Draining() {
		c.dlmu.Unlock()
		c.endIO(dirRead, nil)
		return false
	}
	c.reuseWait = true
	c.dlmu.Unlock()
	err := c.awaitRecord() // an idle connection holds no read buffer either
	var t RecordType
	if err == nil {
		t, err = c.fr.PeekRecordType()
	}
	c.dlmu.Lock()
	c.reuseWait = false
	c.dlmu.Unlock()
	c.endIO(dirRead, nil)
	return err == nil && t == recVersion
}
