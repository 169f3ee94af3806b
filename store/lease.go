package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/ipamd/ipamd/services/adm"
	"github.com/ipamd/ipamd/store/schema"
)

// The lease table holds the cross-process in-progress marks of work that
// spans transactions (schema conversion): one row per mark, with the
// owner, a token unique to the acquisition, a generation that grows by one
// with every acquisition (the fencing token: a later owner always holds a
// higher one) and an expiry on the database's clock (so hosts with skewed
// clocks agree, and a jump of a host's wall clock moves no lease). It is
// ipamd bookkeeping, not part of the ADM, and is created on first use.
//
// A released mark keeps its row (expired, no token), so the generation
// never goes back.
const (
	leaseTable      = "ipamd_Lease"
	leaseConversion = "SchemaConversion"
)

// nowMillis is the lease clock in Unix milliseconds, as SQL: on PostgreSQL
// clock_timestamp(), the server's clock, which every ipamd sharing the
// database reads alike, and which no ipamd host's clock moves. SQLite has no
// server: there it is parameter n, the host's wall clock (nowArgs adds it),
// which the processes sharing the file also share (one host). A wall-clock
// jump there shortens or stretches a lease once; it cannot let two owners
// write, as every batch is fenced by the token (Lease.RenewTx) —
// TestLeaseSurvivesWallClockJump shows both.
func (s *Store) nowMillis(n int) string {
	if s.dialect == schema.PostgreSQL {
		return `(extract(epoch from clock_timestamp()) * 1000)::bigint`
	}
	return s.param(n)
}

// nowArgs is args followed, on SQLite, by the host's wall clock in Unix
// milliseconds: the value of nowMillis(len(args)+1).
func (s *Store) nowArgs(args ...any) []any {
	if s.dialect == schema.PostgreSQL {
		return args
	}
	return append(args[:len(args):len(args)], s.wallClock().UnixMilli()) // a copy: args may be shared
}

// wallClock is the host's wall clock (time.Now, or a test's jumped one).
// Only the embedded store's lease reads it; lease timing in Go (Keep's
// renewals) uses the monotonic clock, which a wall-clock jump does not move.
func (s *Store) wallClock() time.Time {
	if s.wall != nil {
		return s.wall()
	}
	return time.Now()
}

// param is the numbered parameter n: $n, or SQLite's ?n (a plain ? would
// be numbered after the largest one used so far, not by position).
func (s *Store) param(n int) string {
	if s.dialect == schema.PostgreSQL {
		return "$" + strconv.Itoa(n)
	}
	return "?" + strconv.Itoa(n)
}

// leaseTableDDL creates ipamd's own table of in-progress marks: not an ADM
// table (its name has no ADM_ prefix, so catalog checks pass it by).
const leaseTableDDL = `CREATE TABLE IF NOT EXISTS "` + leaseTable + `" ("Name" TEXT PRIMARY KEY, "Owner" TEXT NOT NULL, "Token" TEXT NOT NULL, "ExpiresAt" BIGINT NOT NULL, "Generation" BIGINT NOT NULL DEFAULT 0)`

// ensureLeaseTable creates the lease table if missing, and adds the
// Generation column to one an older ipamd created. Two processes may race
// here; PostgreSQL then reports a duplicate type (or column) for the loser,
// which is fine once the table (or column) exists. The column is looked up
// before it is added: ALTER TABLE waits for every lock on the table, which
// a running conversion's batch holds on the lease row.
func (s *Store) ensureLeaseTable(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, leaseTableDDL); err != nil {
		if ok, lerr := s.hasTable(ctx, s.db, leaseTable); lerr != nil || !ok {
			return fmt.Errorf("store: create lease table: %w", err)
		}
	}
	has, err := s.hasLeaseGeneration(ctx)
	if err != nil || has {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `ALTER TABLE "`+leaseTable+`" ADD COLUMN "Generation" BIGINT NOT NULL DEFAULT 0`); err != nil {
		if has, lerr := s.hasLeaseGeneration(ctx); lerr == nil && has {
			return nil
		}
		return fmt.Errorf("store: add the lease generation: %w", err)
	}
	return nil
}

func (s *Store) hasLeaseGeneration(ctx context.Context) (bool, error) {
	query := `SELECT count(*) FROM pragma_table_info('` + leaseTable + `') WHERE name = 'Generation'`
	if s.dialect == schema.PostgreSQL {
		query = `SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '` + leaseTable + `' AND column_name = 'Generation'`
	}
	var n int
	if err := s.db.QueryRowContext(ctx, query).Scan(&n); err != nil {
		return false, fmt.Errorf("store: look up the lease generation: %w", err)
	}
	return n > 0, nil
}

