package nmf

import (
	"bytes"
	"context"
	"errors"
	"net"
	"testing"
	"time"
)

// TestDrain: Drain closes the listener and the idle pooled connection,
// refuses a preamble that arrives afterwards with ServerTooBusy, and lets
// the running session go on until its client ends it.
func TestDrain(t *testing.T) {
	rec := newRecorder(true)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(Options{}, &testRouter{h: rec})
	served := make(chan error, 1)
	go func() { served <- srv.Serve(context.Background(), ln) }()
	addr := ln.Addr().String()

	// running: a session in progress. idle: a finished session, the
	// connection waiting for reuse. late: accepted, preamble not yet sent.
	running := dial(t, addr)
	if _, err := running.Write(preamble("net.tcp://h/svc", EncodingBinarySession, "")); err != nil {
		t.Fatal(err)
	}
	if got := readN(t, running, 1, 5*time.Second); got[0] != recPreambleAck {
		t.Fatalf("running: % x", got)
	}
	idle := dial(t, addr)
	if _, err := idle.Write(append(preamble("net.tcp://h/svc", EncodingBinarySession, ""), recEnd)); err != nil {
		t.Fatal(err)
	}
	if got := readN(t, idle, 2, 5*time.Second); !bytes.Equal(got, []byte{recPreambleAck, recEnd}) {
		t.Fatalf("idle: % x", got)
	}
	rec.wait(t)
	late := dial(t, addr)
	deadline := time.Now().Add(5 * time.Second)
	for srv.ActiveConnections() != 3 {
		if time.Now().After(deadline) {
			t.Fatalf("ActiveConnections = %d, want 3", srv.ActiveConnections())
		}
		time.Sleep(5 * time.Millisecond)
	}

	srv.Drain()
	srv.Drain() // idempotent
	if !srv.Draining() {
		t.Fatal("Draining() = false after Drain")
	}
	if err := <-served; !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve: %v, want ErrServerClosed", err)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Error("listener still accepting after Drain")
	}
	if got, closed := readAll(t, idle, 5*time.Second); !closed || len(got) != 0 {
		t.Errorf("idle connection: got % x closed=%v, want a plain close", got, closed)
	}
	if _, err := late.Write(preamble("net.tcp://h/svc", EncodingBinarySession, "")); err != nil {
		t.Fatal(err)
	}
	_ = late.CloseWrite()
	if got, closed := readAll(t, late, 5*time.Second); !bytes.Equal(got, faultBytes(FaultServerTooBusy)) || !closed {
		t.Errorf("late preamble: got % x closed=%v, want ServerTooBusy", got, closed)
	}

	// The running session still works, and ends normally, without reuse.
	msg := []byte("still here")
	if _, err := running.Write(sized(msg)); err != nil {
		t.Fatal(err)
	}
	if got := readN(t, running, len(sized(msg)), 5*time.Second); !bytes.Equal(got, sized(msg)) {
		t.Fatalf("echo during drain: % x", got)
	}
	if _, err := running.Write([]byte{recEnd}); err != nil {
		t.Fatal(err)
	}
	if got, closed := readAll(t, running, 5*time.Second); !bytes.Equal(got, []byte{recEnd}) || !closed {
		t.Errorf("running session end: got % x closed=%v", got, closed)
	}
	waitIdle(t, srv)
	st := srv.Stats()
	if st.Accepted != 3 || st.Busy != 1 || st.Active != 0 {
		t.Errorf("Stats = %+v, want 3 accepted, 1 busy, 0 active", st)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown after Drain: %v", err)
	}
	// Serve after Drain refuses at once.
	ln2, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(context.Background(), ln2); !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve after Drain: %v", err)
	}
}

// TestReconfigure: new limits apply to connections accepted afterwards;
// an open connection keeps the limits it was accepted with.
func TestReconfigure(t *testing.T) {
	rec := newRecorder(true)
	srv, addr := startServer(t, Options{MaxMessageSize: 4096}, &testRouter{h: rec})
	before := dial(t, addr)
	if _, err := before.Write(preamble("net.tcp://h/svc", EncodingBinarySession, "")); err != nil {
		t.Fatal(err)
	}
	if got := readN(t, before, 1, 5*time.Second); got[0] != recPreambleAck {
		t.Fatalf("% x", got)
	}
	srv.Reconfigure(Options{MaxMessageSize: 1024})
	msg := bytes.Repeat([]byte("x"), 2000)

	after := dial(t, addr)
	if _, err := after.Write(append(preamble("net.tcp://h/svc", EncodingBinarySession, ""), sized(msg)...)); err != nil {
		t.Fatal(err)
	}
	_ = after.CloseWrite()
	got, _ := readAll(t, after, 5*time.Second)
	if want := append([]byte{recPreambleAck}, faultBytes(FaultMaxMessageSizeExceeded)...); !bytes.HasPrefix(got, want) {
		t.Errorf("new connection: got % x, want the MaxMessageSizeExceeded fault", got)
	}

	if _, err := before.Write(sized(msg)); err != nil {
		t.Fatal(err)
	}
	if got := readN(t, before, len(sized(msg)), 5*time.Second); !bytes.Equal(got, sized(msg)) {
		t.Errorf("old connection lost its 4096-byte limit")
	}
	if _, err := before.Write([]byte{recEnd}); err != nil {
		t.Fatal(err)
	}
	readN(t, before, 1, 5*time.Second)
}
