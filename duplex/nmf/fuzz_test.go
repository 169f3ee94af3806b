package nmf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime/pprof"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
)

// inputConn is the server end of a net.Pipe whose reads come from the fuzz
// input instead, in pieces of at most 7 bytes (records split across reads),
// followed by EOF as if the client had half-closed. Writes, deadlines and
// Close go to the pipe, so the server's output is read by the client end.
type inputConn struct {
	net.Conn
	in []byte
}

func (c *inputConn) Read(p []byte) (int, error) {
	if len(c.in) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), 7)], c.in)
	c.in = c.in[n:]
	return n, nil
}

// fuzzServe feeds data as a client stream into a Server (via ServeConn on a
// net.Pipe) whose handler echoes, and returns what the server wrote before
// closing. It fails if the server does not close within a few seconds.
func fuzzServe(t *testing.T, data []byte) []byte {
	srv := NewServer(Options{
		MaxMessageSize:  4096,
		PreambleTimeout: 50 * time.Millisecond,
		IdleTimeout:     50 * time.Millisecond,
		CloseTimeout:    50 * time.Millisecond,
		WriteTimeout:    time.Second,
		Logger:          zap.NewNop(),
	}, &testRouter{h: newRecorder(true)})
	sc, cc := net.Pipe()
	served := make(chan struct{})
	go func() {
		defer close(served)
		srv.ServeConn(context.Background(), &inputConn{Conn: sc, in: data})
	}()
	_ = cc.SetReadDeadline(time.Now().Add(10 * time.Second))
	out, err := io.ReadAll(cc)
	var dump strings.Builder
	if err != nil {
		_ = pprof.Lookup("goroutine").WriteTo(&dump, 1)
	}
	cc.Close()
	select {
	case <-served:
	case <-time.After(5 * time.Second):
		t.Fatal("server did not return")
	}
	if err != nil {
		t.Fatalf("server did not close the connection: %v (input % x)\n%s", err, data, dump.String())
	}
	return out
}

// checkServerStream requires a well-formed server stream: per session an
// ack or a fault; in a session sized envelopes, then End or Fault+End; a
// fault ends everything. The stream may stop anywhere a connection can be
// closed without notice (aborts).
func checkServerStream(out []byte) error {
	recs, err := parseServerStream(out)
	if err != nil {
		return err
	}
	const (
		wantPreamble = iota
		inSession
		wantEndAfterFault
		closed
	)
	state := wantPreamble
	for i, r := range recs {
		switch {
		case state == closed:
			return fmt.Errorf("record %d (%#x) after the fault's End", i, r.typ)
		case r.typ == recFault:
			if state == wantEndAfterFault {
				return fmt.Errorf("two faults")
			}
			if !strings.HasPrefix(string(r.payload), FaultBase) || len(r.payload) > maxFaultLength {
				return fmt.Errorf("bad fault URI %q", r.payload)
			}
			state = wantEndAfterFault
		case state == wantEndAfterFault:
			if r.typ != recEnd {
				return fmt.Errorf("record %#x after fault", r.typ)
			}
			state = closed
		case state == wantPreamble:
			if r.typ != recPreambleAck {
				return fmt.Errorf("record %#x instead of PreambleAck", r.typ)
			}
			state = inSession
		case r.typ == recSizedEnvelope:
		case r.typ == recEnd:
			state = wantPreamble
		default:
			return fmt.Errorf("record %#x in a session", r.typ)
		}
	}
	if state == wantEndAfterFault {
		return fmt.Errorf("fault without End")
	}
	return nil
}

func FuzzPreamble(f *testing.F) {
	mono := loadHex(f, "session-a-c2s.hex")[:54]
	f.Add(mono)
	f.Add(append(append([]byte(nil), mono...), 0x07))
	f.Add(preamble("net.tcp://192.168.56.1:8523/Service1", EncodingBinarySession, ""))
	f.Add(preamble("net.tcp://h/svc", 0, "application/soap+msbinsession1"))
	f.Add(preamble("net.tcp://h/svc", EncodingBinarySession, "", "application/negotiate"))
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if out := fuzzServe(t, data); checkServerStream(out) != nil {
			t.Fatalf("%v\ninput  % x\noutput % x", checkServerStream(out), data, out)
		}
	})
}

