package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"go.uber.org/zap"

	"github.com/ipamd/ipamd/store/schema"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// Converter converts a provisioned store from schema version from ("" for
// a store without DatabaseSchemaVersion, i.e. the v1 layout) to
// schema.V2Version. It runs while lease holds the conversion mark; ctx is
// cancelled (cause ErrLeaseLost) if the lease is lost. Each batch should
// commit through lease.RenewTx so no write outlives the lease. The last
// batch writes DatabaseSchemaVersion = schema.V2Version. A version it
// cannot convert is an IpamSchemaConversionCouldNotBeDoneForThisVersion.
type Converter interface {
	Convert(ctx context.Context, s *Store, lease *Lease, from string) error
}

// ManagerOptions configure the daemon's data store.
type ManagerOptions struct {
	// Policy decides what clients may ask for; Policy.StateDir also holds
	// the active store's configuration (ActiveFileName).
	Policy Policy
	// RememberPassword lets the PostgreSQL password a client sent be kept
	// in the state directory, so a restart can reconnect with it.
	RememberPassword bool
	Store            Options
	// Converter does the schema conversion; nil refuses every conversion.
	Converter Converter
	Logger    *zap.Logger
}

// Manager is the daemon's IPAM data store: the active store (or none yet),
// the ADM global flags of MS-IPAMM2 3.1.1.3 derived from it, and the
// provisioning and conversion jobs. All sessions share one Manager; two
// ipamd processes on one database coordinate through the database.
type Manager struct {
	opts  ManagerOptions
	log   *zap.Logger
	owner string

	mu           sync.Mutex
	active       Config // the store in use, or to be used
	refused      error  // why the recorded store may not be used (start-up policy check), or nil
	store        *Store // open handle of active; nil until needed
	status       Status // last known state of active
	known        bool   // status was read at least once
	provisioning bool   // a provisioning of this process runs
	converting   bool   // a conversion of this process runs
}

// NewManager finds the active store — the one named in the state
// directory, else the default embedded store — and computes the flags
// from it (initialization, 3.1.3). A store that cannot be reached now is
// not an error: the flags are computed on first use.
func NewManager(ctx context.Context, opts ManagerOptions) (*Manager, error) {
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	opts.Store = opts.Store.withDefaults()
	if opts.Store.Logger == nil {
		opts.Store.Logger = opts.Logger
	}
	active, saved, err := LoadActive(opts.Policy.StateDir)
	if err != nil {
		return nil, err
	}
	var refused error
	if !saved {
		active = opts.Policy.DefaultConfig()
	} else if allowed, err := opts.Policy.Allows(active); err != nil {
		// The record is trusted no more than a client: the policy may
		// have been narrowed since, or the file edited.
		refused = ipam.NewException(ipam.IpamApiErrorInvalidDatabaseConfiguration,
			"the recorded data store (%s) is not allowed by the policy and is not used: %v; allow it again or remove the record",
			filepath.Join(opts.Policy.StateDir, ActiveFileName), exceptionMessage(err))
	} else {
		active = allowed
	}
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	m := &Manager{opts: opts, log: opts.Logger, active: active, refused: refused,
		owner: fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:]))}
	m.mu.Lock()
	defer m.mu.Unlock()
	if refused != nil {
		m.log.Error("data store refused at start-up: not allowed by store.allowed_directories / store.allowed_hosts; provisioning and conversion are refused until the policy allows it or the record is removed",
			zap.Stringer("store", active), zap.String("record", filepath.Join(opts.Policy.StateDir, ActiveFileName)), zap.Error(refused))
		return m, nil
	}
	if err := m.refreshLocked(ctx); err != nil {
		m.log.Warn("data store not reachable at start-up; state is computed on first use",
			zap.Stringer("store", active), zap.Error(err))
	} else {
		m.log.Info("data store", zap.Stringer("store", active), zap.Bool("provisioned", m.status.Provisioned),
			zap.String("schema_version", m.status.Version), zap.Bool("conversion_required", m.status.ConversionRequired()))
	}
	return m, nil
}

// Close closes the active store.
func (m *Manager) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.store == nil {
		return nil
	}
	err := m.store.Close()
	m.store = nil
	return err
}

// Active is the configuration of the store in use (or to be used).
func (m *Manager) Active() Config {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.active
}

