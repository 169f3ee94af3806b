package sessions

import (
	"time"

	"github.com/ipamd/ipamd/internal/workpool"
)

// A session handles each message on a goroutine other than its serving
// one (Session.next: the serving goroutine's stack stays shallow while
// the session is held). A fresh goroutine per message cost a goroutine
// start and, as decoding deepened its stack, two stack copies — 6 % of the
// server's CPU per session (docs/performance.md). The steps run on a
// worker pool instead: under load the grown stacks are reused, and an idle
// server keeps none. There is no bound beyond the one on sessions.

// stepWorkerIdle is how long a worker waits for another step. Short, so
// that tests checking for leaked goroutines (goleak retries for about a
// second) and a server that went quiet see them gone.
const stepWorkerIdle = 100 * time.Millisecond

// stepWorkers run the sessions' steps (Session.stepOffStack recovers a
// step's panic and answers on the session's channel).
var stepWorkers = workpool.New(stepWorkerIdle, (*Session).stepOffStack)
