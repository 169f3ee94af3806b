package nmf

import (
	"sync/atomic"
	"time"
)

// A connection is served on a goroutine that served one before, when one
// waits: a goroutine per connection started small and grew its stack at
// the first read deadline of every connection (a stack copy, a few per
// cent of the server's CPU per session when each session has its own
// connection, docs/performance.md). A worker that has served a connection
// waits, shallow, for the next one for connWorkerIdle and then exits, so
// under load the grown stacks are reused and an idle server keeps none.
// There is no bound beyond the server's on connections (track): when no
// worker waits, a new one starts, as a goroutine per connection did.

// connWorkerIdle is how long a worker waits for another connection. Short,
// so that tests checking for leaked goroutines (goleak retries for about
// a second) and a server that went quiet see them gone.
const connWorkerIdle = 100 * time.Millisecond

// connWorkersStarted counts the workers started (tests).
var connWorkersStarted atomic.Int64

// goServeConn serves c on a waiting worker, or on a new one.
func (s *Server) goServeConn(c *conn) {
	select {
	case s.connJobs <- c:
	default:
		connWorkersStarted.Add(1)
		go s.connWorker(c)
	}
}

// connWorker serves c, then the connections handed to it until it has
// waited connWorkerIdle for one. serveConn contains its own panics.
func (s *Server) connWorker(c *conn) {
	s.serveConn(c)
	t := time.NewTimer(connWorkerIdle)
	defer t.Stop()
	for {
		select {
		case c = <-s.connJobs:
			s.serveConn(c)
			t.Reset(connWorkerIdle)
		case <-t.C:
			return
		}
	}
}