// refreshLocked re-reads the active store's state. An embedded store whose
// file does not exist is simply not provisioned: it is not created just to
// be looked at.
func (m *Manager) refreshLocked(ctx context.Context) error {
	if m.refused != nil {
		return m.refused
	}
	ctx, cancel := m.dbContext(ctx)
	defer cancel()
	m.checkFileLocked()
	if m.store == nil {
		if m.active.Type == ipam.IpamDatabaseTypeWindowsInternalDatabase {
			if _, err := os.Stat(m.active.Path); errors.Is(err, os.ErrNotExist) {
				m.status, m.known = Status{}, true
				return nil
			}
		}
		s, err := Open(ctx, m.active, m.opts.Store)
		if err != nil {
			return err
		}
		m.store = s
	}
	st, err := m.store.Status(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("store: %v: %w: no answer within %v (store.postgres.connect_timeout): %v", m.active, ErrUnreachable, m.opts.Store.ConnectTimeout, err)
		}
		return err
	}
	m.status, m.known = st, true
	return nil
}

// dbContext bounds one look at the database made for a client's request
// by store.postgres.connect_timeout: a server that went silent without
// closing the connection (a partition, a black hole) must not hold the
// request, and the manager's lock, until the kernel gives up on the socket.
func (m *Manager) dbContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, m.opts.Store.ConnectTimeout)
}

// checkFileLocked closes an embedded store whose file was deleted or
// replaced under the running daemon (an operator's rm, a restore from a
// backup), so the next refresh reopens it by its path, as a restart would:
// a missing file reads as not provisioned, a restored one as what it holds.
// It reports whether it closed the store (the state must be read again).
func (m *Manager) checkFileLocked() bool {
	if m.store == nil || m.converting {
		return false // a running conversion holds the handle; its End looks again
	}
	err := m.store.CheckFile()
	if !errors.Is(err, ErrStoreFileGone) {
		return false
	}
	m.log.Error("the embedded store's file was deleted or replaced while ipamd ran: it is reopened by its path (a missing file reads as not provisioned); restore it from a backup or provision again",
		zap.Stringer("store", m.active), zap.Error(err))
	_ = m.store.Close()
	m.store, m.known = nil, false
	return true
}

// State is the ADM global flags (3.1.1.3).
type State struct {
	Configured             bool // ADM_IsIPAMConfigured
	ProvisioningInProgress bool // ADM_IsIPAMProvisioningInProgress (this process)
	ConversionRequired     bool // ADM_IsSchemaConversionRequired
	ConversionInProgress   bool // ADM_IsSchemaConversionInProgress (any process)
	// SchemaVersion is ADM_IPAMSchemaVersion.
	SchemaVersion string
}

// State returns the flags. The steady state (provisioned, current schema)
// is served from memory; the transitional ones (not provisioned, conversion
// required) are re-read from the store, so a provisioning or conversion
// another ipamd finished on the same database is seen at once. If the
// store cannot be read, the last known state stands; with none, State
// fails with IpamApiErrorSQLServiceConfigurationFailed.
func (m *Manager) State(ctx context.Context) (State, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.checkFileLocked() || !m.known || !m.status.Provisioned || m.status.ConversionRequired() || m.converting {
		if err := m.refreshLocked(ctx); err != nil && !m.known {
			return State{}, exception(err, ipam.IpamApiErrorSQLServiceConfigurationFailed)
		}
	}
	return State{
		Configured:             m.status.Provisioned,
		ProvisioningInProgress: m.provisioning,
		ConversionRequired:     m.status.ConversionRequired(),
		ConversionInProgress:   m.converting || m.status.ConversionInProgress,
		SchemaVersion:          m.status.Version,
	}, nil
}

// Provisioning is one provisioning job; it holds this process's
// provisioning mark from BeginProvisioning until End.
type Provisioning struct {
	m       *Manager
	target  Config
	setting ipam.IpamProvisioningSetting
}

