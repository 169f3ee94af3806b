package workpool

import (
	"runtime"
	"sync"
	"testing"
	"time"
)

// TestReusedThenGone: jobs handed out one after another reuse a waiting
// worker instead of starting a goroutine each, and an idle worker exits
// after the pool's idle time. It fails if every job starts a goroutine or
// if workers outlive their idle time.
func TestReusedThenGone(t *testing.T) {
	const idle = 50 * time.Millisecond
	done := make(chan int)
	p := New(idle, func(n int) { done <- n })
	before := runtime.NumGoroutine()
	const jobs = 50
	for i := range jobs {
		p.Go(i)
		if got := <-done; got != i {
			t.Fatalf("job %d ran as %d", i, got)
		}
		runtime.Gosched() // let the worker reach its wait
	}
	if n := p.Started(); n > jobs/5 {
		t.Errorf("%d workers started for %d sequential jobs, want them reused", n, jobs)
	}
	if runtime.NumGoroutine() <= before {
		t.Fatal("no worker waiting right after the last job")
	}
	waitGone(t, before, 10*idle)
}

// TestConcurrentJobsEachRun: jobs handed out while every worker is busy
// start workers of their own; each job runs once.
func TestConcurrentJobsEachRun(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	ran := map[int]int{}
	var wg sync.WaitGroup
	p := New(10*time.Millisecond, func(n int) {
		<-release
		mu.Lock()
		ran[n]++
		mu.Unlock()
		wg.Done()
	})
	const jobs = 20
	wg.Add(jobs)
	for i := range jobs {
		p.Go(i)
	}
	if n := p.Started(); n != jobs {
		t.Errorf("%d workers for %d jobs that all wait", n, jobs)
	}
	close(release)
	wg.Wait()
	for i := range jobs {
		if ran[i] != 1 {
			t.Errorf("job %d ran %d times", i, ran[i])
		}
	}
}

// waitGone waits up to within for the goroutine count to fall back to
// before, and fails the test if it does not.
func waitGone(t testing.TB, before int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines %v after the last job, %d before: idle workers did not exit",
				runtime.NumGoroutine(), within, before)
		}
		time.Sleep(within / 40)
	}
}
