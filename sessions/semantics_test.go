package sessions

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipamd/ipamd/duplex/nmf"
	"github.com/ipamd/ipamd/duplex/security"
	"github.com/ipamd/ipamd/duplex/soaphttp"
	"github.com/ipamd/ipamd/services"
	"github.com/ipamd/ipamd/services/adm"
	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/soap/xmlstream"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// These tests run the session semantics a WCF duplex client relies on
// (every Complete true, every fault correlatable, nothing after End) on the
// real transports: net.tcp (nmf) and SOAP over HTTP with callbacks POSTed to
// the client's a:ReplyTo, for both port types.

// transportRouters are the real transports' bindings (package bind, which
// imports this one: its routers are set from the external test package,
// bind_test.go).
var transportRouters func(*Manager) (nmf.Router, soaphttp.Router)

// SetTransportRouters is for bind_test.go.
func SetTransportRouters(f func(*Manager) (nmf.Router, soaphttp.Router)) { transportRouters = f }

// gatedStore makes each job's Run wait for release (or its context), so a
// test decides when the work ends.
type gatedStore struct {
	services.Store
	release chan struct{}
}

func (g *gatedStore) BeginProvisioning(ctx context.Context, s *ipam.IpamProvisioningSetting) (services.Job, error) {
	j, err := g.Store.BeginProvisioning(ctx, s)
	if err != nil {
		return nil, err
	}
	return gatedJob{j, g.release}, nil
}

func (g *gatedStore) BeginConversion(ctx context.Context) (services.Job, error) {
	j, err := g.Store.BeginConversion(ctx)
	if err != nil {
		return nil, err
	}
	return gatedJob{j, g.release}, nil
}

type gatedJob struct {
	services.Job
	release <-chan struct{}
}

