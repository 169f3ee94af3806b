// Package convert converts an IPAM data store from the v1 layout (Windows
// Server 2012, IPAM 6.2; schema.V1) to the current one (schema.V2): the
// ordered migration steps 0–13 of docs/data-model.md#conversion-steps, run
// in place.
//
// Every step is either one transaction or a series of batches over a
// table's RecordId order, each batch committed together with its progress
// row in ipamd_conversion_progress. A crash, a kill or a cancelled context
// therefore leaves every batch either wholly old or wholly new, and the next
// Run continues at the first unfinished batch. All ids the conversion hands
// out are computed from the data (never from sequences, which PostgreSQL
// does not roll back), so a resumed conversion ends with the same rows as an
// uninterrupted one. The last step writes DatabaseSchemaVersion and drops
// the progress table in one transaction: until then Required reports the
// conversion as still needed.
//
// Schema changes follow each engine's way: PostgreSQL alters tables in
// place; SQLite, which cannot add NOT NULL or foreign keys to a table,
// rebuilds a table whose constraints change (new table, copy, drop,
// rename), with foreign key enforcement off on the conversion's connection
// and a full foreign_key_check before the final commit.
//
// Errors, for the services to map onto IpamExceptionIds: ErrNotRequired
// (IpamSchemaConversionNotRequired), *VersionError
// (IpamSchemaConversionCouldNotBeDoneForThisVersion, or
// IpamApiErrorDatabaseIsAtHigherVersion when Newer), ErrNotProvisioned
// (IpamErrorIPAMNotProvisioned), *StepError and anything else
// (IpamSchemaConversionFailed); a cancelled ctx returns ctx.Err() wrapped,
// the store consistent and resumable.
package convert

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ipamd/ipamd/services/adm"
	workprogress "github.com/ipamd/ipamd/services/progress"
	"github.com/ipamd/ipamd/store/schema"
)

// Options tunes a conversion. The zero value is usable.
type Options struct {
	// BatchSize is the most RecordIds one batch spans, so the most rows it
	// converts (default 65536). Batches are also bounded by time: see
	// BatchTime.
	BatchSize int
	// BatchTime is the duration a batch aims at (default 500ms); the batch
	// size shrinks and grows to stay near it. Longer batches spend less on
	// commits (on SQLite each may end in a WAL checkpoint); Progress does not
	// wait for them (see ProgressInterval), and a kill loses at most one.
	BatchTime time.Duration
	// Progress, when set, is called with the running step, the rows done and
	// the rows in that step (both 0 for a step that is one transaction). It
	// is called after every batch and, while one statement runs longer, at
	// least every ProgressInterval, never concurrently with itself. It must
	// be cheap: the services use it to drive Notify…Checkpoint on their own
	// schedule.
	Progress func(step string, done, total int64)
	// ProgressInterval is the longest gap between Progress calls (default
	// 250ms), so a checkpoint interval of 1 s is always met.
	ProgressInterval time.Duration
	// Now is the conversion's clock (default time.Now). It is read once,
	// when a conversion starts, and kept in the progress table, so a resumed
	// conversion stamps rows with the same time.
	Now func() time.Time
	// Database is the row step 2.4 writes to ADM_DatabaseConfigurationTable.
	// Nil describes the converted database by its engine alone.
	Database *DatabaseConfiguration
	// Fence, when set, runs inside every transaction of the conversion
	// just before it commits; an error rolls that transaction back and
	// ends the run (a *StepError wrapping it). The daemon passes the
	// conversion lease's check (store.Lease.RenewTx): an owner that was
	// paused or cut off until another took the lease over cannot commit
	// another batch.
	Fence func(ctx context.Context, tx *sql.Tx) error
}

// DatabaseConfiguration is the ADM_DatabaseConfigurationTable row
// (IpamDatabaseConfiguration without the credential's secret).
type DatabaseConfiguration struct {
	DatabaseType, DatabaseAuthenticationType string
	// CredentialUserName is the credential's user name ("" for none).
	CredentialUserName                                 string
	DatabaseServerNameOrIP, DatabaseName, DatabasePath string
	DatabasePort                                       int64
}

// ErrNotRequired is returned by Run when the store is at the current schema
// version already (IpamSchemaConversionNotRequired).
var ErrNotRequired = adm.Define(adm.ErrConversionNotRequired, "convert: the data store is at the current schema version")

