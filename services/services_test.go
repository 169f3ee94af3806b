package services

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/ipamd/ipamd/services/adm"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Rules G2, G3. (docs/protocol.md)
func TestADMPreOperation(t *testing.T) {
	tests := []struct {
		name                 string
		configured, required bool
		port                 string
		want                 string // IpamExceptionId or "" for allowed
	}{
		{"unprovisioned provision", false, false, ipam.PortIIpamAsyncProvision, ""},
		{"unprovisioned conversion", false, false, ipam.PortIIpamAsyncSchemaConversion, ipam.IpamApiCallsAreNotAllowedUntilProvisioningIsDone},
		{"ready provision", true, false, ipam.PortIIpamAsyncProvision, ""},
		{"ready conversion", true, false, ipam.PortIIpamAsyncSchemaConversion, ""},
		{"conversion required provision", true, true, ipam.PortIIpamAsyncProvision, ipam.IpamApiCallsAreNotAllowedUntilSchemaConversionIsDone},
		{"conversion required conversion", true, true, ipam.PortIIpamAsyncSchemaConversion, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exc := PreOperation(context.Background(), NewMemory(tt.configured, tt.required), tt.port)
			got := ""
			if exc != nil {
				got = exc.ExceptionID
			}
			if got != tt.want {
				t.Fatalf("PreOperation = %q, want %q", got, tt.want)
			}
		})
	}
}

func state(t *testing.T, s Store) ADMState {
	t.Helper()
	st, err := s.State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func exceptionID(err error) string {
	if err == nil {
		return ""
	}
	return adm.Exception(err, "").ExceptionID
}

// Rule P8. (docs/protocol.md)
func TestMemoryProvisioningExclusive(t *testing.T) {
	ctx := context.Background()
	m := NewMemory(false, false)
	j, err := m.BeginProvisioning(ctx, nil)
	if err != nil {
		t.Fatalf("first Begin: %v", err)
	}
	if _, err := m.BeginProvisioning(ctx, nil); exceptionID(err) != ipam.IpamApiProvisioningAlreadyInProgress {
		t.Fatalf("second Begin = %v, want %s", err, ipam.IpamApiProvisioningAlreadyInProgress)
	}
	_ = j.End(ctx, false)
	if st := state(t, m); st.Configured || st.ProvisioningInProgress {
		t.Fatalf("after failed run: %+v", st)
	}
	if j, err = m.BeginProvisioning(ctx, nil); err != nil {
		t.Fatalf("Begin after failure: %v", err)
	}
	_ = j.End(ctx, true)
	if st := state(t, m); !st.Configured || st.ProvisioningInProgress {
		t.Fatalf("after success: %+v", st)
	}
	if _, err := m.BeginProvisioning(ctx, nil); exceptionID(err) != ipam.IpamApiErrorIpamAlreadyProvisioned {
		t.Fatalf("Begin when provisioned = %v", err)
	}
}

// Rules C5, C6. (docs/protocol.md)
func TestMemoryConversion(t *testing.T) {
	ctx := context.Background()
	m := NewMemory(true, false)
	if _, err := m.BeginConversion(ctx); exceptionID(err) != ipam.IpamSchemaConversionNotRequired {
		t.Fatalf("not required: %v", err)
	}
	if state(t, m).ConversionInProgress {
		t.Fatal("in-progress flag left set on the not-required path")
	}
	m = NewMemory(true, true)
	j, err := m.BeginConversion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.BeginConversion(ctx); exceptionID(err) != ipam.IpamSchemaConversionAnotherOperationInProgress {
		t.Fatalf("concurrent: %v", err)
	}
	_ = j.End(ctx, true)
	if st := state(t, m); st.ConversionRequired || st.ConversionInProgress {
		t.Fatalf("after success: %+v", st)
	}
}

// recorder is an IIpamAsyncProvisionCallback / IIpamAsyncSchemaCallback that
// records the callbacks in order.
type recorder struct {
	mu     sync.Mutex
	events []string
	exc    *ipam.IpamException
	done   chan struct{}
}

func newRecorder() *recorder { return &recorder{done: make(chan struct{})} }

func (r *recorder) add(ev string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
}
func (r *recorder) complete(exc *ipam.IpamException) error {
	r.mu.Lock()
	r.events = append(r.events, "complete")
	r.exc = exc
	r.mu.Unlock()
	close(r.done)
	return nil
}
func (r *recorder) NotifyAsyncProvisionStart(context.Context) error { r.add("start"); return nil }
func (r *recorder) NotifyAsyncProvisionCheckpoint(context.Context, []ipam.AnyIpamObject) error {
	r.add("checkpoint")
	return nil
}
func (r *recorder) NotifyAsyncProvisionComplete(_ context.Context, _ ipam.AnyIpamObject, e *ipam.IpamException) error {
	return r.complete(e)
}
func (r *recorder) NotifyAsyncSchemaConversionStart(context.Context) error {
	r.add("start")
	return nil
}
func (r *recorder) NotifyAsyncSchemaConversionCheckpoint(context.Context, []ipam.AnyIpamObject) error {
	r.add("checkpoint")
	return nil
}
func (r *recorder) NotifyAsyncSchemaConversionComplete(_ context.Context, _ ipam.AnyIpamObject, e *ipam.IpamException) error {
	return r.complete(e)
}

func (r *recorder) wait(t *testing.T) ([]string, *ipam.IpamException) {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(5 * time.Second):
		t.Fatal("no Complete within 5s")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.events...), r.exc
}