// hasTable reports whether the table exists.
func (s *Store) hasTable(ctx context.Context, q querier, name string) (bool, error) {
	var n int
	query := `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`
	if s.dialect == schema.PostgreSQL {
		query = `SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = $1`
	}
	if err := q.QueryRowContext(ctx, query, name).Scan(&n); err != nil {
		return false, fmt.Errorf("store: look up table %s: %w", name, err)
	}
	return n > 0, nil
}

// leaseHeld reports whether a live lease holds the mark.
func (s *Store) leaseHeld(ctx context.Context, q querier, name string) (bool, error) {
	ok, err := s.hasTable(ctx, q, leaseTable)
	if err != nil || !ok {
		return false, err
	}
	var n int
	err = q.QueryRowContext(ctx, `SELECT count(*) FROM "`+leaseTable+`" WHERE "Name" = `+s.param(1)+` AND "ExpiresAt" > `+s.nowMillis(2), s.nowArgs(name)...).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: read lease %s: %w", name, err)
	}
	return n > 0, nil
}

// Lease is a held in-progress mark. It expires LeaseDuration after the last
// renewal; until then no other owner can take it.
type Lease struct {
	s        *Store
	name     string
	owner    string
	token    string
	gen      int64
	duration time.Duration

	mu    sync.Mutex
	ended bool
}

// tryLease takes the named mark if it is free or its lease has expired,
// atomically on both engines (one upsert whose update only applies to an
// expired row), with the next generation. It returns (nil, nil) when a live
// lease holds it.
func (s *Store) tryLease(ctx context.Context, name, owner string) (*Lease, error) {
	if err := s.ensureLeaseTable(ctx); err != nil {
		return nil, err
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("store: lease token: %w", err)
	}
	l := &Lease{s: s, name: name, owner: owner, token: hex.EncodeToString(b[:]), duration: s.opts.LeaseDuration}
	p, now := s.param, s.nowMillis(5)
	q := `INSERT INTO "` + leaseTable + `" ("Name", "Owner", "Token", "ExpiresAt", "Generation") VALUES (` + p(1) + `, ` + p(2) + `, ` + p(3) + `, ` + now + ` + ` + p(4) + `, 1)
ON CONFLICT ("Name") DO UPDATE SET "Owner" = excluded."Owner", "Token" = excluded."Token", "ExpiresAt" = excluded."ExpiresAt",
  "Generation" = "` + leaseTable + `"."Generation" + 1
WHERE "` + leaseTable + `"."ExpiresAt" <= ` + now + `
RETURNING "Generation"`
	err := s.db.QueryRowContext(ctx, q, s.nowArgs(name, owner, l.token, l.duration.Milliseconds())...).Scan(&l.gen)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil // a live lease holds it
	case err != nil && isBusy(err):
		return nil, nil // another writer holds the database: treat as held, the caller may retry
	case err != nil:
		return nil, fmt.Errorf("store: take lease %s: %w", name, err)
	}
	return l, nil
}

// TryBeginConversion is StartAsyncSchemaConversion's steps 1–3 (3.15.4.7)
// across processes: take the conversion mark for owner (ErrConversionInProgress
// when a live lease of another owner holds it), then refuse, releasing the
// mark again, a store that needs no conversion (ErrConversionNotRequired) or
// is not provisioned (ErrNotProvisioned). The caller converts while holding
// the returned lease, renews it (Renew, RenewTx or Keep) well within
// LeaseDuration, and calls End.
func (s *Store) TryBeginConversion(ctx context.Context, owner string) (*Lease, error) {
	l, err := s.tryLease(ctx, leaseConversion, owner)
	if err != nil {
		return nil, err
	}
	if l == nil {
		return nil, fmt.Errorf("store: %v: %w", s.cfg, ErrConversionInProgress)
	}
	st, _, err := s.status(ctx, s.db)
	if err == nil && !st.Provisioned {
		err = fmt.Errorf("store: %v: %w", s.cfg, ErrNotProvisioned)
	} else if err == nil && !st.ConversionRequired() {
		err = fmt.Errorf("store: %v is at schema version %s: %w", s.cfg, st.Version, ErrConversionNotRequired)
	}
	if err != nil {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.duration/3)
		_ = l.release(rctx) // bounded: a lease left behind expires by itself
		cancel()
		return nil, err
	}
	return l, nil
}

