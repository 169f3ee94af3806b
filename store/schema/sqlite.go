package schema

import (
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// DefaultSQLiteBusyTimeout is how long an embedded store connection waits
// for a lock another connection holds, unless told otherwise
// (store.Options.SQLiteBusyTimeout).
const DefaultSQLiteBusyTimeout = 10 * time.Second

// SQLiteOption changes what SQLiteDSN names.
type SQLiteOption func(*sqliteDSN)

type sqliteDSN struct {
	busy     time.Duration
	existing bool
}

// SQLiteBusyTimeout sets the busy timeout (default DefaultSQLiteBusyTimeout).
func SQLiteBusyTimeout(d time.Duration) SQLiteOption {
	return func(o *sqliteDSN) {
		if d > 0 {
			o.busy = d
		}
	}
}

// SQLiteExistingFile is store.Open's form: the file must exist (mode=rw),
// so SQLite never creates it (Open did, after its checks; a path swapped
// since then finds nothing to open instead of creating a file elsewhere),
// and the settings are left out: Open runs SQLitePragmas once it verified
// the connection's file (the driver's _pragma parameters would run before
// that, and journal_mode writes).
func SQLiteExistingFile() SQLiteOption { return func(o *sqliteDSN) { o.existing = true } }

// SQLiteDSN is the modernc.org/sqlite data source name of the embedded
// store file at path, with the connection settings every embedded store
// runs under. It is the one place they are spelled: store.Open, the tests'
// databases (store/storetest, which store's own tests import, so it lives
// here rather than in store) and the dev tools all use it.
//
//   - a "file:" URI; characters a URI gives a meaning are escaped ('?'
//     cannot appear in a store path: the policy refuses such paths);
//   - BEGIN IMMEDIATE for transactions (the driver's _txlock), so a writer
//     takes its lock up front instead of failing when it upgrades;
//   - SQLitePragmas as _pragma parameters, unless SQLiteExistingFile.
func SQLiteDSN(path string, opts ...SQLiteOption) string {
	o := sqliteDSN{busy: DefaultSQLiteBusyTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	p := filepath.ToSlash(path)
	if filepath.IsAbs(path) && !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive letter: file:/C:/…
	}
	p = strings.NewReplacer("%", "%25", "#", "%23", "?", "%3f", " ", "%20").Replace(p)
	if o.existing {
		return "file:" + p + "?mode=rw&_txlock=immediate"
	}
	var b strings.Builder
	b.WriteString("file:" + p + "?_txlock=immediate")
	for _, s := range sqliteSettings(o.busy) {
		b.WriteString("&_pragma=" + s.name + "(" + s.value + ")")
	}
	return b.String()
}

type sqliteSetting struct{ name, value string }

// sqliteSettings are the connection settings, in the order they must run:
// the busy timeout first, as the others may need a lock another process
// holds for a moment; foreign keys enforced (off by default in SQLite);
// WAL, so readers never block the writer; synchronous NORMAL (with WAL:
// durable at each checkpoint, no fsync per transaction).
func sqliteSettings(busy time.Duration) []sqliteSetting {
	return []sqliteSetting{
		{"busy_timeout", strconv.FormatInt(busy.Milliseconds(), 10)},
		{"foreign_keys", "1"},
		{"journal_mode", "WAL"},
		{"synchronous", "NORMAL"},
	}
}

// SQLitePragmas are SQLiteDSN's settings as the statements store.Open runs
// on each connection it verified.
func SQLitePragmas(busy time.Duration) []string {
	var p []string
	for _, s := range sqliteSettings(busy) {
		p = append(p, "PRAGMA "+s.name+" = "+s.value)
	}
	return p
}
