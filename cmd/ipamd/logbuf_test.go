package main

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// recordingSink records each Write as the system call it would be.
type recordingSink struct {
	mu     sync.Mutex
	writes [][]byte
	fail   error
}

func (s *recordingSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return 0, s.fail
	}
	s.writes = append(s.writes, bytes.Clone(p))
	return len(p), nil
}

func (s *recordingSink) Sync() error { return nil }

func (s *recordingSink) snapshot() (n int, all string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.writes), string(bytes.Join(s.writes, nil))
}

func line(i int) []byte { return fmt.Appendf(nil, "{\"msg\":\"session completed\",\"n\":%d}\n", i) }

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestLogBufferGathersLines: the first line after a quiet spell is
// written at once; the lines that follow within the interval leave
// together, in order, when it ends; an interval with nothing in it ends
// the window, and the next line is written at once again. The interval's
// end is called by hand (tick), so the machine's load cannot move it.
func TestLogBufferGathersLines(t *testing.T) {
	sink := &recordingSink{}
	b := newLogBuffer(sink, &bytes.Buffer{}, time.Hour, 64<<10)
	defer b.Stop()
	_, _ = b.Write(line(0))
	if n, _ := sink.snapshot(); n != 1 {
		t.Fatalf("the first line was not written at once: %d writes", n)
	}
	for i := 1; i <= 100; i++ {
		_, _ = b.Write(line(i))
	}
	if n, _ := sink.snapshot(); n != 1 {
		t.Fatalf("lines within the interval were written one by one: %d writes", n)
	}
	b.tick() // the interval ends
	n, all := sink.snapshot()
	var want strings.Builder
	for i := 0; i <= 100; i++ {
		want.Write(line(i))
	}
	if n != 2 || all != want.String() {
		t.Fatalf("%d writes; lines lost or out of order:\n%s", n, all)
	}
	_, _ = b.Write(line(101)) // the window goes on: held
	if n, _ := sink.snapshot(); n != 2 {
		t.Fatal("a line in a busy window was not held")
	}
	b.tick() // written
	b.tick() // nothing held: the window closes
	_, _ = b.Write(line(102))
	if n, _ := sink.snapshot(); n != 4 {
		t.Fatalf("%d writes, want 4: a line after a quiet spell was held", n)
	}
}

// TestLogBufferTimerFlushes: the timer ends the interval by itself.
func TestLogBufferTimerFlushes(t *testing.T) {
	sink := &recordingSink{}
	b := newLogBuffer(sink, &bytes.Buffer{}, 10*time.Millisecond, 64<<10)
	defer b.Stop()
	_, _ = b.Write(line(0))
	_, _ = b.Write(line(1)) // held until the timer
	waitFor(t, "the held line", func() bool { _, all := sink.snapshot(); return strings.Contains(all, string(line(1))) })
}

// TestLogBufferBounded: what is held never exceeds the bound; a line
// longer than it goes out alone.
func TestLogBufferBounded(t *testing.T) {
	sink := &recordingSink{}
	const max = 1024
	b := newLogBuffer(sink, &bytes.Buffer{}, time.Hour, max)
	for i := range 1000 {
		_, _ = b.Write(line(i))
	}
	long := bytes.Repeat([]byte("x"), 3*max)
	_, _ = b.Write(long)
	b.Stop()
	sink.mu.Lock()
	defer sink.mu.Unlock()
	for i, w := range sink.writes {
		if len(w) > max && !bytes.Equal(w, long) {
			t.Fatalf("write %d of %d bytes, over the bound %d", i, len(w), max)
		}
	}
	if len(sink.writes) < 1000*len(line(999))/max {
		t.Fatalf("only %d writes", len(sink.writes))
	}
}

