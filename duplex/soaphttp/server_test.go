package soaphttp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ipamd/ipamd/duplex/security"
	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/soap/xmlstream"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	actTwoWay   = "urn:t/TwoWay"
	actOneWay   = "urn:t/OneWay"   // answered 202; handler sends one callback
	actFault    = "urn:t/Fault"    // answered with a Sender fault
	actComplete = "urn:t/Complete" // handler sends a callback and closes the output
	actCallback = "urn:t/Notify"
)

// testHandler is a minimal port: it decodes each request's Action and
// answers as the act* constants say, recording what each session saw.
type testHandler struct {
	onSession func(*Session) // called as each session starts; nil = nothing
	mu        sync.Mutex
	sessions  map[string][]string // session id → actions
	seen      map[string][]string // session id → "kept ids|body element" of each request
	ended     map[string]error
	cbErr     chan error
}

func newTestHandler() *testHandler {
	return &testHandler{sessions: map[string][]string{}, seen: map[string][]string{}, ended: map[string]error{}, cbErr: make(chan error, 16)}
}

func (h *testHandler) ServeSession(ctx context.Context, s *Session) error {
	if h.onSession != nil {
		h.onSession(s)
	}
	codec := soap.NewCodec(s.Encoding(), soap.Limits{})
	var err error
	defer func() {
		h.mu.Lock()
		h.ended[s.ID()] = err
		h.mu.Unlock()
	}()
	for {
		var env *soap.Envelope
		env, err = s.ReadEnvelope(ctx)
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = nil
			}
			return err
		}
		action := env.Header.Action
		var kept []string
		for _, k := range env.Header.Kept {
			kept = append(kept, k.Text)
		}
		var first string
		if n, err := xmlstream.NextStart(env.Body()); err == nil && n != nil {
			first = n.Name.Local
		}
		h.mu.Lock()
		h.sessions[s.ID()] = append(h.sessions[s.ID()], action)
		h.seen[s.ID()] = append(h.seen[s.ID()], strings.Join(kept, ",")+"|"+first)
		h.mu.Unlock()
		switch action {
		case actTwoWay:
			hdr := soap.Header{Action: actTwoWay + "Response", RelatesTo: env.Header.MessageID}
			s.AddressReply(&hdr)
			out, _ := codec.Encode(nil, &hdr, nil)
			if err = s.WriteMessage(ctx, out); err != nil {
				return err
			}
		case actFault:
			f := soap.SenderFault("refused")
			hdr := soap.Header{Action: soap.ActionSOAPFault}
			s.AddressReply(&hdr)
			out, _ := codec.Encode(nil, &hdr, f)
			if err = s.WriteFault(ctx, out, f); err != nil {
				return err
			}
		case actOneWay, actComplete:
			hdr := soap.Header{Action: actCallback}
			s.AddressCallback(&hdr)
			out, _ := codec.Encode(nil, &hdr, nil)
			cerr := s.WriteCallback(ctx, actCallback, out)
			select {
			case h.cbErr <- cerr:
			default: // nobody is counting (the fuzz target)
			}
			if action == actComplete && cerr == nil {
				_ = s.CloseOutput(ctx)
			}
		}
	}
}

func (h *testHandler) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.sessions)
}

type testRouter struct{ h SessionHandler }

func (r testRouter) RouteHTTP(path string) (SessionHandler, bool) {
	if path == "/ep" {
		return r.h, true
	}
	return nil, false
}

// callbackSink is a client's callback listener.
type callbackSink struct {
	*httptest.Server
	mu       sync.Mutex
	got      []*http.Request
	bodies   [][]byte
	statuses []int // answers for the first calls; then 200
	calls    atomic.Int32
}

func newSink(t *testing.T, statuses ...int) *callbackSink {
	s := &callbackSink{statuses: statuses}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(s.calls.Add(1)) - 1
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.got = append(s.got, r)
		s.bodies = append(s.bodies, body)
		s.mu.Unlock()
		if n < len(s.statuses) {
			w.WriteHeader(s.statuses[n])
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(s.Close)
	return s
}

type fixture struct {
	srv *Server
	url string
	h   *testHandler
}

func newFixture(t *testing.T, mod func(*Options)) *fixture {
	t.Helper()
	h := newTestHandler()
	opts := Options{
		RequestTimeout: 5 * time.Second,
		Callback:       CallbackOptions{MaxAttempts: 3, InitialBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, AttemptTimeout: 2 * time.Second},
		WSDL:           func(host string) ([]byte, error) { return []byte("<definitions host=\"" + host + "\"/>"), nil },
		FaultDetail: func(reason string) soap.BodyWriter {
			return soap.BodyWriterFunc(func(w xmlstream.Writer) error {
				w.StartElement("", "Why", "urn:detail")
				w.Text(reason)
				return w.EndElement()
			})
		},
	}
	if mod != nil {
		mod(&opts)
	}
	srv := NewServer(opts, testRouter{h})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(context.Background(), ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-done; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
	})
	return &fixture{srv: srv, url: "http://" + ln.Addr().String(), h: h}
}

