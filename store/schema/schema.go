// Package schema describes the IPAM data store's tables (the ADM of
// MS-IPAMM2 3.1.1.1 for v2, MS-IPAMM 3.1.1.1 for v1) as data, and renders
// them as DDL for each SQL engine ipamd supports. Provisioning, schema
// conversion and the legacy-store generator all work from these
// descriptions, so the two engines and the two versions cannot drift apart.
//
// Mapping rules (../shared/reference/ipam-adm.md):
//   - SQL table and column names are the ADM names verbatim (quoted, so
//     PostgreSQL keeps their case); a column name with a space in the spec
//     ("Zone State") loses the space.
//   - A compound table (IPv4 + IPv6 parts, Provider + Customer parts, …) is
//     one SQL table with a Family discriminator column; columns of one part
//     only are nullable.
//   - "computed, not stored" columns are not columns.
//   - Columns the ADM leaves out but the protocol needs stored (e.g. a v1
//     range's SubnetId) are marked Extra and say why.
package schema

import (
	"fmt"
	"strings"
)

// Type is a column's storage type.
type Type int

const (
	Int64 Type = iota // 64-bit signed integer (record ids)
	Int32
	Bool
	Text      // xsd:string, enumerations (their XSD literal), IP addresses (canonical text form)
	Timestamp // xsd:dateTime, UTC
	Bytes
)

// Column is one column of a table.
type Column struct {
	Name string
	Type Type
	// NotNull is set where the spec says a value MUST be present (keys, "MUST NOT be NULL").
	NotNull bool
	// AutoIncrement marks a store-assigned record id (only on a one-column primary key).
	AutoIncrement bool
	// Default is an SQL literal ("0", "'Manual'") or "".
	Default string
	// Extra marks a column that is not in the ADM but must be stored; Why says why.
	Extra bool
	Why   string
}

// Action is an ON DELETE / ON UPDATE action.
type Action string

const (
	NoAction Action = "NO ACTION"
	Cascade  Action = "CASCADE"
	SetNull  Action = "SET NULL"
)

// ForeignKey is a foreign key of the ADM ("FK (table, column) on delete …").
type ForeignKey struct {
	Columns    []string
	RefTable   string
	RefColumns []string
	OnDelete   Action
	OnUpdate   Action
}

// Table is one ADM table.
type Table struct {
	Name string
	// Section is the spec section ("3.1.1.1.33") the table comes from.
	Section string
	// Families lists the discriminator values of a compound table ("IPv4",
	// "IPv6"); nil for a simple table. A compound table has a Family column.
	Families    []string
	Columns     []Column
	PrimaryKey  []string
	Unique      [][]string
	ForeignKeys []ForeignKey
	// Indexes are non-unique indexes the store's own queries need.
	Indexes [][]string
}

// Column returns the named column, or nil.
func (t *Table) Column(name string) *Column {
	for i := range t.Columns {
		if t.Columns[i].Name == name {
			return &t.Columns[i]
		}
	}
	return nil
}

// Schema is one schema version: its tables in creation order (referenced
// tables before referencing ones).
type Schema struct {
	// Version is the DatabaseSchemaVersion string ("a.b.c.d", ipam-adm.md §5).
	Version string
	Tables  []*Table
}

