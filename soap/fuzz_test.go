package soap

import (
	"errors"
	"testing"
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
	preload := readFile(f, "capture/A_c2s_01.bin")
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		enc := allEncodings[int(which)%len(allEncodings)]
		c := NewCodec(enc, Limits{MaxDepth: 32})
		if enc == EncodingBinarySession {
			// Give odd dictionary ids something to resolve to.
			if _, err := c.Decode(preload); err != nil {
				t.Fatal(err)
			}
		}
		e, err := c.Decode(data)
		if err != nil {
			checkDecodeError(t, enc, err)
			return
		}
		if e.IsFault() {
			ReadFault(e.Body())
		}
		if _, err := dumpNodes(e.Body()); err != nil {
			return
		}
		if err := e.Finish(); err != nil {
			checkDecodeError(t, enc, err)
		}
	})
}

func checkDecodeError(t *testing.T, enc Encoding, err error) {
	var de *DecodeError
	if !errors.As(err, &de) || de.Fault == nil {
		t.Fatalf("error %v (%T) carries no fault", err, err)
	}
	if _, err := NewCodec(enc, Limits{}).Encode(nil, &Header{Action: de.Fault.Action, RelatesTo: de.Header.MessageID}, de.Fault); err != nil {
		t.Fatalf("fault %v does not encode: %v", de.Fault, err)
	}
}