func envelope12(action, replyTo string) string {
	return envelope(soap.NSEnvelope, action, replyTo)
}

func envelope(ns, action, replyTo string) string {
	var rt string
	if replyTo != "" {
		rt = `<a:ReplyTo><a:Address>` + replyTo + `</a:Address></a:ReplyTo>`
	}
	return `<s:Envelope xmlns:s="` + ns + `" xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header>` +
		`<a:Action s:mustUnderstand="1">` + action + `</a:Action><a:MessageID>urn:uuid:1</a:MessageID>` + rt +
		`</s:Header><s:Body><Op xmlns="urn:t"/></s:Body></s:Envelope>`
}

// withTo adds <a:To mustUnderstand> to an envelope from envelope().
func withTo(env, to string) string {
	return strings.Replace(env, "<a:MessageID>", `<a:To s:mustUnderstand="1">`+to+`</a:To><a:MessageID>`, 1)
}

// TestToAddressesThisEndpoint: a:To naming this endpoint (any host, port or
// case, with or without a trailing slash) or anonymous is served.
func TestToAddressesThisEndpoint(t *testing.T) {
	f := newFixture(t, nil)
	sink := newSink(t)
	for i, to := range []string{"", soap.AddressAnonymous, f.url + "/ep", "http://ipam.example:8080/EP/", "https://proxy/ep"} {
		env := envelope12(actTwoWay, sink.URL+"/"+strconv.Itoa(i))
		if to != "" {
			env = withTo(env, to)
		}
		if status, body := post(t, f.url+"/ep", ct12, env); status != http.StatusOK {
			t.Errorf("a:To %q: %d %s", to, status, body)
		}
	}
}

func post(t *testing.T, url, ct, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, ct, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

const ct12 = "application/soap+xml; charset=utf-8"

// Rule T11. (docs/protocol.md)
func TestRepliesAndStatuses(t *testing.T) {
	f := newFixture(t, nil)
	sink := newSink(t)
	cases := []struct {
		name, ct, body string
		status         int
		contains       string
	}{
		{"two-way 1.2", ct12, envelope12(actTwoWay, sink.URL+"/a"), 200, actTwoWay + "Response"},
		{"one-way 1.2", ct12, envelope12(actOneWay, sink.URL+"/b"), 202, ""},
		{"fault 1.2 sender", ct12, envelope12(actFault, sink.URL+"/c"), 400, "s:Sender"},
		{"two-way 1.1", "text/xml; charset=utf-8", envelope(soap.NSEnvelope11, actTwoWay, sink.URL+"/d"), 200, actTwoWay + "Response"},
		{"fault 1.1 is 500", "text/xml", envelope(soap.NSEnvelope11, actFault, sink.URL+"/e"), 500, "<faultcode>s:Client</faultcode>"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := post(t, f.url+"/ep", tc.ct, tc.body)
			if status != tc.status || !strings.Contains(body, tc.contains) {
				t.Errorf("got %d %q, want %d containing %q", status, body, tc.status, tc.contains)
			}
			if status == 202 && body != "" {
				t.Errorf("202 with a body: %q", body)
			}
		})
	}
}

