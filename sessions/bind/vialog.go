package bind

import (
	"sync"
	"sync/atomic"

	"go.uber.org/zap"
)

// A session's logger carries the Via its client sent. Encoding that field
// per session (zap's With, or WithLazy once a line is logged) cost an
// encoder clone per session (issue 16, docs/performance.md); the Vias of
// a listener's sessions are a handful of strings, so the logger with the
// field encoded is made once per port logger and Via. The Via is client
// text (cut to the echo bound by the caller): past maxViaLoggers
// distinct ones the field is added per session again, so a client
// inventing Vias costs time, never unbounded memory.
const maxViaLoggers = 32

type viaKey struct {
	base *zap.Logger
	via  string
}

var (
	viaLoggers sync.Map // viaKey → *zap.Logger
	viaCount   atomic.Int32
)

// viaLogger is base with the via field.
func viaLogger(base *zap.Logger, via string) *zap.Logger {
	k := viaKey{base, via}
	if l, ok := viaLoggers.Load(k); ok {
		return l.(*zap.Logger)
	}
	if viaCount.Load() >= maxViaLoggers {
		return base.WithLazy(zap.String("via", via))
	}
	l := base.With(zap.String("via", via))
	if prev, loaded := viaLoggers.LoadOrStore(k, l); loaded {
		return prev.(*zap.Logger)
	}
	viaCount.Add(1)
	return l
}
