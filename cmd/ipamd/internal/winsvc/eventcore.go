package winsvc

import (
	"strings"

	"go.uber.org/zap/zapcore"
)

// EventWriter is the Event Log (golang.org/x/sys/windows/svc/eventlog.Log
// and its console stand-in debug.ConsoleLog both have these methods).
type EventWriter interface {
	Info(eid uint32, msg string) error
	Warning(eid uint32, msg string) error
	Error(eid uint32, msg string) error
}

// Event IDs of ipamd's entries (EventCreate sources take 1..1000).
const (
	EventInfo    = 1
	EventWarning = 2
	EventError   = 3
)

// NewEventCore returns a zap core that writes each entry to w as one Event
// Log record: the message, then the fields as JSON. Under the SCM stderr
// goes nowhere, so the service tees its logger into this core.
func NewEventCore(w EventWriter, level zapcore.LevelEnabler) zapcore.Core {
	cfg := zapcore.EncoderConfig{
		MessageKey: "msg", LevelKey: "", TimeKey: "", NameKey: "logger", CallerKey: "", StacktraceKey: "stacktrace",
		LineEnding: "", EncodeDuration: zapcore.StringDurationEncoder,
	}
	return &eventCore{LevelEnabler: level, enc: zapcore.NewJSONEncoder(cfg), w: w}
}

type eventCore struct {
	zapcore.LevelEnabler
	enc zapcore.Encoder
	w   EventWriter
}

func (c *eventCore) With(fields []zapcore.Field) zapcore.Core {
	enc := c.enc.Clone()
	for _, f := range fields {
		f.AddTo(enc)
	}
	return &eventCore{LevelEnabler: c.LevelEnabler, enc: enc, w: c.w}
}

func (c *eventCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c *eventCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	buf, err := c.enc.EncodeEntry(e, fields)
	if err != nil {
		return err
	}
	msg := strings.TrimSpace(buf.String())
	buf.Free()
	switch {
	case e.Level >= zapcore.ErrorLevel:
		return c.w.Error(EventError, msg)
	case e.Level == zapcore.WarnLevel:
		return c.w.Warning(EventWarning, msg)
	default:
		return c.w.Info(EventInfo, msg)
	}
}

func (c *eventCore) Sync() error { return nil }
