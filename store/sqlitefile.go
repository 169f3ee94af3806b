package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"

	"github.com/ipamd/ipamd/services/adm"
)

// ErrUnsafePath: the embedded store's path is not the one the policy
// checked — a symbolic link or another file appeared in it between the
// check and the open. Nothing is opened or created there.
var ErrUnsafePath = adm.Define(adm.ErrInvalidConfiguration, "the store's path changed since the policy checked it")

// testHookSQLiteChecked, set by tests, runs after openSQLiteFile checked and
// opened the file and before SQLite opens it by path: the window an
// attacker who can write in an allowed directory would race.
var testHookSQLiteChecked func(path string)

// sqliteFile is an embedded store's file as Open checked it (see
// docs/security.md, "Embedded store path"): every directory of its path a
// real directory, the file itself opened without following a link, created
// with mode 0600, and held open so its identity (device and inode) stays
// meaningful. Each SQLite connection is compared with it when it opens.
type sqliteFile struct {
	path string
	f    *os.File
	fi   os.FileInfo
	// opened is when the file was opened: the monotonic clock's origin
	// for checkedOK.
	opened time.Time
	// checkedOK is 1 + the time (since opened) of CheckFile's last stat
	// that found the path unchanged; 0 before any.
	checkedOK atomic.Int64
	// tightened lists the files whose group/world access was removed.
	tightened []string
}

// openSQLiteFile creates the missing directories of path (mode 0700) and
// the file (mode 0600) without following symbolic links anywhere: path is
// canonical (Policy resolved it), so a link in it now was put there after
// the check. An existing file that group or others can access is tightened
// to 0600, and so are its -wal and -shm, which SQLite creates with the main
// file's mode.
func openSQLiteFile(path string) (*sqliteFile, error) {
	if !filepath.IsAbs(path) || filepath.Clean(path) != path {
		return nil, fmt.Errorf("%w: %s is not a clean absolute path", ErrUnsafePath, path)
	}
	if err := mkdirNoFollow(filepath.Dir(path)); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|oNoFollow, 0o600)
	if err != nil {
		if isLinkError(path) {
			return nil, fmt.Errorf("%w: %s is a symbolic link", ErrUnsafePath, path)
		}
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("%w: %s is not a regular file", ErrUnsafePath, path)
	}
	if err == nil && runtime.GOOS == "windows" {
		// No O_NOFOLLOW there: the link test comes after the open, and
		// the identity check of every connection covers the gap.
		if li, lerr := os.Lstat(path); lerr != nil || !os.SameFile(li, fi) {
			err = fmt.Errorf("%w: %s is a link or changed while opening", ErrUnsafePath, path)
		}
	}
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	sf := &sqliteFile{path: path, f: f, fi: fi, opened: time.Now()}
	if tightenMode(f, fi) {
		sf.tightened = append(sf.tightened, path)
	}
	for _, side := range []string{path + "-wal", path + "-shm"} {
		if tightenPath(side) {
			sf.tightened = append(sf.tightened, side)
		}
	}
	return sf, nil
}

// mkdirNoFollow makes dir and its missing parents (mode 0700), refusing any
// component that is not a plain directory.
func mkdirNoFollow(dir string) error {
	vol := filepath.VolumeName(dir)
	rest := strings.TrimPrefix(dir[len(vol):], string(filepath.Separator))
	p := vol + string(filepath.Separator)
	for _, part := range strings.Split(rest, string(filepath.Separator)) {
		if part == "" {
			continue
		}
		p = filepath.Join(p, part)
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			if err := os.Mkdir(p, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
				return err
			}
			fi, err = os.Lstat(p)
		}
		if err != nil {
			return err
		}
		if fi.Mode().Type() != fs.ModeDir {
			return fmt.Errorf("%w: %s is not a directory (%s)", ErrUnsafePath, p, fi.Mode().Type())
		}
	}
	return nil
}

func isLinkError(path string) bool {
	fi, err := os.Lstat(path)
	return err == nil && fi.Mode()&fs.ModeSymlink != 0
}

// tightenMode removes group and other access from an open file (Unix; a
// file of another owner stays as it is).
func tightenMode(f *os.File, fi os.FileInfo) bool {
	if runtime.GOOS == "windows" || fi.Mode().Perm()&0o077 == 0 {
		return false
	}
	return f.Chmod(fi.Mode().Perm()&0o700) == nil
}

// tightenPath is tightenMode for a file that may not exist, opened without
// following a link.
func tightenPath(path string) bool {
	if runtime.GOOS == "windows" {
		return false
	}
	f, err := os.OpenFile(path, os.O_RDONLY|oNoFollow, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return false
	}
	return tightenMode(f, fi)
}

// Close releases the held file.
func (sf *sqliteFile) Close() error { return sf.f.Close() }

// verify checks that the SQLite connection c has the file that was
// checked: SQLite resolves symbolic links in the path it is given and
// reports the result (PRAGMA database_list), so a link put into any
// directory of the path shows there; and the path must still name the held
// file (same device and inode), so a directory renamed and replaced shows
// too. See docs/security.md for the window this leaves.
func (sf *sqliteFile) verify(ctx context.Context, c driver.Conn) error {
	q, ok := c.(driver.QueryerContext)
	if !ok {
		return errors.New("store: the SQLite driver cannot be queried")
	}
	rows, err := q.QueryContext(ctx, "PRAGMA database_list", nil)
	if err != nil {
		return err
	}
	defer rows.Close()
	dest := make([]driver.Value, len(rows.Columns()))
	main := ""
	for {
		if err := rows.Next(dest); err != nil {
			if err == io.EOF {
				break
			}
			return err
		}
		if len(dest) >= 3 && text(dest[1]) == "main" {
			main = text(dest[2])
		}
	}
	if runtime.GOOS != "windows" && main != sf.path {
		return fmt.Errorf("%w: SQLite opened %s for %s (a symbolic link in the path)", ErrUnsafePath, main, sf.path)
	}
	return sf.same()
}

// text is a TEXT column's value, which drivers give as string or []byte.
func text(v driver.Value) string {
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	s, _ := v.(string)
	return s
}

// same reports (as ErrUnsafePath) a path that no longer names the held file.
func (sf *sqliteFile) same() error {
	fi, err := os.Stat(sf.path)
	if err != nil || !os.SameFile(fi, sf.fi) {
		return fmt.Errorf("%w: %s is no longer the file that was checked", ErrUnsafePath, sf.path)
	}
	return nil
}

// sqliteConnector opens SQLite connections to a checked file, verifying
// each one: database/sql opens connections whenever its pool needs one, by
// path, long after Open.
type sqliteConnector struct {
	dsn     string
	pragmas []string
	file    *sqliteFile
	drv     sqlite.Driver
}

func (c *sqliteConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.drv.Open(c.dsn)
	if err != nil {
		if serr := c.file.same(); serr != nil {
			return nil, serr // the path changed: SQLite found nothing to open there
		}
		return nil, err
	}
	if err := c.file.verify(ctx, conn); err != nil {
		_ = conn.Close()
		return nil, err
	}
	ex, ok := conn.(driver.ExecerContext)
	if !ok {
		_ = conn.Close()
		return nil, errors.New("store: the SQLite driver cannot execute statements")
	}
	for _, p := range c.pragmas {
		if _, err := ex.ExecContext(ctx, p, nil); err != nil {
			_ = conn.Close()
			return nil, err
		}
	}
	return conn, nil
}

func (c *sqliteConnector) Driver() driver.Driver { return &c.drv }
