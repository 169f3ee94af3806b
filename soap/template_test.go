package soap

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/ipamd/ipamd/soap/nbfx"
	"github.com/ipamd/ipamd/soap/xmlstream"
)

// fixedBody is a FixedBody for the codec's tests: an element with a text
// member, keyed by both.
type fixedBody struct {
	local, text string
	noKey       bool
}

func (b fixedBody) WriteBody(w xmlstream.Writer) error {
	w.StartElement("", b.local, nsIpam)
	w.StartElement("", "Message", nsIpam)
	w.Text(b.text)
	w.EndElement()
	return w.EndElement()
}

func (b fixedBody) FixedKey() (BodyKey, bool) {
	return BodyKey{Name: "fixedBody:" + b.local, Text: [4]string{b.text}}, !b.noKey
}

// idHeader is a FixedHeader for the codec's tests, shaped like HTTP's
// session id block: <ss:SessionId a:IsReferenceParameter="true">id<.
type idHeader string

func (h idHeader) WriteBody(w xmlstream.Writer) error {
	w.StartElement("ss", "SessionId", "urn:test:session")
	w.Attr("a", "IsReferenceParameter", NSAddressing, "true")
	w.Text(string(h))
	return w.EndElement()
}

func (h idHeader) FixedHeaderKey() (string, string) { return "idHeader", string(h) }
func (h idHeader) WithValue(v string) BodyWriter    { return idHeader(v) }

// plainBody hides a body's FixedKey: the encoder's own path.
type plainBody struct{ BodyWriter }

var templateEncodings = []Encoding{EncodingBinarySession, EncodingBinary, EncodingText, EncodingText11}

// templateValues are header values of every kind the encoders tell apart:
// a GUID (binary: UniqueId record), one in upper case (not a GUID record),
// dictionary strings, special text records, lengths around the Chars8 and
// Chars16 bounds and the multi-byte MB31 lengths, characters the text
// encoder escapes, and non-ASCII.
var templateValues = []string{
	"urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e",
	"urn:uuid:0F8FAD5B-D9CB-469F-A165-70867728950E",
	"urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950",
	AddressAnonymous,
	"http://www.w3.org/2005/08/addressing/none",
	"0", "1", "true", "false", " ",
	"uuid:1", "a", strings.Repeat("m", 127), strings.Repeat("m", 128), strings.Repeat("m", 255), strings.Repeat("m", 256),
	strings.Repeat("x", 4096), "a&b<c>d\"e'f", "tab\there\nline\rcr", "http://ëxample/é€𝄞",
}

// TestTemplateEqualsEncoder: a message sent from a template is the bytes
// the encoder writes for it, for every encoding, header shape and kind of
// value (Rule T17).
func TestTemplateEqualsEncoder(t *testing.T) {
	const action = nsIpam + "/IIpamAsyncProvision/InitializeAsyncProvisioningResponse"
	shapes := []func(v string) Header{
		func(v string) Header { return Header{Action: action, RelatesTo: v, To: AddressAnonymous} }, // net.tcp reply
		func(v string) Header { return Header{Action: action, To: AddressAnonymous} },               // net.tcp callback
		func(v string) Header { return Header{Action: action, RelatesTo: v} },
		func(v string) Header { return Header{Action: action, MessageID: v, To: v} },
		func(v string) Header {
			return Header{Action: action, RelatesTo: v, MessageID: "urn:uuid:1", To: v + "/cb"}
		},
		func(v string) Header { return Header{Action: action} },
		func(v string) Header { // HTTP reply
			return Header{Action: action, RelatesTo: v, To: AddressAnonymous, Extra: []BodyWriter{idHeader("urn:ipamd:session:" + v)}}
		},
		func(v string) Header { return Header{Action: action, To: v, Extra: []BodyWriter{idHeader(v)}} }, // HTTP callback
	}
	bodies := []fixedBody{{local: "Reply"}, {local: "Complete", text: "the IPAM server is already provisioned & <more>"}}
	for _, enc := range templateEncodings {
		for si, shape := range shapes {
			for _, body := range bodies {
				for _, v := range templateValues {
					h := shape(v)
					c := NewCodec(enc, Limits{})
					got, ok := c.encodeTemplate([]byte("prefix"), &h, body)
					long := max(len(h.RelatesTo), len(h.MessageID), len(h.To)) > DefaultMaxHeaderBytes
					if len(h.Extra) == 1 {
						long = long || len(h.Extra[0].(idHeader)) > DefaultMaxHeaderBytes
					}
					if ok == long {
						t.Fatalf("%v shape %d value %.20q: sent from a template %v, a value over the bound %v", enc, si, v, ok, long)
					}
					if !ok {
						got, _ = c.Encode([]byte("prefix"), &h, body)
					}
					want, err := NewCodec(enc, Limits{}).Encode([]byte("prefix"), &h, plainBody{body})
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(got, want) {
						t.Fatalf("%v shape %d body %s value %.20q:\ntemplate % x\nencoder  % x", enc, si, body.local, v, got, want)
					}
				}
			}
		}
	}
}

