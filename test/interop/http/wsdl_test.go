package httpinterop_test

import (
	"bytes"
	"mime"
	"net/http"
	"strconv"
	"testing"

	"github.com/ipamd/ipamd/config"
	daemon "github.com/ipamd/ipamd/internal/daemontest"
	"github.com/ipamd/ipamd/wsdl"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// TestWSDL: GET <endpoint>?wsdl answers the flattened WSDL with the HTTP
// ports at the addresses the client used, for every endpoint (the enumerator's too); HEAD answers
// the headers only.
func TestWSDL(t *testing.T) {
	srv := daemon.Start(t)
	hc := newClient(t)
	want, err := wsdl.ForPortEndpoints(map[string]map[string]string{
		ipam.PortIIpamAsyncProvision:        {config.TransportHTTP: srv.Provision()},
		ipam.PortIIpamAsyncSchemaConversion: {config.TransportHTTP: srv.Conversion()},
		ipam.PortIIpamEnumerator:            {config.TransportHTTP: srv.Endpoints[ipam.PortIIpamEnumerator]},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{srv.Provision() + "?wsdl", srv.Conversion() + "?wsdl", srv.Provision() + "?singleWsdl"} {
		t.Run(u, func(t *testing.T) {
			resp := do(t, hc, http.MethodGet, u, nil, nil)
			if resp.status != http.StatusOK {
				t.Fatalf("HTTP %d, want 200", resp.status)
			}
			if mt, _, err := mime.ParseMediaType(resp.header.Get("Content-Type")); err != nil || mt != "text/xml" {
				t.Errorf("Content-Type %q, want text/xml", resp.header.Get("Content-Type"))
			}
			if !bytes.Equal(resp.body, want) {
				t.Errorf("the served WSDL is not wsdl.ForEndpoints with the daemon's HTTP endpoints")
			}
			head := do(t, hc, http.MethodHead, u, nil, nil)
			if head.status != http.StatusOK || len(head.body) != 0 || head.header.Get("Content-Length") != strconv.Itoa(len(want)) {
				t.Errorf("HEAD: HTTP %d, %d body bytes, Content-Length %q; want 200, none, %d",
					head.status, len(head.body), head.header.Get("Content-Length"), len(want))
			}
		})
	}
}