func provisioningRequest(gpo string) *ipam.InitializeAsyncProvisioning {
	return &ipam.InitializeAsyncProvisioning{Parameters: &ipam.IpamProvisioningEnumerationParameters{
		EnumerationParametersBase: ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeAsyncProvision},
		IpamProvisioningSetting: &ipam.IpamProvisioningSetting{
			CreateNewSchema: true, GpoPrefix: &gpo, ProvisioningMethod: ipam.ProvisioningMethodAutomatic,
		},
	}}
}

// Rules P5, P10, P13, P14. (docs/protocol.md)
func TestProvisionSessionFlow(t *testing.T) {
	tests := []struct {
		name      string
		failWith  string
		wantExc   string
		wantState ADMState
	}{
		{"success", "", "", ADMState{Configured: true}},
		{"work fails", ipam.IpamApiErrorDatabaseCreationOrPopulationFailed, ipam.IpamApiErrorDatabaseCreationOrPopulationFailed, ADMState{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := &Provision{Store: WithFailure(NewMemory(false, false), tt.failWith), MinDuration: 200 * time.Millisecond,
				CheckpointInterval: 20 * time.Millisecond}
			rec := newRecorder()
			s := svc.NewSession(rec)
			if _, err := s.InitializeAsyncProvisioning(context.Background(), provisioningRequest("IPAM")); err != nil {
				t.Fatal(err)
			}
			if err := s.StartAsyncProvisioning(context.Background(), &ipam.StartAsyncProvisioning{}); err != nil {
				t.Fatal(err)
			}
			events, exc := rec.wait(t)
			if events[0] != "start" || events[len(events)-1] != "complete" {
				t.Fatalf("events = %v, want start … complete", events)
			}
			// Checkpoints go out while the work runs. Ten intervals leave room
			// for a starved ticker on a loaded 2-core CI machine (a ticker
			// drops the ticks its goroutine misses).
			if n := len(events) - 2; n < 1 {
				t.Fatalf("%d checkpoints in 200ms at a 20ms interval, want ≥ 1 (%v)", n, events)
			}
			got := ""
			if exc != nil {
				got = exc.ExceptionID
			}
			if got != tt.wantExc {
				t.Fatalf("exception = %q, want %q", got, tt.wantExc)
			}
			if st := state(t, svc.Store); st != tt.wantState {
				t.Fatalf("ADM = %+v, want %+v", st, tt.wantState)
			}
		})
	}
}

