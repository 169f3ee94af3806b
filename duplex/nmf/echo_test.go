package nmf

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// noRoute finds no endpoint for any Via.
type noRoute struct{}

func (noRoute) Route(*Preamble) (SessionHandler, error) { return nil, nil }

// TestViaEchoBounded: the Via a client sent is repeated in the log, and in
// the error of its EndpointNotFound, within Options.MaxEchoBytes (the
// server's own bound), cut and marked.
func TestViaEchoBounded(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	_, addr := startServer(t, Options{MaxEchoBytes: 40, Logger: zap.New(core)}, noRoute{})
	via := "net.tcp://h/" + strings.Repeat("v", 1000)
	_, err := Dial(context.Background(), addr, via, EncodingBinarySession)
	var fe *FaultError
	if !errors.As(err, &fe) || fe.URI != FaultEndpointNotFound {
		t.Fatalf("Dial = %v, want EndpointNotFound", err)
	}
	var entry []observer.LoggedEntry
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if entry = logs.FilterMessage("nmf: connection closed").All(); len(entry) > 0 {
			break
		}
	}
	if len(entry) == 0 {
		t.Fatal("no connection log")
	}
	fields := entry[0].ContextMap()
	want := via[:40] + "…[truncated " + "972" + " bytes]"
	if got, _ := fields["via"].(string); got != want {
		t.Errorf("via field %q, want %q", got, want)
	}
	if e, _ := fields["error"].(string); strings.Contains(e, via[:41]) || !strings.Contains(e, want) {
		t.Errorf("error field %q does not echo the Via within the bound", e)
	}
}
