package convert

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"time"

	"github.com/ipamd/ipamd/store/schema"
)

// detector finds the addresses step 4 must fix (findMisfits) ahead of the
// address batches, on connections of its own, so that the search runs
// while the conversion's connection fixes and commits the batch before.
// The search is most of step 4's cost (its other writes are step 3's
// defaults), so up to detectWorkers connections search spans in turn:
// worker k the spans k, k+W, k+2W…, each worker's results in order on its
// own channel, which take reads round-robin to get every span in order.
//
// It is correct because every batch writes only rows of its own RecordId
// interval (the addresses, and the associations whose UsedById is one of
// them) and the detector has read an interval before the batch for it
// starts: what it read is what the batch would have read itself. It reads
// outside the batch's transaction, in short statements of detectSpan ids
// each, so SQLite's WAL checkpoints are not held up for long.
type detector struct {
	c       *conv
	conns   []*sql.Conn
	restore []func()
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	outs    []chan detected // one per worker, closed when it ends
	next    int             // the worker whose channel has the next span

	pending []misfit // found and not taken yet, in RecordId order
	upTo    int64    // the detector has searched up to here
}

type detected struct {
	hi  int64
	m   []misfit
	err error
}

const (
	// detectSpan is the RecordIds one search covers.
	detectSpan = 8192
	// detectWorkers is how many connections search at most: the batches
	// themselves need little besides, so two keep both cores of a small
	// host busy.
	detectWorkers = 2
)

// startDetector starts a detector for the addresses with from < RecordId
// <= to, or returns nil when a second connection is not to be had (the
// pool is exhausted for a second, or an SQLite database in memory, where a
// second connection would open another database): the batches then search
// themselves. It searches with as many connections, up to detectWorkers,
// as the pool gives it at once.
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
	d := &detector{c: c}
	for range detectWorkers {
		wait := time.Second // for the first; a pool with one to spare is not waited on
		if len(d.conns) > 0 {
			wait = 100 * time.Millisecond
		}
		actx, cancel := context.WithTimeout(ctx, wait)
		conn, err := c.db.Conn(actx)
		cancel()
		if err != nil {
			break
		}
		restore := func() {}
		if c.d == schema.SQLite {
			if restore, err = sqliteBulkPragmas(ctx, conn, detectCacheKiB); err != nil {
				_ = conn.Close()
				break
			}
		}
		d.conns = append(d.conns, conn)
		d.restore = append(d.restore, restore)
	}
	if len(d.conns) == 0 {
		return nil
	}
	dctx, stop := context.WithCancel(ctx)
	d.cancel, d.upTo = stop, from
	for k, conn := range d.conns {
		out := make(chan detected, 4)
		d.outs = append(d.outs, out)
		d.wg.Go(func() { d.run(dctx, conn, out, from+int64(k)*detectSpan, to, int64(len(d.conns))*detectSpan) })
	}
	return d
}

// run searches the spans (lo, lo+detectSpan], (lo+stride, …], … below to.
func (d *detector) run(ctx context.Context, conn *sql.Conn, out chan<- detected, lo, to, stride int64) {
	defer close(out)
	for ; lo < to; lo += stride {
		hi := min(lo+detectSpan, to)
		m, err := d.c.findMisfits(ctx, conn, lo, hi)
		select {
		case out <- detected{hi, m, err}:
		case <-ctx.Done():
			return
		}
		if err != nil {
			return
		}
	}
}

// take returns the misfits with lo < RecordId <= hi, waiting for the
// detector to have searched that far. Batches take consecutive intervals
// from the detector's start on.
func (d *detector) take(ctx context.Context, _ *sql.Tx, lo, hi int64) ([]misfit, error) {
	for d.upTo < hi {
		select {
		case r, ok := <-d.outs[d.next]:
			if !ok {
				return nil, errors.New("the detector stopped before the batch's addresses")
			}
			if r.err != nil {
				return nil, r.err
			}
			d.pending = append(d.pending, r.m...)
			d.upTo = r.hi
			d.next = (d.next + 1) % len(d.outs)
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

// stop ends the detector and gives its connections back, as they were.
func (d *detector) stop() {
	d.cancel()
	d.wg.Wait()
	for i, conn := range d.conns {
		d.restore[i]()
		_ = conn.Close()
	}
}
