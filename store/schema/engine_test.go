package schema_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/ipamd/ipamd/store/schema"
	"github.com/ipamd/ipamd/store/storetest"
)

// TestV2CreatesOnEngines creates the whole v2 schema on each real engine in
// one transaction, then checks the catalogue and that the constraints are
// enforced (foreign keys, the single-row database configuration).
func TestV2CreatesOnEngines(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			db := storetest.OpenDB(t, e.Dialect)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, stmt := range e.Dialect.CreateStatements(schema.V2) {
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					_ = tx.Rollback()
					t.Fatalf("%v\n%s", err, stmt)
				}
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}

			var tables, indexes int
			q := map[schema.Dialect][2]string{
				schema.SQLite: {`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name LIKE 'ADM\_%' ESCAPE '\'`,
					`SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name LIKE 'ix\_%' ESCAPE '\'`},
				schema.PostgreSQL: {`SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE 'ADM\_%'`,
					`SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname LIKE 'ix\_%'`},
			}[e.Dialect]
			if err := db.QueryRowContext(ctx, q[0]).Scan(&tables); err != nil {
				t.Fatal(err)
			}
			if err := db.QueryRowContext(ctx, q[1]).Scan(&indexes); err != nil {
				t.Fatal(err)
			}
			wantIx := 0
			for _, tbl := range schema.V2.Tables {
				wantIx += len(tbl.Indexes)
			}
			if tables != 53 || indexes != wantIx {
				t.Errorf("catalogue has %d ADM tables and %d indexes, want 53 and %d", tables, indexes, wantIx)
			}

			p := e.Dialect.Placeholder
			mustFail := func(what, stmt string, args ...any) {
				t.Helper()
				if _, err := db.ExecContext(ctx, stmt, args...); err == nil {
					t.Errorf("%s: accepted", what)
				}
			}
			mustFail("range with a parent block that does not exist",
				`INSERT INTO "ADM_IPRangeTable" ("Family", "ParentIPBlockRecordId") VALUES ('IPv4', `+p(1)+`)`, 999)
			mustFail("range without a parent block",
				`INSERT INTO "ADM_IPRangeTable" ("Family") VALUES ('IPv4')`)
			mustFail("block of family IPv5",
				`INSERT INTO "ADM_IPBlocksTable" ("Family") VALUES ('IPv5')`)
			if _, err := db.ExecContext(ctx, `INSERT INTO "ADM_DatabaseConfigurationTable" ("DatabaseType") VALUES ('WindowsInternalDatabase')`); err != nil {
				t.Fatalf("first database configuration row: %v", err)
			}
			mustFail("second database configuration row",
				`INSERT INTO "ADM_DatabaseConfigurationTable" ("DatabaseType") VALUES ('MSSQLServer')`)
			mustFail("database configuration row with SingletonId 2",
				`INSERT INTO "ADM_DatabaseConfigurationTable" ("SingletonId", "DatabaseType") VALUES (2, 'MSSQLServer')`)
			checkRoundTrip(t, ctx, db, e.Dialect)
		})
	}
}

// checkRoundTrip writes and reads back one value of each column type.
func checkRoundTrip(t *testing.T, ctx context.Context, db *sql.DB, d schema.Dialect) {
	t.Helper()
	p := d.Placeholder
	when := time.Date(2024, 4, 23, 10, 11, 12, 0, time.UTC)
	if _, err := db.ExecContext(ctx, `INSERT INTO "ADM_DHCPServersTable" ("Family", "NumberOfActiveLeases", "NumberOfScopes", "BackupPath") VALUES ('IPv4', `+p(1)+`, `+p(2)+`, `+p(3)+`)`,
		12.5, 7, "C:\\backup"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO "ADM_IPAddressAuditTable" ("TimeOfEvent", "ClientId") VALUES (`+p(1)+`, `+p(2)+`)`,
		when, []byte{0, 1, 0xfe}); err != nil {
		t.Fatal(err)
	}
	var (
		leases float64
		scopes int32
		path   string
		at     time.Time
		client []byte
	)
	if err := db.QueryRowContext(ctx, `SELECT "NumberOfActiveLeases", "NumberOfScopes", "BackupPath" FROM "ADM_DHCPServersTable"`).Scan(&leases, &scopes, &path); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, `SELECT "TimeOfEvent", "ClientId" FROM "ADM_IPAddressAuditTable"`).Scan(&at, &client); err != nil {
		t.Fatal(err)
	}
	if leases != 12.5 || scopes != 7 || path != "C:\\backup" || !at.Equal(when) || string(client) != "\x00\x01\xfe" {
		t.Errorf("round trip: %v %v %q %v %x", leases, scopes, path, at, client)
	}
}
