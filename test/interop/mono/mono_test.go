// Package mono_test runs a real WCF stack (Mono's System.ServiceModel) against
// ipamd over net.tcp: ipamclient.cs is compiled with mcs, ipamd is built from
// ./cmd/ipamd, and every client mode must exit 0 with the expected EVENT lines.
//
// The test skips unless mcs and mono are on PATH (Debian: apt-get install
// --no-install-recommends mono-mcs libmono-system-servicemodel4.0a-cil).
// See FAULTS.md for what the server must put on the wire for Mono to read
// faults and IpamException values.
package mono_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipamd/ipamd/duplex/nmf"

	"github.com/ipamd/ipamd/internal/daemontest"
)

// ---------------------------------------------------------------------------
// Server flags: every ipamd flag the test depends on is named here, once.
// ---------------------------------------------------------------------------

const (
	flagListen            = "--listen"
	flagStateDir          = "--state-dir"
	flagLogFormat         = "--log-format"
	flagWorkDuration      = "--dev-work-duration"               // minimum provisioning/conversion duration
	flagCheckpointEvery   = "--session-checkpoint-interval"     // Notify…Checkpoint period
	flagRequireConversion = "--dev-require-conversion"          // start provisioned, schema conversion required
	flagRefuseUnauth      = "--security-refuse-unauthenticated" // callers without security are not administrators

	workDuration    = "2s"    // long enough for concurrent Starts to overlap
	checkpointEvery = "500ms" // so a 2 s run yields several checkpoints
	minCheckpoints  = 1       // with the two values above, at least one checkpoint must arrive

	provisionPath  = "/ipam/IIpamAsyncProvision"
	conversionPath = "/ipam/IIpamAsyncSchemaConversion"
	badPath        = "/ipam/NoSuchEndpoint"

	serverStartTimeout = 20 * time.Second
	clientTimeoutSec   = 45               // the client's own watchdog (--timeout)
	clientOpTimeoutSec = 15               // the client's request-reply timeout (--op-timeout)
	clientHardTimeout  = 75 * time.Second // the test kills the client after this
	concurrentSessions = 3                // sessions whose Starts are released at the same instant
	buildTimeout       = 3 * time.Minute  // mcs
)

// Exception IDs ([MS-IPAMM2] 2.2.5.67) the scenarios expect.
const (
	idConversionNotRequired = "IpamSchemaConversionNotRequired"
	idAlreadyProvisioned    = "IpamApiErrorIpamAlreadyProvisioned"
	idAccessDenied          = "IpamApiAccessDenied"
)

// ---------------------------------------------------------------------------

type env struct {
	clientExe string // ipamclient.exe
}

var (
	envOnce sync.Once
	envVal  *env
	envErr  error
)

// setup compiles the C# client and builds ipamd once per test binary.
func setup(t *testing.T) *env {
	t.Helper()
	for _, tool := range []string{"mcs", "mono"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not on PATH (install mono-mcs libmono-system-servicemodel4.0a-cil)", tool)
		}
	}
	envOnce.Do(func() { envVal, envErr = build() })
	if envErr != nil {
		t.Fatal(envErr)
	}
	return envVal
}

var buildDir string

func build() (*env, error) {
	dir, err := os.MkdirTemp("", "ipamd-mono-interop-")
	if err != nil {
		return nil, err
	}
	buildDir = dir
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()

	src, err := filepath.Abs("ipamclient.cs")
	if err != nil {
		return nil, err
	}
	exe := filepath.Join(dir, "ipamclient.exe")
	mcs := exec.CommandContext(ctx, "mcs", "-nowarn:649", "-out:"+exe,
		"-r:System.ServiceModel.dll", "-r:System.Runtime.Serialization.dll", src)
	if out, err := mcs.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("mcs: %v\n%s", err, out)
	}

	return &env{clientExe: exe}, nil
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
	daemontest.Cleanup()
	os.Exit(code)
}

// ---------------------------------------------------------------------------
// ipamd process
// ---------------------------------------------------------------------------

type server struct {
	base string // net.tcp://127.0.0.1:PORT
	log  *daemontest.Log
}

func (s *server) provision() string  { return s.base + provisionPath }
func (s *server) conversion() string { return s.base + conversionPath }

