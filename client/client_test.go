package client

import (
	"context"
	"errors"
	"reflect"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/ipamd/ipamd/duplex/nmf"
	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// TestProvisionSucceeds runs whole provisioning sessions against the
// in-process server in every encoding and with both callback spellings.
func TestProvisionSucceeds(t *testing.T) {
	for _, enc := range []soap.Encoding{soap.EncodingBinarySession, soap.EncodingBinary, soap.EncodingText} {
		for _, style := range []ipam.CallbackActionStyle{ipam.CallbackActionsService, ipam.CallbackActionsCallback} {
			t.Run(enc.String()+"/"+[]string{"service", "callback"}[style], func(t *testing.T) {
				srv := startServer(t, serverConfig{work: memWork(150 * time.Millisecond), checkpoint: 20 * time.Millisecond, style: style})
				c := &Client{Encoding: enc}
				ctx := context.Background()
				conn, err := c.Dial(ctx, srv.provisionURI)
				if err != nil {
					t.Fatal(err)
				}
				gpo := "IPAM"
				var log eventLog
				res, err := c.Provision(ctx, conn, &ipam.IpamProvisioningSetting{
					GpoPrefix: &gpo, ProvisioningMethod: ipam.ProvisioningMethodAutomatic,
				}, &log)
				if err != nil {
					t.Fatalf("Provision: %v", err)
				}
				if !res.Completed || res.Checkpoints < 2 || res.Work < 150*time.Millisecond || res.Initialize <= 0 {
					t.Errorf("result %+v", res)
				}
				kinds := log.kinds()
				want := []EventKind{EventInitialized, EventStarted}
				for range res.Checkpoints {
					want = append(want, EventCheckpoint)
				}
				want = append(want, EventCompleted)
				if !slices.Equal(kinds, want) {
					t.Errorf("events %v, want %v", kinds, want)
				}
				if st := srv.adm.State(); !st.Configured || st.ProvisioningInProgress {
					t.Errorf("server state after provisioning: %+v", st)
				}
			})
		}
	}
}

// TestOutcomes covers success and every way the server refuses, at
// Initialize (a SOAP fault) or in Notify…Complete.
func TestOutcomes(t *testing.T) {
	empty := ""
	tests := []struct {
		name     string
		cfg      serverConfig
		port     PortType
		setting  *ipam.IpamProvisioningSetting
		wantID   string // "" = success
		wantOp   string
		atFault  bool // refused by Initialize's fault
		complete bool
	}{
		{"provision already provisioned", serverConfig{configured: true}, Provisioning, nil,
			ipam.IpamApiErrorIpamAlreadyProvisioned, "NotifyAsyncProvisionComplete", false, true},
		{"provision before conversion", serverConfig{conversionRequired: true}, Provisioning, nil,
			ipam.IpamApiCallsAreNotAllowedUntilSchemaConversionIsDone, "InitializeAsyncProvisioning", true, false},
		{"provision invalid GPO prefix", serverConfig{}, Provisioning, &ipam.IpamProvisioningSetting{GpoPrefix: &empty},
			ipam.IpamApiInvalidGpoPrefix, "InitializeAsyncProvisioning", true, false},
		{"provision work fails", serverConfig{work: failWork(ipam.IpamApiErrorDatabaseCreationOrPopulationFailed)}, Provisioning, nil,
			ipam.IpamApiErrorDatabaseCreationOrPopulationFailed, "NotifyAsyncProvisionComplete", false, true},
		{"convert succeeds", serverConfig{conversionRequired: true, work: memWork(60 * time.Millisecond)}, SchemaConversion, nil,
			"", "", false, true},
		{"convert not required", serverConfig{configured: true}, SchemaConversion, nil,
			ipam.IpamSchemaConversionNotRequired, "NotifyAsyncSchemaConversionComplete", false, true},
		{"convert not provisioned", serverConfig{}, SchemaConversion, nil,
			ipam.IpamApiCallsAreNotAllowedUntilProvisioningIsDone, "InitializeAsyncSchemaConversion", true, false},
		{"convert fails", serverConfig{conversionRequired: true, work: failWork(ipam.IpamSchemaConversionFailed)}, SchemaConversion, nil,
			ipam.IpamSchemaConversionFailed, "NotifyAsyncSchemaConversionComplete", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startServer(t, tt.cfg)
			c := &Client{}
			ctx := context.Background()
			uri := srv.provisionURI
			if tt.port == SchemaConversion {
				uri = srv.conversionURI
			}
			conn, err := c.Dial(ctx, uri)
			if err != nil {
				t.Fatal(err)
			}
			var res Result
			if tt.port == Provisioning {
				res, err = c.Provision(ctx, conn, tt.setting, nil)
			} else {
				res, err = c.ConvertSchema(ctx, conn, nil)
			}
			if res.Completed != tt.complete {
				t.Errorf("Completed = %v, want %v", res.Completed, tt.complete)
			}
			if tt.wantID == "" {
				if err != nil {
					t.Fatalf("err = %v, want success", err)
				}
				return
			}
			var re *RemoteError
			if !errors.As(err, &re) {
				t.Fatalf("err = %v, want a *RemoteError", err)
			}
			var exc *ipam.IpamException
			if re.ExceptionID() != tt.wantID || re.Operation != tt.wantOp || (re.Fault != nil) != tt.atFault ||
				!errors.As(err, &exc) || exc.ExceptionID != tt.wantID || exc.Message == "" {
				t.Fatalf("RemoteError %+v (exception %+v), want %s from %s (fault %v)", re, re.Exception, tt.wantID, tt.wantOp, tt.atFault)
			}
			if tt.atFault {
				var f *soap.Fault
				if !errors.As(err, &f) || f.Code != soap.CodeSender {
					t.Errorf("fault %+v", f)
				}
			}
		})
	}
}

