package services

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

// TestWorkPanicContained: a job that panics ends with Notify…Complete
// carrying IpamApiGenericErrorOccurred, its mark is released (End ran), the
// panic is logged once at error level, and the next provisioning succeeds.
func TestWorkPanicContained(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	mem := NewMemory(false, false)
	for i, st := range []Store{WithPanic(mem), mem} {
		svc := &Provision{Store: st, CheckpointInterval: time.Hour, Logger: zap.New(core)}
		rec := newRecorder()
		s := svc.NewSession(rec)
		if _, err := s.InitializeAsyncProvisioning(context.Background(), provisioningRequest("IPAM")); err != nil {
			t.Fatal(err)
		}
		if err := s.StartAsyncProvisioning(context.Background(), &ipam.StartAsyncProvisioning{}); err != nil {
			t.Fatal(err)
		}
		_, exc := rec.wait(t)
		switch {
		case i == 0 && (exc == nil || exc.ExceptionID != ipam.IpamApiGenericErrorOccurred):
			t.Fatalf("panicking work completed with %+v, want IpamApiGenericErrorOccurred", exc)
		case i == 1 && exc != nil:
			t.Fatalf("the provisioning after a panic failed: %+v", exc)
		}
	}
	if n := logs.FilterLevelExact(zapcore.ErrorLevel).Len(); n != 1 {
		t.Fatalf("%d error entries, want 1 for the panic", n)
	}
}