// startServer runs ipamd serve (daemontest's process) on a loopback port
// with the work settings of these scenarios, then extra.
func startServer(t *testing.T, e *env, extra ...string) *server {
	t.Helper()
	args := []string{"serve",
		flagListen, "net.tcp://127.0.0.1:0",
		flagStateDir, t.TempDir(),
		flagLogFormat, "json",
		flagWorkDuration, workDuration,
		flagCheckpointEvery, checkpointEvery,
	}
	p := daemontest.Spawn(t, nil, append(args, extra...)...)
	addr := p.WaitLog("listening", serverStartTimeout).String("addr")
	return &server{base: "net.tcp://" + addr, log: p.Log}
}

// ---------------------------------------------------------------------------
// Mono client
// ---------------------------------------------------------------------------

type result struct {
	code  int
	lines []string
	out   string
}

// events returns the EVENT lines without the "EVENT " prefix.
func (r *result) events() []string {
	var ev []string
	for _, l := range r.lines {
		if s, ok := strings.CutPrefix(l, "EVENT "); ok {
			ev = append(ev, s)
		}
	}
	return ev
}

func (r *result) linesWith(prefix string) []string {
	var out []string
	for _, l := range r.lines {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return out
}

func runClient(t *testing.T, e *env, args ...string) *result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clientHardTimeout)
	defer cancel()
	full := append([]string{"--debug", e.clientExe}, args...)
	full = append(full, "--timeout", strconv.Itoa(clientTimeoutSec), "--op-timeout", strconv.Itoa(clientOpTimeoutSec))
	cmd := exec.CommandContext(ctx, "mono", full...)
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	r := &result{out: out.String()}
	for _, l := range strings.Split(r.out, "\n") {
		r.lines = append(r.lines, strings.TrimRight(l, "\r"))
	}
	switch {
	case err == nil:
	case ctx.Err() != nil:
		r.code = -1
		t.Errorf("mono %s: killed after %v", strings.Join(args, " "), clientHardTimeout)
	default:
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("mono %s: %v", strings.Join(args, " "), err)
		}
		r.code = ee.ExitCode()
	}
	t.Logf("mono ipamclient.exe %s → exit %d in %v\n%s", strings.Join(args, " "), r.code,
		time.Since(start).Round(time.Millisecond), r.out)
	return r
}

// checkFlow asserts a single-session run: exit 0, Start first, ≥minCheckpoints
// Checkpoints, exactly one Complete, last, carrying wantException.
func checkFlow(t *testing.T, r *result, prefix, wantException string, wantCheckpoints int) {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("client exit %d, want 0: %s", r.code, strings.Join(r.linesWith("FAIL"), "; "))
	}
	ev := r.events()
	if len(ev) < 2 {
		t.Fatalf("got %d EVENT lines, want Start … Complete", len(ev))
	}
	if ev[0] != prefix+"Start" {
		t.Errorf("first event %q, want %q", ev[0], prefix+"Start")
	}
	last := ev[len(ev)-1]
	wantComplete := prefix + "Complete exception=" + wantException
	if last != wantComplete && !strings.HasPrefix(last, wantComplete+" ") {
		t.Errorf("last event %q, want %q…", last, wantComplete)
	}
	checkpoints := 0
	for _, e := range ev[1 : len(ev)-1] {
		if !strings.HasPrefix(e, prefix+"Checkpoint n=") {
			t.Errorf("unexpected event between Start and Complete: %q", e)
		}
		checkpoints++
	}
	if checkpoints < wantCheckpoints {
		t.Errorf("got %d checkpoints, want ≥ %d (work %s, interval %s)", checkpoints, wantCheckpoints, workDuration, checkpointEvery)
	}
}

