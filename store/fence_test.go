package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ipamd/ipamd/store/schema"
	"github.com/ipamd/ipamd/store/storetest"
)

// schemaVersion reads DatabaseSchemaVersion, the row the fencing tests write.
func schemaVersion(t *testing.T, s *Store) string {
	t.Helper()
	var v string
	if err := s.db.QueryRowContext(testCtx(t), `SELECT "Value" FROM "ADM_CommonProperties" WHERE "Name" = 'DatabaseSchemaVersion'`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// batch is one conversion batch of owner l: a write, then the fence, then
// the commit. It returns the fence's (or the commit's) error; a refused
// batch is rolled back.
func batch(ctx context.Context, s *Store, l *Lease, value string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, `UPDATE "ADM_CommonProperties" SET "Value" = `+s.dialect.Placeholder(1)+` WHERE "Name" = 'DatabaseSchemaVersion'`, value); err != nil {
		return err
	}
	if err := l.RenewTx(ctx, tx); err != nil {
		return err
	}
	return tx.Commit()
}

// Every acquisition of the mark has a higher generation than the last, a
// release included: the generation is the fencing token.
func TestLeaseGenerationGrows(t *testing.T) {
	forEngines(t, func(t *testing.T, e storetest.Engine) {
		cfg := newConfig(t, e)
		opts := Options{LeaseDuration: 300 * time.Millisecond}
		a, b := openStore(t, cfg, opts), openStore(t, cfg, opts)
		needConversionAt(t, cfg)
		ctx := testCtx(t)
		first, err := a.TryBeginConversion(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		if err := first.End(ctx, false); err != nil {
			t.Fatal(err)
		}
		second, err := b.TryBeginConversion(ctx, "b")
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(opts.LeaseDuration + 100*time.Millisecond) // b stops renewing: expired
		third, err := a.TryBeginConversion(ctx, "a again")
		if err != nil {
			t.Fatalf("taking over an expired lease: %v", err)
		}
		if g1, g2, g3 := first.Generation(), second.Generation(), third.Generation(); g1 < 1 || g2 != g1+1 || g3 != g2+1 {
			t.Errorf("generations %d, %d, %d: want each one more than the last", g1, g2, g3)
		}
		if err := second.Renew(ctx); !errors.Is(err, ErrLeaseLost) {
			t.Errorf("the earlier generation renewed: %v, want ErrLeaseLost", err)
		}
		_ = third.End(ctx, false)
	})
}

// A lease table made by an ipamd before the generation existed gets the
// column on first use, and the mark works as before.
func TestLeaseTableWithoutGeneration(t *testing.T) {
	forEngines(t, func(t *testing.T, e storetest.Engine) {
		s := openStore(t, newConfig(t, e), Options{})
		needConversion(t, s)
		ctx := testCtx(t)
		for _, q := range []string{`DROP TABLE "` + leaseTable + `"`,
			`CREATE TABLE "` + leaseTable + `" ("Name" TEXT PRIMARY KEY, "Owner" TEXT NOT NULL, "Token" TEXT NOT NULL, "ExpiresAt" BIGINT NOT NULL)`,
			`INSERT INTO "` + leaseTable + `" VALUES ('SchemaConversion', 'old ipamd', 'x', 0)`} {
			if _, err := s.db.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		l, err := s.TryBeginConversion(ctx, "new ipamd")
		if err != nil {
			t.Fatal(err)
		}
		if l.Generation() != 1 {
			t.Errorf("generation %d after the old row, want 1", l.Generation())
		}
		if err := batch(ctx, s, l, "fenced write"); err != nil {
			t.Errorf("a batch under the migrated lease: %v", err)
		}
		_ = l.End(ctx, false)
	})
}

// Fencing: an owner paused past its lease (SIGSTOP, a partition) that was
// taken over cannot commit another batch, whether it was paused before its
// batch began or in the middle of it; and an owner whose fence check went
// through keeps the mark until it commits, so nobody takes over between
// the check and the commit.
func TestLeaseFencesStaleOwner(t *testing.T) {
	forEngines(t, func(t *testing.T, e storetest.Engine) {
		cfg := newConfig(t, e)
		const lease = 400 * time.Millisecond
		a := openStore(t, cfg, Options{LeaseDuration: lease})
		b := openStore(t, cfg, Options{LeaseDuration: lease, SQLiteBusyTimeout: 200 * time.Millisecond})
		needConversionAt(t, cfg)
		ctx := testCtx(t)

		// Paused before the batch: B took over, A's whole batch rolls back.
		stale, err := a.TryBeginConversion(ctx, "A")
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(lease + 100*time.Millisecond)
		taker, err := b.TryBeginConversion(ctx, "B")
		if err != nil {
			t.Fatalf("B taking over the expired lease: %v", err)
		}
		if err := batch(ctx, a, stale, "written by stale A"); !errors.Is(err, ErrLeaseLost) {
			t.Fatalf("stale A's batch: %v, want ErrLeaseLost", err)
		}
		if v := schemaVersion(t, a); v != "6.2.0.0" {
			t.Fatalf("stale A's refused batch left %q behind", v)
		}
		if err := batch(ctx, b, taker, "written by B"); err != nil {
			t.Fatalf("B's batch: %v", err)
		}
		if err := taker.End(ctx, false); err != nil {
			t.Fatal(err)
		}

		// Paused in the middle of the batch (after its writes, before the
		// fence). On PostgreSQL the takeover goes through and A's fence
		// refuses; on SQLite A's open write transaction holds the file's
		// write lock, so B is refused and A may commit. Either way exactly
		// one of them writes.
		mid, err := a.TryBeginConversion(ctx, "A")
		if err != nil {
			t.Fatal(err)
		}
		tx, err := a.db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE "ADM_CommonProperties" SET "Value" = 'A mid-batch' WHERE "Name" = 'DatabaseSchemaVersion'`); err != nil {
			t.Fatal(err)
		}
		time.Sleep(lease + 100*time.Millisecond)
		taker, berr := b.TryBeginConversion(ctx, "B")
		aerr := mid.RenewTx(ctx, tx)
		if aerr == nil {
			aerr = tx.Commit()
		} else {
			_ = tx.Rollback()
		}
		switch e.Dialect {
		case schema.PostgreSQL:
			if berr != nil || !errors.Is(aerr, ErrLeaseLost) {
				t.Errorf("paused mid-batch: B's takeover %v, A's fence %v; want B to take over and A to be fenced", berr, aerr)
			}
		case schema.SQLite:
			if !errors.Is(berr, ErrConversionInProgress) || aerr != nil {
				t.Errorf("paused mid-batch: B's takeover %v, A's commit %v; want B refused while A holds the write lock", berr, aerr)
			}
		}
		want := "A mid-batch"
		if berr == nil {
			want = "written by B"
			_ = taker.End(ctx, false)
		}
		if v := schemaVersion(t, a); v != want {
			t.Errorf("after the mid-batch pause the store holds %q, want %q", v, want)
		}
		_ = mid.End(ctx, false)

		// Fence passed, commit pending: a takeover attempt waits for the
		// commit and then finds the lease renewed by it.
		held, err := a.TryBeginConversion(ctx, "A")
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(lease + 100*time.Millisecond) // expired, but the batch's fence renews it
		tx, err = a.db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE "ADM_CommonProperties" SET "Value" = 'A fenced' WHERE "Name" = 'DatabaseSchemaVersion'`); err != nil {
			t.Fatal(err)
		}
		if err := held.RenewTx(ctx, tx); err != nil {
			t.Fatalf("fence of an expired lease nobody took: %v", err)
		}
		got := make(chan error, 1)
		go func() {
			l, err := b.TryBeginConversion(ctx, "B")
			if l != nil {
				_ = l.End(context.WithoutCancel(ctx), false)
			}
			got <- err
		}()
		time.Sleep(100 * time.Millisecond)
		if err := tx.Commit(); err != nil {
			t.Fatalf("commit after the fence: %v", err)
		}
		if err := <-got; !errors.Is(err, ErrConversionInProgress) {
			t.Errorf("takeover between A's fence and commit: %v, want ErrConversionInProgress", err)
		}
		if v := schemaVersion(t, a); v != "A fenced" {
			t.Errorf("store holds %q, want A's fenced batch", v)
		}
		_ = held.End(ctx, false)
	})
}
