package services

import (
	"context"
	"sync"
	"time"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

// asyncRun is the part the two Start operations share once their gating has
// passed: the job runs off the session's reader goroutine (so Keepalives
// and the End record are still read), a checkpoint goes out at least every
// interval while it runs, and Complete is the last callback of the session.
type asyncRun struct {
	interval time.Duration
	// minDuration pads a job that finishes sooner (dev.work_duration), still
	// holding its mark and sending checkpoints, so overlapping Starts and
	// checkpoints can be exercised against a fast store.
	minDuration time.Duration
	checkpoint  func(context.Context) error
	complete    func(context.Context, *ipam.IpamException) error
	job         Job
	// failureID is the IpamExceptionId for job errors that are not
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
	fire := func() {
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

	began := time.Now()
	err := r.job.Run(ctx)
	if wait := r.minDuration - time.Since(began); wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
	}

	mu.Lock()
	done = true
	tick.Stop()
	mu.Unlock()

	// End settles the flags before Complete goes out, so a client that
	// reacts to Complete at once already sees the new state. It runs even
	// when the session is gone: the mark must not outlive the job.
	if endErr := r.job.End(context.WithoutCancel(ctx), err == nil); err == nil && endErr != nil {
		err = endErr
	}
	var exc *ipam.IpamException
	if err != nil {
		exc = asException(err, r.failureID)
	}
	// Complete goes out even when ctx is cancelled by the session ending; it
	// then fails harmlessly on the closed transport.
	_ = r.complete(ctx, exc)
}
