package store

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

// setHook installs testHookSQLiteChecked for one test (tests using it do
// not run in parallel).
func setHook(t *testing.T, hook func(path string)) {
	t.Helper()
	testHookSQLiteChecked = hook
	t.Cleanup(func() { testHookSQLiteChecked = nil })
}

// The policy checks a client's DatabasePath, then the store is opened: an
// attacker who can write in an allowed directory swaps a symbolic link in
// between — for the store's directory or for the file — pointing outside.
// Nothing may be created or written at the link's target; the job fails
// with IpamApiErrorInvalidDatabaseConfiguration. The hook pauses after
// ipamd's own check, before SQLite opens the path.
func TestEmbeddedStoreSymlinkSwap(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	for _, tc := range []struct {
		name string
		// swap replaces what was checked (dir holds the store's file)
		// with a link to outside; it returns the file an attacker wanted
		// written.
		swap func(t *testing.T, dir, outside string) string
	}{
		{"directory replaced by a link", func(t *testing.T, dir, outside string) string {
			if err := os.Rename(dir, dir+".moved"); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(outside, dir); err != nil {
				t.Fatal(err)
			}
			return filepath.Join(outside, WIDFileName)
		}},
		{"file replaced by a link", func(t *testing.T, dir, outside string) string {
			victim := filepath.Join(outside, "victim.db")
			if err := os.WriteFile(victim, []byte("not a database, not to be touched"), 0o600); err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(dir, WIDFileName)
			if err := os.Remove(file); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(victim, file); err != nil {
				t.Fatal(err)
			}
			return victim
		}},
		{"directory replaced by another directory", func(t *testing.T, dir, outside string) string {
			// Not a link: a rename of the checked directory and a new one
			// in its place. The held file's identity tells them apart.
			if err := os.Rename(dir, dir+".moved"); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			return filepath.Join(dir, WIDFileName)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			allowed, outside := t.TempDir(), t.TempDir()
			state := t.TempDir()
			m := newManager(t, ManagerOptions{Policy: Policy{StateDir: state, AllowedDirectories: []string{allowed}}})
			dir := filepath.Join(allowed, "client")
			p, err := m.BeginProvisioning(testCtx(t), &ipam.IpamProvisioningSetting{CreateNewSchema: true,
				DatabaseConfiguration: &ipam.IpamDatabaseConfiguration{DatabaseType: ipam.IpamDatabaseTypeWindowsInternalDatabase, DatabasePath: &dir}})
			if err != nil {
				t.Fatal(err)
			}
			var target string
			var before []byte
			setHook(t, func(path string) {
				if path != filepath.Join(dir, WIDFileName) {
					t.Errorf("hook for %s", path)
				}
				target = tc.swap(t, dir, outside)
				before, _ = os.ReadFile(target)
			})
			err = p.Run(testCtx(t))
			_ = p.End(testCtx(t), err == nil)
			if excID(err) != ipam.IpamApiErrorInvalidDatabaseConfiguration || !errors.Is(err, ErrUnsafePath) && !strings.Contains(err.Error(), "changed since the policy checked it") {
				t.Fatalf("provisioning through a swapped path: %v", err)
			}
			after, rerr := os.ReadFile(target)
			if !bytes.Equal(before, after) || (before == nil) != errors.Is(rerr, os.ErrNotExist) {
				t.Errorf("%s was written: %d bytes before, %d after (%v)", target, len(before), len(after), rerr)
			}
			for _, side := range []string{"-wal", "-shm", "-journal"} {
				if _, err := os.Lstat(target + side); err == nil {
					t.Errorf("%s%s was created", target, side)
				}
			}
			if _, ok, _ := LoadActive(state); ok {
				t.Error("the refused store was recorded as the active one")
			}
		})
	}
}

