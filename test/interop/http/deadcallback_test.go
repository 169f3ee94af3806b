package httpinterop_test

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	daemon "github.com/ipamd/ipamd/internal/daemontest"
	"github.com/ipamd/ipamd/test/soapui"
)

// TestDeadCallbackAbortsSession: when nothing listens at the session's
// a:ReplyTo, ipamd gives up on Notify…Start after its retries and aborts
// the session. Observed from outside: the Start request is still answered
// 202, the daemon logs the failed delivery, the aborted session's id
// reaches nothing any more, and a new Initialize with the same a:ReplyTo
// starts a fresh session, which then runs to Notify…Complete once a
// listener is up at that address. The aborted session must not have left
// provisioning marked as running.
//
// Rule T13. (docs/protocol.md)
func TestDeadCallbackAbortsSession(t *testing.T) {
	srv := daemon.Start(t,
		daemon.FlagCallbackAttempts, "2",
		daemon.FlagCallbackBackoff, "10ms",
		daemon.FlagCallbackMaxWait, "20ms",
		daemon.FlagCallbackTimeout, "2s",
	)
	hc := newClient(t)
	f := soapui.Flows[0]

	// A loopback address where nothing listens: a port the OS gave us, then
	// closed.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	props := map[string]string{
		soapui.PropProvisionEndpoint:  srv.Provision(),
		soapui.PropConversionEndpoint: srv.Conversion(),
		soapui.PropCallbackURL:        "http://" + addr + "/dead",
	}

	resp := post(t, hc, srv.Provision(), soap12, message(t, f.Initialize, props, soap12))
	if resp.status != http.StatusOK {
		t.Fatalf("Initialize: HTTP %d, want 200\n%s", resp.status, resp.body)
	}
	id := sessionOf(t, resp.body, props)
	// The session is live: its id reaches it, and its state machine
	// refuses a second Initialize.
	if resp := post(t, hc, srv.Provision(), soap12, inSession(message(t, f.Initialize, props, soap12), id)); resp.status != http.StatusBadRequest {
		t.Fatalf("second Initialize in the same session: HTTP %d, want 400\n%s", resp.status, resp.body)
	}
	start := time.Now()
	if resp := post(t, hc, srv.Provision(), soap12, message(t, f.Start, props, soap12)); resp.status != http.StatusAccepted {
		t.Fatalf("Start: HTTP %d, want 202\n%s", resp.status, resp.body)
	}
	t.Logf("Start answered after %v", time.Since(start).Round(time.Millisecond))

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e, err := srv.Log.WaitFor(ctx, func(e daemon.Entry) bool {
		return e.Msg() == "callback delivery failed, aborting the session" && e.String("reply_to") == props[soapui.PropCallbackURL]
	})
	if err != nil {
		t.Fatalf("ipamd did not log the failed delivery: %v", err)
	}
	if attempts, _ := e["attempts"].(float64); attempts != 2 {
		t.Errorf("delivery gave up after %v attempts, want 2 (--callbacks-max-attempts)", e["attempts"])
	}

	// The callback listener comes back at the same address.
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listening again at %s: %v", addr, err)
	}
	cb := newSinkOn(t, ln)

	// The aborted session's id names nothing any more.
	if resp := post(t, hc, srv.Provision(), soap12, message(t, f.Start, props, soap12)); resp.status != http.StatusForbidden {
		t.Fatalf("Start with the aborted session's id: HTTP %d, want 403\n%s", resp.status, resp.body)
	}
	resp = post(t, hc, srv.Provision(), soap12, message(t, f.Initialize, props, soap12))
	if resp.status != http.StatusOK {
		t.Fatalf("Initialize after the abort: HTTP %d, want 200 (a fresh session)\n%s", resp.status, resp.body)
	}
	sessionOf(t, resp.body, props)
	if resp := post(t, hc, srv.Provision(), soap12, message(t, f.Start, props, soap12)); resp.status != http.StatusAccepted {
		t.Fatalf("Start in the fresh session: HTTP %d, want 202\n%s", resp.status, resp.body)
	}
	got := cb.awaitComplete(t, callbackTimeout)
	if got[0].kind() != "Start" {
		t.Errorf("the fresh session's first callback is %s, want Start", got[0].kind())
	}
	// Complete without exception: provisioning ran, so the aborted session
	// left neither "provisioned" nor "provisioning in progress" behind.
	want := message(t, f.Completed, props, soap12)
	if err := soapui.Compare(want, got[len(got)-1].body); err != nil {
		t.Errorf("the fresh session's Complete: %v\n%s", err, got[len(got)-1].body)
	}
}
