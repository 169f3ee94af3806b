//go:build linux

package faults

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/ipamd/ipamd/client"
	daemon "github.com/ipamd/ipamd/internal/daemontest"
	"github.com/ipamd/ipamd/internal/v1gen"
	"github.com/ipamd/ipamd/store"
	"github.com/ipamd/ipamd/store/convert"
	"github.com/ipamd/ipamd/store/schema"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// tmpfs mounts a tmpfs of size (mount's -o size=) on a fresh directory and
// unmounts it when t ends. It skips t unless the test runs as root (CI
// does) and may mount.
func tmpfs(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs (the disk-full and read-only faults); CI runs as root")
	}
	dir := filepath.Join(t.TempDir(), "fs")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s); the disk-full and read-only faults need one", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

func remount(t *testing.T, dir, opts string) {
	t.Helper()
	if out, err := exec.Command("mount", "-o", "remount,"+opts, dir).CombinedOutput(); err != nil {
		t.Fatalf("remount %s %s: %v: %s", dir, opts, err, out)
	}
}

// admTablesIn counts the ADM_ tables of the SQLite file at path (0 when
// there is no file).
func admTablesIn(t *testing.T, path string) int {
	t.Helper()
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return 0
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name LIKE 'ADM\_%' ESCAPE '\'`).Scan(&n); err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return n
}

func widSetting(dir string) *ipam.IpamProvisioningSetting {
	return &ipam.IpamProvisioningSetting{CreateNewSchema: true, ProvisioningMethod: ipam.ProvisioningMethodManual,
		DatabaseConfiguration: &ipam.IpamDatabaseConfiguration{DatabaseType: ipam.IpamDatabaseTypeWindowsInternalDatabase, DatabasePath: &dir}}
}

// expectRemote fails t unless err is an IpamException whose message says
// what went wrong (contains one of words); it returns the exception's id.
func expectRemote(t *testing.T, what string, err error, words ...string) string {
	t.Helper()
	var re *client.RemoteError
	if !errors.As(err, &re) || re.Exception == nil {
		t.Fatalf("%s: %v, want an IpamException", what, err)
	}
	msg := strings.ToLower(re.Exception.Message)
	for _, w := range words {
		if strings.Contains(msg, w) {
			t.Logf("%s: %s: %s", what, re.Exception.ExceptionID, re.Exception.Message)
			return re.Exception.ExceptionID
		}
	}
	t.Errorf("%s: the message %q names none of %q", what, re.Exception.Message, words)
	return re.Exception.ExceptionID
}

// The embedded store's file system fills up in the middle of the
// provisioning transaction: the client gets Notify…Complete with an
// IpamException saying the disk is full, the file holds no table of the
// failed transaction and no record names it, and once space is freed the
// next provisioning succeeds.
func TestEmbeddedDiskFullMidProvisioning(t *testing.T) {
	dir := tmpfs(t, "160k")
	d := runIpamd(t, t.TempDir(), "--store-allowed-directories", dir)
	ctx := ctxFor(t, 2*time.Minute)
	_, err := provisionVia(ctx, d, widSetting(dir))
	expectRemote(t, "provisioning on a full disk", err, "full", "no space")
	if n := admTablesIn(t, filepath.Join(dir, store.WIDFileName)); n != 0 {
		t.Errorf("%d ADM tables in the store after the failed provisioning", n)
	}
	remount(t, dir, "size=64m")
	if _, err := provisionVia(ctx, d, widSetting(dir)); err != nil {
		t.Fatalf("provisioning once space was freed: %v", err)
	}
	if n := admTablesIn(t, filepath.Join(dir, store.WIDFileName)); n == 0 {
		t.Error("no ADM tables after the provisioning that succeeded")
	}
}

// The state directory becomes read-only while the daemon runs: a
// provisioning fails cleanly (an IpamException naming the read-only file
// system, nothing recorded, no tables), and succeeds once it is writable
// again, without a restart.
func TestEmbeddedStateDirReadOnly(t *testing.T) {
	state := tmpfs(t, "64m")
	d := runIpamd(t, state)
	remount(t, state, "ro")
	ctx := ctxFor(t, 2*time.Minute)
	_, err := provisionVia(ctx, d, widSetting(state))
	expectRemote(t, "provisioning in a read-only state directory", err, "read-only", "readonly")
	if _, saved, _ := store.LoadActive(state); saved {
		t.Error("a store was recorded as active although its provisioning failed")
	}
	remount(t, state, "rw")
	if n := admTablesIn(t, filepath.Join(state, store.WIDFileName)); n != 0 {
		t.Errorf("%d ADM tables after the failed provisioning", n)
	}
	if _, err := provisionVia(ctx, d, widSetting(state)); err != nil {
		t.Fatalf("provisioning once the directory is writable again: %v", err)
	}
}

// ipam.db deleted under a running daemon: the daemon notices at the next
// session begun store.FileCheckInterval later, logs an error that says
// what happened and what to do, and from then on reads the store by its
// path, as after a restart — not provisioned — so a client can provision
// again (or the operator restore the file) without restarting ipamd.
func TestEmbeddedStoreDeletedUnderDaemon(t *testing.T) {
	state := t.TempDir()
	d := runIpamd(t, state)
	ctx := ctxFor(t, 2*time.Minute)
	if _, err := provisionVia(ctx, d, widSetting(state)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(state, store.WIDFileName)
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
	}
	time.Sleep(store.FileCheckInterval) // the detection bound
	if _, err := provisionVia(ctx, d, widSetting(state)); err != nil {
		t.Fatalf("provisioning after ipam.db was deleted: %v", err)
	}
	if n := admTablesIn(t, path); n == 0 {
		t.Error("no ADM tables in the new ipam.db")
	}
	if len(d.srv.Log.Find(func(e daemon.Entry) bool {
		return e.String("level") == "error" && strings.Contains(e.Msg(), "deleted or replaced while ipamd ran")
	})) != 1 {
		t.Error("the daemon did not log the deleted store once, as an error")
	}
}

