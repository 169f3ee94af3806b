package sessions

import (
	"context"
	"io"
	"testing"

	"go.uber.org/zap"

	"github.com/ipamd/ipamd/services"
	"github.com/ipamd/ipamd/soap"
)

// awaitingTransport delivers queued messages and counts Awaits: a
// transport on which the session reads and handles off its own stack.
type awaitingTransport struct {
	*discardTransport
	msgs   [][]byte
	awaits int
}

func (t *awaitingTransport) Await(context.Context) bool {
	t.awaits++
	return true
}

func (t *awaitingTransport) Receive(context.Context) (*soap.Envelope, error) {
	if len(t.msgs) == 0 {
		return nil, io.EOF
	}
	p := t.msgs[0]
	t.msgs = t.msgs[1:]
	if p == nil {
		panic("receive failed") // a panic while a message is read and handled
	}
	return t.codec.Decode(p)
}

// TestServeOffStack: on a transport that can Await, Serve waits before
// every message and the message is handled, on a reused worker, before
// the next wait (Initialize is answered, the session is Initialized), the
// client's End ends Serve,
// and a panic in the reading or handling is raised again on Serve's
// goroutine, where the transport contains it.
func TestServeOffStack(t *testing.T) {
	b := provisionBinding(services.NewMemory(true, false), 0, "")
	tr := &awaitingTransport{discardTransport: newDiscardTransport(soap.EncodingBinarySession),
		msgs: clientMessages(t, initializeMessage, keepaliveMessage, keepaliveMessage, keepaliveMessage, keepaliveMessage)}
	s := newSession(context.Background(), b, tr, Options{Logger: zap.NewNop()})
	started := stepWorkers.Started()
	if err := s.Serve(); err != nil {
		t.Fatal(err)
	}
	if tr.awaits != 6 {
		t.Errorf("%d Awaits, want 6 (five messages and the End)", tr.awaits)
	}
	if n := stepWorkers.Started() - started; n > 2 {
		t.Errorf("%d step workers started for one session's 6 steps, want them reused", n)
	}
	if len(tr.out) == 0 {
		t.Error("Initialize not answered")
	}

	tr = &awaitingTransport{discardTransport: newDiscardTransport(soap.EncodingBinarySession), msgs: [][]byte{nil}}
	s = newSession(context.Background(), b, tr, Options{Logger: zap.NewNop()})
	defer func() {
		if r := recover(); r != "receive failed" {
			t.Fatalf("recovered %v, want the step's panic raised again on Serve's goroutine", r)
		}
	}()
	_ = s.Serve()
	t.Fatal("Serve returned after a panic")
}
