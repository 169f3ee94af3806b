package nmf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// clientRecords splits a client→server stream after its preamble into the
// sized payloads and reports whether it ends with End.
func clientRecords(t testing.TB, b []byte) (payloads [][]byte, end bool) {
	t.Helper()
	fr := NewFramer(nil, bytes.NewReader(b), Limits{MaxMessageSize: MaxMB31})
	for {
		typ, err := fr.ReadRecordType()
		if err == io.EOF {
			return payloads, false
		}
		switch typ {
		case recSizedEnvelope:
			p, err := fr.ReadEnvelope()
			if err != nil {
				t.Fatal(err)
			}
			payloads = append(payloads, bytes.Clone(p))
		case recEnd:
			if fr.Buffered() != 0 {
				t.Fatalf("%d bytes after End", fr.Buffered())
			}
			return payloads, true
		default:
			t.Fatalf("record type %#x", typ)
		}
	}
}

// TestReplayMonoSessions replays the client→server streams of the Mono
// capture, segmented as the relay read them, and closes like Mono (End then
// FIN at once).
func TestReplayMonoSessions(t *testing.T) {
	for _, tc := range []struct {
		file      string
		preamble  int
		chunks    []int // chunk log sizes (client→server)
		wantSizes []int
	}{
		{"session-a-c2s.hex", 54, []int{54, 574, 286, 1}, []int{571, 283}},
		{"session-b-c2s.hex", 56, []int{56, 578, 290, 252, 262, 262, 262, 258, 1}, nil},
	} {
		t.Run(tc.file, func(t *testing.T) {
			raw := loadHex(t, tc.file)
			want, end := clientRecords(t, raw[tc.preamble:])
			if !end {
				t.Fatal("capture does not end with End")
			}
			if tc.wantSizes != nil {
				if len(want) != len(tc.wantSizes) {
					t.Fatalf("capture has %d envelopes", len(want))
				}
				for i, n := range tc.wantSizes {
					if len(want[i]) != n {
						t.Fatalf("capture envelope %d has %d bytes, want %d", i, len(want[i]), n)
					}
				}
			}
			rec := newRecorder(false)
			srv, addr := startServer(t, Options{}, &testRouter{h: rec})
			c := dial(t, addr)
			off := 0
			for _, n := range tc.chunks {
				if _, err := c.Write(raw[off : off+n]); err != nil {
					t.Fatal(err)
				}
				off += n
				time.Sleep(2 * time.Millisecond)
			}
			if off != len(raw) {
				t.Fatalf("chunks cover %d of %d bytes", off, len(raw))
			}
			_ = c.CloseWrite()
			got, closed := readAll(t, c, 5*time.Second)
			if !bytes.Equal(got, []byte{recPreambleAck, recEnd}) || !closed {
				t.Fatalf("server sent % x closed=%v, want 0b 07 then close", got, closed)
			}
			rec.wait(t)
			payloads, errs := rec.got()
			if len(payloads) != len(want) {
				t.Fatalf("handler got %d payloads, want %d", len(payloads), len(want))
			}
			for i := range want {
				if !bytes.Equal(payloads[i], want[i]) {
					t.Errorf("payload %d differs (%d vs %d bytes)", i, len(payloads[i]), len(want[i]))
				}
			}
			if len(errs) != 1 || errs[0] != io.EOF {
				t.Errorf("ReadMessage ended with %v, want io.EOF", errs)
			}
			waitIdle(t, srv)
		})
	}
}

// TestMonoEndThenClose: Mono writes End and closes the socket at once; our
// End then meets EPIPE/ECONNRESET, which must be tolerated.
func TestMonoEndThenClose(t *testing.T) {
	rec := newRecorder(false)
	srv, addr := startServer(t, Options{}, &testRouter{h: rec})
	for i := 0; i < 10; i++ {
		c := dial(t, addr)
		if _, err := c.Write(monoPreamble(t)); err != nil {
			t.Fatal(err)
		}
		if got := readN(t, c, 1, 5*time.Second); got[0] != recPreambleAck {
			t.Fatalf("got % x", got)
		}
		if _, err := c.Write(append(sized([]byte("hello")), recEnd)); err != nil {
			t.Fatal(err)
		}
		if i%2 == 1 {
			_ = c.SetLinger(0) // RST instead of FIN
		}
		c.Close()
		rec.wait(t)
	}
	waitIdle(t, srv)
	payloads, errs := rec.got()
	if len(payloads) != 10 {
		t.Errorf("%d payloads, want 10", len(payloads))
	}
	for _, err := range errs {
		if err != io.EOF {
			t.Errorf("ReadMessage ended with %v, want io.EOF", err)
		}
	}
}

