package bind

import (
	"go/build"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ipamd/ipamd/sessions"
)

// Both bindings satisfy the one contract.
var (
	_ sessions.Transport = (*netTCP)(nil)
	_ sessions.Transport = (*httpTransport)(nil)
)

const module = "github.com/ipamd/ipamd/"

// TestImportsPointDown: sessions knows no transport and no transport knows
// sessions; this package is the only one that imports both.
func TestImportsPointDown(t *testing.T) {
	pkg, err := build.ImportDir("..", 0)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(pkg.Imports, module+"soap") {
		t.Fatalf("sessions' imports were not read: %v", pkg.Imports)
	}
	for _, imp := range pkg.Imports {
		if strings.HasPrefix(imp, module+"duplex/nmf") || strings.HasPrefix(imp, module+"duplex/soaphttp") {
			t.Errorf("sessions imports %s", imp)
		}
	}
	read := 0
	err = filepath.WalkDir("../../duplex", func(dir string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() || d.Name() == "testdata" {
			return err
		}
		p, err := build.ImportDir(dir, 0)
		if err != nil {
			return nil // no Go files here
		}
		read++
		if i := slices.IndexFunc(p.Imports, func(s string) bool { return strings.HasPrefix(s, module+"sessions") }); i >= 0 {
			t.Errorf("%s imports %s", dir, p.Imports[i])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if read < 2 {
		t.Fatalf("read %d duplex packages, want nmf and soaphttp at least", read)
	}
}
