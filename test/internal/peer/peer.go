// Package peer runs the third-party SOAP clients of the interop tests
// (test/interop/zeep, test/interop/nodesoap) and checks what they report.
//
// A client script drives one session and prints one line per step:
//
//	EVENT <operation or callback> key=value …   a step that happened
//	FAIL <problem>                              something the script found wrong
//
// and exits 0 only when it found nothing wrong. CheckSession then checks
// the order of the steps independently of the script.
package peer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

// RequireEnv names the environment variable that turns a missing peer
// (python3-zeep, node and npm, …) from a skip into a failure; CI sets it
// to 1.
const RequireEnv = "IPAMD_REQUIRE_INTEROP"

// Missing skips the test because a peer it drives is not installed, or
// fails it when RequireEnv is "1".
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("%s (%s=1: interop peers are required)", msg, RequireEnv)
	}
	t.Skipf("%s (set %s=1 to fail instead)", msg, RequireEnv)
}

// Run runs a client script to its end (at most timeout; env is added to
// the test's environment), logs its output, fails the test unless it exits
// 0 and returns its output lines.
func Run(t testing.TB, timeout time.Duration, env []string, name string, args ...string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	t.Logf("%s %s → %v in %v\n%s", name, strings.Join(args, " "), err, time.Since(start).Round(time.Millisecond), out.String())
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("%s did not finish within %v", name, timeout)
	case errors.As(err, &ee):
		t.Fatalf("%s exited %d: %s", name, ee.ExitCode(), strings.Join(withPrefix(lines, "FAIL "), "; "))
	case err != nil:
		t.Fatalf("running %s: %v", name, err)
	}
	return lines
}

func withPrefix(lines []string, prefix string) []string {
	var out []string
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return out
}

// Event is one EVENT line: the step's name and its key=value fields.
type Event struct {
	Name   string
	Fields map[string]string
}

// Events parses the EVENT lines of a script's output.
func Events(lines []string) []Event {
	var out []Event
	for _, l := range lines {
		rest, ok := strings.CutPrefix(l, "EVENT ")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			continue
		}
		e := Event{Name: f[0], Fields: map[string]string{}}
		for _, kv := range f[1:] {
			if k, v, ok := strings.Cut(kv, "="); ok {
				e.Fields[k] = v
			}
		}
		out = append(out, e)
	}
	return out
}

// CheckSession checks a client's report of one full session of portType
// (ipam.PortIIpamAsyncProvision or ipam.PortIIpamAsyncSchemaConversion):
// no FAIL line; then, among the EVENT lines that name operations, Initialize,
// Start, Notify…Start, one or more Notify…Checkpoint and Notify…Complete
// with exception=nil, all with one session id.
func CheckSession(t testing.TB, lines []string, portType string) {
	t.Helper()
	for _, l := range withPrefix(lines, "FAIL ") {
		t.Errorf("client: %s", l)
	}
	var initOp, startOp string
	var cb ipam.CallbackActions
	switch portType {
	case ipam.PortIIpamAsyncProvision:
		initOp, startOp, cb = ipam.ActionInitializeAsyncProvisioning, ipam.ActionStartAsyncProvisioning, ipam.ProvisionCallbackActions(ipam.CallbackActionsService)
	case ipam.PortIIpamAsyncSchemaConversion:
		initOp, startOp, cb = ipam.ActionInitializeAsyncSchemaConversion, ipam.ActionStartAsyncSchemaConversion, ipam.SchemaConversionCallbackActions(ipam.CallbackActionsService)
	default:
		t.Fatalf("peer: unknown port type %q", portType)
	}
	initOp, startOp = lastSegment(initOp), lastSegment(startOp)
	notifyStart, notifyCheckpoint, notifyComplete := lastSegment(cb.Start), lastSegment(cb.Checkpoint), lastSegment(cb.Complete)

	var ev []Event
	for _, e := range Events(lines) {
		switch e.Name {
		case initOp, startOp, notifyStart, notifyCheckpoint, notifyComplete:
			ev = append(ev, e)
		}
	}
	names := make([]string, len(ev))
	for i, e := range ev {
		names[i] = e.Name
	}
	ok := len(names) >= 5 && names[0] == initOp && names[1] == startOp && names[2] == notifyStart && names[len(names)-1] == notifyComplete
	if ok {
		for _, n := range names[3 : len(names)-1] {
			ok = ok && n == notifyCheckpoint
		}
	}
	if !ok {
		t.Fatalf("steps %q, want %s, %s, %s, %s (one or more), %s", names, initOp, startOp, notifyStart, notifyCheckpoint, notifyComplete)
	}
	if exc := ev[len(ev)-1].Fields["exception"]; exc != "nil" {
		t.Errorf("%s carries exception=%q, want nil", notifyComplete, exc)
	}
	session := ev[2].Fields["session"]
	if session == "" {
		t.Errorf("%s reports no session id", notifyStart)
	}
	for _, e := range ev[3:] {
		if e.Fields["session"] != session {
			t.Errorf("%s in session %q, %s was in %q", e.Name, e.Fields["session"], notifyStart, session)
		}
	}
}

func lastSegment(action string) string { return action[strings.LastIndexByte(action, '/')+1:] }

// CheckHTTPStatuses fails the test unless the events of the two client
// operations (Initialize…, Start…) report HTTP 200 and 202 (status=…), and,
// when soap is not "", the SOAP version soap (soap=…).
func CheckHTTPStatuses(t testing.TB, lines []string, soap string) {
	t.Helper()
	for _, e := range Events(lines) {
		want := ""
		switch {
		case strings.HasPrefix(e.Name, "Initialize"):
			want = "200"
		case strings.HasPrefix(e.Name, "Start"):
			want = "202"
		default:
			continue
		}
		if e.Fields["status"] != want {
			t.Errorf("%s: HTTP %s, want %s", e.Name, e.Fields["status"], want)
		}
		if soap != "" && e.Fields["soap"] != soap {
			t.Errorf("%s: SOAP %q, want %s (the WSDL binding's)", e.Name, e.Fields["soap"], soap)
		}
	}
}
