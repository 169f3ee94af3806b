package nmf

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"go.uber.org/zap/zaptest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// loadHex reads a testdata file holding one hex string (a "raw:" line of
// mono-nettcp-capture.txt).
func loadHex(t testing.TB, name string) []byte {
	t.Helper()
	s, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	b, err := hex.DecodeString(strings.TrimSpace(string(s)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// preamble builds a client preamble; enc is either a Known Encoding byte
// (when ct == "") or the content type of an Extensible Encoding record.
func preamble(via string, enc Encoding, ct string, upgrades ...string) []byte {
	var b []byte
	if ct == "" {
		b = AppendPreambleStart(nil, via, enc)
	} else {
		// An Extensible Encoding record, which no client of ours sends.
		b = AppendPreambleStart(nil, via, 0)
		b = append(b[:len(b)-2], recExtensibleEncoding)
		b = AppendMB31(b, len(ct))
		b = append(b, ct...)
	}
	for _, u := range upgrades {
		b = AppendUpgradeRequest(b, u)
	}
	return append(b, recPreambleEnd)
}

func sized(payload []byte) []byte { return AppendSizedEnvelope(nil, payload) }

func faultBytes(uri string) []byte { return AppendFault(nil, uri) }

// testRouter accepts net.tcp Vias whose path is /svc or /IpamAsyncProvision*
// with the binary session encoding, like the IPAM endpoints will.
type testRouter struct {
	h      SessionHandler
	mu     sync.Mutex
	routed []*Preamble
}

func (r *testRouter) Route(p *Preamble) (SessionHandler, error) {
	r.mu.Lock()
	r.routed = append(r.routed, p)
	r.mu.Unlock()
	if !strings.Contains(p.Via, "/svc") && !strings.Contains(p.Via, "/IpamAsyncProvision") &&
		!strings.Contains(p.Via, "/Service1") {
		return nil, &FaultError{URI: FaultEndpointNotFound, Err: fmt.Errorf("no endpoint at %q", p.Via)}
	}
	if p.Encoding != EncodingBinarySession {
		return nil, &FaultError{URI: FaultContentTypeInvalid, Err: fmt.Errorf("encoding %v", p.Encoding)}
	}
	return r.h, nil
}

func (r *testRouter) preambles() []*Preamble {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*Preamble(nil), r.routed...)
}

// handlerFunc adapts a function to SessionHandler.
type handlerFunc func(ctx context.Context, s *Session) error

func (f handlerFunc) ServeSession(ctx context.Context, s *Session) error { return f(ctx, s) }

// recorder is a handler that records every payload and, if echo, writes it
// back; it returns the ReadMessage error that ended the session (nil on EOF).
type recorder struct {
	echo bool

	mu       sync.Mutex
	payloads [][]byte
	errs     []error
	done     chan struct{} // receives one value per finished session
}

func newRecorder(echo bool) *recorder {
	return &recorder{echo: echo, done: make(chan struct{}, 16)}
}

func (r *recorder) ServeSession(ctx context.Context, s *Session) error {
	defer func() {
		select {
		case r.done <- struct{}{}:
		default: // nobody counts sessions (fuzzing)
		}
	}()
	for {
		p, err := s.ReadMessage(ctx)
		if err != nil {
			r.mu.Lock()
			r.errs = append(r.errs, err)
			r.mu.Unlock()
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		r.mu.Lock()
		r.payloads = append(r.payloads, bytes.Clone(p))
		r.mu.Unlock()
		if r.echo {
			if err := s.WriteMessage(ctx, p); err != nil {
				return err
			}
		}
	}
}

func (r *recorder) wait(t testing.TB) {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(5 * time.Second):
		t.Fatal("session did not finish")
	}
}

func (r *recorder) got() ([][]byte, []error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.payloads...), append([]error(nil), r.errs...)
}

// startServer serves on a loopback listener until the test ends, then shuts
// down (and fails the test if that needs longer than 5 s).
func startServer(t testing.TB, opts Options, router Router) (*Server, string) {
	t.Helper()
	return startListener(t, opts, router, ListenerSecurity{Upgrader: opts.Upgrader})
}

// startListener is startServer with the listener's own security.
func startListener(t testing.TB, opts Options, router Router, sec ListenerSecurity) (*Server, string) {
	t.Helper()
	if opts.Logger == nil {
		if tt, ok := t.(*testing.T); ok {
			opts.Logger = zaptest.NewLogger(tt)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(opts, router)
	served := make(chan error, 1)
	go func() { served <- srv.ServeListener(context.Background(), ln, sec) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-served; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
	})
	return srv, ln.Addr().String()
}

func dial(t testing.TB, addr string) *net.TCPConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}

// readAll reads until EOF (or a reset) within d and returns what arrived and
// whether the server closed the connection.
func readAll(t testing.TB, c net.Conn, d time.Duration) ([]byte, bool) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(d))
	var buf bytes.Buffer
	_, err := io.Copy(&buf, c)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return buf.Bytes(), false
		}
	}
	return buf.Bytes(), true // EOF or reset: closed
}

// readN reads exactly n bytes within d.
func readN(t testing.TB, c net.Conn, n int, d time.Duration) []byte {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(d))
	b := make([]byte, n)
	if _, err := io.ReadFull(c, b); err != nil {
		t.Fatalf("reading %d bytes: %v (got % x)", n, err, b)
	}
	return b
}

// serverRecord is one record of the server→client stream.
type serverRecord struct {
	typ     byte
	payload []byte // Sized Envelope payload or Fault URI
}

// parseServerStream splits a server→client byte stream into records, failing
// on anything a server must not send. It returns the records and the number
// of bytes of an incomplete trailing record (0 if the stream ends cleanly).
func parseServerStream(b []byte) ([]serverRecord, error) {
	fr := NewFramer(nil, bytes.NewReader(b), Limits{MaxMessageSize: MaxMB31})
	var recs []serverRecord
	for {
		t, err := fr.ReadRecordType()
		if err == io.EOF {
			return recs, nil
		}
		switch t {
		case recPreambleAck, recEnd, recUpgradeResponse:
			recs = append(recs, serverRecord{typ: byte(t)})
		case recSizedEnvelope:
			p, err := fr.ReadEnvelope()
			if err != nil {
				return recs, fmt.Errorf("record 0x%02x: %w", byte(t), err)
			}
			recs = append(recs, serverRecord{typ: byte(t), payload: bytes.Clone(p)})
		case recFault:
			uri, err := fr.ReadFault()
			if err != nil {
				return recs, fmt.Errorf("fault record: %w", err)
			}
			recs = append(recs, serverRecord{typ: byte(t), payload: []byte(uri)})
		default:
			return recs, fmt.Errorf("server sent record type 0x%02x", byte(t))
		}
	}
}

func newTestReader(b []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(b)) }
