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
	f := [7]zap.Field{zap.String("session_id", s.id), zap.String("port_type", s.binding.Port.Name),
		zap.String("remote_addr", remote), zap.String("caller", s.identity.String()),
		zap.String("from_state", s.binding.StateNames[from])}
	n := 5
	if s.peer.Via != "" {
		f[n] = zap.String("via", s.opts.Limits.Echo(s.peer.Via))
		n++
	}
	ce.Write(f[:n]...)
}
