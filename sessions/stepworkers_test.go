package sessions

import (
	"runtime"
	"testing"
	"time"
)

// TestStepWorkersReusedThenGone: steps run one after another reuse a
// waiting worker instead of starting a goroutine each, and an idle worker
// exits after stepWorkerIdle. It fails if every step starts a goroutine
// or if workers outlive their idle time.
func TestStepWorkersReusedThenGone(t *testing.T) {
	time.Sleep(2 * stepWorkerIdle) // workers of earlier tests are gone
	before := runtime.NumGoroutine()
	started := stepWorkersStarted.Load()
	const steps = 50
	done := make(chan struct{})
	for range steps {
		runStep(stepFunc(func() { done <- struct{}{} }))
		<-done
		runtime.Gosched() // let the worker reach its wait
	}
	if n := stepWorkersStarted.Load() - started; n > steps/5 {
		t.Errorf("%d workers started for %d sequential steps, want them reused", n, steps)
	}
	if runtime.NumGoroutine() <= before {
		t.Fatal("no worker waiting right after the last step")
	}
	deadline := time.Now().Add(10 * stepWorkerIdle)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines %v after the last step, %d before: idle workers did not exit",
				runtime.NumGoroutine(), 10*stepWorkerIdle, before)
		}
		time.Sleep(stepWorkerIdle / 4)
	}
}

// stepFunc is a stepper running a function.
type stepFunc func()

func (f stepFunc) stepOffStack() { f() }
