package winsvc

import (
	"context"
	"sync"
	"time"
)

// The control protocol between the SCM and the service, in platform-neutral
// terms, so that it is tested everywhere; service_windows.go translates
// svc.ChangeRequest and svc.Status.

type request int

const (
	reqInterrogate request = iota
	reqStop                // Stop or Shutdown
	reqReload              // ParamChange
)

type state int

const (
	stateStartPending state = iota
	stateRunning
	stateStopPending
	stateStopped
)

type status struct {
	state      state
	acceptStop bool // Stop, Shutdown, ParamChange accepted
	checkPoint uint32
	waitHint   time.Duration
	exitCode   uint32 // with stateStopped: 0 or a service-specific code
}

// Program is what the service runs: Run until ctx is cancelled (a stop
// request; the program drains and returns), reloading when reload fires.
// It calls ready once its listeners are up.
type Program func(ctx context.Context, ready func(), reload <-chan struct{}) error

// pendingTick is how often a long stop reports progress (a new checkpoint)
// so the SCM does not consider the service hung.
const pendingTick = 2 * time.Second

// execute runs prog under the SCM protocol: START_PENDING until ready,
// RUNNING (accepting stop and param change), STOP_PENDING with an advancing
// checkpoint while the program drains, STOPPED with exit code 1 when the
// program failed. It returns that exit code.
func execute(prog Program, stopHint time.Duration, requests <-chan request, report func(status)) uint32 {
	report(status{state: stateStartPending, waitHint: 30 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	readyc := make(chan struct{})
	reload := make(chan struct{}, 1)
	done := make(chan error, 1)
	var once sync.Once
	go func() {
		done <- prog(ctx, func() { once.Do(func() { close(readyc) }) }, reload)
	}()
	cur := status{state: stateStartPending, waitHint: 30 * time.Second}
	var tick <-chan time.Time
	var ticker *time.Ticker
	defer func() {
		if ticker != nil {
			ticker.Stop()
		}
	}()
	for {
		select {
		case <-readyc:
			readyc = nil
			if cur.state == stateStartPending {
				cur = status{state: stateRunning, acceptStop: true}
				report(cur)
			}
		case err := <-done:
			code := uint32(0)
			if err != nil {
				code = 1
			}
			report(status{state: stateStopped, exitCode: code})
			return code
		case <-tick:
			cur.checkPoint++
			report(cur)
		case r := <-requests:
			switch r {
			case reqInterrogate:
				report(cur)
			case reqReload:
				select {
				case reload <- struct{}{}:
				default: // one is pending already
				}
			case reqStop:
				if cur.state == stateStopPending {
					continue
				}
				cur = status{state: stateStopPending, checkPoint: 1, waitHint: stopHint}
				report(cur)
				cancel()
				ticker = time.NewTicker(pendingTick)
				tick = ticker.C
			}
		}
	}
}
