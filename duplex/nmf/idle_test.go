//go:build unix

package nmf

import (
	"context"
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"go.uber.org/zap"
)

// TestAwaitRecordLendsBuffers: a session waiting for its next record has
// given its payload buffer back, takes a read buffer again when bytes
// arrive (reading them intact), and the read deadline bounds the wait.
func TestAwaitRecordLendsBuffers(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cl, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	nc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	c := newConn(NewServer(Options{Logger: zap.NewNop()}, nil), context.Background(), nc, ListenerSecurity{})
	s := &Session{c: c, buf: make([]byte, 600)}

	done := make(chan error, 1)
	go func() { done <- s.awaitRecord() }()
	time.Sleep(20 * time.Millisecond) // let it park; nothing has arrived
	select {
	case err := <-done:
		t.Fatalf("awaitRecord returned %v before any byte arrived", err)
	default:
	}
	if _, err := cl.Write([]byte{recEnd, 0x42}); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if s.buf != nil {
		t.Errorf("payload buffer still held after the wait: cap %d", cap(s.buf))
	}
	for _, want := range []byte{recEnd, 0x42} {
		if b, err := c.br.ReadByte(); err != nil || b != want {
			t.Fatalf("read %#x, %v; want %#x", b, err, want)
		}
	}
	s.takePayloadBuf() // from the pool, or nil: readGrowing makes one

	// Deadline: nothing more arrives.
	if err := nc.SetReadDeadline(time.Now().Add(30 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if err := s.awaitRecord(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("awaitRecord past the deadline = %v, want ErrDeadlineExceeded", err)
	}
	if c.br == nil {
		t.Error("no read buffer after a failed wait")
	}
}
