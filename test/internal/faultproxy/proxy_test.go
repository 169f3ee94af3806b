package faultproxy

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// target is a loopback server that echoes (or, with sink, counts) what
// it reads.
type target struct {
	ln   net.Listener
	wg   sync.WaitGroup
	mu   sync.Mutex
	got  []byte
	sink bool
}

func newTarget(t *testing.T, sink bool) *target {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &target{ln: ln, sink: sink}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer c.Close()
				buf := make([]byte, 4096)
				for {
					n, err := c.Read(buf)
					if n > 0 {
						s.mu.Lock()
						s.got = append(s.got, buf[:n]...)
						s.mu.Unlock()
						if !s.sink {
							if _, werr := c.Write(buf[:n]); werr != nil {
								return
							}
						}
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() { _ = ln.Close(); s.wg.Wait() })
	return s
}

func (s *target) received() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.got)
}

func newProxy(t *testing.T, to *target) *Proxy {
	t.Helper()
	p, err := New(to.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func dial(t *testing.T, p *Proxy) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", p.Addr(), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// echo writes msg and reads it back within d.
func echo(c net.Conn, msg []byte, d time.Duration) error {
	if _, err := c.Write(msg); err != nil {
		return err
	}
	_ = c.SetReadDeadline(time.Now().Add(d))
	defer c.SetReadDeadline(time.Time{})
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		return err
	}
	if !bytes.Equal(got, msg) {
		return errors.New("echo differs")
	}
	return nil
}

func TestForwards(t *testing.T) {
	p := newProxy(t, newTarget(t, false))
	c := dial(t, p)
	for range 3 {
		if err := echo(c, []byte("hello through the proxy"), 2*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if p.Open() != 1 || p.Accepted() != 1 {
		t.Fatalf("open %d accepted %d, want 1 and 1", p.Open(), p.Accepted())
	}
}

func TestCutResetsOpenAndRefusesNew(t *testing.T) {
	p := newProxy(t, newTarget(t, false))
	c := dial(t, p)
	if err := echo(c, []byte("before"), 2*time.Second); err != nil {
		t.Fatal(err)
	}
	p.Cut()
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("read on a cut connection: %v, want ECONNRESET", err)
	}
	// The proxy accepts and resets at once, so the RST may reach the
	// dialer before connect returns: a refused dial is the same outcome.
	if n, err := net.DialTimeout("tcp", p.Addr(), 2*time.Second); err == nil {
		defer n.Close()
		if err := echo(n, []byte("x"), 2*time.Second); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("a connection made while cut: %v, want it reset or closed at once", err)
		}
	} else if !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("dial while cut: %v, want success then a reset, or ECONNRESET", err)
	}
	p.Restore()
	if err := echo(dial(t, p), []byte("after"), 2*time.Second); err != nil {
		t.Fatalf("after Restore: %v", err)
	}
}

func TestBlackHoleHoldsWithoutClosing(t *testing.T) {
	to := newTarget(t, false)
	p := newProxy(t, to)
	c := dial(t, p)
	if err := echo(c, []byte("before"), 2*time.Second); err != nil {
		t.Fatal(err)
	}
	p.BlackHole()
	err := echo(c, []byte("into the hole"), 300*time.Millisecond)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("echo through a black hole: %v, want a timeout (no reset, no close)", err)
	}
	if to.received() != len("before") {
		t.Fatalf("target received %d bytes, want only the %d sent before the black hole", to.received(), len("before"))
	}
	fresh := dial(t, p) // a new connection is accepted and held too
	if err := echo(fresh, []byte("new"), 300*time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("new connection in a black hole: %v, want a timeout", err)
	}
	p.Restore()
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	got := make([]byte, len("into the hole"))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != "into the hole" {
		t.Fatalf("held bytes after Restore: %q, %v", got, err)
	}
}

func TestLatency(t *testing.T) {
	p := newProxy(t, newTarget(t, false))
	c := dial(t, p)
	const d = 100 * time.Millisecond
	p.SetLatency(d)
	start := time.Now()
	if err := echo(c, []byte("slow"), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 2*d {
		t.Fatalf("round trip took %v, want at least %v (latency each way)", el, 2*d)
	}
}

func TestResetAfterBytes(t *testing.T) {
	to := newTarget(t, true)
	p := newProxy(t, to)
	c := dial(t, p)
	if _, err := c.Write([]byte("0123456789")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return to.received() == 10 })
	p.ResetAfter(25)
	// The RST is reported once: to a write if one follows it, else to the read.
	var werr error
	for i := 0; i < 10 && werr == nil; i++ {
		_, werr = c.Write([]byte("abcdefghij"))
		time.Sleep(10 * time.Millisecond)
	}
	if !errors.Is(werr, syscall.ECONNRESET) && !errors.Is(werr, syscall.EPIPE) {
		_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("after the reset point: write %v, read %v, want ECONNRESET", werr, err)
		}
	}
	waitFor(t, func() bool { return p.Open() == 0 })
	if got := to.received(); got != 10+25 {
		t.Fatalf("target received %d bytes, want exactly %d (10 before, 25 after ResetAfter)", got, 35)
	}
}

func TestCloseEndsHeldConnections(t *testing.T) {
	p, err := New(newTarget(t, false).ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, p)
	p.BlackHole()
	_, _ = c.Write([]byte("held"))
	done := make(chan struct{})
	go func() { _ = p.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return with a black-holed connection open")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
