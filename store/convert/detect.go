package convert

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/ipamd/ipamd/store/schema"
)

// detector finds the addresses step 4 must fix (findMisfits) ahead of the
// address batches, on a connection of its own, so that the search runs
// while the conversion's connection updates and commits the batch before.
// On SQLite the search is as costly as the batch's writes.
//
// It is correct because every batch writes only rows of its own RecordId
// interval (the addresses, and the associations whose UsedById is one of
// them) and the detector has read an interval before the batch for it
// starts: what it read is what the batch would have read itself. It reads
// outside the batch's transaction, in short statements of detectSpan ids
// each, so SQLite's WAL checkpoints are not held up for long.
type detector struct {
	c       *conv
	conn    *sql.Conn
	restore func()
	cancel  context.CancelFunc
	done    chan struct{}
	out     chan detected

	pending []misfit // found and not taken yet, in RecordId order
	upTo    int64    // the detector has searched up to here
}

type detected struct {
	hi  int64
	m   []misfit
	err error
}

// detectSpan is the RecordIds one search covers.
const detectSpan = 8192

// startDetector starts a detector for the addresses with from < RecordId
// <= to, or returns nil when a second connection is not to be had (the
// pool is exhausted for a second, or an SQLite database in memory, where a
// second connection would open another database): the batches then search
// themselves.
func (c *conv) startDetector(ctx context.Context, from, to int64) *detector {
	if from >= to || c.db == nil {
		return nil
	}
	if c.d == schema.SQLite {
		var (
			seq        int
			name, file string
		)
		if err := c.conn.QueryRowContext(ctx, "SELECT seq, name, file FROM pragma_database_list WHERE name = 'main'").Scan(&seq, &name, &file); err != nil || file == "" {
			return nil
		}
	}
	actx, cancel := context.WithTimeout(ctx, time.Second)
	conn, err := c.db.Conn(actx)
	cancel()
	if err != nil {
		return nil
	}
	restore := func() {}
	if c.d == schema.SQLite {
		if restore, err = sqliteBulkPragmas(ctx, conn); err != nil {
			_ = conn.Close()
			return nil
		}
	}
	dctx, stop := context.WithCancel(ctx)
	d := &detector{c: c, conn: conn, restore: restore, cancel: stop, done: make(chan struct{}),
		out: make(chan detected, 8), upTo: from}
	go d.run(dctx, from, to)
	return d
}

func (d *detector) run(ctx context.Context, from, to int64) {
	defer close(d.done)
	for lo := from; lo < to; {
		hi := min(lo+detectSpan, to)
		m, err := d.c.findMisfits(ctx, d.conn, lo, hi)
		select {
		case d.out <- detected{hi, m, err}:
		case <-ctx.Done():
			return
		}
		if err != nil {
			return
		}
		lo = hi
	}
}

// accept adds one span's result to what batches take.
func (d *detector) accept(r detected) error {
	if r.err != nil {
		return r.err
	}
	d.pending = append(d.pending, r.m...)
	d.upTo = r.hi
	return nil
}

// take returns the misfits with lo < RecordId <= hi, waiting for the
// detector to have searched that far. Batches take consecutive intervals
// from the detector's start on.
func (d *detector) take(ctx context.Context, _ *sql.Tx, lo, hi int64) ([]misfit, error) {
	for d.upTo < hi {
		select {
		case r := <-d.out:
			if err := d.accept(r); err != nil {
				return nil, err
			}
		case <-d.done:
			// Finished or stopped: drain what it sent before.
			select {
			case r := <-d.out:
				if err := d.accept(r); err != nil {
					return nil, err
				}
			default:
				return nil, errors.New("the detector stopped before the batch's addresses")
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	n := 0
	for n < len(d.pending) && d.pending[n].id <= hi {
		n++
	}
	out := d.pending[:n:n]
	d.pending = d.pending[n:]
	return out, nil
}

// stop ends the detector and gives its connection back, as it was.
func (d *detector) stop() {
	d.cancel()
	<-d.done
	d.restore()
	_ = d.conn.Close()
}
