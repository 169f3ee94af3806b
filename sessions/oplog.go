package sessions

import (
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// opLog logs for the handling of one operation: the session's logger with
// the operation's fields added to each line. Nothing is made unless a line
// is written — a logger derived per message (WithLazy) cost four
// allocations per message on a path that logs nothing at info.
type opLog struct {
	s      *Session
	fields [2]zap.Field
	n      int
}

func (s *Session) newOpLog(fields ...zap.Field) opLog {
	l := opLog{s: s}
	l.n = copy(l.fields[:], fields)
	return l
}

// write logs msg at lvl with the operation's fields, then fs. The logger
// that writes skips opLog's two frames, so the line names its call site. A
// session whose logger is not built yet (sessionLog) gets its fields in
// this one line rather than a logger it would then keep.
func (l *opLog) write(lvl zapcore.Level, msg string, fs []zap.Field) {
	if !l.s.log.enabled(lvl) {
		return
	}
	base, all := l.s.log.built.Load(), []zap.Field(nil)
	if base == nil {
		base, all = l.s.opts.Logger, l.s.log.fields(l.n+len(fs))
	}
	if ce := base.WithOptions(zap.AddCallerSkip(2)).Check(lvl, msg); ce != nil {
		ce.Write(append(append(all, l.fields[:l.n]...), fs...)...)
	}
}

func (l *opLog) Debug(msg string, fs ...zap.Field) { l.write(zapcore.DebugLevel, msg, fs) }
func (l *opLog) Info(msg string, fs ...zap.Field)  { l.write(zapcore.InfoLevel, msg, fs) }
func (l *opLog) Warn(msg string, fs ...zap.Field)  { l.write(zapcore.WarnLevel, msg, fs) }
func (l *opLog) Error(msg string, fs ...zap.Field) { l.write(zapcore.ErrorLevel, msg, fs) }