// BeginProvisioning is StartAsyncProvisioning's step 1 (3.11.4.7) and the
// policy check of the requested database: it refuses a second provisioning
// in this process (IpamApiProvisioningAlreadyInProgress), a provisioned
// server (IpamApiErrorIpamAlreadyProvisioned) and a database the policy
// does not allow (IpamApiErrorInvalidDatabaseConfiguration). Errors are
// *ipam.IpamException. Another process provisioning the same database is
// found by Run, which takes the database's own mark.
func (m *Manager) BeginProvisioning(ctx context.Context, setting *ipam.IpamProvisioningSetting) (*Provisioning, error) {
	if setting == nil {
		setting = &ipam.IpamProvisioningSetting{}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.provisioning {
		return nil, ipam.NewException(ipam.IpamApiProvisioningAlreadyInProgress, "another session is already provisioning the IPAM server")
	}
	// Provisioning is one-way (nothing unprovisions a store), so a store
	// seen provisioned needs no second look, as in State: this is every
	// Start on a provisioned server.
	if m.checkFileLocked() || !m.known || !m.status.Provisioned {
		if err := m.refreshLocked(ctx); err != nil && !m.known {
			// The recorded store may well be provisioned; provisioning
			// another one now could replace it.
			return nil, exception(err, ipam.IpamApiErrorSQLServiceConfigurationFailed)
		}
	}
	if m.status.Provisioned {
		return nil, ipam.NewException(ipam.IpamApiErrorIpamAlreadyProvisioned, "the IPAM server is already provisioned (%v)", m.active)
	}
	target, err := m.opts.Policy.Resolve(setting.DatabaseConfiguration)
	if err != nil {
		return nil, exception(err, ipam.IpamApiErrorInvalidDatabaseConfiguration)
	}
	m.provisioning = true
	return &Provisioning{m: m, target: target, setting: *setting}, nil
}

// Target is the store the job provisions.
func (p *Provisioning) Target() Config { return p.target }

// Run provisions the target store (Store.Provision) and makes it the
// active one, recorded in the state directory before the transaction
// commits. Errors are *ipam.IpamException.
func (p *Provisioning) Run(ctx context.Context) error {
	m := p.m
	s, err := Open(ctx, p.target, m.opts.Store)
	if err != nil {
		return exception(err, ipam.IpamApiErrorSQLServiceConfigurationFailed)
	}
	prev, hadPrev, _ := LoadActive(m.opts.Policy.StateDir)
	saved := false
	res, err := s.Provision(ctx, ProvisionParams{
		CreateNewSchema:    p.setting.CreateNewSchema,
		ProvisioningMethod: p.setting.ProvisioningMethod,
		GpoPrefix:          p.setting.GpoPrefix,
		BeforeCommit: func() error {
			saved = true
			return SaveActive(m.opts.Policy.StateDir, p.target, m.opts.RememberPassword)
		},
	})
	if err != nil {
		if saved { // the commit failed after the record was written: undo it
			var uerr error
			if hadPrev {
				uerr = SaveActive(m.opts.Policy.StateDir, prev, m.opts.RememberPassword)
			} else {
				uerr = removeActive(m.opts.Policy.StateDir)
			}
			if uerr != nil {
				m.log.Error("could not restore the active store record", zap.Error(uerr))
			}
		}
		_ = s.Close()
		if errors.Is(err, ErrAlreadyProvisioned) {
			// Someone else provisioned it; if it is ours, say so from now on.
			m.mu.Lock()
			if p.target.same(m.active) {
				_ = m.refreshLocked(ctx)
			}
			m.mu.Unlock()
		}
		m.log.Warn("provisioning failed", zap.Stringer("store", p.target), zap.Error(err))
		return exception(err, ipam.IpamApiUnabletoProvisionIpam)
	}
	m.mu.Lock()
	if m.store != nil {
		_ = m.store.Close()
	}
	m.store, m.active, m.status, m.known = s, p.target, res.Status, true
	m.mu.Unlock()
	m.log.Info("provisioned", zap.Stringer("store", p.target), zap.Bool("adopted", res.Adopted),
		zap.String("schema_version", res.Status.Version), zap.Bool("conversion_required", res.Status.ConversionRequired()))
	return nil
}

// End is steps 2.3 and 2.7: the in-progress mark is cleared;
// ADM_IsIPAMConfigured and ADM_IsSchemaConversionRequired already follow
// the store since Run committed.
func (p *Provisioning) End(context.Context, bool) error {
	p.m.mu.Lock()
	p.m.provisioning = false
	p.m.mu.Unlock()
	return nil
}

// Conversion is one schema conversion job holding the conversion lease.
type Conversion struct {
	m     *Manager
	s     *Store
	lease *Lease
	from  string
}

// BeginConversion is StartAsyncSchemaConversion's steps 1–3 (3.15.4.7):
// refuse when a conversion runs here or, by its lease, in any process on
// the same database (IpamSchemaConversionAnotherOperationInProgress); take
// the mark; refuse when none is required (IpamSchemaConversionNotRequired).
// Errors are *ipam.IpamException.
func (m *Manager) BeginConversion(ctx context.Context) (*Conversion, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.converting {
		return nil, ipam.NewException(ipam.IpamSchemaConversionAnotherOperationInProgress, "another session is already converting the IPAM data store")
	}
	if err := m.refreshLocked(ctx); err != nil {
		return nil, exception(err, ipam.IpamApiErrorSQLServiceConfigurationFailed)
	}
	if m.store == nil || !m.status.Provisioned {
		return nil, ipam.NewException(ipam.IpamErrorIPAMNotProvisioned, "the IPAM server is not provisioned")
	}
	lctx, cancel := m.dbContext(ctx)
	lease, err := m.store.TryBeginConversion(lctx, m.owner)
	cancel()
	if err != nil {
		if errors.Is(err, ErrConversionNotRequired) {
			_ = m.refreshLocked(ctx)
		}
		return nil, exception(err, ipam.IpamSchemaConversionFailed)
	}
	m.converting = true
	return &Conversion{m: m, s: m.store, lease: lease, from: m.status.Version}, nil
}

// From is the schema version the conversion starts from.
func (c *Conversion) From() string { return c.from }

// Run converts with the configured Converter while keeping the lease
// alive. Errors are *ipam.IpamException.
func (c *Conversion) Run(ctx context.Context) error {
	if compareVersions(c.from, schema.V2Version) > 0 {
		return ipam.NewException(ipam.IpamApiErrorDatabaseIsAtHigherVersion,
			"the data store is at schema version %s, newer than this ipamd (%s)", c.from, schema.V2Version)
	}
	if c.m.opts.Converter == nil {
		return ipam.NewException(ipam.IpamSchemaConversionCouldNotBeDoneForThisVersion,
			"no schema conversion from version %q to %s is available", c.from, schema.V2Version)
	}
	wctx, stop := c.lease.Keep(ctx)
	err := c.m.opts.Converter.Convert(wctx, c.s, c.lease, c.from)
	cause := context.Cause(wctx)
	stop()
	if err != nil && errors.Is(cause, ErrLeaseLost) {
		err = fmt.Errorf("%w (%v)", cause, err)
	}
	if err != nil {
		c.m.log.Warn("schema conversion failed", zap.Stringer("store", c.s.cfg), zap.Error(err))
		return exception(err, ipam.IpamSchemaConversionFailed)
	}
	return nil
}

// End is steps 5.3–5.4 / 6.3: release the lease (checking, on success,
// that the store is now current) and re-read the flags. It runs before
// Notify…Complete goes out, so it is bounded by a third of the lease: a
// database that stopped answering must not hold the client's answer back,
// and a lease that could not be released expires by itself.
func (c *Conversion) End(ctx context.Context, succeeded bool) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.s.LeaseDuration()/3)
	defer cancel()
	err := c.lease.End(ctx, succeeded)
	c.m.mu.Lock()
	c.m.converting = false
	if rerr := c.m.refreshLocked(ctx); rerr != nil {
		err = errors.Join(err, rerr)
	}
	c.m.mu.Unlock()
	return err
}

