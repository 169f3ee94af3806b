package store

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipamd/ipamd/services/adm"
	"github.com/ipamd/ipamd/store/schema"
	"github.com/ipamd/ipamd/store/storetest"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

func newManager(t testing.TB, opts ManagerOptions) *Manager {
	t.Helper()
	m, err := NewManager(testCtx(t), opts)
	if err != nil {
		t.Fatalf("NewManager: %v", err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m
}

func mustState(t testing.TB, m *Manager) State {
	t.Helper()
	st, err := m.State(testCtx(t))
	if err != nil {
		t.Fatalf("State: %v", err)
	}
	return st
}

// provision runs a whole provisioning job the way the services do.
func provision(t testing.TB, m *Manager, setting *ipam.IpamProvisioningSetting) error {
	t.Helper()
	p, err := m.BeginProvisioning(testCtx(t), setting)
	if err != nil {
		return err
	}
	err = p.Run(testCtx(t))
	if eerr := p.End(testCtx(t), err == nil); eerr != nil && err == nil {
		err = eerr
	}
	return err
}

func excID(err error) string {
	if err == nil {
		return ""
	}
	return adm.Exception(err, "?").ExceptionID
}

// settingFor is the provisioning setting that selects cfg's database.
func settingFor(cfg Config) *ipam.IpamProvisioningSetting {
	s := &ipam.IpamProvisioningSetting{CreateNewSchema: true}
	if cfg.Type == ipam.IpamDatabaseTypeMSSQLServer {
		host, name, user := cfg.Host, cfg.Name, cfg.User
		s.DatabaseConfiguration = &ipam.IpamDatabaseConfiguration{DatabaseType: cfg.Type, DatabaseServerNameOrIP: &host,
			DatabasePort: uint32(cfg.Port), DatabaseName: &name, DatabaseAuthenticationType: ipam.IpamDatabaseAuthenticationTypeSQLAuthentication,
			DatabaseCredential: &ipam.IpamCredential{UserName: &user, Password: []byte(cfg.Password)}}
	} else {
		dir := filepath.Dir(cfg.Path)
		s.DatabaseConfiguration = &ipam.IpamDatabaseConfiguration{DatabaseType: cfg.Type, DatabasePath: &dir}
	}
	return s
}

// managerOpts lets the manager reach cfg's database.
func managerOpts(t testing.TB, stateDir string, cfg Config) ManagerOptions {
	pol := Policy{StateDir: stateDir}
	if cfg.Type == ipam.IpamDatabaseTypeMSSQLServer {
		pol.AllowedHosts = []string{net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))}
	} else {
		pol.AllowedDirectories = []string{filepath.Dir(cfg.Path)}
	}
	return ManagerOptions{Policy: pol, Store: Options{LeaseDuration: 2 * time.Second}}
}