func FuzzRecords(f *testing.F) {
	a := loadHex(f, "session-a-c2s.hex")
	b := loadHex(f, "session-b-c2s.hex")
	f.Add(a[54:])
	f.Add(b[56:])
	f.Add([]byte{0x07})
	f.Add(append([]byte{0x07}, a[:54]...))
	f.Add([]byte{0x05, 0x01, 'x', 0x00})
	f.Add([]byte{0x06, 0xff, 0xff, 0xff, 0xff, 0x7f})
	f.Add([]byte{0x06, 0x00, 0x0c})
	mono := a[:54]
	f.Fuzz(func(t *testing.T, data []byte) {
		in := append(append([]byte(nil), mono...), data...)
		out := fuzzServe(t, in)
		if err := checkServerStream(out); err != nil {
			t.Fatalf("%v\ninput  % x\noutput % x", err, in, out)
		}
		if len(out) == 0 || out[0] != recPreambleAck {
			t.Fatalf("valid preamble not acked: % x", out)
		}
	})
}

// FuzzFramer drives the Framer alone over arbitrary bytes: a preamble (when
// the input starts with a Version record), then records. Oracles: budgets
// hold (no Via, content type or payload above its limit is returned, and
// the payload buffer never grows beyond what arrived: a claimed size is
// not an allocation), what decodes re-encodes to the same bytes, and
// errors are the documented kinds.
func FuzzFramer(f *testing.F) {
	a := loadHex(f, "session-a-c2s.hex")
	f.Add(a)
	f.Add(loadHex(f, "session-b-c2s.hex"))
	f.Add(a[54:])
	f.Add(preamble("net.tcp://h/svc", 0, "application/soap+msbinsession1", "application/negotiate"))
	f.Add([]byte{0x06, 0xff, 0xff, 0xff, 0xff, 0x07})
	f.Add([]byte{0x06, 0x80, 0x80, 0x04, 'x'})
	f.Add(append([]byte{0x08}, AppendFault(nil, FaultServerTooBusy)[1:]...))
	lim := Limits{MaxMessageSize: 1 << 16, MaxViaLength: 64, MaxContentTypeLength: 32}
	f.Fuzz(func(t *testing.T, data []byte) {
		fr := NewFramerSize(io.Discard, bytes.NewReader(data), 16, lim)
		if len(data) > 0 && data[0] == recVersion {
			var ups []string
			p, err := fr.ReadPreamble(func(kind string) error { ups = append(ups, kind); return nil })
			var fe *FaultError
			switch {
			case err == nil:
				if len(p.Via) > lim.MaxViaLength || len(p.ContentType) > lim.MaxContentTypeLength {
					t.Fatalf("preamble over budget: %+v", p)
				}
				if p.ContentType == "" {
					b := AppendPreambleStart(nil, p.Via, p.Encoding)
					for _, u := range ups {
						b = AppendUpgradeRequest(b, u)
					}
					b = append(b, recPreambleEnd)
					q, err := NewFramer(nil, bytes.NewReader(b), lim).ReadPreamble(func(string) error { return nil })
					if err != nil || q.Via != p.Via || q.Encoding != p.Encoding || !slices.Equal(q.Upgrades, ups) {
						t.Fatalf("preamble %+v re-encoded as % x reads back as %+v, %v", p, b, q, err)
					}
				}
			case errors.As(err, &fe):
				if validFaultURI(fe.URI) != nil || !strings.HasPrefix(fe.URI, FaultBase) {
					t.Fatalf("fault %q", fe.URI)
				}
				return
			case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
				return
			default:
				t.Fatalf("preamble: unexpected error %v", err)
			}
		}
		for {
			typ, err := fr.ReadRecordType()
			if err != nil {
				return
			}
			switch typ {
			case RecordSizedEnvelope:
				p, err := fr.ReadEnvelope()
				if cap(fr.buf) > max(growChunk, 2*len(data)) {
					t.Fatalf("payload buffer of %d bytes from %d input bytes", cap(fr.buf), len(data))
				}
				if err != nil {
					if !errors.Is(err, ErrMessageTooLarge) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
						t.Fatalf("envelope: unexpected error %v", err)
					}
					return
				}
				if len(p) > lim.MaxMessageSize {
					t.Fatalf("payload of %d bytes over budget", len(p))
				}
				if n, err := ReadMB31(bytes.NewReader(AppendMB31(nil, len(p)))); err != nil || n != len(p) {
					t.Fatalf("MB31 round trip of %d: %d, %v", len(p), n, err)
				}
			case RecordFault:
				uri, err := fr.ReadFault()
				if err == nil && (uri == "" || len(uri) > maxFaultLength) {
					t.Fatalf("fault string %q", uri)
				}
				if err != nil {
					return
				}
			case RecordEnd, RecordPreambleAck, RecordPreambleEnd, RecordUpgradeResponse:
			default:
				return
			}
		}
	})
}