// checkConcurrent asserts the SUMMARY of a concurrent run.
func checkConcurrent(t *testing.T, r *result, n int) {
	t.Helper()
	if r.code != 0 {
		t.Errorf("client exit %d, want 0: %s", r.code, strings.Join(r.linesWith("FAIL"), "; "))
	}
	sum := r.linesWith("SUMMARY ")
	if len(sum) != 1 {
		t.Fatalf("want one SUMMARY line, got %q", sum)
	}
	if !strings.Contains(sum[0], "completes="+strconv.Itoa(n)+" ") || !strings.Contains(sum[0], " null=1") {
		t.Errorf("SUMMARY %q: want completes=%d with exactly null=1", sum[0], n)
	}
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

// A fresh server: provision succeeds; conversion is then not required; a Via
// the server does not serve gets the MC-NMF EndpointNotFound framing fault.
func TestMonoProvision(t *testing.T) {
	e := setup(t)
	s := startServer(t, e)

	t.Run("provision", func(t *testing.T) {
		r := runClient(t, e, "provision", s.provision())
		checkFlow(t, r, "NotifyAsyncProvision", "null", minCheckpoints)
	})
	t.Run("convert-not-required", func(t *testing.T) {
		r := runClient(t, e, "convert", s.conversion(), "--expect", idConversionNotRequired)
		checkFlow(t, r, "NotifyAsyncSchemaConversion", idConversionNotRequired, 0)
	})
	t.Run("badvia", func(t *testing.T) {
		r := runClient(t, e, "badvia", s.base+badPath)
		if r.code != 0 {
			t.Errorf("client exit %d, want 0: %s", r.code, strings.Join(r.linesWith("FAIL"), "; "))
		}
		ff := r.linesWith("FRAMINGFAULT ")
		if len(ff) != 1 || !strings.Contains(ff[0], "http://schemas.microsoft.com/ws/2006/05/framing/faults/EndpointNotFound") {
			t.Errorf("want one FRAMINGFAULT line carrying …/framing/faults/EndpointNotFound, got %q", ff)
		}
	})
}

// Initialize twice on one session → FaultException<IpamException>; Start before
// Initialize → Complete carrying an IpamException.
//
// Rules P4, P6. (docs/protocol.md)
func TestMonoProvisionOutOfOrder(t *testing.T) {
	e := setup(t)
	s := startServer(t, e)
	r := runClient(t, e, "outoforder", s.provision())
	if r.code != 0 {
		t.Errorf("client exit %d, want 0: %s", r.code, strings.Join(r.linesWith("FAIL"), "; "))
	}
	if f := r.linesWith("FAULT "); len(f) != 1 || !strings.Contains(f[0], "type=FaultException<IpamException>") {
		t.Errorf("want one FAULT line with type=FaultException<IpamException>, got %q", f)
	}
}

// Concurrent Starts on an unprovisioned server: exactly one succeeds.
//
// Rule P7. (docs/protocol.md)
func TestMonoProvisionConcurrent(t *testing.T) {
	e := setup(t)
	s := startServer(t, e)
	r := runClient(t, e, "concurrent", s.provision(), strconv.Itoa(concurrentSessions))
	checkConcurrent(t, r, concurrentSessions)
}

// A server whose store requires schema conversion: conversion succeeds.
//
// Rules C1, C4, C12. (docs/protocol.md)
func TestMonoConvert(t *testing.T) {
	e := setup(t)
	s := startServer(t, e, flagRequireConversion)
	r := runClient(t, e, "convert", s.conversion())
	checkFlow(t, r, "NotifyAsyncSchemaConversion", "null", minCheckpoints)
}

// Schema conversion out of order, then concurrent conversions (one succeeds).
//
// Rules C3, C5, C11. (docs/protocol.md)
func TestMonoConvertOutOfOrderAndConcurrent(t *testing.T) {
	e := setup(t)
	s := startServer(t, e, flagRequireConversion)
	t.Run("outoforder", func(t *testing.T) {
		r := runClient(t, e, "outoforder", s.conversion())
		if r.code != 0 {
			t.Errorf("client exit %d, want 0: %s", r.code, strings.Join(r.linesWith("FAIL"), "; "))
		}
	})
	t.Run("concurrent", func(t *testing.T) {
		r := runClient(t, e, "concurrent", s.conversion(), "2")
		checkConcurrent(t, r, 2)
	})
}

// Rule: second Start while work runs is ignored; Complete reports the work.
//
// A second Start while the work runs is neither answered nor allowed to end
// the session: the WCF client gets one Start and one Complete, and a later
// session shows the store agrees with that Complete.
//
// Rule P16. (docs/protocol.md)
func TestMonoSecondStartWhileRunning(t *testing.T) {
	e := setup(t)
	t.Run("provisioning", func(t *testing.T) {
		s := startServer(t, e)
		r := runClient(t, e, "secondstart", s.provision())
		checkFlow(t, r, "NotifyAsyncProvision", "null", minCheckpoints)
		r = runClient(t, e, "provision", s.provision(), "--expect", idAlreadyProvisioned)
		checkFlow(t, r, "NotifyAsyncProvision", idAlreadyProvisioned, 0)
	})
	t.Run("schema_conversion", func(t *testing.T) {
		s := startServer(t, e, flagRequireConversion)
		r := runClient(t, e, "secondstart", s.conversion())
		checkFlow(t, r, "NotifyAsyncSchemaConversion", "null", minCheckpoints)
		r = runClient(t, e, "convert", s.conversion(), "--expect", idConversionNotRequired)
		checkFlow(t, r, "NotifyAsyncSchemaConversion", idConversionNotRequired, 0)
	})
}

// Rule: unauthorized Start is answered with Notify…Complete(IpamApiAccessDenied), then the session ends.
//
// On a listener whose unauthenticated callers are no one, the WCF client's
// Initialize gets FaultException<IpamException> IpamApiAccessDenied, and its
// one-way Start gets Complete(IpamApiAccessDenied) — nothing else — after
// which the server completes the session.
//
// Rule P17. (docs/protocol.md)
func TestMonoUnauthorizedStart(t *testing.T) {
	e := setup(t)
	s := startServer(t, e, flagRefuseUnauth)
	for _, tc := range []struct{ name, uri, prefix string }{
		{"provisioning", s.provision(), "NotifyAsyncProvision"},
		{"schema_conversion", s.conversion(), "NotifyAsyncSchemaConversion"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runClient(t, e, "denied", tc.uri)
			if r.code != 0 {
				t.Fatalf("client exit %d, want 0: %s", r.code, strings.Join(r.linesWith("FAIL"), "; "))
			}
			if f := r.linesWith("FAULT "); len(f) != 1 || !strings.Contains(f[0], "exceptionId="+idAccessDenied) {
				t.Errorf("want one FAULT line with exceptionId=%s, got %q", idAccessDenied, f)
			}
			ev := r.events()
			if len(ev) != 1 || !strings.HasPrefix(ev[0], tc.prefix+"Complete exception="+idAccessDenied+" ") {
				t.Errorf("events %q, want only %sComplete exception=%s", ev, tc.prefix, idAccessDenied)
			}
		})
	}
	if n := strings.Count(s.log.String(), "session completed"); n != 2 {
		t.Errorf("the server completed %d sessions, want 2 (one per refused Start)", n)
	}
}

