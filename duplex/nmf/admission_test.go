package nmf

import (
	"bytes"
	"runtime"
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
		msg = appendMB31(msg, claimed)
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
