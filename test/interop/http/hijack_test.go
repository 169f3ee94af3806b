package httpinterop_test

import (
	"net/http"
	"strings"
	"testing"

	daemon "github.com/ipamd/ipamd/internal/daemontest"
	"github.com/ipamd/ipamd/test/soapui"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// TestSessionHijack: an attacker who knows a victim's a:ReplyTo (it is no
// secret: any local process can guess a callback URL) but not the session
// id of the victim's Initialize reply can neither drive the victim's
// session nor end it, on the real daemon: a Start without the id lands in
// a session of its own (refused there: nothing was initialized), a Start
// with a forged id gets 403 with IpamApiAccessDenied, and the victim's
// Start, with its id, still runs the session to Notify…Complete.
func TestSessionHijack(t *testing.T) {
	srv := daemon.Start(t)
	cb := newSink(t)
	hc := newClient(t)
	f := soapui.Flows[0]
	victim := map[string]string{
		soapui.PropProvisionEndpoint:  srv.Provision(),
		soapui.PropConversionEndpoint: srv.Conversion(),
		soapui.PropCallbackURL:        cb.url("/victim"),
	}
	resp := post(t, hc, srv.Provision(), soap12, message(t, f.Initialize, victim, soap12))
	if resp.status != http.StatusOK {
		t.Fatalf("victim's Initialize: HTTP %d\n%s", resp.status, resp.body)
	}
	id := sessionOf(t, resp.body, victim)

	attacker := map[string]string{}
	for k, v := range victim {
		attacker[k] = v
	}
	for _, tc := range []struct {
		name, session string
		status        int
		exception     string
	}{
		// A Start with the template's empty id names no session.
		{"no id", "", http.StatusForbidden, ipam.IpamApiAccessDenied},
		{"forged id", strings.TrimSuffix(id, id[len(id)-8:]) + "00000000", http.StatusForbidden, ipam.IpamApiAccessDenied},
		{"another session's id form", "urn:uuid:00000000-0000-4000-8000-000000000000", http.StatusForbidden, ipam.IpamApiAccessDenied},
	} {
		attacker[soapui.PropSessionID] = tc.session
		resp := post(t, hc, srv.Provision(), soap12, message(t, f.Start, attacker, soap12))
		if resp.status != tc.status {
			t.Fatalf("%s: attacker's Start: HTTP %d, want %d\n%s", tc.name, resp.status, tc.status, resp.body)
		}
		flt, err := parseFault(resp.body)
		if err != nil {
			t.Fatalf("%s: %v\n%s", tc.name, err, resp.body)
		}
		checkIpamException(t, flt, tc.exception)
	}
	if n := len(cb.ch); n != 0 {
		t.Fatalf("the refused requests caused %d callbacks", n)
	}
	// Without the header at all, the request starts the attacker's own
	// session, whose state machine refuses a Start before Initialize: its
	// Notify…Complete (with the exception) goes to the ReplyTo named, but
	// carries that session's id, not the victim's, so the victim's client
	// tells it apart.
	noHeader := []byte(strings.Replace(string(message(t, f.Start, attacker, soap12)),
		`<ss:SessionId xmlns:ss="urn:ipamd:2026:session" a:IsReferenceParameter="true">`+attacker[soapui.PropSessionID]+`</ss:SessionId>`, "", 1))
	if resp := post(t, hc, srv.Provision(), soap12, noHeader); resp.status != http.StatusAccepted {
		t.Fatalf("attacker's Start without a session id: HTTP %d, want 202 (one-way, in a session of its own)\n%s", resp.status, resp.body)
	}
	refused := cb.awaitComplete(t, callbackTimeout)
	if sid := headerOf(t, refused[0].body, soapui.NSSession, "SessionId"); len(refused) != 1 || sid == id {
		t.Fatalf("the attacker's session sent %d callbacks, the first with session id %q (the victim's is %q)", len(refused), sid, id)
	}

	// The victim's session is intact.
	if resp := post(t, hc, srv.Provision(), soap12, message(t, f.Start, victim, soap12)); resp.status != http.StatusAccepted {
		t.Fatalf("victim's Start: HTTP %d, want 202\n%s", resp.status, resp.body)
	}
	got := cb.awaitComplete(t, callbackTimeout)
	for i, c := range got {
		if sid := headerOf(t, c.body, soapui.NSSession, "SessionId"); sid != id {
			t.Errorf("callback %d carries session id %q, want the victim's", i, sid)
		}
	}
	if err := soapui.Compare(message(t, f.Completed, victim, soap12), got[len(got)-1].body); err != nil {
		t.Errorf("victim's Complete: %v", err)
	}
}
