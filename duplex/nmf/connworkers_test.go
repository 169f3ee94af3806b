package nmf

import (
	"runtime"
	"testing"
	"time"
)

// TestConnWorkersReusedThenGone: connections served one after another
// reuse a waiting worker instead of starting a goroutine each, and an idle
// worker exits after connWorkerIdle. It fails if every connection starts a
// goroutine or if workers outlive their idle time.
func TestConnWorkersReusedThenGone(t *testing.T) {
	rec := newRecorder(false)
	srv, addr := startServer(t, Options{}, &testRouter{h: rec})
	time.Sleep(2 * connWorkerIdle) // workers of earlier tests are gone
	before := runtime.NumGoroutine()
	started := connWorkersStarted.Load()
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
	if n := connWorkersStarted.Load() - started; n > conns/5 {
		t.Errorf("%d workers started for %d sequential connections, want them reused", n, conns)
	}
	deadline := time.Now().Add(10 * connWorkerIdle)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines %v after the last connection, %d before: idle workers did not exit",
				runtime.NumGoroutine(), 10*connWorkerIdle, before)
		}
		time.Sleep(connWorkerIdle / 4)
	}
}
