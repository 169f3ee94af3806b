package soap

import (
	"errors"
	"testing"

	"github.com/ipamd/ipamd/internal/attack"
	"github.com/ipamd/ipamd/soap/nbfx"
	"github.com/ipamd/ipamd/soap/xmlstream"
)

// FuzzDecode feeds arbitrary payloads to Decode in each encoding (the first
// argument picks it) and reads whatever decodes to the end: no panic, every
// error a *DecodeError with a fault that encodes.
func FuzzDecode(f *testing.F) {
	for _, name := range captureMessages(f, "A", "c2s") {
		f.Add(uint8(EncodingBinarySession), readFile(f, "capture/"+name+".bin"))
		f.Add(uint8(EncodingText), readFile(f, "capture/"+name+".xml"))
	}
	for _, name := range captureMessages(f, "A", "s2c")[:2] {
		f.Add(uint8(EncodingBinarySession), readFile(f, "capture/"+name+".bin"))
		f.Add(uint8(EncodingBinary), transcode(f, EncodingBinary, readFile(f, "capture/"+name+".xml")))
	}
	for _, g := range []string{"reply.xml", "fault.xml", "mustunderstand.xml"} {
		f.Add(uint8(EncodingText), readFile(f, "golden/"+g))
		f.Add(uint8(EncodingBinary), transcode(f, EncodingBinary, readFile(f, "golden/"+g)))
	}
	f.Add(uint8(EncodingText), []byte(env(actionHdr+msgIDHdr+`<x:A s:mustUnderstand="1" xmlns:x="urn:x"/>`)))
	f.Add(uint8(EncodingBinary), transcode(f, EncodingBinary, []byte(env(actionHdr+`<a:ReplyTo><a:Address>u</a:Address></a:ReplyTo>`))))
	for _, p := range attack.Places {
		f.Add(uint8(EncodingBinarySession), attack.Expansion(p, 4096, DefaultMaxSessionTableBytes))
	}
	f.Add(uint8(EncodingBinarySession), attack.LongAction(6000))
	f.Add(uint8(EncodingBinarySession), attack.LongHeader(6000))
	f.Add(uint8(EncodingText), attack.TextLongAction(6000))
	f.Add(uint8(EncodingText), attack.TextLongHeader(6000, "http://127.0.0.1/cb"))
	preload := readFile(f, "capture/A_c2s_01.bin")
	newCodec := func(t *testing.T, enc Encoding) *Codec {
		c := NewCodec(enc, Limits{})
		if enc == EncodingBinarySession {
			// Give odd dictionary ids something to resolve to.
			if _, err := c.Decode(preload); err != nil {
				t.Fatal(err)
			}
			c.Idle() // the reader goes back to its pool, the table stays
		}
		return c
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		enc := allEncodings[int(which)%len(allEncodings)]
		c := newCodec(t, enc)
		e, err := c.Decode(data)
		if err != nil {
			checkDecodeError(t, enc, err)
			return
		}
		// Oracle: header values within MaxHeaderBytes; the body decodes to
		// at most MaxExpansion × the payload (binary) or the payload (text).
		h := e.Header
		for _, v := range []string{h.Action, h.MessageID, h.RelatesTo, h.To, h.ReplyTo, h.FaultTo, h.From} {
			if len(v) > DefaultMaxHeaderBytes {
				t.Fatalf("header value of %d bytes exceeds %d", len(v), DefaultMaxHeaderBytes)
			}
		}
		if e.IsFault() {
			ReadFault(e.Body())
		}
		body, err := decodedSize(e.Body())
		limit := len(data)
		if enc == EncodingBinarySession || enc == EncodingBinary {
			limit = DefaultMaxExpansion * max(len(data), nbfx.ExpansionFloor)
		}
		if body > limit {
			t.Fatalf("%d-byte payload: body decoded to %d bytes (limit %d)", len(data), body, limit)
		}
		if err != nil {
			return
		}
		if err := e.Finish(); err != nil {
			checkDecodeError(t, enc, err)
			return
		}
		// Oracle: a reader given back (Idle) and taken by another codec
		// decodes as a new one: nothing of its last document stays.
		c.Idle()
		e2, err := newCodec(t, enc).Decode(data)
		if err != nil {
			t.Fatalf("second decode with a pooled reader: %v", err)
		}
		h2 := e2.Header
		if h2.Action != h.Action || h2.MessageID != h.MessageID || h2.RelatesTo != h.RelatesTo || h2.To != h.To ||
			h2.ReplyTo != h.ReplyTo || h2.FaultTo != h.FaultTo || h2.From != h.From || e2.BodyName != e.BodyName {
			t.Fatalf("a pooled reader decoded %+v, a new one %+v", h2, h)
		}
	})
}

func checkDecodeError(t *testing.T, enc Encoding, err error) {
	var de *DecodeError
	if !errors.As(err, &de) || de.Fault == nil {
		t.Fatalf("error %v (%T) carries no fault", err, err)
	}
	out, err := NewCodec(enc, Limits{}).Encode(nil, &Header{Action: de.Fault.Action, RelatesTo: de.Header.MessageID}, de.Fault)
	if err != nil {
		t.Fatalf("fault %v does not encode: %v", de.Fault, err)
	}
	// Oracle: what the client sent is echoed bounded, so a fault is small.
	if len(out) > maxFaultBytes {
		t.Fatalf("fault of %d bytes (reason %.100q…)", len(out), de.Fault.Reason)
	}
}

// maxFaultBytes bounds a decode fault: fixed text, a:RelatesTo (a header
// value), and up to maxNotUnderstood names each within the echo bound.
const maxFaultBytes = DefaultMaxHeaderBytes + 2*maxNotUnderstood*DefaultMaxEchoBytes + 4096

// decodedSize reads r to the end (or its first error) and returns the
// decoded bytes it yielded: names and attribute values of start tags, text.
func decodedSize(r xmlstream.Reader) (int, error) {
	size := 0
	for {
		n, err := r.Next()
		if err != nil {
			return size, err
		}
		switch n.Kind {
		case xmlstream.StartElement:
			size += len(n.Name.Prefix) + len(n.Name.Local)
			for _, a := range n.Attrs {
				size += len(a.Name.Prefix) + len(a.Name.Local) + len(a.Value)
			}
		case xmlstream.Text:
			size += len(n.Text)
		case xmlstream.EOF:
			return size, nil
		}
	}
}
