package sessions

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipamd/ipamd/services"
	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

const (
	testProvisionPath  = "/ipam/IIpamAsyncProvision"
	testConversionPath = "/ipam/IIpamAsyncSchemaConversion"
)

func newTestManager(t *testing.T, work time.Duration, opts Options) *Manager {
	t.Helper()
	adm := services.NewMemory(false, false)
	m, err := NewManager(opts,
		Endpoint{Path: testProvisionPath, Binding: provisionBinding(adm, work, "")},
		Endpoint{Path: testConversionPath, Binding: conversionBinding(adm, work)})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// startManaged runs a session at path through the manager, as the
// transports' ServeSession does.
func startManaged(t *testing.T, m *Manager, path string) *harness {
	t.Helper()
	port := m.Port(path)
	opts := port.Options()
	h := &harness{t: t, conn: newMemTransport(soap.EncodingText, opts.Limits, nil), client: soap.NewCodec(soap.EncodingText, soap.Limits{}),
		reader: soap.NewCodec(soap.EncodingText, soap.Limits{}), done: make(chan error, 1)}
	h.conn.peer.Transport = TransportNetTCP
	h.s = port.newSession(context.Background(), h.conn, opts)
	go func() { h.done <- m.serve(h.s) }()
	t.Cleanup(func() {
		h.conn.Abort()
		select {
		case <-h.done:
		case <-time.After(5 * time.Second):
			t.Error("session did not end")
		}
	})
	return h
}

// waitState waits until the session reaches st.
func (h *harness) waitState(st State) {
	h.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for h.s.State() != st {
		if time.Now().After(deadline) {
			h.t.Fatalf("state %v, want %v", h.s.State(), st)
		}
		time.Sleep(time.Millisecond)
	}
}

// startWork takes a provisioning session to Started and reads the Start callback.
func (h *harness) startWork() {
	h.t.Helper()
	h.send(ipam.ActionInitializeAsyncProvisioning, true, initRequest())
	if r, _ := h.next(); r.fault != nil {
		h.t.Fatalf("Initialize faulted: %+v", r.exception)
	}
	h.send(ipam.ActionStartAsyncProvisioning, false, &ipam.StartAsyncProvisioning{})
	if r, _ := h.next(); r.action != ipam.ProvisionCallbackActions(0).Start {
		h.t.Fatalf("got %q, want the Start callback", r.action)
	}
}

// end is the client's End: the session's Serve returns.
func (h *harness) end() error {
	h.t.Helper()
	close(h.conn.in)
	select {
	case err := <-h.done:
		h.done <- err // for the cleanup
		return err
	case <-time.After(5 * time.Second):
		h.t.Fatal("session did not end after the client's End")
	}
	return nil
}

// outputClosed reports whether the server closed its output (End), after
// skipping any Checkpoint still in flight.
func (h *harness) outputClosed() bool {
	h.t.Helper()
	for {
		r, ok := h.next()
		if !ok {
			return true
		}
		if r.action != ipam.ProvisionCallbackActions(0).Checkpoint {
			h.t.Fatalf("unexpected %q", r.action)
		}
	}
}

// TestDrainClosesIdleSessionsAndLetsWorkFinish: Drain closes the sessions
// with no work at once, lets the running provisioning send its Complete, and
// Wait returns once every session has ended.
//
// Rule G10. (docs/protocol.md)
func TestDrainClosesIdleSessionsAndLetsWorkFinish(t *testing.T) {
	m := newTestManager(t, 300*time.Millisecond, Options{})
	running := startManaged(t, m, testProvisionPath)
	running.startWork()
	initialized := startManaged(t, m, testProvisionPath)
	initialized.send(ipam.ActionInitializeAsyncProvisioning, true, initRequest())
	if r, _ := initialized.next(); r.fault != nil {
		t.Fatal("Initialize faulted")
	}
	fresh := startManaged(t, m, testConversionPath)
	fresh.waitState(SessionInitialized)
	for m.Active() != 3 {
		time.Sleep(time.Millisecond)
	}

	m.Drain()
	m.Drain() // idempotent
	if !m.Draining() {
		t.Fatal("Draining() = false")
	}
	if !initialized.outputClosed() || !fresh.outputClosed() {
		t.Fatal("idle sessions not closed")
	}
	late := startManaged(t, m, testProvisionPath) // past the transport's check
	if !late.outputClosed() {
		t.Fatal("session started during the drain not closed")
	}
	for _, h := range []*harness{initialized, fresh, late} {
		if err := h.end(); err != nil {
			t.Errorf("idle session ended with %v", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := m.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait with work running = %v, want DeadlineExceeded", err)
	}

	actions := ipam.ProvisionCallbackActions(0)
	for {
		r, ok := running.next()
		if !ok {
			t.Fatal("running session closed before Complete")
		}
		if r.action == actions.Checkpoint {
			continue
		}
		if r.action != actions.Complete || !r.completeNil {
			t.Fatalf("got %+v, want Complete without exception", r)
		}
		break
	}
	if !running.outputClosed() {
		t.Fatal("output open after Complete")
	}
	if err := running.end(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m.Wait(ctx); err != nil {
		t.Fatalf("Wait: %v", err)
	}
}

// TestCancelWork: after the drain timeout the work is cancelled; the
// session reports it in Notify…Complete and closes.
//
// Rules G10, P20. (docs/protocol.md)
func TestCancelWork(t *testing.T) {
	m := newTestManager(t, time.Hour, Options{})
	h := startManaged(t, m, testProvisionPath)
	h.startWork()
	m.Drain()
	cause := fmt.Errorf("%w: drain timeout 0s elapsed", ErrShuttingDown)
	if n := m.CancelWork(cause); n != 1 {
		t.Fatalf("CancelWork told %d sessions, want 1", n)
	}
	for {
		r, ok := h.next()
		if !ok {
			t.Fatal("closed without Complete")
		}
		if r.action == ipam.ProvisionCallbackActions(0).Checkpoint {
			continue
		}
		if r.exception == nil || r.exception.ExceptionID != ipam.IpamApiUnabletoProvisionIpam ||
			!strings.Contains(r.exception.Message, "ipamd is shutting down: drain timeout 0s elapsed") {
			t.Fatalf("got %+v, want Complete with IpamApiUnabletoProvisionIpam naming the shutdown", r)
		}
		break
	}
	if !h.outputClosed() {
		t.Fatal("output open after Complete")
	}
	if err := h.end(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m.Wait(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestOperationsRefusedWhileDraining covers the race drain closes: an
// operation that arrives on a draining session whose output is still open
// is refused with an IpamException that says why.
//
// Rule G10. (docs/protocol.md)
func TestOperationsRefusedWhileDraining(t *testing.T) {
	setDraining := func(s *Session) {
		s.stateMu.Lock()
		s.draining = true
		s.stateMu.Unlock()
	}
	t.Run("Initialize", func(t *testing.T) {
		h := startSession(t, provisionBinding(services.NewMemory(false, false), time.Second, ""), Options{})
		setDraining(h.s)
		id := h.send(ipam.ActionInitializeAsyncProvisioning, true, initRequest())
		r, _ := h.next()
		if r.fault == nil || r.relatesTo != id || r.exception == nil || !strings.Contains(r.exception.Message, "shutting down") {
			t.Fatalf("got %+v, want a fault saying the server is shutting down", r)
		}
		if _, ok := h.next(); ok {
			t.Fatal("output open after the refusal")
		}
	})
	t.Run("Start", func(t *testing.T) {
		adm := services.NewMemory(false, false)
		h := startSession(t, provisionBinding(adm, time.Second, ""), Options{})
		h.send(ipam.ActionInitializeAsyncProvisioning, true, initRequest())
		h.next()
		setDraining(h.s)
		h.send(ipam.ActionStartAsyncProvisioning, false, &ipam.StartAsyncProvisioning{})
		r, _ := h.next()
		if r.action != ipam.ProvisionCallbackActions(0).Complete || r.exception == nil ||
			r.exception.ExceptionID != ipam.IpamApiGenericErrorOccurred || !strings.Contains(r.exception.Message, "shutting down") {
			t.Fatalf("got %+v, want Complete with an exception saying the server is shutting down", r)
		}
		if st, _ := adm.State(context.Background()); st.ProvisioningInProgress || st.Configured {
			t.Fatalf("work started while draining: %+v", st)
		}
	})
}

func TestReconfigure(t *testing.T) {
	m := newTestManager(t, time.Second, Options{InactivityInterval: 15 * time.Second})
	before := startManaged(t, m, testProvisionPath)
	m.Reconfigure(Options{InactivityInterval: 42 * time.Second, KeepaliveGraceCount: 7})
	after := startManaged(t, m, testProvisionPath)
	if got := before.s.opts.InactivityInterval; got != 15*time.Second {
		t.Errorf("running session's interval changed to %v", got)
	}
	if got := after.s.opts; got.InactivityInterval != 42*time.Second || got.KeepaliveGraceCount != 7 {
		t.Errorf("new session's options %+v", got)
	}
	if after.s.opts.Logger == nil || after.s.obs == nil {
		t.Error("Reconfigure dropped the logger or observer")
	}
}

// eventLog is a PortObserver that records events as strings.
type eventLog struct {
	port string
	mu   sync.Mutex
	ev   []string
}

type eventObserver struct {
	mu    sync.Mutex
	ports map[string]*eventLog
}

func (o *eventObserver) Port(name string) PortObserver {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.ports == nil {
		o.ports = map[string]*eventLog{}
	}
	l := &eventLog{port: name}
	o.ports[name] = l
	return l
}

func (l *eventLog) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ev = append(l.ev, s)
}
func (l *eventLog) SessionStarted(tr string)    { l.add("started " + tr) }
func (l *eventLog) StateChanged(from, to State) { l.add("state " + from.String() + ">" + to.String()) }
func (l *eventLog) SessionEnded(last State)     { l.add("ended " + last.String()) }
func (l *eventLog) MessageReceived(action string) {
	l.add("in " + action[strings.LastIndexByte(action, '/')+1:])
}
func (l *eventLog) MessageIgnored(action string) {
	l.add("ignored " + action[strings.LastIndexByte(action, '/')+1:])
}
func (l *eventLog) MessageSent(action string) {
	l.add("out " + action[strings.LastIndexByte(action, '/')+1:])
}
func (l *eventLog) Exception(id string)          { l.add("exception " + id) }
func (l *eventLog) SessionExpired(reason string) { l.add("expired " + reason) }
func (l *eventLog) QuotaExceeded(quota string)   { l.add("quota " + quota) }
func (l *eventLog) CallbackDone(action string, d time.Duration, err error) {
	if d < 0 || err != nil {
		l.add("callback failed")
	}
}

func (l *eventLog) events() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, e := range l.ev {
		if e != "out NotifyAsyncProvisionCheckpoint" && e != "state in_progress>in_progress" {
			out = append(out, e)
		}
	}
	return out
}

func TestObserver(t *testing.T) {
	obs := &eventObserver{}
	m := newTestManager(t, 60*time.Millisecond, Options{Observer: obs})
	// A refused Initialize on the conversion port (not provisioned yet): its
	// exception is counted.
	c := startManaged(t, m, testConversionPath)
	c.send(ipam.ActionInitializeAsyncSchemaConversion, true, &ipam.InitializeAsyncSchemaConversion{})
	c.next()
	h := startManaged(t, m, testProvisionPath)
	h.startWork()
	for {
		r, ok := h.next()
		if !ok {
			break
		}
		if r.action == ipam.ProvisionCallbackActions(0).Complete {
			h.outputClosed()
			break
		}
	}
	if err := h.end(); err != nil {
		t.Fatal(err)
	}

	want := []string{
		"started net.tcp",
		"in InitializeAsyncProvisioning", "state session_initialized>initialized", "out InitializeAsyncProvisioningResponse",
		"in StartAsyncProvisioning", "state initialized>started", "out NotifyAsyncProvisionStart",
		"state started>in_progress",
		"state in_progress>completed", "out NotifyAsyncProvisionComplete",
		"ended completed",
	}
	if got := obs.ports[ipam.PortIIpamAsyncProvision].events(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("provision events:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	wantConv := []string{"started net.tcp", "in InitializeAsyncSchemaConversion", "exception " + ipam.IpamApiCallsAreNotAllowedUntilProvisioningIsDone,
		"out InitializeAsyncSchemaConversionResponse"}
	if got := obs.ports[ipam.PortIIpamAsyncSchemaConversion].events(); strings.Join(got, "\n") != strings.Join(wantConv, "\n") {
		t.Errorf("conversion events:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantConv, "\n"))
	}
}
