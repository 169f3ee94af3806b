package bind

import (
	"context"
	"fmt"
	"sync"

	"github.com/ipamd/ipamd/duplex/nmf"
	"github.com/ipamd/ipamd/sessions"
	"github.com/ipamd/ipamd/soap"
)

// NetTCP is the nmf.Router of m's ports: the Via's path selects the port
// type, and the endpoint takes the binary session, binary and SOAP 1.2
// text encodings.
func NetTCP(m *sessions.Manager) nmf.Router { return netTCPRouter{m} }

type netTCPRouter struct{ m *sessions.Manager }

// Route implements nmf.Router.
func (r netTCPRouter) Route(p *nmf.Preamble) (nmf.SessionHandler, error) {
	lim := r.m.Options().Limits // the Via is echoed within the sessions' echo bound
	port := r.m.Port(p.ViaPath)
	if port == nil {
		return nil, &nmf.FaultError{URI: nmf.FaultEndpointNotFound, Err: fmt.Errorf("no endpoint at %q", lim.Echo(p.ViaPath))}
	}
	if _, ok := soapEncoding(p.Encoding); !ok {
		return nil, &nmf.FaultError{URI: nmf.FaultContentTypeInvalid,
			Err: fmt.Errorf("encoding 0x%02x (%q) is not supported", byte(p.Encoding), lim.Echo(p.ContentType))}
	}
	return netTCPPort{port}, nil
}

// netTCPPort serves a port type's net.tcp sessions.
type netTCPPort struct{ p *sessions.Port }

// ServeSession implements nmf.SessionHandler.
func (h netTCPPort) ServeSession(ctx context.Context, ns *nmf.Session) error {
	enc, _ := soapEncoding(ns.Preamble().Encoding)
	opts := h.p.Options() // the session logs the Via (Peer), no logger per session here
	t := &netTCP{ns: ns, nctx: ctx, codec: soap.NewCodec(enc, opts.Limits)}
	err := h.p.Serve(ctx, t, opts)
	// What the last message's handling wrote may still be held (see
	// Receive): it goes out before the framing layer ends the session.
	if ferr := ns.Flush(context.Background()); ferr != nil && err == nil {
		err = ferr
	}
	return err
}

// soapEncoding is the SOAP encoding of a preamble's: binary session,
// binary or SOAP 1.2 text (SOAP 1.1 is HTTP's only).
func soapEncoding(e nmf.Encoding) (soap.Encoding, bool) {
	enc, ok := soap.EncodingForContentType(e.ContentType())
	return enc, ok && enc.EnvelopeNamespace() == soap.NSEnvelope
}

// netTCP is a session on one MC-NMF framing session. The codec is the
// session's (binary session encoding: its inbound string table); replies,
// faults and callbacks share the connection, in order. Every write is
// bounded by nmf's write timeout and the connection's lifetime, so Send
// adds no deadline of its own (it cost a timer and a watcher per message).
type netTCP struct {
	ns *nmf.Session
	// nctx is the framing session's (ServeSession's): nmf watches it once
	// per connection. Reads and waits run under it rather than the
	// session's context (a child of it) that Await and Receive are given:
	// that one ends apart from it only together with Abort, which
	// interrupts a read anyway, or once Serve returns (sessions.Transport).
	// So a held session keeps no context watcher of its own while it
	// waits, and a read costs none.
	nctx  context.Context
	codec *soap.Codec
}

// encodeBufs lends net.tcp's encode buffers: a message is encoded into
// one and written (nmf copies it into its record, or has written it when
// WriteMessage returns), so a held session keeps none.
var encodeBufs = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledEncode bounds the encode buffers kept: a large answer's is
// dropped, not pooled.
const maxPooledEncode = 64 << 10

// Receive flushes what the previous message's handling held, reads the
// next message and corks the connection: the records written while the
// session handles it — the reply, or Notify…Start, Notify…Complete and End
// when the work fails at once — leave in one write, at the next Receive
// (handling never waits for the client, so nothing is held longer than the
// handling takes).
func (t *netTCP) Receive(ctx context.Context) (*soap.Envelope, error) {
	// nmf bounds the write itself: no context to watch.
	if err := t.ns.Flush(context.Background()); err != nil {
		return nil, fmt.Errorf("nmf: flushing held records: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("nmf: read message: %w", err)
	}
	payload, err := t.ns.ReadMessage(t.nctx)
	if err != nil {
		return nil, err
	}
	t.ns.Cork() // before decoding: a malformed message's fault and End leave together too
	return t.codec.Decode(payload)
}

// Await implements sessions.Transport: it flushes what the previous
// message's handling held and waits for the client's next message on the
// raw socket (nmf.Session.AwaitMessage). The previous message is handled:
// the codec's reader goes back to its pool while the session waits
// (soap.Codec.Idle). It reports false when what came is no envelope (the
// client's End, a failure): receiving that decodes nothing, so the
// session receives it on its own goroutine.
func (t *netTCP) Await(ctx context.Context) bool {
	if t.ns.Flush(context.Background()) != nil {
		return false // Receive flushes again and reports it
	}
	if ctx.Err() != nil {
		return false // Receive reports it
	}
	t.codec.Idle()
	return t.ns.AwaitMessage(t.nctx)
}

// Send implements sessions.Transport; a one-way message needs no answer.
// The last message goes out with our End record in one write; a flush
// writes what the Cork holds now.
func (t *netTCP) Send(_ context.Context, m sessions.Outgoing) error {
	switch m.Kind {
	case sessions.KindAccepted:
		return nil
	case sessions.KindFlush:
		return t.ns.Flush(context.Background())
	}
	box := encodeBufs.Get().(*[]byte)
	out, err := t.codec.Encode((*box)[:0], &m.Header, m.Body)
	switch {
	case err != nil:
	case m.Last:
		err = t.ns.WriteFinalMessage(context.Background(), out)
	default:
		err = t.ns.WriteMessage(context.Background(), out)
	}
	if cap(out) <= maxPooledEncode {
		*box = out[:0]
		encodeBufs.Put(box)
	}
	return err
}

// Close sends our End record.
func (t *netTCP) Close(ctx context.Context) error { return t.ns.CloseOutput(ctx) }

// Abort closes the connection at once.
func (t *netTCP) Abort() { t.ns.Abort() }

// Peer implements sessions.Transport.
func (t *netTCP) Peer() sessions.Peer {
	p := t.ns.Preamble()
	return sessions.Peer{Transport: sessions.TransportNetTCP, Addr: t.ns.RemoteAddr(), Via: p.Via, Identity: p.Identity}
}
