package sessions

import (
	"sync/atomic"
	"time"
)

// A session handles each message on a goroutine other than its serving
// one (Session.next: the serving goroutine's stack stays shallow while
// the session is held). A fresh goroutine per message cost a goroutine
// start and, as decoding deepened its stack, two stack copies — 6 % of the
// server's CPU per session (issue 16, docs/performance.md), because the
// runtime frees a grown stack when its goroutine exits. Step workers run
// these steps instead: a worker that finishes a step waits, shallow, for
// the next one for stepWorkerIdle and then exits, so under load the grown
// stacks are reused and an idle server keeps none. There is no bound
// beyond the one on sessions: when no worker waits, a new one starts,
// as a goroutine per message did.

// stepWorkerIdle is how long a worker waits for another step. Short, so
// that tests checking for leaked goroutines (goleak retries for about a
// second) and a server that went quiet see them gone.
const stepWorkerIdle = 100 * time.Millisecond

// stepper is what a worker runs: a *Session's stepOffStack (an interface
// rather than a func value, so a step costs no closure and a held session
// keeps none).
type stepper interface{ stepOffStack() }

// stepJobs hands a step to a waiting worker (unbuffered: only a worker
// that waits takes it).
var stepJobs = make(chan stepper)

// stepWorkersStarted counts the workers started (tests).
var stepWorkersStarted atomic.Int64

// runStep runs f's step on a waiting worker, or on a new one.
func runStep(f stepper) {
	select {
	case stepJobs <- f:
	default:
		stepWorkersStarted.Add(1)
		go stepWorker(f)
	}
}

// stepWorker runs f's step, then the steps handed to it until it has
// waited stepWorkerIdle for one. A step must not panic (stepOffStack
// recovers).
func stepWorker(f stepper) {
	f.stepOffStack()
	t := time.NewTimer(stepWorkerIdle)
	defer t.Stop()
	for {
		select {
		case f = <-stepJobs:
			f.stepOffStack()
			t.Reset(stepWorkerIdle)
		case <-t.C:
			return
		}
	}
}
