package nmf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync/atomic"
	"time"
)

// Session is one framing session: the records between a client's preamble
// and the End records of both sides. Reads belong to the goroutine running
// ServeSession (one ReadMessage at a time); WriteMessage, CloseOutput, Fault
// and Abort may be called from any goroutine.
type Session struct {
	c        *conn
	ctx      context.Context
	preamble *Preamble

	// Reader state: the ReadMessage caller only.
	rerr     error // sticky read error (io.EOF after End)
	inClosed bool  // client's End received

	// Writer state, guarded by c.wmu.
	outClosed bool
	faulted   bool
	// peerEnded: the client's End was read. Only our End may follow it (a
	// .NET client in Close() expects End, not a message), so WriteMessage
	// refuses from then on. Set under c.wmu by the reader, so a write that
	// started before the End was read is the only one that can precede it.
	peerEnded bool

	ended atomic.Bool // ServeSession returned; Abort no longer applies
}

func newSession(c *conn, ctx context.Context, p *Preamble) *Session {
	return &Session{c: c, ctx: ctx, preamble: p}
}

// Preamble returns the decoded preamble of this session.
func (s *Session) Preamble() *Preamble { return s.preamble }

// RemoteAddr is the client's address.
func (s *Session) RemoteAddr() net.Addr { return s.c.raw.RemoteAddr() }

// LocalAddr is the server address the client connected to.
func (s *Session) LocalAddr() net.Addr { return s.c.raw.LocalAddr() }

// callCtx returns ctx if it needs its own watcher, nil if the connection's
// watcher already covers it (the session context is only ever cancelled
// with the connection's, or once ServeSession has returned).
func (s *Session) callCtx(ctx context.Context) context.Context {
	if ctx == s.ctx || ctx.Done() == nil {
		return nil
	}
	return ctx
}

// ReadMessage returns the payload of the next Sized Envelope record. The
// slice is only valid until the next ReadMessage: the buffer is reused and
// grows up to Options.MaxMessageSize.
//
// io.EOF means the client sent its End record (input closed; our output may
// still be open). A record that is not allowed in a duplex session makes the
// server send a Fault record (which closes our output) and yields a
// *FaultError:
//
//	Sized Envelope larger than MaxMessageSize   → MaxMessageSizeExceededFault
//	Unsized Envelope (singleton/streamed modes)  → UnsupportedMode
//	any other record type                        → UnsupportedMode
//
// If no complete record arrives within Options.IdleTimeout the connection is
// aborted and the error wraps ErrIdleTimeout. If ctx is done before a record
// starts the error wraps ctx.Err() and the session stays usable; if it
// interrupts a record half-read, the session can no longer be read.
func (s *Session) ReadMessage(ctx context.Context) ([]byte, error) {
	if s.rerr != nil {
		return nil, s.rerr
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("nmf: read message: %w", err)
	}
	c := s.c
	if c.corked.Load() {
		// Never wait for the client while holding what it waits for.
		if err := s.Flush(ctx); err != nil {
			return nil, fmt.Errorf("nmf: read message: flushing held records: %w", err)
		}
	}
	deadline := keepDeadline // AwaitMessage's wait has set it: one IdleTimeout for the wait and the record
	if !c.ready {
		deadline = time.Now().Add(c.opts.IdleTimeout)
	}
	stop, err := c.beginIO(dirRead, deadline, true, s.callCtx(ctx))
	if err != nil {
		return nil, fmt.Errorf("nmf: read message: %w", err)
	}
	p, err := s.readRecord(ctx)
	c.endIO(dirRead, stop)
	return p, err
}

// AwaitMessage waits, as ReadMessage would (IdleTimeout, ctx, the
// connection's lifetime), until the client's next record has begun to
// arrive, holding no read or envelope buffer while it waits (idle.go).
// Held records are flushed first. A failed wait is what the next
// ReadMessage returns; a connection that cannot wait this way returns at
// once and ReadMessage waits. The caller may then read on another
// goroutine: ReadMessage calls must not overlap, nothing more.
//
// It reports whether what comes is an envelope (or may be: the
// connection could not wait, or could not tell). False means the next
// ReadMessage needs no decoding after it — the client's End, its EOF, a
// failed wait, a record that is not allowed — so a caller that reads
// envelopes on another goroutine (for the stack that decoding grows) can
// read this one where it is, without the two hand-offs. To
// tell, it reads the record's type byte with the read ReadMessage would
// make anyway: after the raw socket's wait, or as the wait itself where
// the socket offers none (then under the same deadline and interruptions);
// on an upgraded stream only from what is buffered.
func (s *Session) AwaitMessage(ctx context.Context) (envelope bool) {
	if s.rerr != nil || ctx.Err() != nil {
		return s.rerr == nil
	}
	c := s.c
	if c.corked.Load() {
		if s.Flush(ctx) != nil {
			return false
		}
	}
	stop, err := c.beginIO(dirRead, time.Now().Add(c.opts.IdleTimeout), true, s.callCtx(ctx))
	if err != nil {
		return true // ReadMessage waits and reports
	}
	raw := c.fr.Buffered() == 0 && c.nc == c.raw && !c.upgraded
	err = c.awaitRecord()
	envelope = true
	if err == nil && (raw || c.fr.Buffered() > 0) {
		envelope = c.peekEnvelope()
	}
	c.endIO(dirRead, stop)
	c.ready = err == nil
	if err != nil {
		_ = s.readFailed(ctx, err, false) // sticky unless ctx interrupted it
		return false
	}
	return envelope
}

