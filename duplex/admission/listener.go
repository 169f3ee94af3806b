package admission

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// RefuseFunc writes a refused connection's protocol answer (an HTTP 503, a
// framing fault) to c. It must bound its own writes; the connection is
// drained briefly and closed after it returns.
type RefuseFunc func(c net.Conn, why Reason)

// MaxRefusing caps the connections being answered with a refusal at the
// same time (each lives up to refuseTimeout); beyond it a refused
// connection is closed without an answer, so a flood of refusals costs a
// bounded number of goroutines.
const MaxRefusing = 256

// refuseTimeout bounds the write of a refusal and, again, the drain of the
// client's bytes after it (so the close does not become a reset that
// destroys the answer before the client reads it).
const refuseTimeout = time.Second

// maxRefuseDrain is the most read and dropped from a refused connection.
const maxRefuseDrain = 64 << 10

// Listener applies a Limiter to the connections a net.Listener accepts:
// Accept returns only admitted connections, whose Close releases their
// slot; refused ones are answered with refuse (if not nil) in a goroutine of
// their own and closed.
type Listener struct {
	net.Listener
	lim      *Limiter
	refuse   RefuseFunc
	refusing atomic.Int64
	wg       sync.WaitGroup
}

// NewListener wraps ln.
func NewListener(ln net.Listener, lim *Limiter, refuse RefuseFunc) *Listener {
	return &Listener{Listener: ln, lim: lim, refuse: refuse}
}

// Accept waits for the next admitted connection.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		t, why := l.lim.Acquire(c.RemoteAddr())
		if why == Admitted {
			return &conn{Conn: c, t: t}, nil
		}
		if l.refuse == nil || l.refusing.Load() >= MaxRefusing {
			_ = c.Close()
			continue
		}
		l.refusing.Add(1)
		l.wg.Add(1)
		go l.answer(c, why)
	}
}

func (l *Listener) answer(c net.Conn, why Reason) {
	defer l.wg.Done()
	defer l.refusing.Add(-1)
	defer c.Close()
	_ = c.SetWriteDeadline(time.Now().Add(refuseTimeout))
	l.refuse(c, why)
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	_ = c.SetReadDeadline(time.Now().Add(refuseTimeout))
	_, _ = io.CopyN(io.Discard, c, maxRefuseDrain)
}

// WaitRefusals waits for the refusals under way (each ends within about
// two seconds); for an orderly stop after Close.
func (l *Listener) WaitRefusals() { l.wg.Wait() }

// conn is an admitted connection; Close releases its slot once.
type conn struct {
	net.Conn
	t    Ticket
	once sync.Once
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.t.Release)
	return err
}

// CloseWrite half-closes when the connection can (net/http uses it for a
// graceful close).
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
