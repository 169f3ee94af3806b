// Package release writes ipamd's release artifacts so that the same inputs
// give the same bytes: archives with their entries in name order, one fixed
// modification time (the commit's, SOURCE_DATE_EPOCH), owner root (0:0) and
// normalized modes, gzip without a name or time in its header; and the
// SHA256SUMS file that names them. Building the inputs (go build with
// -trimpath and an empty build id) is the dist command's part
// (internal/release/dist); docs/release.md describes the whole.
package release

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Entry is one file of an archive.
type Entry struct {
	Name string // slash-separated path inside the archive, without the top directory
	Mode fs.FileMode
	Src  string // file whose bytes the entry holds
}

// Archive is an archive's content: every entry lies under Top/.
type Archive struct {
	Top     string
	Entries []Entry
	MTime   time.Time
}

// sorted returns the entries in name order with the directories they
// need, parents first, so the listing does not depend on how the caller
// collected them; the first entry is the top directory itself ("").
func (a Archive) sorted() ([]Entry, error) {
	seen := map[string]bool{}
	var out []Entry
	for _, e := range a.Entries {
		name := path.Clean(e.Name)
		if name == "." || strings.HasPrefix(name, "../") || path.IsAbs(name) {
			return nil, fmt.Errorf("release: entry %q lies outside the archive", e.Name)
		}
		if seen[name] {
			return nil, fmt.Errorf("release: entry %q twice", name)
		}
		seen[name] = true
		e.Name = name
		out = append(out, e)
		for d := path.Dir(name); d != "."; d = path.Dir(d) {
			if !seen[d+"/"] {
				seen[d+"/"] = true
				out = append(out, Entry{Name: d + "/", Mode: fs.ModeDir | 0o755})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return append([]Entry{{Name: "", Mode: fs.ModeDir | 0o755}}, out...), nil
}

func isDir(e Entry) bool { return e.Name == "" || strings.HasSuffix(e.Name, "/") }

// normMode keeps what a release file needs: executable or not.
func normMode(m fs.FileMode) int64 {
	if m.IsDir() || m&0o111 != 0 {
		return 0o755
	}
	return 0o644
}

// WriteTarGz writes a as a gzip-compressed tar (PAX-free USTAR/GNU headers
// with uid/gid 0, owner names root, no access or change times).
func WriteTarGz(w io.Writer, a Archive) error {
	entries, err := a.sorted()
	if err != nil {
		return err
	}
	gz, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	// gzip.Writer writes no name and a zero time unless told otherwise;
	// the OS byte is fixed by the package.
	tw := tar.NewWriter(gz)
	mtime := a.MTime.UTC().Truncate(time.Second)
	for _, e := range entries {
		h := &tar.Header{
			Name: path.Join(a.Top, e.Name), Mode: normMode(e.Mode), ModTime: mtime,
			Uname: "root", Gname: "root", Format: tar.FormatUSTAR,
		}
		if isDir(e) {
			h.Name += "/"
			h.Typeflag = tar.TypeDir
			if err := tw.WriteHeader(h); err != nil {
				return err
			}
			continue
		}
		data, err := os.ReadFile(e.Src)
		if err != nil {
			return err
		}
		h.Typeflag, h.Size = tar.TypeReg, int64(len(data))
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("release: %s: %w", h.Name, err)
		}
		if _, err := tw.Write(data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

// WriteZip writes a as a zip (deflate; the time in the DOS fields and the
// extended timestamp is MTime, in UTC).
func WriteZip(w io.Writer, a Archive) error {
	entries, err := a.sorted()
	if err != nil {
		return err
	}
	zw := zip.NewWriter(w)
	mtime := a.MTime.UTC().Truncate(time.Second)
	for _, e := range entries {
		h := &zip.FileHeader{Name: path.Join(a.Top, e.Name), Method: zip.Deflate, Modified: mtime}
		if isDir(e) {
			h.Name += "/"
			h.Method = zip.Store
			h.SetMode(fs.ModeDir | 0o755)
			if _, err := zw.CreateHeader(h); err != nil {
				return err
			}
			continue
		}
		h.SetMode(fs.FileMode(normMode(e.Mode)))
		data, err := os.ReadFile(e.Src)
		if err != nil {
			return err
		}
		fw, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		if _, err := fw.Write(data); err != nil {
			return err
		}
	}
	return zw.Close()
}

// WriteFile writes the archive to file with write (WriteTarGz or WriteZip).
func WriteFile(file string, a Archive, write func(io.Writer, Archive) error) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if err := write(f, a); err != nil {
		f.Close()
		return fmt.Errorf("release: %s: %w", file, err)
	}
	return f.Close()
}

// SHA256Sums returns the lines of a SHA256SUMS file (sha256sum's format:
// "<hex>  <name>", names sorted) for the named files in dir.
func SHA256Sums(dir string, names []string) ([]byte, error) {
	names = append([]string(nil), names...)
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		f, err := os.Open(filepath.Join(dir, n))
		if err != nil {
			return nil, err
		}
		h := sha256.New()
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, "%s  %s\n", hex.EncodeToString(h.Sum(nil)), n)
	}
	return []byte(b.String()), nil
}
