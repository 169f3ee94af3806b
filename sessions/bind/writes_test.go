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

// serveCounting serves the provisioning and conversion endpoints on
// store, on a listener that counts the server's writes, until the test
// ends. No checkpoints: the job's callbacks are Complete alone.
func serveCounting(t *testing.T, store services.Store) (addr string, ln *countingListener) {
	t.Helper()
	m, err := sessions.NewManager(sessions.Options{},
		sessions.Endpoint{Path: "/ipam/IIpamAsyncProvision", Binding: sessions.ProvisionBinding(
			(&services.Provision{Store: store, CheckpointInterval: time.Hour}).NewSession, ipam.CallbackActionsService)},
		sessions.Endpoint{Path: "/ipam/IIpamAsyncSchemaConversion", Binding: sessions.SchemaConversionBinding(
			(&services.SchemaConversion{Store: store, CheckpointInterval: time.Hour}).NewSession, ipam.CallbackActionsService)})
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

// asyncClient is the client side of one provisioning or conversion
// session, record by record.
type asyncClient struct {
	t     *testing.T
	cs    *nmf.ClientSession
	codec *soap.Codec
	via   string
}

func dialAsync(t *testing.T, ctx context.Context, addr, port string) *asyncClient {
	t.Helper()
	via := "net.tcp://" + addr + "/ipam/" + port
	cs, err := nmf.Dial(ctx, addr, via, nmf.EncodingBinarySession)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cs.Abort)
	return &asyncClient{t: t, cs: cs, codec: soap.NewCodec(soap.EncodingBinarySession, soap.Limits{}), via: via}
}

func (c *asyncClient) send(ctx context.Context, h soap.Header, body soap.BodyWriter) {
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
func (c *asyncClient) expect(ctx context.Context, action string) {
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

// initializeAndStart initializes, calls beforeStart, and sends Start.
func (c *asyncClient) initializeAndStart(ctx context.Context, conversion bool, beforeStart func()) {
	c.t.Helper()
	h := soap.Header{Action: ipam.ActionInitializeAsyncProvisioning, MessageID: "urn:uuid:6a1e5a4e-0000-4000-8000-000000000001",
		ReplyTo: soap.AddressAnonymous}
	if conversion {
		h.Action = ipam.ActionInitializeAsyncSchemaConversion
		c.send(ctx, h, &ipam.InitializeAsyncSchemaConversion{Parameters: &ipam.EnumerationParametersBase{
			ObjectType: ipam.EnumerationObjectTypeAsyncSchemaConversion}})
		c.expect(ctx, ipam.ActionInitializeAsyncSchemaConversionResponse)
		beforeStart()
		c.send(ctx, soap.Header{Action: ipam.ActionStartAsyncSchemaConversion}, &ipam.StartAsyncSchemaConversion{})
		return
	}
	c.send(ctx, h, &ipam.InitializeAsyncProvisioning{Parameters: &ipam.IpamProvisioningEnumerationParameters{
		EnumerationParametersBase: ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeAsyncProvision},
		IpamProvisioningSetting:   &ipam.IpamProvisioningSetting{}}})
	c.expect(ctx, ipam.ActionInitializeAsyncProvisioningResponse)
	beforeStart()
	c.send(ctx, soap.Header{Action: ipam.ActionStartAsyncProvisioning}, &ipam.StartAsyncProvisioning{})
}

// end reads our End (io.EOF), sends the client's and waits for the
// connection to close.
func (c *asyncClient) end(ctx context.Context) {
	c.t.Helper()
	if _, err := c.cs.ReadMessage(ctx); !errors.Is(err, io.EOF) {
		c.t.Fatalf("after Notify…Complete: %v, want the server's End", err)
	}
	if err := c.cs.Close(ctx); err != nil {
		c.t.Fatal(err)
	}
}

// blockingStore is a Memory whose store calls wait, once the test arms
// them, until the test releases them: the store reads that provisioning
// (BeginProvisioning) and conversion (the gating's State) start with,
// made slow.
type blockingStore struct {
	*services.Memory
	state   bool // State waits (conversion), else BeginProvisioning
	armed   atomic.Bool
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func newBlockingStore(configured, conversionRequired bool) *blockingStore {
	return &blockingStore{Memory: services.NewMemory(configured, conversionRequired), state: conversionRequired,
		entered: make(chan struct{}), release: make(chan struct{})}
}

func (s *blockingStore) wait(ctx context.Context) error {
	if !s.armed.Load() {
		return nil
	}
	s.once.Do(func() { close(s.entered) })
	select {
	case <-s.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *blockingStore) State(ctx context.Context) (services.ADMState, error) {
	if !s.state {
		return s.Memory.State(ctx)
	}
	if err := s.wait(ctx); err != nil {
		return services.ADMState{}, err
	}
	return s.Memory.State(ctx)
}

func (s *blockingStore) BeginProvisioning(ctx context.Context, st *ipam.IpamProvisioningSetting) (services.Job, error) {
	if s.state {
		return s.Memory.BeginProvisioning(ctx, st)
	}
	if err := s.wait(ctx); err != nil {
		return nil, err
	}
	return s.Memory.BeginProvisioning(ctx, st)
}

// TestNotifyStartNotHeldWhileStoreWaits: Notify…Start reaches the client
// while the store call that the work starts with still waits (the records
// of the Start's handling are flushed before it, ipam.FlushCallbacks); the
// store is released only once the client has read it. Notify…Complete
// then leaves with our End in one write. It fails (the client's read
// times out) if the Start is held until the handling ends.
func TestNotifyStartNotHeldWhileStoreWaits(t *testing.T) {
	for _, tc := range []struct {
		name       string
		conversion bool
		store      *blockingStore
	}{
		{"provisioning", false, newBlockingStore(false, false)},
		{"conversion", true, newBlockingStore(true, true)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr, ln := serveCounting(t, tc.store)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			port, cb := "IIpamAsyncProvision", ipam.ProvisionCallbackActions(ipam.CallbackActionsService)
			if tc.conversion {
				port, cb = "IIpamAsyncSchemaConversion", ipam.SchemaConversionCallbackActions(ipam.CallbackActionsService)
			}
			c := dialAsync(t, ctx, addr, port)
			// Initialize's own store reads do not wait; the Start's do.
			c.initializeAndStart(ctx, tc.conversion, func() { tc.store.armed.Store(true) })
			select {
			case <-tc.store.entered:
			case <-ctx.Done():
				t.Fatal("the store was not called")
			}
			rctx, rcancel := context.WithTimeout(ctx, 2*time.Second)
			c.expect(rctx, cb.Start) // while the store waits
			rcancel()
			before := ln.writes.Load()
			close(tc.store.release)
			c.expect(ctx, cb.Complete)
			c.end(ctx)
			if got := ln.writes.Load() - before; got != 1 {
				t.Fatalf("Notify…Complete and End took %d writes, want 1", got)
			}
		})
	}
}
