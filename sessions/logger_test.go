package sessions

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/ipamd/ipamd/services"
	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// TestSessionLogBuiltOnFirstEntry: a session that logs nothing at the
// configured level (an initialized session waiting for its client) holds no
// logger of its own; its first entry carries every session field, the Via
// included.
func TestSessionLogBuiltOnFirstEntry(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	opts := Options{Logger: zap.New(core)}
	h := &harness{t: t, conn: newMemTransport(soap.EncodingText, opts.Limits, nil), client: soap.NewCodec(soap.EncodingText, soap.Limits{}),
		reader: soap.NewCodec(soap.EncodingText, soap.Limits{}), done: make(chan error, 1)}
	h.conn.peer.Via = "net.tcp://ipam.example/ipam/IIpamAsyncProvision"
	h.s = newSession(context.Background(), provisionBinding(services.NewMemory(false, false), time.Second, ""), h.conn, opts)
	go func() { h.done <- h.s.Serve() }()
	t.Cleanup(func() {
		h.conn.Abort()
		<-h.done
	})

	h.send(ipam.ActionInitializeAsyncProvisioning, true, initRequest())
	if r, _ := h.next(); r.fault != nil {
		t.Fatalf("Initialize: %+v", r)
	}
	h.send(ipam.ActionKeepalive, false, emptyBody{})
	h.send(ipam.ActionInitializeAsyncProvisioning, true, initRequest()) // refused by the state machine: Info
	if r, _ := h.next(); r.fault == nil {
		t.Fatalf("second Initialize: %+v", r)
	}
	entries := logs.FilterMessage("operation refused by the state machine").All()
	if len(entries) != 1 {
		t.Fatalf("entries: %+v", logs.All())
	}
	got := entries[0].ContextMap()
	for _, k := range []string{"via", "session_id", "port_type", "remote_addr", "caller", "operation", "message_id", "state"} {
		if _, ok := got[k]; !ok {
			t.Errorf("field %q missing: %v", k, got)
		}
	}
	if got["via"] != h.conn.peer.Via {
		t.Errorf("via = %v", got["via"])
	}
	if h.s.log.built.Load() != nil {
		t.Error("a per-message logger built the session's own")
	}
	h.s.log.Info("probe")
	if h.s.log.built.Load() == nil {
		t.Error("an entry at Info did not build the session's logger")
	}
	if e := logs.FilterMessage("probe").All(); len(e) != 1 || e[0].ContextMap()["session_id"] != h.s.id {
		t.Errorf("probe entry: %+v", e)
	}
}
