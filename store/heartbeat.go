package store

import (
	"context"
	"sync"
	"time"
)

// heartbeat runs beat every third of d while work runs on the returned
// context. The context ends, with the cause lost returns, once beat has
// failed for about d since its last success, or at once when final says a
// failure cannot be recovered from. stop (idempotent) ends the beating and
// waits for it. A lease's renewal and the provisioning's database ping are
// both this: work must stop before what it relies on is gone for d.
func heartbeat(ctx context.Context, d time.Duration, beat func(context.Context) error,
	final func(error) bool, lost func(err error, silent time.Duration) error) (work context.Context, stop func()) {
	work, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		every := d / 3
		t := time.NewTicker(every)
		defer t.Stop()
		last := time.Now()
		for {
			select {
			case <-done:
				return
			case <-work.Done():
				return
			case <-t.C:
			}
			bctx, bcancel := context.WithTimeout(work, every)
			err := beat(bctx)
			bcancel()
			if err == nil {
				last = time.Now()
				continue
			}
			if silent := time.Since(last); (final != nil && final(err)) || silent >= d-every/2 {
				cancel(lost(err, silent))
				return
			}
		}
	}()
	var once sync.Once
	return work, func() {
		once.Do(func() {
			close(done)
			<-finished
			cancel(nil)
		})
	}
}
