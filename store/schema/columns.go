package schema

// Column and key constructors shared by the schema versions (v1.go, v2.go),
// so a table reads like the spec's column list. They only fill fields; the
// checks live in the tests.

// recordID is a store-assigned 64-bit record id used as the primary key.
func recordID(name string) Column {
	return Column{Name: name, Type: Int64, NotNull: true, AutoIncrement: true}
}

// ref is a column holding another row's record id.
func ref(name string) Column { return Column{Name: name, Type: Int64} }

// cols makes one nullable column of type t per name.
func cols(t Type, names ...string) []Column {
	out := make([]Column, len(names))
	for i, n := range names {
		out[i] = Column{Name: n, Type: t}
	}
	return out
}

// col is one nullable column.
func col(name string, t Type) Column { return Column{Name: name, Type: t} }

// notNull marks c NOT NULL.
func notNull(c Column) Column { c.NotNull = true; return c }

// withDefault gives c an SQL default literal.
func withDefault(c Column, lit string) Column { c.Default = lit; return c }

// extra marks c as a column the ADM does not list, with the reason.
func extra(c Column, why string) Column { c.Extra, c.Why = true, why; return c }

// join concatenates column lists (single columns and cols(...) results).
func join(parts ...any) []Column {
	var out []Column
	for _, p := range parts {
		switch v := p.(type) {
		case Column:
			out = append(out, v)
		case []Column:
			out = append(out, v...)
		default:
			panic("schema: join takes Column or []Column")
		}
	}
	return out
}

// fk is a one-column foreign key.
func fk(column, refTable, refColumn string, onDelete, onUpdate Action) ForeignKey {
	return ForeignKey{Columns: []string{column}, RefTable: refTable, RefColumns: []string{refColumn}, OnDelete: onDelete, OnUpdate: onUpdate}
}

// key is a column list (primary key, unique key, index).
func key(names ...string) []string { return names }

// ipFamilies are the parts of an IPv4 / IPv6 compound table.
var ipFamilies = []string{"IPv4", "IPv6"}
