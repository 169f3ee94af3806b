// Package workpool runs jobs on goroutines that, once a job is done, wait
// a short while for the next one before they exit. A goroutine per job
// starts small and grows its stack again for every job (a stack copy each
// time, a few per cent of the server's CPU per session: docs/performance.md);
// a worker that has grown its stack keeps it for the next job, and an idle
// process keeps no worker. The server runs its connections (duplex/nmf)
// and the sessions their messages' handling (sessions) on pools.
//
// A pool has no bound of its own: when no worker waits, a new one starts,
// as a goroutine per job would. Whoever hands out the jobs bounds them (the
// server's connection limits).
package workpool

import (
	"sync/atomic"
	"time"
)

// Pool runs jobs of type T with its function.
type Pool[T any] struct {
	run  func(T)
	idle time.Duration
	// jobs hands a job to a waiting worker (unbuffered: only a worker
	// that waits takes it).
	jobs    chan T
	started atomic.Int64
}

// New returns a pool whose workers call run for each job and exit after
// waiting idle for one. run must not panic: a panic ends the process, as
// in any goroutine (contain it in run).
func New[T any](idle time.Duration, run func(T)) *Pool[T] {
	return &Pool[T]{run: run, idle: idle, jobs: make(chan T)}
}

// Go runs job on a waiting worker, or on a new one. It does not wait for
// the job.
func (p *Pool[T]) Go(job T) {
	select {
	case p.jobs <- job:
	default:
		p.started.Add(1)
		go p.work(job)
	}
}

// Started is the number of workers started so far.
func (p *Pool[T]) Started() int64 { return p.started.Load() }

// work runs job, then the jobs handed to it until it has waited p.idle for
// one.
func (p *Pool[T]) work(job T) {
	p.run(job)
	t := time.NewTimer(p.idle)
	defer t.Stop()
	for {
		select {
		case job = <-p.jobs:
			p.run(job)
			t.Reset(p.idle)
		case <-t.C:
			return
		}
	}
}