// TestKeepaliveKeepsSessionAlive: with a server inactivity interval of 200ms
// and no grace, a session whose work takes 1s (checkpoints do not count) only
// survives because the client sends Keepalives (every 20ms, so a timer
// delayed by a loaded machine still leaves margin); without them the server
// aborts it. Holding an initialized session works the same way.
func TestKeepaliveKeepsSessionAlive(t *testing.T) {
	cfg := serverConfig{work: memWork(time.Second), checkpoint: time.Hour,
		inactivity: 200 * time.Millisecond, grace: -1}
	ctx := context.Background()

	t.Run("whole session", func(t *testing.T) {
		srv := startServer(t, cfg)
		c := &Client{KeepaliveInterval: 20 * time.Millisecond}
		conn, err := c.Dial(ctx, srv.provisionURI)
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.Provision(ctx, conn, nil, nil)
		if err != nil {
			t.Fatalf("Provision: %v", err)
		}
		// A checkpoint may come (the first is due after 1s), but what the
		// server sends is no sign of the client's life: Keepalives are.
		if res.Keepalives < 10 {
			t.Errorf("result %+v: want at least 10 keepalives (1s / 20ms)", res)
		}
	})
	t.Run("held after Initialize", func(t *testing.T) {
		srv := startServer(t, cfg)
		c := &Client{KeepaliveInterval: 20 * time.Millisecond}
		conn, err := c.Dial(ctx, srv.provisionURI)
		if err != nil {
			t.Fatal(err)
		}
		s, err := c.NewSession(conn, Provisioning)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close(ctx)
		if err := s.Initialize(ctx, ProvisioningParameters(nil)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(600 * time.Millisecond) // three inactivity intervals
		if err := s.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.Wait(ctx, nil); err != nil {
			t.Fatalf("Wait after holding the session: %v", err)
		}
		if err := s.Close(ctx); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("without keepalives the server aborts", func(t *testing.T) {
		// Work long enough that a late inactivity timer on a loaded machine
		// still fires before it ends; the abort comes after ~400ms.
		cfg := cfg
		cfg.work = memWork(10 * time.Second)
		srv := startServer(t, cfg)
		c := &Client{KeepaliveInterval: -1}
		conn, err := c.Dial(ctx, srv.provisionURI)
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.Provision(ctx, conn, nil, nil)
		if err == nil || res.Completed {
			t.Fatalf("Provision without keepalives: %+v, %v; want the session aborted", res, err)
		}
		if errors.Is(err, ErrProtocol) {
			t.Errorf("abort reported as a protocol violation: %v", err)
		}
	})
}

func TestBadViaIsEndpointNotFound(t *testing.T) {
	srv := startServer(t, serverConfig{})
	c := &Client{}
	_, err := c.Dial(context.Background(), "net.tcp://"+srv.addr+"/ipam/Nowhere")
	var fe *nmf.FaultError
	if !errors.As(err, &fe) || fe.URI != nmf.FaultEndpointNotFound || !errors.Is(err, nmf.ErrRemoteFault) {
		t.Fatalf("Dial: %v, want the EndpointNotFound framing fault", err)
	}
	if _, err := c.Dial(context.Background(), "http://"+srv.addr+provisionPath); err == nil {
		t.Error("http:// URI dialled over net.tcp")
	}
	if _, err := (&Client{Encoding: soap.EncodingText11}).Dial(context.Background(), srv.provisionURI); err == nil {
		t.Error("SOAP 1.1 accepted over net.tcp")
	}
}

// TestCancelMidSession cancels while the work runs: Provision returns at
// once with the context's error, the End reaches the server (whose session
// ends and cancels the work), and no goroutine is left (TestMain's goleak).
func TestCancelMidSession(t *testing.T) {
	srv := startServer(t, serverConfig{work: memWork(10 * time.Second)})
	c := &Client{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	conn, err := c.Dial(ctx, srv.provisionURI)
	if err != nil {
		t.Fatal(err)
	}
	obs := ObserverFunc(func(e Event) {
		if e.Kind == EventCheckpoint {
			cancel()
		}
	})
	start := time.Now()
	res, err := c.Provision(ctx, conn, nil, obs)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Provision: %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 2*time.Second || res.Completed || res.Checkpoints != 1 {
		t.Fatalf("returned after %v with %+v", d, res)
	}
	deadline := time.Now().Add(3 * time.Second)
	for srv.adm.State().ProvisioningInProgress || srv.srv.ActiveSessions() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("server still provisioning (%+v, %d sessions) after the client left", srv.adm.State(), srv.srv.ActiveSessions())
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Whether the server ends up configured is not the client's business:
	// the in-memory store's work is done at once and the rest is padding.
}

func TestSessionStateErrors(t *testing.T) {
	srv := startServer(t, serverConfig{configured: true})
	c := &Client{}
	ctx := context.Background()
	conn, err := c.Dial(ctx, srv.conversionURI)
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.NewSession(conn, SchemaConversion)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx); !errors.Is(err, ErrState) {
		t.Errorf("Start before Initialize: %v", err)
	}
	if err := s.Wait(ctx, nil); !errors.Is(err, ErrState) {
		t.Errorf("Wait before Start: %v", err)
	}
	if err := s.Initialize(ctx, ConversionParameters()); err != nil {
		t.Fatal(err)
	}
	if err := s.Initialize(ctx, ConversionParameters()); !errors.Is(err, ErrState) {
		t.Errorf("second Initialize: %v", err)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(ctx); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := s.Start(ctx); !errors.Is(err, ErrState) {
		t.Errorf("Start after Close: %v", err)
	}
	if _, err := c.NewSession(conn, PortType(9)); err == nil {
		t.Error("unknown port type accepted")
	}
}

// TestServerProtocolViolations plays misbehaving servers (a real ipamd never
// does these) and checks each is caught as ErrProtocol or ErrSessionClosed.
func TestServerProtocolViolations(t *testing.T) {
	reply := func(relatesTo string) []byte {
		return encode(t, soap.Header{Action: ipam.ActionInitializeAsyncProvisioningResponse, RelatesTo: relatesTo},
			&ipam.InitializeAsyncProvisioningResponse{})
	}
	cb := ipam.ProvisionCallbackActions(ipam.CallbackActionsService)
	start := encode(t, soap.Header{Action: cb.Start}, &ipam.NotifyAsyncProvisionStart{})
	checkpoint := encode(t, soap.Header{Action: cb.Checkpoint}, &ipam.NotifyAsyncProvisionCheckpoint{})
	complete := encode(t, soap.Header{Action: cb.Complete}, &ipam.NotifyAsyncProvisionComplete{})
	keepalive := encode(t, soap.Header{Action: ipam.ActionKeepalive}, nil)
	tests := []struct {
		name     string
		payloads [][]byte
		want     error // nil = success
	}{
		{"the real sequence", [][]byte{reply(fixedID), start, checkpoint, complete}, nil},
		{"server keepalives are ignored", [][]byte{keepalive, reply(fixedID), keepalive, start, keepalive, complete}, nil},
		{"complete without start", [][]byte{reply(fixedID), complete}, nil},
		{"reply to another request", [][]byte{reply("urn:uuid:other")}, ErrProtocol},
		{"reply without RelatesTo", [][]byte{reply("")}, ErrProtocol},
		{"callback before the reply", [][]byte{start}, ErrProtocol},
		{"wrong reply action", [][]byte{encode(t, soap.Header{Action: cb.Start, RelatesTo: fixedID}, &ipam.NotifyAsyncProvisionStart{})}, ErrProtocol},
		{"checkpoint before start", [][]byte{reply(fixedID), checkpoint}, ErrProtocol},
		{"second start", [][]byte{reply(fixedID), start, start}, ErrProtocol},
		{"conversion callback in a provision session", [][]byte{reply(fixedID),
			encode(t, soap.Header{Action: ipam.SchemaConversionCallbackActions(0).Start}, &ipam.NotifyAsyncSchemaConversionStart{})}, ErrProtocol},
		{"body of another callback", [][]byte{reply(fixedID), encode(t, soap.Header{Action: cb.Start}, &ipam.NotifyAsyncProvisionComplete{})}, ErrProtocol},
		{"not XML", [][]byte{[]byte("hello")}, ErrProtocol},
		{"end before the reply", nil, ErrSessionClosed},
		{"end before complete", [][]byte{reply(fixedID), start, checkpoint}, ErrSessionClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := serve(t, nmf.NewServer(nmf.Options{CloseTimeout: time.Second}, &scripted{payloads: tt.payloads}))
			c := &Client{Encoding: soap.EncodingText, newMessageID: fixedMessageID}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			conn, err := c.Dial(ctx, "net.tcp://"+addr+provisionPath)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Provision(ctx, conn, nil, nil)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Provision: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Provision: %v, want %v", err, tt.want)
			}
		})
	}
}

// A fault without an IpamException detail still becomes a RemoteError.
func TestFaultWithoutException(t *testing.T) {
	f := soap.ReceiverFault("boom")
	payload := encode(t, soap.Header{Action: ipam.ActionInitializeAsyncProvisioningResponse, RelatesTo: fixedID}, f)
	addr := serve(t, nmf.NewServer(nmf.Options{}, &scripted{payloads: [][]byte{payload}}))
	c := &Client{Encoding: soap.EncodingText, newMessageID: fixedMessageID}
	ctx := context.Background()
	conn, err := c.Dial(ctx, "net.tcp://"+addr+provisionPath)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Provision(ctx, conn, nil, nil)
	var re *RemoteError
	if !errors.As(err, &re) || re.Exception != nil || re.Fault == nil || re.Fault.Reason != "boom" || re.ExceptionID() != "" {
		t.Fatalf("Provision: %#v", err)
	}
}

func TestMessageID(t *testing.T) {
	re := regexp.MustCompile(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	a, b := newMessageID(), newMessageID()
	if !re.MatchString(a) || a == b {
		t.Fatalf("message ids %q, %q", a, b)
	}
}

func TestRemoteErrorText(t *testing.T) {
	e := &RemoteError{Operation: "Op", Exception: ipam.NewException("Id", "msg")}
	if e.Error() != "Op: Id: msg" {
		t.Errorf("%q", e.Error())
	}
	e = &RemoteError{Operation: "Op", Fault: soap.SenderFault("why")}
	if e.Error() != "Op: soap fault Sender: why" || !reflect.DeepEqual(e.Unwrap(), []error{e.Fault}) {
		t.Errorf("%q", e.Error())
	}
}
