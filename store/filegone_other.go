//go:build !unix

package store

import "os"

// statSame stats path and reports whether it names the file fi describes.
func statSame(path string, fi os.FileInfo) (bool, error) {
	now, err := os.Stat(path)
	if err != nil {
		return false, err
	}
	return os.SameFile(now, fi), nil
}
