package services

import (
	"context"
	"sync"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

// Memory is the in-memory Store: the flags live in this process and the
// work does nothing and succeeds. It persists nothing. Tests use it, and
// the daemon's dev settings (dev.provisioned, dev.require_conversion) to
// simulate a server state no real store is in. Its decisions are adm's,
// as the real store's are; services/servicestest holds both to the rules.
type Memory struct {
	mu sync.Mutex
	st ADMState
}

// NewMemory returns the flags as server initialisation (3.1.3) found them.
// conversionRequired is only meaningful for a configured server.
func NewMemory(configured, conversionRequired bool) *Memory {
	return &Memory{st: ADMState{Configured: configured, ConversionRequired: configured && conversionRequired}}
}

// State returns a snapshot.
func (m *Memory) State(context.Context) (ADMState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.st, nil
}

// BeginProvisioning implements Store.
func (m *Memory) BeginProvisioning(context.Context, *ipam.IpamProvisioningSetting) (Job, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.st.MayBeginProvisioning(); err != nil {
		return nil, err
	}
	m.st.ProvisioningInProgress = true
	return memoryJob{end: func(ok bool) {
		m.mu.Lock()
		defer m.mu.Unlock()
		m.st.ProvisioningInProgress = false
		if ok {
			// A freshly provisioned store is at the current schema version.
			m.st.Configured, m.st.ConversionRequired = true, false
		}
	}}, nil
}

// BeginConversion implements Store.
func (m *Memory) BeginConversion(context.Context) (Job, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.st.MayBeginConversion(); err != nil {
		return nil, err
	}
	m.st.ConversionInProgress = true
	return memoryJob{end: func(ok bool) {
		m.mu.Lock()
		defer m.mu.Unlock()
		m.st.ConversionInProgress = false
		if ok {
			m.st.ConversionRequired = false
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

// NoRows is the RowSource of a store that holds no IPAM data (the
// in-memory stand-in): every enumeration is empty.
type NoRows struct{}

func (NoRows) EnumerateRows(context.Context, RowQuery, func(ipam.AnyIpamObject) error) error {
	return nil
}
