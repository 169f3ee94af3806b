package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"go.uber.org/zap/zapcore"
)

// The log is written through a logBuffer: every session logs
// one info line ("session completed"), and its write to stderr was a
// system call per session (2.6 % of the server's CPU under load). A line
// that comes after a quiet spell is written at once; the lines that follow
// it within logFlushInterval are gathered and written together when the
// interval ends, so a busy server writes its log about 1/logFlushInterval
// times a second and an idle one shows each line as it happens. Lines at
// warn and above are written at once with what is held before them
// (urgentCore), Sync writes what is held (zap calls it before Fatal and
// Panic, the serve command at exit), and Stop does so for the last time.
//
// What a crash can lose: the info lines of the last logFlushInterval
// before the process dies without running its exit path (SIGKILL, an
// unrecovered panic on another goroutine, the OOM killer), at most
// logBufferMax bytes of them. An orderly stop (SIGTERM, SIGINT, the
// service manager's stop, a second signal's forced exit) loses nothing
// (docs/reliability.md).

const (
	// logFlushInterval is the longest an info line waits in the buffer.
	logFlushInterval = 50 * time.Millisecond
	// logBufferMax bounds what is held: a line that would take the
	// buffer past it writes what is held first; a longer line goes out
	// alone.
	logBufferMax = 64 << 10
)

// logBuffer is a zapcore.WriteSyncer that holds lines for at most
// interval. Write errors are reported once, on errOut, and the lines
// that failed are dropped rather than kept: the buffer stays bounded
// whatever the sink does.
type logBuffer struct {
	out      zapcore.WriteSyncer
	errOut   io.Writer
	interval time.Duration
	max      int

	mu      sync.Mutex
	buf     []byte
	window  bool // a line was written within the interval: hold the next ones
	timer   *time.Timer
	stopped bool
	failed  bool // a write failed and was reported
}

func newLogBuffer(out zapcore.WriteSyncer, errOut io.Writer, interval time.Duration, max int) *logBuffer {
	// The held lines' storage is made once: a buffer that grew past max
	// by append, and was dropped at each flush, was made again per window.
	b := &logBuffer{out: out, errOut: errOut, interval: interval, max: max, buf: make([]byte, 0, max)}
	b.timer = time.AfterFunc(time.Hour, b.tick)
	b.timer.Stop()
	return b
}

// Write implements zapcore.WriteSyncer. It does not fail: a failed write
// is reported once by the buffer itself, not once per line by zap.
func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.stopped:
		b.writeLocked(p)
	case !b.window:
		// The first line after a quiet spell goes out now and opens
		// a window in which the next ones are held.
		b.writeLocked(p)
		b.window = true
		b.timer.Reset(b.interval)
	default:
		if len(b.buf)+len(p) > b.max {
			b.flushLocked()
		}
		if len(p) > b.max {
			b.writeLocked(p)
		} else {
			b.buf = append(b.buf, p...)
		}
	}
	return len(p), nil
}

// tick ends a window: what is held goes out, and a window with lines in
// it is followed by another (the server is busy); an empty one closes.
func (b *logBuffer) tick() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped {
		return
	}
	if len(b.buf) == 0 {
		b.window = false
		return
	}
	b.flushLocked()
	b.timer.Reset(b.interval)
}

// Flush writes what is held.
func (b *logBuffer) Flush() {
	b.mu.Lock()
	b.flushLocked()
	b.mu.Unlock()
}

// Sync implements zapcore.WriteSyncer: what is held is written, then the
// sink is synced.
func (b *logBuffer) Sync() error {
	b.Flush()
	return b.out.Sync()
}

// Stop writes what is held and writes every later line at once: the
// process is ending. The timer is stopped.
func (b *logBuffer) Stop() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.flushLocked()
	b.stopped = true
	b.timer.Stop()
}

func (b *logBuffer) flushLocked() {
	if len(b.buf) == 0 {
		return
	}
	b.writeLocked(b.buf)
	if cap(b.buf) > b.max {
		b.buf = nil
	} else {
		b.buf = b.buf[:0]
	}
}

func (b *logBuffer) writeLocked(p []byte) {
	n, err := b.out.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	if err != nil && !b.failed {
		b.failed = true
		_, _ = fmt.Fprintf(b.errOut, "ipamd: writing the log failed, lines are lost (later failures are not reported): %v\n", err)
	}
}

// urgentCore writes what the buffer holds as soon as a line at warn or
// above has been added to it, so a warning or an error is never late.
type urgentCore struct {
	zapcore.Core
	buf *logBuffer
}

func (c *urgentCore) With(fields []zapcore.Field) zapcore.Core {
	return &urgentCore{c.Core.With(fields), c.buf}
}

func (c *urgentCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c *urgentCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	err := c.Core.Write(e, fields)
	if e.Level >= zapcore.WarnLevel {
		c.buf.Flush()
	}
	return err
}
