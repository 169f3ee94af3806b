package services

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

// asyncRun is the part the two Start operations share once their gating has
// passed: the work runs off the session's reader goroutine (so Keepalives
// and the End record are still read), a checkpoint goes out at least every
// interval while it runs, and Complete is the last callback of the session.
type asyncRun struct {
	interval time.Duration
	// checkpoint and complete send the Notify… callbacks. ipamd reports no
	// IpamObjects, so their data and result are nil (i:nil on the wire).
	checkpoint func(context.Context) error
	complete   func(context.Context, *ipam.IpamException) error
	work       func(context.Context) error
	// finish updates the ADM flags before Complete is sent, so a client that
	// reacts to Complete at once already sees the new state.
	finish func(succeeded bool)
	// failureID is the IpamExceptionId for work errors that are not
	// IpamExceptions themselves.
	failureID string
}

// start launches the work goroutine and returns at once.
func (r *asyncRun) start(ctx context.Context) {
	go r.run(ctx)
}

func (r *asyncRun) run(ctx context.Context) {
	var (
		mu   sync.Mutex
		done bool
		tick *time.Timer
	)
	// Checkpoints come from a timer, not from the work, so a long blocking
	// step still keeps the client's session alive. The mutex and done flag
	// guarantee no checkpoint follows Complete.
	var fire func()
	fire = func() {
		mu.Lock()
		defer mu.Unlock()
		if done {
			return
		}
		if err := r.checkpoint(ctx); err != nil {
			return // the session is gone; the work notices through ctx
		}
		tick.Reset(r.interval)
	}
	mu.Lock()
	tick = time.AfterFunc(r.interval, fire)
	mu.Unlock()

	err := r.work(ctx)

	mu.Lock()
	done = true
	tick.Stop()
	mu.Unlock()

	var exc *ipam.IpamException
	if err != nil {
		if !errors.As(err, &exc) {
			exc = ipam.NewException(r.failureID, "%v", err)
		}
	}
	r.finish(err == nil)
	// Complete goes out even when ctx is cancelled by the session ending; it
	// then fails harmlessly on the closed transport.
	_ = r.complete(ctx, exc)
}
