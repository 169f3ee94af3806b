package services

import (
	"context"
	"sync"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

// Memory is the in-memory Store: the flags live in this process and the
// work does nothing and succeeds. It persists nothing. Tests use it, and
// the daemon's dev settings (dev.provisioned, dev.require_conversion) to
// simulate a server state no real store is in.
type Memory struct {
	mu                     sync.Mutex
	configured             bool
	provisioningInProgress bool
	conversionRequired     bool
	conversionInProgress   bool
}

// NewMemory returns the flags as server initialisation (3.1.3) found them.
// conversionRequired is only meaningful for a configured server.
func NewMemory(configured, conversionRequired bool) *Memory {
	return &Memory{configured: configured, conversionRequired: configured && conversionRequired}
}

// State returns a snapshot.
func (m *Memory) State(context.Context) (ADMState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return ADMState{m.configured, m.provisioningInProgress, m.conversionRequired, m.conversionInProgress}, nil
}

// BeginProvisioning implements Store.
func (m *Memory) BeginProvisioning(context.Context, *ipam.IpamProvisioningSetting) (Job, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.provisioningInProgress {
		return nil, ipam.NewException(ipam.IpamApiProvisioningAlreadyInProgress,
			"another session is already provisioning the IPAM server")
	}
	if m.configured {
		return nil, ipam.NewException(ipam.IpamApiErrorIpamAlreadyProvisioned,
			"the IPAM server is already provisioned")
	}
	m.provisioningInProgress = true
	return memoryJob{end: func(ok bool) {
		m.mu.Lock()
		defer m.mu.Unlock()
		m.provisioningInProgress = false
		if ok {
			// A freshly provisioned store is at the current schema version.
			m.configured, m.conversionRequired = true, false
		}
	}}, nil
}

// BeginConversion implements Store.
func (m *Memory) BeginConversion(context.Context) (Job, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.conversionInProgress {
		return nil, ipam.NewException(ipam.IpamSchemaConversionAnotherOperationInProgress,
			"another session is already converting the IPAM data store")
	}
	if !m.conversionRequired {
		// The spec does not reset the in-progress flag on this path; we never set it.
		return nil, ipam.NewException(ipam.IpamSchemaConversionNotRequired,
			"the IPAM data store does not need a schema conversion")
	}
	m.conversionInProgress = true
	return memoryJob{end: func(ok bool) {
		m.mu.Lock()
		defer m.mu.Unlock()
		m.conversionInProgress = false
		if ok {
			m.conversionRequired = false
		}
	}}, nil
}

type memoryJob struct{ end func(bool) }

func (memoryJob) Run(context.Context) error { return nil }

func (j memoryJob) End(_ context.Context, ok bool) error { j.end(ok); return nil }

// WithFailure returns s with fault injection (dev.fail_with): every job's
// Run fails with the IpamExceptionId id instead of doing the work, so the
// failure path can be exercised end to end. An empty id returns s.
func WithFailure(s Store, id string) Store {
	if id == "" {
		return s
	}
	return failing{s, id}
}

type failing struct {
	Store
	id string
}

func (f failing) BeginProvisioning(ctx context.Context, s *ipam.IpamProvisioningSetting) (Job, error) {
	j, err := f.Store.BeginProvisioning(ctx, s)
	if err != nil {
		return nil, err
	}
	return failingJob{j, f.id, "provisioning"}, nil
}

func (f failing) BeginConversion(ctx context.Context) (Job, error) {
	j, err := f.Store.BeginConversion(ctx)
	if err != nil {
		return nil, err
	}
	return failingJob{j, f.id, "schema conversion"}, nil
}

type failingJob struct {
	Job
	id, what string
}

func (f failingJob) Run(context.Context) error {
	return ipam.NewException(f.id, "%s failed by configuration (dev.fail_with)", f.what)
}

// WithPanic returns s with a panic injected (dev.panic_in_work): every
// job's Run panics instead of doing the work, so the containment of the
// work goroutine can be exercised end to end — the session gets
// Notify…Complete with IpamApiGenericErrorOccurred and the daemon goes on.
func WithPanic(s Store) Store { return panicking{s} }

type panicking struct{ Store }

func (p panicking) BeginProvisioning(ctx context.Context, s *ipam.IpamProvisioningSetting) (Job, error) {
	j, err := p.Store.BeginProvisioning(ctx, s)
	if err != nil {
		return nil, err
	}
	return panickingJob{j}, nil
}

func (p panicking) BeginConversion(ctx context.Context) (Job, error) {
	j, err := p.Store.BeginConversion(ctx)
	if err != nil {
		return nil, err
	}
	return panickingJob{j}, nil
}

type panickingJob struct{ Job }

func (panickingJob) Run(context.Context) error {
	panic("injected by dev.panic_in_work")
}

// RowsOf is the RowSource of a store: the store itself when it reads rows
// (the real data store), through the dev wrappers; else a source of no
// rows (the in-memory stand-in holds no IPAM data).
func RowsOf(s Store) RowSource {
	for {
		switch v := s.(type) {
		case RowSource:
			return v
		case failing:
			s = v.Store
		case panicking:
			s = v.Store
		default:
			return noRows{}
		}
	}
}

type noRows struct{}

func (noRows) EnumerateRows(context.Context, RowQuery, func(ipam.AnyIpamObject) error) error {
	return nil
}
