package nmf

import (
	"runtime"
	"testing"
	"time"
)

// TestConnWorkersReused: connections served one after another reuse a
// waiting worker instead of starting a goroutine each (internal/workpool
// tests that idle workers exit). It fails if every connection starts a
// goroutine.
func TestConnWorkersReused(t *testing.T) {
	rec := newRecorder(false)
	srv, addr := startServer(t, Options{}, &testRouter{h: rec})
	const conns = 30
	for range conns {
		c := dial(t, addr)
		if _, err := c.Write(append(preamble("net.tcp://localhost/svc", EncodingBinarySession, ""), recEnd)); err != nil {
			t.Fatal(err)
		}
		if b := readN(t, c, 2, 5*time.Second); b[0] != recPreambleAck || b[1] != recEnd {
			t.Fatalf("got % x, want PreambleAck, End", b)
		}
		c.Close()
		rec.wait(t)
		deadline := time.Now().Add(5 * time.Second)
		for srv.ActiveConnections() > 0 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		runtime.Gosched() // let the worker reach its wait
	}
	if n := srv.workers.Started(); n > conns/5 {
		t.Errorf("%d workers started for %d sequential connections, want them reused", n, conns)
	}
}
