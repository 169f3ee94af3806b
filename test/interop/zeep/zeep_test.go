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
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ipamd/ipamd/test/internal/daemon"
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
		daemon.MissingPeer(t, "%s not found (apt-get install --no-install-recommends python3-zeep)", python)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, python, "-c", "import zeep").CombinedOutput(); err != nil {
		daemon.MissingPeer(t, "%s cannot import zeep (apt-get install --no-install-recommends python3-zeep): %v\n%s", python, err, out)
	}
}

func TestZeepSessions(t *testing.T) {
	requireZeep(t)
	for _, tc := range []struct {
		port  string // the script's --port
		flags []string
		init  string
	}{
		{"provision", nil, "InitializeAsyncProvisioning"},
		{"conversion", []string{daemon.FlagRequireConversion}, "InitializeAsyncSchemaConversion"},
	} {
		t.Run(tc.port, func(t *testing.T) {
			t.Parallel()
			srv := daemon.Start(t, tc.flags...)
			endpoint := srv.Provision()
			if tc.port == "conversion" {
				endpoint = srv.Conversion()
			}
			lines := runScript(t, "--wsdl", endpoint+"?wsdl", "--port", tc.port, "--timeout", callbackWait)
			checkEvents(t, lines, tc.init)
		})
	}
}

// runScript runs zeep_client.py; it fails the test unless the script exits 0.
func runScript(t *testing.T, args ...string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, append([]string{script}, args...)...)
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	t.Logf("python3 %s %s → %v in %v\n%s", script, strings.Join(args, " "), err,
		time.Since(start).Round(time.Millisecond), out.String())
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("%s did not finish within %v", script, clientTimeout)
	case errors.As(err, &ee):
		t.Fatalf("%s exited %d: %s", script, ee.ExitCode(), strings.Join(linesWith(out.String(), "FAIL "), "; "))
	case err != nil:
		t.Fatalf("running %s: %v", script, err)
	}
	return strings.Split(strings.TrimSpace(out.String()), "\n")
}

func linesWith(out, prefix string) []string {
	var l []string
	for _, s := range strings.Split(out, "\n") {
		if strings.HasPrefix(s, prefix) {
			l = append(l, s)
		}
	}
	return l
}

// checkEvents checks the script's EVENT lines: Initialize, Start, then the
// callbacks Start, Checkpoint (one or more), Complete without exception.
func checkEvents(t *testing.T, lines []string, initOp string) {
	t.Helper()
	var ev []string
	for _, l := range lines {
		if s, ok := strings.CutPrefix(l, "EVENT "); ok && !strings.HasPrefix(s, "zeep ") {
			ev = append(ev, strings.Fields(s)[0]+" "+strings.Join(strings.Fields(s)[1:], " "))
		}
		if strings.HasPrefix(l, "FAIL ") {
			t.Errorf("script: %s", l)
		}
	}
	notify := "NotifyAsyncProvision"
	startOp := "StartAsyncProvisioning"
	if strings.Contains(initOp, "SchemaConversion") {
		notify, startOp = "NotifyAsyncSchemaConversion", "StartAsyncSchemaConversion"
	}
	if len(ev) < 5 {
		t.Fatalf("events %q: want Initialize, Start and at least three callbacks", ev)
	}
	want := []string{initOp, startOp, notify + "Start"}
	for i, w := range want {
		if !strings.HasPrefix(ev[i], w+" ") {
			t.Errorf("event %d is %q, want %s", i, ev[i], w)
		}
	}
	for _, e := range ev[3 : len(ev)-1] {
		if !strings.HasPrefix(e, notify+"Checkpoint ") {
			t.Errorf("event %q between Start and Complete, want only %sCheckpoint", e, notify)
		}
	}
	if last := ev[len(ev)-1]; !strings.HasPrefix(last, notify+"Complete ") || !strings.Contains(last, " exception=nil") {
		t.Errorf("last event %q, want %sComplete … exception=nil", last, notify)
	}
}
