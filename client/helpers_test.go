package client

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ipamd/ipamd/config"
	"github.com/ipamd/ipamd/duplex/nmf"
	"github.com/ipamd/ipamd/internal/server"
	"github.com/ipamd/ipamd/internal/server/servertest"
	"github.com/ipamd/ipamd/services"
	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	provisionPath = "/ipam/IIpamAsyncProvision"
)

// serverConfig describes the in-process ipamd a test runs against: the real
// framing server, session manager and services, with the in-memory work.
type serverConfig struct {
	configured, conversionRequired bool
	work                           memoryWork
	checkpoint                     time.Duration // default 20ms
	style                          ipam.CallbackActionStyle
	inactivity                     time.Duration // default 15s
	grace                          int           // default 3; -1 = 0
}

type testServer struct {
	adm                         memState
	writes                      *atomic.Int64 // Write calls on the server's accepted connections
	srv                         *servertest.Server
	addr                        string
	provisionURI, conversionURI string
}

// startServer runs an ipamd (servertest: what ipamd serve runs) on
// loopback with the in-memory store, until the test ends.
func startServer(tb testing.TB, cfg serverConfig) *testServer {
	tb.Helper()
	if cfg.checkpoint == 0 {
		cfg.checkpoint = 20 * time.Millisecond
	}
	grace := 3
	if cfg.grace != 0 {
		grace = max(cfg.grace, 0)
	}
	style := config.ActionStyleService
	if cfg.style == ipam.CallbackActionsCallback {
		style = config.ActionStyleCallback
	}
	mem := services.NewMemory(cfg.configured || cfg.conversionRequired, cfg.conversionRequired)
	writes := new(atomic.Int64)
	s := servertest.Start(tb,
		servertest.Set("listen", "net.tcp://127.0.0.1:0"),
		servertest.Set("admin.listen", ""),
		servertest.Set("log.level", "warn"),
		servertest.Set("limits.close_timeout", "2s"),
		servertest.Set("callbacks.action_style", style),
		servertest.Edit(func(c *config.Config) {
			c.Dev.WorkDuration = cfg.work.duration
			c.Session.CheckpointInterval = cfg.checkpoint
			c.Session.KeepaliveGraceCount = grace
			if cfg.inactivity != 0 {
				c.Session.InactivityInterval = cfg.inactivity
			}
		}),
		servertest.WithServerOptions(
			server.WithStore(services.WithFailure(mem, cfg.work.failWith)),
			server.WithListenerWrap(func(ln net.Listener) net.Listener { return countingListener{ln, writes} })))
	return &testServer{adm: memState{mem}, srv: s, addr: s.NetTCP, writes: writes,
		provisionURI: s.ProvisionURI(config.TransportNetTCP), conversionURI: s.SchemaConversionURI(config.TransportNetTCP)}
}

// serve runs srv (a scripted framing server) on a loopback listener until
// the test ends.
func serve(tb testing.TB, srv *nmf.Server) string {
	tb.Helper()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(context.Background(), inner) }()
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			tb.Errorf("server shutdown: %v", err)
		}
		if err := <-done; !errors.Is(err, nmf.ErrServerClosed) {
			tb.Errorf("Serve: %v", err)
		}
	})
	return inner.Addr().String()
}

// countingListener counts the Write calls on the connections it accepts:
// each is a send system call on the wire.
type countingListener struct {
	net.Listener
	writes *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return countingConn{c, l.writes}, nil
}

type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c countingConn) Write(b []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(b)
}

// CloseWrite keeps the half-close the server uses after a fault.
func (c countingConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// eventLog is an Observer that records events.
type eventLog struct {
	mu     sync.Mutex
	events []EventKind
}

func (l *eventLog) Observe(e Event) {
	l.mu.Lock()
	l.events = append(l.events, e.Kind)
	l.mu.Unlock()
}

func (l *eventLog) kinds() []EventKind {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]EventKind(nil), l.events...)
}

// scripted is an nmf handler that plays a fixed server: after the client's
// first message it writes the payloads, then ends its output and reads the
// rest of what the client sends.
type scripted struct {
	payloads [][]byte
}

func (h *scripted) Route(*nmf.Preamble) (nmf.SessionHandler, error) { return h, nil }

func (h *scripted) ServeSession(ctx context.Context, s *nmf.Session) error {
	if _, err := s.ReadMessage(ctx); err != nil {
		return nil
	}
	for _, p := range h.payloads {
		if err := s.WriteMessage(ctx, p); err != nil {
			return nil
		}
	}
	_ = s.CloseOutput(ctx)
	for {
		if _, err := s.ReadMessage(ctx); err != nil {
			return nil
		}
	}
}

// encode builds one server message in text encoding.
func encode(tb testing.TB, h soap.Header, body ipam.BodyWriter) []byte {
	tb.Helper()
	p, err := soap.NewCodec(soap.EncodingText, soap.Limits{}).Encode(nil, &h, body)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

const fixedID = "urn:uuid:00000000-0000-4000-8000-000000000001"

func fixedMessageID() string { return fixedID }

// memoryWork is how the in-memory store behaves: its work takes duration
// (padding, as dev.work_duration does) and fails with failWith if set.
type memoryWork struct {
	duration time.Duration
	failWith string
}

// memWork is in-memory work that takes d and succeeds.
func memWork(d time.Duration) memoryWork { return memoryWork{duration: d} }

// failWork is in-memory work that fails at once with the IpamExceptionId.
func failWork(id string) memoryWork { return memoryWork{failWith: id} }

// memState reads the in-memory store's ADM flags.
type memState struct{ m *services.Memory }

func (s memState) State() services.ADMState {
	st, _ := s.m.State(context.Background())
	return st
}
