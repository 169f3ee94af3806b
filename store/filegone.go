package store

import (
	"errors"
	"fmt"
	"io/fs"
	"time"
)

// FileCheckInterval bounds how long a deleted or replaced store file goes
// unnoticed: CheckFile stats the path at most once per interval and
// answers from that look in between (issue 16: it runs on every Initialize
// and Start). A check that begins this long after the file was deleted or
// replaced sees it (docs/reliability.md).
const FileCheckInterval = 100 * time.Millisecond

// ErrStoreFileGone: the embedded store's file was deleted or replaced
// while ipamd had it open. The open handles still reach the old file (or
// its unlinked inode); the path names something else, or nothing.
var ErrStoreFileGone = errors.New("the embedded store's file was deleted or replaced while ipamd ran")

// CheckFile reports ErrStoreFileGone when an embedded store's path no
// longer names the file Open opened: deleted, or replaced by a copy or a
// restore from a backup. It is at most one stat per FileCheckInterval (a
// path found unchanged is trusted that long, timed by the monotonic clock);
// a PostgreSQL store has no file and always passes.
func (s *Store) CheckFile() error {
	if s.file == nil {
		return nil
	}
	now := time.Since(s.file.opened) // monotonic
	if ok := s.file.checkedOK.Load(); ok != 0 && now-time.Duration(ok-1) < FileCheckInterval {
		return nil
	}
	same, err := statSame(s.file.path, s.file.fi)
	if err == nil && same {
		s.file.checkedOK.Store(int64(now) + 1)
		return nil
	}
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
