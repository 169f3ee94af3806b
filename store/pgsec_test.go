package store

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/ipamd/ipamd/store/storetest"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// A client names a PostgreSQL user and sends no password; the daemon's own
// environment has that user's password (PGPASSWORD, or a passfile). The
// server, which wants a password, must refuse: ipamd connects with what the
// client sent. store.postgres.environment_credentials is the operator's
// opt-in, and with it the same connection succeeds — the environment did
// hold a working credential.
func TestPostgresNoInheritedCredentials(t *testing.T) {
	srv := storetest.PasswordServer(t)
	noPW := Config{Type: ipam.IpamDatabaseTypeMSSQLServer, Host: srv.Host, Port: srv.Port, Name: srv.Name, User: srv.User}
	passfile := filepath.Join(t.TempDir(), "pgpass")
	line := srv.Host + ":" + strconv.Itoa(srv.Port) + ":" + srv.Name + ":" + srv.User + ":" + srv.Password + "\n"
	if err := os.WriteFile(passfile, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, env := range []struct{ name, key, value string }{
		{"PGPASSWORD", "PGPASSWORD", srv.Password},
		{"PGPASSFILE", "PGPASSFILE", passfile},
	} {
		t.Run(env.name, func(t *testing.T) {
			t.Setenv(env.key, env.value)
			s, err := Open(testCtx(t), noPW, Options{})
			if err == nil {
				_ = s.Close()
				t.Fatalf("a client without a password logged on as %s with the daemon's %s", srv.User, env.name)
			}
			if !errors.Is(err, ErrUnreachable) {
				t.Errorf("refusal: %v", err)
			}
			s, err = Open(testCtx(t), noPW, Options{PostgresEnvironmentCredentials: true})
			if err != nil {
				t.Fatalf("with environment_credentials the %s credential should work: %v", env.name, err)
			}
			_ = s.Close()
		})
	}
	// The client's own password works without any opt-in.
	withPW := noPW
	withPW.Password = srv.Password
	s, err := Open(testCtx(t), withPW, Options{})
	if err != nil {
		t.Fatalf("client's password: %v", err)
	}
	_ = s.Close()
}

// store.allowed_hosts: "host:port" allows that port; a bare host allows
// port 5432 only — checked with a real server on another port.
func TestAllowedHostPort(t *testing.T) {
	db := storetest.NewPostgresDB(t)
	cfg := Config{Type: ipam.IpamDatabaseTypeMSSQLServer, Host: db.Host, Port: db.Port, Name: db.Name, User: db.User, Password: db.Password}
	if db.Port == DefaultPostgresPort {
		t.Skip("the test server listens on 5432; the bare-host case needs another port")
	}
	for _, tc := range []struct {
		allowed []string
		ok      bool
	}{
		{[]string{db.Host}, false},
		{[]string{net.JoinHostPort(db.Host, "5432")}, false},
		{[]string{net.JoinHostPort(db.Host, strconv.Itoa(db.Port+1))}, false},
		{[]string{"other.example:" + strconv.Itoa(db.Port)}, false},
		{[]string{db.Host, net.JoinHostPort(db.Host, strconv.Itoa(db.Port))}, true},
	} {
		state := t.TempDir()
		m := newManager(t, ManagerOptions{Policy: Policy{StateDir: state, AllowedHosts: tc.allowed}})
		err := provision(t, m, settingFor(cfg))
		switch {
		case tc.ok && err != nil:
			t.Errorf("allowed %q: %v", tc.allowed, err)
		case !tc.ok && excID(err) != ipam.IpamApiErrorInvalidDatabaseConfiguration:
			t.Errorf("allowed %q: want a refusal, got %v", tc.allowed, err)
		}
	}
}

// sslmode auto authenticates a server that is not on loopback
// (verify-full: the certificate must name the host, no plaintext
// fallback) and keeps prefer on loopback.
func TestPostgresSSLModeAuto(t *testing.T) {
	for _, tc := range []struct {
		host       string
		verifyFull bool
	}{
		{"db.example", true}, {"10.0.0.5", true}, {"::ffff:10.0.0.5", true},
		{"127.0.0.1", false}, {"::1", false}, {"localhost", false}, {"LOCALHOST", false},
	} {
		cfg := Config{Type: ipam.IpamDatabaseTypeMSSQLServer, Host: tc.host, Port: 5432, Name: "ipam", User: "u"}
		pc, err := pgx.ParseConfig(pgConnString(cfg, Options{}.withDefaults()))
		if err != nil {
			t.Fatal(err)
		}
		full := pc.TLSConfig != nil && !pc.TLSConfig.InsecureSkipVerify && pc.TLSConfig.ServerName == tc.host && len(pc.Fallbacks) == 0
		if full != tc.verifyFull {
			t.Errorf("%s: verify-full %v, want %v (tls %+v, %d fallbacks)", tc.host, full, tc.verifyFull, pc.TLSConfig != nil, len(pc.Fallbacks))
		}
	}
}
