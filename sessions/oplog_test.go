package sessions

import (
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/ipamd/ipamd/services"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// TestOpLogFields: a line logged while an operation is handled carries the
// operation and its message id, names its call site in session.go (not
// the helper that writes it), and the session's own fields; and the
// completed session's line carries the session's fields and the state it
// completed from. It fails if the operation's fields or the caller are
// lost by the lines made only when written.
func TestOpLogFields(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	h := startSession(t, provisionBinding(services.NewMemory(false, false), 0, ""),
		Options{Logger: zap.New(core, zap.AddCaller()).With(zap.String("via", "v"))})
	id := h.send(ipam.ActionInitializeAsyncProvisioning, true, initRequest())
	if r, _ := h.next(); r.fault != nil {
		t.Fatalf("Initialize: %+v", r.fault)
	}
	h.send(ipam.ActionInitializeAsyncProvisioning, true, initRequest()) // refused: already initialized
	if r, _ := h.next(); r.fault == nil {
		t.Fatal("second Initialize not refused")
	}
	entries := logs.FilterMessage("operation refused by the state machine").All()
	if len(entries) != 1 {
		t.Fatalf("%d refusal lines, want 1: %v", len(entries), logs.All())
	}
	e := entries[0]
	m := e.ContextMap()
	if m["operation"] != "InitializeAsyncProvisioning" || m["message_id"] == "" || m["message_id"] == id || m["state"] == nil || m["via"] != "v" || m["session_id"] == nil {
		t.Errorf("refusal fields %v", m)
	}
	if !e.Caller.Defined || filepath.Base(e.Caller.File) != "session.go" {
		t.Errorf("refusal caller %v, want session.go", e.Caller)
	}

	h.send(ipam.ActionStartAsyncProvisioning, false, &ipam.StartAsyncProvisioning{})
	deadline := time.Now().Add(5 * time.Second)
	for logs.FilterMessage("session completed").Len() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no completion line: %v", logs.All())
		}
		time.Sleep(5 * time.Millisecond)
	}
	c := logs.FilterMessage("session completed").All()[0].ContextMap()
	for _, k := range []string{"session_id", "port_type", "remote_addr", "caller", "from_state", "via"} {
		if c[k] == nil || c[k] == "" {
			t.Errorf("completion line lacks %s: %v", k, c)
		}
	}
}
