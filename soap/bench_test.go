package soap

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"testing"

	"github.com/ipamd/ipamd/internal/allocbudget"
	"github.com/ipamd/ipamd/soap/nbfx"
)

// perMessage lists what the codec does once per message on a session, with
// its allocation budget (see internal/allocbudget).
var perMessage = []allocbudget.Case{
	// The Mono InitializeAsyncProvisioning request (binary session) decoded
	// up to the body's first element. The session table arrived with an
	// earlier message (steady state), so the payload has an empty table;
	// what allocates is the header text that is not a dictionary string
	// (MessageID, ReplyTo) and the envelope.
	{Name: "DecodeHeaders", Budget: 5, Setup: func(tb testing.TB) func(testing.TB) {
		first := readFile(tb, "capture/A_c2s_01.bin")
		n, err := nbfx.NewReaderSession(0).ReadStringTable(first)
		if err != nil {
			tb.Fatal(err)
		}
		payload := append([]byte{0x00}, first[n:]...)
		c := NewCodec(EncodingBinarySession, Limits{})
		if _, err := c.Decode(first); err != nil {
			tb.Fatal(err)
		}
		return func(tb testing.TB) {
			e, err := c.Decode(payload)
			if err != nil || e.Header.MessageID == "" {
				tb.Fatalf("decode: %v (MessageID %q)", err, e.Header.MessageID)
			}
		}
	}},
	// The same message in the text encoding, with a new MessageID each
	// time as on the wire: names, namespaces, s:mustUnderstand and the
	// values every session repeats (Action, To, the anonymous address) come
	// from textxml's shared tables; what allocates is the envelope and the
	// MessageID. It was 68 with encoding/xml's tokens.
	{Name: "DecodeHeadersText", Budget: 2, Setup: func(tb testing.TB) func(testing.TB) {
		payload := readFile(tb, "capture/A_c2s_01.xml")
		id := bytes.Index(payload, []byte("urn:uuid:")) + len("urn:uuid:")
		c := NewCodec(EncodingText, Limits{})
		var n uint32
		return func(tb testing.TB) {
			n++
			var b [4]byte
			binary.BigEndian.PutUint32(b[:], n)
			hex.Encode(payload[id:id+8], b[:])
			if e, err := c.Decode(payload); err != nil || e.Header.MessageID[9:17] != string(payload[id:id+8]) {
				tb.Fatalf("decode: %v", err)
			}
		}
	}},
	// A text connection's codec over a session's messages, as net.tcp's
	// binding uses it: made new, Initialize decoded, then the reply and
	// two callbacks encoded into the binding's buffer, which starts empty.
	// The Reader and Writer are made with room for a SOAP message, and the
	// first text encode reserves room for a whole message, so neither grows
	// step by step (it was 102 with encoding/xml and growing buffers).
	{Name: "TextConnection", Budget: 8, Setup: func(tb testing.TB) func(testing.TB) {
		payload := readFile(tb, "capture/A_c2s_01.xml")
		reply := &Header{Action: nsIpam + "/IIpamAsyncProvision/InitializeAsyncProvisioningResponse", RelatesTo: "urn:uuid:1"}
		callback := &Header{Action: nsIpam + "/IIpamAsyncProvision/NotifyAsyncProvisionComplete", To: AddressAnonymous}
		return func(tb testing.TB) {
			c := NewCodec(EncodingText, Limits{})
			if _, err := c.Decode(payload); err != nil {
				tb.Fatal(err)
			}
			var out []byte
			var err error
			for _, h := range []*Header{reply, callback, callback} {
				if out, err = c.Encode(out[:0], h, completeBody{}); err != nil {
					tb.Fatal(err)
				}
			}
		}
	}},
	// NotifyAsyncProvisionComplete with nil result and exception into a
	// reused buffer: a callback's encoding allocates nothing.
	{Name: "EncodeCallback", Budget: 0, Setup: func(testing.TB) func(testing.TB) {
		return encodeCallback(EncodingBinarySession)
	}},
	{Name: "EncodeCallbackText", Budget: 0, Setup: func(testing.TB) func(testing.TB) {
		return encodeCallback(EncodingText)
	}},
}

func encodeCallback(enc Encoding) func(testing.TB) {
	c := NewCodec(enc, Limits{})
	h := &Header{Action: nsIpam + "/IIpamAsyncProvision/NotifyAsyncProvisionComplete", To: AddressAnonymous}
	buf := make([]byte, 0, 1024)
	return func(tb testing.TB) {
		if _, err := c.Encode(buf[:0], h, completeBody{}); err != nil {
			tb.Fatal(err)
		}
	}
}

// BenchmarkPerMessage: go test -run '^$' -bench PerMessage -benchmem ./soap
func BenchmarkPerMessage(b *testing.B) { allocbudget.Bench(b, perMessage) }

func TestAllocBudgets(t *testing.T) { allocbudget.Check(t, perMessage) }
