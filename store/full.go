package store

import (
	"errors"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
)

// storageFull reports whether err says the data store ran out of space:
// ENOSPC from the file system, SQLite's SQLITE_FULL ("database or disk is
// full"), or PostgreSQL's disk_full (SQLSTATE 53100). Such a failure is
// the operator's to fix, so it reaches the client as adm.ErrStorageFull
// rather than as an internal error.
func storageFull(err error) bool {
	if errors.Is(err, syscall.ENOSPC) {
		return true
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) && pg.Code == "53100" {
		return true
	}
	// modernc.org/sqlite reports SQLITE_FULL as text with its code.
	return strings.Contains(err.Error(), "database or disk is full")
}
