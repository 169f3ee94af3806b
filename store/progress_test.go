package store

import (
	"sync"
	"testing"

	"github.com/ipamd/ipamd/services/progress"
	"github.com/ipamd/ipamd/store/schema"
	"github.com/ipamd/ipamd/store/storetest"
)

// seedReporter counts what provisioning reports through the context.
type seedReporter struct {
	mu    sync.Mutex
	rows  int64
	steps []string
}

func (r *seedReporter) AddRows(n int64) { r.mu.Lock(); r.rows += n; r.mu.Unlock() }
func (r *seedReporter) Step(s string)   { r.mu.Lock(); r.steps = append(r.steps, s); r.mu.Unlock() }

// TestProvisionReportsRows: provisioning reports every row it seeds (the
// rows the new store holds, no more) and its steps, schema first — what
// makes ipamd_work_rows_total move for provisioning.
//
// Rule G11. (docs/protocol.md)
func TestProvisionReportsRows(t *testing.T) {
	forEngines(t, func(t *testing.T, e storetest.Engine) {
		s := openStore(t, newConfig(t, e), Options{})
		r := &seedReporter{}
		if _, err := s.Provision(progress.WithReporter(testCtx(t), r), ProvisionParams{CreateNewSchema: true}); err != nil {
			t.Fatal(err)
		}
		var stored int64
		for _, tb := range schema.V2.Tables {
			stored += int64(count(t, s, "SELECT COUNT(*) FROM "+schema.Quote(tb.Name)))
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.rows == 0 || r.rows != stored {
			t.Errorf("rows reported = %d, the new store holds %d", r.rows, stored)
		}
		if len(r.steps) < 2 || r.steps[0] != "schema" || r.steps[1] != "seed "+schema.CommonProperties {
			t.Errorf("steps %q, want schema, seed %s, …", r.steps, schema.CommonProperties)
		}
	})
}
