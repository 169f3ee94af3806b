package nmf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// writeCounter wraps accepted connections to count the server's writes.
type writeCounter struct {
	net.Listener
	n atomic.Int64
}

func (l *writeCounter) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countedConn{Conn: c, n: &l.n}, nil
}

type countedConn struct {
	net.Conn
	n *atomic.Int64
}

func (c *countedConn) Write(b []byte) (int, error) {
	c.n.Add(1)
	return c.Conn.Write(b)
}

func startCounted(t *testing.T, h SessionHandler) (addr string, writes *atomic.Int64) {
	t.Helper()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := &writeCounter{Listener: inner}
	srv := NewServer(Options{CloseTimeout: 2 * time.Second}, &testRouter{h: h})
	served := make(chan error, 1)
	go func() { served <- srv.ServeListener(context.Background(), ln, ListenerSecurity{}) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-served
	})
	return ln.Addr().String(), &ln.n
}

// TestCork: records written while corked leave in one write at Flush, in
// order; ReadMessage flushes what is held before it waits for the client;
// a Fault is never held.
func TestCork(t *testing.T) {
	tests := []struct {
		name   string
		serve  func(ctx context.Context, s *Session) error
		want   []string // messages the client reads before End (or the fault)
		fault  string   // the framing fault the client gets instead of End
		writes int64    // the server's writes after the Preamble Ack
	}{
		{"flush sends the held records in one write", func(ctx context.Context, s *Session) error {
			s.Cork()
			for _, m := range []string{"start", "complete"} {
				if err := s.WriteMessage(ctx, []byte(m)); err != nil {
					return err
				}
			}
			if err := s.CloseOutput(ctx); err != nil {
				return err
			}
			if err := s.Flush(ctx); err != nil {
				return err
			}
			_, err := s.ReadMessage(ctx)
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}, []string{"start", "complete"}, "", 1},
		{"read flushes first", func(ctx context.Context, s *Session) error {
			s.Cork()
			if err := s.WriteMessage(ctx, []byte("reply")); err != nil {
				return err
			}
			// The client answers "reply" only once it has it: without the
			// flush in ReadMessage this would wait forever.
			p, err := s.ReadMessage(ctx)
			if err != nil {
				return err
			}
			if err := s.WriteMessage(ctx, append([]byte("got "), p...)); err != nil {
				return err
			}
			return s.CloseOutput(ctx)
		}, []string{"reply", "got ack"}, "", 3},
		{"the final message carries our End", func(ctx context.Context, s *Session) error {
			if err := s.WriteMessage(ctx, []byte("start")); err != nil {
				return err
			}
			if err := s.WriteFinalMessage(ctx, []byte("complete")); err != nil {
				return err
			}
			if err := s.WriteMessage(ctx, []byte("late")); !errors.Is(err, ErrOutputClosed) {
				return fmt.Errorf("a message after the final one: %v, want ErrOutputClosed", err)
			}
			return awaitClientEnd(ctx, s)
		}, []string{"start", "complete"}, "", 2},
		{"the final message leaves at once with what was held", func(ctx context.Context, s *Session) error {
			s.Cork()
			if err := s.WriteMessage(ctx, []byte("start")); err != nil {
				return err
			}
			if err := s.WriteFinalMessage(ctx, []byte("complete")); err != nil {
				return err
			}
			return awaitClientEnd(ctx, s) // no Flush: the client has it all already
		}, []string{"start", "complete"}, "", 1},
		{"a fault goes out at once with what was held", func(ctx context.Context, s *Session) error {
			s.Cork()
			if err := s.WriteMessage(ctx, []byte("partial")); err != nil {
				return err
			}
			return s.Fault(ctx, FaultServerTooBusy)
		}, []string{"partial"}, FaultServerTooBusy, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			served := make(chan error, 1)
			addr, writes := startCounted(t, handlerFunc(func(ctx context.Context, s *Session) error {
				err := tt.serve(ctx, s)
				served <- err
				return err
			}))
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			c, err := Dial(ctx, addr, "net.tcp://h/svc", EncodingBinarySession)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close(ctx)
			var got []string
			for {
				p, err := c.ReadMessage(ctx)
				if errors.Is(err, io.EOF) {
					break
				}
				var fe *FaultError
				if errors.As(err, &fe) {
					if fe.URI != tt.fault {
						t.Fatalf("fault %s, want %q", fe.URI, tt.fault)
					}
					break
				}
				if err != nil {
					t.Fatalf("read: %v (got %q)", err, got)
				}
				got = append(got, string(p))
				if string(p) == "reply" {
					if err := c.WriteMessage(ctx, []byte("ack")); err != nil {
						t.Fatal(err)
					}
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("got %q, want %q", got, tt.want)
				}
			}
			_ = c.Close(ctx)
			select {
			case err := <-served:
				if err != nil && tt.fault == "" {
					t.Errorf("the server's session: %v", err)
				}
			case <-ctx.Done():
				t.Fatal("the server's session did not end")
			}
			// Everything the server writes has been read by now; its first
			// write was the Preamble Ack.
			if n := writes.Load() - 1; n != tt.writes {
				t.Errorf("%d server writes after the ack, want %d", n, tt.writes)
			}
		})
	}
}

// awaitClientEnd reads until the client's End, which the client sends
// only once it has read ours.
func awaitClientEnd(ctx context.Context, s *Session) error {
	if _, err := s.ReadMessage(ctx); !errors.Is(err, io.EOF) {
		return fmt.Errorf("after our End: %v, want the client's End", err)
	}
	return nil
}
