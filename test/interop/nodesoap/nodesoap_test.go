// Package nodesoap_test runs nodesoap_client.js, a node-soap client (npm
// "soap", pinned by package-lock.json), against a real ipamd's HTTP
// endpoint: node-soap loads <endpoint>?wsdl, calls Initialize… and Start… on
// the WSDL's SOAP 1.2 HTTP port with WS-Addressing headers, and the
// script's own listener must receive Notify…Start, one or more
// Notify…Checkpoint and Notify…Complete, for both port types.
//
// The npm packages are installed with `npm ci` from package-lock.json into
// a cache directory outside the repository and found through NODE_PATH
// (peer.NodeModules). The test skips when node or npm is missing or npm ci fails
// (no registry access) unless IPAMD_REQUIRE_INTEROP=1, which CI sets; then
// it fails.
package nodesoap_test

import (
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"

	daemon "github.com/ipamd/ipamd/internal/daemontest"
	"github.com/ipamd/ipamd/test/internal/peer"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

const (
	script        = "nodesoap_client.js"
	clientTimeout = 90 * time.Second // the whole script, WSDL load to Complete
	callbackWait  = "30"             // the script's wait for Notify…Complete, seconds
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		daemon.Cleanup()
		os.Exit(code)
	}))
}

func TestNodeSoapSessions(t *testing.T) {
	modules := peer.NodeModules(t, "nodesoap", "soap")
	for _, tc := range []struct {
		port     string // the script's --port
		portType string
		flags    []string
	}{
		{"provision", ipam.PortIIpamAsyncProvision, nil},
		{"conversion", ipam.PortIIpamAsyncSchemaConversion, []string{daemon.FlagRequireConversion}},
	} {
		t.Run(tc.port, func(t *testing.T) {
			t.Parallel()
			srv := daemon.Start(t, tc.flags...)
			lines := peer.Run(t, clientTimeout, []string{"NODE_PATH=" + modules}, "node", script,
				"--wsdl", srv.Endpoints[tc.portType]+"?wsdl", "--port", tc.port, "--timeout", callbackWait)
			peer.CheckSession(t, lines, tc.portType)
			// node-soap reports the HTTP status of the two requests.
			peer.CheckHTTPStatuses(t, lines, "")
		})
	}
}
