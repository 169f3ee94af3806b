package store

import (
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/ipamd/ipamd/store/schema"
	"github.com/ipamd/ipamd/store/storetest"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// sqliteSettingsOf reads back the connection settings SQLiteDSN names.
func sqliteSettingsOf(t *testing.T, db *sql.DB) map[string]string {
	t.Helper()
	got := map[string]string{}
	for _, name := range []string{"busy_timeout", "foreign_keys", "journal_mode", "synchronous"} {
		var v string
		if err := db.QueryRowContext(testCtx(t), "PRAGMA "+name).Scan(&v); err != nil {
			t.Fatalf("PRAGMA %s: %v", name, err)
		}
		got[name] = v
	}
	return got
}

// TestSQLiteDSNIsProductions: a test database (storetest.OpenDB), a dev
// tool's (schema.SQLiteDSN) and the store Open opens all run with the same
// connection settings, so tests exercise production's.
func TestSQLiteDSNIsProductions(t *testing.T) {
	s := openStore(t, Config{Type: ipam.IpamDatabaseTypeWindowsInternalDatabase,
		Path: filepath.Join(t.TempDir(), "a b#c%20d", WIDFileName)}, Options{})
	prod := sqliteSettingsOf(t, s.db)
	want := map[string]string{"busy_timeout": "10000", "foreign_keys": "1", "journal_mode": "wal", "synchronous": "1"}
	for k, v := range want {
		if prod[k] != v {
			t.Errorf("Open's connection: %s = %q, want %q", k, prod[k], v)
		}
	}
	dir := filepath.Join(t.TempDir(), "x y#z%20")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	dev, err := sql.Open("sqlite", schema.SQLiteDSN(filepath.Join(dir, "dev.db")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dev.Close() })
	for name, db := range map[string]*sql.DB{"storetest.OpenDB": storetest.OpenDB(t, schema.SQLite), "schema.SQLiteDSN": dev} {
		got := sqliteSettingsOf(t, db)
		for k, v := range prod {
			if got[k] != v {
				t.Errorf("%s: %s = %q, Open's connections have %q", name, k, got[k], v)
			}
		}
	}
}
