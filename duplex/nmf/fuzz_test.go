package nmf

import (
	"context"
	"fmt"
	"io"
	"net"
	"runtime/pprof"
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