// TestTemplateRandomValues: random header values, random lengths and
// bytes, both encodings (the fuzz target's property, run every time).
func TestTemplateRandomValues(t *testing.T) {
	r := rand.New(rand.NewPCG(16, 17))
	for i := range 2000 {
		var b []byte
		switch i % 3 {
		case 0: // a GUID, as clients send
			b = fmt.Appendf(nil, "urn:uuid:%08x-%04x-%04x-%04x-%012x", r.Uint32(), r.Uint32()&0xffff, r.Uint32()&0xffff, r.Uint32()&0xffff, r.Uint64()&(1<<48-1))
		case 1: // printable ASCII of any length
			b = make([]byte, r.IntN(600))
			for j := range b {
				b[j] = byte(0x20 + r.IntN(0x5f))
			}
		default: // any bytes: some are not UTF-8 or not XML characters
			b = make([]byte, r.IntN(40))
			for j := range b {
				b[j] = byte(r.Uint32())
			}
		}
		checkTemplate(t, templateEncodings[i%len(templateEncodings)], string(b), string(b)+"x", "http://c/"+string(b))
	}
}

// checkTemplate encodes one message through Encode (a template when it
// can) and through the encoder alone and fails unless both give the same
// bytes or both refuse.
func checkTemplate(t *testing.T, enc Encoding, relatesTo, messageID, to string) {
	t.Helper()
	for _, h := range []Header{
		{Action: "urn:a", RelatesTo: relatesTo, To: AddressAnonymous},
		{Action: "urn:a", RelatesTo: relatesTo, MessageID: messageID, To: to},
		{Action: "urn:a", RelatesTo: relatesTo, To: to, Extra: []BodyWriter{idHeader(messageID)}},
	} {
		body := fixedBody{local: "Notify", text: "fixed"}
		got, gerr := NewCodec(enc, Limits{}).Encode(nil, &h, body)
		want, werr := NewCodec(enc, Limits{}).Encode(nil, &h, plainBody{body})
		if (gerr == nil) != (werr == nil) || !bytes.Equal(got, want) {
			t.Fatalf("%v %q %q %q:\ntemplate % x (%v)\nencoder  % x (%v)", enc, relatesTo, messageID, to, got, gerr, want, werr)
		}
	}
}

// TestTemplateFallsBack: what a template cannot carry is encoded as usual,
// with the encoder's result (an error included).
func TestTemplateFallsBack(t *testing.T) {
	body := fixedBody{local: "Notify"}
	cases := []struct {
		name string
		enc  Encoding
		lim  Limits
		h    Header
		body BodyWriter
	}{
		{"not UTF-8", EncodingBinarySession, Limits{}, Header{Action: "urn:a", RelatesTo: "\xff"}, body},
		{"not an XML character", EncodingText, Limits{}, Header{Action: "urn:a", RelatesTo: "a\x01"}, body},
		{"longer than a header value may be", EncodingBinarySession, Limits{MaxHeaderBytes: 64}, Header{Action: "urn:a", RelatesTo: strings.Repeat("r", 65)}, body},
		{"ReplyTo", EncodingText, Limits{}, Header{Action: "urn:a", ReplyTo: AddressAnonymous}, body},
		{"FaultTo", EncodingText, Limits{}, Header{Action: "urn:a", FaultTo: AddressAnonymous}, body},
		{"From", EncodingText, Limits{}, Header{Action: "urn:a", From: AddressAnonymous}, body},
		{"extra header", EncodingText, Limits{}, Header{Action: "urn:a", Extra: []BodyWriter{fixedBody{local: "X"}}}, body},
		{"two fixed extra headers", EncodingText, Limits{}, Header{Action: "urn:a", Extra: []BodyWriter{idHeader("a"), idHeader("b")}}, body},
		{"empty fixed extra header", EncodingBinarySession, Limits{}, Header{Action: "urn:a", Extra: []BodyWriter{idHeader("")}}, body},
		{"extra header value not UTF-8", EncodingBinarySession, Limits{}, Header{Action: "urn:a", Extra: []BodyWriter{idHeader("\xfe")}}, body},
		{"no key", EncodingBinarySession, Limits{}, Header{Action: "urn:a"}, fixedBody{local: "Notify", noKey: true}},
		{"larger than the message limit", EncodingText, Limits{MaxMessageBytes: 200}, Header{Action: "urn:a"}, body},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := NewCodec(tc.enc, tc.lim)
			if _, ok := c.encodeTemplate(nil, &tc.h, tc.body); ok {
				t.Fatal("sent from a template")
			}
			got, gerr := c.Encode(nil, &tc.h, tc.body)
			want, werr := NewCodec(tc.enc, tc.lim).encodeFull(nil, &tc.h, tc.body)
			if !bytes.Equal(got, want) || fmt.Sprint(gerr) != fmt.Sprint(werr) {
				t.Fatalf("Encode % x (%v), encoder % x (%v)", got, gerr, want, werr)
			}
		})
	}
	// The size limit's error is the encoder's.
	_, err := NewCodec(EncodingText, Limits{MaxMessageBytes: 200}).Encode(nil, &Header{Action: "urn:a"}, body)
	if !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("over the limit: %v", err)
	}
}

