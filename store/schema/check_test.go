package schema

import (
	"strings"
	"testing"
)

// Each broken schema must be reported with a message naming the fault.
func TestCheckSchemaFindsFaults(t *testing.T) {
	good := func() *Table {
		return &Table{Name: "A", Columns: []Column{recordID("RecordId"), ref("Other")}, PrimaryKey: key("RecordId")}
	}
	for _, tc := range []struct {
		name   string
		mutate func(s *Schema)
		want   string
	}{
		{"duplicate table", func(s *Schema) { s.Tables = append(s.Tables, good()) }, "table defined twice"},
		{"duplicate column", func(s *Schema) { s.Tables[0].Columns = append(s.Tables[0].Columns, ref("Other")) }, "column defined twice"},
		{"space in column", func(s *Schema) { s.Tables[0].Columns[1].Name = "Zone State" }, "without spaces"},
		{"missing key column", func(s *Schema) { s.Tables[0].Unique = [][]string{{"Nope"}} }, `unique key names missing column "Nope"`},
		{"forward reference", func(s *Schema) {
			s.Tables[0].ForeignKeys = []ForeignKey{fk("Other", "B", "RecordId", NoAction, "")}
			s.Tables = append(s.Tables, &Table{Name: "B", Columns: []Column{recordID("RecordId")}, PrimaryKey: key("RecordId")})
		}, "not created before it"},
		{"target not a key", func(s *Schema) { s.Tables[0].ForeignKeys = []ForeignKey{fk("Other", "A", "Other", NoAction, "")} }, "not a primary or unique key"},
		{"extra without why", func(s *Schema) { s.Tables[0].Columns[1].Extra = true }, "Extra column without Why"},
		{"autoincrement off key", func(s *Schema) { s.Tables[0].Columns[1].AutoIncrement = true }, "AutoIncrement"},
		{"duplicate index", func(s *Schema) { s.Tables[0].Indexes = [][]string{{"Other"}, {"Other"}} }, "used twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &Schema{Tables: []*Table{good()}}
			if errs := CheckSchema(s); len(errs) != 0 {
				t.Fatalf("good schema: %v", errs)
			}
			tc.mutate(s)
			errs := CheckSchema(s)
			for _, err := range errs {
				if strings.Contains(err.Error(), tc.want) {
					return
				}
			}
			t.Errorf("errors %v: none mentions %q", errs, tc.want)
		})
	}
}
