package bind

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/ipamd/ipamd/duplex/soaphttp"
	"github.com/ipamd/ipamd/sessions"
	"github.com/ipamd/ipamd/soap"
)

// HTTP is the soaphttp.Router of m's ports: the request path selects the
// port type, as the Via does on net.tcp.
func HTTP(m *sessions.Manager) soaphttp.Router { return httpRouter{m} }

type httpRouter struct{ m *sessions.Manager }

// RouteHTTP implements soaphttp.Router. The handler is a value holding the
// port, so the same path yields an equal handler (soaphttp keys its
// sessions by handler and id).
func (r httpRouter) RouteHTTP(path string) (soaphttp.SessionHandler, bool) {
	port := r.m.Port(path)
	if port == nil {
		return nil, false
	}
	return httpPort{port}, true
}

// httpPort serves a port type's HTTP sessions.
type httpPort struct{ p *sessions.Port }

// ServeSession implements soaphttp.SessionHandler.
func (h httpPort) ServeSession(ctx context.Context, hs *soaphttp.Session) error {
	opts := h.p.Options()
	opts.Logger = opts.Logger.WithLazy(zap.String("reply_to", hs.ReplyTo()), zap.String("http_session_id", hs.LogID()))
	t := &httpTransport{hs: hs, codec: soap.NewCodec(hs.Encoding(), opts.Limits), writeTimeout: opts.WriteTimeout}
	return h.p.Serve(ctx, t, opts)
}

// httpTransport is a session over SOAP/HTTP: replies and faults answer the
// request in hand (a fault with the status SOAP's HTTP binding gives it),
// a one-way request is answered 202 at once, callbacks are POSTed to the
// client's a:ReplyTo. Requests arrive decoded (the server read their
// headers to find the session); the codec here only encodes.
type httpTransport struct {
	hs    *soaphttp.Session
	codec *soap.Codec
	out   []byte // encode buffer; Sends are serialised by the session
	// writeTimeout bounds one callback's delivery, retries included;
	// answering a request only hands the bytes to its waiting handler.
	writeTimeout time.Duration
}

// Await implements sessions.Transport: an HTTP session's messages come
// from the listener's handlers, Receive waits for them.
func (*httpTransport) Await(context.Context) bool { return false }

// Receive implements sessions.Transport.
func (t *httpTransport) Receive(ctx context.Context) (*soap.Envelope, error) {
	return t.hs.ReadEnvelope(ctx)
}

// Send implements sessions.Transport.
func (t *httpTransport) Send(ctx context.Context, m sessions.Outgoing) error {
	switch m.Kind {
	case sessions.KindAccepted:
		t.hs.AcceptOneWay()
		return nil
	case sessions.KindFlush:
		return nil // each message is a request or a POST of its own: nothing is held
	case sessions.KindCallback:
		t.hs.AddressCallback(&m.Header)
	default:
		t.hs.AddressReply(&m.Header)
	}
	out, err := t.codec.Encode(t.out[:0], &m.Header, m.Body)
	if err != nil {
		return err
	}
	t.out = out
	switch m.Kind {
	case sessions.KindCallback:
		ctx, cancel := context.WithTimeout(ctx, t.writeTimeout)
		defer cancel()
		return t.hs.WriteCallback(ctx, m.Header.Action, out)
	case sessions.KindFault:
		return t.hs.WriteFault(ctx, out, m.Fault)
	}
	return t.hs.WriteMessage(ctx, out)
}

// Close ends the session: Receive returns io.EOF, the ReplyTo is free.
func (t *httpTransport) Close(ctx context.Context) error { return t.hs.CloseOutput(ctx) }

// Abort ends the session at once; callback deliveries under way stop.
func (t *httpTransport) Abort() { t.hs.Abort() }

// Peer implements sessions.Transport: the caller of the request that
// started the session; the client's callback listener acknowledges each
// callback.
func (t *httpTransport) Peer() sessions.Peer {
	return sessions.Peer{Transport: sessions.TransportHTTP, Addr: t.hs.RemoteAddr(), Identity: t.hs.Identity(), AcksCallbacks: true}
}
