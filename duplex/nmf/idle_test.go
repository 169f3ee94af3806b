//go:build unix

package nmf

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"
)

// TestAwaitRecordLendsBuffers: a connection waiting for its next record has
// given its Framer's read buffer and envelope buffer back, takes a read
// buffer again when bytes arrive (reading them intact), and the read
// deadline bounds the wait.
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
	c.fr.buf = make([]byte, 600) // a previous envelope's buffer

	done := make(chan error, 1)
	go func() { done <- c.awaitRecord() }()
	time.Sleep(20 * time.Millisecond) // let it park; nothing has arrived
	select {
	case err := <-done:
		t.Fatalf("awaitRecord returned %v before any byte arrived", err)
	default:
	}
	payload := []byte("hello")
	if _, err := cl.Write(AppendSizedEnvelope(nil, payload)); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if c.fr.buf != nil {
		t.Errorf("envelope buffer still held after the wait: cap %d", cap(c.fr.buf))
	}
	if c.fr.br == nil || c.fr.br.Size() != readBufferSize {
		t.Fatal("no read buffer of readBufferSize after the wait")
	}
	if rt, err := c.fr.ReadRecordType(); err != nil || rt != RecordSizedEnvelope {
		t.Fatalf("record type %v, %v; want SizedEnvelope", rt, err)
	}
	got, err := c.fr.ReadEnvelope()
	if err != nil || string(got) != string(payload) {
		t.Fatalf("envelope %q, %v; want %q", got, err, payload)
	}

	// Bytes already buffered: no wait, nothing lent.
	if _, err := cl.Write([]byte{recEnd, recEnd}); err != nil {
		t.Fatal(err)
	}
	if rt, err := c.fr.ReadRecordType(); err != nil || rt != RecordEnd {
		t.Fatalf("record type %v, %v; want End", rt, err)
	}
	br := c.fr.br
	if err := c.awaitRecord(); err != nil {
		t.Fatal(err)
	}
	if c.fr.br != br {
		t.Error("read buffer swapped while bytes were buffered")
	}
	if rt, err := c.fr.ReadRecordType(); err != nil || rt != RecordEnd {
		t.Fatalf("record type %v, %v; want End", rt, err)
	}

	// Deadline: nothing more arrives.
	if err := nc.SetReadDeadline(time.Now().Add(30 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if err := c.awaitRecord(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("awaitRecord past the deadline = %v, want ErrDeadlineExceeded", err)
	}
	if c.fr.br == nil {
		t.Error("no read buffer after a failed wait")
	}
}

// TestRecordBufferLentOnceWritten: an uncorked write leaves no record
// buffer on the connection; a Cork holds one until Flush.
func TestRecordBufferLentOnceWritten(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	go func() { _, _ = io.Copy(io.Discard, b) }()
	c := newConn(NewServer(Options{Logger: zap.NewNop()}, nil), context.Background(), a, ListenerSecurity{})
	s := newSession(c, context.Background(), &Preamble{})
	if err := s.WriteMessage(context.Background(), []byte("reply")); err != nil {
		t.Fatal(err)
	}
	if c.wbuf != nil {
		t.Errorf("record buffer held after the write: cap %d", cap(c.wbuf))
	}
	s.Cork()
	if err := s.WriteMessage(context.Background(), []byte("held")); err != nil {
		t.Fatal(err)
	}
	if len(c.wbuf) == 0 {
		t.Error("corked record not held")
	}
	if err := s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c.wbuf != nil {
		t.Errorf("record buffer held after Flush: cap %d", cap(c.wbuf))
	}
}

// TestAwaitRecordReadsWhatIsThere: bytes already on the socket when the
// wait starts are read at once, into the read buffer the connection holds
// (nothing lent, no wait); the client's EOF found that way is the next
// read's answer, kept rather than read again.
func TestAwaitRecordReadsWhatIsThere(t *testing.T) {
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
	if _, err := cl.Write([]byte{recEnd}); err != nil {
		t.Fatal(err)
	}
	waitReadable(t, nc) // the byte is on the server's socket
	br := c.fr.br
	if err := c.awaitRecord(); err != nil {
		t.Fatal(err)
	}
	if c.fr.br != br || c.fr.Buffered() != 1 {
		t.Fatalf("after the wait: read buffer swapped %v, %d bytes buffered; want the same buffer holding 1", c.fr.br != br, c.fr.Buffered())
	}
	if rt, err := c.fr.ReadRecordType(); err != nil || rt != RecordEnd {
		t.Fatalf("record type %v, %v; want End", rt, err)
	}

	if err := cl.Close(); err != nil {
		t.Fatal(err)
	}
	waitReadable(t, nc)
	if err := c.awaitRecord(); err != nil {
		t.Fatal(err)
	}
	if c.rd.pending != io.EOF {
		t.Fatalf("the EOF found by the wait was not kept for the read: pending %v", c.rd.pending)
	}
	if _, err := c.fr.ReadRecordType(); !errors.Is(err, io.EOF) {
		t.Fatalf("read after the EOF = %v, want io.EOF", err)
	}
	if c.rd.pending != nil {
		t.Error("the kept EOF was not consumed by the read")
	}
}

// waitReadable blocks until nc's socket has bytes (or its EOF), without
// reading them.
func waitReadable(t *testing.T, nc net.Conn) {
	t.Helper()
	rc, err := nc.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	defer nc.SetReadDeadline(time.Time{})
	err = rc.Read(func(fd uintptr) bool {
		var b [1]byte
		_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return err != syscall.EAGAIN
	})
	if err != nil {
		t.Fatal(err)
	}
}
