package sessions

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"

	"github.com/ipamd/ipamd/duplex/security"
	"github.com/ipamd/ipamd/soap"
)

// memTransport is a whole Transport in memory, as small as a third
// transport's binding can be: the test writes client payloads into in and
// reads the server's payloads from out; closing in is the client's End.
// It decodes and encodes with one codec, as a framing transport does.
type memTransport struct {
	in       chan []byte
	out      chan []byte
	codec    *soap.Codec
	peer     Peer
	buf      []byte
	mu       sync.Mutex
	outEnded bool
	aborted  chan struct{}
	once     sync.Once
}

var _ Transport = (*memTransport)(nil)

// newMemTransport is a loopback client speaking enc; id nil: security none.
func newMemTransport(enc soap.Encoding, lim soap.Limits, id *security.Identity) *memTransport {
	return &memTransport{in: make(chan []byte, 16), out: make(chan []byte, 64), aborted: make(chan struct{}),
		codec: soap.NewCodec(enc, lim),
		peer:  Peer{Transport: "memory", Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}, Identity: id}}
}

func (c *memTransport) Receive(ctx context.Context) (*soap.Envelope, error) {
	select {
	case p, ok := <-c.in:
		if !ok {
			return nil, io.EOF
		}
		return c.codec.Decode(p)
	case <-c.aborted:
		return nil, errors.New("aborted")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *memTransport) Send(_ context.Context, m Outgoing) error {
	if m.Kind == KindAccepted {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.outEnded {
		return errors.New("output closed")
	}
	p, err := c.codec.Encode(c.buf[:0], &m.Header, m.Body)
	if err != nil {
		return err
	}
	c.buf = p
	c.out <- append([]byte(nil), p...)
	return nil
}

func (c *memTransport) Close(context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.outEnded {
		c.outEnded = true
		close(c.out)
	}
	return nil
}

func (c *memTransport) Abort()     { c.once.Do(func() { close(c.aborted) }) }
func (c *memTransport) Peer() Peer { return c.peer }

func (*memTransport) Await(context.Context) bool { return false }
