package main

import (
	"fmt"
	"os"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/ipamd/ipamd/config"
	"github.com/ipamd/ipamd/soap/xmlstream"
)

// newLogger builds the root logger: zap's production config (JSON to
// stderr, ISO8601 time) without sampling, or the console encoder for
// log.format=console. Errors carry a stack trace only while the level is
// debug: at other levels an error is its one line (a stack trace after
// "address already in use" tells an operator nothing). Pass it down and derive children with Named. The
// returned level changes it at run time (/log/level, SIGHUP). extra, when
// not nil, gets every entry too (the Windows Event Log), gated by the same
// level. Lines reach stderr through a logBuffer (logbuf.go); stop writes
// what it holds and must run before the process exits (Sync does too).
func newLogger(lc config.Log, extra func(zapcore.LevelEnabler) zapcore.Core) (log *zap.Logger, atom zap.AtomicLevel, stop func(), err error) {
	level, err := zapcore.ParseLevel(lc.Level)
	if err != nil {
		return nil, zap.AtomicLevel{}, nil, err
	}
	atom = zap.NewAtomicLevelAt(level)
	ec := zap.NewProductionEncoderConfig()
	ec.EncodeTime = zapcore.ISO8601TimeEncoder
	ec.EncodeDuration = zapcore.StringDurationEncoder
	enc := zapcore.NewJSONEncoder(ec)
	if lc.Format == config.LogFormatConsole {
		ec.EncodeLevel = zapcore.CapitalLevelEncoder
		enc = zapcore.NewConsoleEncoder(ec)
	}
	stderr := zapcore.Lock(os.Stderr)
	buf := newLogBuffer(stderr, stderr, logFlushInterval, logBufferMax)
	var core zapcore.Core = &urgentCore{zapcore.NewCore(enc, buf, atom), buf}
	if extra != nil {
		core = zapcore.NewTee(core, extra(atom))
	}
	// Last, so that every core (the service manager's too) gets bounded fields.
	core = &boundedCore{core}
	// What zap's production configuration gave, without sampling, and
	// with stack traces on errors only at debug.
	log = zap.New(core, zap.ErrorOutput(stderr), zap.AddCaller(),
		zap.AddStacktrace(zap.LevelEnablerFunc(func(l zapcore.Level) bool {
			return l >= zapcore.ErrorLevel && atom.Enabled(zapcore.DebugLevel)
		})))
	return log, atom, buf.Stop, nil
}

// maxLogField bounds the text of one log field (and the message), so that
// a log line stays within a few KiB whatever a client sent: the sites that
// log client input truncate it themselves (soap.Limits.Echo); this is the net
// under them (docs/security.md, "Resource budgets").
const maxLogField = 512

// stackKeys are the keys of zap.Stack fields: ipamd's own stack traces
// (of a recovered panic), which must stay whole to be of use.
var stackKeys = map[string]bool{"stack": true, "stacktrace": true}

// boundedCore cuts string, error and Stringer fields to maxLogField, except
// stack traces. Used by pointer: Check hands the core on as an interface,
// which for a struct value costs an allocation per logged line.
type boundedCore struct{ zapcore.Core }

func (c *boundedCore) With(fields []zapcore.Field) zapcore.Core {
	return &boundedCore{c.Core.With(boundFields(fields))}
}

func (c *boundedCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c *boundedCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	if len(e.Message) > maxLogField {
		e.Message = xmlstream.Truncate(e.Message, maxLogField)
	}
	return c.Core.Write(e, boundFields(fields))
}

// boundFields returns fields with long texts cut; it copies only when it
// must change something.
func boundFields(fields []zapcore.Field) []zapcore.Field {
	var out []zapcore.Field
	for i, f := range fields {
		var s string
		switch f.Type {
		case zapcore.StringType:
			if len(f.String) <= maxLogField || stackKeys[f.Key] {
				continue
			}
			s = f.String
		case zapcore.ErrorType, zapcore.StringerType:
			var ok bool
			if s, ok = fieldText(f.Interface); !ok || len(s) <= maxLogField {
				continue
			}
		default:
			continue
		}
		if out == nil {
			out = append([]zapcore.Field(nil), fields...)
		}
		out[i] = zap.String(f.Key, xmlstream.Truncate(s, maxLogField))
	}
	if out == nil {
		return fields
	}
	return out
}

// fieldText is the text zap would log for an error or Stringer field; ok is
// false when there is none (nil, or a method that panics: zap reports that
// itself).
func fieldText(v any) (s string, ok bool) {
	defer func() {
		if recover() != nil {
			s, ok = "", false
		}
	}()
	switch v := v.(type) {
	case error:
		return v.Error(), true
	case fmt.Stringer:
		return v.String(), true
	}
	return "", false
}
