package servicestest

import (
	"context"
	"testing"
	"time"

	"github.com/ipamd/ipamd/services"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// completion records one session's callbacks: Complete's exception.
type completion struct{ done chan *ipam.IpamException }

func newCompletion() *completion { return &completion{done: make(chan *ipam.IpamException, 1)} }

func (c *completion) NotifyAsyncProvisionStart(context.Context) error { return nil }
func (c *completion) NotifyAsyncProvisionCheckpoint(context.Context, []ipam.AnyIpamObject) error {
	return nil
}
func (c *completion) NotifyAsyncProvisionComplete(_ context.Context, _ ipam.AnyIpamObject, exc *ipam.IpamException) error {
	c.done <- exc
	return nil
}
func (c *completion) NotifyAsyncSchemaConversionStart(context.Context) error { return nil }
func (c *completion) NotifyAsyncSchemaConversionCheckpoint(context.Context, []ipam.AnyIpamObject) error {
	return nil
}
func (c *completion) NotifyAsyncSchemaConversionComplete(_ context.Context, _ ipam.AnyIpamObject, exc *ipam.IpamException) error {
	c.done <- exc
	return nil
}

func (c *completion) wait(t *testing.T) string {
	t.Helper()
	select {
	case exc := <-c.done:
		if exc == nil {
			return ""
		}
		return exc.ExceptionID
	case <-time.After(2 * time.Minute):
		t.Fatal("no Notify…Complete")
		return ""
	}
}

// portRun is one Initialize then Start through a port type's service, as a
// session runs them: the IpamExceptionId of Initialize's fault, else of
// Complete ("" for success).
type portRun func(t *testing.T) string

func provisionRun(subj Subject) portRun {
	return func(t *testing.T) string {
		ctx := ctxFor(t)
		svc := &services.Provision{Store: subj.Store, CheckpointInterval: time.Hour}
		c := newCompletion()
		s := svc.NewSession(c)
		setting := subj.Setting
		if setting == nil {
			setting = &ipam.IpamProvisioningSetting{CreateNewSchema: true}
		}
		_, err := s.InitializeAsyncProvisioning(ctx, &ipam.InitializeAsyncProvisioning{Parameters: &ipam.IpamProvisioningEnumerationParameters{
			EnumerationParametersBase: ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeAsyncProvision},
			IpamProvisioningSetting:   setting,
		}})
		if err != nil {
			return id(err)
		}
		if err := s.StartAsyncProvisioning(ctx, &ipam.StartAsyncProvisioning{}); err != nil {
			t.Fatalf("StartAsyncProvisioning: %v", err)
		}
		return c.wait(t)
	}
}

func conversionRun(subj Subject) portRun {
	return func(t *testing.T) string {
		ctx := ctxFor(t)
		svc := &services.SchemaConversion{Store: subj.Store, CheckpointInterval: time.Hour}
		c := newCompletion()
		s := svc.NewSession(c)
		if _, err := s.InitializeAsyncSchemaConversion(ctx, &ipam.InitializeAsyncSchemaConversion{}); err != nil {
			return id(err)
		}
		if err := s.StartAsyncSchemaConversion(ctx, &ipam.StartAsyncSchemaConversion{}); err != nil {
			t.Fatalf("StartAsyncSchemaConversion: %v", err)
		}
		return c.wait(t)
	}
}

// runPorts runs whole sessions of both port types, one after the other, on
// a store in each state: what a client sees of the rules.
func runPorts(t *testing.T, open Open) {
	type session struct {
		port string
		want string
	}
	const prov, conv = ipam.PortIIpamAsyncProvision, ipam.PortIIpamAsyncSchemaConversion
	tests := []struct {
		start    Start
		sessions []session
	}{
		{Fresh, []session{
			{conv, ipam.IpamApiCallsAreNotAllowedUntilProvisioningIsDone},
			{prov, ""},
			{prov, ipam.IpamApiErrorIpamAlreadyProvisioned},
			{conv, ipam.IpamSchemaConversionNotRequired},
		}},
		{NeedsConversion, []session{
			{prov, ipam.IpamApiCallsAreNotAllowedUntilSchemaConversionIsDone},
			{conv, ""},
			{conv, ipam.IpamSchemaConversionNotRequired},
			{prov, ipam.IpamApiErrorIpamAlreadyProvisioned},
		}},
	}
	for _, tt := range tests {
		t.Run("sessions on a "+tt.start.String()+" store", func(t *testing.T) {
			subj := open(t, tt.start)
			for i, s := range tt.sessions {
				run := provisionRun(subj)
				if s.port == conv {
					run = conversionRun(subj)
				}
				if got := run(t); got != s.want {
					t.Fatalf("session %d (%s): got %q, want %q", i, s.port, got, orSuccess(s.want))
				}
				checkState(t, ctxFor(t), subj.Store, "after a session", mustNotBeMarked(t, subj.Store))
			}
		})
	}
}

// mustNotBeMarked is the store's flags with no in-progress mark: after a
// session's Complete none may be left.
func mustNotBeMarked(t *testing.T, s services.Store) services.ADMState {
	st, err := s.State(ctxFor(t))
	if err != nil {
		t.Fatalf("State: %v", err)
	}
	st.SchemaVersion = ""
	st.ProvisioningInProgress, st.ConversionInProgress = false, false
	return st
}
