package store

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ipamd/ipamd/store/storetest"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// The embedded store's file deleted under a running daemon: the next look
// at the state notices (one stat), logs it, and reads the store by its path
// again, as a restart would — not provisioned — so provisioning again
// works.
func TestManagerEmbeddedFileDeleted(t *testing.T) {
	cfg := Config{Type: ipam.IpamDatabaseTypeWindowsInternalDatabase, Path: storetest.NewSQLitePath(t)}
	state := t.TempDir()
	opts := managerOpts(t, state, cfg)
	m := newManager(t, opts)
	if err := provision(t, m, settingFor(cfg)); err != nil {
		t.Fatal(err)
	}
	if st := mustState(t, m); !st.Configured {
		t.Fatalf("after provisioning: %+v", st)
	}
	backup := filepath.Join(t.TempDir(), "backup.db")
	if err := os.Rename(cfg.Path, backup); err != nil { // deleted, as far as the path goes
		t.Fatal(err)
	}
	for _, ext := range []string{"-wal", "-shm"} {
		_ = os.Remove(cfg.Path + ext)
	}
	if st := mustState(t, m); st.Configured {
		t.Errorf("the store's file is gone but the state still says configured: %+v", st)
	}
	if err := provision(t, m, settingFor(cfg)); err != nil {
		t.Fatalf("provisioning again after the file was deleted: %v", err)
	}
	if st := mustState(t, m); !st.Configured {
		t.Errorf("after provisioning again: %+v", st)
	}
}
