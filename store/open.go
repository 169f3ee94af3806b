// Package store is the IPAM data store (MS-IPAMM2 ADM_IPAMDataStore): the
// v2 tables of store/schema on one of two engines behind one API, and the
// cross-process marks that keep two provisionings or conversions from
// running at once.
//
// DatabaseType WindowsInternalDatabase is an embedded SQLite file
// (modernc.org/sqlite, pure Go: WAL, a busy timeout, foreign keys on);
// MSSQLServer is served by PostgreSQL (pgx through database/sql), at the
// server, port, database and credential the client sent, if the operator's
// Policy allows them. Both share the SQL; schema.Dialect spells the
// differences. Both have transactional DDL, so provisioning is one
// transaction that leaves nothing behind when it fails.
//
// Store is one opened database; Manager is the daemon's view: which store
// is active (persisted in the state directory), the ADM global flags, and
// the provisioning and conversion jobs the services run. Nothing here knows
// about SOAP; protocol failures are *ipam.IpamException values with the
// IpamExceptionId the spec gives them.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"go.uber.org/zap"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/ipamd/ipamd/services/adm"
	"github.com/ipamd/ipamd/store/schema"
)

// Sentinel errors callers branch on (errors.Is). They are the domain errors
// of package adm (or cases of them), whose table gives their IpamExceptionIds.
var (
	// ErrUnreachable: the database could not be opened or reached.
	ErrUnreachable = adm.ErrUnreachable
	// ErrProvisioningInProgress: another session or process is provisioning this database.
	ErrProvisioningInProgress = adm.ErrProvisioningInProgress
	// ErrAlreadyProvisioned: the database already holds an IPAM store.
	ErrAlreadyProvisioned = adm.ErrAlreadyProvisioned
	// ErrNotProvisioned: the database holds no IPAM store.
	ErrNotProvisioned = adm.ErrNotProvisioned
	// ErrForeignTables: the database holds ADM_ tables that are not an IPAM store.
	ErrForeignTables = adm.Define(adm.ErrInvalidConfiguration, "database holds ADM tables that are not an IPAM store")
	// ErrHigherVersion: the store is at a schema version newer than this ipamd.
	ErrHigherVersion = adm.ErrHigherVersion
	// ErrConversionInProgress: a live lease holds the conversion mark.
	ErrConversionInProgress = adm.ErrConversionInProgress
	// ErrConversionNotRequired: the store is at the current schema version.
	ErrConversionNotRequired = adm.ErrConversionNotRequired
	// ErrLeaseLost: the lease expired and another owner took it.
	ErrLeaseLost = adm.ErrLeaseLost
)

// Options tune how stores are opened. Zero values take the defaults.
type Options struct {
	// SQLiteBusyTimeout is how long an embedded store waits for a lock
	// held by another connection (default 10 s).
	SQLiteBusyTimeout time.Duration
	// PostgresSSLMode is libpq's sslmode, or "auto" (the default):
	// verify-full for a server not on loopback, prefer for one on it.
	PostgresSSLMode string
	// PostgresEnvironmentCredentials lets the driver complete the
	// credential from ipamd's environment (PGPASSWORD, a passfile, a
	// service, a client certificate); off, only what the client sent is
	// used.
	PostgresEnvironmentCredentials bool
	// PostgresSSLRootCert is a CA file for sslmode verify-ca / verify-full
	// ("": the system's roots).
	PostgresSSLRootCert string
	// ConnectTimeout bounds reaching a PostgreSQL server (default 10 s).
	ConnectTimeout time.Duration
	// MaxConns caps open connections per store (default 8).
	MaxConns int
	// Logger receives warnings about the store's files (nil: none).
	Logger *zap.Logger
	// LeaseDuration is how long an in-progress mark outlives its owner's
	// last sign of life (default 30 s): a conversion lease not renewed
	// within it may be taken over; a provisioning transaction whose client
	// went silent that long (at least 10 s) is aborted by PostgreSQL.
	LeaseDuration time.Duration
}

