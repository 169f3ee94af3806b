package convert

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ipamd/ipamd/store/schema"
)

// tighten is step 12: every table whose structure still differs from a
// fresh V2 table's (NOT NULL ParentIPBlockRecordId, the new foreign keys,
// v1-only columns, v2 indexes) is brought to it, one transaction a table,
// and the whole store is then checked against V2. The catalogs are compared
// rather than a list of changes kept, so the step is idempotent: a table
// done before a crash compares equal and is skipped.
func tighten(ctx context.Context, c *conv, name string) error {
	if c.d == schema.SQLite {
		// The sorter's bound (sqliteBulkPragmas): the copies and indexes
		// below sort whole tables.
		if _, err := c.conn.ExecContext(ctx, "PRAGMA cache_size = -"+strconv.Itoa(sortCacheKiB)); err != nil {
			return err
		}
		defer func() {
			_, _ = c.conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA cache_size = -"+strconv.Itoa(bulkCacheKiB))
		}()
	}
	want, err := expected(ctx, c.conn, c.d, schema.V2)
	if err != nil {
		return err
	}
	got, err := inspect(ctx, c.conn, c.d, mainSchema(c.d))
	if err != nil {
		return err
	}
	total := int64(len(schema.V2.Tables))
	for i, t := range schema.V2.Tables {
		if err := ctx.Err(); err != nil {
			return err
		}
		g, w := got[t.Name], want[t.Name]
		if g == nil {
			return fmt.Errorf("table %s is missing", t.Name)
		}
		if len(diffTable(t.Name, g, w)) == 0 {
			continue
		}
		c.report(name, int64(i), total)
		err := c.inTx(ctx, func(tx *sql.Tx) error {
			if c.d == schema.SQLite && onlyIndexesDiffer(t.Name, g, w) {
				return c.reindex(ctx, tx, t, g, w)
			}
			if c.d == schema.SQLite {
				return c.rebuild(ctx, tx, t, g)
			}
			return c.alterTo(ctx, tx, t, g, w)
		})
		if err != nil {
			return fmt.Errorf("%s: %w", t.Name, err)
		}
	}
	got, err = inspect(ctx, c.conn, c.d, mainSchema(c.d))
	if err != nil {
		return err
	}
	if d := Diff(got, want, progressTable); len(d) > 0 {
		return fmt.Errorf("the converted store differs from schema %s: %s", schema.V2.Version, strings.Join(d, "; "))
	}
	c.report(name, total, total)
	return c.inTx(ctx, func(tx *sql.Tx) error { return c.markFinished(ctx, tx, name) })
}

// rebuild is SQLite's way to change a table's constraints: create the V2
// table under a temporary name, copy the rows, drop the old table, rename
// the new one, create its indexes. Foreign key enforcement is off on the
// conversion's connection, so the drop and rename do not touch the tables
// that reference this one.
func (c *conv) rebuild(ctx context.Context, tx *sql.Tx, t *schema.Table, g *TableInfo) error {
	tmp := t.Name + "__ipamd_new"
	tt := *t
	tt.Name = tmp
	if _, err := c.exec(ctx, tx, c.d.CreateTable(&tt)); err != nil {
		return err
	}
	var cols []string
	if t.Families != nil {
		cols = append(cols, q(schema.FamilyColumn))
	}
	for _, col := range t.Columns {
		if _, ok := g.Columns[col.Name]; !ok {
			return fmt.Errorf("column %s is missing", col.Name)
		}
		cols = append(cols, q(col.Name))
	}
	list := strings.Join(cols, ", ")
	for _, s := range []string{
		"INSERT INTO " + q(tmp) + " (" + list + ") SELECT " + list + " FROM " + q(t.Name),
		"DROP TABLE " + q(t.Name),
		"ALTER TABLE " + q(tmp) + " RENAME TO " + q(t.Name),
	} {
		if _, err := c.exec(ctx, tx, s); err != nil {
			return err
		}
	}
	for _, s := range c.d.CreateIndexes(t) {
		if _, err := c.exec(ctx, tx, s); err != nil {
			return err
		}
	}
	return nil
}

// onlyIndexesDiffer reports whether g and w differ in their indexes alone.
func onlyIndexesDiffer(name string, g, w *TableInfo) bool {
	gg, ww := *g, *w
	gg.Indexes, ww.Indexes = nil, nil
	return len(diffTable(name, &gg, &ww)) == 0
}

