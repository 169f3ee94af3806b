package services

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipamd/ipamd/services/progress"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// workLog is a WorkObserver that records what it sees.
type workLog struct {
	mu       sync.Mutex
	started  []WorkKind
	rows     int64
	finished []string // "kind rows exceptionID"
}

func (w *workLog) WorkStarted(k WorkKind) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.started = append(w.started, k)
}

func (w *workLog) WorkRows(_ WorkKind, n int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.rows += n
}

func (w *workLog) WorkStep(WorkKind, string) {}

func (w *workLog) WorkFinished(k WorkKind, d time.Duration, rows int64, id string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if d <= 0 {
		id += " (no duration)"
	}
	w.finished = append(w.finished, strings.TrimSpace(string(k)+" "+strconv.FormatInt(rows, 10)+" "+id))
}

// rowWork reports rows through services/progress, as the store does, and
// then blocks until ctx ends when block is set.
type rowWork struct {
	rows  []int64
	block bool
}

func (w rowWork) run(ctx context.Context) error {
	for _, n := range w.rows {
		progress.AddRows(ctx, n)
	}
	if w.block {
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}

// rowStore is the in-memory store whose jobs do rowWork first.
type rowStore struct {
	*Memory
	work rowWork
}

func (s rowStore) BeginProvisioning(ctx context.Context, set *ipam.IpamProvisioningSetting) (Job, error) {
	j, err := s.Memory.BeginProvisioning(ctx, set)
	if err != nil {
		return nil, err
	}
	return rowJob{j, s.work}, nil
}

func (s rowStore) BeginConversion(ctx context.Context) (Job, error) {
	j, err := s.Memory.BeginConversion(ctx)
	if err != nil {
		return nil, err
	}
	return rowJob{j, s.work}, nil
}

type rowJob struct {
	Job
	work rowWork
}

func (j rowJob) Run(ctx context.Context) error {
	if err := j.work.run(ctx); err != nil {
		return err
	}
	return j.Job.Run(ctx)
}

func TestWorkObserver(t *testing.T) {
	obs := &workLog{}
	svc := &Provision{Store: rowStore{Memory: NewMemory(false, false), work: rowWork{rows: []int64{100, 20, 3}}},
		CheckpointInterval: time.Hour, Observer: obs}
	rec := newRecorder()
	s := svc.NewSession(rec)
	if _, err := s.InitializeAsyncProvisioning(context.Background(), provisioningRequest("IPAM")); err != nil {
		t.Fatal(err)
	}
	if err := s.StartAsyncProvisioning(context.Background(), &ipam.StartAsyncProvisioning{}); err != nil {
		t.Fatal(err)
	}
	if _, exc := rec.wait(t); exc != nil {
		t.Fatalf("exception %v", exc)
	}
	conv := &SchemaConversion{Store: rowStore{Memory: NewMemory(true, true), work: rowWork{}}, CheckpointInterval: time.Hour, Observer: obs}
	rec = newRecorder()
	cs := conv.NewSession(rec)
	if err := cs.StartAsyncSchemaConversion(context.Background(), &ipam.StartAsyncSchemaConversion{}); err != nil {
		t.Fatal(err)
	}
	rec.wait(t)
	obs.mu.Lock()
	defer obs.mu.Unlock()
	want := []string{"provisioning 123", "schema_conversion 0"}
	if len(obs.started) != 2 || obs.rows != 123 || strings.Join(obs.finished, "|") != strings.Join(want, "|") {
		t.Fatalf("started %v rows %d finished %q, want 2 starts, 123 rows, %q", obs.started, obs.rows, obs.finished, want)
	}
}

// TestCancelledWorkSaysWhy: work cancelled with a cause (a graceful stop)
// completes with an exception that names the cause, and the ADM flags are
// left as before the run.
//
// Rule P20. (docs/protocol.md)
func TestCancelledWorkSaysWhy(t *testing.T) {
	obs := &workLog{}
	svc := &Provision{Store: rowStore{Memory: NewMemory(false, false), work: rowWork{rows: []int64{7}, block: true}},
		CheckpointInterval: time.Hour, Observer: obs}
	rec := newRecorder()
	s := svc.NewSession(rec)
	if _, err := s.InitializeAsyncProvisioning(context.Background(), provisioningRequest("IPAM")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	if err := s.StartAsyncProvisioning(ctx, &ipam.StartAsyncProvisioning{}); err != nil {
		t.Fatal(err)
	}
	stop := errors.New("ipamd is shutting down: drain timeout")
	cancel(stop)
	_, exc := rec.wait(t)
	if exc == nil || exc.ExceptionID != ipam.IpamApiUnabletoProvisionIpam || !strings.Contains(exc.Message, "provisioning cancelled: ipamd is shutting down: drain timeout") {
		t.Fatalf("exception %+v, want IpamApiUnabletoProvisionIpam naming the cause", exc)
	}
	if st, _ := svc.Store.State(context.Background()); st != (ADMState{}) {
		t.Fatalf("ADM = %+v after a cancelled run, want all false", st)
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if len(obs.finished) != 1 || obs.finished[0] != "provisioning 7 IpamApiUnabletoProvisionIpam" {
		t.Fatalf("finished %q", obs.finished)
	}
}

// TestShortWorkGetsACheckpoint: a run shorter than the checkpoint interval
// (a conversion of seconds under the default 5 s) still sends one
// Notify…Checkpoint, after FirstCheckpointDelay, so the client sees it move.
//
// Rules P13, C8. (docs/protocol.md)
func TestShortWorkGetsACheckpoint(t *testing.T) {
	conv := &SchemaConversion{Store: NewMemory(true, true), CheckpointInterval: 5 * time.Second,
		MinDuration: FirstCheckpointDelay + 400*time.Millisecond}
	rec := newRecorder()
	began := time.Now()
	if err := conv.NewSession(rec).StartAsyncSchemaConversion(context.Background(), &ipam.StartAsyncSchemaConversion{}); err != nil {
		t.Fatal(err)
	}
	if _, exc := rec.wait(t); exc != nil {
		t.Fatalf("exception %v", exc)
	}
	took := time.Since(began)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if got := strings.Join(rec.events, " "); got != "start checkpoint complete" || took >= conv.CheckpointInterval {
		t.Fatalf("events %q after %v, want one checkpoint in a run shorter than the %v interval", got, took, conv.CheckpointInterval)
	}
}
