package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

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
	time.Sleep(FileCheckInterval) // the detection bound
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

// CheckFile looks at the path at most once per FileCheckInterval, yet a
// check that begins that long after the file was deleted or replaced
// reports it, every time.
func TestCheckFileDetectsWithinBound(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, path string)
	}{
		{"deleted", func(t *testing.T, path string) {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		}},
		{"replaced", func(t *testing.T, path string) {
			other := path + ".restore"
			if err := os.WriteFile(other, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(other, path); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := storetest.NewSQLitePath(t)
			s, err := Open(context.Background(), Config{Type: ipam.IpamDatabaseTypeWindowsInternalDatabase, Path: path}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for range 3 { // the cached answer, then a fresh look
				if err := s.CheckFile(); err != nil {
					t.Fatalf("the unchanged file: %v", err)
				}
			}
			tc.change(t, path)
			time.Sleep(FileCheckInterval)
			for i := range 2 { // a failure is never cached
				if err := s.CheckFile(); !errors.Is(err, ErrStoreFileGone) {
					t.Fatalf("check %d, %v after the file was %s: %v, want ErrStoreFileGone", i, FileCheckInterval, tc.name, err)
				}
			}
		})
	}
}
