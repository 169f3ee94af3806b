package sessions

import (
	"sync/atomic"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// sessionLog is a session's logger, built at the first entry that is
// logged: a held session (issue 16, docs/performance.md "Held sessions")
// that logs nothing at the configured level keeps no logger of its own
// and no field slice, only this. Its methods are those of *zap.Logger
// that the session uses.
type sessionLog struct {
	s     *Session
	built atomic.Pointer[zap.Logger]
}

// fields are the session's log fields: via (net.tcp), session id, port
// type, remote address, caller.
func (l *sessionLog) fields(extra int) []zap.Field {
	s := l.s
	f := make([]zap.Field, 0, 5+extra)
	if s.peer.Via != "" {
		f = append(f, zap.String("via", s.opts.Limits.Echo(s.peer.Via)))
	}
	return append(f, zap.String("session_id", s.id), zap.String("port_type", s.binding.Port.Name),
		zap.Stringer("remote_addr", s.peer.Addr), zap.Stringer("caller", s.identity))
}

// logger returns the session's logger, building it once.
func (l *sessionLog) logger() *zap.Logger {
	if lg := l.built.Load(); lg != nil {
		return lg
	}
	l.built.CompareAndSwap(nil, l.s.opts.Logger.WithLazy(l.fields(0)...))
	return l.built.Load()
}

// Check is zap.Logger.Check; nothing is built for a level that is off.
func (l *sessionLog) Check(lvl zapcore.Level, msg string) *zapcore.CheckedEntry {
	if !l.s.opts.Logger.Core().Enabled(lvl) {
		return nil
	}
	return l.logger().Check(lvl, msg)
}

func (l *sessionLog) write(lvl zapcore.Level, msg string, fields []zap.Field) {
	if ce := l.Check(lvl, msg); ce != nil {
		ce.Write(fields...)
	}
}

func (l *sessionLog) Debug(msg string, fields ...zap.Field) { l.write(zap.DebugLevel, msg, fields) }
func (l *sessionLog) Info(msg string, fields ...zap.Field)  { l.write(zap.InfoLevel, msg, fields) }
func (l *sessionLog) Warn(msg string, fields ...zap.Field)  { l.write(zap.WarnLevel, msg, fields) }
func (l *sessionLog) Error(msg string, fields ...zap.Field) { l.write(zap.ErrorLevel, msg, fields) }

// WithLazy is zap.Logger.WithLazy: a logger for one message's handling,
// made from the session's fields without building the session's own.
func (l *sessionLog) WithLazy(fields ...zap.Field) *zap.Logger {
	if lg := l.built.Load(); lg != nil {
		return lg.WithLazy(fields...)
	}
	return l.s.opts.Logger.WithLazy(append(l.fields(len(fields)), fields...)...)
}

// enabled reports whether lvl is logged at all, without building anything.
func (l *sessionLog) enabled(lvl zapcore.Level) bool { return l.s.opts.Logger.Core().Enabled(lvl) }
