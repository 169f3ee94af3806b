package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"go.uber.org/zap"

	"github.com/ipamd/ipamd/services/adm"
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

	// pool mirrors store for PoolStats, which a metrics scrape calls: it
	// must not wait for mu, which a request holds while it looks at a
	// silent database (up to store.postgres.connect_timeout).
	pool atomic.Pointer[Store]
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
	m.pool.Store(nil)
	return err
}

// PoolStats is the connection pool of the active store, whichever engine
// (ipamd_store_connections); ok is false while no store is open (not yet
// needed, or an embedded store without its file). It never waits.
func (m *Manager) PoolStats() (stats sql.DBStats, ok bool) {
	s := m.pool.Load()
	if s == nil {
		return sql.DBStats{}, false
	}
	return s.db.Stats(), true
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
		m.pool.Store(s)
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
	m.pool.Store(nil)
	return true
}

// State is the ADM global flags (3.1.1.3). ProvisioningInProgress is this
// process's; ConversionInProgress any process's (by the lease).
type State = adm.State

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
			return State{}, adm.Or(err, adm.ErrUnreachable)
		}
	}
	return m.stateLocked(), nil
}

// stateLocked is the flags as last read, which the gating rules (package
// adm) decide on.
func (m *Manager) stateLocked() State {
	return State{
		Configured:             m.status.Provisioned,
		ProvisioningInProgress: m.provisioning,
		ConversionRequired:     m.status.ConversionRequired(),
		ConversionInProgress:   m.converting || m.status.ConversionInProgress,
		SchemaVersion:          m.status.Version,
	}
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
// does not allow (IpamApiErrorInvalidDatabaseConfiguration); the first two
// are adm.State.MayBeginProvisioning's decision. Errors are package adm's.
// Another process provisioning the same database is found by Run, which
// takes the database's own mark. The job is a *Provisioning.
func (m *Manager) BeginProvisioning(ctx context.Context, setting *ipam.IpamProvisioningSetting) (adm.Job, error) {
	if setting == nil {
		setting = &ipam.IpamProvisioningSetting{}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.provisioning {
		return nil, adm.ErrProvisioningInProgress
	}
	// Provisioning is one-way (nothing unprovisions a store), so a store
	// seen provisioned needs no second look, as in State: this is every
	// Start on a provisioned server.
	if m.checkFileLocked() || !m.known || !m.status.Provisioned {
		if err := m.refreshLocked(ctx); err != nil && !m.known {
			// The recorded store may well be provisioned; provisioning
			// another one now could replace it.
			return nil, adm.Or(err, adm.ErrUnreachable)
		}
	}
	if err := m.stateLocked().MayBeginProvisioning(); err != nil {
		return nil, fmt.Errorf("%w (%v)", err, m.active)
	}
	target, err := m.opts.Policy.Resolve(setting.DatabaseConfiguration)
	if err != nil {
		return nil, adm.Or(err, adm.ErrInvalidConfiguration)
	}
	m.provisioning = true
	return &Provisioning{m: m, target: target, setting: *setting}, nil
}

// Target is the store the job provisions.
func (p *Provisioning) Target() Config { return p.target }

// Run provisions the target store (Store.Provision) and makes it the
// active one, recorded in the state directory before the transaction
// commits. Errors are package adm's; others are the port type's failure.
func (p *Provisioning) Run(ctx context.Context) error {
	m := p.m
	s, err := Open(ctx, p.target, m.opts.Store)
	if err != nil {
		return adm.Or(err, adm.ErrUnreachable)
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
		return err
	}
	m.mu.Lock()
	if m.store != nil {
		_ = m.store.Close()
	}
	m.store, m.active, m.status, m.known = s, p.target, res.Status, true
	m.pool.Store(s)
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
// The flags just read decide first (adm.State.MayBeginConversion), the
// database's lease then across processes. Errors are package adm's. The
// job is a *Conversion.
func (m *Manager) BeginConversion(ctx context.Context) (adm.Job, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.converting {
		return nil, adm.ErrConversionInProgress
	}
	if err := m.refreshLocked(ctx); err != nil {
		return nil, adm.Or(err, adm.ErrUnreachable)
	}
	if err := m.stateLocked().MayBeginConversion(); err != nil {
		return nil, fmt.Errorf("%w (%v)", err, m.active)
	}
	lctx, cancel := m.dbContext(ctx)
	lease, err := m.store.TryBeginConversion(lctx, m.owner)
	cancel()
	if err != nil {
		if errors.Is(err, ErrConversionNotRequired) {
			_ = m.refreshLocked(ctx)
		}
		return nil, err
	}
	m.converting = true
	return &Conversion{m: m, s: m.store, lease: lease, from: m.status.Version}, nil
}

// From is the schema version the conversion starts from.
func (c *Conversion) From() string { return c.from }

// Run converts with the configured Converter while keeping the lease
// alive. Errors are package adm's; others are the port type's failure.
func (c *Conversion) Run(ctx context.Context) error {
	if compareVersions(c.from, schema.V2Version) > 0 {
		return fmt.Errorf("the data store is at schema version %s, newer than this ipamd (%s): %w", c.from, schema.V2Version, adm.ErrHigherVersion)
	}
	if c.m.opts.Converter == nil {
		return fmt.Errorf("no schema conversion from version %q to %s is available: %w", c.from, schema.V2Version, adm.ErrVersionNotConvertible)
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
		if storageFull(err) {
			// The client learns the cause; the statement stays in this log.
			return adm.ErrStorageFull
		}
		return err
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

// exceptionMessage is an error's text without an IpamException's prefix.
func exceptionMessage(err error) string {
	var exc *ipam.IpamException
	if errors.As(err, &exc) {
		return exc.Message
	}
	return err.Error()
}