// Owner is the owner the lease was taken for.
func (l *Lease) Owner() string { return l.owner }

// Generation is the lease's fencing token: every acquisition of the mark
// gets one more than the last, so a later owner's is always higher.
func (l *Lease) Generation() int64 { return l.gen }

// Renew extends the lease by LeaseDuration from now. ErrLeaseLost means it
// expired and another owner took it: the holder must stop at once.
func (l *Lease) Renew(ctx context.Context) error { return l.renew(ctx, l.s.db) }

// RenewTx renews inside tx, so the transaction's writes commit only while
// the lease is still this holder's (fencing): on PostgreSQL the lease row
// stays locked until tx ends, so no one takes the mark between the check
// and the commit; on SQLite tx holds the write lock. Every conversion
// transaction calls it just before committing (convert.Options.Fence), so
// an owner that was paused or cut off past its lease — and was taken over —
// gets ErrLeaseLost and its batch rolls back. A lease that expired but was
// not taken over is simply renewed: nobody else wrote meanwhile.
func (l *Lease) RenewTx(ctx context.Context, tx *sql.Tx) error { return l.renew(ctx, tx) }

func (l *Lease) renew(ctx context.Context, q querier) error {
	p := l.s.param
	res, err := q.ExecContext(ctx, `UPDATE "`+leaseTable+`" SET "ExpiresAt" = `+l.s.nowMillis(5)+` + `+p(1)+
		` WHERE "Name" = `+p(2)+` AND "Token" = `+p(3)+` AND "Generation" = `+p(4), l.s.nowArgs(l.duration.Milliseconds(), l.name, l.token, l.gen)...)
	if err != nil {
		return fmt.Errorf("store: renew lease %s: %w", l.name, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: renew lease %s: %w", l.name, err)
	} else if n == 0 {
		return fmt.Errorf("store: lease %s of %s (generation %d): %w", l.name, l.owner, l.gen, ErrLeaseLost)
	}
	return nil
}

// Keep renews the lease in the background every third of its duration
// until stop (idempotent) is called or ctx ends. The returned context is cancelled, with
// cause ErrLeaseLost, if the lease is lost or cannot be renewed before it
// would expire, so work running under it stops.
func (l *Lease) Keep(ctx context.Context) (work context.Context, stop func()) {
	return heartbeat(ctx, l.duration, l.Renew,
		func(err error) bool { return errors.Is(err, ErrLeaseLost) },
		func(err error, _ time.Duration) error { return fmt.Errorf("%w: %v", ErrLeaseLost, err) })
}

// End releases the lease. With succeeded, it also checks that the store
// is now at the current schema version, the postcondition of a successful
// conversion (3.15.4.7 step 5: ADM_IsSchemaConversionRequired becomes FALSE).
// End is idempotent.
func (l *Lease) End(ctx context.Context, succeeded bool) error {
	l.mu.Lock()
	if l.ended {
		l.mu.Unlock()
		return nil
	}
	l.ended = true
	l.mu.Unlock()
	var check error
	if succeeded {
		st, _, err := l.s.status(ctx, l.s.db)
		switch {
		case err != nil:
			check = err
		case st.ConversionRequired():
			check = fmt.Errorf("store: conversion reported success but %v is at schema version %q, not %s: %w", l.s.cfg, st.Version, schema.V2Version, adm.ErrNotSettled)
		}
	}
	return errors.Join(check, l.release(ctx))
}

// release expires the mark if it is still this lease's; the row stays,
// keeping the generation.
//
// A failed attempt is retried, with growing pauses, for at most a third of
// the lease (or until ctx ends): after a database restart the pool's
// connections fail once while a fresh one succeeds, and a lease that stayed
// behind would refuse the client's resume until it expired.
func (l *Lease) release(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, l.duration/3)
	defer cancel()
	p := l.s.dialect.Placeholder
	for pause := 20 * time.Millisecond; ; pause = min(2*pause, time.Second) {
		_, err := l.s.db.ExecContext(ctx, `UPDATE "`+leaseTable+`" SET "Token" = '', "ExpiresAt" = 0 WHERE "Name" = `+p(1)+` AND "Token" = `+p(2), l.name, l.token)
		if err == nil {
			return nil
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("store: release lease %s: %w", l.name, err)
		case <-t.C:
		}
	}
}
