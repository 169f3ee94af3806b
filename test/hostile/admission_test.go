package hostile

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipamd/ipamd/client"
	"github.com/ipamd/ipamd/duplex/nmf"
	daemon "github.com/ipamd/ipamd/internal/daemontest"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// floodSize is how many connections the attacker opens.
const floodSize = 1000

// flood opens n connections from attackerAddr to addr and holds them, each
// sending first (if not nil) and then nothing; it returns them for the test
// to close, and how many the server closed within settle.
func admFlood(t *testing.T, addr string, n int, first []byte) []net.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conns := make([]net.Conn, 0, n)
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := admDialFrom(ctx, attackerAddr, addr)
			if err != nil {
				return // the backlog overflowed: a refusal too
			}
			if first != nil {
				_, _ = c.Write(first)
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}()
	}
	wg.Wait()
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	return conns
}

// TestFloodFromOneAddress: 1,000 connections from one address, held open
// in the preamble (or sending nothing over HTTP), do not stop a second
// address: a whole net.tcp session (Initialize, Start, Notify…Start,
// Notify…Complete, End) from it completes within 1 s, and so does a whole
// HTTP session (Initialize, Start, the callbacks to its a:ReplyTo), though the total caps (500) are below the flood's
// size. The attacker's excess connections are refused with
// the protocol's answer and counted.
func TestFloodFromOneAddress(t *testing.T) {
	admCanBind(t)
	// Total caps below the flood, so that without the per-address limit
	// the attacker would hold every slot.
	d := startAdmDaemon(t, "--limits-max-connections", "500", "--limits-max-http-connections", "500")
	// A partial preamble: Version and Mode, then silence (slowloris).
	held := admFlood(t, d.netTCP, floodSize, []byte{0x00, 0x01, 0x00, 0x01, 0x02})
	t.Logf("attacker holds %d net.tcp connections", len(held))

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	res, err := admConvert(ctx, victimAddr, d.conversion)
	took := time.Since(start)
	if err != nil || !res.Completed {
		t.Fatalf("session from %s during the flood: %+v, %v", victimAddr, res, err)
	}
	if took > time.Second {
		t.Fatalf("session from %s during the flood took %v, want ≤ 1s", victimAddr, took)
	}
	t.Logf("whole session from %s during the flood: %v", victimAddr, took)
	refused := admMetric(t, d.admin, `ipamd_connections_refused_total{reason="address_limit",transport="net.tcp"}`)
	if refused < floodSize-64-1 {
		t.Fatalf("%v net.tcp connections refused for the address limit, want ≥ %d", refused, floodSize-64-1)
	}
	for _, c := range held {
		c.Close()
	}

	// The same against the HTTP listener: connections that send nothing.
	held = admFlood(t, strings.TrimPrefix(strings.SplitN(d.Provision(), "/ipam", 2)[0], "http://"), floodSize, nil)
	t.Logf("attacker holds %d HTTP connections", len(held))
	start = time.Now()
	complete, err := admHTTPConversion(ctx, t, d.Conversion())
	took = time.Since(start)
	if err != nil {
		t.Fatalf("HTTP session from %s during the HTTP flood: %v", victimAddr, err)
	}
	// The net.tcp session above converted the stand-in store already: this
	// whole session ends with the Complete that says so.
	if !strings.Contains(complete, ipam.IpamSchemaConversionNotRequired) || took > time.Second {
		t.Fatalf("HTTP session from %s during the HTTP flood: after %v, Complete %.300s", victimAddr, took, complete)
	}
	t.Logf("whole HTTP session from %s during the HTTP flood: %v", victimAddr, took)
	if refused := admMetric(t, d.admin, `ipamd_connections_refused_total{reason="address_limit",transport="http"}`); refused < floodSize-64-1 {
		t.Fatalf("%v HTTP connections refused for the address limit, want ≥ %d", refused, floodSize-64-1)
	}
}

