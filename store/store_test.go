package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipamd/ipamd/services/adm"
	"github.com/ipamd/ipamd/store/schema"
	"github.com/ipamd/ipamd/store/storetest"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// The store suite: every test runs once per engine (storetest.Engines) on a
// fresh database of its own.

// newConfig returns a configuration for a fresh, empty database of engine e.
func newConfig(t testing.TB, e storetest.Engine) Config {
	t.Helper()
	if e.Dialect == schema.PostgreSQL {
		pg := storetest.NewPostgresDB(t)
		return Config{Type: ipam.IpamDatabaseTypeMSSQLServer, Host: pg.Host, Port: pg.Port, Name: pg.Name, User: pg.User, Password: pg.Password}
	}
	return Config{Type: ipam.IpamDatabaseTypeWindowsInternalDatabase, Path: storetest.NewSQLitePath(t)}
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func openStore(t testing.TB, cfg Config, opts Options) *Store {
	t.Helper()
	s, err := Open(testCtx(t), cfg, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// forEngines runs f as a parallel subtest per engine.
func forEngines(t *testing.T, f func(t *testing.T, e storetest.Engine)) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			f(t, e)
		})
	}
}

func count(t testing.TB, s *Store, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.db.QueryRowContext(testCtx(t), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// Rules P9, P11. (docs/protocol.md)
func TestProvisionCreatesSchemaAndSeed(t *testing.T) {
	forEngines(t, func(t *testing.T, e storetest.Engine) {
		ctx := testCtx(t)
		s := openStore(t, newConfig(t, e), Options{})
		if st, err := s.Status(ctx); err != nil || st.Provisioned {
			t.Fatalf("fresh database: status %+v, %v", st, err)
		}
		gpo := "ipam"
		now := time.Date(2024, 4, 23, 12, 0, 0, 0, time.UTC)
		res, err := s.Provision(ctx, ProvisionParams{CreateNewSchema: true, ProvisioningMethod: ipam.ProvisioningMethodAutomatic, GpoPrefix: &gpo, Now: now})
		if err != nil {
			t.Fatalf("Provision: %v", err)
		}
		if res.Adopted || !res.Status.Provisioned || res.Status.Version != schema.V2Version {
			t.Errorf("result %+v", res)
		}
		st, err := s.Status(ctx)
		if err != nil || !st.Provisioned || st.Version != schema.V2Version || st.ConversionRequired() || st.ConversionInProgress {
			t.Errorf("status after provisioning %+v, %v", st, err)
		}
		tables, err := s.admTables(ctx, s.db)
		if err != nil || len(tables) != 53 {
			t.Errorf("%d ADM tables, %v; want 53", len(tables), err)
		}
		p := s.dialect.Placeholder
		prop := func(name string) string {
			var v string
			if err := s.db.QueryRowContext(ctx, `SELECT "Value" FROM "ADM_CommonProperties" WHERE "Name" = `+p(1), name).Scan(&v); err != nil {
				t.Errorf("property %s: %v", name, err)
			}
			return v
		}
		for name, want := range map[string]string{
			"MaximumUtilizationThreshold": "80", "MinimumUtilizationThreshold": "20", "ProvisioningMode": "Automatic",
			"ExpiryAlertThreshold": "10", "IpamExpiryLoggingPeriodicity": "Once", "IPAuditTrackingFeature": "1",
			"IpamSecurityGroupIpamUsers": "IPAM Users", "IpamSecurityGroupIpamIPAuditAdministrators": "IPAM IP Audit Administrators",
			"GpoPrefix": "ipam", "IpamConfiguredDate": "2024-04-23T12:00:00Z", "DatabaseSchemaVersion": schema.V2Version,
		} {
			if got := prop(name); got != want {
				t.Errorf("%s = %q, want %q", name, got, want)
			}
		}
		roleOps := 0
		for _, r := range schema.BuiltinRoles {
			roleOps += len(r.Operations())
		}
		countries := len(schema.ISOCountries)
		for _, c := range []struct {
			query string
			want  int
		}{
			{`SELECT count(*) FROM "ADM_CommonProperties"`, 14},
			{`SELECT count(*) FROM "ADM_DatabaseConfigurationTable"`, 1},
			{`SELECT count(*) FROM "ADM_AddressSpaceTable" WHERE "RecordId" = 1 AND "IsDefault" = ` + p(1), 1},
			{`SELECT count(*) FROM "ADM_CustomFieldsTable" WHERE "Origin" = 'Builtin'`, 18},
			{`SELECT count(*) FROM "ADM_CustomFieldValuesTable"`, 5 + 9 + countries + 15 + 5 + 1 + 3 + 4},
			{`SELECT count(*) FROM "ADM_CustomFieldsTable" WHERE "RecordId" = 2 AND "Name" = 'RegionLegacy'`, 1},
			{`SELECT count(*) FROM "ADM_LogicalGroupsTable"`, 3},
			{`SELECT count(*) FROM "ADM_Tasks"`, 8},
			{`SELECT count(*) FROM "ADM_AdminOperationGroupsTable"`, 47},
			{`SELECT count(*) FROM "ADM_AdminOperationsTable"`, 110},
			{`SELECT count(*) FROM "ADM_AdminOperationGroupHierarchyTable"`, 21},
			{`SELECT count(*) FROM "ADM_RoleDefinitionTable" WHERE "IsBuiltInRole" = ` + p(1), 9},
			{`SELECT count(*) FROM "ADM_RoleOperationMapTable"`, roleOps},
			{`SELECT count(*) FROM "ADM_AccessScopeTable" WHERE "AccessScopeId" = 1 AND "ParentAccessScopeId" IS NULL AND "Label" = 'Global'`, 1},
			{`SELECT count(*) FROM "ADM_AccessScopeAssociationTable" WHERE "ObjectId" = 1 AND "AccessScopeId" = 1 AND "InheritanceId" = 1`, 1},
		} {
			var args []any
			if strings.Contains(c.query, p(1)) {
				args = append(args, true)
			}
			if got := count(t, s, c.query, args...); got != c.want {
				t.Errorf("%s = %d, want %d", c.query, got, c.want)
			}
		}
		// The DNS Record Administrator gets the A-record operations of the child group.
		if got := count(t, s, `SELECT count(*) FROM "ADM_RoleOperationMapTable" m JOIN "ADM_RoleDefinitionTable" r ON r."RoleId" = m."RoleDefinitionId" WHERE r."Name" = 'IPAM DNS Record Administrator' AND m."OperationId" = 'MsmDnsCreateHostARecord'`); got != 1 {
			t.Errorf("DNS Record Administrator lacks MsmDnsCreateHostARecord")
		}
		// Store-assigned ids continue after the seeded ones (PostgreSQL identity sequences).
		var id int64
		q := `INSERT INTO "ADM_CustomFieldsTable" ("Name", "Origin", "Type") VALUES ('Rack', 'Custom', 'Freeform') RETURNING "RecordId"`
		if err := s.db.QueryRowContext(ctx, q).Scan(&id); err != nil || id != 19 {
			t.Errorf("first user custom field got RecordId %d, %v; want 19", id, err)
		}
	})
}

// Rule: adopting a store (CreateNewSchema=false) sets IpamConfiguredDate (step 2.6).
//
// TestProvisionAgainAndAdopt: a second provisioning with CreateNewSchema
// is refused; without it the existing store is adopted, with the setting's
// ProvisioningMode and GpoPrefix and the adoption's IpamConfiguredDate; a
// store from a newer ipamd is not adopted.
//
// Rule P12. (docs/protocol.md)
func TestProvisionAgainAndAdopt(t *testing.T) {
	forEngines(t, func(t *testing.T, e storetest.Engine) {
		ctx := testCtx(t)
		s := openStore(t, newConfig(t, e), Options{})
		if _, err := s.Provision(ctx, ProvisionParams{CreateNewSchema: true}); err != nil {
			t.Fatal(err)
		}
		_, err := s.Provision(ctx, ProvisionParams{CreateNewSchema: true})
		if !errors.Is(err, ErrAlreadyProvisioned) {
			t.Fatalf("second provisioning: %v, want ErrAlreadyProvisioned", err)
		}
		if got := adm.Exception(err, "x").ExceptionID; got != ipam.IpamApiErrorIpamAlreadyProvisioned {
			t.Errorf("exception %s", got)
		}
		gpo := "corp"
		adopted := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
		res, err := s.Provision(ctx, ProvisionParams{ProvisioningMethod: ipam.ProvisioningMethodAutomatic, GpoPrefix: &gpo, Now: adopted})
		if err != nil || !res.Adopted {
			t.Fatalf("adopt: %+v, %v", res, err)
		}
		if got := count(t, s, `SELECT count(*) FROM "ADM_CommonProperties" WHERE "Name" IN ('ProvisioningMode', 'GpoPrefix') AND "Value" IN ('Automatic', 'corp')`); got != 2 {
			t.Errorf("adopted store: ProvisioningMode/GpoPrefix not written (%d rows)", got)
		}
		var date string
		if err := s.db.QueryRowContext(ctx, `SELECT "Value" FROM "ADM_CommonProperties" WHERE "Name" = 'IpamConfiguredDate'`).Scan(&date); err != nil {
			t.Fatal(err)
		}
		if date != adopted.Format(time.RFC3339Nano) {
			t.Errorf("adopted store: IpamConfiguredDate %q, want the adoption's %q (step 2.6)", date, adopted.Format(time.RFC3339Nano))
		}
		if got := count(t, s, `SELECT count(*) FROM "ADM_CommonProperties" WHERE "Name" = 'IpamConfiguredDate'`); got != 1 {
			t.Errorf("adopted store: %d IpamConfiguredDate rows, want 1", got)
		}
		// A store from a newer ipamd is not adopted.
		if _, err := s.db.ExecContext(ctx, `UPDATE "ADM_CommonProperties" SET "Value" = '99.0.0.0' WHERE "Name" = 'DatabaseSchemaVersion'`); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Provision(ctx, ProvisionParams{}); !errors.Is(err, ErrHigherVersion) {
			t.Errorf("adopting a newer store: %v, want ErrHigherVersion", err)
		}
	})
}

// A failure at any step, or a cancelled context, leaves no table behind.
//
// Rule P9. (docs/protocol.md)
func TestProvisionFailureLeavesNothing(t *testing.T) {
	forEngines(t, func(t *testing.T, e storetest.Engine) {
		for _, tc := range []struct {
			step   string
			cancel bool
			want   string
		}{
			{"schema", false, ipam.IpamApiErrorDatabaseCreationOrPopulationFailed},
			{"seed ADM_CustomFieldsTable", false, ipam.IpamApiErrorDatabaseCreationOrPopulationFailed},
			{"seed ADM_RoleDefinitionTable", false, ipam.IpamApiRBACProvisioningFailed},
			{"seed identity sequences", false, ipam.IpamApiErrorDatabaseCreationOrPopulationFailed},
			{"commit", false, ipam.IpamApiErrorDatabaseCreationOrPopulationFailed},
			{"seed ADM_AccessScopeTable", true, ""},
		} {
			t.Run(fmt.Sprintf("%s/cancel=%v", tc.step, tc.cancel), func(t *testing.T) {
				t.Parallel()
				ctx, cancel := context.WithCancel(testCtx(t))
				defer cancel()
				s := openStore(t, newConfig(t, e), Options{})
				injected := errors.New("injected failure")
				s.hook = func(step string) error {
					if step != tc.step {
						return nil
					}
					if tc.cancel {
						cancel()
						return nil
					}
					return injected
				}
				committedHook := false
				_, err := s.Provision(ctx, ProvisionParams{CreateNewSchema: true, BeforeCommit: func() error { committedHook = true; return nil }})
				if err == nil {
					t.Fatal("Provision succeeded")
				}
				if !tc.cancel && !errors.Is(err, injected) {
					t.Errorf("error %v does not wrap the injected failure", err)
				}
				if tc.want != "" {
					if got := adm.Exception(err, "fallback").ExceptionID; got != tc.want {
						t.Errorf("exception %s, want %s", got, tc.want)
					}
				}
				if tc.step == "commit" != committedHook {
					t.Errorf("BeforeCommit ran = %v", committedHook)
				}
				tables, terr := s.admTables(testCtx(t), s.db)
				if terr != nil || len(tables) != 0 {
					t.Errorf("after the failure: %d ADM tables (%v), want none", len(tables), terr)
				}
				// The database is still usable: provisioning now succeeds.
				// After a cancel, PostgreSQL holds the failed transaction's
				// advisory lock until its backend sees the aborted
				// connection, and answers "in progress" until then: that is
				// the truth, and it passes within moments.
				s.hook = nil
				deadline := time.Now().Add(10 * time.Second)
				for {
					_, err := s.Provision(testCtx(t), ProvisionParams{CreateNewSchema: true})
					if err == nil {
						break
					}
					if !tc.cancel || !errors.Is(err, ErrProvisioningInProgress) || time.Now().After(deadline) {
						t.Errorf("provisioning after the failure: %v", err)
						break
					}
					time.Sleep(50 * time.Millisecond)
				}
			})
		}
	})
}

// 50 provisionings at once through two separate handles on one database:
// exactly one creates the store; the others find it in progress or done.
//
// Rule P7. (docs/protocol.md)
func TestConcurrentProvisioningOneWins(t *testing.T) {
	forEngines(t, func(t *testing.T, e storetest.Engine) {
		cfg := newConfig(t, e)
		handles := []*Store{openStore(t, cfg, Options{MaxConns: 30}), openStore(t, cfg, Options{MaxConns: 30})}
		var (
			wg                          sync.WaitGroup
			mu                          sync.Mutex
			won, inProgress, provisoned int
			other                       []error
		)
		start := make(chan struct{})
		for i := range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := handles[i%2].Provision(testCtx(t), ProvisionParams{CreateNewSchema: true})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					won++
				case errors.Is(err, ErrProvisioningInProgress):
					inProgress++
				case errors.Is(err, ErrAlreadyProvisioned):
					provisoned++
				default:
					other = append(other, err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if won != 1 || len(other) != 0 {
			t.Errorf("won %d, in progress %d, already provisioned %d, other %v; want exactly one winner", won, inProgress, provisoned, other)
		}
		t.Logf("won %d, in progress %d, already provisioned %d", won, inProgress, provisoned)
	})
}

// needConversion provisions a store and makes it look like an older layout.
func needConversion(t testing.TB, s *Store) {
	t.Helper()
	if _, err := s.Provision(testCtx(t), ProvisionParams{CreateNewSchema: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.ExecContext(testCtx(t), `UPDATE "ADM_CommonProperties" SET "Value" = '6.2.0.0' WHERE "Name" = 'DatabaseSchemaVersion'`); err != nil {
		t.Fatal(err)
	}
}

// needConversionAt provisions cfg's database through a store of its own
// with the default lease. Provisioning's statements are bounded by the
// store's lease duration, so a test's short lease would make them fail on
// a slow machine before the test reaches what it is about.
func needConversionAt(t testing.TB, cfg Config) {
	t.Helper()
	needConversion(t, openStore(t, cfg, Options{}))
}

// Rule C5. (docs/protocol.md)
func TestConversionLeaseOneWins(t *testing.T) {
	forEngines(t, func(t *testing.T, e storetest.Engine) {
		cfg := newConfig(t, e)
		a, b := openStore(t, cfg, Options{MaxConns: 30}), openStore(t, cfg, Options{MaxConns: 30})
		needConversion(t, a)
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			leases []*Lease
			busy   int
			other  []error
		)
		start := make(chan struct{})
		for i := range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				l, err := []*Store{a, b}[i%2].TryBeginConversion(testCtx(t), fmt.Sprintf("owner-%d", i))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					leases = append(leases, l)
				case errors.Is(err, ErrConversionInProgress):
					busy++
				default:
					other = append(other, err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if len(leases) != 1 || busy != 49 || len(other) != 0 {
			t.Fatalf("%d leases, %d busy, other %v; want exactly one lease", len(leases), busy, other)
		}
		st, err := b.Status(testCtx(t))
		if err != nil || !st.ConversionInProgress || !st.ConversionRequired() {
			t.Errorf("status while converting: %+v, %v", st, err)
		}
		// Ending without converting: the store still needs conversion and the mark is free.
		if err := leases[0].End(testCtx(t), false); err != nil {
			t.Fatal(err)
		}
		l, err := b.TryBeginConversion(testCtx(t), "next")
		if err != nil {
			t.Fatalf("after End: %v", err)
		}
		// Claiming success without converting is caught.
		if err := l.End(testCtx(t), true); err == nil {
			t.Error("End(true) on an unconverted store: no error")
		}
	})
}

func TestConversionNotRequired(t *testing.T) {
	forEngines(t, func(t *testing.T, e storetest.Engine) {
		s := openStore(t, newConfig(t, e), Options{})
		if _, err := s.TryBeginConversion(testCtx(t), "x"); !errors.Is(err, ErrNotProvisioned) {
			t.Errorf("unprovisioned: %v, want ErrNotProvisioned", err)
		}
		if _, err := s.Provision(testCtx(t), ProvisionParams{CreateNewSchema: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.TryBeginConversion(testCtx(t), "x"); !errors.Is(err, ErrConversionNotRequired) {
			t.Errorf("current store: %v, want ErrConversionNotRequired", err)
		}
		if held, err := s.leaseHeld(testCtx(t), s.db, leaseConversion); err != nil || held {
			t.Errorf("refused conversion left the mark held (%v, %v)", held, err)
		}
	})
}

// A lease whose owner stopped renewing expires and is taken over; the old
// owner then learns it lost the lease. One that keeps renewing is not.
//
// Rule C5. (docs/protocol.md)
func TestLeaseExpiryAndTakeover(t *testing.T) {
	forEngines(t, func(t *testing.T, e storetest.Engine) {
		cfg := newConfig(t, e)
		opts := Options{LeaseDuration: time.Second}
		a, b := openStore(t, cfg, opts), openStore(t, cfg, opts)
		needConversionAt(t, cfg)
		ctx := testCtx(t)

		kept, err := a.TryBeginConversion(ctx, "alive")
		if err != nil {
			t.Fatal(err)
		}
		work, stop := kept.Keep(ctx)
		time.Sleep(3 * opts.LeaseDuration)
		if _, err := b.TryBeginConversion(ctx, "intruder"); !errors.Is(err, ErrConversionInProgress) {
			t.Errorf("renewed lease was taken: %v", err)
		}
		if work.Err() != nil {
			t.Errorf("work context ended while the lease was kept: %v", context.Cause(work))
		}
		stop()
		if err := kept.End(ctx, false); err != nil {
			t.Fatal(err)
		}

		dead, err := a.TryBeginConversion(ctx, "crashed")
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(opts.LeaseDuration + 200*time.Millisecond)
		taker, err := b.TryBeginConversion(ctx, "successor")
		if err != nil {
			t.Fatalf("expired lease not taken over: %v", err)
		}
		if err := dead.Renew(ctx); !errors.Is(err, ErrLeaseLost) {
			t.Errorf("old owner's Renew: %v, want ErrLeaseLost", err)
		}
		tx, err := a.db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := dead.RenewTx(ctx, tx); !errors.Is(err, ErrLeaseLost) {
			t.Errorf("old owner's RenewTx: %v, want ErrLeaseLost", err)
		}
		_ = tx.Rollback()
		if err := taker.Renew(ctx); err != nil {
			t.Errorf("new owner's Renew: %v", err)
		}
		// Work kept under the lost lease is stopped, with the cause.
		lost, stopLost := dead.Keep(ctx)
		select {
		case <-lost.Done():
			if !errors.Is(context.Cause(lost), ErrLeaseLost) {
				t.Errorf("work context cause %v, want ErrLeaseLost", context.Cause(lost))
			}
		case <-time.After(5 * opts.LeaseDuration):
			t.Error("work under a lost lease was not stopped")
		}
		stopLost()
		// The old owner's End must not release the new owner's lease.
		_ = dead.End(ctx, false)
		if held, _ := b.leaseHeld(ctx, b.db, leaseConversion); !held {
			t.Error("old owner's End released the successor's lease")
		}
		if err := taker.End(ctx, false); err != nil {
			t.Error(err)
		}
	})
}

func TestOpenUnreachable(t *testing.T) {
	cfg := Config{Type: ipam.IpamDatabaseTypeMSSQLServer, Host: "127.0.0.1", Port: 1, Name: "ipam", User: "u", Password: "s3cr3t-pw"}
	_, err := Open(testCtx(t), cfg, Options{ConnectTimeout: 2 * time.Second})
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("Open: %v, want ErrUnreachable", err)
	}
	if got := adm.Exception(err, "x").ExceptionID; got != ipam.IpamApiErrorSQLServiceConfigurationFailed {
		t.Errorf("exception %s", got)
	}
	if strings.Contains(err.Error(), "s3cr3t-pw") {
		t.Errorf("error shows the password: %v", err)
	}
}

// A wrong password is reported without the password (or the quoted user).
func TestCredentialNotInErrors(t *testing.T) {
	pg := storetest.NewPostgresDB(t)
	cfg := Config{Type: ipam.IpamDatabaseTypeMSSQLServer, Host: pg.Host, Port: pg.Port, Name: pg.Name, User: "nobody_here", Password: "Wr0ng-Pa55word"}
	_, err := Open(testCtx(t), cfg, Options{})
	if err == nil {
		t.Skip("server accepts any password (trust authentication)")
	}
	if strings.Contains(err.Error(), "Wr0ng-Pa55word") || strings.Contains(err.Error(), `"nobody_here"`) {
		t.Errorf("error shows the credential: %v", err)
	}
}

func BenchmarkProvisionEmbedded(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		s, err := Open(context.Background(), Config{Type: ipam.IpamDatabaseTypeWindowsInternalDatabase, Path: storetest.NewSQLitePath(b)}, Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := s.Provision(context.Background(), ProvisionParams{CreateNewSchema: true}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		_ = s.Close()
		b.StartTimer()
	}
}

// Paths are plain file names to the driver: spaces, '#' and '%' need no escaping.
func TestSQLiteAwkwardPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a b#c%20d", WIDFileName)
	s := openStore(t, Config{Type: ipam.IpamDatabaseTypeWindowsInternalDatabase, Path: path}, Options{})
	if _, err := s.Provision(testCtx(t), ProvisionParams{CreateNewSchema: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("store file not at %s: %v", path, err)
	}
}

// queryIDs runs a query of one integer column (a test's own reading of the
// store, to compare an enumeration with) and returns its values in order.
func queryIDs(t testing.TB, db *sql.DB, query string, args ...any) []int64 {
	t.Helper()
	rows, err := db.Query(query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