func (j gatedJob) Run(ctx context.Context) error {
	select {
	case <-j.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	return j.Job.Run(ctx)
}

// portCase is one port type as the tests drive it.
type portCase struct {
	name                           string
	path                           string
	configured, conversionRequired bool // the store before the session
	initAction, startAction        string
	initBody, startBody            ipam.BodyWriter
	actions                        ipam.CallbackActions
	// succeeded reads the store after the work: did it take effect?
	succeeded func(services.ADMState) bool
}

var portCases = []portCase{
	{
		name: "provisioning", path: testProvisionPath,
		initAction: ipam.ActionInitializeAsyncProvisioning, startAction: ipam.ActionStartAsyncProvisioning,
		initBody: initRequest(), startBody: &ipam.StartAsyncProvisioning{},
		actions:   ipam.ProvisionCallbackActions(ipam.CallbackActionsService),
		succeeded: func(s services.ADMState) bool { return s.Configured },
	},
	{
		name: "schema_conversion", path: testConversionPath, configured: true, conversionRequired: true,
		initAction: ipam.ActionInitializeAsyncSchemaConversion, startAction: ipam.ActionStartAsyncSchemaConversion,
		initBody: &ipam.InitializeAsyncSchemaConversion{}, startBody: &ipam.StartAsyncSchemaConversion{},
		actions:   ipam.SchemaConversionCallbackActions(ipam.CallbackActionsService),
		succeeded: func(s services.ADMState) bool { return s.Configured && !s.ConversionRequired },
	},
}

// fixture is a Manager with both port types over a gated in-memory store,
// served on loopback by the net.tcp and the HTTP transport.
type fixture struct {
	adm      *services.Memory
	gate     *gatedStore
	failWith string // the work fails with this IpamExceptionId ("" = succeeds)
	obs      *eventObserver
	tcpAddr  string
	httpBase string
}

func startFixture(t *testing.T, pc portCase, opts Options) *fixture {
	t.Helper()
	return startFailingFixture(t, pc, opts, "")
}

// startFailingFixture is startFixture with work that fails with failWith
// once released.
func startFailingFixture(t *testing.T, pc portCase, opts Options, failWith string) *fixture {
	t.Helper()
	f := &fixture{adm: services.NewMemory(pc.configured, pc.conversionRequired), obs: &eventObserver{}, failWith: failWith}
	f.gate = &gatedStore{Store: services.WithFailure(f.adm, failWith), release: make(chan struct{})}
	// No checkpoint within a test: what the client reads is decided by the
	// test's ordering alone.
	prov := &services.Provision{Store: f.gate, CheckpointInterval: time.Hour}
	conv := &services.SchemaConversion{Store: f.gate, CheckpointInterval: time.Hour}
	opts.Observer = f.obs
	m, err := NewManager(opts,
		Endpoint{Path: testProvisionPath, Binding: ProvisionBinding(prov.NewSession, ipam.CallbackActionsService)},
		Endpoint{Path: testConversionPath, Binding: SchemaConversionBinding(conv.NewSession, ipam.CallbackActionsService)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if transportRouters == nil {
		t.Fatal("no transport bindings: sessions/bind_test.go sets them")
	}
	tcpRouter, httpRouter := transportRouters(m)
	ns := nmf.NewServer(nmf.Options{}, tcpRouter)
	tln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := soaphttp.NewServer(soaphttp.Options{}, httpRouter)
	hln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{}, 2)
	go func() { _ = ns.Serve(ctx, tln); done <- struct{}{} }()
	go func() { _ = hs.Serve(ctx, hln); done <- struct{}{} }()
	f.tcpAddr, f.httpBase = tln.Addr().String(), "http://"+hln.Addr().String()
	t.Cleanup(func() {
		select {
		case <-f.gate.release:
		default:
			close(f.gate.release)
		}
		sctx, c := context.WithTimeout(context.Background(), 5*time.Second)
		defer c()
		_ = ns.Shutdown(sctx)
		_ = hs.Shutdown(sctx)
		cancel()
		<-done
		<-done
	})
	return f
}

// releaseWork lets the gated work run to its end.
func (f *fixture) releaseWork() { close(f.gate.release) }

// waitEvent waits until the port's observer recorded ev.
func (f *fixture) waitEvent(t *testing.T, port, ev string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		f.obs.mu.Lock()
		l := f.obs.ports[port]
		f.obs.mu.Unlock()
		if l != nil && slices.Contains(l.events(), ev) {
			return
		}
		if time.Now().After(deadline) {
			var got []string
			if l != nil {
				got = l.events()
			}
			t.Fatalf("no %q event within 5s; events %q", ev, got)
		}
		time.Sleep(time.Millisecond)
	}
}

// wireClient is one client session on a transport.
type wireClient interface {
	// call sends a two-way operation and returns its reply or fault.
	call(action string, body ipam.BodyWriter) received
	// post sends a one-way operation.
	post(action string, body ipam.BodyWriter)
	// next returns the next callback; false when the server's output has
	// ended (net.tcp: End) or, over HTTP, when none came within quiet.
	next(quiet time.Duration) (received, bool)
}

type transportCase struct {
	name string
	dial func(t *testing.T, f *fixture, pc portCase) wireClient
}

var transportCases = []transportCase{
	{TransportNetTCP, func(t *testing.T, f *fixture, pc portCase) wireClient { return dialNMF(t, f, pc) }},
	{TransportHTTP, func(t *testing.T, f *fixture, pc portCase) wireClient { return dialHTTP(t, f, pc) }},
}

// nmfClient is a net.tcp client with the SOAP 1.2 text encoding.
type nmfClient struct {
	t     *testing.T
	cs    *nmf.ClientSession
	codec *soap.Codec
	via   string
	seq   int
}

func dialNMF(t *testing.T, f *fixture, pc portCase) *nmfClient {
	t.Helper()
	via := "net.tcp://" + f.tcpAddr + pc.path
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cs, err := nmf.Dial(ctx, f.tcpAddr, via, nmf.EncodingSOAP12UTF8)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cs.Abort)
	return &nmfClient{t: t, cs: cs, codec: soap.NewCodec(soap.EncodingText, soap.Limits{}), via: via}
}

