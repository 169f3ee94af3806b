package httpinterop_test

import (
	"net/http"
	"net/url"
	"testing"

	daemon "github.com/ipamd/ipamd/internal/daemontest"
	"github.com/ipamd/ipamd/test/soapui"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// TestDNSRebinding: a browser page whose name was rebound to 127.0.0.1
// sends ipamd its own name as Host (and, cross-origin, an Origin); the real
// daemon refuses both with 403 and an IpamApiAccessDenied fault before any
// session starts, while the same Initialize addressed to the listener is
// served.
func TestDNSRebinding(t *testing.T) {
	srv := daemon.Start(t)
	cb := newSink(t)
	hc := newClient(t)
	u, err := url.Parse(srv.Provision())
	if err != nil {
		t.Fatal(err)
	}
	port := u.Port()
	for _, tc := range []struct {
		name, host, origin string
		status             int
	}{
		{"rebound name", "attacker.example:" + port, "", http.StatusForbidden},
		{"rebound name, same-origin page", "attacker.example:" + port, "http://attacker.example:" + port, http.StatusForbidden},
		{"another local origin", u.Host, "http://127.0.0.1:1", http.StatusForbidden},
		{"opaque origin", u.Host, "null", http.StatusForbidden},
		{"the listener", u.Host, "", http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := message(t, soapui.Flows[0].Initialize, map[string]string{
				soapui.PropProvisionEndpoint:  srv.Provision(),
				soapui.PropConversionEndpoint: srv.Conversion(),
				soapui.PropCallbackURL:        cb.url("/rebinding/" + tc.name),
			}, soap12)
			h := http.Header{}
			soap12.setAction(h, ipam.ActionInitializeAsyncProvisioning)
			h.Set("Host", tc.host)
			if tc.origin != "" {
				h.Set("Origin", tc.origin)
			}
			resp := do(t, hc, http.MethodPost, srv.Provision(), h, body)
			if resp.status != tc.status {
				t.Fatalf("HTTP %d, want %d\n%s", resp.status, tc.status, resp.body)
			}
			if tc.status == http.StatusOK {
				return
			}
			f, err := parseFault(resp.body)
			if err != nil {
				t.Fatalf("not a SOAP fault: %v\n%s", err, resp.body)
			}
			if len(f.codes) == 0 || f.codes[0] != codeSender {
				t.Errorf("fault codes %q, want Sender", f.codes)
			}
			checkIpamException(t, f, ipam.IpamApiAccessDenied)
		})
	}
}