// TestLogBufferKeepsItsStorage: holding lines and writing them out makes
// no garbage, whatever the lines' lengths against the bound (a buffer grown
// by append past it was dropped and made again at each flush).
func TestLogBufferKeepsItsStorage(t *testing.T) {
	sink := &nullSink{}
	const max = 1000 // not a size class: append grows past it
	b := newLogBuffer(sink, &bytes.Buffer{}, time.Hour, max)
	defer b.Stop()
	lines := [][]byte{line(1), bytes.Repeat([]byte("y"), max/3), bytes.Repeat([]byte("z"), max-1)}
	_, _ = b.Write(line(0)) // opens the window: the next lines are held
	// AllocsPerRun truncates its average: 100 lines a run, so that one
	// allocation in a hundred lines shows.
	if a := testing.AllocsPerRun(100, func() {
		for i := range 100 {
			_, _ = b.Write(lines[i%len(lines)])
		}
	}); a != 0 {
		t.Fatalf("%v allocations per 100 held lines", a)
	}
	if sink.n == 0 {
		t.Fatal("nothing was written: the bound was not reached")
	}
}

// nullSink counts writes and keeps nothing.
type nullSink struct{ n int }

func (s *nullSink) Write(p []byte) (int, error) { s.n++; return len(p), nil }
func (s *nullSink) Sync() error                 { return nil }

// TestLogBufferStopLosesNothing: an orderly stop writes every line held,
// and lines after it go out at once.
func TestLogBufferStopLosesNothing(t *testing.T) {
	sink := &recordingSink{}
	b := newLogBuffer(sink, &bytes.Buffer{}, time.Hour, 64<<10)
	var want strings.Builder
	for i := range 500 {
		_, _ = b.Write(line(i))
		want.Write(line(i))
	}
	b.Stop()
	_, all := sink.snapshot()
	if all != want.String() {
		t.Fatalf("Stop lost lines: %d of %d bytes written", len(all), want.Len())
	}
	_, _ = b.Write(line(500))
	if _, all := sink.snapshot(); !strings.HasSuffix(all, string(line(500))) {
		t.Fatal("a line after Stop was held")
	}
}

// TestLogBufferWriteErrorReportedOnce: a sink that fails is reported
// once, whatever the number of lines; held lines are dropped, not kept.
func TestLogBufferWriteErrorReportedOnce(t *testing.T) {
	sink := &recordingSink{fail: errors.New("disk full")}
	var errOut bytes.Buffer
	b := newLogBuffer(sink, &errOut, time.Millisecond, 256)
	for i := range 200 {
		if _, err := b.Write(line(i)); err != nil {
			t.Fatalf("Write returned %v: zap would report it once per line", err)
		}
	}
	time.Sleep(20 * time.Millisecond)
	b.Stop()
	if got := strings.Count(errOut.String(), "writing the log failed"); got != 1 {
		t.Fatalf("%d reports of the failure, want 1:\n%s", got, errOut.String())
	}
	if !strings.Contains(errOut.String(), "disk full") {
		t.Fatalf("the report does not say why: %s", errOut.String())
	}
	if len(b.buf) != 0 {
		t.Fatalf("%d bytes still held after the failed writes", len(b.buf))
	}
}

// TestLogUrgentLineFlushes: a warning leaves at once, with the info
// lines held before it, in order.
func TestLogUrgentLineFlushes(t *testing.T) {
	sink := &recordingSink{}
	b := newLogBuffer(sink, &bytes.Buffer{}, time.Hour, 64<<10)
	defer b.Stop()
	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	log := zap.New(&boundedCore{&urgentCore{zapcore.NewCore(enc, b, zapcore.InfoLevel), b}})
	log.Info("first")  // at once: a quiet spell before it
	log.Info("second") // held
	log.Info("third")  // held
	if _, all := sink.snapshot(); strings.Contains(all, "second") {
		t.Fatal("an info line inside the window was not held")
	}
	log.With(zap.String("k", "v")).Warn("warned")
	_, all := sink.snapshot()
	i2, i3, iw := strings.Index(all, "second"), strings.Index(all, "third"), strings.Index(all, "warned")
	if i2 < 0 || i3 < i2 || iw < i3 {
		t.Fatalf("the warning did not leave at once after the held lines:\n%s", all)
	}
}
