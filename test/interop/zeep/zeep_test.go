// Package zeep_test runs zeep_client.py, a python3-zeep client, against a
// real ipamd's HTTP endpoint: zeep loads <endpoint>?wsdl, calls Initialize…
// and Start… on the WSDL's SOAP 1.2 HTTP port with WS-Addressing, and the
// script's own listener must receive Notify…Start, one or more
// Notify…Checkpoint and Notify…Complete, for both port types.
//
// It skips when /usr/bin/python3 or its zeep module is missing (Debian:
// apt-get install --no-install-recommends python3-zeep) unless
// IPAMD_REQUIRE_INTEROP=1, which CI sets; then it fails.
package zeep_test

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"go.uber.org/goleak"

	daemon "github.com/ipamd/ipamd/internal/daemontest"
	"github.com/ipamd/ipamd/test/internal/peer"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

const (
	python        = "/usr/bin/python3"
	script        = "zeep_client.py"
	clientTimeout = 90 * time.Second // the whole script, WSDL load to Complete
	callbackWait  = "30"             // the script's wait for Notify…Complete, seconds
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		daemon.Cleanup()
		os.Exit(code)
	}))
}

func requireZeep(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(python); err != nil {
		peer.Missing(t, "%s not found (apt-get install --no-install-recommends python3-zeep)", python)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, python, "-c", "import zeep").CombinedOutput(); err != nil {
		peer.Missing(t, "%s cannot import zeep (apt-get install --no-install-recommends python3-zeep): %v\n%s", python, err, out)
	}
}

func TestZeepSessions(t *testing.T) {
	requireZeep(t)
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
			lines := peer.Run(t, clientTimeout, nil, python, script,
				"--wsdl", srv.Endpoints[tc.portType]+"?wsdl", "--port", tc.port, "--timeout", callbackWait)
			peer.CheckSession(t, lines, tc.portType)
		})
	}
}
