// Package schema describes the IPAM data store's tables (the ADM of
// MS-IPAMM2 3.1.1.1 for v2, MS-IPAMM 3.1.1.1 for v1) as data, and renders
// them as DDL for each SQL engine ipamd supports. Provisioning, schema
// conversion and the legacy-store generator all work from these
// descriptions, so the two engines and the two versions cannot drift apart.
//
// Mapping rules (docs/data-model.md#mapping-to-sql):
//   - SQL table and column names are the ADM names verbatim (quoted, so
//     PostgreSQL keeps their case); a column name with a space in the spec
//     ("Zone State") loses the space.
//   - A compound table (IPv4 + IPv6 parts, Provider + Customer parts, …) is
//     one SQL table with a Family discriminator column; columns of one part
//     only are nullable.
//   - "computed, not stored" columns are not columns. A note in the spec's
//     column name ("SuperscopeId (IPv4 table)") is dropped from the name.
//   - Columns the ADM leaves out but the protocol needs stored (e.g. a v1
//     range's SubnetId) are marked Extra and say why.
//   - Types: xsd:string, enumerations (their XSD literal), IP addresses,
//     GUIDs, ser:duration (its xsd:duration literal) and xsd:decimal (its
//     lexical form, kept exact) are Text; xsd:int and xsd:unsignedByte are
//     Int32; xsd:long, xsd:unsignedInt and record ids are Int64; xsd:double
//     is Float64; xsd:boolean and the spec's "1 / 0" are Bool; xsd:dateTime
//     is Timestamp; xsd:base64Binary and byte arrays are Bytes. Arrays,
//     structured XSD values (ArrayOfIPAddress, IPUtilization, …) and the
//     ADM's in-row collections (ADM_LogicalGroupsTable.Fields) are Text
//     holding their JSON encoding.
//   - A foreign key whose target the spec misnames (ADM_DNSServerRoleInfo,
//     ADM_DhcpServerTable, ADM_AccessPolicyTable, a "RecordId" that is
//     really PolicyId) points at the table and key the spec means; each
//     such key says so where it is declared.
package schema

import (
	"fmt"
	"hash/fnv"
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
	Float64 // xsd:double
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
	// Checks are CHECK constraints, each a boolean SQL expression that both
	// dialects accept as written (quoted identifiers, integer literals).
	Checks []string
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
	// Version is the DatabaseSchemaVersion string ("a.b.c.d",
	// docs/data-model.md#schema-versions).
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
		case Float64:
			return "DOUBLE PRECISION"
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
		case Float64:
			return "REAL"
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
	for _, c := range t.Checks {
		lines = append(lines, "  CHECK ("+c+")")
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
		out = append(out, fmt.Sprintf("CREATE INDEX %s ON %s (%s)", Quote(IndexName(t.Name, cols)), Quote(t.Name), quoteAll(cols)))
	}
	return out
}

// IndexName is the name of table's index on cols: "ix_<table>_<cols…>",
// or, when that exceeds PostgreSQL's 63 bytes (which would be truncated
// silently and could collide), its first 54 bytes and a hash of the whole.
func IndexName(table string, cols []string) string {
	name := "ix_" + table + "_" + strings.Join(cols, "_")
	if len(name) <= MaxIdentifier {
		return name
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	return fmt.Sprintf("%s_%08x", name[:MaxIdentifier-9], h.Sum32())
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = Quote(n)
	}
	return strings.Join(q, ", ")
}

// CreateStatements renders s as DDL for d: every CREATE TABLE in creation
// order, then every CREATE INDEX. Run them in one transaction (both engines
// have transactional DDL) so a failure leaves nothing behind.
func (d Dialect) CreateStatements(s *Schema) []string {
	out := make([]string, 0, 2*len(s.Tables))
	for _, t := range s.Tables {
		out = append(out, d.CreateTable(t))
	}
	for _, t := range s.Tables {
		out = append(out, d.CreateIndexes(t)...)
	}
	return out
}