// TestTemplateNotWithOutboundSessionTable: on the binary session
// encoding a connection that has an outbound string table (made by a rows
// message) encodes as usual, since its messages may name session strings;
// a connection whose inbound table the client filled still uses the
// template, since encoding never reads it (Rule T17).
func TestTemplateNotWithOutboundSessionTable(t *testing.T) {
	h := Header{Action: "urn:a", RelatesTo: "urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e", To: AddressAnonymous}
	c := NewCodec(EncodingBinarySession, Limits{})
	// The Mono client's first message fills the inbound table.
	if _, err := c.Decode(readFile(t, "capture/A_c2s_01.bin")); err != nil {
		t.Fatal(err)
	}
	body := fixedBody{local: "Reply", text: "x"}
	got, ok := c.encodeTemplate(nil, &h, body)
	want, err := NewCodec(EncodingBinarySession, Limits{}).encodeFull(nil, &h, body)
	if !ok || err != nil || !bytes.Equal(got, want) {
		t.Fatalf("with an inbound table: template %v, % x, want % x (%v)", ok, got, want, err)
	}
	c.wsess = nbfx.NewWriterSession(0, 0)
	if _, ok := c.encodeTemplate(nil, &h, body); ok {
		t.Fatal("a connection with an outbound session table was sent a template")
	}
}

// TestTemplateTableBounded: the process-wide table never holds more than
// maxTemplates; a full table starts again, and what it held is built
// again when used.
func TestTemplateTableBounded(t *testing.T) {
	c := NewCodec(EncodingText, Limits{})
	h := Header{Action: "urn:bounded", To: AddressAnonymous}
	for i := range 3 * maxTemplates {
		body := fixedBody{local: "B", text: fmt.Sprint(i)}
		out, ok := c.encodeTemplate(nil, &h, body)
		if !ok || !bytes.Contains(out, []byte(">"+fmt.Sprint(i)+"<")) {
			t.Fatalf("message %d: %v %s", i, ok, out)
		}
		if n := len(*templates.Load()); n > maxTemplates {
			t.Fatalf("%d templates", n)
		}
	}
}

// FuzzTemplate: for any header values and each encoding, Encode (from a
// template when it can) and the encoder alone give the same bytes, or
// both refuse.
func FuzzTemplate(f *testing.F) {
	for _, v := range templateValues {
		f.Add(v, "urn:uuid:1", AddressAnonymous, uint8(0))
	}
	f.Add("\xff", "", "http://x", uint8(1))
	f.Add("a\x00", "b", "", uint8(2))
	f.Fuzz(func(t *testing.T, relatesTo, messageID, to string, enc uint8) {
		checkTemplate(t, templateEncodings[int(enc)%len(templateEncodings)], relatesTo, messageID, to)
	})
}

// TestTemplateConcurrent: sessions encoding at once build and read the
// process-wide table together (run under -race).
func TestTemplateConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				enc := templateEncodings[(g+i)%len(templateEncodings)]
				h := Header{Action: fmt.Sprintf("urn:concurrent:%d", i%7), RelatesTo: fmt.Sprintf("urn:uuid:%d-%d", g, i), To: AddressAnonymous}
				body := fixedBody{local: "C", text: fmt.Sprint(i % 5)}
				got, err := NewCodec(enc, Limits{}).Encode(nil, &h, body)
				want, werr := NewCodec(enc, Limits{}).encodeFull(nil, &h, body)
				if err != nil || werr != nil || !bytes.Equal(got, want) {
					t.Errorf("%v %+v: % x (%v), want % x (%v)", enc, h, got, err, want, werr)
					return
				}
			}
		})
	}
	wg.Wait()
}
