package nmf

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// TestFramerRoundTrip: what the Framer's Write methods and Append functions
// produce, a Framer reads back record by record, and the Mono capture
// (golden bytes) decodes through it.
func TestFramerRoundTrip(t *testing.T) {
	var wire bytes.Buffer
	w := NewFramer(&wire, nil, Limits{})
	big := bytes.Repeat([]byte("m"), 3*growChunk+5) // grown across reads
	steps := []error{
		w.WritePreamble("net.tcp://h:808/svc", EncodingBinarySession),
		w.WriteRecord(RecordPreambleAck),
		w.WriteSizedEnvelope([]byte("one")),
		w.WriteSizedEnvelope(big),
		w.WriteFault(FaultServerTooBusy),
	}
	for i, err := range steps {
		if err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	r := NewFramerSize(nil, inPieces(wire.Bytes()), 16, Limits{})
	p, err := r.ReadPreamble(nil)
	if err != nil || p.Via != "net.tcp://h:808/svc" || p.Encoding != EncodingBinarySession || p.Mode != ModeDuplex || p.Major != 1 {
		t.Fatalf("ReadPreamble = %+v, %v", p, err)
	}
	want := []struct {
		typ     RecordType
		payload string
	}{
		{RecordPreambleAck, ""}, {RecordSizedEnvelope, "one"}, {RecordSizedEnvelope, string(big)},
		{RecordFault, FaultServerTooBusy}, {RecordEnd, ""},
	}
	for _, w := range want {
		typ, err := r.ReadRecordType()
		if err != nil || typ != w.typ {
			t.Fatalf("record %v, %v; want %v", typ, err, w.typ)
		}
		var got string
		switch typ {
		case RecordSizedEnvelope:
			b, err := r.ReadEnvelope()
			if err != nil {
				t.Fatal(err)
			}
			got = string(b)
		case RecordFault:
			if got, err = r.ReadFault(); err != nil {
				t.Fatal(err)
			}
		}
		if got != w.payload {
			t.Fatalf("%v: %d bytes, want %d", typ, len(got), len(w.payload))
		}
	}
	if _, err := r.ReadRecordType(); err != io.EOF {
		t.Fatalf("after the last record: %v, want EOF", err)
	}

	// Golden: Mono's client stream of session A.
	g := NewFramer(nil, bytes.NewReader(loadHex(t, "session-a-c2s.hex")), Limits{})
	if p, err := g.ReadPreamble(nil); err != nil || p.Encoding != EncodingBinarySession {
		t.Fatalf("golden preamble: %+v, %v", p, err)
	}
	envelopes := 0
	for {
		typ, err := g.ReadRecordType()
		if err != nil {
			t.Fatalf("golden: %v after %d envelopes", err, envelopes)
		}
		if typ == RecordEnd {
			break
		}
		if _, err := g.ReadEnvelope(); typ != RecordSizedEnvelope || err != nil {
			t.Fatalf("golden record %v: %v", typ, err)
		}
		envelopes++
	}
	if envelopes == 0 {
		t.Fatal("golden: no envelopes")
	}
}

// inPieces reads b a few bytes at a time, so records span reads.
func inPieces(b []byte) io.Reader { return &slowReader{b: b} }

type slowReader struct{ b []byte }

func (r *slowReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), 5)], r.b)
	r.b = r.b[n:]
	return n, nil
}

// TestFramerBudgets: every length is checked before anything is read or
// allocated for it, and a claimed size is not an allocation.
func TestFramerBudgets(t *testing.T) {
	lim := Limits{MaxMessageSize: 100, MaxViaLength: 20, MaxContentTypeLength: 10}
	long := func(n int) string { return "net.tcp://h/" + strings.Repeat("v", n-12) }
	for _, tc := range []struct {
		name  string
		in    []byte
		fault string
	}{
		{"via at the limit", preamble(long(20), EncodingBinarySession, ""), ""},
		{"via over", preamble(long(21), EncodingBinarySession, ""), FaultViaTooLong},
		{"content type at the limit", preamble("net.tcp://h/", 0, "text/xml;a"), ""},
		{"content type over", preamble("net.tcp://h/", 0, "text/xml;ab"), FaultContentTypeTooLong},
		{"upgrade type over", preamble("net.tcp://h/", EncodingBinarySession, "", "application/x"), FaultContentTypeTooLong},
		{"via size above 31 bits", append([]byte{0, 1, 0, 1, 2, 2}, 0xff, 0xff, 0xff, 0xff, 0x7f), FaultViaTooLong},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewFramer(nil, bytes.NewReader(tc.in), lim).ReadPreamble(func(string) error { return nil })
			var fe *FaultError
			switch {
			case tc.fault == "" && err != nil:
				t.Fatalf("ReadPreamble: %v", err)
			case tc.fault != "" && (!errors.As(err, &fe) || fe.URI != tc.fault):
				t.Fatalf("ReadPreamble: %v, want fault %s", err, tc.fault)
			}
		})
	}

	for _, tc := range []struct {
		name   string
		in     []byte
		tooBig bool
	}{
		{"at the limit", AppendSizedEnvelope(nil, make([]byte, 100))[1:], false},
		{"over", AppendSizedEnvelope(nil, make([]byte, 101))[1:], true},
		{"above 31 bits", []byte{0xff, 0xff, 0xff, 0xff, 0x7f, 'x'}, true},
	} {
		t.Run("envelope "+tc.name, func(t *testing.T) {
			fr := NewFramer(nil, bytes.NewReader(tc.in), lim)
			_, err := fr.ReadEnvelope()
			if errors.Is(err, ErrMessageTooLarge) != tc.tooBig || !tc.tooBig && err != nil {
				t.Fatalf("ReadEnvelope: %v, want too large %v", err, tc.tooBig)
			}
			if tc.tooBig && fr.buf != nil {
				t.Fatalf("a refused envelope allocated %d bytes", cap(fr.buf))
			}
		})
	}

	// 16 MiB claimed, 10 bytes sent: the buffer holds what arrived.
	fr := NewFramer(nil, bytes.NewReader(append(AppendMB31(nil, 16<<20), "0123456789"...)), Limits{MaxMessageSize: 32 << 20})
	if _, err := fr.ReadEnvelope(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("truncated envelope: %v", err)
	}
	if cap(fr.buf) > growChunk {
		t.Fatalf("a 16 MiB claim with 10 bytes allocated %d bytes", cap(fr.buf))
	}
}