func TestBadRequests(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.MaxMessageSize = 2048 })
	sink := newSink(t)
	ok := envelope12(actTwoWay, sink.URL)
	cases := []struct {
		name, method, path, ct, body string
		status                       int
		contains                     string
	}{
		{"json", "POST", "/ep", "application/json", "{}", 415, "is not SOAP"},
		{"no content type", "POST", "/ep", "", ok, 415, "no Content-Type"},
		{"utf-16", "POST", "/ep", "application/soap+xml; charset=utf-16", ok, 415, "charset"},
		{"malformed xml", "POST", "/ep", ct12, "<s:Envelope", 400, "s:Sender"},
		{"not an envelope", "POST", "/ep", ct12, "<x/>", 500, "s:VersionMismatch"},
		{"soap 1.1 as 1.2", "POST", "/ep", ct12, envelope(soap.NSEnvelope11, actTwoWay, sink.URL), 500, "s:VersionMismatch"},
		{"oversized", "POST", "/ep", ct12, strings.Replace(ok, "<Op", strings.Repeat(" ", 4096)+"<Op", 1), 413, "larger than"},
		{"missing reply-to", "POST", "/ep", ct12, envelope12(actTwoWay, ""), 400, "MessageAddressingHeaderRequired"},
		{"anonymous reply-to", "POST", "/ep", ct12, envelope12(actTwoWay, soap.AddressAnonymous), 400, "MessageAddressingHeaderRequired"},
		{"reply-to outside allowed networks", "POST", "/ep", ct12, envelope12(actTwoWay, "http://192.0.2.1:9/cb"), 400, "InvalidAddress"},
		{"reply-to not http", "POST", "/ep", ct12, envelope12(actTwoWay, "ftp://127.0.0.1/cb"), 400, "not an http"},
		{"unknown path", "POST", "/nope", ct12, ok, 404, "EndpointUnavailable"},
		{"a:To of another endpoint", "POST", "/ep", ct12, withTo(ok, "http://127.0.0.1/other"), 400, "DestinationUnreachable"},
		{"a:To not a URI", "POST", "/ep", ct12, withTo(ok, "%zz"), 400, "DestinationUnreachable"},
		{"get without wsdl", "GET", "/ep", "", "", 405, "?wsdl"},
		{"put", "PUT", "/ep", ct12, ok, 405, "not allowed"},
		{"get unknown path", "GET", "/nope?wsdl", "", "", 404, "EndpointUnavailable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, f.url+tc.path, strings.NewReader(tc.body))
			if tc.ct != "" {
				req.Header.Set("Content-Type", tc.ct)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body := string(b)
			if resp.StatusCode != tc.status || !strings.Contains(body, tc.contains) {
				t.Errorf("got %d %q, want %d containing %q", resp.StatusCode, body, tc.status, tc.contains)
			}
			// Every refusal is a SOAP fault with the detail, never a bare error string.
			if !strings.Contains(body, ":Fault>") || !strings.Contains(body, `<Why xmlns="urn:detail">`) {
				t.Errorf("not a SOAP fault with detail: %q", body)
			}
		})
	}
	if n := f.h.count(); n != 0 {
		t.Errorf("%d sessions started by bad requests", n)
	}
}

func TestWSDL(t *testing.T) {
	f := newFixture(t, nil)
	resp, err := http.Get(f.url + "/ep?wsdl")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	host := strings.TrimPrefix(f.url, "http://")
	if resp.StatusCode != 200 || string(b) != `<definitions host="`+host+`"/>` || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/xml") {
		t.Errorf("GET ?wsdl = %d %q (%s)", resp.StatusCode, b, resp.Header.Get("Content-Type"))
	}
}

// withSessionID adds <ss:SessionId> blocks to an envelope from envelope().
func withSessionID(env string, ids ...string) string {
	var b strings.Builder
	for _, id := range ids {
		if id != "" {
			b.WriteString(`<ss:SessionId xmlns:ss="` + NSSession + `">` + id + `</ss:SessionId>`)
		}
	}
	return strings.Replace(env, "</s:Header>", b.String()+"</s:Header>", 1)
}

var sessionIDRe = regexp.MustCompile(`<ss:SessionId xmlns:ss="` + regexp.QuoteMeta(NSSession) + `" a:IsReferenceParameter="true">([^<]*)</ss:SessionId>`)

// sessionIDOf is the session id a reply carries.
func sessionIDOf(t *testing.T, reply string) string {
	t.Helper()
	m := sessionIDRe.FindStringSubmatch(reply)
	if m == nil {
		t.Fatalf("the reply carries no ss:SessionId: %s", reply)
	}
	return m[1]
}

