package bind

import (
	"errors"
	"strings"
	"testing"

	"github.com/ipamd/ipamd/duplex/nmf"
	"github.com/ipamd/ipamd/sessions"
	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// TestRouteEchoesViaBounded: a refused Via (not a URI, or no endpoint) is
// repeated in the framing fault's error within the sessions' echo bound
// (Options.Limits.MaxEchoBytes), not whole.
func TestRouteEchoesViaBounded(t *testing.T) {
	m, err := sessions.NewManager(sessions.Options{Limits: soap.Limits{MaxEchoBytes: 40}},
		sessions.Endpoint{Path: "/p", Binding: sessions.ProvisionBinding(nil, ipam.CallbackActionsService)})
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("v", 1000)
	for _, via := range []string{"net.tcp://h/" + long, "%zz" + long} {
		_, err := NetTCP(m).Route(&nmf.Preamble{Via: via, Encoding: nmf.EncodingBinarySession})
		var fe *nmf.FaultError
		if !errors.As(err, &fe) || fe.URI != nmf.FaultEndpointNotFound {
			t.Fatalf("Route(%.20q…) = %v, want EndpointNotFound", via, err)
		}
		if msg := err.Error(); strings.Contains(msg, strings.Repeat("v", 41)) || !strings.Contains(msg, "…[truncated") {
			t.Errorf("Route(%.20q…): %q does not cut the Via at 40 bytes", via, msg)
		}
	}
}
