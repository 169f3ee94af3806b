package soaphttp

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// readResponse reads one HTTP response from c within 5 s.
func readResponse(t *testing.T, c net.Conn) *http.Response {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("reading a response: %v", err)
	}
	return resp
}

// TestConnectionCaps: connections above MaxConnectionsPerAddress (from one
// address) and above MaxConnections (in total) are answered 503 with a SOAP
// fault at accept, without sending a request; a connection that is closed
// frees its slot.
func TestConnectionCaps(t *testing.T) {
	for _, tc := range []struct {
		name          string
		total, perAdr int
		reason        string
	}{
		{"per address", 10, 2, "This address has 2 HTTP connections open"},
		{"total", 2, 10, "The server has 2 HTTP connections open"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(o *Options) { o.MaxConnections, o.MaxConnectionsPerAddress = tc.total, tc.perAdr })
			addr := strings.TrimPrefix(f.url, "http://")
			var held []net.Conn
			for range 2 {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				held = append(held, c)
			}
			waitFor(t, func() bool { return f.srv.Stats().Connections == 2 }, "two connections admitted")
			over, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer over.Close()
			resp := readResponse(t, over)
			body := make([]byte, 4096)
			n, _ := resp.Body.Read(body)
			if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body[:n]), tc.reason) ||
				!strings.Contains(string(body[:n]), "s:Receiver") || resp.Header.Get("Content-Type") != ct12 {
				t.Fatalf("refused connection: %d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), body[:n])
			}
			held[0].Close()
			waitFor(t, func() bool { return f.srv.Stats().Connections == 1 }, "a closed connection's slot freed")
			sink := newSink(t)
			if status, body := post(t, f.url+"/ep", ct12, envelope12(actTwoWay, sink.URL+"/x")); status != http.StatusOK {
				t.Fatalf("after a slot was freed: %d %s", status, body)
			}
			if st := f.srv.Stats(); st.RefusedAddress+st.RefusedTotal != 1 {
				t.Fatalf("Stats = %+v, want one refusal", st)
			}
		})
	}
}

// TestSessionsPerAddress: one address cannot hold more than its share of
// live sessions, whatever the connections it uses.
func TestSessionsPerAddress(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.MaxConnectionsPerAddress = 2 })
	sink := newSink(t)
	for i, want := range []int{200, 200, 503} {
		status, body := post(t, f.url+"/ep", ct12, envelope12(actTwoWay, sink.URL+"/s"+string(rune('a'+i))))
		if status != want {
			t.Fatalf("session %d: %d %s, want %d", i, status, body, want)
		}
		if want == 503 && !strings.Contains(body, "This address has 2 sessions open") {
			t.Fatalf("refusal: %s", body)
		}
	}
	if st := f.srv.Stats(); st.SessionsRefusedAddress != 1 {
		t.Fatalf("Stats = %+v", st)
	}
}

// panicHandler panics in its first session, after taking its request.
type panicHandler struct {
	*testHandler
	n int
}

func (h *panicHandler) ServeSession(ctx context.Context, s *Session) error {
	h.mu.Lock()
	h.n++
	first := h.n == 1
	h.mu.Unlock()
	if first {
		if _, err := s.ReadEnvelope(ctx); err != nil {
			return err
		}
		panic("injected panic in a session")
	}
	return h.testHandler.ServeSession(ctx, s)
}

// TestSessionPanicContained: a panic in a session goroutine answers its
// request with a 500 Receiver fault and ends that session; the server serves
// the next one.
func TestSessionPanicContained(t *testing.T) {
	h := &panicHandler{testHandler: newTestHandler()}
	srv := NewServer(Options{RequestTimeout: 5 * time.Second}, testRouter{h})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(context.Background(), ln) }()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	}()
	sink := newSink(t)
	url := "http://" + ln.Addr().String() + "/ep"
	status, body := post(t, url, ct12, envelope12(actTwoWay, sink.URL+"/p"))
	if status != http.StatusInternalServerError || !strings.Contains(body, "s:Receiver") {
		t.Fatalf("panicking session: %d %s", status, body)
	}
	waitFor(t, func() bool { return srv.ActiveSessions() == 0 }, "the panicking session ended")
	if status, body := post(t, url, ct12, envelope12(actTwoWay, sink.URL+"/p")); status != http.StatusOK {
		t.Fatalf("next session: %d %s", status, body)
	}
}

// panicRouter panics while routing: a failure before any session exists.
type panicRouter struct{}

func (panicRouter) RouteHTTP(path string) (SessionHandler, bool) {
	if path == "/boom" {
		panic("injected panic while routing")
	}
	return newTestHandler(), path == "/ep"
}

// TestRequestPanicContained: a panic while a request is read is answered
// 500 with a Receiver fault, and the server answers the next request.
func TestRequestPanicContained(t *testing.T) {
	srv := NewServer(Options{}, panicRouter{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(context.Background(), ln) }()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	}()
	base := "http://" + ln.Addr().String()
	if status, body := post(t, base+"/boom", ct12, envelope12(actTwoWay, "http://127.0.0.1:1/cb")); status != 500 || !strings.Contains(body, "s:Receiver") {
		t.Fatalf("panicking request: %d %s", status, body)
	}
	if status, _ := post(t, base+"/nowhere", ct12, envelope12(actTwoWay, "http://127.0.0.1:1/cb")); status != 404 {
		t.Fatalf("next request: %d, want 404", status)
	}
}