// TestAddressLimitAnswers: the connection above the per-address limit gets
// the protocol's refusal — the MC-NMF ServerTooBusy fault on net.tcp
// (what a .NET client reports as ServerTooBusyException), 503 with a SOAP
// Receiver fault and an IpamException over HTTP, 503 on the admin listener.
func TestAddressLimitAnswers(t *testing.T) {
	admCanBind(t)
	d := startAdmDaemon(t, "--limits-max-connections-per-address", "2", "--admin-max-connections-per-address", "2")
	httpAddr := strings.TrimPrefix(strings.SplitN(d.Provision(), "/ipam", 2)[0], "http://")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	admFlood(t, d.netTCP, 2, nil)
	_, err := admClient(attackerAddr).Dial(ctx, d.conversion)
	var fe *nmf.FaultError
	if !errors.As(err, &fe) || fe.URI != nmf.FaultServerTooBusy {
		t.Fatalf("third net.tcp connection from one address: %v, want the ServerTooBusy fault", err)
	}

	for _, tc := range []struct {
		name, addr, want string
	}{
		{"http", httpAddr, "IpamException"},
		{"admin", d.admin, "too many connections"},
	} {
		held := admFlood(t, tc.addr, 2, nil)
		if len(held) != 2 {
			t.Fatalf("%s: %d connections held", tc.name, len(held))
		}
		time.Sleep(100 * time.Millisecond) // both accepted
		c, err := admDialFrom(ctx, attackerAddr, tc.addr)
		if err != nil {
			t.Fatal(err)
		}
		status, body, err := admReadHTTP(c)
		c.Close()
		if err != nil || status != 503 || !strings.Contains(body, tc.want) {
			t.Fatalf("%s: third connection from one address: %d %q %v, want 503 with %q", tc.name, status, body, err, tc.want)
		}
	}
	// The victim is still served everywhere.
	if res, err := admConvert(ctx, victimAddr, d.conversion); err != nil || !res.Completed {
		t.Fatalf("session from %s: %+v %v", victimAddr, res, err)
	}
	resp, err := admHTTPFrom(victimAddr).Get("http://" + d.admin + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("admin /healthz from %s: %v %v", victimAddr, resp, err)
	}
	resp.Body.Close()
}

// TestTotalCaps: the HTTP and admin listeners hold their total connection
// caps whatever the addresses.
func TestTotalCaps(t *testing.T) {
	admCanBind(t)
	d := startAdmDaemon(t, "--limits-max-http-connections", "4", "--admin-max-connections", "4")
	httpAddr := strings.TrimPrefix(strings.SplitN(d.Provision(), "/ipam", 2)[0], "http://")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, tc := range []struct{ name, addr string }{{"http", httpAddr}, {"admin", d.admin}} {
		held := admFlood(t, tc.addr, 4, nil)
		if len(held) != 4 {
			t.Fatalf("%s: %d connections held", tc.name, len(held))
		}
		time.Sleep(100 * time.Millisecond)
		c, err := admDialFrom(ctx, victimAddr, tc.addr) // another address: the total cap applies
		if err != nil {
			t.Fatal(err)
		}
		status, _, err := admReadHTTP(c)
		c.Close()
		if err != nil || status != 503 {
			t.Fatalf("%s: connection above the total cap: %d %v, want 503", tc.name, status, err)
		}
		for _, h := range held {
			h.Close()
		}
	}
	if v := admMetric(t, d.admin, `ipamd_connections_refused_total{reason="total_limit",transport="http"}`); v != 1 {
		t.Fatalf("http total_limit refusals = %v, want 1", v)
	}
}