// TestClientResetAnytime: resets at every point of a session never hang or
// leak the connection.
func TestClientResetAnytime(t *testing.T) {
	srv, addr := startServer(t, Options{}, &testRouter{h: newRecorder(true)})
	in := append(append(monoPreamble(t), sized([]byte("hello"))...), recEnd)
	for cut := 0; cut <= len(in); cut += 7 {
		c := dial(t, addr)
		if _, err := c.Write(in[:cut]); err != nil {
			t.Fatal(err)
		}
		_ = c.SetLinger(0)
		c.Close()
	}
	waitIdle(t, srv)
}

func TestEndEnd(t *testing.T) {
	rec := newRecorder(false)
	srv, addr := startServer(t, Options{}, &testRouter{h: rec})
	c := dial(t, addr)
	if _, err := c.Write(append(monoPreamble(t), recEnd)); err != nil {
		t.Fatal(err)
	}
	if got := readN(t, c, 2, 5*time.Second); !bytes.Equal(got, []byte{recPreambleAck, recEnd}) {
		t.Fatalf("got % x", got)
	}
	// The server keeps the connection for reuse until we close.
	if got, closed := readAll(t, c, 200*time.Millisecond); closed || len(got) != 0 {
		t.Fatalf("server closed or sent % x while waiting for reuse", got)
	}
	_ = c.CloseWrite()
	if got, closed := readAll(t, c, 5*time.Second); !closed || len(got) != 0 {
		t.Fatalf("got % x closed=%v", got, closed)
	}
	waitIdle(t, srv)
}

