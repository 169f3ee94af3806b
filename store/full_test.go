package store

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestStorageFull(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"ENOSPC", &fs.PathError{Op: "write", Path: "/x/ipam.db-journal", Err: syscall.ENOSPC}, true},
		{"SQLITE_FULL", fmt.Errorf("convert: step %q: %w", "4", errors.New("database or disk is full (13)")), true},
		{"PostgreSQL disk_full", fmt.Errorf("insert: %w", &pgconn.PgError{Code: "53100", Message: "could not extend file"}), true},
		{"PostgreSQL other", &pgconn.PgError{Code: "23505"}, false},
		{"reset", errors.New("read: connection reset by peer"), false},
	} {
		if got := storageFull(tc.err); got != tc.want {
			t.Errorf("%s: storageFull = %v, want %v", tc.name, got, tc.want)
		}
	}
}
