package schema

import (
	"fmt"
	"slices"
	"strings"
)

// MaxIdentifier is PostgreSQL's identifier length (NAMEDATALEN-1 bytes);
// longer names are truncated silently, so two could collide.
const MaxIdentifier = 63

// CheckSchema reports every inconsistency in s that the engines would only
// find one at a time or not at all: duplicate tables or columns, keys and
// indexes naming missing columns or sharing a name, foreign keys to later tables (creation
// order), to columns that are not a primary or unique key, or with
// differing arity, AutoIncrement off a one-column key, Extra columns
// without a reason, and identifiers over MaxIdentifier bytes.
func CheckSchema(s *Schema) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	seen := map[string]*Table{}
	indexes := map[string]bool{}
	for _, t := range s.Tables {
		if seen[t.Name] != nil {
			bad("%s: table defined twice", t.Name)
		}
		seen[t.Name] = t
		if len(t.Name) > MaxIdentifier {
			bad("%s: table name longer than %d bytes", t.Name, MaxIdentifier)
		}
		has := map[string]bool{}
		if t.Families != nil {
			has[FamilyColumn] = true
		}
		for _, c := range t.Columns {
			if has[c.Name] {
				bad("%s.%s: column defined twice", t.Name, c.Name)
			}
			has[c.Name] = true
			if len(c.Name) > MaxIdentifier || strings.ContainsAny(c.Name, " \"") {
				bad("%s.%q: column name must be at most %d bytes without spaces or quotes", t.Name, c.Name, MaxIdentifier)
			}
			if c.Extra && c.Why == "" {
				bad("%s.%s: Extra column without Why", t.Name, c.Name)
			}
			if c.AutoIncrement && (len(t.PrimaryKey) != 1 || t.PrimaryKey[0] != c.Name) {
				bad("%s.%s: AutoIncrement needs to be the one-column primary key", t.Name, c.Name)
			}
		}
		cover := func(what string, names []string) {
			if len(names) == 0 {
				bad("%s: empty %s", t.Name, what)
			}
			for _, n := range names {
				if !has[n] {
					bad("%s: %s names missing column %q", t.Name, what, n)
				}
			}
		}
		if t.PrimaryKey != nil {
			cover("primary key", t.PrimaryKey)
		}
		for _, u := range t.Unique {
			cover("unique key", u)
		}
		for _, ix := range t.Indexes {
			cover("index", ix)
			name := IndexName(t.Name, ix)
			if indexes[name] {
				bad("%s: index name %s used twice", t.Name, name)
			}
			indexes[name] = true
		}
		for _, fk := range t.ForeignKeys {
			cover("foreign key", fk.Columns)
			ref := seen[fk.RefTable]
			if ref == nil {
				bad("%s: foreign key %v references %s, which is not created before it", t.Name, fk.Columns, fk.RefTable)
				continue
			}
			if len(fk.Columns) != len(fk.RefColumns) {
				bad("%s: foreign key %v → %s%v: arity differs", t.Name, fk.Columns, fk.RefTable, fk.RefColumns)
				continue
			}
			if !ref.isKey(fk.RefColumns) {
				bad("%s: foreign key %v → %s%v: target is not a primary or unique key", t.Name, fk.Columns, fk.RefTable, fk.RefColumns)
			}
		}
	}
	return errs
}

// isKey reports whether cols is t's primary key or one of its unique keys.
func (t *Table) isKey(cols []string) bool {
	if slices.Equal(t.PrimaryKey, cols) {
		return true
	}
	for _, u := range t.Unique {
		if slices.Equal(u, cols) {
			return true
		}
	}
	return false
}
