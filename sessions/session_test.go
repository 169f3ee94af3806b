package sessions

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ipamd/ipamd/duplex/security"
	"github.com/ipamd/ipamd/services"
	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/soap/textxml"
	"github.com/ipamd/ipamd/soap/xmlstream"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// harness runs one session over a memTransport with text encoding.
type harness struct {
	s      *Session
	t      *testing.T
	conn   *memTransport
	client *soap.Codec // encodes client messages
	reader *soap.Codec // decodes server messages
	done   chan error
	seq    int
}

func startSession(t *testing.T, b *Binding, opts Options) *harness {
	t.Helper()
	return startSessionAs(t, b, opts, nil)
}

// startSessionAs is startSession for a caller identity (nil: security none).
func startSessionAs(t *testing.T, b *Binding, opts Options, id *security.Identity) *harness {
	t.Helper()
	h := &harness{t: t, conn: newMemTransport(soap.EncodingText, opts.Limits, id), client: soap.NewCodec(soap.EncodingText, soap.Limits{}),
		reader: soap.NewCodec(soap.EncodingText, soap.Limits{}), done: make(chan error, 1)}
	s := newSession(context.Background(), b, h.conn, opts)
	h.s = s
	go func() { h.done <- s.Serve() }()
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

func (h *harness) send(action string, twoWay bool, body ipam.BodyWriter) string {
	h.t.Helper()
	hd := soap.Header{Action: action, To: "net.tcp://127.0.0.1/ipam/x"}
	if twoWay {
		h.seq++
		hd.MessageID = "urn:uuid:00000000-0000-0000-0000-00000000000" + string(rune('0'+h.seq%10))
		hd.ReplyTo = soap.AddressAnonymous
	}
	p, err := h.client.Encode(nil, &hd, body)
	if err != nil {
		h.t.Fatal(err)
	}
	h.conn.in <- p
	return hd.MessageID
}

// received is one decoded server message.
type received struct {
	action, relatesTo string
	fault             *soap.Fault
	exception         *ipam.IpamException // fault detail or Complete's exception
	completeNil       bool                // Complete with exception i:nil
}

func (h *harness) next() (received, bool) {
	h.t.Helper()
	select {
	case p, ok := <-h.conn.out:
		if !ok {
			return received{}, false
		}
		return decodeReceived(h.t, h.reader, p), true
	case <-time.After(5 * time.Second):
		h.t.Fatal("no message from the server within 5s")
	}
	return received{}, false
}

// decodeReceived decodes one server message (text encoding).
func decodeReceived(t *testing.T, codec *soap.Codec, p []byte) received {
	t.Helper()
	env, err := codec.Decode(p)
	if err != nil {
		t.Fatalf("server sent an undecodable message: %v\n%s", err, p)
	}
	r := received{action: env.Header.Action, relatesTo: env.Header.RelatesTo}
	body := env.Body()
	if env.IsFault() {
		f, detail, err := soap.ReadFault(body)
		if err != nil {
			t.Fatalf("fault: %v", err)
		}
		r.fault = f
		if detail != nil {
			r.exception = readDetailException(t, detail)
		}
		return r
	}
	n, err := xmlstream.NextStart(body)
	if err != nil || n == nil {
		return r
	}
	switch n.Name.Local {
	case "NotifyAsyncProvisionComplete", "NotifyAsyncSchemaConversionComplete":
		for {
			c, err := xmlstream.NextStart(body)
			if err != nil || c == nil {
				break
			}
			if c.Name.Local == "exception" {
				if xmlstream.IsNil(c) {
					r.completeNil = true
					_ = xmlstream.Skip(body)
				} else if r.exception, err = ipam.ReadException(body); err != nil {
					t.Fatal(err)
				}
			} else {
				_ = xmlstream.Skip(body)
			}
		}
	}
	return r
}

func provisionBinding(st services.Store, d time.Duration, failWith string) *Binding {
	svc := &services.Provision{Store: services.WithFailure(st, failWith), MinDuration: d, CheckpointInterval: 15 * time.Millisecond}
	return ProvisionBinding(svc.NewSession, ipam.CallbackActionsService)
}

func conversionBinding(st services.Store, d time.Duration) *Binding {
	svc := &services.SchemaConversion{Store: st, MinDuration: d, CheckpointInterval: 15 * time.Millisecond}
	return SchemaConversionBinding(svc.NewSession, ipam.CallbackActionsService)
}

func initRequest() *ipam.InitializeAsyncProvisioning {
	gpo := "IPAM"
	return &ipam.InitializeAsyncProvisioning{Parameters: &ipam.IpamProvisioningEnumerationParameters{
		EnumerationParametersBase: ipam.EnumerationParametersBase{FetchAllData: true, ObjectType: ipam.EnumerationObjectTypeAsyncProvision},
		IpamProvisioningSetting:   &ipam.IpamProvisioningSetting{CreateNewSchema: true, GpoPrefix: &gpo, ProvisioningMethod: ipam.ProvisioningMethodAutomatic},
	}}
}

// Rules T8, T9, P1, P2, P5, P15. (docs/protocol.md)
func TestProvisioningSessionHappyPath(t *testing.T) {
	// 500 ms of work at a 15 ms interval: about 30 checkpoints on an idle
	// machine, and still at least two when the machine stalls the timer's
	// goroutine for a while (80 ms gave one under a load average of 20).
	h := startSession(t, provisionBinding(services.NewMemory(false, false), 500*time.Millisecond, ""), Options{})
	id := h.send(ipam.ActionInitializeAsyncProvisioning, true, initRequest())
	r, _ := h.next()
	if r.action != ipam.ActionInitializeAsyncProvisioningResponse || r.relatesTo != id || r.fault != nil {
		t.Fatalf("Initialize reply = %+v", r)
	}
	h.send(ipam.ActionStartAsyncProvisioning, false, &ipam.StartAsyncProvisioning{})
	actions := ipam.ProvisionCallbackActions(ipam.CallbackActionsService)
	r, _ = h.next()
	if r.action != actions.Start {
		t.Fatalf("first callback %q, want %q", r.action, actions.Start)
	}
	checkpoints := 0
	for {
		r, ok := h.next()
		if !ok {
			t.Fatal("session output closed before Complete")
		}
		if r.action == actions.Checkpoint {
			checkpoints++
			continue
		}
		if r.action != actions.Complete || !r.completeNil {
			t.Fatalf("last callback = %+v, want Complete with nil exception", r)
		}
		break
	}
	if checkpoints < 2 {
		t.Fatalf("%d checkpoints, want ≥ 2", checkpoints)
	}
	// Completed → the server closes its output.
	if _, ok := h.next(); ok {
		t.Fatal("message after Complete")
	}
	close(h.conn.in)
	if err := <-h.done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	h.done <- nil // for the cleanup
}

// Rules P4, P6. (docs/protocol.md)
func TestStateMachineRefusals(t *testing.T) {
	t.Run("Initialize twice faults", func(t *testing.T) {
		h := startSession(t, provisionBinding(services.NewMemory(false, false), time.Second, ""), Options{})
		h.send(ipam.ActionInitializeAsyncProvisioning, true, initRequest())
		if r, _ := h.next(); r.fault != nil {
			t.Fatalf("first Initialize faulted: %+v", r.exception)
		}
		id := h.send(ipam.ActionInitializeAsyncProvisioning, true, initRequest())
		r, _ := h.next()
		if r.fault == nil || r.relatesTo != id || r.exception == nil || r.exception.ExceptionID != ipam.IpamApiGenericErrorOccurred {
			t.Fatalf("second Initialize = %+v", r)
		}
		if r.action != ipam.ActionInitializeAsyncProvisioningResponse {
			t.Fatalf("fault action %q, want the reply action (Mono matches replies by action)", r.action)
		}
	})
	t.Run("Start before Initialize completes with exception", func(t *testing.T) {
		h := startSession(t, provisionBinding(services.NewMemory(false, false), time.Second, ""), Options{})
		h.send(ipam.ActionStartAsyncProvisioning, false, &ipam.StartAsyncProvisioning{})
		r, _ := h.next()
		if r.action != ipam.ProvisionCallbackActions(0).Complete || r.exception == nil {
			t.Fatalf("got %+v, want Complete with an exception", r)
		}
		if _, ok := h.next(); ok {
			t.Fatal("session not closed after Complete")
		}
	})
	t.Run("conversion before provisioning faults with the gating id", func(t *testing.T) {
		h := startSession(t, conversionBinding(services.NewMemory(false, false), time.Second), Options{})
		h.send(ipam.ActionInitializeAsyncSchemaConversion, true, &ipam.InitializeAsyncSchemaConversion{})
		r, _ := h.next()
		if r.exception == nil || r.exception.ExceptionID != ipam.IpamApiCallsAreNotAllowedUntilProvisioningIsDone {
			t.Fatalf("got %+v", r)
		}
	})
}

// Rule G7. (docs/protocol.md)
func TestUnknownActionFaultsAndCloses(t *testing.T) {
	h := startSession(t, provisionBinding(services.NewMemory(false, false), time.Second, ""), Options{})
	id := h.send("urn:nope", true, &ipam.StartAsyncProvisioning{})
	r, _ := h.next()
	if r.fault == nil || r.fault.Subcode != "ActionNotSupported" || r.relatesTo != id {
		t.Fatalf("got %+v", r)
	}
	if _, ok := h.next(); ok {
		t.Fatal("session output still open")
	}
	if err := <-h.done; !errors.Is(err, errClose) {
		t.Fatalf("Serve = %v, want errClose after a fatal fault", err)
	}
	h.done <- nil
}

// Rules G4, G6. (docs/protocol.md)
func TestKeepaliveAndClientCallbacksIgnored(t *testing.T) {
	h := startSession(t, provisionBinding(services.NewMemory(false, false), time.Second, ""), Options{})
	h.send(ipam.ActionKeepalive, false, emptyBody{})
	h.send(ipam.ProvisionCallbackActions(0).Checkpoint, false, &ipam.NotifyAsyncProvisionCheckpoint{})
	id := h.send(ipam.ActionInitializeAsyncProvisioning, true, initRequest())
	if r, _ := h.next(); r.relatesTo != id || r.fault != nil {
		t.Fatalf("first message after ignored ones = %+v", r)
	}
}

// Rule G8. (docs/protocol.md)
func TestMalformedEnvelopeFaultsAndCloses(t *testing.T) {
	h := startSession(t, provisionBinding(services.NewMemory(false, false), time.Second, ""), Options{})
	h.conn.in <- []byte("<s:Envelope xmlns:s='http://www.w3.org/2003/05/soap-envelope'><s:Body>")
	r, _ := h.next()
	if r.fault == nil || r.exception == nil {
		t.Fatalf("got %+v, want a SOAP fault with an IpamException", r)
	}
	if _, ok := h.next(); ok {
		t.Fatal("session output still open")
	}
}

// Rule G5. (docs/protocol.md)
func TestInactivityAborts(t *testing.T) {
	h := startSession(t, provisionBinding(services.NewMemory(false, false), time.Second, ""),
		Options{InactivityInterval: 20 * time.Millisecond, KeepaliveGraceCount: 2})
	start := time.Now()
	select {
	case <-h.conn.aborted:
	case <-time.After(2 * time.Second):
		t.Fatal("silent session was not aborted")
	}
	// 2 grace intervals + the one that goes below zero.
	if d := time.Since(start); d < 55*time.Millisecond {
		t.Fatalf("aborted after %v, before the grace count ran out", d)
	}
}

type emptyBody struct{}

func (emptyBody) WriteBody(xmlstream.Writer) error { return nil }

// readDetailException decodes the IpamException in a fault's s:Detail
// (ReadFault returns it as text XML).
func readDetailException(t *testing.T, detail []byte) *ipam.IpamException {
	t.Helper()
	doc := append(append([]byte("<d>"), detail...), "</d>"...)
	r := textxml.NewReader(doc, textxml.Options{})
	if _, err := xmlstream.NextStart(r); err != nil {
		t.Fatal(err)
	}
	for {
		n, err := xmlstream.NextStart(r)
		if err != nil {
			t.Fatalf("detail %q: %v", detail, err)
		}
		if n == nil {
			return nil
		}
		if n.Name.Local == "IpamException" && n.Name.Space == ipam.NamespaceDataContract {
			break
		}
		if err := xmlstream.Skip(r); err != nil {
			t.Fatal(err)
		}
	}
	exc, err := ipam.ReadException(r)
	if err != nil {
		t.Fatalf("detail exception: %v", err)
	}
	return exc
}

// Rule: unauthorized Initialize gets a correlated IpamApiAccessDenied fault; unauthorized Start gets Complete(IpamApiAccessDenied).
//
// TestAuthorization: Initialize and Start require IsAdministrator
// (MS-IPAMM2 3.11.6.1, 3.15.6.1). A refused Initialize gets the common SOAP
// fault with IpamApiAccessDenied and the state does not move; a refused
// Start — one-way, so refused through Notify…Complete — completes the
// session, and nothing starts.
//
// Rule G1. (docs/protocol.md)
func TestAuthorization(t *testing.T) {
	authz := &services.RoleAuthorizer{AdminNames: []string{`IPAM\bob`}}
	tests := []struct {
		name    string
		id      *security.Identity
		allowed bool
	}{
		{"security none on loopback", nil, true},
		{"mapped NTLM administrator", &security.Identity{Mechanism: security.MechanismNTLM, Name: `IPAM\bob`}, true},
		{"authenticated non-administrator", &security.Identity{Mechanism: security.MechanismKerberos, Name: "carol@IPAM.TEST"}, false},
		{"anonymous TLS", &security.Identity{Mechanism: security.MechanismTLSAnonymous, Loopback: true}, false},
	}
	for _, tt := range tests {
		for _, port := range []string{"provision", "conversion"} {
			t.Run(tt.name+"/"+port, func(t *testing.T) {
				adm := services.NewMemory(port == "conversion", port == "conversion")
				b, initAction, startAction := provisionBinding(adm, 20*time.Millisecond, ""), ipam.ActionInitializeAsyncProvisioning, ipam.ActionStartAsyncProvisioning
				var initBody ipam.BodyWriter = initRequest()
				var startBody ipam.BodyWriter = &ipam.StartAsyncProvisioning{}
				if port == "conversion" {
					b, initAction, startAction = conversionBinding(adm, 20*time.Millisecond), ipam.ActionInitializeAsyncSchemaConversion, ipam.ActionStartAsyncSchemaConversion
					initBody, startBody = &ipam.InitializeAsyncSchemaConversion{}, &ipam.StartAsyncSchemaConversion{}
				}
				h := startSessionAs(t, b, Options{Authorizer: authz}, tt.id)
				msgID := h.send(initAction, true, initBody)
				r, _ := h.next()
				if tt.allowed {
					if r.fault != nil {
						t.Fatalf("Initialize refused: %+v", r.exception)
					}
					return
				}
				if r.fault == nil || r.exception == nil || r.exception.ExceptionID != ipam.IpamApiAccessDenied || r.relatesTo != msgID {
					t.Fatalf("Initialize: got %+v, want an IpamApiAccessDenied fault", r)
				}
				// A one-way Start has no reply to fault: the refusal is its
				// Notify…Complete (3.11.4.7 / 3.15.4.7), then our End.
				h.send(startAction, false, startBody)
				r, _ = h.next()
				if r.fault != nil || r.action != b.Callbacks.Complete || r.relatesTo != "" ||
					r.exception == nil || r.exception.ExceptionID != ipam.IpamApiAccessDenied {
					t.Fatalf("Start: got %+v, want Notify…Complete(IpamApiAccessDenied)", r)
				}
				if _, ok := h.next(); ok {
					t.Fatal("session output still open after Complete(IpamApiAccessDenied)")
				}
				if st := h.s.State(); st != Completed {
					t.Fatalf("state %v, want Completed", h.s.binding.StateNames[st])
				}
				if st, _ := adm.State(context.Background()); st.ProvisioningInProgress || st.ConversionInProgress {
					t.Fatalf("work started for a refused caller: %+v", st)
				}
			})
		}
	}
}