// exception maps a store error to the IpamException the protocol reports.
// The message is the error's text, which never holds a credential.
func exception(err error, fallback string) *ipam.IpamException {
	var exc *ipam.IpamException
	if errors.As(err, &exc) {
		return exc
	}
	var step *StepError
	id := fallback
	switch {
	case errors.Is(err, ErrUnsafePath):
		id = ipam.IpamApiErrorInvalidDatabaseConfiguration
	case errors.Is(err, ErrUnreachable):
		id = ipam.IpamApiErrorSQLServiceConfigurationFailed
	case errors.Is(err, ErrProvisioningInProgress):
		id = ipam.IpamApiProvisioningAlreadyInProgress
	case errors.Is(err, ErrAlreadyProvisioned):
		id = ipam.IpamApiErrorIpamAlreadyProvisioned
	case errors.Is(err, ErrForeignTables):
		id = ipam.IpamApiErrorInvalidDatabaseConfiguration
	case errors.Is(err, ErrHigherVersion):
		id = ipam.IpamApiErrorDatabaseIsAtHigherVersion
	case errors.Is(err, ErrConversionInProgress):
		id = ipam.IpamSchemaConversionAnotherOperationInProgress
	case errors.Is(err, ErrConversionNotRequired):
		id = ipam.IpamSchemaConversionNotRequired
	case errors.Is(err, ErrNotProvisioned):
		id = ipam.IpamErrorIPAMNotProvisioned
	case errors.Is(err, ErrLeaseLost):
		id = ipam.IpamSchemaConversionFailed
	case errors.As(err, &step) && step.RBAC:
		id = ipam.IpamApiRBACProvisioningFailed
	case errors.As(err, &step) && isUnreachable(step.Err):
		id = ipam.IpamApiErrorSQLServiceConfigurationFailed
	case errors.As(err, &step):
		id = ipam.IpamApiErrorDatabaseCreationOrPopulationFailed
	}
	return ipam.NewException(id, "%v", err)
}

// exceptionMessage is an error's text without an IpamException's prefix.
func exceptionMessage(err error) string {
	var exc *ipam.IpamException
	if errors.As(err, &exc) {
		return exc.Message
	}
	return err.Error()
}
