package faults

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"go.uber.org/goleak"

	daemon "github.com/ipamd/ipamd/internal/daemontest"
	"github.com/ipamd/ipamd/internal/v1gen"
	"github.com/ipamd/ipamd/services/adm"
	"github.com/ipamd/ipamd/store"
	"github.com/ipamd/ipamd/store/convert"
	"github.com/ipamd/ipamd/store/schema"
	"github.com/ipamd/ipamd/store/storetest"
	"github.com/ipamd/ipamd/test/internal/faultproxy"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		daemon.Cleanup() // the ipamd binary the process tests built
		os.Exit(code)
	}))
}

// lease is the lease the store-level tests run with: short, so that an
// expiry fits in a test, and the bound every silent-server fault is
// noticed within.
const lease = 2 * time.Second

// slack is what a bound allows beyond the lease: a ping interval and a
// loaded CI machine.
const slack = 3 * time.Second

// clock is the conversion's clock in the store-level tests, so converted
// stores compare row for row.
var clock = func() time.Time { return time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC) }

// pgBehindProxy makes a fresh database and a fault proxy in front of its
// server; cfg reaches the database through the proxy, direct without it.
func pgBehindProxy(t *testing.T) (p *faultproxy.Proxy, cfg, direct store.Config) {
	t.Helper()
	pg := storetest.NewPostgresDB(t)
	p, err := faultproxy.New(net.JoinHostPort(pg.Host, fmt.Sprint(pg.Port)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	direct = store.Config{Type: ipam.IpamDatabaseTypeMSSQLServer, Host: pg.Host, Port: pg.Port, Name: pg.Name, User: pg.User, Password: pg.Password}
	cfg = direct
	cfg.Host, cfg.Port = "127.0.0.1", p.Port()
	return p, cfg, direct
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func storeOpts() store.Options {
	return store.Options{LeaseDuration: lease, ConnectTimeout: 2 * time.Second, SQLiteBusyTimeout: time.Second}
}

// sqlDB opens cfg's database directly (no proxy) for checks.
func sqlDB(t *testing.T, cfg store.Config) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", storetest.PostgresDB{Host: cfg.Host, Port: cfg.Port, Name: cfg.Name, User: cfg.User, Password: cfg.Password}.DSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// admTables counts the ADM_ tables in db: zero after a provisioning that
// did not commit.
func admTables(t *testing.T, db *sql.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE 'ADM\_%'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// tableStrings is the one text column of every row query returns.
func tableStrings(t *testing.T, db *sql.DB, query string) []string {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// dumpPG is every ADM table of db, row by row as text, in order.
func dumpPG(t *testing.T, db *sql.DB) map[string][]string {
	t.Helper()
	tables := tableStrings(t, db, `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE 'ADM\_%'`)
	out := map[string][]string{}
	for _, tbl := range tables {
		lines := tableStrings(t, db, `SELECT t::text FROM `+schema.Quote(tbl)+` t`)
		sort.Strings(lines)
		out[tbl] = lines
	}
	return out
}

// sameRows fails t unless got and want hold the same tables and rows;
// of the tables in counted, only the number of rows is compared.
func sameRows(t *testing.T, got, want map[string][]string, counted ...string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d tables, want %d", len(got), len(want))
	}
	for tbl, w := range want {
		g := got[tbl]
		if slices.Contains(counted, tbl) {
			if len(g) != len(w) {
				t.Errorf("%s: %d rows, want %d", tbl, len(g), len(w))
			}
			continue
		}
		if strings.Join(g, "\n") != strings.Join(w, "\n") {
			t.Errorf("%s: %d rows differ from the uninterrupted conversion's %d", tbl, len(g), len(w))
		}
	}
}

// legacyPG is a fresh PostgreSQL database behind a proxy holding a
// generated v1 store.
func legacyPG(t *testing.T, addresses int) (*faultproxy.Proxy, store.Config, *sql.DB, store.Config) {
	t.Helper()
	p, cfg, direct := pgBehindProxy(t)
	db := sqlDB(t, direct)
	if _, err := v1gen.Generate(ctxFor(t, 2*time.Minute), db, schema.PostgreSQL, v1gen.Options{Addresses: addresses, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	return p, cfg, db, direct
}

// proxyTo is another fault proxy to direct's server; the config reaches
// the same database through it.
func proxyTo(t *testing.T, direct store.Config) (*faultproxy.Proxy, store.Config) {
	t.Helper()
	p, err := faultproxy.New(net.JoinHostPort(direct.Host, fmt.Sprint(direct.Port)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	cfg := direct
	cfg.Host, cfg.Port = "127.0.0.1", p.Port()
	return p, cfg
}

// reference converts a fresh copy of the generated store without faults.
func reference(t *testing.T, addresses int) map[string][]string {
	t.Helper()
	pg := storetest.NewPostgresDB(t)
	db, err := sql.Open("pgx", pg.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := ctxFor(t, 2*time.Minute)
	if _, err := v1gen.Generate(ctx, db, schema.PostgreSQL, v1gen.Options{Addresses: addresses, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	if err := convert.Run(ctx, db, schema.PostgreSQL, convert.Options{Now: clock, BatchSize: 300}); err != nil {
		t.Fatal(err)
	}
	return dumpPG(t, db)
}

// converter is the daemon's converter in miniature: convert.Run fenced by
// the lease, and a hook called after every committed batch of a batched
// step (n counts them over all runs).
type converter struct {
	progress func(n int64)
	batches  atomic.Int64
}

func (c *converter) Convert(ctx context.Context, s *store.Store, l *store.Lease, _ string) error {
	return convert.Run(ctx, s.DB(), s.Dialect(), convert.Options{Now: clock, BatchSize: 300, BatchTime: time.Hour, Fence: l.RenewTx,
		Progress: func(_ string, done, total int64) {
			if total > 0 && done > 0 && c.progress != nil {
				c.progress(c.batches.Add(1))
			}
		}})
}

// manager is a store manager whose active store is cfg.
func manager(t *testing.T, cfg store.Config, conv store.Converter) *store.Manager {
	t.Helper()
	state := t.TempDir()
	if err := store.SaveActive(state, cfg, true); err != nil {
		t.Fatal(err)
	}
	m, err := store.NewManager(ctxFor(t, time.Minute), store.ManagerOptions{
		Policy:    store.Policy{StateDir: state, AllowedHosts: []string{net.JoinHostPort(cfg.Host, fmt.Sprint(cfg.Port))}},
		Store:     storeOpts(),
		Converter: conv,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m
}

// convertOnce runs one conversion job (Begin, Run, End) as the services do
// and returns Run's or Begin's error and how long Run took.
func convertOnce(ctx context.Context, m *store.Manager) (time.Duration, error) {
	c, err := m.BeginConversion(ctx)
	if err != nil {
		return 0, err
	}
	began := time.Now()
	err = c.Run(ctx)
	took := time.Since(began)
	_ = c.End(ctx, err == nil)
	return took, err
}

// exceptionID is the IpamExceptionId a client sees for err (the one table,
// services/adm), where the port type answers an unknown error with
// fallback; "" for no error.
func exceptionID(err error, fallback string) string {
	if err == nil {
		return ""
	}
	return adm.Exception(err, fallback).ExceptionID
}

// resume converts until it succeeds, accepting AnotherOperationInProgress
// (a lease left by the failed run, until it expires) and failures while
// the database comes back, within bound.
func resume(t *testing.T, m *store.Manager, bound time.Duration) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for {
		_, err := convertOnce(ctxFor(t, 2*time.Minute), m)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("conversion did not resume within %v: %v", bound, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// PostgreSQL unreachable when the daemon starts: the state reads fail with
// IpamApiErrorSQLServiceConfigurationFailed within the connect timeout,
// and once the server is back the next call works without a restart.
func TestPostgresUnreachableAtStart(t *testing.T) {
	p, cfg, direct := pgBehindProxy(t)
	s, err := store.Open(ctxFor(t, time.Minute), direct, storeOpts())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Provision(ctxFor(t, time.Minute), store.ProvisionParams{CreateNewSchema: true}); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	p.Cut()
	began := time.Now()
	m := manager(t, cfg, &converter{})
	if _, err := m.State(ctxFor(t, time.Minute)); exceptionID(err, ipam.IpamApiGenericErrorOccurred) != ipam.IpamApiErrorSQLServiceConfigurationFailed {
		t.Fatalf("State with the server cut: %v, want IpamApiErrorSQLServiceConfigurationFailed", err)
	}
	if _, err := m.BeginProvisioning(ctxFor(t, time.Minute), nil); exceptionID(err, ipam.IpamApiGenericErrorOccurred) != ipam.IpamApiErrorSQLServiceConfigurationFailed {
		t.Fatalf("BeginProvisioning with the server cut: %v", err)
	}
	if took := time.Since(began); took > 2*storeOpts().ConnectTimeout+slack {
		t.Errorf("refusals took %v, want within the connect timeout", took)
	}
	p.Restore()
	st, err := m.State(ctxFor(t, time.Minute))
	if err != nil || !st.Configured {
		t.Fatalf("State once the server is back: %+v, %v", st, err)
	}
}

// PostgreSQL black-holed (no RST, nothing answered) in the middle of the
// provisioning transaction: the job fails with
// IpamApiErrorSQLServiceConfigurationFailed within the lease (plus slack),
// nothing of it is in the database, and once the network heals the next
// provisioning succeeds.
func TestProvisionBlackHoled(t *testing.T) {
	p, cfg, direct := pgBehindProxy(t)
	m := managerFor(t, cfg)
	setting := &ipam.IpamProvisioningSetting{CreateNewSchema: true, DatabaseConfiguration: dbConfiguration(cfg)}
	p.SetLatency(5 * time.Millisecond) // provisioning's ~hundreds of round trips now take seconds
	job, err := m.BeginProvisioning(ctxFor(t, time.Minute), setting)
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(700*time.Millisecond, p.BlackHole)
	began := time.Now()
	err = job.Run(ctxFor(t, time.Minute))
	took := time.Since(began)
	t.Logf("provisioning ended %v after it began (black hole at 700ms): %v", took.Round(time.Millisecond), err)
	_ = job.End(context.Background(), err == nil)
	if exceptionID(err, ipam.IpamApiGenericErrorOccurred) != ipam.IpamApiErrorSQLServiceConfigurationFailed {
		t.Fatalf("provisioning black-holed mid-way: %v, want IpamApiErrorSQLServiceConfigurationFailed", err)
	}
	if bound := 700*time.Millisecond + lease + slack; took > bound {
		t.Errorf("provisioning failed after %v, want within %v", took, bound)
	}
	db := sqlDB(t, direct)
	if n := admTables(t, db); n != 0 {
		t.Errorf("%d ADM tables left by the provisioning that did not commit", n)
	}
	p.Restore()
	deadline := time.Now().Add(lease + slack) // the server aborts the stranded transaction once the held bytes and FIN arrive
	for {
		job, err := m.BeginProvisioning(ctxFor(t, time.Minute), setting)
		if err != nil {
			t.Fatal(err)
		}
		err = job.Run(ctxFor(t, time.Minute))
		_ = job.End(context.Background(), err == nil)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("provisioning after the network healed: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if st, err := m.State(ctxFor(t, time.Minute)); err != nil || !st.Configured {
		t.Errorf("after provisioning: %+v, %v", st, err)
	}
}

// managerFor is a store manager with no active store yet whose policy
// allows cfg's server.
func managerFor(t *testing.T, cfg store.Config) *store.Manager {
	t.Helper()
	m, err := store.NewManager(ctxFor(t, time.Minute), store.ManagerOptions{
		Policy:           store.Policy{StateDir: t.TempDir(), AllowedHosts: []string{net.JoinHostPort(cfg.Host, fmt.Sprint(cfg.Port))}},
		RememberPassword: true,
		Store:            storeOpts(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m
}

func dbConfiguration(cfg store.Config) *ipam.IpamDatabaseConfiguration {
	host, name, user := cfg.Host, cfg.Name, cfg.User
	return &ipam.IpamDatabaseConfiguration{DatabaseType: ipam.IpamDatabaseTypeMSSQLServer, DatabaseServerNameOrIP: &host,
		DatabasePort: uint32(cfg.Port), DatabaseName: &name, DatabaseAuthenticationType: ipam.IpamDatabaseAuthenticationTypeSQLAuthentication,
		DatabaseCredential: &ipam.IpamCredential{UserName: &user, Password: []byte(cfg.Password)}}
}

// The conversion's connections are reset in the middle of a batch, the
// server is "restarted" (every connection cut, new ones refused, then
// accepted again) and black-holed: each time the job fails with
// IpamSchemaConversionFailed within the stated bound, the store still
// needs conversion, and the resumed conversion ends with the same rows as
// an uninterrupted one.
func TestConversionSurvivesPostgresFaults(t *testing.T) {
	const addresses = 3000
	want := reference(t, addresses)
	p, cfg, db, _ := legacyPG(t, addresses)
	conv := &converter{}
	m := manager(t, cfg, conv)

	faults := []struct {
		name   string
		inject func()
		heal   func()
		bound  time.Duration // from the fault to the job's end
	}{
		// The next 1.5 KB of SQL pass, then RST: inside the next batch.
		{"reset mid-batch", func() { p.ResetAfter(1500) }, p.Restore, slack},
		{"server restart (cut, then restore)", p.Cut, p.Restore, slack},
		// Noticed by the lease's renewal (within the lease and one renewal
		// interval), then End's release, bounded by a third of the lease.
		{"black hole", p.BlackHole, p.Restore, 2*lease + slack},
	}
	next := int64(2)
	for _, f := range faults {
		injected := make(chan time.Time, 1)
		at := next
		conv.progress = func(n int64) {
			if n == at {
				f.inject()
				injected <- time.Now()
			}
		}
		// A fault that kept the last job from releasing its lease leaves it
		// to expire: until then a new job is refused as another operation.
		var err error
		for waited := time.Now(); ; time.Sleep(100 * time.Millisecond) {
			_, err = convertOnce(ctxFor(t, 2*time.Minute), m)
			if exceptionID(err, ipam.IpamSchemaConversionFailed) != ipam.IpamSchemaConversionAnotherOperationInProgress {
				break
			}
			if time.Since(waited) > lease+slack {
				t.Fatalf("%s: the previous job's lease was not released or did not expire within %v", f.name, lease+slack)
			}
		}
		conv.progress = nil
		select {
		case when := <-injected:
			took := time.Since(when)
			if took > f.bound {
				t.Errorf("%s: the job ended %v after the fault, want within %v", f.name, took, f.bound)
			}
			t.Logf("%s: the job ended %v after the fault: %v", f.name, took.Round(time.Millisecond), err)
		default:
			t.Fatalf("%s: the conversion ended before the fault (%v)", f.name, err)
		}
		if exceptionID(err, ipam.IpamSchemaConversionFailed) != ipam.IpamSchemaConversionFailed {
			t.Fatalf("%s: %v, want IpamSchemaConversionFailed", f.name, err)
		}
		f.heal()
		if req, _, _, err := convert.Required(ctxFor(t, time.Minute), db, schema.PostgreSQL); err != nil || !req {
			t.Fatalf("%s: after the failure Required = %v, %v", f.name, req, err)
		}
		next = conv.batches.Load() + 2
	}
	resume(t, m, lease+slack)
	if st, err := m.State(ctxFor(t, time.Minute)); err != nil || st.ConversionRequired || st.SchemaVersion != schema.V2Version {
		t.Fatalf("after the resumed conversion: %+v, %v", st, err)
	}
	sameRows(t, dumpPG(t, db), want)
}

// PostgreSQL black-holed when a client starts a job: Start is answered
// within the connect timeout (plus slack) with
// IpamApiErrorSQLServiceConfigurationFailed instead of waiting on a pooled
// connection that will never answer, and works again once the network
// heals.
func TestStartWhileBlackHoled(t *testing.T) {
	p, cfg, direct := pgBehindProxy(t)
	s, err := store.Open(ctxFor(t, time.Minute), direct, storeOpts())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Provision(ctxFor(t, time.Minute), store.ProvisionParams{CreateNewSchema: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().Exec(`UPDATE "ADM_CommonProperties" SET "Value" = '6.2.0.0' WHERE "Name" = 'DatabaseSchemaVersion'`); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	m := manager(t, cfg, &converter{})
	if st, err := m.State(ctxFor(t, time.Minute)); err != nil || !st.ConversionRequired {
		t.Fatalf("before the black hole: %+v, %v", st, err)
	}
	p.BlackHole()
	defer p.Restore()
	began := time.Now()
	_, err = m.BeginConversion(context.Background()) // a request context without a deadline
	took := time.Since(began)
	if exceptionID(err, ipam.IpamApiGenericErrorOccurred) != ipam.IpamApiErrorSQLServiceConfigurationFailed {
		t.Errorf("Start while black-holed: %v, want IpamApiErrorSQLServiceConfigurationFailed", err)
	}
	if bound := storeOpts().ConnectTimeout + slack; took > bound {
		t.Errorf("Start answered after %v, want within %v", took, bound)
	}
	t.Logf("Start answered %v after it was sent: %v", took.Round(time.Millisecond), err)
	p.Restore()
	if _, err := convertOnce(ctxFor(t, time.Minute), m); exceptionID(err, ipam.IpamApiGenericErrorOccurred) == ipam.IpamApiErrorSQLServiceConfigurationFailed {
		t.Errorf("Start once the network healed: %v", err)
	}
}
