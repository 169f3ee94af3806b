//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/ipamd/ipamd/store"
	"github.com/ipamd/ipamd/store/storetest"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// The daemon under umask 022 in a state directory others can read: it
// warns about the directory, and the store it provisions there — ipam.db,
// -wal and -shm — is 0600.
func TestDaemonStoreFileModes(t *testing.T) {
	old := syscall.Umask(0o022) // the child inherits it
	state := filepath.Join(t.TempDir(), "state")
	if err := os.Mkdir(state, 0o755); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, "--state-dir", state)
	syscall.Umask(old)
	if w := d.FindLog("the state directory is accessible to group or others; it holds the store and its record: chmod 0700 unless that is intended"); w == nil || w["mode"] != "0755" {
		t.Errorf("no warning about the 0755 state directory: %v", w)
	}
	r, stderr, code := runJSON(t, "provision", "--server", "net.tcp://"+d.netTCP+"/ipam/IIpamAsyncProvision",
		"--database-type", "WindowsInternalDatabase")
	if code != 0 || r.Outcome != "success" {
		t.Fatalf("provision: exit %d, %+v\n%s", code, r, stderr)
	}
	db := filepath.Join(state, store.WIDFileName)
	for _, f := range []string{db, db + "-wal", db + "-shm", filepath.Join(state, store.ActiveFileName)} {
		fi, err := os.Stat(f)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %04o, want 0600", filepath.Base(f), fi.Mode().Perm())
		}
	}
	if fi, _ := os.Stat(state); fi.Mode().Perm() != 0o755 {
		t.Errorf("the state directory's mode was changed to %04o (ipamd warns, the operator decides)", fi.Mode().Perm())
	}
}

// database.json edited (or the policy narrowed) so the recorded store lies
// outside the allowed directories: the daemon says so at start-up, refuses
// provisioning with IpamApiErrorInvalidDatabaseConfiguration naming the
// reason, and creates nothing there.
func TestDaemonRecordedStoreOutsidePolicy(t *testing.T) {
	state, outside := t.TempDir(), t.TempDir()
	rec := store.Config{Type: ipam.IpamDatabaseTypeWindowsInternalDatabase, Path: filepath.Join(outside, "x", store.WIDFileName)}
	if err := store.SaveActive(state, rec, false); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, "--state-dir", state)
	if d.FindLog("data store refused at start-up: not allowed by store.allowed_directories / store.allowed_hosts; provisioning and conversion are refused until the policy allows it or the record is removed") == nil {
		t.Error("no start-up error about the recorded store")
	}
	r, _, _ := runJSON(t, "provision", "--server", "net.tcp://"+d.netTCP+"/ipam/IIpamAsyncProvision", "--database-type", "WindowsInternalDatabase")
	if r.Exception == nil || r.Exception.ID != ipam.IpamApiErrorInvalidDatabaseConfiguration ||
		!strings.Contains(r.Exception.Message, "not allowed by the policy and is not used") {
		t.Errorf("provision with a recorded store outside the policy: %+v %+v", r, r.Exception)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("created outside the allowed directories: %v", entries)
	}
}

// The daemon runs with PGPASSWORD set to a role's password; a client names
// that role and sends no password. PostgreSQL (a cluster that wants
// passwords) must refuse it: the client cannot borrow the daemon's secret.
// With store.postgres.environment_credentials the operator opts in, and the
// same request succeeds.
func TestDaemonPostgresIgnoresDaemonPGPASSWORD(t *testing.T) {
	srv := storetest.PasswordServer(t)
	args := []string{"--store-allowed-hosts", "127.0.0.1:" + strconv.Itoa(srv.Port)}
	provision := func(d *daemon) report {
		r, _, _ := runJSON(t, "provision", "--server", "net.tcp://"+d.netTCP+"/ipam/IIpamAsyncProvision",
			"--database-type", "MSSQLServer", "--database-authentication-type", "SQLAuthentication",
			"--database-server", "127.0.0.1", "--database-port", strconv.Itoa(srv.Port),
			"--database-name", srv.Name, "--database-user", srv.User)
		return r
	}
	env := []string{"PGPASSWORD=" + srv.Password}
	r := provision(startDaemonEnv(t, env, args...))
	if r.Outcome == "success" || r.Exception == nil || r.Exception.ID != ipam.IpamApiErrorSQLServiceConfigurationFailed {
		t.Fatalf("a client without a password provisioned with the daemon's PGPASSWORD: %+v %+v", r, r.Exception)
	}
	if strings.Contains(r.Exception.Message, srv.Password) {
		t.Error("the password is in the fault")
	}
	r = provision(startDaemonEnv(t, env, append(args, "--store-postgres-environment-credentials")...))
	if r.Outcome != "success" {
		t.Fatalf("with store.postgres.environment_credentials: %+v %+v", r, r.Exception)
	}
}