// TestSessionIsTheSessionID: a session is named by the id its first reply
// returns, never by its a:ReplyTo: a request without the id starts a new
// session even with another session's ReplyTo, and a request with a wrong
// id reaches no session — it can neither send into nor close one.
//
// Rule T10. (docs/protocol.md)
func TestSessionIsTheSessionID(t *testing.T) {
	f := newFixture(t, nil)
	sink := newSink(t)
	victim := sink.URL + "/victim"
	send := func(action, replyTo string, ids ...string) (int, string) {
		t.Helper()
		return post(t, f.url+"/ep", ct12, withSessionID(envelope12(action, replyTo), ids...))
	}
	status, body := send(actTwoWay, victim)
	if status != 200 {
		t.Fatalf("first request: %d %s", status, body)
	}
	id := sessionIDOf(t, body)
	if !regexp.MustCompile(`^urn:ipamd:session:[0-9a-f]{64}$`).MatchString(id) {
		t.Fatalf("session id %q is not 256 bits of hex", id)
	}
	if status, body := send(actTwoWay, victim, id); status != 200 || sessionIDOf(t, body) != id {
		t.Fatalf("second request of the session: %d %s", status, body)
	}

	// The attacker knows the ReplyTo but not the id.
	forged := id[:len(id)-1] + string("0123456789abcdef"[(strings.IndexByte("0123456789abcdef", id[len(id)-1])+1)%16])
	for _, tc := range []struct {
		name   string
		ids    []string
		status int
		want   string
	}{
		{"one hex digit off", []string{forged}, 403, "No session of this endpoint"},
		{"uuid form", []string{"urn:uuid:6b1f1c3e-0000-4000-8000-000000000001"}, 403, "No session of this endpoint"},
		{"empty", []string{" "}, 403, "No session of this endpoint"},
		{"prefix of the id", []string{id[:40]}, 403, "No session of this endpoint"},
		{"two ids", []string{forged, id}, 400, "more than one"},
	} {
		if status, body := send(actComplete, victim, tc.ids...); status != tc.status || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %s, want %d %q", tc.name, status, body, tc.status, tc.want)
		}
	}
	if status, body := send(actTwoWay, sink.URL+"/other", id); status != 400 || !strings.Contains(body, "differs from the one the session started with") {
		t.Errorf("the id with another ReplyTo: %d %s", status, body)
	}
	// Without an id, the victim's ReplyTo starts a session of the
	// attacker's own, with another id; closing it leaves the victim's.
	status, body = send(actTwoWay, victim)
	if status != 200 {
		t.Fatalf("request without an id: %d %s", status, body)
	}
	other := sessionIDOf(t, body)
	if other == id {
		t.Fatal("a second session got the first one's id")
	}
	if status, _ := send(actComplete, victim, other); status != 202 {
		t.Fatalf("completing the other session: %d", status)
	}
	if err := <-f.h.cbErr; err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return f.srv.ActiveSessions() == 1 }, "the other session to end")
	if status, body := send(actTwoWay, victim, id); status != 200 {
		t.Fatalf("the victim's session after the attempts: %d %s", status, body)
	}
	f.h.mu.Lock()
	defer f.h.mu.Unlock()
	var sizes []int
	for _, acts := range f.h.sessions {
		sizes = append(sizes, len(acts))
	}
	slices.Sort(sizes)
	if !slices.Equal(sizes, []int{2, 3}) {
		t.Errorf("messages per session = %v, want the victim's 3 and the other's 2", sizes)
	}
}

// TestSessionGetsTheServersDecode: a request is decoded once. The envelope
// a session reads is the one the server decoded to find the session — its
// kept ss:SessionId header shows it — and its body is still unread.
func TestSessionGetsTheServersDecode(t *testing.T) {
	f := newFixture(t, nil)
	sink := newSink(t)
	send := func(ids ...string) (int, string) {
		t.Helper()
		return post(t, f.url+"/ep", ct12, withSessionID(envelope12(actTwoWay, sink.URL), ids...))
	}
	status, body := send()
	if status != 200 {
		t.Fatalf("first request: %d %s", status, body)
	}
	id := sessionIDOf(t, body)
	if status, body := send(id); status != 200 {
		t.Fatalf("second request: %d %s", status, body)
	}
	f.h.mu.Lock()
	defer f.h.mu.Unlock()
	if got, want := f.h.seen[id], []string{"|Op", id + "|Op"}; !slices.Equal(got, want) {
		t.Errorf("the session read %q, want %q", got, want)
	}
}