// peekEnvelope reports whether the next record is a Sized Envelope,
// reading its first byte if it is not buffered. A failed read is kept as
// the next read's answer (rawReader.pending), so it costs no second
// system call; false then too.
func (c *conn) peekEnvelope() bool {
	t, err := c.fr.PeekRecordType()
	if err != nil {
		if c.fr.Buffered() == 0 && c.nc == c.raw {
			c.rd.pending = err
		}
		return false
	}
	return t == recSizedEnvelope
}

func (s *Session) readRecord(ctx context.Context) ([]byte, error) {
	c := s.c
	if err := c.awaitRecord(); err != nil { // the buffers are lent while it waits
		return nil, s.readFailed(ctx, err, false)
	}
	t, err := c.fr.ReadRecordType()
	if err != nil {
		return nil, s.readFailed(ctx, err, false)
	}
	switch t {
	case recSizedEnvelope:
		// The Framer checks the size against MaxMessageSize before it
		// reads or allocates for the payload.
		buf, err := c.fr.ReadEnvelope()
		if errors.Is(err, ErrMessageTooLarge) {
			return nil, s.protocolFault(FaultMaxMessageSizeExceeded, "%w", err)
		}
		if err != nil {
			return nil, s.readFailed(ctx, err, true)
		}
		return buf, nil
	case recEnd:
		s.inClosed = true
		s.rerr = io.EOF
		c.wmu.Lock()
		s.peerEnded = true
		c.wmu.Unlock()
		return nil, io.EOF
	case recUnsizedEnvelope:
		return nil, s.protocolFault(FaultUnsupportedMode, "unsized envelope record in a duplex session")
	default:
		return nil, s.protocolFault(FaultUnsupportedMode, "unexpected record type 0x%02x in a duplex session", byte(t))
	}
}

// readFailed classifies a read error. midRecord: part of a record was
// consumed, so the stream can no longer be parsed.
func (s *Session) readFailed(ctx context.Context, err error, midRecord bool) error {
	c := s.c
	var e error
	sticky := true
	switch {
	case c.aborted.Load():
		e = fmt.Errorf("nmf: read message: %w", ErrAborted)
	case ctx.Err() != nil || c.ctx.Err() != nil:
		cerr := ctx.Err()
		if cerr == nil {
			cerr = c.ctx.Err()
		}
		e = fmt.Errorf("nmf: read message: %w", cerr)
		sticky = midRecord
	case errors.Is(err, os.ErrDeadlineExceeded):
		c.abort()
		e = fmt.Errorf("nmf: read message: no record for %v: %w", c.opts.IdleTimeout, ErrIdleTimeout)
	case err == io.EOF && !midRecord:
		e = fmt.Errorf("nmf: read message: %w: %w", errNoEnd, io.ErrUnexpectedEOF)
	case err == io.EOF:
		e = fmt.Errorf("nmf: read message: truncated record: %w", io.ErrUnexpectedEOF)
	default:
		e = fmt.Errorf("nmf: read message: %w", err)
	}
	if sticky {
		c.broken.Store(true)
		s.rerr = e
	}
	return e
}

// protocolFault answers a framing violation with a Fault record (if our
// output is still open) and makes the error sticky.
func (s *Session) protocolFault(uri, format string, args ...any) error {
	fe := newFault(uri, format, args...)
	s.rerr = fe
	c := s.c
	c.broken.Store(true)
	c.wmu.Lock()
	if !s.outClosed {
		s.outClosed = true
		s.faulted = true
		c.faultURI.Store(&fe.URI)
		_ = c.emitLocked(AppendFault(c.uncorkLocked(), uri), false, nil)
	}
	c.wmu.Unlock()
	return fe
}

// copyLimit: payloads up to this size are copied next to the record header
// and written with one Write; larger ones go out as two buffers.
const copyLimit = 64 << 10

