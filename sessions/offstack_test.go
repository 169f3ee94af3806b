package sessions

import (
	"context"
	"testing"

	"go.uber.org/zap"

	"github.com/ipamd/ipamd/services"
	"github.com/ipamd/ipamd/soap"
)

// TestHandleOffStack: a message handled on its own goroutine (so the
// serving goroutine's stack stays small while the session is held) is
// handled before handleOffStack returns, and a panic in the handling is
// raised again on the caller's goroutine, where the transport contains it.
func TestHandleOffStack(t *testing.T) {
	tr := newDiscardTransport(soap.EncodingBinarySession)
	s := newSession(context.Background(), provisionBinding(services.NewMemory(true, false), 0, ""), tr, Options{Logger: zap.NewNop()})
	msgs := clientMessages(t, initializeMessage)
	if err := s.handleOffStack(tr.receive(t, msgs[0])); err != nil {
		t.Fatal(err)
	}
	if st := s.State(); st != Initialized {
		t.Fatalf("state %v after Initialize, want Initialized at once", st)
	}

	defer func() {
		if r := recover(); r == nil {
			t.Fatal("a panic in the handling was not raised again on the serving goroutine")
		}
	}()
	_ = s.handleOffStack(nil) // handle dereferences the envelope: a panic
	t.Fatal("handleOffStack returned after a panic")
}
