//go:build unix

package store

import (
	"io/fs"
	"os"
	"syscall"
)

// statSame stats path and reports whether it names the file fi describes.
// Unlike os.Stat and os.SameFile it builds no FileInfo: CheckFile runs on
// every Initialize and Start, and this saves its allocations.
func statSame(path string, fi os.FileInfo) (bool, error) {
	var st syscall.Stat_t
	for {
		err := syscall.Stat(path, &st)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return false, &fs.PathError{Op: "stat", Path: path, Err: err}
		}
		break
	}
	old, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return false, nil
	}
	return st.Dev == old.Dev && st.Ino == old.Ino, nil
}
