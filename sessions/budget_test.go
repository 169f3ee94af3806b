package sessions

import (
	"context"
	"io"
	"net"
	"testing"

	"go.uber.org/zap"

	"github.com/ipamd/ipamd/internal/allocbudget"
	"github.com/ipamd/ipamd/services"
	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// discardTransport is a Transport that decodes and encodes as a framing
// transport does but whose writes go nowhere: the budgets measure the
// session (decode, state machine, dispatch, reply encode), not a transport.
type discardTransport struct {
	codec *soap.Codec
	out   []byte
}

func newDiscardTransport(enc soap.Encoding) *discardTransport {
	return &discardTransport{codec: soap.NewCodec(enc, soap.Limits{})}
}

// receive decodes p as the transport's Receive would have.
func (t *discardTransport) receive(tb testing.TB, p []byte) *soap.Envelope {
	env, err := t.codec.Decode(p)
	if err != nil {
		tb.Fatal(err)
	}
	return env
}

func (*discardTransport) Receive(context.Context) (*soap.Envelope, error) { return nil, io.EOF }
func (t *discardTransport) Send(_ context.Context, m Outgoing) error {
	if m.Kind == KindAccepted {
		return nil
	}
	out, err := t.codec.Encode(t.out[:0], &m.Header, m.Body)
	t.out = out
	return err
}
func (*discardTransport) Close(context.Context) error { return nil }
func (*discardTransport) Abort()                      {}
func (*discardTransport) Peer() Peer                  { return discardPeer }
func (*discardTransport) Await(context.Context) bool  { return false }

var discardPeer = Peer{Transport: TransportNetTCP, Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}}

// clientMessages encodes the client's messages of one session in the binary
// session encoding, as a WCF client sends them: the first carries the
// session's string table, later ones reuse it.
func clientMessages(tb testing.TB, msgs ...clientMessage) [][]byte {
	tb.Helper()
	c := soap.NewCodec(soap.EncodingBinarySession, soap.Limits{})
	var out [][]byte
	for _, m := range msgs {
		p, err := c.Encode(nil, &m.h, m.body)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// clientMessage is one message a client sends: its headers and body.
type clientMessage struct {
	h    soap.Header
	body soap.BodyWriter
}

var (
	initializeMessage = clientMessage{soap.Header{Action: ipam.ActionInitializeAsyncProvisioning, To: "net.tcp://127.0.0.1/ipam/IIpamAsyncProvision",
		MessageID: "urn:uuid:36e421b5-55c2-4563-8319-e840d9fee760", ReplyTo: soap.AddressAnonymous}, initRequest()}
	keepaliveMessage = clientMessage{soap.Header{Action: ipam.ActionKeepalive, To: "net.tcp://127.0.0.1/ipam/IIpamAsyncProvision"}, nil}
)

// perMessage lists what a session does per message, with its allocation
// budget (see internal/allocbudget).
var perMessage = []allocbudget.Case{
	// A Keepalive on a running session: decode, and the dispatch that
	// accepts and ignores it (2.2.2.2).
	{Name: "DispatchKeepalive", Budget: 3, Setup: func(tb testing.TB) func(testing.TB) {
		tr := newDiscardTransport(soap.EncodingBinarySession)
		s := newSession(context.Background(), provisionBinding(services.NewMemory(true, false), 0, ""), tr, Options{Logger: zap.NewNop()})
		msgs := clientMessages(tb, initializeMessage, keepaliveMessage)
		if err := s.handle(tr.receive(tb, msgs[0])); err != nil {
			tb.Fatal(err)
		}
		return func(tb testing.TB) {
			if err := s.handle(tr.receive(tb, msgs[1])); err != nil {
				tb.Fatal(err)
			}
		}
	}},
	// A new session's Initialize: the session itself (codec, state,
	// service session), decoding the request, the state machine, the
	// service's validation and the encoded reply (from its template: one
	// buffer of the reply's size, where the encoder grew it; 41 → 37).
	{Name: "NewSessionInitialize", Budget: 40, Setup: func(tb testing.TB) func(testing.TB) {
		b := provisionBinding(services.NewMemory(true, false), 0, "")
		msgs := clientMessages(tb, initializeMessage)
		opts := Options{Logger: zap.NewNop()}
		return func(tb testing.TB) {
			tr := newDiscardTransport(soap.EncodingBinarySession)
			s := newSession(context.Background(), b, tr, opts)
			if err := s.handle(tr.receive(tb, msgs[0])); err != nil {
				tb.Fatal(err)
			}
			if st := s.State(); st != Initialized {
				tb.Fatalf("state %v after Initialize", st)
			}
			s.cancel()
		}
	}},
}

// BenchmarkPerMessage: go test -run '^$' -bench PerMessage -benchmem ./sessions
func BenchmarkPerMessage(b *testing.B) { allocbudget.Bench(b, perMessage) }

func TestAllocBudgets(t *testing.T) { allocbudget.Check(t, perMessage) }
