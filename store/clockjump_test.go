package store

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipamd/ipamd/store/schema"
	"github.com/ipamd/ipamd/store/storetest"
)

// jumpClock is a host's wall clock that can be stepped (NTP correcting a
// large offset, a VM resumed, an operator's date): time.Now moved by an
// offset, without the monotonic reading, as a wall reading after a jump
// has none that would hide the jump.
type jumpClock struct{ offset atomic.Int64 }

func (c *jumpClock) now() time.Time           { return time.Now().Round(0).Add(time.Duration(c.offset.Load())) }
func (c *jumpClock) set(offset time.Duration) { c.offset.Store(int64(offset)) }

// A jump of an ipamd host's wall clock by an hour, either way, on the
// lease owner's host or on its successor's, neither lets the successor
// take a live lease early nor keeps a dead owner's lease beyond
// LeaseDuration, on PostgreSQL: expiry is computed and compared on the
// server's clock, renewals are timed on the monotonic clock. The hosts'
// clocks are jumped through the store's wall-clock source, which the
// embedded store does read (SQLite has no server): there the same jumps
// shorten or stretch the lease — and fencing still lets only one owner
// write (docs/reliability.md, "Clock").
func TestLeaseSurvivesWallClockJump(t *testing.T) {
	forEngines(t, func(t *testing.T, e storetest.Engine) {
		const lease = time.Second
		cfg := newConfig(t, e)
		a := openStore(t, cfg, Options{LeaseDuration: lease})
		b := openStore(t, cfg, Options{LeaseDuration: lease, SQLiteBusyTimeout: 200 * time.Millisecond})
		var ca, cb jumpClock
		a.wall, b.wall = ca.now, cb.now
		needConversionAt(t, cfg)
		ctx := testCtx(t)
		embedded := e.Dialect != schema.PostgreSQL
		for _, tc := range []struct {
			name         string
			owner, taker time.Duration // the jumps of A's and B's host clocks
			// Only the embedded store: B takes the lease while A renews
			// it (early), or B cannot take it LeaseDuration after A died
			// (stretched).
			early, stretched bool
		}{
			{"owner forward", time.Hour, 0, false, embedded},
			{"owner back", -time.Hour, 0, embedded, false},
			{"successor forward", 0, time.Hour, embedded, false},
			{"successor back", 0, -time.Hour, false, embedded},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ca.set(0)
				cb.set(0)
				owned, err := a.TryBeginConversion(ctx, "A")
				if err != nil {
					t.Fatal(err)
				}
				work, stop := owned.Keep(ctx)
				defer stop()
				ca.set(tc.owner)
				cb.set(tc.taker)

				// A lives and renews: B polls for 2 leases.
				var taker *Lease
				for end := time.Now().Add(2 * lease); taker == nil && time.Now().Before(end); time.Sleep(lease / 5) {
					taker, err = b.TryBeginConversion(ctx, "B")
					if err != nil && !errors.Is(err, ErrConversionInProgress) {
						t.Fatal(err)
					}
				}
				if (taker != nil) != tc.early {
					t.Fatalf("B took A's live lease after the jump: %v, want %v", taker != nil, tc.early)
				}
				if taker != nil {
					// Shortened (SQLite): B took over, so A's batch is
					// fenced and A's work stops.
					if err := batch(ctx, a, owned, "A after the jump"); !errors.Is(err, ErrLeaseLost) {
						t.Errorf("A's batch after B took over: %v, want ErrLeaseLost", err)
					}
					select {
					case <-work.Done():
						if !errors.Is(context.Cause(work), ErrLeaseLost) {
							t.Errorf("A's work ended with %v, want ErrLeaseLost", context.Cause(work))
						}
					case <-time.After(2 * lease):
						t.Error("A's work went on after B took over")
					}
				} else {
					if work.Err() != nil {
						t.Fatalf("A lost its lease to the jump: %v", context.Cause(work))
					}
					// A dies: B takes over once the lease expired, not
					// before (A renewed within the last third of it) and
					// not much after.
					stop()
					died := time.Now()
					for taker == nil && time.Since(died) < lease+700*time.Millisecond {
						time.Sleep(lease / 20)
						if taker, err = b.TryBeginConversion(ctx, "B"); err != nil && !errors.Is(err, ErrConversionInProgress) {
							t.Fatal(err)
						}
					}
					took := time.Since(died)
					switch {
					case tc.stretched && taker != nil:
						t.Fatalf("B took the lease %v after A died; the embedded store's lease was expected to be stretched by the jump", took)
					case tc.stretched:
						// Stretched (SQLite): B's clock must pass the
						// jumped expiry before it can take over.
						cb.set(2 * time.Hour)
						if taker, err = b.TryBeginConversion(ctx, "B"); err != nil {
							t.Fatalf("B with its clock past the stretched expiry: %v", err)
						}
					case taker == nil:
						t.Fatalf("B could not take the lease %v after A died: the jump kept it", took)
					case took < lease/2:
						t.Fatalf("B took the lease %v after A died, before it expired (lease %v)", took, lease)
					default:
						t.Logf("B took over %v after A died (lease %v)", took.Round(time.Millisecond), lease)
					}
					if err := batch(ctx, a, owned, "A after B took over"); !errors.Is(err, ErrLeaseLost) {
						t.Errorf("A's batch after B took over: %v, want ErrLeaseLost", err)
					}
				}
				if err := batch(ctx, b, taker, "B"); err != nil {
					t.Errorf("B's batch: %v", err)
				}
				if err := taker.End(ctx, false); err != nil {
					t.Error(err)
				}
			})
		}
	})
}
