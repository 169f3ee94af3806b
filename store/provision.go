package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ipamd/ipamd/services/adm"
	"github.com/ipamd/ipamd/services/progress"
	"github.com/ipamd/ipamd/store/schema"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// ProvisionParams are the IpamProvisioningSetting (2.2.4.288) values
// provisioning applies, already validated.
type ProvisionParams struct {
	// CreateNewSchema: the database must not hold a store yet
	// (ErrAlreadyProvisioned otherwise). Without it an existing store is
	// used as it is (only ProvisioningMode, GpoPrefix and IpamConfiguredDate
	// are written), and
	// an empty database gets a new one.
	CreateNewSchema bool
	// ProvisioningMethod is stored as ADM_CommonProperties.ProvisioningMode:
	// Automatic, or Manual (the provisioning default, also for None and "").
	ProvisioningMethod ipam.ProvisioningMethod
	// GpoPrefix, when set, is stored as ADM_CommonProperties.GpoPrefix.
	GpoPrefix *string
	// Now is IpamConfiguredDate (default time.Now).
	Now time.Time
	// BeforeCommit, when set, runs after the schema and seed data are
	// written and before the transaction commits; an error rolls everything
	// back. The Manager records the active store there, so a crash after the
	// commit still finds it.
	BeforeCommit func() error
}

// ProvisionResult says what Provision did.
type ProvisionResult struct {
	// Adopted: the database already held a store, which is now in use
	// (CreateNewSchema was false).
	Adopted bool
	// Status is the store's state after the commit.
	Status Status
}

// StepError is a provisioning step that failed; Step names it ("schema",
// "seed ADM_CommonProperties", …) and RBAC is set for the access-control
// seed rows, which have their own IpamExceptionId.
type StepError struct {
	Step string
	RBAC bool
	Err  error
}

func (e *StepError) Error() string { return "provisioning step " + e.Step + ": " + e.Err.Error() }
func (e *StepError) Unwrap() error { return e.Err }

// Is classifies the failed step for the IpamException table (package adm):
// an RBAC step is adm.ErrRBACFailed, a step that lost the database
// adm.ErrUnreachable, any other adm.ErrPopulationFailed.
func (e *StepError) Is(target error) bool {
	switch target {
	case adm.ErrRBACFailed:
		return e.RBAC
	case adm.ErrUnreachable:
		return !e.RBAC && isUnreachable(e.Err)
	case adm.ErrPopulationFailed:
		return !e.RBAC && !isUnreachable(e.Err)
	}
	return false
}

// minIdleTxTimeout is the least time PostgreSQL waits on a silent
// provisioning client before aborting its transaction.
const minIdleTxTimeout = 10 * time.Second

// provisionLockKey is the PostgreSQL advisory lock that makes provisioning
// exclusive per database ("ipamd-provision" as an integer).
const provisionLockKey = 0x69_70_61_6d_64_2d_70_76

// Provision is StartAsyncProvisioning's step 2 (3.11.4.7) on this database,
// in one transaction: create the v2 schema (schema.V2, all tables and
// indexes) and its seed data, or, without CreateNewSchema, adopt the store
// the database already holds. Whatever fails, nothing is left behind.
//
// The transaction is also the in-progress mark: on PostgreSQL it holds an
// advisory lock, on SQLite the database's write lock, both taken without
// waiting, so a concurrent provisioning of the same database — from
// another session or another ipamd — fails at once with
// ErrProvisioningInProgress. The engine releases the mark when the owner
// dies (its connection or file handle goes away); on PostgreSQL a
// transaction whose client went silent for LeaseDuration (at least 10 s)
// is aborted too. Conversely, a PostgreSQL server that stops answering
// (black-holed, hung) for LeaseDuration fails the provisioning with
// ErrUnreachable (see watch) instead of leaving it waiting on the socket.
func (s *Store) Provision(ctx context.Context, p ProvisionParams) (ProvisionResult, error) {
	if p.Now.IsZero() {
		p.Now = time.Now()
	}
	if s.dialect == schema.PostgreSQL {
		wctx, stop := s.watch(ctx)
		defer stop()
		res, err := s.provision(wctx, p)
		if cause := context.Cause(wctx); err != nil && errors.Is(cause, ErrUnreachable) {
			err = fmt.Errorf("store: provision %v: %w (%v)", s.cfg, cause, err)
		}
		return res, err
	}
	return s.provision(ctx, p)
}

// watch returns a context that ends, with a cause wrapping ErrUnreachable,
// once the database has not answered a ping (on another connection, every
// third of LeaseDuration) for LeaseDuration. Work on a connection whose
// server went silent without closing it — a partition, a black hole, a
// hung server — otherwise waits for the kernel to give up on the socket,
// which can take a quarter of an hour.
func (s *Store) watch(ctx context.Context) (context.Context, func()) {
	return heartbeat(ctx, s.opts.LeaseDuration, s.db.PingContext, nil, func(err error, silent time.Duration) error {
		return fmt.Errorf("%w: no answer for %v (store.lease_duration): %s", ErrUnreachable, silent.Round(time.Millisecond), redact(err, s.cfg))
	})
}