// Rule: after the client's End nothing but our End is sent, even the cancelled work's Complete.
//
// Close() while the work runs: the WCF client sends End, and the cancelled
// work's Complete must not reach it. (Mono's Close() waits out its close
// timeout whatever the server does, so the deterministic ordering of this
// race is proven in package sessions; here a real client is shown it.)
//
// Rule P18. (docs/protocol.md)
func TestMonoCloseWhileRunning(t *testing.T) {
	e := setup(t)
	for _, tc := range []struct {
		name  string
		extra []string
		uri   func(*server) string
	}{
		{"provisioning", nil, (*server).provision},
		{"schema_conversion", []string{flagRequireConversion}, (*server).conversion},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// No checkpoint: one written just before the server reads the
			// client's End would cross it on the wire (a race no server can
			// close), and the relay would count it.
			s := startServer(t, e, append(tc.extra, flagCheckpointEvery, "1m")...)
			relay := startEndRelay(t, strings.TrimPrefix(s.base, "net.tcp://"))
			r := runClient(t, e, "closewhilerunning", relay.uri(tc.uri(s)))
			if r.code != 0 {
				t.Fatalf("client exit %d, want 0: %s", r.code, strings.Join(r.linesWith("FAIL"), "; "))
			}
			for _, ev := range r.events() {
				if strings.Contains(ev, "Complete") {
					t.Errorf("a Complete reached the client after its End: %q", ev)
				}
			}
			ends, violations := relay.report()
			if ends == 0 {
				t.Fatal("the relay saw no End from the client: Close() did not end the session")
			}
			if len(violations) > 0 {
				t.Errorf("after the client's End the server sent %q, want only End", violations)
			}
		})
	}
}

// ---------------------------------------------------------------------------
// Wire relay: what the client is sent after its End record
// ---------------------------------------------------------------------------

