package sessions

import (
	"sync"
	"sync/atomic"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// The "session completed" line is the one info line every session logs
// (operators count sessions by it). It was 8 % of the server's CPU per
// session (issue 16, docs/performance.md): zap's caller annotation (a
// stack walk per line), and materialising the session's lazy logger —
// encoding its fields into a clone of the encoder — for this one line.
// It is written instead by the port's logger without caller annotation,
// with the session's fields given to the one Write: no stack walk, no
// encoder clone beyond the one every entry takes.

// maxQuietLoggers bounds quietLoggers: on net.tcp the logger is the
// port's, so a few suffice; HTTP sessions each have a logger of their
// own, of which at most this many are kept (a few KiB). Beyond it the
// clone is made per line, one allocation.
const maxQuietLoggers = 64

var (
	quietLoggers sync.Map // *zap.Logger → *zap.Logger without caller annotation
	quietCount   atomic.Int32
)

// quietLogger is l without caller annotation, made once per l.
func quietLogger(l *zap.Logger) *zap.Logger {
	if q, ok := quietLoggers.Load(l); ok {
		return q.(*zap.Logger)
	}
	q := l.WithOptions(zap.WithCaller(false))
	if quietCount.Load() < maxQuietLoggers {
		if prev, loaded := quietLoggers.LoadOrStore(l, q); loaded {
			return prev.(*zap.Logger)
		}
		quietCount.Add(1)
	}
	return q
}

// logCompleted writes the session's "session completed" line (info), with
// the fields the session's logger carries and the state it completed from.
func (s *Session) logCompleted(from State) {
	ce := quietLogger(s.opts.Logger).Check(zapcore.InfoLevel, "session completed")
	if ce == nil {
		return
	}
	remote := ""
	if s.peer.Addr != nil {
		remote = s.peer.Addr.String()
	}
	f := completedFields.Get().(*[6]zap.Field)
	f[0], f[1] = zap.String("session_id", s.id), zap.String("port_type", s.binding.Port.Name)
	f[2], f[3] = zap.String("remote_addr", remote), zap.String("caller", s.identity.String())
	f[4] = zap.String("from_state", s.binding.StateNames[from])
	n := 5
	if s.peer.Via != "" {
		f[n] = zap.String("via", s.opts.Limits.Echo(s.peer.Via))
		n++
	}
	ce.Write(f[:n]...)
	*f = [6]zap.Field{}
	completedFields.Put(f)
}

// completedFields lends logCompleted its fields: given to the cores through
// an interface, an array on the stack escapes, a few hundred bytes a
// session. The cores encode them before Write returns and keep none.
var completedFields = sync.Pool{New: func() any { return new([6]zap.Field) }}