// Rule T10. (docs/protocol.md)
func TestCallbackAddressedToReplyTo(t *testing.T) {
	f := newFixture(t, nil)
	sink := newSink(t)
	for _, tc := range []struct {
		name, ns, ct string
	}{
		{"soap12", soap.NSEnvelope, ct12},
		{"soap11", soap.NSEnvelope11, "text/xml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := sink.calls.Load()
			target := sink.URL + "/cb/" + tc.name
			if status, body := post(t, f.url+"/ep", tc.ct, envelope(tc.ns, actOneWay, target)); status != 202 {
				t.Fatalf("status %d: %s", status, body)
			}
			if err := <-f.h.cbErr; err != nil {
				t.Fatalf("callback: %v", err)
			}
			if got := sink.calls.Load() - before; got != 1 {
				t.Fatalf("%d callback POSTs, want 1", got)
			}
			sink.mu.Lock()
			r, body := sink.got[len(sink.got)-1], string(sink.bodies[len(sink.bodies)-1])
			sink.mu.Unlock()
			if r.URL.Path != "/cb/"+tc.name {
				t.Errorf("POST to %s", r.URL.Path)
			}
			if !strings.Contains(body, `<a:To s:mustUnderstand="1">`+target+`</a:To>`) {
				t.Errorf("callback without a:To = ReplyTo: %s", body)
			}
			if !strings.Contains(body, `a:IsReferenceParameter="true"`) || !strings.Contains(body, NSSession) {
				t.Errorf("callback without the session reference parameter: %s", body)
			}
			ct := r.Header.Get("Content-Type")
			if tc.ns == soap.NSEnvelope11 {
				if !strings.HasPrefix(ct, "text/xml") || r.Header.Get("SOAPAction") != `"`+actCallback+`"` {
					t.Errorf("SOAP 1.1 callback headers: Content-Type %q SOAPAction %q", ct, r.Header.Get("SOAPAction"))
				}
			} else if !strings.Contains(ct, `action="`+actCallback+`"`) {
				t.Errorf("SOAP 1.2 callback Content-Type %q lacks the action", ct)
			}
		})
	}
}

// Rule T13. (docs/protocol.md)
func TestCallbackRetriesAndGivesUp(t *testing.T) {
	cases := []struct {
		name     string
		statuses []int
		wantOK   bool
		attempts int32
	}{
		{"retried until accepted", []int{503, 500}, true, 3},
		{"permanent 4xx is not retried", []int{400}, false, 1},
		{"429 is retried, budget exhausted", []int{429, 429, 429, 429}, false, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			sink := newSink(t, tc.statuses...)
			if status, body := post(t, f.url+"/ep", ct12, envelope12(actOneWay, sink.URL)); status != 202 {
				t.Fatalf("status %d: %s", status, body)
			}
			err := <-f.h.cbErr
			if (err == nil) != tc.wantOK {
				t.Fatalf("callback error = %v, want ok=%v", err, tc.wantOK)
			}
			if got := sink.calls.Load(); got != tc.attempts {
				t.Errorf("%d attempts, want %d", got, tc.attempts)
			}
			if !tc.wantOK {
				var de *DeliveryError
				if !errors.As(err, &de) || de.Attempts != int(tc.attempts) {
					t.Errorf("error %v is not a DeliveryError with %d attempts", err, tc.attempts)
				}
				waitFor(t, func() bool { return f.srv.ActiveSessions() == 0 }, "the session to be aborted")
				f.h.mu.Lock()
				for id, err := range f.h.ended {
					if !errors.Is(err, ErrAborted) {
						t.Errorf("session %s ended with %v, want ErrAborted", id, err)
					}
				}
				f.h.mu.Unlock()
				// The ReplyTo is free again: the next request starts a new session.
				if status, _ := post(t, f.url+"/ep", ct12, envelope12(actTwoWay, sink.URL)); status != 200 {
					t.Errorf("request after abort: status %d", status)
				}
				if n := f.h.count(); n != 2 {
					t.Errorf("%d sessions, want 2", n)
				}
			}
		})
	}
}

func TestCallbackToDeadURL(t *testing.T) {
	f := newFixture(t, nil)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String() + "/cb"
	ln.Close()
	if status, body := post(t, f.url+"/ep", ct12, envelope12(actOneWay, dead)); status != 202 {
		t.Fatalf("status %d: %s", status, body)
	}
	err := <-f.h.cbErr
	var de *DeliveryError
	if !errors.As(err, &de) || de.Attempts != 3 || de.Status != 0 {
		t.Fatalf("callback error = %#v, want 3 attempts without a status", err)
	}
}

func TestCloseOutputEndsSessionAndFreesReplyTo(t *testing.T) {
	f := newFixture(t, nil)
	sink := newSink(t)
	if status, _ := post(t, f.url+"/ep", ct12, envelope12(actComplete, sink.URL)); status != 202 {
		t.Fatalf("status %d", status)
	}
	if err := <-f.h.cbErr; err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return f.srv.ActiveSessions() == 0 }, "the session to end")
	if status, _ := post(t, f.url+"/ep", ct12, envelope12(actTwoWay, sink.URL)); status != 200 {
		t.Fatalf("status %d", status)
	}
	if n := f.h.count(); n != 2 {
		t.Errorf("%d sessions, want 2 (a completed session's ReplyTo starts a new one)", n)
	}
	f.h.mu.Lock()
	defer f.h.mu.Unlock()
	ended := 0
	for _, err := range f.h.ended {
		if err != nil {
			t.Errorf("session ended with %v", err)
		}
		ended++
	}
	if ended != 1 {
		t.Errorf("%d sessions ended, want 1", ended)
	}
}