func (o Options) withDefaults() Options {
	if o.SQLiteBusyTimeout <= 0 {
		o.SQLiteBusyTimeout = schema.DefaultSQLiteBusyTimeout
	}
	if o.PostgresSSLMode == "" {
		o.PostgresSSLMode = "auto"
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 10 * time.Second
	}
	if o.MaxConns <= 0 {
		o.MaxConns = 8
	}
	if o.LeaseDuration <= 0 {
		o.LeaseDuration = 30 * time.Second
	}
	return o
}

// Store is one opened IPAM database, provisioned or not.
type Store struct {
	db      *sql.DB
	cfg     Config
	dialect schema.Dialect
	opts    Options
	// file is an embedded store's checked file, held while it is open.
	file *sqliteFile
	// hook, when set by tests, runs before each provisioning step and can
	// fail it ("ddl:N", "seed:TABLE", "commit").
	hook func(step string) error
	// wall, when set by tests, is the host's wall clock (wallClock).
	wall func() time.Time

	// quickStatus's statement and arguments, built by Open, and the
	// statement prepared once the tables it reads exist (parsing it was a
	// third of its cost).
	quickStatusQuery string
	quickStatusArgs  []any
	quickStatusStmt  atomic.Pointer[sql.Stmt]
}

// Open opens the database cfg names and checks that it answers. An
// embedded store's directory (mode 0700) and file are created if missing;
// a PostgreSQL database must exist. A failure to reach the database wraps
// ErrUnreachable; no error message contains the password.
func Open(ctx context.Context, cfg Config, opts Options) (*Store, error) {
	opts = opts.withDefaults()
	s := &Store{cfg: cfg, dialect: cfg.Dialect(), opts: opts}
	s.prepareQuickStatus()
	switch s.dialect {
	case schema.SQLite:
		if strings.ContainsRune(cfg.Path, '?') {
			return nil, fmt.Errorf("store: open %v: %w: the path contains '?'", cfg, ErrUnreachable)
		}
		sf, err := openSQLiteFile(cfg.Path)
		if errors.Is(err, ErrUnsafePath) {
			return nil, fmt.Errorf("store: open %v: %w", cfg, err)
		}
		if err != nil {
			return nil, fmt.Errorf("store: open %v: %w: %v", cfg, ErrUnreachable, err)
		}
		if len(sf.tightened) > 0 && opts.Logger != nil {
			opts.Logger.Warn("embedded store files were group or world accessible: now mode 0600", zap.Strings("files", sf.tightened))
		}
		if testHookSQLiteChecked != nil {
			testHookSQLiteChecked(cfg.Path)
		}
		s.file = sf
		db := sql.OpenDB(&sqliteConnector{dsn: schema.SQLiteDSN(cfg.Path, schema.SQLiteExistingFile()),
			pragmas: schema.SQLitePragmas(opts.SQLiteBusyTimeout), file: sf})
		db.SetMaxOpenConns(opts.MaxConns)
		s.db = db
	case schema.PostgreSQL:
		pc, err := pgx.ParseConfig(pgConnString(cfg, opts))
		if err != nil {
			return nil, fmt.Errorf("store: open %v: %w: %s", cfg, ErrUnreachable, redact(err, cfg))
		}
		if !opts.PostgresEnvironmentCredentials {
			// pgx completes a configuration from the process: PGPASSWORD,
			// a passfile, a service file, PGOPTIONS and the like. The
			// connection string sets what it can explicitly; the password
			// and run-time parameters are set here, whatever was found.
			pc.Password = cfg.Password
			pc.RuntimeParams = map[string]string{}
		} else if cfg.Password != "" {
			pc.Password = cfg.Password
		}
		pc.RuntimeParams["application_name"] = "ipamd"
		// A transaction whose ipamd went silent (paused, partitioned) is
		// aborted, and its locks freed, once its lease would have expired:
		// the owner that takes over must not wait on them.
		pc.RuntimeParams["idle_in_transaction_session_timeout"] = strconv.FormatInt(max(opts.LeaseDuration, minIdleTxTimeout).Milliseconds(), 10)
		db := stdlib.OpenDB(*pc)
		db.SetMaxOpenConns(opts.MaxConns)
		db.SetConnMaxIdleTime(5 * time.Minute)
		s.db = db
	}
	pctx, cancel := context.WithTimeout(ctx, opts.ConnectTimeout)
	defer cancel()
	if err := s.ping(pctx); err != nil {
		_ = s.Close()
		if errors.Is(err, ErrUnsafePath) {
			return nil, fmt.Errorf("store: open %v: %w", cfg, err)
		}
		return nil, fmt.Errorf("store: open %v: %w: %s", cfg, ErrUnreachable, redact(err, cfg))
	}
	return s, nil
}