// TestServerClosesFirst: the handler returns without waiting for the
// client's End; the server sends End, and in-flight client messages are
// discarded until the client's End; then the connection can be reused.
func TestServerClosesFirst(t *testing.T) {
	var calls int
	var mu sync.Mutex
	h := handlerFunc(func(ctx context.Context, s *Session) error {
		mu.Lock()
		calls++
		mu.Unlock()
		_, err := s.ReadMessage(ctx)
		return err
	})
	srv, addr := startServer(t, Options{}, &testRouter{h: h})
	c := dial(t, addr)
	pre := preamble("net.tcp://h/svc", EncodingBinarySession, "")
	if _, err := c.Write(append(append([]byte(nil), pre...), sized([]byte("one"))...)); err != nil {
		t.Fatal(err)
	}
	if got := readN(t, c, 2, 5*time.Second); !bytes.Equal(got, []byte{recPreambleAck, recEnd}) {
		t.Fatalf("got % x", got)
	}
	if _, err := c.Write(append(sized([]byte("in flight")), recEnd)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(pre); err != nil {
		t.Fatal(err)
	}
	if got := readN(t, c, 1, 5*time.Second); got[0] != recPreambleAck {
		t.Fatalf("reuse: got % x", got)
	}
	if _, err := c.Write([]byte{recEnd}); err != nil {
		t.Fatal(err)
	}
	_ = c.CloseWrite()
	if got, _ := readAll(t, c, 5*time.Second); !bytes.Equal(got, []byte{recEnd}) {
		t.Fatalf("got % x", got)
	}
	waitIdle(t, srv)
	mu.Lock()
	defer mu.Unlock()
	if calls != 2 {
		t.Errorf("%d sessions, want 2", calls)
	}
}

// TestReuse runs two full sessions on one TCP connection.
//
// Rule T4. (docs/protocol.md)
func TestReuse(t *testing.T) {
	rec := newRecorder(true)
	router := &testRouter{h: rec}
	srv, addr := startServer(t, Options{}, router)
	c := dial(t, addr)
	vias := []string{"net.tcp://h:808/svc", "net.tcp://h:808/svc/second"}
	for i, via := range vias {
		msg := []byte(fmt.Sprintf("message %d", i))
		in := append(append(preamble(via, EncodingBinarySession, ""), sized(msg)...), recEnd)
		if _, err := c.Write(in); err != nil {
			t.Fatal(err)
		}
		want := append(append([]byte{recPreambleAck}, sized(msg)...), recEnd)
		if got := readN(t, c, len(want), 5*time.Second); !bytes.Equal(got, want) {
			t.Fatalf("session %d: got % x, want % x", i, got, want)
		}
		rec.wait(t)
	}
	_ = c.CloseWrite()
	if got, closed := readAll(t, c, 5*time.Second); !closed || len(got) != 0 {
		t.Fatalf("got % x closed=%v", got, closed)
	}
	ps := router.preambles()
	if len(ps) != 2 || ps[0].Via != vias[0] || ps[1].Via != vias[1] {
		t.Fatalf("routed %v", ps)
	}
	waitIdle(t, srv)
}

// TestConcurrentWriters: 8 goroutines write callbacks while the handler reads
// and echoes; the output must parse as whole, uninterleaved records.
func TestConcurrentWriters(t *testing.T) {
	const writers, perWriter, clientMsgs = 8, 50, 20
	h := handlerFunc(func(ctx context.Context, s *Session) error {
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < perWriter; i++ {
					p := bytes.Repeat([]byte{byte('A' + w)}, 1+(i*397+w*91)%3000)
					if err := s.WriteMessage(ctx, p); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		// Echo the client's messages while the writers run; the client's
		// End is read only after all writes (nothing may follow it but
		// our End).
		var readErr error
		for i := 0; i < clientMsgs && readErr == nil; i++ {
			p, err := s.ReadMessage(ctx)
			if err == nil {
				err = s.WriteMessage(ctx, p)
			}
			readErr = err
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			return err
		}
		if readErr != nil {
			return readErr
		}
		if _, err := s.ReadMessage(ctx); err != io.EOF {
			return fmt.Errorf("after the messages: %v, want the client's End", err)
		}
		return nil
	})
	srv, addr := startServer(t, Options{}, &testRouter{h: h})
	c := dial(t, addr)
	var in []byte
	in = append(in, monoPreamble(t)...)
	for i := 0; i < clientMsgs; i++ {
		in = append(in, sized(bytes.Repeat([]byte{'z'}, 100+i))...)
	}
	in = append(in, recEnd)
	if _, err := c.Write(in); err != nil {
		t.Fatal(err)
	}
	_ = c.CloseWrite()
	out, closed := readAll(t, c, 10*time.Second)
	if !closed {
		t.Fatal("server did not close")
	}
	recs, err := parseServerStream(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2+writers*perWriter+clientMsgs || recs[0].typ != recPreambleAck || recs[len(recs)-1].typ != recEnd {
		t.Fatalf("%d records, first %#x, last %#x", len(recs), recs[0].typ, recs[len(recs)-1].typ)
	}
	counts := map[byte]int{}
	for _, r := range recs[1 : len(recs)-1] {
		if r.typ != recSizedEnvelope || len(r.payload) == 0 {
			t.Fatalf("record %#x with %d bytes", r.typ, len(r.payload))
		}
		id := r.payload[0]
		if !bytes.Equal(r.payload, bytes.Repeat([]byte{id}, len(r.payload))) {
			t.Fatal("interleaved payload")
		}
		counts[id]++
	}
	for w := 0; w < writers; w++ {
		if counts[byte('A'+w)] != perWriter {
			t.Errorf("writer %d: %d records", w, counts[byte('A'+w)])
		}
	}
	if counts['z'] != clientMsgs {
		t.Errorf("echoes: %d", counts['z'])
	}
	waitIdle(t, srv)
}

func TestSlowlorisPreamble(t *testing.T) {
	srv, addr := startServer(t, Options{PreambleTimeout: 300 * time.Millisecond}, &testRouter{h: newRecorder(false)})
	c := dial(t, addr)
	pre := monoPreamble(t)
	start := time.Now()
	var got []byte
	closed := false
	for i := 0; i < len(pre) && !closed; i++ {
		if _, err := c.Write(pre[i : i+1]); err != nil {
			closed = true
			break
		}
		var b []byte
		b, closed = readAll(t, c, 100*time.Millisecond)
		got = append(got, b...)
	}
	elapsed := time.Since(start)
	if !closed || len(got) != 0 {
		t.Fatalf("closed=%v got % x", closed, got)
	}
	// Closed with no answer before the client finished its preamble is the
	// proof; the upper bound only catches a deadline that did not fire at
	// all, with room for a loaded machine's late timers.
	if elapsed < 250*time.Millisecond || elapsed > 5*time.Second {
		t.Errorf("closed after %v, want about 300ms", elapsed)
	}
	waitIdle(t, srv)
}

func TestIdleTimeout(t *testing.T) {
	rec := newRecorder(false)
	srv, addr := startServer(t, Options{IdleTimeout: 200 * time.Millisecond}, &testRouter{h: rec})
	c := dial(t, addr)
	if _, err := c.Write(append(monoPreamble(t), sized([]byte("x"))...)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	got, closed := readAll(t, c, 3*time.Second)
	if !closed || !bytes.Equal(got, []byte{recPreambleAck}) {
		t.Fatalf("got % x closed=%v", got, closed)
	}
	if d := time.Since(start); d < 150*time.Millisecond || d > 2*time.Second {
		t.Errorf("aborted after %v", d)
	}
	rec.wait(t)
	_, errs := rec.got()
	if len(errs) != 1 || !errors.Is(errs[0], ErrIdleTimeout) {
		t.Errorf("errors %v, want ErrIdleTimeout", errs)
	}
	waitIdle(t, srv)
}

func TestAbortUnblocksRead(t *testing.T) {
	result := make(chan error, 1)
	h := handlerFunc(func(ctx context.Context, s *Session) error {
		timer := time.AfterFunc(50*time.Millisecond, s.Abort)
		defer timer.Stop()
		_, err := s.ReadMessage(ctx)
		result <- err
		if werr := s.WriteMessage(ctx, []byte("x")); werr == nil {
			t.Error("WriteMessage after Abort succeeded")
		}
		return err
	})
	srv, addr := startServer(t, Options{}, &testRouter{h: h})
	c := dial(t, addr)
	if _, err := c.Write(monoPreamble(t)); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-result:
		if !errors.Is(err, ErrAborted) {
			t.Errorf("ReadMessage error %v, want ErrAborted", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ReadMessage not unblocked")
	}
	if got, closed := readAll(t, c, 5*time.Second); !closed || !bytes.Equal(got, []byte{recPreambleAck}) {
		t.Errorf("got % x closed=%v", got, closed)
	}
	waitIdle(t, srv)
}

// TestReadContext: a per-call context that expires between records does not
// break the session; the next read gets the message.
func TestReadContext(t *testing.T) {
	result := make(chan error, 2)
	h := handlerFunc(func(ctx context.Context, s *Session) error {
		short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		_, err := s.ReadMessage(short)
		cancel()
		result <- err
		p, err := s.ReadMessage(ctx)
		if err == nil && string(p) != "late" {
			err = fmt.Errorf("payload %q", p)
		}
		result <- err
		if err := s.CloseOutput(ctx); err != nil {
			return err
		}
		if err := s.WriteMessage(ctx, []byte("after close")); !errors.Is(err, ErrOutputClosed) {
			return fmt.Errorf("WriteMessage after CloseOutput: %v", err)
		}
		_, err = s.ReadMessage(ctx)
		if err != io.EOF {
			return fmt.Errorf("final read: %v", err)
		}
		return nil
	})
	srv, addr := startServer(t, Options{}, &testRouter{h: h})
	c := dial(t, addr)
	if _, err := c.Write(monoPreamble(t)); err != nil {
		t.Fatal(err)
	}
	if err := <-result; !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("first read: %v", err)
	}
	if _, err := c.Write(sized([]byte("late"))); err != nil {
		t.Fatal(err)
	}
	if err := <-result; err != nil {
		t.Fatalf("second read: %v", err)
	}
	if got := readN(t, c, 2, 5*time.Second); !bytes.Equal(got, []byte{recPreambleAck, recEnd}) {
		t.Fatalf("got % x", got)
	}
	if _, err := c.Write([]byte{recEnd}); err != nil {
		t.Fatal(err)
	}
	_ = c.CloseWrite()
	if got, closed := readAll(t, c, 5*time.Second); !closed || len(got) != 0 {
		t.Fatalf("got % x closed=%v", got, closed)
	}
	waitIdle(t, srv)
}

// TestSessionFault: Session.Fault sends Fault+End and the connection is not
// reused.
func TestSessionFault(t *testing.T) {
	h := handlerFunc(func(ctx context.Context, s *Session) error {
		if err := s.Fault(ctx, FaultEndpointUnavailable); err != nil {
			return err
		}
		if err := s.WriteMessage(ctx, []byte("x")); !errors.Is(err, ErrOutputClosed) {
			return fmt.Errorf("WriteMessage after Fault: %v", err)
		}
		return nil
	})
	srv, addr := startServer(t, Options{}, &testRouter{h: h})
	c := dial(t, addr)
	if _, err := c.Write(monoPreamble(t)); err != nil {
		t.Fatal(err)
	}
	want := append([]byte{recPreambleAck}, faultBytes(FaultEndpointUnavailable)...)
	if got := readN(t, c, len(want), 5*time.Second); !bytes.Equal(got, want) {
		t.Fatalf("got % x", got)
	}
	_, _ = c.Write(monoPreamble(t)) // no reuse after a fault
	_ = c.CloseWrite()
	if got, closed := readAll(t, c, 5*time.Second); !closed || len(got) != 0 {
		t.Fatalf("got % x closed=%v", got, closed)
	}
	waitIdle(t, srv)
}

// TestShutdownDrains: Shutdown cancels the session, the server sends End,
// the client answers End, Shutdown returns.
func TestShutdownDrains(t *testing.T) {
	result := make(chan error, 1)
	h := handlerFunc(func(ctx context.Context, s *Session) error {
		_, err := s.ReadMessage(ctx)
		result <- err
		// Callbacks after the session ended fail cleanly.
		return nil
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(Options{}, &testRouter{h: h})
	served := make(chan error, 1)
	go func() { served <- srv.Serve(context.Background(), ln) }()
	c := dial(t, ln.Addr().String())
	if _, err := c.Write(monoPreamble(t)); err != nil {
		t.Fatal(err)
	}
	if got := readN(t, c, 1, 5*time.Second); got[0] != recPreambleAck {
		t.Fatalf("got % x", got)
	}
	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		shut <- srv.Shutdown(ctx)
	}()
	if got := readN(t, c, 1, 5*time.Second); got[0] != recEnd {
		t.Fatalf("got % x, want End", got)
	}
	if err := <-result; !errors.Is(err, context.Canceled) {
		t.Errorf("ReadMessage: %v, want context.Canceled", err)
	}
	if _, err := c.Write([]byte{recEnd}); err != nil {
		t.Fatal(err)
	}
	if got, closed := readAll(t, c, 5*time.Second); !closed || len(got) != 0 {
		t.Fatalf("got % x closed=%v", got, closed)
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := <-served; !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve: %v", err)
	}
	if n := srv.ActiveConnections(); n != 0 {
		t.Fatalf("ActiveConnections = %d", n)
	}
	if _, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		t.Error("listener still accepting")
	}
}

// TestShutdownAborts: a handler that ignores its context is aborted when the
// Shutdown context expires.
func TestShutdownAborts(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{})
	h := handlerFunc(func(ctx context.Context, s *Session) error {
		close(entered)
		<-release
		return nil
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(Options{}, &testRouter{h: h})
	served := make(chan error, 1)
	go func() { served <- srv.Serve(context.Background(), ln) }()
	c := dial(t, ln.Addr().String())
	if _, err := c.Write(monoPreamble(t)); err != nil {
		t.Fatal(err)
	}
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	go func() {
		time.Sleep(1500 * time.Millisecond)
		close(release)
	}()
	if err := srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown: %v", err)
	}
	if got, closed := readAll(t, c, 5*time.Second); !closed || !bytes.Equal(got, []byte{recPreambleAck}) {
		t.Errorf("got % x closed=%v", got, closed)
	}
	<-served
	waitIdle(t, srv)
}

// Rule: after the client's End nothing but our End is sent (framing layer).
//
// TestNothingFollowsClientEndButOurs: once the client's End is read, a
// message write is refused (ErrPeerEnded) and only our End goes out — what
// a .NET client in Close() expects.
//
// Rules P18, C15. (docs/protocol.md)
func TestNothingFollowsClientEndButOurs(t *testing.T) {
	writeErr := make(chan error, 1)
	h := handlerFunc(func(ctx context.Context, s *Session) error {
		if _, err := s.ReadMessage(ctx); err != io.EOF {
			return fmt.Errorf("read: %v, want the client's End", err)
		}
		writeErr <- s.WriteMessage(ctx, []byte("late"))
		return nil
	})
	_, addr := startServer(t, Options{}, &testRouter{h: h})
	c := dial(t, addr)
	if _, err := c.Write(append(monoPreamble(t), recEnd)); err != nil {
		t.Fatal(err)
	}
	_ = c.CloseWrite()
	out, closed := readAll(t, c, 10*time.Second)
	if !closed {
		t.Fatal("server did not close")
	}
	if err := <-writeErr; !errors.Is(err, ErrPeerEnded) {
		t.Fatalf("WriteMessage after the client's End = %v, want ErrPeerEnded", err)
	}
	recs, err := parseServerStream(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].typ != recPreambleAck || recs[1].typ != recEnd {
		t.Fatalf("server sent %d records %v, want PreambleAck then End", len(recs), recs)
	}
}
