package nmf

import (
	"bytes"
	"context"
	"net"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// heapInUse is the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// TestClaimedSizeDoesNotAllocate: connections that announce envelopes of
// 16 MiB and then send nothing more must not make the server allocate what
// they claim (the size prefix is a claim, not a cost). Before the fix, 20
// such connections held 337 MB.
func TestClaimedSizeDoesNotAllocate(t *testing.T) {
	const (
		conns   = 20
		claimed = 16 << 20
	)
	rec := newRecorder(false)
	srv, addr := startServer(t, Options{MaxMessageSize: 64 << 20}, &testRouter{h: rec})
	before := heapInUse()
	for range conns {
		c := dial(t, addr)
		msg := preamble("net.tcp://localhost/svc", EncodingBinarySession, "")
		msg = append(msg, recSizedEnvelope)
		msg = AppendMB31(msg, claimed)
		msg = append(msg, bytes.Repeat([]byte{'x'}, 100)...)
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		if ack := readN(t, c, 1, 5*time.Second); ack[0] != recPreambleAck {
			t.Fatalf("got record 0x%02x, want PreambleAck", ack[0])
		}
	}
	// Wait until every connection is served and its envelope header read.
	deadline := time.Now().Add(5 * time.Second)
	for srv.ActiveConnections() < conns && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	grew := int64(heapInUse()) - int64(before)
	// 20 × (read buffer + one growth chunk + goroutine) is well under 2 MiB;
	// one claimed buffer alone would be 16 MiB.
	if grew > 2<<20 {
		t.Fatalf("heap grew by %d bytes for %d connections each claiming %d bytes, want < 2 MiB", grew, conns, claimed)
	}
	t.Logf("heap grew by %d bytes for %d connections each claiming %d bytes", grew, conns, claimed)
}

// TestLargeEnvelopeArrivesWhole: a big envelope that really arrives is read
// whole across the growth steps, and the buffer is reused after it.
func TestLargeEnvelopeArrivesWhole(t *testing.T) {
	rec := newRecorder(true)
	_, addr := startServer(t, Options{MaxMessageSize: 1 << 20}, &testRouter{h: rec})
	c := dial(t, addr)
	big := bytes.Repeat([]byte("0123456789abcdef"), (300<<10)/16+3) // not a power of two
	msg := preamble("net.tcp://localhost/svc", EncodingBinarySession, "")
	msg = append(msg, sized(big)...)
	msg = append(msg, sized([]byte("small"))...)
	msg = append(msg, sized(big[:5000])...)
	msg = append(msg, recEnd)
	go func() { _, _ = c.Write(msg) }()
	out, _ := readAll(t, c, 5*time.Second)
	rec.wait(t)
	got, _ := rec.got()
	if len(got) != 3 || !bytes.Equal(got[0], big) || string(got[1]) != "small" || !bytes.Equal(got[2], big[:5000]) {
		t.Fatalf("payloads %d, lengths wrong or content differs", len(got))
	}
	recs, err := parseServerStream(out)
	if err != nil || len(recs) != 5 || !bytes.Equal(recs[1].payload, big) {
		t.Fatalf("server stream: %d records, err %v", len(recs), err)
	}
}

// dialFrom connects to addr from the local address from (127/8 all routes
// to loopback on Linux, so 127.0.0.2 is a second client address).
func dialFrom(t testing.TB, from, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Skipf("cannot dial from %s: %v", from, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestPerAddressLimit: an address holding MaxConnectionsPerAddress gets
// ServerTooBusy for one more, before its preamble is read, while another
// address is served.
func TestPerAddressLimit(t *testing.T) {
	rec := newRecorder(false)
	srv, addr := startServer(t, Options{MaxConnectionsPerAddress: 2}, &testRouter{h: rec})
	pre := preamble("net.tcp://localhost/svc", EncodingBinarySession, "")
	for range 2 {
		c := dialFrom(t, "127.0.0.2", addr)
		if _, err := c.Write(pre); err != nil {
			t.Fatal(err)
		}
		if ack := readN(t, c, 1, 5*time.Second); ack[0] != recPreambleAck {
			t.Fatalf("got 0x%02x, want PreambleAck", ack[0])
		}
	}
	over := dialFrom(t, "127.0.0.2", addr)
	got, closed := readAll(t, over, 5*time.Second)
	if want := faultBytes(FaultServerTooBusy); !bytes.Equal(got, want) || !closed {
		t.Fatalf("third connection from one address got % x (closed %v), want ServerTooBusy", got, closed)
	}
	other := dialFrom(t, "127.0.0.1", addr)
	if _, err := other.Write(append(pre, recEnd)); err != nil {
		t.Fatal(err)
	}
	if ack := readN(t, other, 1, 5*time.Second); ack[0] != recPreambleAck {
		t.Fatalf("another address got 0x%02x, want PreambleAck", ack[0])
	}
	if st := srv.Stats(); st.BusyAddress != 1 || st.Busy != 1 {
		t.Fatalf("Stats = %+v, want one refusal for the address limit", st)
	}
}

// TestPanicContained: a handler that panics ends its own connection; the
// next connection is served.
func TestPanicContained(t *testing.T) {
	var calls atomic.Int32
	h := handlerFunc(func(ctx context.Context, s *Session) error {
		if calls.Add(1) == 1 {
			panic("injected: " + strings.Repeat("x", 10000))
		}
		return newRecorder(false).ServeSession(ctx, s)
	})
	_, addr := startServer(t, Options{}, &testRouter{h: h})
	pre := preamble("net.tcp://localhost/svc", EncodingBinarySession, "")
	c := dial(t, addr)
	if _, err := c.Write(pre); err != nil {
		t.Fatal(err)
	}
	if _, closed := readAll(t, c, 5*time.Second); !closed {
		t.Fatal("the panicking session's connection was not closed")
	}
	c2 := dial(t, addr)
	if _, err := c2.Write(append(append(pre, sized([]byte("hello"))...), recEnd)); err != nil {
		t.Fatal(err)
	}
	out, _ := readAll(t, c2, 5*time.Second)
	if !bytes.Equal(out, []byte{recPreambleAck, recEnd}) {
		t.Fatalf("next session got % x, want PreambleAck End", out)
	}
}