// TestKeepaliveOnlySessionClosed: a session that only sends Keepalives —
// never initializes — is aborted once limits.uninitialized_timeout has
// passed (to within one session.inactivity_interval), though each
// Keepalive resets the inactivity timer; it is logged and counted.
func TestKeepaliveOnlySessionClosed(t *testing.T) {
	admCanBind(t)
	d := startAdmDaemon(t, "--limits-uninitialized-timeout", "1s", "--session-inactivity-interval", "1s")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dl := admClient(attackerAddr).Dialer
	dl.ReadTimeout = 10 * time.Second
	// From before the dial: the server's clock starts when the session
	// does, during the dial, so a start taken after it could see the bound
	// end early.
	start := time.Now()
	s, err := dl.Dial(ctx, d.netTCP, d.conversion, nmf.EncodingSOAP12UTF8)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Abort()
	ka := admKeepalive(t, d.conversion)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if s.WriteMessage(ctx, ka) != nil {
					return
				}
			}
		}
	}()
	_, err = s.ReadMessage(ctx)
	took := time.Since(start)
	if err == nil || ctx.Err() != nil {
		t.Fatalf("Keepalive-only session: ReadMessage = %v after %v, want the server to close it", err, took)
	}
	if took < time.Second || took > 3*time.Second {
		t.Fatalf("Keepalive-only session closed after %v, want between 1s and 3s", took)
	}
	if _, err := d.Log.WaitFor(ctx, func(e daemon.Entry) bool { return e.Msg() == "session aborted: not initialized in time" }); err != nil {
		t.Fatal(err)
	}
	if v := admMetric(t, d.admin, `ipamd_sessions_expired_total{port_type="`+ipam.PortIIpamAsyncSchemaConversion+`",reason="uninitialized"}`); v != 1 {
		t.Fatalf("sessions_expired_total = %v, want 1", v)
	}
}

// TestClaimedSizesDoNotAllocate: 20 connections that announce 16 MiB
// envelopes and send no more do not make the daemon allocate what they
// claim (before the fix: 337 MB of heap).
func TestClaimedSizesDoNotAllocate(t *testing.T) {
	admCanBind(t)
	const (
		conns   = 20
		claimed = 16 << 20
	)
	d := startAdmDaemon(t, "--limits-max-message-size", "67108864")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	before := admMetric(t, d.admin, "go_memstats_heap_inuse_bytes")
	for range conns {
		c, err := admDialFrom(ctx, attackerAddr, d.netTCP)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		// The preamble, then a Sized Envelope record announcing 16 MiB and
		// 100 bytes of it.
		msg := nmf.AppendMB31(append(admPreamble(d.conversion), byte(nmf.RecordSizedEnvelope)), claimed)
		msg = append(msg, make([]byte, 100)...)
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		ack := make([]byte, 1)
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Read(ack); err != nil || ack[0] != byte(nmf.RecordPreambleAck) {
			t.Fatalf("no PreambleAck: % x %v", ack, err)
		}
	}
	time.Sleep(500 * time.Millisecond)
	after := admMetric(t, d.admin, "go_memstats_heap_inuse_bytes")
	grew := after - before
	t.Logf("daemon heap in use grew by %.0f bytes for %d connections claiming %d bytes each", grew, conns, claimed)
	if grew > 16<<20 {
		t.Fatalf("heap grew by %.0f bytes: the claimed sizes were allocated", grew)
	}
}

// TestWorkPanicContained: with dev.panic_in_work the conversion work
// panics; its session ends with Notify…Complete carrying
// IpamApiGenericErrorOccurred, and the daemon serves the next session the
// same way (its in-progress mark was released, or the next one would be
// refused as another operation in progress).
func TestWorkPanicContained(t *testing.T) {
	admCanBind(t)
	d := startAdmDaemon(t, "--dev-panic-in-work")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i := range 2 {
		res, err := admConvert(ctx, victimAddr, d.conversion)
		var re *client.RemoteError
		if !errors.As(err, &re) || re.Exception == nil || re.Exception.ExceptionID != ipam.IpamApiGenericErrorOccurred || !res.Completed {
			t.Fatalf("session %d: %+v %v, want Complete with IpamApiGenericErrorOccurred", i, res, err)
		}
	}
	// The daemon's log is read as it is written: the second line may follow
	// the second Complete by a moment.
	panics := func() int {
		return len(d.Log.Find(func(e daemon.Entry) bool { return strings.HasPrefix(e.Msg(), "panic recovered") }))
	}
	deadline := time.Now().Add(5 * time.Second)
	for panics() < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := panics(); n != 2 {
		t.Fatalf("%d panics logged, want 2", n)
	}
}
