package deptest

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// archDoc is the architecture document, module-relative; the test runs in
// internal/deptest.
const archDoc = "docs/architecture.md"

// docSection is the text of the "## name" section of doc.
func docSection(t *testing.T, doc, name string) string {
	t.Helper()
	_, rest, ok := strings.Cut(doc, "\n## "+name+"\n")
	if !ok {
		t.Fatalf("%s has no section %q", archDoc, name)
	}
	section, _, _ := strings.Cut(rest, "\n## ")
	return section
}

var packageRow = regexp.MustCompile("^\\| `([^`]+)` \\| ([a-z]+) \\|")

// TestArchitectureDocPackages: docs/architecture.md's package table names
// every package of the module (on Linux and Windows), no other, each once
// and in the room the rooms table puts it in.
func TestArchitectureDocPackages(t *testing.T) {
	if testing.Short() {
		t.Skip("lists every package of the module")
	}
	doc, err := os.ReadFile(filepath.FromSlash("../../" + archDoc))
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(docSection(t, string(doc), "Packages"), "\n") {
		m := packageRow.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		if _, dup := rows[m[1]]; dup {
			t.Errorf("%s names %s twice", archDoc, m[1])
		}
		rows[m[1]] = m[2]
	}
	if len(rows) == 0 {
		t.Fatalf("%s: no package rows in section Packages", archDoc)
	}
	exist := map[string]bool{}
	for _, goos := range goosList {
		for _, p := range packages(t, goos) {
			exist[p.ImportPath] = true
		}
	}
	for path := range exist {
		room, ok := rows[path]
		switch {
		case !ok:
			t.Errorf("package %s is not in %s's package table: add a row (room %q)", path, archDoc, roomOf(path))
		case room != roomOf(path):
			t.Errorf("%s puts %s in room %s; its room is %s", archDoc, path, room, roomOf(path))
		}
	}
	for path := range rows {
		if !exist[path] {
			t.Errorf("%s names %s, which is not a package: remove the row", archDoc, path)
		}
	}
}

// TestArchitectureDocLayers: the "may import" block of the Layers section
// is the rooms table.
func TestArchitectureDocLayers(t *testing.T) {
	doc, err := os.ReadFile(filepath.FromSlash("../../" + archDoc))
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(docSection(t, string(doc), "Layers"), "```\n")
	if !ok {
		t.Fatalf("%s: no code block in section Layers", archDoc)
	}
	block, _, _ = strings.Cut(block, "```")
	got := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(block), "\n") {
		name, may, ok := strings.Cut(line, "→")
		if !ok {
			t.Fatalf("%s: layer line %q has no →", archDoc, line)
		}
		got[strings.TrimSpace(name)] = strings.Fields(may)
	}
	for _, r := range rooms {
		may, ok := got[r.name]
		if !ok {
			t.Errorf("%s: the layers block has no room %s", archDoc, r.name)
			continue
		}
		delete(got, r.name)
		a, b := slices.Sorted(slices.Values(may)), slices.Sorted(slices.Values(r.may))
		if !slices.Equal(a, b) {
			t.Errorf("%s: room %s may import %v; the rooms table says %v", archDoc, r.name, a, b)
		}
	}
	for name := range got {
		t.Errorf("%s: the layers block names room %s, which the rooms table does not have", archDoc, name)
	}
}
