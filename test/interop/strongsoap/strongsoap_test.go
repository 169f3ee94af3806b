// Package strongsoap_test runs strongsoap_client.js, a strong-soap client
// (npm "strong-soap", pinned by package-lock.json), against a real ipamd's
// HTTP endpoint: strong-soap loads <endpoint>?wsdl unchanged, calls
// Initialize… and Start… over SOAP 1.2 (the version of the WSDL's binding)
// with WS-Addressing headers, and the script's own listener must receive
// Notify…Start, one or more Notify…Checkpoint and Notify…Complete, for both
// port types. A second WSDL-driven client beside node-soap and zeep: the
// two JavaScript libraries read the WSDL with different parsers.
//
// The npm packages are installed as for node-soap (peer.NodeModules). The
// test skips when node or npm is missing or npm ci fails unless
// IPAMD_REQUIRE_INTEROP=1, which CI sets; then it fails.
package strongsoap_test

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
	script        = "strongsoap_client.js"
	clientTimeout = 90 * time.Second // the whole script, WSDL load to Complete
	callbackWait  = "30"             // the script's wait for Notify…Complete, seconds
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		daemon.Cleanup()
		os.Exit(code)
	}))
}

func TestStrongSoapSessions(t *testing.T) {
	modules := peer.NodeModules(t, "strongsoap", "strong-soap")
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
			// strong-soap reports the HTTP status and the SOAP version of the
			// two requests: 1.2, the WSDL binding's.
			peer.CheckHTTPStatuses(t, lines, "1.2")
		})
	}
}
