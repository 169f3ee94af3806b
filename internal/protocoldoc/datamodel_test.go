package protocoldoc

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ipamd/ipamd/store/schema"
)

// sectionTables returns, for the markdown table under the heading, each row's
// first cell (a section) and second cell (a `table name`).
func sectionTables(t *testing.T, doc, heading string) map[string]string {
	t.Helper()
	_, rest, ok := strings.Cut(doc, "\n"+heading+"\n")
	if !ok {
		t.Fatalf("docs/data-model.md has no heading %q", heading)
	}
	if i := strings.Index(rest, "\n## "); i >= 0 {
		rest = rest[:i]
	}
	row := regexp.MustCompile("^\\|\\s*(3\\.1\\.1\\.1\\.\\d+)\\s*\\|\\s*`(ADM_\\w+)`")
	out := map[string]string{}
	for _, line := range strings.Split(rest, "\n") {
		if m := row.FindStringSubmatch(line); m != nil {
			if prev, dup := out[m[2]]; dup {
				t.Errorf("%s: %s listed twice (%s, %s)", heading, m[2], prev, m[1])
			}
			out[m[2]] = m[1]
		}
	}
	return out
}

// TestDataModelListsTheSchema: docs/data-model.md's two table lists are the
// tables of schema.V2 (53) and schema.V1 (28), each with its section, so the
// document cannot drift from what provisioning and conversion create.
func TestDataModelListsTheSchema(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root(t), "docs", "data-model.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, tc := range []struct {
		heading string
		s       *schema.Schema
		want    int
	}{
		{"## v2 tables", schema.V2, 53},
		{"## v1 tables", schema.V1, 28},
	} {
		listed := sectionTables(t, doc, tc.heading)
		if len(tc.s.Tables) != tc.want || len(listed) != tc.want {
			t.Errorf("%s: schema has %d tables, the document lists %d; want %d", tc.heading, len(tc.s.Tables), len(listed), tc.want)
		}
		for _, tb := range tc.s.Tables {
			switch sec, ok := listed[tb.Name]; {
			case !ok:
				t.Errorf("%s: %s (%s) is not listed", tc.heading, tb.Name, tb.Section)
			case sec != tb.Section:
				t.Errorf("%s: %s is listed as %s, the schema says %s", tc.heading, tb.Name, sec, tb.Section)
			}
		}
		for name := range listed {
			if tc.s.Table(name) == nil {
				t.Errorf("%s: %s is listed but not in the schema", tc.heading, name)
			}
		}
	}
}