func (s *Store) provision(ctx context.Context, p ProvisionParams) (ProvisionResult, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return ProvisionResult{}, fmt.Errorf("store: provision %v: %w: %s", s.cfg, ErrUnreachable, redact(err, s.cfg))
	}
	defer conn.Close()

	tx, err := s.beginExclusive(ctx, conn)
	if err != nil {
		return ProvisionResult{}, err
	}
	defer func() { _ = tx.Rollback() }() // no-op after Commit

	st, foreign, err := s.status(ctx, tx)
	if err != nil {
		return ProvisionResult{}, &StepError{Step: "inspect database", Err: err}
	}
	var res ProvisionResult
	switch {
	case foreign:
		return ProvisionResult{}, fmt.Errorf("store: provision %v: %w", s.cfg, ErrForeignTables)
	case st.Provisioned && p.CreateNewSchema:
		return ProvisionResult{}, fmt.Errorf("store: provision %v: %w (CreateNewSchema is set)", s.cfg, ErrAlreadyProvisioned)
	case st.Provisioned:
		if compareVersions(st.Version, schema.V2Version) > 0 {
			return ProvisionResult{}, fmt.Errorf("store: %v is at schema version %s, this ipamd at %s: %w", s.cfg, st.Version, schema.V2Version, ErrHigherVersion)
		}
		if err := s.step("seed "+schema.CommonProperties, false, func() error { return setDeployment(ctx, tx, s.dialect, p) }); err != nil {
			return ProvisionResult{}, err
		}
		res = ProvisionResult{Adopted: true, Status: st}
	default:
		progress.Step(ctx, "schema")
		if err := s.step("schema", false, func() error { return s.createSchema(ctx, tx) }); err != nil {
			return ProvisionResult{}, err
		}
		if err := s.seed(ctx, tx, p); err != nil {
			return ProvisionResult{}, err
		}
		res.Status = Status{Provisioned: true, Version: schema.V2Version}
	}
	if p.BeforeCommit != nil {
		if err := p.BeforeCommit(); err != nil {
			return ProvisionResult{}, &StepError{Step: "record the active store", Err: err}
		}
	}
	if err := s.step("commit", false, tx.Commit); err != nil {
		return ProvisionResult{}, err
	}
	return res, nil
}

// beginExclusive starts the provisioning transaction holding the
// database's provisioning mark, or fails with ErrProvisioningInProgress.
func (s *Store) beginExclusive(ctx context.Context, conn *sql.Conn) (*sql.Tx, error) {
	switch s.dialect {
	case schema.SQLite:
		// BEGIN IMMEDIATE (the DSN's _txlock) with no busy wait: a writer
		// already holding the lock means another provisioning runs.
		if _, err := conn.ExecContext(ctx, `PRAGMA busy_timeout = 0`); err != nil {
			return nil, fmt.Errorf("store: provision %v: %w", s.cfg, err)
		}
		defer func() {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA busy_timeout = `+strconv.FormatInt(s.opts.SQLiteBusyTimeout.Milliseconds(), 10))
		}()
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			if isBusy(err) {
				return nil, fmt.Errorf("store: provision %v: %w", s.cfg, ErrProvisioningInProgress)
			}
			return nil, fmt.Errorf("store: provision %v: %w", s.cfg, err)
		}
		return tx, nil
	default:
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return nil, fmt.Errorf("store: provision %v: %w: %s", s.cfg, ErrUnreachable, redact(err, s.cfg))
		}
		// A healthy provisioning pauses between statements for milliseconds;
		// the floor keeps a loaded (or short-leased) ipamd from being cut off.
		ms := strconv.FormatInt(max(s.opts.LeaseDuration, minIdleTxTimeout).Milliseconds(), 10)
		if _, err := tx.ExecContext(ctx, `SET LOCAL idle_in_transaction_session_timeout = `+ms); err != nil {
			_ = tx.Rollback()
			return nil, fmt.Errorf("store: provision %v: %w", s.cfg, err)
		}
		var got bool
		if err := tx.QueryRowContext(ctx, `SELECT pg_try_advisory_xact_lock($1)`, int64(provisionLockKey)).Scan(&got); err != nil {
			_ = tx.Rollback()
			return nil, fmt.Errorf("store: provision %v: %w", s.cfg, err)
		}
		if !got {
			_ = tx.Rollback()
			return nil, fmt.Errorf("store: provision %v: %w", s.cfg, ErrProvisioningInProgress)
		}
		return tx, nil
	}
}

// step runs one provisioning step (after the test hook) and names it in
// the error.
func (s *Store) step(name string, rbac bool, f func() error) error {
	if s.hook != nil {
		if err := s.hook(name); err != nil {
			return &StepError{Step: name, RBAC: rbac, Err: err}
		}
	}
	if err := f(); err != nil {
		return &StepError{Step: name, RBAC: rbac, Err: err}
	}
	return nil
}

// createSchema runs schema.V2's DDL, and creates the lease table with it
// so that Status reads a provisioned store with one query from the start.
func (s *Store) createSchema(ctx context.Context, tx *sql.Tx) error {
	for _, stmt := range append(s.dialect.CreateStatements(schema.V2), leaseTableDDL) {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			head, _, _ := strings.Cut(stmt, "(")
			return fmt.Errorf("%s: %w", strings.TrimSpace(head), err)
		}
	}
	return nil
}

// compareVersions orders "a.b.c.d" versions numerically; "" (a store
// without DatabaseSchemaVersion) is the oldest.
func compareVersions(a, b string) int {
	pa, pb := versionParts(a), versionParts(b)
	for i := range pa {
		if pa[i] != pb[i] {
			if pa[i] < pb[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

func versionParts(v string) [4]int {
	var out [4]int
	for i, f := range strings.SplitN(v, ".", 4) {
		n, err := strconv.Atoi(f)
		if err != nil {
			return [4]int{}
		}
		out[i] = n
	}
	return out
}
