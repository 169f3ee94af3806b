package protocoldoc

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// root is the repository root (the directory holding go.mod).
func root(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// rule is one row of a rule table in docs/protocol.md.
type rule struct {
	id      string
	line    int
	files   []string // "Implemented in"
	tests   []string // "Proved by"
	pending bool
}

var (
	ruleRow  = regexp.MustCompile(`^\|\s*([A-Z]\d+)\s*\|`)
	backtick = regexp.MustCompile("`([^`]+)`")
	testName = regexp.MustCompile(`^Test[A-Za-z0-9_]*$`)
)

// parseRules reads the rule tables: rows of | Rule | Statement | Spec |
// Implemented in | Proved by |.
func parseRules(t *testing.T, path string) []rule {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rules []rule
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		m := ruleRow.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
		if len(cells) != 5 {
			t.Errorf("%s:%d: rule %s has %d cells, want 5 (Rule | Statement | Spec | Implemented in | Proved by)", path, n, m[1], len(cells))
			continue
		}
		r := rule{id: m[1], line: n}
		for _, b := range backtick.FindAllStringSubmatch(cells[3], -1) {
			r.files = append(r.files, b[1])
		}
		proved := strings.TrimSpace(cells[4])
		if strings.HasPrefix(proved, "pending") {
			r.pending = true
		} else {
			for _, b := range backtick.FindAllStringSubmatch(proved, -1) {
				r.tests = append(r.tests, b[1])
			}
		}
		rules = append(rules, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rules
}

// ruleMarker finds "Rule P7", "Rule: P7", "Rules P2, P5 and C3" in a line.
var (
	ruleMarker = regexp.MustCompile(`\bRules?:?\s+([A-Z]\d+(?:\s*(?:,|/|and)\s*[A-Z]\d+)*)`)
	ruleID     = regexp.MustCompile(`[A-Z]\d+`)
	testFunc   = regexp.MustCompile(`^func (Test[A-Za-z0-9_]*)\(`)
)

// testRules maps each test function of the repository to the rules it
// names: in the comment block right above it, in its body, or in its name
// ("TestRuleP7…"). Tests of the same name in several files are one entry.
func testRules(t *testing.T, dir string) map[string]map[string]bool {
	t.Helper()
	out := map[string]map[string]bool{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "testdata", "node_modules":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var above []string // rules in the comment block being read
		cur := ""          // the test whose body is being read
		add := func(test string, ids []string) {
			if out[test] == nil {
				out[test] = map[string]bool{}
			}
			for _, id := range ids {
				out[test][id] = true
			}
		}
		markers := func(line string) []string {
			var ids []string
			for _, m := range ruleMarker.FindAllStringSubmatch(line, -1) {
				ids = append(ids, ruleID.FindAllString(m[1], -1)...)
			}
			return ids
		}
		for _, line := range strings.Split(string(b), "\n") {
			switch {
			case strings.HasPrefix(line, "//"):
				above = append(above, markers(line)...)
				cur = ""
			case testFunc.MatchString(line):
				name := testFunc.FindStringSubmatch(line)[1]
				add(name, above)
				if i := strings.Index(name, "Rule"); i >= 0 {
					add(name, ruleID.FindAllString(name[i:], -1))
				}
				above, cur = nil, name
			case strings.HasPrefix(line, "\t") || strings.HasPrefix(line, "}") || line == "":
				if cur != "" && strings.HasPrefix(line, "\t") {
					if ids := markers(line); len(ids) > 0 {
						add(cur, ids)
					}
				}
				if line == "" {
					above = nil
				}
			default:
				above, cur = nil, ""
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestEveryRuleHasATest is the traceability check of docs/protocol.md.
func TestEveryRuleHasATest(t *testing.T) {
	dir := root(t)
	doc := filepath.Join(dir, "docs", "protocol.md")
	rules := parseRules(t, doc)
	if len(rules) < 40 {
		t.Fatalf("%s: %d rules found; the rule tables are not where this check looks", doc, len(rules))
	}
	tests := testRules(t, dir)

	known := map[string]bool{}
	for _, r := range rules {
		if known[r.id] {
			t.Errorf("protocol.md:%d: rule %s is numbered twice", r.line, r.id)
		}
		known[r.id] = true
	}
	// namedBy[rule] lists the tests whose comments name it.
	namedBy := map[string][]string{}
	for test, ids := range tests {
		for id := range ids {
			namedBy[id] = append(namedBy[id], test)
		}
	}
	for _, r := range rules {
		if len(r.files) == 0 {
			t.Errorf("protocol.md:%d: rule %s names no implementing file", r.line, r.id)
		}
		for _, f := range r.files {
			if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(f))); err != nil {
				t.Errorf("protocol.md:%d: rule %s: implementing file %s: %v", r.line, r.id, f, err)
			}
		}
		names := namedBy[r.id]
		sort.Strings(names)
		if r.pending {
			if len(names) > 0 {
				t.Errorf("protocol.md:%d: rule %s is pending but %v name it: replace pending with the test", r.line, r.id, names)
			}
			continue
		}
		if len(r.tests) == 0 {
			t.Errorf("protocol.md:%d: rule %s names no test (write one, or mark it pending while it is being written)", r.line, r.id)
			continue
		}
		proved := false
		for _, name := range r.tests {
			if !testName.MatchString(name) {
				t.Errorf("protocol.md:%d: rule %s: %q is not a test name", r.line, r.id, name)
				continue
			}
			ids, ok := tests[name]
			if !ok {
				t.Errorf("protocol.md:%d: rule %s: no test %s in the repository", r.line, r.id, name)
				continue
			}
			proved = proved || ids[r.id]
		}
		if !proved {
			t.Errorf("protocol.md:%d: rule %s: none of %v says it proves the rule (a comment \"// Rule %s\" in or above the test)", r.line, r.id, r.tests, r.id)
		}
	}
	for id, names := range namedBy {
		if !known[id] {
			sort.Strings(names)
			t.Errorf("%v name rule %s, which docs/protocol.md does not have", names, id)
		}
	}
}

// TestCheckFindsMarkers: the parser of the check reads the marker forms the
// rule tables ask for, and nothing else.
func TestCheckFindsMarkers(t *testing.T) {
	dir := t.TempDir()
	src := `package x

// TestA proves the state machine.
// Rules P1, P2 and C3.
func TestA(t *testing.T) {
	// Rule: G4
	t.Run("x", func(t *testing.T) {})
}

// Rule T9
var x = 1

func TestB(t *testing.T) {}

// Rule P7

func TestC(t *testing.T) {}

func TestRuleC9Completes(t *testing.T) {}
`
	if err := os.WriteFile(filepath.Join(dir, "x_test.go"), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	got := testRules(t, dir)
	keys := func(m map[string]bool) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	for test, want := range map[string][]string{
		"TestA": {"C3", "G4", "P1", "P2"}, "TestB": nil, "TestC": nil, "TestRuleC9Completes": {"C9"},
	} {
		if g := keys(got[test]); !slices.Equal(g, want) {
			t.Errorf("%s: rules %v, want %v", test, g, want)
		}
	}
}
