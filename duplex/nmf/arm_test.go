package nmf

import (
	"net"
	"testing"
	"time"
)

// deadlineConn records the read deadlines set on it.
type deadlineConn struct {
	net.Conn
	reads []time.Time
}

func (c *deadlineConn) SetReadDeadline(t time.Time) error { c.reads = append(c.reads, t); return nil }

// TestArmDeadlineKeepsWithinSlack: a deadline asked again shortly after is
// not set again; the one in force is never earlier than asked and never
// more than the slack later; an interruption, a longer bound or a new
// stream sets it again.
func TestArmDeadlineKeepsWithinSlack(t *testing.T) {
	nc := &deadlineConn{}
	dl := &deadlines{nc: nc}
	check := func(asked time.Time, sets int) {
		t.Helper()
		dl.armLocked(dirRead, asked)
		if len(nc.reads) != sets {
			t.Fatalf("%d deadlines set, want %d", len(nc.reads), sets)
		}
		got := nc.reads[len(nc.reads)-1]
		if got.Before(asked) || got.Sub(asked) > maxDeadlineSlack {
			t.Fatalf("deadline %v for %v asked: earlier, or later than the slack", got, asked)
		}
	}
	now := time.Now()
	check(now.Add(10*time.Second), 1)
	check(now.Add(10*time.Second+time.Millisecond), 1) // kept
	check(now.Add(10*time.Second+500*time.Millisecond), 1)
	check(now.Add(12*time.Second), 2) // beyond the slack: set
	check(now.Add(5*time.Second), 3)  // earlier than the one set: set
	dl.setDeadlineLocked(dirRead, aLongTimeAgo)
	check(now.Add(5*time.Second), 5) // interrupted: set again
	dl.streamLocked(nc)
	check(now.Add(5*time.Second), 6) // a new stream: set again
	// A short bound gets a short slack: at most an eighth of it.
	short := time.Now().Add(80 * time.Millisecond)
	dl.armLocked(dirRead, short)
	if got := nc.reads[len(nc.reads)-1]; got.Sub(short) > 10*time.Millisecond {
		t.Fatalf("a bound of 80ms fires %v late", got.Sub(short))
	}
}
