package convert_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/ipamd/ipamd/services/progress"
	"github.com/ipamd/ipamd/store/convert"
	"github.com/ipamd/ipamd/store/schema"
)

// workReporter is what the services put in the work's context: it counts
// rows and records steps, as ipamd_work_rows_total and ipamd_work_step do.
type workReporter struct {
	mu    sync.Mutex
	rows  int64
	steps []string
}

func (r *workReporter) AddRows(n int64) { r.mu.Lock(); r.rows += n; r.mu.Unlock() }
func (r *workReporter) Step(s string)   { r.mu.Lock(); r.steps = append(r.steps, s); r.mu.Unlock() }

// TestConvertReportsRows: a real conversion reports the rows of its
// committed batches (at least every address) and each step it enters, in
// order, through the context — what makes ipamd_work_rows_total move.
//
// Rule G11. (docs/protocol.md)
func TestConvertReportsRows(t *testing.T) {
	forEngines(t, func(t *testing.T, d schema.Dialect) {
		const addresses = 1500
		s := legacyStore(t, d, addresses)
		r := &workReporter{}
		ctx := progress.WithReporter(context.Background(), r)
		if err := convert.Run(ctx, s.db, d, convert.Options{Now: clock, BatchSize: 400}); err != nil {
			t.Fatalf("Run: %v", err)
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.rows < addresses {
			t.Errorf("rows reported = %d, want at least the %d addresses", r.rows, addresses)
		}
		if !slices.Equal(r.steps, convert.StepNames()) {
			t.Errorf("steps reported %q,\nwant %q", r.steps, convert.StepNames())
		}
	})
}
