package store

import (
	"errors"
	"fmt"
	"io/fs"
)

// ErrStoreFileGone: the embedded store's file was deleted or replaced
// while ipamd had it open. The open handles still reach the old file (or
// its unlinked inode); the path names something else, or nothing.
var ErrStoreFileGone = errors.New("the embedded store's file was deleted or replaced while ipamd ran")

// CheckFile reports ErrStoreFileGone when an embedded store's path no
// longer names the file Open opened: deleted, or replaced by a copy or a
// restore from a backup. It is one stat; a PostgreSQL store has no file and
// always passes.
func (s *Store) CheckFile() error {
	if s.file == nil {
		return nil
	}
	same, err := statSame(s.file.path, s.file.fi)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("store: %w: %s no longer exists", ErrStoreFileGone, s.file.path)
	case err != nil:
		return fmt.Errorf("store: %s: %w", s.file.path, err)
	case !same:
		return fmt.Errorf("store: %w: %s is another file now", ErrStoreFileGone, s.file.path)
	}
	return nil
}
