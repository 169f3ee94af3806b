package protocoldoc

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// outsideReferences are names of research notes and folders that lived next
// to the repository while it was written and are not part of it. A comment
// pointing at them sends a maintainer nowhere; the facts belong in
// docs/protocol.md and docs/data-model.md. The names are split so this file
// does not match itself.
var outsideReferences = []string{
	"ms-ipamm2" + ".md", "ipam-adm" + ".md", "wcf-nettcp" + ".md", "mono-peer" + ".md",
	"security-peers" + ".md", "npm-peers" + ".md", "ipam-enumerator" + ".md", "ecosystem" + ".md",
	"security-" + "vectors", "dotnet-" + "vectors",
	"../" + "shared", "/work/" + "shared", "shared/" + "reference", "shared/" + "seeds", "shared/" + "design",
	"reference/" + "ecosystem",
}

// textFile says whether path is one of the kinds of file people read for
// code or documentation.
func textFile(path string) bool {
	switch filepath.Ext(path) {
	case ".go", ".cs", ".py", ".js", ".mjs", ".ts", ".md", ".yaml", ".yml", ".sh", ".txt", ".wsdl", ".xsd", ".json", ".toml":
		return true
	}
	switch filepath.Base(path) {
	case "Makefile", "run", "Dockerfile":
		return true
	}
	return false
}

// TestNoReferencesOutsideTheRepository fails on any mention of reference
// material the repository does not ship.
func TestNoReferencesOutsideTheRepository(t *testing.T) {
	dir := root(t)
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "node_modules":
				return filepath.SkipDir
			}
			return nil
		}
		if !textFile(path) {
			return nil
		}
		info, err := d.Info()
		if err != nil || info.Size() > 4<<20 {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		for n, line := range strings.Split(string(b), "\n") {
			for _, ref := range outsideReferences {
				if strings.Contains(line, ref) {
					t.Errorf("%s:%d mentions %q, which is not in the repository; point at docs/protocol.md or docs/data-model.md instead", rel, n+1, ref)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