func (c *nmfClient) write(action string, twoWay bool, body ipam.BodyWriter) {
	c.t.Helper()
	h := soap.Header{Action: action, To: c.via}
	if twoWay {
		c.seq++
		h.MessageID = "urn:uuid:00000000-0000-0000-0000-" + strings.Repeat("0", 11) + string(rune('0'+c.seq%10))
		h.ReplyTo = soap.AddressAnonymous
	}
	p, err := c.codec.Encode(nil, &h, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := c.cs.WriteMessage(context.Background(), p); err != nil {
		c.t.Fatal(err)
	}
}

func (c *nmfClient) call(action string, body ipam.BodyWriter) received {
	c.t.Helper()
	c.write(action, true, body)
	r, ok := c.next(0)
	if !ok {
		c.t.Fatalf("%s: the server ended the session instead of answering", action)
	}
	return r
}

func (c *nmfClient) post(action string, body ipam.BodyWriter) {
	c.t.Helper()
	c.write(action, false, body)
}

func (c *nmfClient) next(time.Duration) (received, bool) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p, err := c.cs.ReadMessage(ctx)
	if errors.Is(err, io.EOF) {
		return received{}, false
	}
	if err != nil {
		c.t.Fatalf("reading from the server: %v", err)
	}
	return decodeReceived(c.t, c.codec, p), true
}

// httpClient is a SOAP 1.2 HTTP client with its callback listener.
type httpClient struct {
	t         *testing.T
	hc        *http.Client
	url       string
	replyTo   string
	codec     *soap.Codec
	callbacks chan []byte
	seq       int
	// session is the ss:SessionId the session's first reply carried; the
	// later requests carry it back ("" = none yet: the next request starts
	// a session).
	session string
}

// sessionIDBlock is the <ss:SessionId> header block a request of a session
// carries.
type sessionIDBlock string

func (b sessionIDBlock) WriteBody(w xmlstream.Writer) error {
	w.StartElement("ss", "SessionId", soaphttp.NSSession)
	w.Text(string(b))
	return w.EndElement()
}

