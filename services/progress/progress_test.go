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

type stepCounter struct {
	counter
	steps []string
}

func (c *stepCounter) Step(name string) { c.steps = append(c.steps, name) }

func TestStep(t *testing.T) {
	Step(context.Background(), "x")                           // no reporter: nothing happens
	Step(WithReporter(context.Background(), &counter{}), "x") // rows only: ignored
	c := &stepCounter{}
	ctx := WithReporter(context.Background(), c)
	Step(ctx, "schema")
	Step(ctx, "")
	Step(ctx, "seed")
	AddRows(ctx, 2)
	if len(c.steps) != 2 || c.steps[0] != "schema" || c.steps[1] != "seed" || c.n.Load() != 2 {
		t.Fatalf("steps %q rows %d", c.steps, c.n.Load())
	}
}
