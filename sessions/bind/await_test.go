package bind

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/ipamd/ipamd/duplex/nmf"
	"github.com/ipamd/ipamd/services"
	"github.com/ipamd/ipamd/sessions"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// TestInactivityEndsAwait: on the real net.tcp listener, a session waiting
// for its client's next message (Await, which waits under the framing
// session's context, not the session's) is ended by the InactivityTimer:
// the abort that goes with the session's cancellation interrupts the wait,
// and the client sees the connection closed. It fails if a wait outlives
// the session's end.
func TestInactivityEndsAwait(t *testing.T) {
	m, err := sessions.NewManager(sessions.Options{InactivityInterval: 30 * time.Millisecond, KeepaliveGraceCount: 1},
		sessions.Endpoint{Path: "/ipam/IIpamAsyncProvision", Binding: sessions.ProvisionBinding(
			(&services.Provision{Store: services.NewMemory(false, false)}).NewSession, ipam.CallbackActionsService)})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := nmf.NewServer(nmf.Options{IdleTimeout: time.Minute, CloseTimeout: time.Second}, NetTCP(m))
	served := make(chan error, 1)
	go func() { served <- srv.ServeListener(context.Background(), ln, nmf.ListenerSecurity{}) }()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-served
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cs, err := nmf.Dial(ctx, ln.Addr().String(), "net.tcp://"+ln.Addr().String()+"/ipam/IIpamAsyncProvision", nmf.EncodingBinarySession)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Abort()
	start := time.Now()
	_, err = cs.ReadMessage(ctx) // the client sends nothing; the server waits in Await
	if err == nil || ctx.Err() != nil {
		t.Fatalf("read after %v: %v, want the connection closed by the server", time.Since(start), err)
	}
	if !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
		t.Logf("connection ended with %v", err) // a reset is fine too
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Fatalf("session ended after %v (%v), before the inactivity bound", d, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("session ended after %v; inactivity bound about 60ms", d)
	}
}