// ping checks that the database answers. An embedded store another process
// (or handle) is creating at that moment can answer the first connection's
// pragmas with SQLITE_BUSY before the busy handler applies (switching a
// fresh file to WAL takes an exclusive lock); that is retried until ctx
// ends, not reported as an unreachable store.
func (s *Store) ping(ctx context.Context) error {
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 200*time.Millisecond) {
		err := s.db.PingContext(ctx)
		if err == nil || s.dialect != schema.SQLite || !isBusy(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}

// pgConnString is the keyword/value connection string without the
// password, which is set on the parsed config instead so it cannot show up
// in a parse error.
func pgConnString(cfg Config, opts Options) string {
	kv := [][2]string{
		{"host", cfg.Host}, {"port", strconv.Itoa(cfg.Port)}, {"dbname", cfg.Name}, {"user", cfg.User},
		{"sslmode", sslMode(opts.PostgresSSLMode, cfg.Host)},
		{"connect_timeout", strconv.Itoa(max(1, int(opts.ConnectTimeout/time.Second)))},
	}
	if opts.PostgresSSLRootCert != "" || !opts.PostgresEnvironmentCredentials {
		// Empty: the system's roots, not ~/.postgresql/root.crt.
		kv = append(kv, [2]string{"sslrootcert", opts.PostgresSSLRootCert})
	}
	if !opts.PostgresEnvironmentCredentials {
		// No credential from files the environment or the home directory
		// name; no client certificate at all.
		kv = append(kv, [2]string{"passfile", ""}, [2]string{"sslcert", ""}, [2]string{"sslkey", ""},
			[2]string{"sslpassword", ""}, [2]string{"sslcertmode", "disable"}, [2]string{"target_session_attrs", "any"})
	}
	var b strings.Builder
	for _, p := range kv {
		v := strings.ReplaceAll(strings.ReplaceAll(p[1], `\`, `\\`), `'`, `\'`)
		fmt.Fprintf(&b, "%s='%s' ", p[0], v)
	}
	return b.String()
}

// sslMode is the sslmode for host: "auto" is verify-full unless host is
// on loopback, where no network attacker sits between ipamd and the
// server.
func sslMode(mode, host string) string {
	if mode != "auto" {
		return mode
	}
	if strings.EqualFold(host, "localhost") {
		return "prefer"
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return "prefer"
	}
	return "verify-full"
}

// redact returns err's text with the credential removed: the password
// wherever it appears, the user name where drivers quote it.
func redact(err error, cfg Config) string {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) && ce.Unwrap() != nil {
		// ConnectError's own text repeats user and database; its cause is enough.
		err = ce.Unwrap()
	}
	msg := err.Error()
	if cfg.Password != "" {
		msg = strings.ReplaceAll(msg, cfg.Password, "<redacted>")
	}
	if cfg.User != "" {
		for _, form := range []string{`"` + cfg.User + `"`, "user=" + cfg.User, "`" + cfg.User + "`"} {
			msg = strings.ReplaceAll(msg, form, strings.Replace(form, cfg.User, "<user>", 1))
		}
	}
	return msg
}

// Close closes the database.
func (s *Store) Close() error {
	if st := s.quickStatusStmt.Swap(nil); st != nil {
		_ = st.Close()
	}
	err := s.db.Close()
	if s.file != nil {
		_ = s.file.Close()
	}
	return err
}

// Config is the configuration the store was opened with.
func (s *Store) Config() Config { return s.cfg }

// Dialect is the store's SQL engine.
func (s *Store) Dialect() schema.Dialect { return s.dialect }

// DB is the database handle, for the schema conversion and tests. Writes
// that must not outlive a lease go through Lease.RenewTx in the same
// transaction.
func (s *Store) DB() *sql.DB { return s.db }

// LeaseDuration is the lease length the store was opened with.
func (s *Store) LeaseDuration() time.Duration { return s.opts.LeaseDuration }

// querier is what *sql.DB, *sql.Conn and *sql.Tx share.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Status is what a store holds, as initialization (MS-IPAMM2 3.1.3) and
// the ADM global flags need it.
type Status struct {
	// Provisioned: ADM_CommonProperties exists and names the five IPAM
	// security groups (ADM_IPAMDataStore and ADM_IPAMSecurityGroups are
	// set up; 3.1.1.3 ADM_IsIPAMConfigured).
	Provisioned bool
	// Version is ADM_CommonProperties.DatabaseSchemaVersion (ADM_IPAMSchemaVersion);
	// "" for a provisioned store without one (the v1 layout had none).
	Version string
	// ConversionInProgress: a live lease holds the conversion mark.
	ConversionInProgress bool
}

// ConversionRequired is ADM_IsSchemaConversionRequired: a provisioned store
// whose schema version is not the one this ipamd works with
// (ADM_IPAMServerVersion = schema.V2Version), the comparison
// GetSchemaConversionInfo (3.3.4.100) makes.
func (st Status) ConversionRequired() bool { return st.Provisioned && st.Version != schema.V2Version }

// Status reads the store's state.
func (s *Store) Status(ctx context.Context) (Status, error) {
	if st, ok := s.quickStatus(ctx); ok {
		return st, nil
	}
	st, _, err := s.status(ctx, s.db)
	if err != nil {
		return Status{}, err
	}
	held, err := s.leaseHeld(ctx, s.db, leaseConversion)
	if err != nil {
		return Status{}, err
	}
	st.ConversionInProgress = held
	return st, nil
}

// quickStatus answers Status for the usual case, a provisioned store, with
// one query on keyed rows: the five security groups and the schema version
// from ADM_CommonProperties, and the conversion lease. Status runs for every
// Start (ADM gating), where listing the catalog (status) was half the CPU of
// a whole session. Anything else — a table missing, a group unset, an error
// — returns ok false and the full check decides (a store provisioned by an
// older ipamd has no lease table until its first conversion).
func (s *Store) quickStatus(ctx context.Context) (st Status, ok bool) {
	stmt := s.quickStatusStmt.Load()
	if stmt == nil {
		prepared, err := s.db.PrepareContext(ctx, s.quickStatusQuery)
		if err != nil {
			return Status{}, false // a table missing: not the usual case
		}
		if !s.quickStatusStmt.CompareAndSwap(nil, prepared) {
			_ = prepared.Close()
		}
		stmt = s.quickStatusStmt.Load()
	}
	rows, err := stmt.QueryContext(ctx, s.nowArgs(s.quickStatusArgs...)...)
	if err != nil {
		return Status{}, false
	}
	defer rows.Close()
	groups := 0
	for rows.Next() {
		var n string
		var v sql.NullString
		if err := rows.Scan(&n, &v); err != nil {
			return Status{}, false
		}
		switch {
		case n == "":
			st.ConversionInProgress = v.String != "0"
		case n == propSchemaVersion:
			st.Version = v.String
		case v.String != "":
			groups++
		}
	}
	if rows.Err() != nil || groups != len(securityGroupProperties) {
		return Status{}, false
	}
	st.Provisioned = true
	return st, true
}

// prepareQuickStatus builds quickStatus's statement for the store's dialect.
func (s *Store) prepareQuickStatus() {
	p := s.dialect.Placeholder
	var in []string
	for i := range len(securityGroupProperties) + 1 {
		in = append(in, p(i+1))
	}
	s.quickStatusQuery = `SELECT "Name", "Value" FROM "` + schema.CommonProperties + `" WHERE "Name" IN (` + strings.Join(in, ", ") + `)
UNION ALL SELECT '', CAST(count(*) AS TEXT) FROM "` + leaseTable + `" WHERE "Name" = ` + p(len(in)+1) + ` AND "ExpiresAt" > ` + s.nowMillis(len(in)+2)
	for _, g := range securityGroupProperties {
		s.quickStatusArgs = append(s.quickStatusArgs, g[0])
	}
	s.quickStatusArgs = append(s.quickStatusArgs, propSchemaVersion, leaseConversion)
}

// securityGroupProperties are the ADM_CommonProperties names of the five
// IPAM security groups (ADM_IPAMSecurityGroups, 3.1.1.2), in the order
// 3.1.1.1.28 lists them, with the names provisioning gives them.
var securityGroupProperties = [][2]string{
	{"IpamSecurityGroupIpamUsers", "IPAM Users"},
	{"IpamSecurityGroupIpamAdministrators", "IPAM Administrators"},
	{"IpamSecurityGroupIpamAsmAdministrators", "IPAM ASM Administrators"},
	{"IpamSecurityGroupIpamMsmAdministrators", "IPAM MSM Administrators"},
	{"IpamSecurityGroupIpamIPAuditAdministrators", "IPAM IP Audit Administrators"},
}

// propSchemaVersion is the ADM_CommonProperties entry 3.1.1.3 reads
// ADM_IPAMSchemaVersion from.
const propSchemaVersion = "DatabaseSchemaVersion"

// status reads what q sees: whether the database holds a store, and its
// version. foreign is true when ADM_ tables exist without a store.
func (s *Store) status(ctx context.Context, q querier) (st Status, foreign bool, err error) {
	tables, err := s.admTables(ctx, q)
	if err != nil {
		return Status{}, false, err
	}
	if len(tables) == 0 {
		return Status{}, false, nil
	}
	if !tables[schema.CommonProperties] {
		return Status{}, true, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT "Name", "Value" FROM "ADM_CommonProperties"`)
	if err != nil {
		return Status{}, false, fmt.Errorf("store: read %s: %w", schema.CommonProperties, err)
	}
	defer rows.Close()
	props := map[string]string{}
	for rows.Next() {
		var n string
		var v sql.NullString
		if err := rows.Scan(&n, &v); err != nil {
			return Status{}, false, fmt.Errorf("store: read %s: %w", schema.CommonProperties, err)
		}
		props[n] = v.String
	}
	if err := rows.Err(); err != nil {
		return Status{}, false, fmt.Errorf("store: read %s: %w", schema.CommonProperties, err)
	}
	for _, g := range securityGroupProperties {
		if props[g[0]] == "" {
			return Status{}, true, nil
		}
	}
	return Status{Provisioned: true, Version: props[propSchemaVersion]}, false, nil
}

// admTables lists the database's tables named ADM_….
func (s *Store) admTables(ctx context.Context, q querier) (map[string]bool, error) {
	query := `SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'ADM\_%' ESCAPE '\'`
	if s.dialect == schema.PostgreSQL {
		query = `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE 'ADM\_%'`
	}
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("store: list tables: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("store: list tables: %w", err)
		}
		out[n] = true
	}
	return out, rows.Err()
}

// isBusy reports an SQLite lock held by another connection.
func isBusy(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code() & 0xff
		return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
	}
	return false
}

// isUnreachable reports a failure to reach the database (as opposed to an
// SQL error from a database that answered).
func isUnreachable(err error) bool {
	var ne net.Error
	var ce *pgconn.ConnectError
	return errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, ErrUnreachable)
}
