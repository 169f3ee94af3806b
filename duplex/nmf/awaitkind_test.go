package nmf

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"
)

// TestAwaitTellsEnvelopeFromEnd: AwaitMessage reports an envelope as one
// (the caller decodes it on another goroutine) and the client's End, or
// its EOF without End, as none (the caller reads it where it is, without
// the hand-offs, issue 16); what it saw is what ReadMessage then returns,
// with no second read of an EOF. It fails if AwaitMessage calls an End
// an envelope or consumes what ReadMessage must see.
func TestAwaitTellsEnvelopeFromEnd(t *testing.T) {
	type seen struct {
		envelope bool
		payload  string
		err      error
	}
	for _, tc := range []struct {
		name   string
		client func(c interface{ Write([]byte) (int, error) })
		want   []seen
	}{
		{"envelope then End", func(c interface{ Write([]byte) (int, error) }) {
			_, _ = c.Write(sized([]byte("one")))
			time.Sleep(20 * time.Millisecond)
			_, _ = c.Write([]byte{byte(recEnd)})
		}, []seen{{true, "one", nil}, {false, "", io.EOF}}},
		{"envelope and End together", func(c interface{ Write([]byte) (int, error) }) {
			_, _ = c.Write(append(sized([]byte("two")), byte(recEnd)))
		}, []seen{{true, "two", nil}, {false, "", io.EOF}}},
		{"EOF without End", func(c interface{ Write([]byte) (int, error) }) {
			_, _ = c.Write(sized([]byte("three")))
			time.Sleep(20 * time.Millisecond)
		}, []seen{{true, "three", nil}, {false, "", io.ErrUnexpectedEOF}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := make(chan []seen, 1)
			h := handlerFunc(func(ctx context.Context, s *Session) error {
				var out []seen
				for range 2 {
					env := s.AwaitMessage(ctx)
					p, err := s.ReadMessage(ctx)
					out = append(out, seen{env, string(p), err})
				}
				got <- out
				return nil
			})
			srv, addr := startServer(t, Options{IdleTimeout: 5 * time.Second}, &testRouter{h: h})
			c := dial(t, addr)
			if _, err := c.Write(monoPreamble(t)); err != nil {
				t.Fatal(err)
			}
			readN(t, c, 1, 3*time.Second) // Preamble Ack
			tc.client(c)
			if tc.name == "EOF without End" {
				_ = c.CloseWrite()
			}
			var out []seen
			select {
			case out = <-got:
			case <-time.After(5 * time.Second):
				t.Fatal("the session did not read two records")
			}
			for i, w := range tc.want {
				g := out[i]
				if g.envelope != w.envelope || g.payload != w.payload || !errors.Is(g.err, w.err) || (w.err == nil) != (g.err == nil) {
					t.Errorf("record %d: AwaitMessage %v, ReadMessage %q, %v; want %v, %q, %v", i, g.envelope, g.payload, g.err, w.envelope, w.payload, w.err)
				}
			}
			_ = c.Close()
			waitIdle(t, srv)
		})
	}
}