// ErrNotProvisioned is returned when the database holds no IPAM store.
var ErrNotProvisioned = adm.Define(adm.ErrNotProvisioned, "convert: the database holds no IPAM data store")

// VersionError is returned by Run when no conversion leads from the store's
// schema version to the current one: the store is newer than this server
// (IpamApiErrorDatabaseIsAtHigherVersion) or of a layout ipamd does not know
// (IpamSchemaConversionCouldNotBeDoneForThisVersion).
type VersionError struct {
	From, To string
	// Newer is set when From is above To.
	Newer bool
}

func (e *VersionError) Error() string {
	if e.Newer {
		return fmt.Sprintf("convert: the data store's schema version %s is newer than this server's %s", e.From, e.To)
	}
	return fmt.Sprintf("convert: no conversion from schema version %s to %s", e.From, e.To)
}

// Is classifies the error for the IpamException table (package adm).
func (e *VersionError) Is(target error) bool {
	return (e.Newer && target == adm.ErrHigherVersion) || (!e.Newer && target == adm.ErrVersionNotConvertible)
}

// StepError is a failed conversion step (IpamSchemaConversionFailed). The
// store is consistent: the step's open batch was rolled back.
type StepError struct {
	Step string
	Err  error
}

func (e *StepError) Error() string { return fmt.Sprintf("convert: step %q: %v", e.Step, e.Err) }
func (e *StepError) Unwrap() error { return e.Err }

// progressTable records the conversion's progress; it exists only while a
// conversion is under way.
const progressTable = "ipamd_conversion_progress"

// startedStep is the progress row that keeps the conversion's clock.
const startedStep = "@started"

// Required reports whether the store needs a conversion (the stored
// DatabaseSchemaVersion differs from schema.V2.Version, GetSchemaConversionInfo
// 3.3.4.100), with both versions. A store without DatabaseSchemaVersion row
// in the v1 layout, as Windows Server 2012 wrote it, is at
// schema.V1Version. A conversion that stopped half-way is still required.
func Required(ctx context.Context, db *sql.DB, d schema.Dialect) (required bool, from, to string, err error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return false, "", "", fmt.Errorf("convert: %w", err)
	}
	defer conn.Close()
	from, err = storedVersion(ctx, conn, d)
	if err != nil {
		return false, "", "", err
	}
	return from != schema.V2.Version, from, schema.V2.Version, nil
}

func storedVersion(ctx context.Context, q querier, d schema.Dialect) (string, error) {
	ok, err := tableExists(ctx, q, d, schema.CommonProperties)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", ErrNotProvisioned
	}
	var v string
	err = queryRow(ctx, q, d, `SELECT "Value" FROM "ADM_CommonProperties" WHERE "Name" = ?`, []any{"DatabaseSchemaVersion"}, &v)
	if err == nil {
		return v, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("convert: read DatabaseSchemaVersion: %w", err)
	}
	// No version row: a v1 store has no address spaces.
	v2, err := tableExists(ctx, q, d, schema.AddressSpaceTable)
	if err != nil {
		return "", err
	}
	if !v2 {
		return schema.V1.Version, nil
	}
	return "", fmt.Errorf("convert: the data store has no DatabaseSchemaVersion and is not in the v1 layout")
}

