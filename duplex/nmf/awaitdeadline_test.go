package nmf

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestAwaitThenReadOneIdleTimeout: after AwaitMessage, the record it saw
// begin must be complete within the same IdleTimeout, counted from the
// start of the wait: ReadMessage keeps the wait's deadline (one deadline
// set per message, issue 16) instead of granting a fresh IdleTimeout. A
// client that sends one byte just before the timeout and the rest after
// it is aborted with ErrIdleTimeout; it fails if the read after the wait
// sets a new deadline.
func TestAwaitThenReadOneIdleTimeout(t *testing.T) {
	const idle = 300 * time.Millisecond
	result := make(chan error, 1)
	h := handlerFunc(func(ctx context.Context, s *Session) error {
		s.AwaitMessage(ctx)
		_, err := s.ReadMessage(ctx)
		result <- err
		return err
	})
	srv, addr := startServer(t, Options{IdleTimeout: idle}, &testRouter{h: h})
	c := dial(t, addr)
	if _, err := c.Write(monoPreamble(t)); err != nil {
		t.Fatal(err)
	}
	readN(t, c, 1, 3*time.Second) // Preamble Ack
	rec := sized([]byte("payload"))
	time.Sleep(idle * 2 / 3)
	if _, err := c.Write(rec[:1]); err != nil { // the record begins within the wait
		t.Fatal(err)
	}
	time.Sleep(idle * 2 / 3) // the rest comes after IdleTimeout from the wait's start
	_, _ = c.Write(rec[1:])
	select {
	case err := <-result:
		if !errors.Is(err, ErrIdleTimeout) {
			t.Fatalf("ReadMessage = %v, want ErrIdleTimeout", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ReadMessage did not return")
	}
	waitIdle(t, srv)
}