// Rule P3. (docs/protocol.md)
func TestProvisionInitializeValidation(t *testing.T) {
	long := make([]byte, 241)
	for i := range long {
		long[i] = 'x'
	}
	tests := []struct {
		name string
		req  *ipam.InitializeAsyncProvisioning
		want string
	}{
		{"nil parameters", &ipam.InitializeAsyncProvisioning{}, ipam.IpamApiInvalidParameter},
		{"base parameters", &ipam.InitializeAsyncProvisioning{Parameters: &ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeAsyncProvision}}, ipam.IpamApiInvalidParameter},
		{"wrong object type", func() *ipam.InitializeAsyncProvisioning {
			r := provisioningRequest("IPAM")
			r.Parameters.GetEnumerationParametersBase().ObjectType = ipam.EnumerationObjectType("IPAddress")
			return r
		}(), ipam.IpamApiInvalidParameter},
		{"empty GpoPrefix", provisioningRequest(""), ipam.IpamApiInvalidGpoPrefix},
		{"241-char GpoPrefix", provisioningRequest(string(long)), ipam.IpamApiInvalidGpoPrefix},
		{"240-char GpoPrefix", provisioningRequest(string(long[:240])), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := &Provision{Store: NewMemory(false, false), CheckpointInterval: time.Second}
			_, err := svc.NewSession(newRecorder()).InitializeAsyncProvisioning(context.Background(), tt.req)
			got := ""
			if err != nil {
				got = adm.Exception(err, "").ExceptionID
			}
			if got != tt.want {
				t.Fatalf("got %q (%v), want %q", got, err, tt.want)
			}
		})
	}
}

// Rule P7. (docs/protocol.md)
func TestConcurrentStartsOnlyOneRuns(t *testing.T) {
	svc := &Provision{Store: NewMemory(false, false), MinDuration: 100 * time.Millisecond, CheckpointInterval: time.Second}
	const n = 20
	recs := make([]*recorder, n)
	var wg sync.WaitGroup
	for i := range recs {
		recs[i] = newRecorder()
		s := svc.NewSession(recs[i])
		if _, err := s.InitializeAsyncProvisioning(context.Background(), provisioningRequest("IPAM")); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = s.StartAsyncProvisioning(context.Background(), &ipam.StartAsyncProvisioning{})
		}()
	}
	wg.Wait()
	ok, busy := 0, 0
	for _, r := range recs {
		_, exc := r.wait(t)
		switch {
		case exc == nil:
			ok++
		case exc.ExceptionID == ipam.IpamApiProvisioningAlreadyInProgress:
			busy++
		default:
			t.Errorf("unexpected exception %v", exc)
		}
	}
	if ok != 1 || busy != n-1 {
		t.Fatalf("ok=%d busy=%d, want 1 and %d", ok, busy, n-1)
	}
}