func tableExists(ctx context.Context, q querier, d schema.Dialect, name string) (bool, error) {
	query := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`
	if d == schema.PostgreSQL {
		query = `SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = ?`
	}
	var n int
	if err := queryRow(ctx, q, d, query, []any{name}, &n); err != nil {
		return false, fmt.Errorf("convert: look for table %s: %w", name, err)
	}
	return n > 0, nil
}

// compareVersions compares "a.b.c.d" versions numerically.
func compareVersions(a, b string) (int, error) {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	if len(pa) != 4 || len(pb) != 4 {
		return 0, fmt.Errorf("convert: schema version %q or %q is not a.b.c.d", a, b)
	}
	for i := range 4 {
		x, err1 := strconv.Atoi(pa[i])
		y, err2 := strconv.Atoi(pb[i])
		if err1 != nil || err2 != nil {
			return 0, fmt.Errorf("convert: schema version %q or %q is not a.b.c.d", a, b)
		}
		if x != y {
			if x < y {
				return -1, nil
			}
			return 1, nil
		}
	}
	return 0, nil
}

// Run converts the v1 store in db to schema.V2, or resumes a conversion that
// stopped. The caller provides the exclusion (ADM_IsSchemaConversionInProgress);
// Run assumes nobody else writes to the store meanwhile.
func Run(ctx context.Context, db *sql.DB, d schema.Dialect, opts Options) error {
	opts.defaults()
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("convert: %w", err)
	}
	defer conn.Close()
	from, err := storedVersion(ctx, conn, d)
	if err != nil {
		return err
	}
	if from == schema.V2.Version {
		return ErrNotRequired
	}
	if from != schema.V1.Version {
		c, err := compareVersions(from, schema.V2.Version)
		if err != nil {
			return &VersionError{From: from, To: schema.V2.Version}
		}
		return &VersionError{From: from, To: schema.V2.Version, Newer: c > 0}
	}
	c := &conv{d: d, db: db, conn: conn, opts: opts}
	if d == schema.SQLite {
		// Rebuilt tables are dropped and renamed under their referencing
		// tables' feet; enforcement is off for the conversion's connection
		// and a foreign_key_check precedes the final commit.
		var fk int
		if err := conn.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
			return fmt.Errorf("convert: %w", err)
		}
		if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
			return fmt.Errorf("convert: %w", err)
		}
		defer func() {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA foreign_keys = "+strconv.Itoa(fk))
		}()
		restore, err := sqliteBulkPragmas(ctx, conn, bulkCacheKiB)
		if err != nil {
			return err
		}
		defer restore()
	}
	stop := c.startHeartbeat()
	defer stop()
	// Report before begin's first commit: a commit waits for the disk
	// (fsync), which under heavy I/O takes seconds, and the heartbeat can
	// only repeat a report there has been.
	if err := c.reportPending(ctx); err != nil {
		return err
	}
	if err := c.begin(ctx); err != nil {
		return err
	}
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := c.runStep(ctx, s); err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("convert: step %q: %w", s.name, ctx.Err())
			}
			return &StepError{Step: s.name, Err: err}
		}
	}
	return nil
}

// Page cache of the conversion's SQLite connections (PRAGMA cache_size in
// KiB, negative). The conversion's own connection keeps the address
// table's index pages and the batch's pages; a detector connection reads
// each span of addresses once and keeps nothing, so a small cache does.
// Both are bounds: the process's memory does not grow with the store
// (issue 16: peak RSS flat, at most 256 MiB; docs/performance.md).
//
// Step 12's CREATE INDEX and table copies sort with SQLite's sorter, which
// keeps at most the connection's cache_size of keys in memory and spills
// the rest to temporary files (temp_store = FILE); step 12 runs with
// sortCacheKiB, so a sort of 10M keys holds 16 MiB, not the 64 MiB the
// batches' cache would let it.
const (
	bulkCacheKiB   = 64 << 10
	detectCacheKiB = 8 << 10
	sortCacheKiB   = 16 << 10
)

// sqliteBulkPragmas tunes one of the conversion's SQLite connections for
// bulk work, with a page cache of cacheKiB, and returns the function that
// restores the previous settings:
//
//   - synchronous = NORMAL, under WAL only: a commit no longer waits for
//     the WAL's fsync, so a power loss (not a crash or kill of the process,
//     which loses nothing) may take back the last few committed batches.
//     Each batch is committed with its progress row, so what is taken back
//     is taken back whole and the next Run redoes it: the store stays
//     consistent and resumable, which is the durability a conversion
//     needs. The store's own connections run with NORMAL too (store.Open).
//     Under a rollback journal NORMAL could corrupt the database on power
//     loss, so the setting is left alone there.
//   - cache_size: cacheKiB of page cache instead of 2 MiB.
//   - temp_store = FILE: SQLite's sorter (CREATE INDEX, the copies of
//     step 12) and temporary b-trees spill to temporary files beyond the
//     page cache. Under MEMORY (until issue 16) the sorter never spills:
//     step 12's index of the address table held every key in memory, 800
//     MiB at 10M addresses.
//   - mmap_size = 0: pages are read with a read call each, from the
//     operating system's file cache. A memory map (1 GiB until issue 16)
//     saves a little CPU but every page it touches counts in the process's
//     resident memory, once per connection: the conversion's peak RSS grew
//     with the store (640 MiB at 1M addresses, 109 MiB at 100k).
func sqliteBulkPragmas(ctx context.Context, conn *sql.Conn, cacheKiB int) (restore func(), err error) {
	var journal string
	var sync, cache, temp, mmap int64
	if err := conn.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&journal); err != nil {
		return nil, fmt.Errorf("convert: %w", err)
	}
	if err := conn.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil {
		return nil, fmt.Errorf("convert: %w", err)
	}
	if err := conn.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&cache); err != nil {
		return nil, fmt.Errorf("convert: %w", err)
	}
	if err := conn.QueryRowContext(ctx, "PRAGMA temp_store").Scan(&temp); err != nil {
		return nil, fmt.Errorf("convert: %w", err)
	}
	if err := conn.QueryRowContext(ctx, "PRAGMA mmap_size").Scan(&mmap); err != nil {
		return nil, fmt.Errorf("convert: %w", err)
	}
	set := []string{"PRAGMA cache_size = -" + strconv.Itoa(cacheKiB), "PRAGMA temp_store = FILE", "PRAGMA mmap_size = 0"}
	if strings.EqualFold(journal, "wal") && sync > 1 {
		set = append(set, "PRAGMA synchronous = NORMAL")
	}
	for _, p := range set {
		if _, err := conn.ExecContext(ctx, p); err != nil {
			return nil, fmt.Errorf("convert: %s: %w", p, err)
		}
	}
	return func() {
		ctx := context.WithoutCancel(ctx)
		for _, p := range []string{"PRAGMA synchronous = " + strconv.FormatInt(sync, 10),
			"PRAGMA cache_size = " + strconv.FormatInt(cache, 10), "PRAGMA temp_store = " + strconv.FormatInt(temp, 10),
			"PRAGMA mmap_size = " + strconv.FormatInt(mmap, 10)} {
			_, _ = conn.ExecContext(ctx, p)
		}
	}, nil
}

// StepNames lists the conversion's steps in order.
func StepNames() []string {
	out := make([]string, len(steps))
	for i, s := range steps {
		out[i] = s.name
	}
	return out
}

func (o *Options) defaults() {
	if o.BatchSize <= 0 {
		o.BatchSize = 65536
	}
	if o.BatchTime <= 0 {
		o.BatchTime = 500 * time.Millisecond
	}
	if o.ProgressInterval <= 0 {
		o.ProgressInterval = 250 * time.Millisecond
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// conv is one running conversion.
type conv struct {
	d    schema.Dialect
	db   *sql.DB // for a second connection (see startDetector)
	conn *sql.Conn
	opts Options
	now  time.Time // the conversion's clock

	// Looked up once per run.
	managedBy, managedByEntity int64 // custom field record ids
	ipam, localhost            int64 // their default values' record ids

	mu       sync.Mutex // serialises Progress
	cur      progress
	lastCall time.Time
}

type progress struct {
	step        string
	done, total int64
}

// report calls Progress now.
func (c *conv) report(step string, done, total int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cur = progress{step, done, total}
	if c.opts.Progress != nil {
		c.opts.Progress(step, done, total)
	}
	c.lastCall = time.Now()
}

// startHeartbeat repeats the last progress while one statement runs long.
func (c *conv) startHeartbeat() (stop func()) {
	if c.opts.Progress == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(c.opts.ProgressInterval / 4)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			c.mu.Lock()
			if c.cur.step != "" && time.Since(c.lastCall) >= c.opts.ProgressInterval*3/4 {
				c.opts.Progress(c.cur.step, c.cur.done, c.cur.total)
				c.lastCall = time.Now()
			}
			c.mu.Unlock()
		}
	}()
	return func() { close(done); wg.Wait() }
}

// reportPending reports the first step not finished yet, reading only.
func (c *conv) reportPending(ctx context.Context) error {
	ok, err := tableExists(ctx, c.conn, c.d, progressTable)
	if err != nil {
		return err
	}
	for _, s := range steps {
		var st stepState
		if ok {
			if st, err = c.state(ctx, c.conn, s.name); err != nil {
				return fmt.Errorf("convert: %w", err)
			}
		}
		if !st.finished {
			c.report(s.name, st.done, 0)
			return nil
		}
	}
	return nil
}

// begin creates the progress table (first run) and loads the run's lookups.
func (c *conv) begin(ctx context.Context) error {
	err := c.inTx(ctx, func(tx *sql.Tx) error {
		bigint := "BIGINT"
		if c.d == schema.SQLite {
			bigint = "INTEGER"
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s (
  step TEXT PRIMARY KEY,
  last_record_id %s NOT NULL DEFAULT 0,
  done_rows %s NOT NULL DEFAULT 0,
  finished INTEGER NOT NULL DEFAULT 0
)`, progressTable, bigint, bigint)); err != nil {
			return err
		}
		var started int64
		err := c.queryRow(ctx, tx, "SELECT last_record_id FROM "+progressTable+" WHERE step = ?", []any{startedStep}, &started)
		if errors.Is(err, sql.ErrNoRows) {
			c.now = c.opts.Now().UTC().Truncate(time.Microsecond)
			_, err = c.exec(ctx, tx, "INSERT INTO "+progressTable+" (step, last_record_id, finished) VALUES (?, ?, 1)",
				startedStep, c.now.UnixMicro())
			return err
		}
		if err != nil {
			return err
		}
		c.now = time.UnixMicro(started).UTC()
		return nil
	})
	if err != nil {
		return fmt.Errorf("convert: progress table: %w", err)
	}
	return c.lookups(ctx)
}