// WriteMessage writes payload as one Sized Envelope record. Records are
// written whole under a per-connection lock, so replies and callbacks from
// different goroutines interleave safely. It fails with ErrOutputClosed after
// CloseOutput, Fault, or once ServeSession has returned, and with
// ErrPeerEnded once the client's End was read. A write that fails or
// is interrupted (ctx, WriteTimeout) aborts the connection, since part of the
// record may be on the wire.
func (s *Session) WriteMessage(ctx context.Context, payload []byte) error {
	if len(payload) > maxMB31 {
		return fmt.Errorf("nmf: write message: payload of %d bytes too large for a record", len(payload))
	}
	c := s.c
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := s.writableLocked(ctx); err != nil {
		return err
	}
	b := appendEnvelopeHeader(c.recordBufLocked(), len(payload))
	var err error
	if len(payload) <= copyLimit {
		err = c.emitLocked(append(b, payload...), true, s.callCtx(ctx))
	} else {
		// Too large to copy: written at once, with any held records.
		err = c.writeBuffersLocked(b, payload, s.callCtx(ctx))
		c.resetBufLocked(b)
	}
	if err != nil {
		s.outClosed = true
	}
	return err
}

// writableLocked says why a message may not be written now, if it may not.
func (s *Session) writableLocked(ctx context.Context) error {
	if s.outClosed {
		return ErrOutputClosed
	}
	if s.peerEnded {
		return ErrPeerEnded
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("nmf: write message: %w", err)
	}
	return nil
}

// WriteFinalMessage writes payload as one Sized Envelope record followed
// by our End record, in one write with whatever a Cork holds: the last
// message of a session (Notify…Complete) and the End that must follow it
// leave together, one write fewer per session. Our output is closed afterwards, as by
// CloseOutput. Errors as WriteMessage's.
func (s *Session) WriteFinalMessage(ctx context.Context, payload []byte) error {
	if len(payload) > copyLimit {
		// Not copied (WriteMessage): the End goes in a write of its own.
		if err := s.WriteMessage(ctx, payload); err != nil {
			return err
		}
		return s.CloseOutput(ctx)
	}
	c := s.c
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := s.writableLocked(ctx); err != nil {
		return err
	}
	s.outClosed = true
	b := appendEnvelopeHeader(c.uncorkLocked(), len(payload))
	return c.emitLocked(append(append(b, payload...), recEnd), true, s.callCtx(ctx))
}

// Cork holds the records written from now on (WriteMessage, CloseOutput) in
// the connection's buffer until Flush, so that what one request produces —
// a reply, or Notify…Start, Notify…Complete and End when the work fails at
// once — leaves in one write instead of one each (the syscalls were the
// largest cost of a whole session). Flush must follow before the caller
// waits for the client; ReadMessage flushes held records itself. Faults are
// never held. Errors of held writes surface at Flush.
func (s *Session) Cork() {
	c := s.c
	c.wmu.Lock()
	if !s.outClosed {
		c.corked.Store(true)
	}
	c.wmu.Unlock()
}

// Flush ends a Cork and writes the held records in one write. A failed write
// aborts the connection, as for WriteMessage.
func (s *Session) Flush(ctx context.Context) error {
	c := s.c
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if !c.corked.Load() {
		return nil
	}
	held := c.uncorkLocked()
	if len(held) == 0 {
		return nil
	}
	err := c.emitLocked(held, true, s.callCtx(ctx))
	if err != nil {
		s.outClosed = true
	}
	return err
}

// CloseOutput sends our End record once; later calls return nil. Messages
// can still be read afterwards until the client's End. The End is the last
// record, so it is not held: it leaves at once, with what a Cork holds.
func (s *Session) CloseOutput(ctx context.Context) error {
	c := s.c
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if s.outClosed {
		return nil
	}
	s.outClosed = true
	return c.emitLocked(append(c.uncorkLocked(), recEnd), true, s.callCtx(ctx))
}

// Fault sends a Fault record with uri (a FaultBase URI; at most 256 bytes,
// what a .NET client reads) followed by End, and closes our output. The
// connection is closed after ServeSession returns: no reuse.
func (s *Session) Fault(ctx context.Context, uri string) error {
	if err := validFaultURI(uri); err != nil {
		return err
	}
	c := s.c
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if s.outClosed {
		return ErrOutputClosed
	}
	s.outClosed = true
	s.faulted = true
	c.broken.Store(true)
	c.faultURI.Store(&uri)
	return c.emitLocked(AppendFault(c.uncorkLocked(), uri), true, s.callCtx(ctx))
}

// Abort closes the connection at once (no End, no reuse). A blocked
// ReadMessage returns an error wrapping ErrAborted. It does nothing once
// ServeSession has returned, so a stale Session cannot kill a later session
// on a reused connection.
func (s *Session) Abort() {
	if s.ended.Load() {
		return
	}
	s.c.abort()
}
