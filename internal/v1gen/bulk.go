package v1gen

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/ipamd/ipamd/store/schema"
)

// sqlExecer is a *sql.Tx or *sql.Conn.
type sqlExecer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// bulk collects rows for one table and writes them as multi-row INSERTs,
// the fastest portable way to load through database/sql on both engines.
type bulk struct {
	d       schema.Dialect
	table   string
	cols    []string
	perStmt int   // rows per INSERT, kept under the engines' bind-parameter limits
	args    []any // perStmt*len(cols) at most
	full    string
	n       int64 // rows written
}

// maxParams stays under SQLite's default limit of 32766 bind parameters
// (PostgreSQL allows 65535).
const maxParams = 30000

func newBulk(d schema.Dialect, table string, cols ...string) *bulk {
	per := maxParams / len(cols)
	if per > 1000 {
		per = 1000
	}
	b := &bulk{d: d, table: table, cols: cols, perStmt: per}
	b.full = b.statement(per)
	return b
}

func (b *bulk) statement(rows int) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "INSERT INTO %s (", schema.Quote(b.table))
	for i, c := range b.cols {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(schema.Quote(c))
	}
	sb.WriteString(") VALUES ")
	n := 1
	for r := 0; r < rows; r++ {
		if r > 0 {
			sb.WriteString(", ")
		}
		sb.WriteByte('(')
		for c := range b.cols {
			if c > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(b.d.Placeholder(n))
			n++
		}
		sb.WriteByte(')')
	}
	return sb.String()
}

// add queues one row (values in column order). Nothing is written until
// flush, so the caller decides the order in which tables reach the
// database (referenced rows before referencing ones).
func (b *bulk) add(_ context.Context, _ sqlExecer, values ...any) error {
	if len(values) != len(b.cols) {
		return fmt.Errorf("v1gen: %s: %d values for %d columns", b.table, len(values), len(b.cols))
	}
	b.args = append(b.args, values...)
	return nil
}

// pending is the number of queued rows.
func (b *bulk) pending() int { return len(b.args) / len(b.cols) }

// flush writes the queued rows, perStmt rows a statement.
func (b *bulk) flush(ctx context.Context, tx sqlExecer) error {
	buf := b.args
	for len(b.args) > 0 {
		n := min(len(b.args), b.perStmt*len(b.cols))
		rows := n / len(b.cols)
		stmt := b.full
		if rows != b.perStmt {
			stmt = b.statement(rows)
		}
		if _, err := tx.ExecContext(ctx, stmt, b.args[:n]...); err != nil {
			return fmt.Errorf("v1gen: insert into %s: %w", b.table, err)
		}
		b.n += int64(rows)
		b.args = b.args[n:]
	}
	clear(buf) // drop references to the written values
	b.args = buf[:0]
	return nil
}
