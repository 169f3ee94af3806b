package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// TestLogLineBounded: whatever a field carries, a log line stays small.
func TestLogLineBounded(t *testing.T) {
	var buf bytes.Buffer
	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	log := zap.New(&boundedCore{zapcore.NewCore(enc, zapcore.AddSync(&buf), zapcore.DebugLevel)})
	huge := strings.Repeat("x", 1<<20)
	log.With(zap.String("with", huge)).Warn(huge, zap.String("action", huge), zap.Error(errors.New(huge)),
		zap.Stringer("s", stringer(huge)), zap.Int("n", 1), zap.String("short", "ok"))
	line := buf.String()
	if len(line) > 4*1024 {
		t.Fatalf("log line of %d bytes", len(line))
	}
	buf.Reset()
	log.Error("panic", zap.Stack("stack"), zap.String("stack", strings.Repeat("f\n", 1000)))
	if !strings.Contains(buf.String(), strings.Repeat(`f\n`, 1000)) {
		t.Errorf("a stack trace field was cut: %.200s", buf.String())
	}
	for _, want := range []string{`"short":"ok"`, `"n":1`, "truncated"} {
		if !strings.Contains(line, want) {
			t.Errorf("line lacks %s: %.300s", want, line)
		}
	}
}

type stringer string

func (s stringer) String() string { return string(s) }
