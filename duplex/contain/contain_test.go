package contain

import (
	"errors"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

func TestRecoveredBounded(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	var err error
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = Recovered(zap.New(core), "serving a session", r, zap.String("remote_addr", "127.0.0.2:1"))
			}
		}()
		panic(strings.Repeat("é", 10000)) // a client string in a panic value
	}()
	if !errors.Is(err, ErrPanic) {
		t.Fatalf("err = %v, want ErrPanic", err)
	}
	entries := logs.All()
	if len(entries) != 1 || entries[0].Level != zapcore.ErrorLevel {
		t.Fatalf("logged %d entries at info+, want 1 error (the stack is debug)", len(entries))
	}
	p := entries[0].ContextMap()["panic"].(string)
	// The cut keeps MaxPanicText bytes and marks it: "…[truncated N bytes]".
	const mark = 40
	if len(p) > MaxPanicText+mark || !strings.Contains(p, "…[truncated ") {
		t.Fatalf("panic field of %d bytes, want ≤ %d and the cut marked", len(p), MaxPanicText+mark)
	}
	if len(err.Error()) > MaxPanicText+mark+64 {
		t.Fatalf("error of %d bytes", len(err.Error()))
	}
}
