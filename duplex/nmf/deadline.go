package nmf

import (
	"context"
	"net"
	"sync"
	"time"
)

// aLongTimeAgo is a deadline in the past: setting it makes blocked I/O on a
// net.Conn return at once, which is how contexts interrupt reads and writes
// without a goroutine per connection.
var aLongTimeAgo = time.Unix(1, 0)

type dir int

// keepDeadline, given to begin, keeps the direction's deadline as it was
// last set: a read that completes the wait AwaitMessage began is bounded
// by the wait's deadline, which saves setting it again (a timer update
// in the runtime's poller per message; issue 16).
var keepDeadline time.Time

const (
	dirRead dir = iota
	dirWrite
)

// watchState tracks, per direction, what may interrupt the blocking
// operation in progress. Guarded by deadlines.dlmu.
type watchState struct {
	armed bool   // the connection context interrupts it
	gen   uint64 // bumped per operation so stale per-call watchers do nothing
}

// deadlines bounds the blocking reads and writes of one connection, for the
// server's conn and the ClientSession alike: each operation sets its
// direction's deadline (begin … end), and a context interrupts it by moving
// that deadline into the past.
type deadlines struct {
	dlmu  sync.Mutex
	nc    net.Conn // the stream whose deadlines are set; swapped under dlmu (streamLocked)
	watch [2]watchState
	// set is each direction's deadline as last set on nc (zero: unknown).
	set [2]time.Time
}

// streamLocked makes nc the stream whose deadlines are set (an upgrade, or
// the raw socket again): what was set on the other is unknown for it.
func (dl *deadlines) streamLocked(nc net.Conn) {
	dl.nc = nc
	dl.set = [2]time.Time{}
}

// maxDeadlineSlack bounds how much later than asked a deadline may fire
// (armLocked).
const maxDeadlineSlack = time.Second

// armLocked makes direction d's deadline t or up to a slack later: it keeps
// the deadline set when that is no earlier than t and within the slack,
// and otherwise sets t plus the slack. Setting a deadline is a timer update
// in the runtime's poller, under its lock; a session's reads and writes
// come within milliseconds of each other, so most of them now set none
// (docs/performance.md). The slack is an eighth of the time to t, at most
// maxDeadlineSlack: a bound never fires early, and late by at most that.
func (dl *deadlines) armLocked(d dir, t time.Time) {
	slack := min(time.Until(t)/8, maxDeadlineSlack)
	if slack <= 0 {
		dl.setDeadlineLocked(d, t)
		return
	}
	if cur := dl.set[d]; !cur.Before(t) && cur.Sub(t) <= slack {
		return
	}
	dl.setDeadlineLocked(d, t.Add(slack))
}

func (dl *deadlines) setDeadlineLocked(d dir, t time.Time) {
	dl.set[d] = t
	if d == dirRead {
		_ = dl.nc.SetReadDeadline(t)
	} else {
		_ = dl.nc.SetWriteDeadline(t)
	}
}

// begin prepares one blocking operation in direction d: it sets the
// deadline; arms interruption by conn (the connection's lifetime, whose
// AfterFunc calls interruptArmed) when conn is non-nil; and by ctx when ctx
// is non-nil (a per-call context, watched for this operation only). end
// must follow a nil error. A zero deadline keeps the one set last
// (keepDeadline).
func (dl *deadlines) begin(d dir, deadline time.Time, conn, ctx context.Context) (stop func() bool, err error) {
	dl.dlmu.Lock()
	w := &dl.watch[d]
	w.gen++
	gen := w.gen
	if !deadline.IsZero() {
		dl.armLocked(d, deadline)
	}
	if conn != nil {
		if err := conn.Err(); err != nil {
			dl.dlmu.Unlock()
			return nil, err
		}
		w.armed = true
	}
	dl.dlmu.Unlock()
	if ctx == nil || ctx.Done() == nil {
		return nil, nil
	}
	if err := ctx.Err(); err != nil {
		dl.end(d, nil)
		return nil, err
	}
	return context.AfterFunc(ctx, func() {
		dl.dlmu.Lock()
		if dl.watch[d].gen == gen {
			dl.setDeadlineLocked(d, aLongTimeAgo)
		}
		dl.dlmu.Unlock()
	}), nil
}

func (dl *deadlines) end(d dir, stop func() bool) {
	if stop != nil {
		stop()
	}
	dl.dlmu.Lock()
	dl.watch[d].armed = false
	dl.watch[d].gen++
	dl.dlmu.Unlock()
}

// interruptArmed interrupts the operations armed with the connection
// context (it is done).
func (dl *deadlines) interruptArmed() {
	dl.dlmu.Lock()
	for d := range dl.watch {
		if dl.watch[d].armed {
			dl.setDeadlineLocked(dir(d), aLongTimeAgo)
		}
	}
	dl.dlmu.Unlock()
}
