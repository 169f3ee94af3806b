package convert

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"

	"github.com/ipamd/ipamd/store/schema"
)

// Catalog is a store's structure as the engine's own catalog reports it,
// normalised so that the same DDL yields equal Catalogs however the tables
// got there (CREATE TABLE, ALTER TABLE, an SQLite rebuild).
type Catalog map[string]*TableInfo

// TableInfo is one table of a Catalog.
type TableInfo struct {
	Columns map[string]ColumnInfo
	// Constraints are the primary key, unique keys, foreign keys and (on
	// PostgreSQL) CHECK constraints, each as canonical text, sorted.
	Constraints []string
	// Indexes are the non-constraint indexes, canonical text, sorted.
	Indexes []string
}

// ColumnInfo is one column of a TableInfo.
type ColumnInfo struct {
	Type     string // the engine's spelling, upper case
	NotNull  bool
	Default  string // the engine's text of the default expression, "" for none
	Identity bool   // store-assigned: AUTOINCREMENT / GENERATED … AS IDENTITY
}

// querier is what the catalog readers need: a *sql.Conn or a *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// refSchema is where Expected builds the reference copy of a schema.
const refSchema = "ipamd_v2ref"

// Inspect reads the catalog of the store db (its main database on SQLite,
// the public schema on PostgreSQL).
func Inspect(ctx context.Context, db *sql.DB, d schema.Dialect) (Catalog, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("inspect: %w", err)
	}
	defer conn.Close()
	return inspect(ctx, conn, d, mainSchema(d))
}

func mainSchema(d schema.Dialect) string {
	if d == schema.PostgreSQL {
		return "public"
	}
	return "main"
}

// Expected returns the catalog a freshly created copy of s has on engine d.
// It creates s in a scratch place that leaves no trace (an attached
// in-memory database on SQLite, a schema inside a rolled-back transaction on
// PostgreSQL) and reads it back with the same reader as Inspect, so that
// comparing with Inspect compares like with like.
func Expected(ctx context.Context, db *sql.DB, d schema.Dialect, s *schema.Schema) (Catalog, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("expected catalog: %w", err)
	}
	defer conn.Close()
	return expected(ctx, conn, d, s)
}

func expected(ctx context.Context, conn *sql.Conn, d schema.Dialect, s *schema.Schema) (Catalog, error) {
	if d == schema.PostgreSQL {
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return nil, fmt.Errorf("expected catalog: %w", err)
		}
		defer func() { _ = tx.Rollback() }()
		if _, err := tx.ExecContext(ctx, "CREATE SCHEMA "+refSchema+"; SET LOCAL search_path = "+refSchema); err != nil {
			return nil, fmt.Errorf("expected catalog: %w", err)
		}
		for _, t := range s.Tables {
			for _, stmt := range createStatements(d, t, t.Name) {
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return nil, fmt.Errorf("expected catalog: %s: %w", t.Name, err)
				}
			}
		}
		return inspect(ctx, tx, d, refSchema)
	}
	if _, err := conn.ExecContext(ctx, "ATTACH DATABASE ':memory:' AS "+refSchema); err != nil {
		return nil, fmt.Errorf("expected catalog: %w", err)
	}
	defer func() { _, _ = conn.ExecContext(context.WithoutCancel(ctx), "DETACH DATABASE "+refSchema) }()
	for _, t := range s.Tables {
		for _, stmt := range createStatements(d, t, t.Name) {
			stmt = qualifySQLite(stmt, refSchema)
			if _, err := conn.ExecContext(ctx, stmt); err != nil {
				return nil, fmt.Errorf("expected catalog: %s: %w", t.Name, err)
			}
		}
	}
	return inspect(ctx, conn, d, refSchema)
}

// qualifySQLite puts the created object of a CREATE TABLE / CREATE INDEX
// statement into the attached database db (SQLite resolves foreign keys and
// index tables within the object's own database).
func qualifySQLite(stmt, db string) string {
	for _, p := range []string{"CREATE TABLE ", "CREATE INDEX ", "CREATE UNIQUE INDEX "} {
		if strings.HasPrefix(stmt, p) {
			return p + db + "." + stmt[len(p):]
		}
	}
	return stmt
}

// createStatements is CREATE TABLE (named name) plus its indexes.
func createStatements(d schema.Dialect, t *schema.Table, name string) []string {
	tt := *t
	tt.Name = name
	out := []string{d.CreateTable(&tt)}
	// Index names keep the declared table's name so a rebuilt table ends up
	// with the same index names as a fresh one.
	for _, ix := range d.CreateIndexes(t) {
		out = append(out, strings.Replace(ix, " ON "+schema.Quote(t.Name)+" ", " ON "+schema.Quote(name)+" ", 1))
	}
	return out
}

func inspect(ctx context.Context, q querier, d schema.Dialect, in string) (Catalog, error) {
	if d == schema.PostgreSQL {
		return inspectPostgres(ctx, q, in)
	}
	return inspectSQLite(ctx, q, in)
}

