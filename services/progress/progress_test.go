package progress

import (
	"context"
	"sync/atomic"
	"testing"
)

type counter struct{ n atomic.Int64 }

func (c *counter) AddRows(n int64) { c.n.Add(n) }

func TestAddRows(t *testing.T) {
	AddRows(context.Background(), 5) // no reporter: nothing happens, no panic
	c := &counter{}
	ctx := WithReporter(context.Background(), c)
	child, cancel := context.WithCancel(ctx)
	defer cancel()
	for _, n := range []int64{3, 0, 4} {
		AddRows(child, n)
	}
	if got := c.n.Load(); got != 7 {
		t.Fatalf("rows = %d, want 7", got)
	}
}
