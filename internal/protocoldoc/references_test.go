package protocoldoc

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
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

// docLink and relativeLink are references to a section of the project's
// documents: docs/<file>.md#<section> from anywhere, and (<file>.md#<section>)
// or (#<section>) as a markdown link inside docs/.
var (
	docLink      = regexp.MustCompile(`docs/([a-z-]+\.md)#([a-z0-9-]+)`)
	relativeLink = regexp.MustCompile(`\]\(([a-z-]+\.md)?#([a-z0-9-]+)\)`)
)

// anchor is the id GitHub gives a heading.
func anchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TestDocLinksResolve: every docs/<file>.md#<section> the code and the
// documents point at is a heading of that document.
func TestDocLinksResolve(t *testing.T) {
	dir := root(t)
	anchors := map[string]map[string]bool{}
	headings := func(name string) map[string]bool {
		if a, ok := anchors[name]; ok {
			return a
		}
		a := map[string]bool{}
		b, err := os.ReadFile(filepath.Join(dir, "docs", name))
		if err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				if h := strings.TrimLeft(line, "#"); h != line && strings.HasPrefix(h, " ") {
					a[anchor(h)] = true
				}
			}
		}
		anchors[name] = a
		return a
	}
	links := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".git" || d.Name() == "node_modules" {
				return filepath.SkipDir
			}
			return nil
		}
		if !textFile(path) {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		found := docLink.FindAllStringSubmatch(string(b), -1)
		if filepath.Dir(rel) == "docs" {
			for _, m := range relativeLink.FindAllStringSubmatch(string(b), -1) {
				if m[1] == "" {
					m[1] = filepath.Base(rel)
				}
				found = append(found, m)
			}
		}
		for _, m := range found {
			links++
			if !headings(m[1])[m[2]] {
				t.Errorf("%s points at docs/%s#%s, which is no heading there", rel, m[1], m[2])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if links == 0 {
		t.Fatal("no links to docs/*.md#section found: the pattern no longer matches")
	}
}
