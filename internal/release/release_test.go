package release

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// files writes the test inputs with the given modification time and
// returns the entries in a given order.
func files(t *testing.T, dir string, mtime time.Time, reverse bool) []Entry {
	t.Helper()
	in := []struct {
		name string
		mode os.FileMode
		data string
	}{{"ipamd", 0o775, "binary"}, {"man/man1/ipamd.1", 0o600, ".TH IPAMD"}, {"README.md", 0o664, "# ipamd"}}
	var out []Entry
	for _, f := range in {
		src := filepath.Join(dir, strings.ReplaceAll(f.name, "/", "_"))
		if err := os.WriteFile(src, []byte(f.data), f.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(src, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		out = append(out, Entry{Name: f.name, Mode: f.mode, Src: src})
	}
	if reverse {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out
}

var commitTime = time.Unix(1700000000, 0)

// TestArchivesReproducible: the same content gives the same bytes whatever
// the input files' times, modes' group bits and the order of the entries.
func TestArchivesReproducible(t *testing.T) {
	for _, w := range []struct {
		name  string
		write func(io.Writer, Archive) error
	}{{"tar.gz", WriteTarGz}, {"zip", WriteZip}} {
		t.Run(w.name, func(t *testing.T) {
			var outs [2]bytes.Buffer
			for i := range outs {
				dir := t.TempDir()
				entries := files(t, dir, time.Now().Add(time.Duration(i)*time.Hour), i == 1)
				if err := w.write(&outs[i], Archive{Top: "ipamd_v1_linux_amd64", Entries: entries, MTime: commitTime}); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(outs[0].Bytes(), outs[1].Bytes()) {
				t.Fatalf("two archives of the same content differ (%d and %d bytes)", outs[0].Len(), outs[1].Len())
			}
		})
	}
}

// TestTarGzHeaders: one mtime, owner root (0:0), modes 0755/0644, names in
// order under the top directory with their parents, a gzip header with no
// name and no time.
func TestTarGzHeaders(t *testing.T) {
	var b bytes.Buffer
	if err := WriteTarGz(&b, Archive{Top: "top", Entries: files(t, t.TempDir(), time.Now(), true), MTime: commitTime}); err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	if zr.Name != "" || !zr.ModTime.IsZero() {
		t.Errorf("gzip header: name %q, time %v; want neither", zr.Name, zr.ModTime)
	}
	tr := tar.NewReader(zr)
	var got []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !h.ModTime.Equal(commitTime) || h.Uid != 0 || h.Gid != 0 || h.Uname != "root" || h.Gname != "root" {
			t.Errorf("%s: mtime %v uid %d gid %d %s/%s", h.Name, h.ModTime, h.Uid, h.Gid, h.Uname, h.Gname)
		}
		got = append(got, h.Name+" "+os.FileMode(h.Mode).String())
	}
	want := []string{"top/ -rwxr-xr-x", "top/README.md -rw-r--r--", "top/ipamd -rwxr-xr-x", "top/man/ -rwxr-xr-x",
		"top/man/man1/ -rwxr-xr-x", "top/man/man1/ipamd.1 -rw-r--r--"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestZipTimes(t *testing.T) {
	var b bytes.Buffer
	if err := WriteZip(&b, Archive{Top: "top", Entries: files(t, t.TempDir(), time.Now(), false), MTime: commitTime}); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if !f.Modified.Equal(commitTime) {
			t.Errorf("%s: modified %v, want %v", f.Name, f.Modified, commitTime.UTC())
		}
	}
	if zr.File[0].Name != "top/" || zr.File[len(zr.File)-1].Name != "top/man/man1/ipamd.1" {
		t.Errorf("first/last entry %q/%q", zr.File[0].Name, zr.File[len(zr.File)-1].Name)
	}
}

func TestEntryOutsideRefused(t *testing.T) {
	for _, name := range []string{"../etc/passwd", "/etc/passwd", "."} {
		err := WriteTarGz(io.Discard, Archive{Top: "top", Entries: []Entry{{Name: name, Src: "x"}}, MTime: commitTime})
		if err == nil {
			t.Errorf("entry %q accepted", name)
		}
	}
}

func TestSHA256Sums(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{"b.zip": "b", "a.tar.gz": "a"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := SHA256Sums(dir, []string{"b.zip", "a.tar.gz"})
	if err != nil {
		t.Fatal(err)
	}
	// sha256("a"), sha256("b"): sorted by name, two spaces (sha256sum -c).
	want := "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb  a.tar.gz\n" +
		"3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d  b.zip\n"
	if string(got) != want {
		t.Errorf("SHA256SUMS:\n%s\nwant:\n%s", got, want)
	}
}