// A link already in place when the store is opened (after the policy
// resolved the path) is refused as well, in a directory or as the file.
func TestEmbeddedStoreLinkAtOpen(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	allowed, outside := t.TempDir(), t.TempDir()
	if err := os.Symlink(outside, filepath.Join(allowed, "link")); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Type: ipam.IpamDatabaseTypeWindowsInternalDatabase, Path: filepath.Join(allowed, "link", "sub", WIDFileName)}
	if _, err := Open(testCtx(t), cfg, Options{}); !errors.Is(err, ErrUnsafePath) {
		t.Errorf("open below a link: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(outside, "sub")); err == nil {
		t.Error("a directory was created through the link")
	}
	if err := os.Symlink(filepath.Join(outside, "x.db"), filepath.Join(allowed, WIDFileName)); err != nil {
		t.Fatal(err)
	}
	cfg.Path = filepath.Join(allowed, WIDFileName)
	if _, err := Open(testCtx(t), cfg, Options{}); !errors.Is(err, ErrUnsafePath) {
		t.Errorf("open of a link: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(outside, "x.db")); err == nil {
		t.Error("the link's target was created")
	}
}

// database.json is not trusted more than a client: a record edited to
// name a store outside the allowed directories, or a PostgreSQL server not
// (or no longer) in store.allowed_hosts, is refused at start-up with a
// message that says so, and nothing is opened or created there.
func TestRecordedStoreRecheckedAtStartup(t *testing.T) {
	outside := t.TempDir()
	for _, tc := range []struct {
		name   string
		record Config
		pol    func(state string) Policy
		want   string
	}{
		{"embedded store outside the allowed directories",
			Config{Type: ipam.IpamDatabaseTypeWindowsInternalDatabase, Path: filepath.Join(outside, "x", WIDFileName)},
			func(state string) Policy { return Policy{StateDir: state} }, "not inside the state directory"},
		{"embedded store whose file is not ipam.db",
			Config{Type: ipam.IpamDatabaseTypeWindowsInternalDatabase, Path: filepath.Join(outside, "passwd")},
			func(state string) Policy { return Policy{StateDir: state, AllowedDirectories: []string{outside}} }, "must be named ipam.db"},
		{"PostgreSQL server no longer allowed",
			Config{Type: ipam.IpamDatabaseTypeMSSQLServer, Host: "127.0.0.1", Port: 55440, Name: "ipam", User: "u"},
			func(state string) Policy { return Policy{StateDir: state, AllowedHosts: []string{"127.0.0.1"}} }, "127.0.0.1:55440 refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			state := t.TempDir()
			if err := SaveActive(state, tc.record, false); err != nil {
				t.Fatal(err)
			}
			m := newManager(t, ManagerOptions{Policy: tc.pol(state)})
			_, err := m.State(testCtx(t))
			if excID(err) != ipam.IpamApiErrorInvalidDatabaseConfiguration || !strings.Contains(err.Error(), tc.want) ||
				!strings.Contains(err.Error(), "not allowed by the policy and is not used") {
				t.Fatalf("State: %v", err)
			}
			if _, err := m.BeginProvisioning(testCtx(t), nil); excID(err) != ipam.IpamApiErrorInvalidDatabaseConfiguration {
				t.Errorf("BeginProvisioning: %v", err)
			}
			if _, err := m.BeginConversion(testCtx(t)); excID(err) != ipam.IpamApiErrorInvalidDatabaseConfiguration {
				t.Errorf("BeginConversion: %v", err)
			}
			if got, _, _ := LoadActive(state); got != tc.record {
				t.Errorf("record changed to %v", got)
			}
			if _, err := os.Lstat(filepath.Join(outside, "x")); err == nil {
				t.Error("something was created outside")
			}
		})
	}
	// Allowed again: the same record is used.
	state := t.TempDir()
	rec := Config{Type: ipam.IpamDatabaseTypeWindowsInternalDatabase, Path: filepath.Join(outside, "y", WIDFileName)}
	if err := SaveActive(state, rec, false); err != nil {
		t.Fatal(err)
	}
	m := newManager(t, ManagerOptions{Policy: Policy{StateDir: state, AllowedDirectories: []string{outside}}})
	if st, err := m.State(testCtx(t)); err != nil || st.Configured {
		t.Errorf("allowed record: %+v %v", st, err)
	}
}
