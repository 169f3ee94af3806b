//go:build unix

package store

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

// ipam.db, -wal and -shm are 0600 whatever the umask; an older store's
// files that group or others could read are tightened when opened.
func TestEmbeddedStoreFileModes(t *testing.T) {
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })
	state := t.TempDir()
	m := newManager(t, ManagerOptions{Policy: Policy{StateDir: state}})
	if err := provision(t, m, &ipam.IpamProvisioningSetting{CreateNewSchema: true}); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(state, WIDFileName)
	checkModes := func(when string) {
		t.Helper()
		for _, f := range []string{db, db + "-wal", db + "-shm"} {
			fi, err := os.Stat(f)
			if err != nil {
				t.Errorf("%s: %v", when, err)
				continue
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s: %s has mode %v, want 0600", when, filepath.Base(f), fi.Mode().Perm())
			}
		}
	}
	checkModes("after provisioning")
	// An older ipamd left them 0644 (the umask's doing).
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{db, db + "-wal", db + "-shm"} {
		if err := os.Chmod(f, 0o644); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	m2 := newManager(t, ManagerOptions{Policy: Policy{StateDir: state}})
	if st, err := m2.State(testCtx(t)); err != nil || !st.Configured {
		t.Fatalf("after restart: %+v %v", st, err)
	}
	checkModes("after a restart on 0644 files")
}