// reindex brings an SQLite table whose columns and constraints are v2's
// already to v2's indexes, without the rebuild (a table step 3 could give
// its new columns' foreign keys, such as the address table).
func (c *conv) reindex(ctx context.Context, tx *sql.Tx, t *schema.Table, g, w *TableInfo) error {
	for _, def := range setDiff(g.Indexes, w.Indexes) {
		name := strings.TrimPrefix(strings.TrimPrefix(def, "UNIQUE "), "INDEX ")
		if i := strings.Index(name, " ("); i >= 0 {
			name = name[:i]
		}
		if _, err := c.exec(ctx, tx, "DROP INDEX "+q(name)); err != nil {
			return err
		}
	}
	create := c.d.CreateIndexes(t)
	for i, cols := range t.Indexes {
		if slices.Contains(g.Indexes, sqliteIndexText(schema.IndexName(t.Name, cols), cols, false)) {
			continue
		}
		if _, err := c.exec(ctx, tx, create[i]); err != nil {
			return err
		}
	}
	return nil
}

// alterTo is PostgreSQL's: ALTER TABLE from what the catalog has (g) to
// what a fresh V2 table has (w).
func (c *conv) alterTo(ctx context.Context, tx *sql.Tx, t *schema.Table, g, w *TableInfo) error {
	tn := q(t.Name)
	names := map[string]string{} // constraint definition → name
	rows, err := tx.QueryContext(ctx, `SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
		WHERE conrelid = (SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relname = $1)`, t.Name)
	if err != nil {
		return err
	}
	for rows.Next() {
		var n, def string
		if err := rows.Scan(&n, &def); err != nil {
			rows.Close()
			return err
		}
		names[strings.ReplaceAll(def, "public.", "")] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var stmts []string
	for _, def := range setDiff(g.Constraints, w.Constraints) {
		n, ok := names[def]
		if !ok {
			return fmt.Errorf("no constraint named for %s", def)
		}
		stmts = append(stmts, "ALTER TABLE "+tn+" DROP CONSTRAINT "+q(n))
	}
	for _, def := range setDiff(g.Indexes, w.Indexes) {
		stmts = append(stmts, "DROP INDEX "+indexName(def))
	}
	for cn := range g.Columns {
		if _, ok := w.Columns[cn]; !ok {
			stmts = append(stmts, "ALTER TABLE "+tn+" DROP COLUMN "+q(cn))
		}
	}
	for cn, wc := range w.Columns {
		gc, ok := g.Columns[cn]
		if !ok {
			return fmt.Errorf("column %s is missing", cn)
		}
		if gc.Type != wc.Type || gc.Identity != wc.Identity {
			return fmt.Errorf("column %s is %+v, want %+v", cn, gc, wc)
		}
		switch {
		case wc.NotNull && !gc.NotNull:
			stmts = append(stmts, "ALTER TABLE "+tn+" ALTER COLUMN "+q(cn)+" SET NOT NULL")
		case !wc.NotNull && gc.NotNull:
			stmts = append(stmts, "ALTER TABLE "+tn+" ALTER COLUMN "+q(cn)+" DROP NOT NULL")
		}
		switch {
		case gc.Default == wc.Default || wc.Identity:
		case wc.Default == "":
			stmts = append(stmts, "ALTER TABLE "+tn+" ALTER COLUMN "+q(cn)+" DROP DEFAULT")
		default:
			stmts = append(stmts, "ALTER TABLE "+tn+" ALTER COLUMN "+q(cn)+" SET DEFAULT "+wc.Default)
		}
	}
	for _, def := range setDiff(w.Constraints, g.Constraints) {
		stmts = append(stmts, "ALTER TABLE "+tn+" ADD "+def)
	}
	stmts = append(stmts, setDiff(w.Indexes, g.Indexes)...)
	for _, s := range stmts {
		if _, err := c.exec(ctx, tx, s); err != nil {
			return err
		}
	}
	return nil
}

// indexName is the (quoted) name in a CREATE [UNIQUE] INDEX definition.
func indexName(def string) string {
	s := strings.TrimPrefix(strings.TrimPrefix(def, "CREATE UNIQUE INDEX "), "CREATE INDEX ")
	if i := strings.Index(s, " ON "); i >= 0 {
		return s[:i]
	}
	return s
}