func dialHTTP(t *testing.T, f *fixture, pc portCase) *httpClient {
	t.Helper()
	c := &httpClient{t: t, url: f.httpBase + pc.path, codec: soap.NewCodec(soap.EncodingText, soap.Limits{}),
		callbacks: make(chan []byte, 64)}
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		select {
		case c.callbacks <- b:
		default:
			t.Error("callback listener overflow")
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(sink.Close)
	c.replyTo = sink.URL + "/callback"
	tr := &http.Transport{DisableKeepAlives: true, Proxy: nil}
	t.Cleanup(tr.CloseIdleConnections)
	c.hc = &http.Client{Transport: tr, Timeout: 10 * time.Second}
	return c
}

func (c *httpClient) do(action string, body ipam.BodyWriter) (int, []byte) {
	c.t.Helper()
	c.seq++
	h := soap.Header{Action: action, To: c.url, ReplyTo: c.replyTo,
		MessageID: "urn:uuid:00000000-0000-0000-0001-" + strings.Repeat("0", 11) + string(rune('0'+c.seq%10))}
	if c.session != "" {
		h.Extra = append(h.Extra, sessionIDBlock(c.session))
	}
	p, err := c.codec.Encode(nil, &h, body)
	if err != nil {
		c.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, c.url, bytes.NewReader(p))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", `application/soap+xml; charset=utf-8; action="`+action+`"`)
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	if c.session == "" && len(b) > 0 {
		if env, err := soap.NewCodec(soap.EncodingText, soap.Limits{}).Keep(soaphttp.SessionIDHeader).Decode(b); err == nil && len(env.Header.Kept) == 1 {
			c.session = env.Header.Kept[0].Text
		}
	}
	return resp.StatusCode, b
}

func (c *httpClient) call(action string, body ipam.BodyWriter) received {
	c.t.Helper()
	status, b := c.do(action, body)
	if len(b) == 0 {
		c.t.Fatalf("%s: HTTP %d without a body", action, status)
	}
	return decodeReceived(c.t, c.codec, b)
}

func (c *httpClient) post(action string, body ipam.BodyWriter) {
	c.t.Helper()
	if status, b := c.do(action, body); status != http.StatusAccepted || len(b) != 0 {
		c.t.Fatalf("%s: HTTP %d with %d bytes, want 202 and none\n%s", action, status, len(b), b)
	}
}

func (c *httpClient) next(quiet time.Duration) (received, bool) {
	c.t.Helper()
	wait := quiet
	if wait <= 0 {
		wait = 5 * time.Second
	}
	select {
	case b := <-c.callbacks:
		return decodeReceived(c.t, c.codec, b), true
	case <-time.After(wait):
		if quiet <= 0 {
			c.t.Fatal("no callback within 5s")
		}
		return received{}, false
	}
}

// expectEnd checks that nothing but the end of the session follows: End on
// net.tcp, no further callback over HTTP.
func expectEnd(t *testing.T, c wireClient, after string) {
	t.Helper()
	if r, ok := c.next(300 * time.Millisecond); ok {
		t.Fatalf("after %s the server sent %s (fault %v), want the end of the session", after, r.action, r.fault != nil)
	}
}

// Rule: second Start while work runs is ignored; Complete reports the work.
//
// TestSecondStartWhileWorkRunsIsIgnored: a second Start… in Started is
// neither answered nor allowed to end the session; the work goes on and the
// one Notify…Complete the client gets says what the store says afterwards,
// whether the work succeeds or fails.
//
// Rules P16, C13. (docs/protocol.md)
func TestSecondStartWhileWorkRunsIsIgnored(t *testing.T) {
	for _, pc := range portCases {
		for _, tc := range transportCases {
			for _, failWith := range []string{"", ipam.IpamApiErrorDatabaseCreationOrPopulationFailed} {
				outcome := "succeeds"
				if failWith != "" {
					outcome = "fails"
				}
				t.Run(pc.name+"/"+tc.name+"/"+outcome, func(t *testing.T) {
					secondStartWhileWorkRuns(t, pc, tc, failWith)
				})
			}
		}
	}
}

// secondStartWhileWorkRuns is one case of TestSecondStartWhileWorkRunsIsIgnored.
func secondStartWhileWorkRuns(t *testing.T, pc portCase, tc transportCase, failWith string) {
	f := startFailingFixture(t, pc, Options{}, failWith)
	c := tc.dial(t, f, pc)
	if r := c.call(pc.initAction, pc.initBody); r.fault != nil {
		t.Fatalf("Initialize faulted: %+v", r.exception)
	}
	c.post(pc.startAction, pc.startBody)
	if r, _ := c.next(0); r.action != pc.actions.Start {
		t.Fatalf("first callback %q, want %q", r.action, pc.actions.Start)
	}
	c.post(pc.startAction, pc.startBody) // the work holds at the gate
	f.waitEvent(t, portName(pc), "ignored "+pc.startAction[strings.LastIndexByte(pc.startAction, '/')+1:])
	f.releaseWork()

	r, ok := c.next(0)
	if !ok || r.action != pc.actions.Complete {
		t.Fatalf("got %+v (ok %v), want the work's Notify…Complete", r, ok)
	}
	st, err := f.adm.State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if pc.succeeded(st) != r.completeNil || st.ProvisioningInProgress || st.ConversionInProgress {
		t.Fatalf("Complete says success=%v (exception %+v), the store says %+v", r.completeNil, r.exception, st)
	}
	if failWith == "" && !r.completeNil || failWith != "" && (r.exception == nil || r.exception.ExceptionID != failWith) {
		t.Fatalf("Complete %+v, want the work's outcome (fail with %q)", r.exception, failWith)
	}
	expectEnd(t, c, "Complete")
}

func portName(pc portCase) string {
	if pc.path == testProvisionPath {
		return ipam.PortIIpamAsyncProvision
	}
	return ipam.PortIIpamAsyncSchemaConversion
}

// denyAll refuses every operation, as for a caller who is not an
// administrator.
type denyAll struct{}

func (denyAll) Authorize(_ context.Context, _ *security.Identity, _ adm.Role, op string) error {
	return errors.New(op + " needs Administrators")
}

// Rule: unauthorized Start is answered with Notify…Complete(IpamApiAccessDenied), then the session ends.
//
// TestUnauthorizedStartCompletesWithAccessDenied: Initialize from a caller
// who is not an administrator gets a fault that relates to it; a one-way
// Start, which has no reply, gets its refusal in Notify…Complete (the only
// answer a WCF duplex client waits for), then the session ends. Nothing
// starts.
//
// Rules P17, C14. (docs/protocol.md)
func TestUnauthorizedStartCompletesWithAccessDenied(t *testing.T) {
	for _, pc := range portCases {
		for _, tc := range transportCases {
			t.Run(pc.name+"/"+tc.name, func(t *testing.T) {
				f := startFixture(t, pc, Options{Authorizer: denyAll{}})
				c := tc.dial(t, f, pc)
				r := c.call(pc.initAction, pc.initBody)
				if r.fault == nil || r.exception == nil || r.exception.ExceptionID != ipam.IpamApiAccessDenied || r.relatesTo == "" {
					t.Fatalf("Initialize: %+v, want a correlated IpamApiAccessDenied fault", r)
				}
				c.post(pc.startAction, pc.startBody)
				r, ok := c.next(0)
				if !ok || r.fault != nil || r.action != pc.actions.Complete || r.relatesTo != "" ||
					r.exception == nil || r.exception.ExceptionID != ipam.IpamApiAccessDenied {
					t.Fatalf("Start: %+v, want Notify…Complete(IpamApiAccessDenied)", r)
				}
				expectEnd(t, c, "Complete(IpamApiAccessDenied)")
				f.waitEvent(t, portName(pc), "state session_initialized>completed")
				st, _ := f.adm.State(context.Background())
				if st.ProvisioningInProgress || st.ConversionInProgress || st != (services.ADMState{Configured: pc.configured, ConversionRequired: pc.conversionRequired}) {
					t.Fatalf("the store changed for a refused caller: %+v", st)
				}
			})
		}
	}
}

// Rule: after the client's End nothing but our End is sent, even the cancelled work's Complete.
//
// TestNothingAfterClientEndButOurs orders the race of issue "client closes
// its output first" deterministically on the real net.tcp transport: the
// client sends End while the work runs; once the server has read it, the
// work is cancelled and its Notify…Complete is attempted before the server's
// End. The client, in Close(), must read End and nothing else.
//
// Rules P18, C15. (docs/protocol.md)
func TestNothingAfterClientEndButOurs(t *testing.T) {
	for _, pc := range portCases {
		t.Run(pc.name, func(t *testing.T) {
			var attempted atomic.Bool
			testHookClientEnded = func(s *Session) {
				if s.binding.Port.Name != portName(pc) || s.State() < Started {
					return
				}
				// The work's cancellation, as Serve's return would cause it,
				// but before our End: its Complete is attempted now.
				s.stopWork(errors.New("the client ended the session"))
				deadline := time.Now().Add(5 * time.Second)
				for s.State() != Completed && time.Now().Before(deadline) {
					time.Sleep(time.Millisecond)
				}
				attempted.Store(s.State() == Completed)
			}
			t.Cleanup(func() { testHookClientEnded = nil }) // after the fixture's cleanup
			f := startFixture(t, pc, Options{})

			c := dialNMF(t, f, pc)
			if r := c.call(pc.initAction, pc.initBody); r.fault != nil {
				t.Fatalf("Initialize faulted: %+v", r.exception)
			}
			c.post(pc.startAction, pc.startBody)
			if r, _ := c.next(0); r.action != pc.actions.Start {
				t.Fatalf("first callback %q, want %q", r.action, pc.actions.Start)
			}
			if err := c.cs.CloseOutput(context.Background()); err != nil {
				t.Fatal(err)
			}
			if r, ok := c.next(0); ok {
				t.Fatalf("after its End the client read %s (exception %+v), want End", r.action, r.exception)
			}
			f.waitEvent(t, portName(pc), "callback failed") // the Complete was refused, not written
			if !attempted.Load() {
				t.Fatal("the work's Complete was not attempted between the client's End and ours: the test ordered nothing")
			}
			st, _ := f.adm.State(context.Background())
			if st.ProvisioningInProgress || st.ConversionInProgress || pc.succeeded(st) {
				t.Fatalf("cancelled work left the store %+v", st)
			}
		})
	}
}

// Rule: Completed takes no further message: Start and Initialize after Complete are dropped until the session closes.
//
// TestMessagesAfterCompleted: once Notify…Complete is out, the state
// machine has "no further processing" and closes the session. On net.tcp
// our End follows Complete; what the client still sends before its own End
// (Start, Initialize) is dropped, counted and never answered, and the
// client's End ends the session cleanly. Over HTTP the completed session is
// gone: its session id reaches nothing (403), and a Start without one opens
// a new session, in which a Start before Initialize is refused through
// Notify…Complete, and the store is left as the first session's work left
// it.
//
// Rules P19, C16. (docs/protocol.md)
func TestMessagesAfterCompleted(t *testing.T) {
	for _, pc := range portCases {
		for _, tc := range transportCases {
			t.Run(pc.name+"/"+tc.name, func(t *testing.T) {
				f := startFixture(t, pc, Options{})
				f.releaseWork()
				c := tc.dial(t, f, pc)
				if r := c.call(pc.initAction, pc.initBody); r.fault != nil {
					t.Fatalf("Initialize faulted: %+v", r.exception)
				}
				c.post(pc.startAction, pc.startBody)
				for _, want := range []string{pc.actions.Start, pc.actions.Complete} {
					if r, _ := c.next(0); r.action != want || (want == pc.actions.Complete && !r.completeNil) {
						t.Fatalf("got %+v, want %s", r, want)
					}
				}
				port := portName(pc)
				short := func(a string) string { return a[strings.LastIndexByte(a, '/')+1:] }
				switch c := c.(type) {
				case *nmfClient:
					c.post(pc.startAction, pc.startBody)
					c.write(pc.initAction, true, pc.initBody)
					if r, ok := c.next(0); ok {
						t.Fatalf("after Complete the server sent %s, want End", r.action)
					}
					f.waitEvent(t, port, "ignored "+short(pc.startAction))
					f.waitEvent(t, port, "ignored "+short(pc.initAction))
					if err := c.cs.CloseOutput(context.Background()); err != nil {
						t.Fatal(err)
					}
					f.waitEvent(t, port, "ended completed")
				case *httpClient:
					f.waitEvent(t, port, "ended completed")
					// The completed session's id names nothing any more.
					if status, b := c.do(pc.startAction, pc.startBody); status != http.StatusForbidden {
						t.Fatalf("Start with the completed session's id: HTTP %d, want 403\n%s", status, b)
					}
					c.session = ""
					c.post(pc.startAction, pc.startBody)
					r, ok := c.next(0)
					if !ok || r.action != pc.actions.Complete || r.exception == nil || r.exception.ExceptionID != ipam.IpamApiGenericErrorOccurred {
						t.Fatalf("Start in a new session: %+v, want Complete(IpamApiGenericErrorOccurred)", r)
					}
					expectEnd(t, c, "Complete")
				}
				st, _ := f.adm.State(context.Background())
				if !pc.succeeded(st) || st.ProvisioningInProgress || st.ConversionInProgress {
					t.Fatalf("the store after the session: %+v", st)
				}
			})
		}
	}
}
