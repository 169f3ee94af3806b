package bind

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipamd/ipamd/duplex/nmf"
	"github.com/ipamd/ipamd/services"
	"github.com/ipamd/ipamd/sessions"
	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// countingConn counts the Writes the server makes on an accepted socket:
// each is one write system call on a TCP socket. The embedded
// *net.TCPConn keeps SyscallConn and CloseWrite, so the server waits and
// reads as on a plain socket.
type countingConn struct {
	*net.TCPConn
	writes *atomic.Int64
}

func (c countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.TCPConn.Write(p)
}

type countingListener struct {
	net.Listener
	writes atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return countingConn{c.(*net.TCPConn), &l.writes}, nil
}

// serveCounting serves a provisioning endpoint on store, on a listener
// that counts the server's writes, until the test ends.
func serveCounting(t *testing.T, store services.Store) (addr string, ln *countingListener) {
	t.Helper()
	m, err := sessions.NewManager(sessions.Options{},
		sessions.Endpoint{Path: "/ipam/IIpamAsyncProvision", Binding: sessions.ProvisionBinding(
			(&services.Provision{Store: store}).NewSession, ipam.CallbackActionsService)})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln = &countingListener{Listener: l}
	srv := nmf.NewServer(nmf.Options{IdleTimeout: time.Minute, CloseTimeout: time.Second}, NetTCP(m))
	served := make(chan error, 1)
	go func() { served <- srv.ServeListener(context.Background(), ln, nmf.ListenerSecurity{}) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-served
	})
	return l.Addr().String(), ln
}

// provisioningClient is the client side of one provisioning session,
// record by record.
type provisioningClient struct {
	t     *testing.T
	cs    *nmf.ClientSession
	codec *soap.Codec
	via   string
}

func dialProvisioning(t *testing.T, ctx context.Context, addr string) *provisioningClient {
	t.Helper()
	via := "net.tcp://" + addr + "/ipam/IIpamAsyncProvision"
	cs, err := nmf.Dial(ctx, addr, via, nmf.EncodingBinarySession)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cs.Abort)
	return &provisioningClient{t: t, cs: cs, codec: soap.NewCodec(soap.EncodingBinarySession, soap.Limits{}), via: via}
}

func (c *provisioningClient) send(ctx context.Context, h soap.Header, body soap.BodyWriter) {
	c.t.Helper()
	h.To = c.via
	p, err := c.codec.Encode(nil, &h, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := c.cs.WriteMessage(ctx, p); err != nil {
		c.t.Fatal(err)
	}
}

// expect reads the next message and checks its Action.
func (c *provisioningClient) expect(ctx context.Context, action string) {
	c.t.Helper()
	p, err := c.cs.ReadMessage(ctx)
	if err != nil {
		c.t.Fatalf("reading %s: %v", action, err)
	}
	env, err := c.codec.Decode(p)
	if err != nil {
		c.t.Fatal(err)
	}
	if env.Header.Action != action {
		c.t.Fatalf("got %s, want %s", env.Header.Action, action)
	}
}

func (c *provisioningClient) initializeAndStart(ctx context.Context) {
	c.t.Helper()
	c.send(ctx, soap.Header{Action: ipam.ActionInitializeAsyncProvisioning, MessageID: "urn:uuid:6a1e5a4e-0000-4000-8000-000000000001",
		ReplyTo: soap.AddressAnonymous}, &ipam.InitializeAsyncProvisioning{Parameters: &ipam.IpamProvisioningEnumerationParameters{
		EnumerationParametersBase: ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeAsyncProvision},
		IpamProvisioningSetting:   &ipam.IpamProvisioningSetting{}}})
	c.expect(ctx, ipam.ActionInitializeAsyncProvisioningResponse)
	c.send(ctx, soap.Header{Action: ipam.ActionStartAsyncProvisioning}, &ipam.StartAsyncProvisioning{})
}

// end reads our End (io.EOF), sends the client's and waits for the
// connection to close.
func (c *provisioningClient) end(ctx context.Context) {
	c.t.Helper()
	if _, err := c.cs.ReadMessage(ctx); !errors.Is(err, io.EOF) {
		c.t.Fatalf("after Notify…Complete: %v, want the server's End", err)
	}
	if err := c.cs.Close(ctx); err != nil {
		c.t.Fatal(err)
	}
}

// blockingStore is an unprovisioned Memory whose BeginProvisioning waits
// until the test releases it (the store read that provisioning starts
// with, made slow).
type blockingStore struct {
	*services.Memory
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func (s *blockingStore) BeginProvisioning(ctx context.Context, st *ipam.IpamProvisioningSetting) (services.Job, error) {
	s.once.Do(func() { close(s.entered) })
	select {
	case <-s.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return s.Memory.BeginProvisioning(ctx, st)
}

// TestNotifyStartNotHeldWhileStoreWaits: Notify…Start reaches the client
// while the provisioning's first store call still waits (the records of
// the Start's handling are flushed before it, ipam.FlushCallbacks); the
// store is released only once the client has read it. Notify…Complete
// then leaves with our End in one write. It fails (the client's read
// times out) if the Start is held until the handling ends.
func TestNotifyStartNotHeldWhileStoreWaits(t *testing.T) {
	store := &blockingStore{Memory: services.NewMemory(false, false), entered: make(chan struct{}), release: make(chan struct{})}
	addr, ln := serveCounting(t, store)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cb := ipam.ProvisionCallbackActions(ipam.CallbackActionsService)
	c := dialProvisioning(t, ctx, addr)
	c.initializeAndStart(ctx)
	select {
	case <-store.entered:
	case <-ctx.Done():
		t.Fatal("BeginProvisioning was not called")
	}
	rctx, rcancel := context.WithTimeout(ctx, 2*time.Second)
	c.expect(rctx, cb.Start) // while BeginProvisioning waits
	rcancel()
	before := ln.writes.Load()
	close(store.release)
	c.expect(ctx, cb.Complete)
	c.end(ctx)
	if got := ln.writes.Load() - before; got != 1 {
		t.Fatalf("Notify…Complete and End took %d writes, want 1", got)
	}
}