// With no configuration at all: the embedded store in the state directory,
// created only by provisioning, found again after a restart.
func TestManagerDefaultStoreAndRestart(t *testing.T) {
	state := t.TempDir()
	opts := ManagerOptions{Policy: Policy{StateDir: state}}
	m := newManager(t, opts)
	if st := mustState(t, m); st.Configured || st.ConversionRequired || st.ProvisioningInProgress {
		t.Fatalf("fresh: %+v", st)
	}
	if _, err := os.Stat(filepath.Join(state, WIDFileName)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("looking at the state created the store file (%v)", err)
	}
	p, err := m.BeginProvisioning(testCtx(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if st := mustState(t, m); !st.ProvisioningInProgress {
		t.Error("ProvisioningInProgress not set while the job runs")
	}
	if _, err := m.BeginProvisioning(testCtx(t), nil); excID(err) != ipam.IpamApiProvisioningAlreadyInProgress {
		t.Errorf("second Begin: %v", err)
	}
	if err := p.Run(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	_ = p.End(testCtx(t), true)
	if st := mustState(t, m); !st.Configured || st.ConversionRequired || st.ProvisioningInProgress || st.SchemaVersion != schema.V2Version {
		t.Fatalf("after provisioning: %+v", st)
	}
	saved, ok, err := LoadActive(state)
	if err != nil || !ok || saved.Path != filepath.Join(state, WIDFileName) {
		t.Fatalf("active store record: %#v %v %v", saved, ok, err)
	}
	_ = m.Close()

	m2 := newManager(t, opts)
	if st := mustState(t, m2); !st.Configured || st.ConversionRequired {
		t.Fatalf("after restart: %+v", st)
	}
	if err := provision(t, m2, nil); excID(err) != ipam.IpamApiErrorIpamAlreadyProvisioned {
		t.Errorf("provisioning after restart: %v", err)
	}
	if _, err := m2.BeginConversion(testCtx(t)); excID(err) != ipam.IpamSchemaConversionNotRequired {
		t.Errorf("conversion: %v", err)
	}
}

// The client's database choice, on both engines, becomes the active store;
// the password is kept only when the operator allows it.
func TestManagerClientDatabase(t *testing.T) {
	forEngines(t, func(t *testing.T, e storetest.Engine) {
		cfg := newConfig(t, e)
		for _, remember := range []bool{false, true} {
			state := t.TempDir()
			opts := managerOpts(t, state, cfg)
			opts.RememberPassword = remember
			m := newManager(t, opts)
			setting := settingFor(cfg)
			setting.CreateNewSchema = !remember // the second round adopts the first one's store
			if err := provision(t, m, setting); err != nil {
				t.Fatalf("remember=%v: %v", remember, err)
			}
			if !m.Active().same(cfg) {
				t.Errorf("active store %v, want %v", m.Active(), cfg)
			}
			b, err := os.ReadFile(filepath.Join(state, ActiveFileName))
			if err != nil {
				t.Fatal(err)
			}
			var f activeFile
			if err := json.Unmarshal(b, &f); err != nil {
				t.Fatal(err)
			}
			if cfg.Password != "" && (f.Password != "") != remember {
				t.Errorf("remember=%v: password in the state file: %v", remember, f.Password != "")
			}
			_ = m.Close()
			// A restart finds it (PostgreSQL: with the remembered password, or
			// the test server's trust authentication).
			if st := mustState(t, newManager(t, opts)); !st.Configured {
				t.Errorf("remember=%v: not configured after restart", remember)
			}
		}
	})
}

func TestManagerRefusals(t *testing.T) {
	state := t.TempDir()
	m := newManager(t, ManagerOptions{Policy: Policy{StateDir: state}})
	outside := t.TempDir()
	host, name, user := "127.0.0.1", "ipam", "u"
	for _, tc := range []struct {
		name    string
		setting *ipam.IpamProvisioningSetting
	}{
		{"directory outside", &ipam.IpamProvisioningSetting{DatabaseConfiguration: &ipam.IpamDatabaseConfiguration{
			DatabaseType: ipam.IpamDatabaseTypeWindowsInternalDatabase, DatabasePath: &outside}}},
		{"external host with the default policy", &ipam.IpamProvisioningSetting{DatabaseConfiguration: &ipam.IpamDatabaseConfiguration{
			DatabaseType: ipam.IpamDatabaseTypeMSSQLServer, DatabaseServerNameOrIP: &host, DatabaseName: &name,
			DatabaseAuthenticationType: ipam.IpamDatabaseAuthenticationTypeSQLAuthentication, DatabaseCredential: &ipam.IpamCredential{UserName: &user, Password: []byte("pw-secret")}}}},
	} {
		_, err := m.BeginProvisioning(testCtx(t), tc.setting)
		if excID(err) != ipam.IpamApiErrorInvalidDatabaseConfiguration || strings.Contains(err.Error(), "pw-secret") {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	// A refusal does not leave the mark set.
	if st := mustState(t, m); st.ProvisioningInProgress {
		t.Error("refused provisioning left the in-progress mark")
	}
}

// An unreachable database: the job fails with an IpamException, nothing is
// recorded, the server stays unprovisioned.
func TestManagerUnreachableDatabase(t *testing.T) {
	state := t.TempDir()
	m := newManager(t, ManagerOptions{Policy: Policy{StateDir: state, AllowedHosts: []string{"127.0.0.1:1"}},
		Store: Options{ConnectTimeout: 2 * time.Second}})
	host, name, user := "127.0.0.1", "ipam", "u"
	err := provision(t, m, &ipam.IpamProvisioningSetting{CreateNewSchema: true, DatabaseConfiguration: &ipam.IpamDatabaseConfiguration{
		DatabaseType: ipam.IpamDatabaseTypeMSSQLServer, DatabaseServerNameOrIP: &host, DatabasePort: 1, DatabaseName: &name,
		DatabaseAuthenticationType: ipam.IpamDatabaseAuthenticationTypeSQLAuthentication, DatabaseCredential: &ipam.IpamCredential{UserName: &user, Password: []byte("pw-secret")}}})
	if excID(err) != ipam.IpamApiErrorSQLServiceConfigurationFailed || strings.Contains(err.Error(), "pw-secret") {
		t.Fatalf("provisioning an unreachable database: %v", err)
	}
	if _, ok, _ := LoadActive(state); ok {
		t.Error("an unreachable database was recorded as the active store")
	}
	if st := mustState(t, m); st.Configured || st.ProvisioningInProgress {
		t.Errorf("state %+v", st)
	}
}

// Two managers (two ipamd processes with their own state directories) on
// one database, 25 sessions each, all provisioning at once: exactly one
// succeeds. The other process then adopts the store with CreateNewSchema false.
func TestManagersShareOneDatabase(t *testing.T) {
	forEngines(t, func(t *testing.T, e storetest.Engine) {
		cfg := newConfig(t, e)
		ms := []*Manager{newManager(t, managerOpts(t, t.TempDir(), cfg)), newManager(t, managerOpts(t, t.TempDir(), cfg))}
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			results = map[string]int{}
			winners []int
		)
		start := make(chan struct{})
		for i := range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				err := provision(t, ms[i%2], settingFor(cfg))
				mu.Lock()
				defer mu.Unlock()
				results[excID(err)]++
				if excID(err) == ipam.IpamApiErrorSQLServiceConfigurationFailed {
					t.Logf("refused as unreachable: %v", err)
				}
				if err == nil {
					winners = append(winners, i%2)
				}
			}()
		}
		close(start)
		wg.Wait()
		t.Logf("outcomes: %v", results)
		if len(winners) != 1 || results[ipam.IpamApiProvisioningAlreadyInProgress]+results[ipam.IpamApiErrorIpamAlreadyProvisioned] != 49 {
			t.Fatalf("outcomes %v: want exactly one success, the rest in progress / already provisioned", results)
		}
		loser := ms[1-winners[0]]
		if st := mustState(t, loser); st.Configured {
			// Its active store is still the default one.
			t.Errorf("the losing process thinks it is configured: %+v", st)
		}
		adopt := settingFor(cfg)
		adopt.CreateNewSchema = false
		if err := provision(t, loser, adopt); err != nil {
			t.Fatalf("adopting the shared store: %v", err)
		}
		if st := mustState(t, loser); !st.Configured || st.ConversionRequired {
			t.Errorf("after adopting: %+v", st)
		}
	})
}

// fakeConverter "converts" by writing the current version in one batch
// fenced by the lease, after an optional failure.
type fakeConverter struct {
	fail  error
	calls int
	mu    sync.Mutex
}

func (f *fakeConverter) Convert(ctx context.Context, s *Store, l *Lease, from string) error {
	f.mu.Lock()
	f.calls++
	f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	tx, err := s.DB().BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if err := l.RenewTx(ctx, tx); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE "ADM_CommonProperties" SET "Value" = `+s.Dialect().Placeholder(1)+` WHERE "Name" = 'DatabaseSchemaVersion'`, schema.V2Version); err != nil {
		return err
	}
	return tx.Commit()
}

func TestManagerConversion(t *testing.T) {
	forEngines(t, func(t *testing.T, e storetest.Engine) {
		cfg := newConfig(t, e)
		s := openStore(t, cfg, Options{})
		needConversion(t, s)
		state := t.TempDir()
		if err := SaveActive(state, cfg, true); err != nil {
			t.Fatal(err)
		}
		conv := &fakeConverter{}
		opts := managerOpts(t, state, cfg)
		opts.Converter = conv
		a, b := newManager(t, opts), newManager(t, opts)
		if st := mustState(t, a); !st.Configured || !st.ConversionRequired || st.SchemaVersion != "6.2.0.0" {
			t.Fatalf("initial state %+v", st)
		}

		// No converter: the job fails, the store still needs conversion.
		none := newManager(t, managerOpts(t, state, cfg))
		c, err := none.BeginConversion(testCtx(t))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Run(testCtx(t)); excID(err) != ipam.IpamSchemaConversionCouldNotBeDoneForThisVersion {
			t.Errorf("without a converter: %v", err)
		}
		_ = c.End(testCtx(t), false)

		// Another process converting: refused here, by its lease.
		ca, err := a.BeginConversion(testCtx(t))
		if err != nil {
			t.Fatal(err)
		}
		if st := mustState(t, b); !st.ConversionInProgress {
			t.Errorf("other process does not see the conversion: %+v", st)
		}
		if _, err := b.BeginConversion(testCtx(t)); excID(err) != ipam.IpamSchemaConversionAnotherOperationInProgress {
			t.Errorf("concurrent conversion in another process: %v", err)
		}
		if err := ca.Run(testCtx(t)); err != nil {
			t.Fatal(err)
		}
		if err := ca.End(testCtx(t), true); err != nil {
			t.Fatal(err)
		}
		for name, m := range map[string]*Manager{"converting process": a, "other process": b} {
			if st := mustState(t, m); st.ConversionRequired || st.ConversionInProgress || st.SchemaVersion != schema.V2Version {
				t.Errorf("%s after conversion: %+v", name, st)
			}
		}
		if _, err := b.BeginConversion(testCtx(t)); excID(err) != ipam.IpamSchemaConversionNotRequired {
			t.Errorf("after conversion: %v", err)
		}
	})
}

// A converter error becomes IpamSchemaConversionFailed without its text, and the mark is released.
func TestManagerConversionFailure(t *testing.T) {
	cfg := Config{Type: ipam.IpamDatabaseTypeWindowsInternalDatabase, Path: storetest.NewSQLitePath(t)}
	needConversion(t, openStore(t, cfg, Options{}))
	state := t.TempDir()
	if err := SaveActive(state, cfg, false); err != nil {
		t.Fatal(err)
	}
	opts := managerOpts(t, state, cfg)
	opts.Converter = &fakeConverter{fail: errors.New("batch 3: constraint violated")}
	m := newManager(t, opts)
	c, err := m.BeginConversion(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	// The error is the converter's, for the log; the client sees the port
	// type's failure id without the internals.
	err = c.Run(testCtx(t))
	if err == nil || !strings.Contains(err.Error(), "batch 3") {
		t.Errorf("Run: %v", err)
	}
	if exc := adm.Exception(err, ipam.IpamSchemaConversionFailed); exc.ExceptionID != ipam.IpamSchemaConversionFailed || strings.Contains(exc.Message, "batch 3") {
		t.Errorf("the client sees %v", exc)
	}
	_ = c.End(testCtx(t), false)
	if st := mustState(t, m); st.ConversionInProgress || !st.ConversionRequired {
		t.Errorf("after the failure: %+v", st)
	}
	if _, err := m.BeginConversion(testCtx(t)); err != nil {
		t.Errorf("retry after the failure: %v", err)
	}
}

// A recorded store that cannot be reached is not replaced by a new one.
func TestManagerRecordedStoreUnreachable(t *testing.T) {
	state := t.TempDir()
	down := Config{Type: ipam.IpamDatabaseTypeMSSQLServer, Host: "127.0.0.1", Port: 1, Name: "ipam", User: "u"}
	if err := SaveActive(state, down, false); err != nil {
		t.Fatal(err)
	}
	m := newManager(t, ManagerOptions{Policy: Policy{StateDir: state, AllowedHosts: []string{"127.0.0.1:1"}}, Store: Options{ConnectTimeout: time.Second}})
	if _, err := m.State(testCtx(t)); excID(err) != ipam.IpamApiErrorSQLServiceConfigurationFailed {
		t.Errorf("State: %v", err)
	}
	if _, err := m.BeginProvisioning(testCtx(t), nil); excID(err) != ipam.IpamApiErrorSQLServiceConfigurationFailed {
		t.Errorf("BeginProvisioning: %v", err)
	}
	if got, _, _ := LoadActive(state); got != down {
		t.Errorf("recorded store changed to %v", got)
	}
}

// PoolStats reports the active store's connection pool, whichever engine
// (ipamd_store_connections): none before a store is open, the pool of the
// provisioned one after, with every connection idle again once the
// requests ended, and none after Close.
func TestManagerPoolStats(t *testing.T) {
	forEngines(t, func(t *testing.T, e storetest.Engine) {
		cfg := newConfig(t, e)
		m := newManager(t, managerOpts(t, t.TempDir(), cfg))
		if st, ok := m.PoolStats(); ok || st.OpenConnections != 0 {
			t.Errorf("before provisioning: %+v, open store %v", st, ok)
		}
		if err := provision(t, m, settingFor(cfg)); err != nil {
			t.Fatal(err)
		}
		mustState(t, m)
		st, ok := m.PoolStats()
		if !ok || st.OpenConnections < 1 || st.InUse != 0 || st.MaxOpenConnections != 8 {
			t.Errorf("after provisioning: %+v, open store %v; want connections open, none in use, at most 8", st, ok)
		}
		_ = m.Close()
		if _, ok := m.PoolStats(); ok {
			t.Error("a closed manager still reports a pool")
		}
	})
}
