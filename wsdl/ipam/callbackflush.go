package ipam

import "context"

// A transport may hold the callbacks a port implementation sends, so that
// what one request produces — Notify…Start, Notify…Complete and the end
// of the session when the work is refused at once — leaves in one write.
// It must not hold them while the implementation waits: a
// client that sees no Notify…Start has no sign that its work began. So
// before anything that may wait (the data store, a lock, the network) the
// implementation calls FlushCallbacks, and what is held goes out now. A
// context without a flusher (a client, a test) makes it a no-op.

// CallbackFlusher sends at once the callbacks held for its session.
type CallbackFlusher interface{ FlushCallbacks() }

type callbackFlusherKey struct{}

// WithCallbackFlusher returns ctx carrying f, for FlushCallbacks.
func WithCallbackFlusher(ctx context.Context, f CallbackFlusher) context.Context {
	return context.WithValue(ctx, callbackFlusherKey{}, f)
}

// FlushCallbacks sends the callbacks held for ctx's session now; call it
// before work that may wait.
func FlushCallbacks(ctx context.Context) {
	if f, ok := ctx.Value(callbackFlusherKey{}).(CallbackFlusher); ok {
		f.FlushCallbacks()
	}
}
