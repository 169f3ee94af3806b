package soap

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/ipamd/ipamd/soap/xmlstream"
)

// TestIdleKeepsSessionTable: the NBFX reader goes back to its pool while
// the connection waits (Idle), and the NBFSE strings of earlier messages
// still resolve in the next one.
//
// Rule T7. (docs/protocol.md)
func TestIdleKeepsSessionTable(t *testing.T) {
	c := NewCodec(EncodingBinarySession, Limits{})
	if _, err := c.Decode(readFile(t, "capture/A_c2s_01.bin")); err != nil {
		t.Fatal(err)
	}
	c.Idle()
	if c.br != nil {
		t.Fatal("the reader is still held after Idle")
	}
	// session#1 ("parameters") comes from the first message's table.
	doc := []byte{0x00, 0x56, 0x02, 0x0b, 0x01, 0x73, 0x04, 0x0b, 0x01, 0x61, 0x06, 0x56, 0x08,
		0x44, 0x0a, 0x99, 0x01, 'x', 0x01, 0x56, 0x0e, 0x42, 0x01, 0x01, 0x01, 0x01}
	e, err := c.Decode(doc)
	if err != nil {
		t.Fatal(err)
	}
	if e.Header.Action != "x" || e.BodyName.Local != "parameters" {
		t.Fatalf("%+v %+v", e.Header, e.BodyName)
	}
	c.Idle()
	c.Idle() // twice: nothing more happens
	if _, err := c.Decode(doc); err != nil {
		t.Fatalf("after two Idles: %v", err)
	}
}

// TestIdleStaleBody: once the codec went idle, the last envelope's body
// cannot be read: its reader may be decoding another connection's message.
func TestIdleStaleBody(t *testing.T) {
	for _, enc := range []Encoding{EncodingBinarySession, EncodingBinary, EncodingText} {
		c := NewCodec(enc, Limits{})
		e, err := c.Decode(transcode(t, enc, []byte(env(actionHdr+msgIDHdr))))
		if err != nil {
			t.Fatal(err)
		}
		c.Idle()
		// Another connection's codec takes the pooled reader meanwhile.
		other := NewCodec(enc, Limits{})
		if _, err := other.Decode(transcode(t, enc, []byte(env(actionHdr)))); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Body().Next(); !errors.Is(err, xmlstream.ErrMalformed) {
			t.Errorf("%v: body read after Idle: %v, want ErrMalformed", enc, err)
		}
		if d := e.Body().Depth(); d != 0 {
			t.Errorf("%v: Depth after Idle = %d", enc, d)
		}
		if ns, ok := e.Body().LookupNamespace("s"); ok {
			t.Errorf("%v: LookupNamespace after Idle = %q", enc, ns)
		}
	}
}

// TestIdleReaderTakesCodecLimits: a pooled reader decodes with the limits
// of the codec that takes it, not those of the codec that gave it back,
// and the codec holds no reader while it is idle.
func TestIdleReaderTakesCodecLimits(t *testing.T) {
	deep := []byte(env(actionHdr))
	deep = []byte(strings.Replace(string(deep), `<Op xmlns="urn:t"/>`, `<Op xmlns="urn:t"><a><b><c><d/></c></b></a></Op>`, 1))
	for _, enc := range []Encoding{EncodingBinarySession, EncodingText} {
		payload := transcode(t, enc, deep)
		loose := NewCodec(enc, Limits{})
		strict := NewCodec(enc, Limits{MaxDepth: 4})
		for range 3 {
			e, err := loose.Decode(payload)
			if err == nil {
				err = e.Finish()
			}
			if err != nil {
				t.Fatalf("%v, default limits: %v", enc, err)
			}
			loose.Idle()
			if loose.br != nil || loose.tr != nil {
				t.Fatalf("%v: a reader is still held after Idle", enc)
			}
			e, err = strict.Decode(payload)
			if err == nil {
				err = e.Finish()
			}
			if !errors.Is(err, xmlstream.ErrQuota) {
				t.Fatalf("%v, MaxDepth 4: %v, want a quota error", enc, err)
			}
			strict.Idle()
		}
	}
}

// TestEncodeConcurrentCodecs: the writers Encode borrows are not shared
// between codecs encoding at the same time (run with -race).
func TestEncodeConcurrentCodecs(t *testing.T) {
	var wg sync.WaitGroup
	for _, enc := range []Encoding{EncodingBinarySession, EncodingBinary, EncodingText} {
		want, err := NewCodec(enc, Limits{}).Encode(nil, &Header{Action: "urn:a", RelatesTo: "urn:r"}, completeBody{})
		if err != nil {
			t.Fatal(err)
		}
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := NewCodec(enc, Limits{})
				var buf []byte
				for range 200 {
					out, err := c.Encode(buf[:0], &Header{Action: "urn:a", RelatesTo: "urn:r"}, completeBody{})
					if err != nil || string(out) != string(want) {
						t.Errorf("%v: %v, %d bytes differ from %d", enc, err, len(out), len(want))
						return
					}
					buf = out
				}
			}()
		}
	}
	wg.Wait()
}