func TestMaxSessions(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.MaxSessions = 2 })
	sink := newSink(t)
	for i, want := range []int{200, 200, 503} {
		if status, body := post(t, f.url+"/ep", ct12, envelope12(actTwoWay, fmt.Sprintf("%s/%d", sink.URL, i))); status != want {
			t.Errorf("session %d: status %d, want %d (%s)", i, status, want, body)
		}
	}
}

// Rule T12. (docs/protocol.md)
func TestAllowedNetworks(t *testing.T) {
	c := newCallbackClient(CallbackOptions{AllowedNetworks: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}}.withDefaults())
	for _, tc := range []struct {
		addr string
		ok   bool
	}{
		{"10.1.2.3:80", true},
		{"[::ffff:10.1.2.3]:80", true},
		{"[::1]:80", true},
		{"127.0.0.1:80", false},
		{"192.0.2.1:443", false},
		{"not-an-address", false},
	} {
		err := c.controlDial("tcp", tc.addr, nil)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrTargetRefused)) {
			t.Errorf("controlDial(%s) = %v, want ok=%v", tc.addr, err, tc.ok)
		}
	}
	ctx := context.Background()
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"http://10.0.0.1:8080/cb", true},
		{"https://[::1]/cb", true},
		{"http://127.0.0.1/cb", false},
		{"http://user@10.0.0.1/cb", false},
		{"file:///etc/passwd", false},
		{"http:///cb", false},
	} {
		if err := c.checkTarget(ctx, tc.url); (err == nil) != tc.ok {
			t.Errorf("checkTarget(%s) = %v, want ok=%v", tc.url, err, tc.ok)
		}
	}
}

func TestShutdownAbortsSessions(t *testing.T) {
	f := newFixture(t, nil)
	sink := newSink(t)
	for i := range 3 {
		post(t, f.url+"/ep", ct12, envelope12(actTwoWay, fmt.Sprintf("%s/%d", sink.URL, i)))
	}
	if n := f.srv.ActiveSessions(); n != 3 {
		t.Fatalf("%d sessions", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if n := f.srv.ActiveSessions(); n != 0 {
		t.Errorf("%d sessions after Shutdown", n)
	}
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// FuzzRequest feeds arbitrary bodies and content types through the handler:
// every answer is a SOAP message or 202, never a panic or a Go error string.
func FuzzRequest(f *testing.F) {
	f.Add(ct12, []byte(envelope12(actTwoWay, "http://127.0.0.1:9/cb")))
	f.Add("text/xml", []byte(envelope(soap.NSEnvelope11, actOneWay, "http://127.0.0.1:9/cb")))
	f.Add(ct12, []byte("<s:Envelope"))
	f.Add("application/json", []byte("{}"))
	h := newTestHandler()
	srv := NewServer(Options{
		RequestTimeout: time.Second,
		Callback:       CallbackOptions{MaxAttempts: 1, AttemptTimeout: 50 * time.Millisecond},
		AllowedHosts:   []string{"example.com"}, // httptest.NewRequest's Host
		MaxSessions:    64,                      // every request without a session id starts one
	}, testRouter{h})
	f.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/ep", bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code == http.StatusAccepted {
			if rec.Body.Len() != 0 {
				t.Fatalf("202 with a body")
			}
			return
		}
		if !bytes.Contains(rec.Body.Bytes(), []byte("Envelope")) {
			t.Fatalf("status %d without a SOAP envelope: %q", rec.Code, rec.Body.String())
		}
	})
}