// Table returns the named table, or nil.
func (s *Schema) Table(name string) *Table {
	for _, t := range s.Tables {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// Dialect is an SQL engine's spelling of the same schema.
type Dialect int

const (
	SQLite Dialect = iota
	PostgreSQL
)

func (d Dialect) String() string {
	switch d {
	case SQLite:
		return "sqlite"
	case PostgreSQL:
		return "postgresql"
	}
	return fmt.Sprintf("Dialect(%d)", int(d))
}

// Quote quotes an identifier.
func Quote(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// Placeholder returns the n-th (1-based) bind parameter.
func (d Dialect) Placeholder(n int) string {
	if d == PostgreSQL {
		return fmt.Sprintf("$%d", n)
	}
	return "?"
}

// SQLType is the column type's spelling.
func (d Dialect) SQLType(t Type) string {
	switch d {
	case PostgreSQL:
		switch t {
		case Int64:
			return "BIGINT"
		case Int32:
			return "INTEGER"
		case Bool:
			return "BOOLEAN"
		case Text:
			return "TEXT"
		case Timestamp:
			return "TIMESTAMPTZ"
		case Bytes:
			return "BYTEA"
		}
	default:
		switch t {
		case Int64, Int32, Bool:
			return "INTEGER"
		case Text:
			return "TEXT"
		case Timestamp:
			return "TIMESTAMP"
		case Bytes:
			return "BLOB"
		}
	}
	panic(fmt.Sprintf("schema: unknown type %d", t))
}

// literal spells a default: booleans are written "0"/"1" in the tables and
// become FALSE/TRUE for PostgreSQL.
func (d Dialect) literal(t Type, v string) string {
	if t == Bool && d == PostgreSQL {
		switch v {
		case "0":
			return "FALSE"
		case "1":
			return "TRUE"
		}
	}
	return v
}

// FamilyColumn is the discriminator column of compound tables.
const FamilyColumn = "Family"

// CreateTable renders CREATE TABLE for t, with its keys and foreign keys.
// Indexes come from CreateIndexes.
func (d Dialect) CreateTable(t *Table) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE %s (\n", Quote(t.Name))
	var lines []string
	if t.Families != nil {
		var lits []string
		for _, f := range t.Families {
			lits = append(lits, "'"+f+"'")
		}
		lines = append(lines, fmt.Sprintf("  %s TEXT NOT NULL CHECK (%s IN (%s))",
			Quote(FamilyColumn), Quote(FamilyColumn), strings.Join(lits, ", ")))
	}
	inlinePK := false
	for _, c := range t.Columns {
		line := "  " + Quote(c.Name) + " "
		if c.AutoIncrement {
			if len(t.PrimaryKey) != 1 || t.PrimaryKey[0] != c.Name {
				panic(fmt.Sprintf("schema: %s.%s: AutoIncrement needs to be the one-column primary key", t.Name, c.Name))
			}
			inlinePK = true
			if d == PostgreSQL {
				line += "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
			} else {
				line += "INTEGER PRIMARY KEY AUTOINCREMENT"
			}
			lines = append(lines, line)
			continue
		}
		line += d.SQLType(c.Type)
		if c.NotNull {
			line += " NOT NULL"
		}
		if c.Default != "" {
			line += " DEFAULT " + d.literal(c.Type, c.Default)
		}
		lines = append(lines, line)
	}
	if len(t.PrimaryKey) > 0 && !inlinePK {
		lines = append(lines, "  PRIMARY KEY ("+quoteAll(t.PrimaryKey)+")")
	}
	for _, u := range t.Unique {
		lines = append(lines, "  UNIQUE ("+quoteAll(u)+")")
	}
	for _, fk := range t.ForeignKeys {
		line := fmt.Sprintf("  FOREIGN KEY (%s) REFERENCES %s (%s)", quoteAll(fk.Columns), Quote(fk.RefTable), quoteAll(fk.RefColumns))
		if fk.OnDelete != "" {
			line += " ON DELETE " + string(fk.OnDelete)
		}
		if fk.OnUpdate != "" {
			line += " ON UPDATE " + string(fk.OnUpdate)
		}
		lines = append(lines, line)
	}
	b.WriteString(strings.Join(lines, ",\n"))
	b.WriteString("\n)")
	return b.String()
}

// CreateIndexes renders CREATE INDEX statements for t's Indexes.
func (d Dialect) CreateIndexes(t *Table) []string {
	var out []string
	for _, cols := range t.Indexes {
		name := "ix_" + t.Name + "_" + strings.Join(cols, "_")
		out = append(out, fmt.Sprintf("CREATE INDEX %s ON %s (%s)", Quote(name), Quote(t.Name), quoteAll(cols)))
	}
	return out
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = Quote(n)
	}
	return strings.Join(q, ", ")
}