// lookups finds the built-in Managed by / Managed by entity fields and their
// default values (IPAM, Localhost), which the upgrade rule
// ObjectsWithoutMBandSI needs.
func (c *conv) lookups(ctx context.Context) error {
	field := func(number string) (int64, error) {
		var id int64
		err := c.queryRow(ctx, c.conn, `SELECT "RecordId" FROM "ADM_CustomFieldsTable" WHERE "BuiltinCustomFieldNumber" = ?`, []any{number}, &id)
		if err != nil {
			return 0, fmt.Errorf("convert: built-in custom field %s: %w", number, err)
		}
		return id, nil
	}
	value := func(fieldID int64, v string) (int64, error) {
		var id int64
		err := c.queryRow(ctx, c.conn, `SELECT MIN("RecordId") FROM "ADM_CustomFieldValuesTable" WHERE "CustomFieldRecordId" = ? AND "Value" = ?`,
			[]any{fieldID, v}, &id)
		if err != nil {
			return 0, fmt.Errorf("convert: value %q of custom field %d: %w", v, fieldID, err)
		}
		return id, nil
	}
	var err error
	if c.managedBy, err = field("ManagedBy"); err != nil {
		return err
	}
	if c.managedByEntity, err = field("ManagedByEntity"); err != nil {
		return err
	}
	if c.ipam, err = value(c.managedBy, "IPAM"); err != nil {
		return err
	}
	c.localhost, err = value(c.managedByEntity, "Localhost")
	return err
}