// endRelay forwards one client's net.tcp connections to the server and
// watches the MC-NMF records: once it has forwarded the client's End, any
// record from the server other than End is a violation (a message after
// the client's End). Mono stops dispatching callbacks once Close() begins,
// so only the wire shows what a .NET client in Close() would read.
type endRelay struct {
	ln         net.Listener
	target     string
	mu         sync.Mutex
	clientEnds int      // End records forwarded client → server
	violations []string // server records after the client's End, other than End
	wg         sync.WaitGroup
}

func startEndRelay(t *testing.T, target string) *endRelay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &endRelay{ln: ln, target: target}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			r.wg.Add(1)
			go func() { defer r.wg.Done(); r.relay(c) }()
		}
	}()
	t.Cleanup(func() { ln.Close(); r.wg.Wait() })
	return r
}

// uri rewrites a server endpoint URI to go through the relay.
func (r *endRelay) uri(endpoint string) string {
	return strings.Replace(endpoint, r.target, r.ln.Addr().String(), 1)
}

func (r *endRelay) relay(client net.Conn) {
	defer client.Close()
	server, err := net.DialTimeout("tcp", r.target, 5*time.Second)
	if err != nil {
		return
	}
	defer server.Close()
	deadline := time.Now().Add(clientHardTimeout)
	_ = client.SetDeadline(deadline)
	_ = server.SetDeadline(deadline)
	var ended atomic.Bool // the client's End was forwarded
	done := make(chan struct{})
	go func() { // server → client
		defer close(done)
		br := bufio.NewReader(server)
		for {
			typ, raw, err := readRecord(br, false)
			if err != nil {
				_ = client.Close()
				return
			}
			if ended.Load() && typ != 0x07 {
				r.mu.Lock()
				r.violations = append(r.violations, fmt.Sprintf("record 0x%02x of %d bytes", typ, len(raw)))
				r.mu.Unlock()
			}
			if _, err := client.Write(raw); err != nil {
				return
			}
		}
	}()
	br := bufio.NewReader(client) // client → server
	for {
		typ, raw, err := readRecord(br, true)
		if err != nil {
			break
		}
		if typ == 0x00 { // a new session's preamble on a reused connection
			ended.Store(false)
		}
		if _, err := server.Write(raw); err != nil {
			break
		}
		if typ == 0x07 {
			ended.Store(true)
			r.mu.Lock()
			r.clientEnds++
			r.mu.Unlock()
		}
	}
	if tc, ok := server.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
	<-done
}

// readRecord reads one MC-NMF record and returns its type and raw bytes.
func readRecord(br *bufio.Reader, fromClient bool) (byte, []byte, error) {
	typ, err := br.ReadByte()
	if err != nil {
		return 0, nil, err
	}
	raw := []byte{typ}
	fixed := func(n int) error {
		b := make([]byte, n)
		if _, err := io.ReadFull(br, b); err != nil {
			return err
		}
		raw = append(raw, b...)
		return nil
	}
	sized := func() error {
		n, err := nmf.ReadMB31(recordingReader{br, &raw})
		if err != nil {
			return err
		}
		return fixed(n)
	}
	switch {
	case typ == 0x00 && fromClient: // version: major, minor
		err = fixed(2)
	case (typ == 0x01 || typ == 0x03) && fromClient: // mode, known encoding
		err = fixed(1)
	case typ == 0x02 || typ == 0x04 || typ == 0x06 || typ == 0x08 || typ == 0x09: // via, extensible encoding, envelope, fault, upgrade
		err = sized()
	case typ == 0x07 || typ == 0x0a || typ == 0x0b || typ == 0x0c: // end, upgrade response, preamble ack, preamble end
	default:
		err = fmt.Errorf("record type 0x%02x", typ)
	}
	return typ, raw, err
}

// recordingReader keeps the bytes read through it (the relay forwards a
// record's raw bytes).
type recordingReader struct {
	br  *bufio.Reader
	raw *[]byte
}

func (r recordingReader) ReadByte() (byte, error) {
	b, err := r.br.ReadByte()
	if err == nil {
		*r.raw = append(*r.raw, b)
	}
	return b, err
}

func (r *endRelay) report() (clientEnds int, violations []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.clientEnds, append([]string(nil), r.violations...)
}
