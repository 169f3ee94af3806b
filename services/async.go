package services

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/ipamd/ipamd/duplex/contain"
	"github.com/ipamd/ipamd/services/adm"
	"github.com/ipamd/ipamd/services/progress"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// WorkKind names the two kinds of long-running work, as metric labels.
type WorkKind string

// The kinds of work.
const (
	WorkProvisioning     WorkKind = "provisioning"
	WorkSchemaConversion WorkKind = "schema_conversion"
)

// WorkObserver sees provisioning and schema conversion runs, for metrics.
// Rows are what the store reports through services/progress while the work
// runs; a run that reports none has rows 0.
type WorkObserver interface {
	WorkStarted(kind WorkKind)
	// WorkRows: the running work of kind wrote n more rows.
	WorkRows(kind WorkKind, n int64)
	// WorkStep: the running work of kind entered step (progress.Step),
	// e.g. to show it on the admin metrics.
	WorkStep(kind WorkKind, step string)
	// WorkFinished: a run ended after d with rows written in all;
	// exceptionID is "" on success, else what Notify…Complete carries.
	WorkFinished(kind WorkKind, d time.Duration, rows int64, exceptionID string)
}

// NopWorkObserver observes nothing.
type NopWorkObserver struct{}

func (NopWorkObserver) WorkStarted(WorkKind)                                {}
func (NopWorkObserver) WorkRows(WorkKind, int64)                            {}
func (NopWorkObserver) WorkStep(WorkKind, string)                           {}
func (NopWorkObserver) WorkFinished(WorkKind, time.Duration, int64, string) {}

// rowReporter is a run's progress.Reporter: it keeps the run's total and
// forwards each report to the observer.
type rowReporter struct {
	kind WorkKind
	obs  WorkObserver
	rows atomic.Int64
}

func (r *rowReporter) AddRows(n int64) {
	r.rows.Add(n)
	r.obs.WorkRows(r.kind, n)
}

func (r *rowReporter) Step(name string) { r.obs.WorkStep(r.kind, name) }

// FirstCheckpointDelay is when the first Notify…Checkpoint goes out at the
// latest; later ones follow at the checkpoint interval. A run shorter than
// the interval (seconds of conversion) still shows the client it moves.
const FirstCheckpointDelay = time.Second

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
	kind      WorkKind
	observer  WorkObserver // nil observes nothing
	log       *zap.Logger  // nil logs nothing
}

// contained runs one step of the work (the job, its End, a checkpoint)
// with a panic turned into IpamApiGenericErrorOccurred: the session
// reports it in Notify…Complete and ends, and the daemon goes on serving
// the others.
func (r *asyncRun) contained(what string, f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			_ = contain.Recovered(r.log, string(r.kind)+": "+what, p)
			err = ipam.NewException(ipam.IpamApiGenericErrorOccurred,
				"%s failed with an internal error (logged by the server)", r.kind)
		}
	}()
	return f()
}

// start launches the work goroutine and returns at once.
func (r *asyncRun) start(ctx context.Context) {
	go r.run(ctx)
}

func (r *asyncRun) run(ctx context.Context) {
	obs := r.observer
	if obs == nil {
		obs = NopWorkObserver{}
	}
	rows := &rowReporter{kind: r.kind, obs: obs}
	began := time.Now()
	obs.WorkStarted(r.kind)
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
		if err := r.contained("sending a checkpoint", func() error { return r.checkpoint(ctx) }); err != nil {
			return // the session is gone; the work notices through ctx
		}
		tick.Reset(r.interval)
	}
	mu.Lock()
	tick = time.AfterFunc(min(r.interval, FirstCheckpointDelay), fire)
	mu.Unlock()

	// The padding (dev.work_duration) comes first, so cancelling it stops
	// the job before it writes anything, as cancelling slow work would.
	var err error
	if r.minDuration > 0 {
		t := time.NewTimer(r.minDuration)
		select {
		case <-ctx.Done():
			err = ctx.Err()
		case <-t.C:
		}
		t.Stop()
	}
	if err == nil {
		err = r.contained("running", func() error { return r.job.Run(progress.WithReporter(ctx, rows)) })
	}

	mu.Lock()
	done = true
	tick.Stop()
	mu.Unlock()

	// End settles the flags before Complete goes out, so a client that
	// reacts to Complete at once already sees the new state. It runs even
	// when the session is gone: the mark must not outlive the job.
	endErr := r.contained("ending", func() error { return r.job.End(context.WithoutCancel(ctx), err == nil) })
	if err == nil && endErr != nil {
		err = endErr
	}
	var exc *ipam.IpamException
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			// Cancelled: say why (a graceful stop's drain timeout, the
			// session ending) rather than "context canceled".
			// The cause may be any error; it is the port type's failure.
			err = adm.Or(fmt.Errorf("%s cancelled: %w", r.kind, context.Cause(ctx)), context.Canceled)
		}
		if !adm.Known(err) && r.log != nil {
			// The client sees adm.InternalErrorMessage; the cause is here.
			r.log.Warn("work failed", zap.String("kind", string(r.kind)), zap.Error(err))
		}
		exc = adm.Exception(err, r.failureID)
	}
	id := ""
	if exc != nil {
		id = exc.ExceptionID
	}
	obs.WorkFinished(r.kind, time.Since(began), rows.rows.Load(), id)
	// Complete goes out even when ctx is cancelled by the session ending; it
	// then fails harmlessly on the closed transport.
	_ = r.contained("sending Notify…Complete", func() error { return r.complete(ctx, exc) })
}