// step is one migration step: a single transaction (tx) or batches over
// table's RecordId order (batch, with prepare run once first).
type step struct {
	name string
	tx   func(ctx context.Context, c *conv, tx *sql.Tx) error
	// Batched steps.
	table   string
	prepare func(ctx context.Context, c *conv, tx *sql.Tx) error
	// start runs at the beginning of every run of the step, outside any
	// transaction (e.g. to load lookup data).
	start func(ctx context.Context, c *conv, from, to int64) (batchFunc, func(), error)
	// own runs a step that manages its transactions itself (step 12).
	own func(ctx context.Context, c *conv, name string) error
}

// batchFunc converts the rows with lo < RecordId <= hi and returns how
// many there were.
type batchFunc func(ctx context.Context, tx *sql.Tx, lo, hi int64) (int64, error)

type stepState struct {
	exists     bool
	last, done int64
	finished   bool
}

func (c *conv) state(ctx context.Context, q querier, name string) (stepState, error) {
	var s stepState
	var fin int
	err := c.queryRow(ctx, q, "SELECT last_record_id, done_rows, finished FROM "+progressTable+" WHERE step = ?", []any{name},
		&s.last, &s.done, &fin)
	if errors.Is(err, sql.ErrNoRows) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("read progress: %w", err)
	}
	s.exists, s.finished = true, fin != 0
	return s, nil
}

// markFinished records a finished step in tx.
func (c *conv) markFinished(ctx context.Context, tx *sql.Tx, name string) error {
	_, err := c.exec(ctx, tx, "UPDATE "+progressTable+" SET finished = 1 WHERE step = ?", name)
	if err != nil {
		return err
	}
	_, err = c.exec(ctx, tx, "INSERT INTO "+progressTable+" (step, finished) SELECT ?, 1 WHERE NOT EXISTS (SELECT 1 FROM "+
		progressTable+" WHERE step = ?)", name, name)
	return err
}

