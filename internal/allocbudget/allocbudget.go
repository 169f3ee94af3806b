// Package allocbudget enforces per-message allocation budgets: a
// package lists what it does once per message as Cases; its
// BenchmarkPerMessage reports ns/op and allocs/op through Bench, and its
// TestAllocBudgets fails through Check when a case allocates more than its
// budget. A budget is the count measured when it was set: lower it when a
// change beats it, never raise it without saying why in the commit.
package allocbudget

import "testing"

// A Case is one per-message operation: Setup prepares it (warm tables,
// reused buffers) and returns the operation, which fails tb on error.
type Case struct {
	Name   string
	Budget float64
	Setup  func(tb testing.TB) func(tb testing.TB)
}

// Bench runs each case as a sub-benchmark with allocation reporting.
func Bench(b *testing.B, cases []Case) {
	for _, c := range cases {
		b.Run(c.Name, func(b *testing.B) {
			op := c.Setup(b)
			b.ReportAllocs()
			for b.Loop() {
				op(b)
			}
		})
	}
}

// Check fails t for each case that allocates more than its budget. Under
// the race detector it skips: race mode changes allocation counts (and
// sync.Pool drops entries at random), so `make budgets` runs it without.
func Check(t *testing.T, cases []Case) {
	if RaceEnabled {
		t.Skip("the race detector changes allocation counts; `make budgets` runs this without -race")
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			op := c.Setup(t)
			op(t) // warm: session tables, buffers
			if got := testing.AllocsPerRun(200, func() { op(t) }); got > c.Budget {
				t.Errorf("%s: %v allocs per message, budget %v", c.Name, got, c.Budget)
			}
		})
	}
}
