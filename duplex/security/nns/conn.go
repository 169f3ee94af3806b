package nns

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"

	"github.com/ipamd/ipamd/duplex/security"
)

// Protector protects data-phase frames: Wrap is GSS_Wrap (sign and
// encrypt), Unwrap its inverse that fails on tampering, replay or
// reordering. Wrap and Unwrap may run concurrently with each other, never
// with themselves.
type Protector interface {
	Wrap(plain []byte) ([]byte, error)
	Unwrap(token []byte) ([]byte, error)
}

// Conn is a NegotiateStream in its data phase.
type Conn struct {
	net.Conn
	p  Protector
	id *security.Identity

	rmu  sync.Mutex
	rbuf []byte // unread plaintext of the last frame
	rerr error  // sticky: a bad frame poisons the stream

	wmu  sync.Mutex
	werr error
}

// NewConn starts the data phase on nc with p; id is reported by
// PeerIdentity (nil on the client side).
func NewConn(nc net.Conn, p Protector, id *security.Identity) *Conn {
	return &Conn{Conn: nc, p: p, id: id}
}

// PeerIdentity implements security.Authenticated.
func (c *Conn) PeerIdentity() *security.Identity { return c.id }

// Read returns plaintext from the next data frames.
func (c *Conn) Read(b []byte) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	for len(c.rbuf) == 0 {
		if c.rerr != nil {
			return 0, c.rerr
		}
		c.rbuf, c.rerr = c.readFrame()
	}
	n := copy(b, c.rbuf)
	c.rbuf = c.rbuf[n:]
	return n, nil
}

func (c *Conn) readFrame() ([]byte, error) {
	var h [4]byte
	if _, err := io.ReadFull(c.Conn, h[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("nns: truncated frame header: %w", err)
		}
		return nil, err // io.EOF between frames is a clean end
	}
	n := binary.LittleEndian.Uint32(h[:])
	if n == 0 || n > MaxFrameSize {
		return nil, fmt.Errorf("%w: data frame of %d bytes", ErrMalformed, n)
	}
	tok := make([]byte, n)
	if _, err := io.ReadFull(c.Conn, tok); err != nil {
		return nil, fmt.Errorf("nns: read data frame: %w", err)
	}
	plain, err := c.p.Unwrap(tok)
	if err != nil {
		return nil, fmt.Errorf("nns: unwrap data frame: %w", err)
	}
	return plain, nil
}

// Write sends b in frames of at most MaxPlaintextChunk plaintext bytes.
// After a failed write the stream state is unknown and every later write
// fails.
func (c *Conn) Write(b []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.werr != nil {
		return 0, c.werr
	}
	written := 0
	for len(b) > 0 {
		chunk := b[:min(len(b), MaxPlaintextChunk)]
		tok, err := c.p.Wrap(chunk)
		if err != nil {
			c.werr = fmt.Errorf("nns: wrap: %w", err)
			return written, c.werr
		}
		frame := binary.LittleEndian.AppendUint32(make([]byte, 0, 4+len(tok)), uint32(len(tok)))
		frame = append(frame, tok...)
		if _, err := c.Conn.Write(frame); err != nil {
			c.werr = err
			return written, err
		}
		written += len(chunk)
		b = b[len(chunk):]
	}
	return written, nil
}

// Idle reports that every frame received has been read to its end and none
// failed: the next byte on the underlying connection is not ours. The
// framing layer then reuses the socket for a new session (nmf.RawReusable),
// as .NET does with a pooled connection.
func (c *Conn) Idle() bool {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	return len(c.rbuf) == 0 && c.rerr == nil
}

// CloseWrite half-closes the underlying connection when it can.
func (c *Conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
