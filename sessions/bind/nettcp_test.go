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

// TestRouteEchoesViaBounded: a Via with no endpoint at its path is
// repeated in the framing fault's error within the sessions' echo bound
// (Options.Limits.MaxEchoBytes), not whole. (A Via that is not an absolute
// URI is refused by the Framer before routing: nmf's preamble tests.)
func TestRouteEchoesViaBounded(t *testing.T) {
	m, err := sessions.NewManager(sessions.Options{Limits: soap.Limits{MaxEchoBytes: 40}},
		sessions.Endpoint{Path: "/p", Binding: sessions.ProvisionBinding(nil, ipam.CallbackActionsService)})
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("v", 1000)
	for _, path := range []string{"/" + long, "/p/" + long} {
		via := "net.tcp://h" + path
		_, err := NetTCP(m).Route(&nmf.Preamble{Via: via, ViaPath: path, Encoding: nmf.EncodingBinarySession})
		var fe *nmf.FaultError
		if !errors.As(err, &fe) || fe.URI != nmf.FaultEndpointNotFound {
			t.Fatalf("Route(%.20q…) = %v, want EndpointNotFound", via, err)
		}
		if msg := err.Error(); strings.Contains(msg, strings.Repeat("v", 41)) || !strings.Contains(msg, "…[truncated") {
			t.Errorf("Route(%.20q…): %q does not cut the Via at 40 bytes", via, msg)
		}
	}
}
