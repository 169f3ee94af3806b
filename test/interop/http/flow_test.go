package httpinterop_test

import (
	"mime"
	"net/http"
	"testing"

	daemon "github.com/ipamd/ipamd/internal/daemontest"
	"github.com/ipamd/ipamd/test/soapui"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// TestFlows runs each SoapUI TestCase's session against its own fresh ipamd
// (a provisioned or converted in-memory store cannot be provisioned or
// converted again), in SOAP 1.2 and in SOAP 1.1: the request files go out
// as SoapUI sends them, and the reply and every callback must match the
// expected files.
func TestFlows(t *testing.T) {
	for _, f := range soapui.Flows {
		for _, v := range []soapVersion{soap12, soap11} {
			t.Run(f.Name+"/"+v.name, func(t *testing.T) {
				t.Parallel()
				var flags []string
				if f.PortType == ipam.PortIIpamAsyncSchemaConversion {
					flags = append(flags, daemon.FlagRequireConversion)
				}
				srv := daemon.Start(t, flags...)
				runFlow(t, f, v, srv, newSink(t))
			})
		}
	}
}

func runFlow(t *testing.T, f soapui.Flow, v soapVersion, srv *daemon.Server, cb *sink) {
	hc := newClient(t)
	props := map[string]string{
		soapui.PropProvisionEndpoint:  srv.Provision(),
		soapui.PropConversionEndpoint: srv.Conversion(),
		soapui.PropCallbackURL:        cb.url("/callbacks/" + f.Name),
	}
	endpoint := props[f.EndpointProperty]

	// Initialize: two-way, answered in the HTTP response.
	init := message(t, f.Initialize, props, v)
	resp := post(t, hc, endpoint, v, init)
	if resp.status != http.StatusOK {
		t.Fatalf("Initialize: HTTP %d, want 200\n%s", resp.status, resp.body)
	}
	checkContentType(t, "Initialize reply", resp.header, v)
	if err := soapui.Compare(message(t, f.InitializeResponse, props, v), resp.body); err != nil {
		t.Errorf("Initialize reply: %v\n%s", err, resp.body)
	}
	if rel, id := headerOf(t, resp.body, soapui.NSAddressing, "RelatesTo"), headerOf(t, init, soapui.NSAddressing, "MessageID"); rel != id {
		t.Errorf("Initialize reply: a:RelatesTo %q, want the request's a:MessageID %q", rel, id)
	}
	// The reply names the session; Start carries the id back.
	session := sessionOf(t, resp.body, props)

	// Start: one-way, 202 with no body; the work and the callbacks follow.
	resp = post(t, hc, endpoint, v, message(t, f.Start, props, v))
	if resp.status != http.StatusAccepted || len(resp.body) != 0 {
		t.Fatalf("Start: HTTP %d with %d body bytes, want 202 and none\n%s", resp.status, len(resp.body), resp.body)
	}

	got := cb.awaitComplete(t, callbackTimeout)
	kinds := make([]string, len(got))
	for i, c := range got {
		kinds[i] = c.kind()
	}
	if len(got) < 3 || kinds[0] != "Start" {
		t.Fatalf("callbacks %v, want Start, Checkpoint (one or more), Complete", kinds)
	}
	for _, k := range kinds[1 : len(kinds)-1] {
		if k != "Checkpoint" {
			t.Fatalf("callbacks %v, want Start, Checkpoint (one or more), Complete", kinds)
		}
	}
	want := map[string][]byte{
		"Start":      message(t, f.Started, props, v),
		"Checkpoint": message(t, f.Checkpoint, props, v),
		"Complete":   message(t, f.Completed, props, v),
	}
	for i, c := range got {
		if err := soapui.Compare(want[c.kind()], c.body); err != nil {
			t.Errorf("callback %d (%s): %v\n%s", i, c.kind(), err, c.body)
		}
		if c.path != "/callbacks/"+f.Name {
			t.Errorf("callback %d went to %s, want the a:ReplyTo path /callbacks/%s", i, c.path, f.Name)
		}
		checkContentType(t, "callback "+c.kind(), c.header, v)
		action := headerOf(t, c.body, soapui.NSAddressing, "Action")
		if httpAction, err := v.actionOf(c.header); err != nil || httpAction != action {
			t.Errorf("callback %d: HTTP action %q (%v), want the a:Action %q", i, httpAction, err, action)
		}
		if id := headerOf(t, c.body, soapui.NSSession, "SessionId"); id != session {
			t.Errorf("callback %d: session id %q, the Initialize reply had %q", i, id, session)
		}
	}
}

func checkContentType(t *testing.T, what string, h http.Header, v soapVersion) {
	t.Helper()
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mt != v.mediaType || params["charset"] != "utf-8" {
		t.Errorf("%s: Content-Type %q, want %s; charset=utf-8", what, h.Get("Content-Type"), v.mediaType)
	}
}
