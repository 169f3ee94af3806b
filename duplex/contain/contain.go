// Package contain turns a panic in a goroutine that runs client-influenced
// work into a logged error, so one bad session ends alone and the daemon
// keeps serving the others. The log entry is bounded: the panic
// value is cut to MaxPanicText bytes (it may quote client data; cut like
// every echo of client text, by xmlstream.Truncate), and the stack, which
// can be long, is logged at debug level only.
package contain

import (
	"errors"
	"fmt"
	"runtime/debug"

	"go.uber.org/zap"

	"github.com/ipamd/ipamd/soap/xmlstream"
)

// MaxPanicText bounds the panic value in the log entry and the error (the
// cut, when there is one, is marked after it).
const MaxPanicText = 256

// ErrPanic is wrapped by the errors Recovered returns.
var ErrPanic = errors.New("internal error (panic)")

// Recovered logs r, the value of a recover() in the goroutine that does
// what, and returns an error wrapping ErrPanic. Call it only with a non-nil
// r:
//
//	defer func() {
//		if r := recover(); r != nil {
//			err = contain.Recovered(log, "serving connection", r, zap.String(...))
//		}
//	}()
func Recovered(log *zap.Logger, what string, r any, fields ...zap.Field) error {
	text := xmlstream.Truncate(fmt.Sprint(r), MaxPanicText)
	if log != nil {
		log.Error("panic recovered: "+what, append(fields, zap.String("panic", text))...)
		if ce := log.Check(zap.DebugLevel, "panic stack: "+what); ce != nil {
			ce.Write(zap.ByteString("stack", debug.Stack()))
		}
	}
	return fmt.Errorf("%s: %w: %s", what, ErrPanic, text)
}