// Rules C1, C6, C9. (docs/protocol.md)
func TestConversionGating(t *testing.T) {
	tests := []struct {
		name                 string
		configured, required bool
		initErr, completeExc string
	}{
		{"not provisioned", false, false, ipam.IpamApiCallsAreNotAllowedUntilProvisioningIsDone, ""},
		{"not required", true, false, "", ipam.IpamSchemaConversionNotRequired},
		{"required", true, true, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := &SchemaConversion{Store: NewMemory(tt.configured, tt.required), MinDuration: 10 * time.Millisecond, CheckpointInterval: time.Second}
			rec := newRecorder()
			s := svc.NewSession(rec)
			_, err := s.InitializeAsyncSchemaConversion(context.Background(), &ipam.InitializeAsyncSchemaConversion{})
			if tt.initErr != "" {
				if err == nil || adm.Exception(err, "").ExceptionID != tt.initErr {
					t.Fatalf("Initialize err = %v, want %s", err, tt.initErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := s.StartAsyncSchemaConversion(context.Background(), &ipam.StartAsyncSchemaConversion{}); err != nil {
				t.Fatal(err)
			}
			_, exc := rec.wait(t)
			got := ""
			if exc != nil {
				got = exc.ExceptionID
			}
			if got != tt.completeExc {
				t.Fatalf("Complete exception %q, want %q", got, tt.completeExc)
			}
			if tt.required && state(t, svc.Store).ConversionRequired {
				t.Fatal("conversion still required after success")
			}
		})
	}
}

// endFails is a Store whose jobs succeed but whose End reports that the
// result did not hold (a conversion that left the store at an old version).
type endFails struct{ *Memory }

type endFailsJob struct{ Job }

func (endFailsJob) End(context.Context, bool) error {
	return fmt.Errorf("store still at version 6.2.0.0: %w", adm.ErrNotSettled)
}

func (e endFails) BeginConversion(ctx context.Context) (Job, error) {
	j, err := e.Memory.BeginConversion(ctx)
	if err != nil {
		return nil, err
	}
	return endFailsJob{j}, nil
}

// Rule C10. (docs/protocol.md)
func TestConversionEndFailureIsReported(t *testing.T) {
	svc := &SchemaConversion{Store: endFails{NewMemory(true, true)}, CheckpointInterval: time.Second}
	rec := newRecorder()
	s := svc.NewSession(rec)
	if _, err := s.InitializeAsyncSchemaConversion(context.Background(), &ipam.InitializeAsyncSchemaConversion{}); err != nil {
		t.Fatal(err)
	}
	if err := s.StartAsyncSchemaConversion(context.Background(), &ipam.StartAsyncSchemaConversion{}); err != nil {
		t.Fatal(err)
	}
	_, exc := rec.wait(t)
	if exc == nil || exc.ExceptionID != ipam.IpamSchemaConversionFailed || !strings.Contains(exc.Message, "6.2.0.0") {
		t.Fatalf("Complete exception %v, want IpamSchemaConversionFailed carrying End's error", exc)
	}
}

// A Store whose State fails makes every operation fail with that error.
type stateFails struct{ *Memory }

func (stateFails) State(context.Context) (ADMState, error) {
	return ADMState{}, ipam.NewException(ipam.IpamApiErrorSQLServiceConfigurationFailed, "database down")
}

func TestPreOperationStateError(t *testing.T) {
	exc := PreOperation(context.Background(), stateFails{NewMemory(false, false)}, ipam.PortIIpamAsyncProvision)
	if exc == nil || exc.ExceptionID != ipam.IpamApiErrorSQLServiceConfigurationFailed {
		t.Fatalf("PreOperation = %v", exc)
	}
}

// Rule: InitializeAsyncSchemaConversion accepts any parameters; unusual ones are logged, bounded.
//
// TestConversionInitializeAcceptsAnyParameters: 3.15.4.3 specifies no
// processing of parameters, so no ObjectType or parameter type is refused;
// those a conforming client would not send are logged once, with bounded
// fields.
//
// Rule C2. (docs/protocol.md)
func TestConversionInitializeAcceptsAnyParameters(t *testing.T) {
	tests := []struct {
		name   string
		params ipam.AnyEnumerationParametersBase
		logged bool
	}{
		{"nil", nil, false},
		{"base AsyncSchemaConversion", &ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeAsyncSchemaConversion}, false},
		{"base IPAddress", &ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectType("IPAddress")}, true},
		{"base AsyncProvision", &ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeAsyncProvision}, true},
		{"provisioning parameters", provisioningRequest("IPAM").Parameters, true},
		{"long object type", &ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectType(strings.Repeat("x", 10000))}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			core, logs := observer.New(zap.InfoLevel)
			svc := &SchemaConversion{Store: NewMemory(true, true), CheckpointInterval: time.Second, Logger: zap.New(core)}
			s := svc.NewSession(newRecorder())
			if _, err := s.InitializeAsyncSchemaConversion(context.Background(), &ipam.InitializeAsyncSchemaConversion{Parameters: tt.params}); err != nil {
				t.Fatalf("Initialize refused: %v", err)
			}
			if got := logs.Len(); got != map[bool]int{false: 0, true: 1}[tt.logged] {
				t.Fatalf("%d log entries, want logged=%v: %v", got, tt.logged, logs.All())
			}
			for _, e := range logs.All() {
				for _, f := range e.Context {
					if len(f.String) > 100 {
						t.Fatalf("log field %s has %d bytes: unbounded", f.Key, len(f.String))
					}
				}
			}
		})
	}
}