// TestHostAndOrigin: a request must name this listener in Host, and an
// Origin, when present, must be this listener too — a page whose name was
// rebound to 127.0.0.1, or another local origin, is refused before any
// session starts, with a SOAP fault carrying the denial detail.
func TestHostAndOrigin(t *testing.T) {
	f := newFixture(t, func(o *Options) {
		o.AllowedHosts = []string{"IPAM.example.", "[fd00::1]"}
		o.DeniedDetail = func(reason string) soap.BodyWriter {
			return soap.BodyWriterFunc(func(w xmlstream.Writer) error {
				w.StartElement("", "Denied", "urn:detail")
				w.Text(reason)
				return w.EndElement()
			})
		}
	})
	sink := newSink(t)
	port := f.url[strings.LastIndex(f.url, ":")+1:]
	cases := []struct {
		name, host, origin string
		ok                 bool
	}{
		{"bound address", "127.0.0.1:" + port, "", true},
		{"bound address, no port", "127.0.0.1", "", true},
		{"other loopback address", "127.0.0.2:" + port, "", true},
		{"localhost", "LocalHost.:" + port, "", true},
		{"ipv6 loopback", "[::1]:" + port, "", true},
		{"configured name", "ipam.example:" + port, "", true},
		{"configured v6", "[fd00::1]:" + port, "", true},
		{"same origin", "localhost:" + port, "http://localhost:" + port, true},
		{"same origin behind a TLS proxy", "ipam.example", "https://ipam.example", true},
		{"https origin, other port", "ipam.example:" + port, "https://ipam.example", false},
		{"same origin default port", "ipam.example", "http://ipam.example", true},
		{"rebound name", "evil.example:" + port, "", false},
		{"rebound name, same origin", "evil.example:" + port, "http://evil.example:" + port, false},
		{"sub-domain of localhost", "x.localhost:" + port, "", false},
		{"other local origin", "127.0.0.1:" + port, "http://127.0.0.1:8080", false},
		{"foreign origin", "127.0.0.1:" + port, "http://evil.example", false},
		{"null origin", "127.0.0.1:" + port, "null", false},
		{"origin with path", "127.0.0.1:" + port, "http://127.0.0.1:" + port + "/x", false},
		{"file origin", "127.0.0.1:" + port, "file://", false},
		{"long host", strings.Repeat("a", 600), "", false},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", f.url+"/ep", strings.NewReader(envelope12(actTwoWay, fmt.Sprintf("%s/%d", sink.URL, i))))
			req.Host = tc.host
			req.Header.Set("Content-Type", ct12)
			if tc.origin != "" {
				req.Header.Set("Origin", tc.origin)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if tc.ok {
				if resp.StatusCode != 200 {
					t.Errorf("status %d, want 200: %s", resp.StatusCode, b)
				}
				return
			}
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(b), "s:Sender") ||
				!strings.Contains(string(b), `<Denied xmlns="urn:detail">`) || !strings.Contains(string(b), "The Host header") && !strings.Contains(string(b), "origin") {
				t.Errorf("status %d, want 403 with a Sender fault and the denial detail: %s", resp.StatusCode, b)
			}
		})
	}
	// HTTP/1.0 without a Host names nothing.
	conn, err := net.Dial("tcp", strings.TrimPrefix(f.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	body := envelope12(actTwoWay, sink.URL+"/nohost")
	fmt.Fprintf(conn, "POST /ep HTTP/1.0\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s", ct12, len(body), body)
	raw, _ := io.ReadAll(conn)
	conn.Close()
	if !strings.HasPrefix(string(raw), "HTTP/1.0 403 ") {
		t.Errorf("HTTP/1.0 without Host: %.60q", raw)
	}
	// The WSDL is behind the same check.
	req, _ := http.NewRequest("GET", f.url+"/ep?wsdl", nil)
	req.Host = "evil.example"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("WSDL for a rebound name: status %d", resp.StatusCode)
	}
	want := 0
	for _, tc := range cases {
		if tc.ok {
			want++
		}
	}
	if n := f.h.count(); n != want {
		t.Errorf("%d sessions, want %d (refused requests start none)", n, want)
	}
}