func queryStrings(ctx context.Context, q querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func inspectSQLite(ctx context.Context, q querier, db string) (Catalog, error) {
	type tbl struct{ name, sql string }
	rows, err := q.QueryContext(ctx, "SELECT name, sql FROM "+db+".sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
	if err != nil {
		return nil, fmt.Errorf("inspect: %w", err)
	}
	var tables []tbl
	for rows.Next() {
		var t tbl
		if err := rows.Scan(&t.name, &t.sql); err != nil {
			rows.Close()
			return nil, fmt.Errorf("inspect: %w", err)
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("inspect: %w", err)
	}
	cat := Catalog{}
	for _, t := range tables {
		ti, err := inspectSQLiteTable(ctx, q, db, t.name, strings.Contains(strings.ToUpper(t.sql), "AUTOINCREMENT"))
		if err != nil {
			return nil, fmt.Errorf("inspect %s: %w", t.name, err)
		}
		cat[t.name] = ti
	}
	return cat, nil
}

func inspectSQLiteTable(ctx context.Context, q querier, db, name string, autoinc bool) (*TableInfo, error) {
	ti := &TableInfo{Columns: map[string]ColumnInfo{}}
	qn := schema.Quote(name)
	rows, err := q.QueryContext(ctx, "PRAGMA "+db+".table_info("+qn+")")
	if err != nil {
		return nil, err
	}
	pk := map[int]string{}
	for rows.Next() {
		var (
			cid, notnull, pkn int
			cname, ctype      string
			dflt              sql.NullString
		)
		if err := rows.Scan(&cid, &cname, &ctype, &notnull, &dflt, &pkn); err != nil {
			rows.Close()
			return nil, err
		}
		ti.Columns[cname] = ColumnInfo{Type: strings.ToUpper(ctype), NotNull: notnull != 0, Default: dflt.String}
		if pkn > 0 {
			pk[pkn] = cname
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(pk) > 0 {
		cols := make([]string, len(pk))
		for i := range cols {
			cols[i] = pk[i+1]
		}
		ti.Constraints = append(ti.Constraints, "PRIMARY KEY ("+strings.Join(cols, ", ")+")")
		if autoinc && len(cols) == 1 {
			c := ti.Columns[cols[0]]
			c.Identity = true
			ti.Columns[cols[0]] = c
		}
	}
	// Foreign keys: rows with the same id form one key.
	rows, err = q.QueryContext(ctx, "PRAGMA "+db+".foreign_key_list("+qn+")")
	if err != nil {
		return nil, err
	}
	type fkey struct {
		table, onUpdate, onDelete string
		from, to                  []string
	}
	fks := map[int]*fkey{}
	for rows.Next() {
		var (
			id, seq                                int
			table, from, onUpdate, onDelete, match string
			to                                     sql.NullString
		)
		if err := rows.Scan(&id, &seq, &table, &from, &to, &onUpdate, &onDelete, &match); err != nil {
			rows.Close()
			return nil, err
		}
		k := fks[id]
		if k == nil {
			k = &fkey{table: table, onUpdate: onUpdate, onDelete: onDelete}
			fks[id] = k
		}
		k.from = append(k.from, from)
		k.to = append(k.to, to.String)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, k := range fks {
		ti.Constraints = append(ti.Constraints, fmt.Sprintf("FOREIGN KEY (%s) REFERENCES %s (%s) ON DELETE %s ON UPDATE %s",
			strings.Join(k.from, ", "), k.table, strings.Join(k.to, ", "), k.onDelete, k.onUpdate))
	}
	// Indexes: unique constraints and CREATE INDEX ones.
	rows, err = q.QueryContext(ctx, "PRAGMA "+db+".index_list("+qn+")")
	if err != nil {
		return nil, err
	}
	type idx struct {
		name, origin string
		unique       bool
	}
	var idxs []idx
	for rows.Next() {
		var (
			seq, unique, partial int
			iname, origin        string
		)
		if err := rows.Scan(&seq, &iname, &unique, &origin, &partial); err != nil {
			rows.Close()
			return nil, err
		}
		idxs = append(idxs, idx{iname, origin, unique != 0})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, ix := range idxs {
		if ix.origin == "pk" {
			continue
		}
		cols, err := queryStrings(ctx, q, "SELECT name FROM pragma_index_info(?, ?) ORDER BY seqno", ix.name, db)
		if err != nil {
			return nil, err
		}
		switch {
		case ix.origin == "u":
			ti.Constraints = append(ti.Constraints, "UNIQUE ("+strings.Join(cols, ", ")+")")
		default:
			ti.Indexes = append(ti.Indexes, sqliteIndexText(ix.name, cols, ix.unique))
		}
	}
	sort.Strings(ti.Constraints)
	sort.Strings(ti.Indexes)
	return ti, nil
}

// sqliteIndexText is the canonical text of an SQLite index in TableInfo:
// "[UNIQUE ]INDEX name (col, …)".
func sqliteIndexText(name string, cols []string, unique bool) string {
	text := "INDEX " + name + " (" + strings.Join(cols, ", ") + ")"
	if unique {
		return "UNIQUE " + text
	}
	return text
}

func inspectPostgres(ctx context.Context, q querier, nsp string) (Catalog, error) {
	rows, err := q.QueryContext(ctx, `SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')`, nsp)
	if err != nil {
		return nil, fmt.Errorf("inspect: %w", err)
	}
	type tbl struct {
		oid  int64
		name string
	}
	var tables []tbl
	for rows.Next() {
		var t tbl
		if err := rows.Scan(&t.oid, &t.name); err != nil {
			rows.Close()
			return nil, fmt.Errorf("inspect: %w", err)
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("inspect: %w", err)
	}
	// Definitions name other schemas' tables qualified; strip our own so the
	// reference schema and the store compare equal.
	unqualify := strings.NewReplacer(nsp+".", "", schema.Quote(nsp)+".", "")
	cat := Catalog{}
	for _, t := range tables {
		ti := &TableInfo{Columns: map[string]ColumnInfo{}}
		rows, err := q.QueryContext(ctx, `SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
				COALESCE(pg_get_expr(d.adbin, d.adrelid), ''), a.attidentity <> ''
			FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
			WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped`, t.oid)
		if err != nil {
			return nil, fmt.Errorf("inspect %s: %w", t.name, err)
		}
		for rows.Next() {
			var (
				name string
				c    ColumnInfo
			)
			if err := rows.Scan(&name, &c.Type, &c.NotNull, &c.Default, &c.Identity); err != nil {
				rows.Close()
				return nil, fmt.Errorf("inspect %s: %w", t.name, err)
			}
			c.Type = strings.ToUpper(c.Type)
			ti.Columns[name] = c
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("inspect %s: %w", t.name, err)
		}
		cons, err := queryStrings(ctx, q, `SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = $1 AND contype IN ('p', 'u', 'f', 'c')`, t.oid)
		if err != nil {
			return nil, fmt.Errorf("inspect %s: %w", t.name, err)
		}
		for _, c := range cons {
			ti.Constraints = append(ti.Constraints, unqualify.Replace(c))
		}
		ixs, err := queryStrings(ctx, q, `SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i
			WHERE i.indrelid = $1 AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u'))`, t.oid)
		if err != nil {
			return nil, fmt.Errorf("inspect %s: %w", t.name, err)
		}
		for _, ix := range ixs {
			ti.Indexes = append(ti.Indexes, unqualify.Replace(ix))
		}
		sort.Strings(ti.Constraints)
		sort.Strings(ti.Indexes)
		cat[t.name] = ti
	}
	return cat, nil
}

// Diff lists how got differs from want, one line per difference, sorted;
// tables named in ignore are left out of both.
func Diff(got, want Catalog, ignore ...string) []string {
	skip := map[string]bool{}
	for _, n := range ignore {
		skip[n] = true
	}
	var out []string
	for name, w := range want {
		if skip[name] {
			continue
		}
		g, ok := got[name]
		if !ok {
			out = append(out, "missing table "+name)
			continue
		}
		out = append(out, diffTable(name, g, w)...)
	}
	for name := range got {
		// ipamd_* tables are ipamd's own bookkeeping (conversion progress,
		// the store's leases), not part of the ADM.
		if _, ok := want[name]; !ok && !skip[name] && !strings.HasPrefix(name, "ipamd_") {
			out = append(out, "unexpected table "+name)
		}
	}
	sort.Strings(out)
	return out
}

func diffTable(name string, g, w *TableInfo) []string {
	var out []string
	for cn, wc := range w.Columns {
		gc, ok := g.Columns[cn]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("%s: missing column %s", name, cn))
		case gc != wc:
			out = append(out, fmt.Sprintf("%s.%s: have %+v, want %+v", name, cn, gc, wc))
		}
	}
	for cn := range g.Columns {
		if _, ok := w.Columns[cn]; !ok {
			out = append(out, fmt.Sprintf("%s: unexpected column %s", name, cn))
		}
	}
	for _, s := range setDiff(w.Constraints, g.Constraints) {
		out = append(out, fmt.Sprintf("%s: missing %s", name, s))
	}
	for _, s := range setDiff(g.Constraints, w.Constraints) {
		out = append(out, fmt.Sprintf("%s: unexpected %s", name, s))
	}
	for _, s := range setDiff(w.Indexes, g.Indexes) {
		out = append(out, fmt.Sprintf("%s: missing %s", name, s))
	}
	for _, s := range setDiff(g.Indexes, w.Indexes) {
		out = append(out, fmt.Sprintf("%s: unexpected %s", name, s))
	}
	return out
}

// setDiff is a minus b (multisets of strings).
func setDiff(a, b []string) []string {
	n := map[string]int{}
	for _, s := range b {
		n[s]++
	}
	var out []string
	for _, s := range a {
		if n[s] > 0 {
			n[s]--
			continue
		}
		out = append(out, s)
	}
	return out
}
