// Package progress carries a row counter in a context, so that the data
// store can say how much of a provisioning or schema conversion it has done
// without importing the rest of the services layer that runs the work
// (services never import the store; this package imports neither).
//
// The services layer puts a Reporter in the work's context; the store calls
// AddRows as it writes and Step as it enters each step. Without a Reporter
// both do nothing, so the store needs no special case for callers that do
// not count.
package progress

import "context"

// Reporter receives row counts. It must be safe for concurrent use and
// cheap: a store may call it once per batch.
type Reporter interface {
	AddRows(n int64)
}

// StepReporter is a Reporter that also wants the name of the step the work
// has entered (a provisioning seed table, a conversion step). Names come
// from a fixed list in the store, so they are fit for a metric label.
type StepReporter interface {
	Reporter
	Step(name string)
}

type key struct{}

// WithReporter returns ctx carrying r.
func WithReporter(ctx context.Context, r Reporter) context.Context {
	return context.WithValue(ctx, key{}, r)
}

// AddRows reports n more rows written (or converted) to the Reporter in
// ctx, if any.
func AddRows(ctx context.Context, n int64) {
	if r, ok := ctx.Value(key{}).(Reporter); ok && n != 0 {
		r.AddRows(n)
	}
}

// Step reports that the work entered the step name, to the Reporter in ctx
// if it is a StepReporter.
func Step(ctx context.Context, name string) {
	if r, ok := ctx.Value(key{}).(StepReporter); ok && name != "" {
		r.Step(name)
	}
}