// FuzzSessionID: a request naming a session reaches it only with the exact
// id the session's reply gave; any other text (a prefix, a case change, an
// id with padding inside) is refused with 403 and reaches no session.
func FuzzSessionID(f *testing.F) {
	f.Add("")
	f.Add("urn:ipamd:session:")
	f.Add("urn:uuid:6b1f1c3e-0000-4000-8000-000000000001")
	f.Add("URN:IPAMD:SESSION:00")
	h := newTestHandler()
	srv := NewServer(Options{RequestTimeout: 2 * time.Second, AllowedHosts: []string{"example.com"}}, testRouter{h})
	f.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	send := func(body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/ep", strings.NewReader(body))
		req.Header.Set("Content-Type", ct12)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		return rec
	}
	const replyTo = "http://127.0.0.1:9/cb"
	first := send(envelope12(actTwoWay, replyTo))
	m := sessionIDRe.FindStringSubmatch(first.Body.String())
	if first.Code != 200 || m == nil {
		f.Fatalf("first request: %d %s", first.Code, first.Body.String())
	}
	id := m[1]
	f.Add(id)
	f.Add(id[:len(id)-1])
	f.Add(" " + id + " ")
	f.Fuzz(func(t *testing.T, presented string) {
		var b strings.Builder
		for _, r := range presented { // XML text: escape what needs it
			switch r {
			case '<':
				b.WriteString("&lt;")
			case '&':
				b.WriteString("&amp;")
			default:
				b.WriteRune(r)
			}
		}
		block := `<ss:SessionId xmlns:ss="` + NSSession + `">` + b.String() + `</ss:SessionId>`
		rec := send(strings.Replace(envelope12(actTwoWay, replyTo), "</s:Header>", block+"</s:Header>", 1))
		exact := strings.TrimSpace(presented) == id
		switch {
		case rec.Code == 200 && !exact:
			t.Fatalf("id %q reached the session (its id is %q)", presented, id)
		case rec.Code == 200:
			if got := sessionIDRe.FindStringSubmatch(rec.Body.String()); got == nil || got[1] != id {
				t.Fatalf("reply in the session names another id: %s", rec.Body.String())
			}
		case exact && rec.Code != 200:
			t.Fatalf("the session's own id got %d: %s", rec.Code, rec.Body.String())
		}
		if n := h.count(); n != 1 {
			t.Fatalf("%d sessions: a request with an id started one", n)
		}
	})
}

// TestIdentifyNewSessionsOnly: the caller is named once, by the request
// that starts a session, and the session keeps that identity; requests
// naming the session do not name it again.
func TestIdentifyNewSessionsOnly(t *testing.T) {
	var calls atomic.Int32
	var seen sync.Map // session id → identity name
	f := newFixture(t, func(o *Options) {
		o.Identify = func(r *http.Request) *security.Identity {
			n := calls.Add(1)
			if _, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); !ok {
				t.Error("Identify without the connection's local address")
			}
			return &security.Identity{Mechanism: security.MechanismNone, Name: fmt.Sprint("caller-", n)}
		}
	})
	f.h.onSession = func(s *Session) { seen.Store(s.ID(), s.Identity().Name) }
	sink := newSink(t)
	status, body := post(t, f.url+"/ep", ct12, envelope12(actTwoWay, sink.URL))
	if status != 200 {
		t.Fatalf("%d %s", status, body)
	}
	id := sessionIDOf(t, body)
	for range 3 {
		if status, body := post(t, f.url+"/ep", ct12, withSessionID(envelope12(actTwoWay, sink.URL), id)); status != 200 {
			t.Fatalf("%d %s", status, body)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("Identify called %d times, want once", n)
	}
	if name, _ := seen.Load(id); name != "caller-1" {
		t.Errorf("the session's identity is %v", name)
	}
}

// TestSetLimitsAppliesToNextRequest: SetLimits (a reload) reaches the next
// request, of a new session or of one already running: its body bound
// (413) and its decoding quotas. The decoder's message bound stays within
// the body bound.
func TestSetLimitsAppliesToNextRequest(t *testing.T) {
	f := newFixture(t, nil)
	sink := newSink(t)
	status, body := post(t, f.url+"/ep", ct12, envelope12(actTwoWay, sink.URL))
	if status != 200 {
		t.Fatalf("first request: %d %s", status, body)
	}
	id := sessionIDOf(t, body)
	next := withSessionID(envelope12(actTwoWay, sink.URL), id)
	if status, body := post(t, f.url+"/ep", ct12, next); status != 200 {
		t.Fatalf("second request: %d %s", status, body)
	}

	f.srv.SetLimits(int64(len(next)+100), soap.Limits{MaxDepth: 3, MaxMessageBytes: 1 << 20})
	if got := f.srv.Limits().MaxMessageBytes; got != len(next)+100 {
		t.Errorf("decoder message bound %d, want the body bound %d", got, len(next)+100)
	}
	// The header's a:ReplyTo/a:Address is at depth 4.
	if status, body := post(t, f.url+"/ep", ct12, next); status != http.StatusBadRequest || !strings.Contains(body, "QuotaExceeded") {
		t.Errorf("the session's request after SetLimits: %d %.300s, want 400 QuotaExceeded", status, body)
	}
	big := strings.Replace(next, "<Op", strings.Repeat(" ", 200)+"<Op", 1)
	if status, body := post(t, f.url+"/ep", ct12, big); status != http.StatusRequestEntityTooLarge {
		t.Errorf("a body over the new bound: %d %.300s, want 413", status, body)
	}
}