// ipam.db replaced under a running daemon (an operator restoring an older
// backup: here a v1 store, renamed over the file as a restore does): the
// daemon notices at the next session begun store.FileCheckInterval later,
// logs it once, and serves what the file now holds — a store that needs
// conversion, which a client converts without restarting ipamd.
func TestEmbeddedStoreReplacedUnderDaemon(t *testing.T) {
	state := t.TempDir()
	d := runIpamd(t, state)
	ctx := ctxFor(t, 2*time.Minute)
	if _, err := provisionVia(ctx, d, widSetting(state)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(state, store.WIDFileName)
	backup := filepath.Join(state, "restore.db")
	legacySQLite(t, backup, 500)
	for _, p := range []string{path + "-wal", path + "-shm"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
	}
	if err := os.Rename(backup, path); err != nil {
		t.Fatal(err)
	}
	time.Sleep(store.FileCheckInterval) // the detection bound
	if _, err := convertVia(ctx, d); err != nil {
		t.Fatalf("converting the restored v1 store: %v", err)
	}
	if n := admTablesIn(t, path); n == 0 {
		t.Error("no ADM tables in the converted store")
	}
	if len(d.srv.Log.Find(func(e daemon.Entry) bool {
		return e.String("level") == "error" && strings.Contains(e.Msg(), "deleted or replaced while ipamd ran")
	})) != 1 {
		t.Error("the daemon did not log the replaced store once, as an error")
	}
}

// dumpSQLite is every ADM table of the SQLite database at path, row by row
// as text, in order.
func dumpSQLite(t *testing.T, path string) map[string][]string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tables := tableStrings(t, db, `SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'ADM\_%' ESCAPE '\'`)
	out := map[string][]string{}
	for _, tbl := range tables {
		r, err := db.Query(`SELECT * FROM "` + tbl + `"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := r.Columns()
		var lines []string
		for r.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := r.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for i, v := range vals {
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				fmt.Fprintf(&b, "%s=%v|", cols[i], v)
			}
			lines = append(lines, b.String())
		}
		_ = r.Close()
		sort.Strings(lines)
		out[tbl] = lines
	}
	return out
}

// legacySQLite writes a generated v1 store at path.
func legacySQLite(t *testing.T, path string, addresses int) {
	t.Helper()
	db, err := sql.Open("sqlite", schema.SQLiteDSN(path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := v1gen.Generate(ctxFor(t, 2*time.Minute), db, schema.SQLite, v1gen.Options{Addresses: addresses, Seed: 7}); err != nil {
		t.Fatal(err)
	}
}

// The embedded store's file system fills up in the middle of a schema
// conversion: the client gets IpamSchemaConversionFailed saying the disk
// is full, the store still needs conversion, and once space is freed the
// next conversion resumes to the same rows as an uninterrupted one.
func TestEmbeddedDiskFullMidConversion(t *testing.T) {
	const addresses = 3000
	dir := tmpfs(t, "48m")
	path := filepath.Join(dir, store.WIDFileName)
	legacySQLite(t, path, addresses)
	state := t.TempDir()
	if err := store.SaveActive(state, store.Config{Type: ipam.IpamDatabaseTypeWindowsInternalDatabase, Path: path}, false); err != nil {
		t.Fatal(err)
	}
	d := runIpamd(t, state, "--store-allowed-directories", dir)
	// Leave the conversion a little room: it fails part-way, not at once.
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	filler := filepath.Join(dir, "filler")
	if free := int64(st.Bavail) * st.Bsize; free > 512<<10 {
		if err := os.WriteFile(filler, make([]byte, free-512<<10), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ctx := ctxFor(t, 3*time.Minute)
	_, err := convertVia(ctx, d)
	expectRemote(t, "conversion on a full disk", err, "full", "no space")
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var micros int64
	if err := db.QueryRow(`SELECT last_record_id FROM ipamd_conversion_progress WHERE step = '@started'`).Scan(&micros); err != nil {
		t.Fatalf("the failed conversion left no clock: %v", err)
	}
	at := time.UnixMicro(micros).UTC()
	if req, _, _, err := convert.Required(ctx, db, schema.SQLite); err != nil || !req {
		t.Fatalf("after the failure Required = %v, %v", req, err)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if _, err := convertVia(ctx, d); err != nil {
		t.Fatalf("the conversion once space was freed: %v", err)
	}
	ref := filepath.Join(t.TempDir(), "reference.db")
	legacySQLite(t, ref, addresses)
	rdb, err := sql.Open("sqlite", schema.SQLiteDSN(ref))
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	if err := convert.Run(ctx, rdb, schema.SQLite, convert.Options{Now: func() time.Time { return at }}); err != nil {
		t.Fatal(err)
	}
	sameRows(t, dumpSQLite(t, path), dumpSQLite(t, ref), "ADM_DatabaseConfigurationTable")
}
