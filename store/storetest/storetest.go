// Package storetest gives tests real database engines to run against: a
// fresh SQLite file, or a fresh database on the PostgreSQL server named by
// IPAMD_TEST_POSTGRES_DSN. Every call makes its own database and removes it
// when the test ends, so test packages can run in parallel on one server.
//
// Without IPAMD_TEST_POSTGRES_DSN the PostgreSQL cases skip — unless
// IPAMD_REQUIRE_POSTGRES=1 (CI sets it), which makes them fail, so a CI
// that lost its server cannot pass by skipping.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"             // registers "sqlite"

	"github.com/ipamd/ipamd/store/schema"
)

// Environment variables read by this package.
const (
	// EnvPostgresDSN is a PostgreSQL URL (postgres://user:pass@host:port/db)
	// for a role with CREATEDB. The database in it is only used to create
	// and drop the per-test databases.
	EnvPostgresDSN = "IPAMD_TEST_POSTGRES_DSN"
	// EnvRequirePostgres = "1" turns a missing DSN into a failure.
	EnvRequirePostgres = "IPAMD_REQUIRE_POSTGRES"
)

// Engine is one engine a table-driven test runs against.
type Engine struct {
	Name    string
	Dialect schema.Dialect
}

// Engines are all engines the store supports, for table-driven tests.
var Engines = []Engine{{"sqlite", schema.SQLite}, {"postgresql", schema.PostgreSQL}}

// PostgresDB is a fresh PostgreSQL database made for one test.
type PostgresDB struct {
	Host     string
	Port     int
	Name     string
	User     string
	Password string
}

// DSN is the database's connection URL.
func (p PostgresDB) DSN() string {
	u := url.URL{Scheme: "postgres", Host: net.JoinHostPort(p.Host, strconv.Itoa(p.Port)), Path: "/" + p.Name,
		User: url.UserPassword(p.User, p.Password), RawQuery: "sslmode=disable"}
	return u.String()
}

// adminDSN returns the configured server, skipping or failing the test when
// there is none.
func adminDSN(t testing.TB) *url.URL {
	t.Helper()
	dsn := os.Getenv(EnvPostgresDSN)
	if dsn == "" {
		if os.Getenv(EnvRequirePostgres) == "1" {
			t.Fatalf("%s=1 but %s is not set", EnvRequirePostgres, EnvPostgresDSN)
		}
		t.Skipf("PostgreSQL tests need %s (a role with CREATEDB)", EnvPostgresDSN)
	}
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("%s must be a postgres:// URL", EnvPostgresDSN)
	}
	return u
}

// NewPostgresDB creates an empty database with a unique name on the
// configured server and drops it when t ends.
func NewPostgresDB(t testing.TB) PostgresDB {
	t.Helper()
	u := adminDSN(t)
	admin, err := sql.Open("pgx", u.String())
	if err != nil {
		t.Fatalf("open PostgreSQL admin connection: %v", err)
	}
	defer admin.Close()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "ipamd_test_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+schema.Quote(name)); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		c, err := sql.Open("pgx", u.String())
		if err != nil {
			t.Errorf("drop test database %s: %v", name, err)
			return
		}
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// FORCE ends sessions a failed test left open.
		if _, err := c.ExecContext(ctx, "DROP DATABASE IF EXISTS "+schema.Quote(name)+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	host, portStr := u.Hostname(), u.Port()
	port := 5432
	if portStr != "" {
		if port, err = strconv.Atoi(portStr); err != nil {
			t.Fatalf("%s: bad port %q", EnvPostgresDSN, portStr)
		}
	}
	pass, _ := u.User.Password()
	return PostgresDB{Host: host, Port: port, Name: name, User: u.User.Username(), Password: pass}
}

// NewSQLitePath returns the path of a not yet existing database file in a
// directory removed when t ends.
func NewSQLitePath(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "ipam.db")
}

// OpenDB opens a fresh, empty database of dialect d as a *sql.DB, closed when
// t ends.
func OpenDB(t testing.TB, d schema.Dialect) *sql.DB {
	t.Helper()
	var db *sql.DB
	var err error
	switch d {
	case schema.SQLite:
		db, err = sql.Open("sqlite", schema.SQLiteDSN(NewSQLitePath(t))) // production's settings
	case schema.PostgreSQL:
		db, err = sql.Open("pgx", NewPostgresDB(t).DSN())
	default:
		t.Fatalf("storetest: no engine for %v", d)
	}
	if err != nil {
		t.Fatalf("open %v: %v", d, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		t.Fatalf("ping %v: %v", d, err)
	}
	return db
}