func (c *conv) runStep(ctx context.Context, s step) error {
	st, err := c.state(ctx, c.conn, s.name)
	if err != nil {
		return err
	}
	if st.finished {
		return nil
	}
	workprogress.Step(ctx, s.name)
	c.report(s.name, st.done, 0)
	switch {
	case s.own != nil:
		return s.own(ctx, c, s.name)
	case s.tx != nil:
		return c.inTx(ctx, func(tx *sql.Tx) error {
			if err := s.tx(ctx, c, tx); err != nil {
				return err
			}
			return c.markFinished(ctx, tx, s.name)
		})
	}
	return c.runBatched(ctx, s, st)
}

func (c *conv) runBatched(ctx context.Context, s step, st stepState) error {
	if !st.exists {
		err := c.inTx(ctx, func(tx *sql.Tx) error {
			if s.prepare != nil {
				if err := s.prepare(ctx, c, tx); err != nil {
					return err
				}
			}
			_, err := c.exec(ctx, tx, "INSERT INTO "+progressTable+" (step) VALUES (?)", s.name)
			return err
		})
		if err != nil {
			return err
		}
	}
	tbl := schema.Quote(s.table)
	var total, maxID int64
	if err := c.queryRow(ctx, c.conn, `SELECT COUNT(*), COALESCE(MAX("RecordId"), 0) FROM `+tbl, nil, &total, &maxID); err != nil {
		return err
	}
	batch, stop, err := s.start(ctx, c, st.last, maxID)
	if err != nil {
		return err
	}
	defer stop()
	last, done := st.last, st.done
	size := min(c.opts.BatchSize, 500)
	c.report(s.name, done, total)
	for last < maxID {
		if err := ctx.Err(); err != nil {
			return err
		}
		began := time.Now()
		// A batch is an interval of size RecordIds: no query has to find
		// where size rows end (that cost a pass over the rows of its own).
		// Where ids are sparse a batch holds fewer rows; it never holds more
		// than BatchSize.
		hi := min(last+int64(size), maxID)
		var n int64
		err := c.inTx(ctx, func(tx *sql.Tx) error {
			var err error
			if n, err = batch(ctx, tx, last, hi); err != nil {
				return err
			}
			_, err = c.exec(ctx, tx, "UPDATE "+progressTable+" SET last_record_id = ?, done_rows = ? WHERE step = ?", hi, done+n, s.name)
			return err
		})
		if err != nil {
			return err
		}
		last, done = hi, done+n
		// Rows converted, for ipamd_work_rows_total: only committed batches
		// count, so a resumed conversion does not count a batch twice.
		workprogress.AddRows(ctx, n)
		c.report(s.name, done, total)
		// Keep a batch near BatchTime: a checkpoint can only follow a commit.
		switch el := time.Since(began); {
		case el > c.opts.BatchTime && size > 16:
			size /= 2
		case el < c.opts.BatchTime/2 && size < c.opts.BatchSize:
			size = min(size*2, c.opts.BatchSize)
		}
	}
	return c.inTx(ctx, func(tx *sql.Tx) error { return c.markFinished(ctx, tx, s.name) })
}

// inTx runs f in a transaction on the conversion's connection, fenced.
func (c *conv) inTx(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := c.conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if c.opts.Fence != nil {
		if err := c.opts.Fence(ctx, tx); err != nil {
			_ = tx.Rollback()
			return err
		}
	}
	return tx.Commit()
}

// rebind turns ? placeholders (outside quotes) into the dialect's.
func rebind(d schema.Dialect, q string) string {
	if d != schema.PostgreSQL || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	n := 0
	var quote byte
	for i := 0; i < len(q); i++ {
		ch := q[i]
		switch {
		case quote != 0:
			if ch == quote {
				quote = 0
			}
		case ch == '\'' || ch == '"':
			quote = ch
		case ch == '?':
			n++
			b.WriteString(d.Placeholder(n))
			continue
		}
		b.WriteByte(ch)
	}
	return b.String()
}

func (c *conv) exec(ctx context.Context, q querier, query string, args ...any) (sql.Result, error) {
	r, err := q.ExecContext(ctx, rebind(c.d, query), args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", firstLine(query), err)
	}
	return r, nil
}

func (c *conv) queryRow(ctx context.Context, q querier, query string, args []any, dest ...any) error {
	return queryRow(ctx, q, c.d, query, args, dest...)
}

func queryRow(ctx context.Context, q querier, d schema.Dialect, query string, args []any, dest ...any) error {
	rows, err := q.QueryContext(ctx, rebind(d, query), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	return rows.Close()
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 80 {
		s = s[:80]
	}
	return s
}
