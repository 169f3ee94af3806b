package convert

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"strings"

	"github.com/ipamd/ipamd/store/schema"
)

// fkCheckTables are the tables whose foreign keys step 13 checks on
// SQLite: those whose definition v2 changed or added (rebuilt, altered or
// created by the conversion) and those referencing one of them. A table
// both versions define alike, all of whose parents are alike too, keeps
// rows the conversion did not re-parent; what the conversion adds there
// (Managed by values) references the rows lookups found. That leaves out
// the custom field value associations, two rows an address, the largest
// table of a store.
func fkCheckTables() []string {
	changed := map[string]bool{}
	for _, t2 := range schema.V2.Tables {
		t1 := schema.V1.Table(t2.Name)
		changed[t2.Name] = t1 == nil || !reflect.DeepEqual(t1.Columns, t2.Columns) || !reflect.DeepEqual(t1.ForeignKeys, t2.ForeignKeys)
	}
	var out []string
	for _, t := range schema.V2.Tables {
		check := changed[t.Name]
		for _, fk := range t.ForeignKeys {
			check = check || changed[fk.RefTable]
		}
		if check {
			out = append(out, t.Name)
		}
	}
	return out
}

// foreignKeyCheck is PRAGMA foreign_key_check of one table, at most ten
// violations described.
func foreignKeyCheck(ctx context.Context, tx *sql.Tx, table string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, "PRAGMA foreign_key_check("+q(table)+")")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var bad []string
	for rows.Next() && len(bad) < 10 {
		var (
			tbl, parent string
			rowid       sql.NullInt64
			fkid        int
		)
		if err := rows.Scan(&tbl, &rowid, &parent, &fkid); err != nil {
			return nil, err
		}
		bad = append(bad, fmt.Sprintf("%s row %d → %s", tbl, rowid.Int64, parent))
	}
	return bad, rows.Err()
}

// finish is step 13: the version, the sequences, a last consistency check
// and the end of the progress table, in one transaction.
func finish(ctx context.Context, c *conv, name string) error {
	return c.inTx(ctx, func(tx *sql.Tx) error {
		if c.d == schema.SQLite {
			var bad []string
			for _, t := range fkCheckTables() {
				if len(bad) >= 10 {
					break
				}
				b, err := foreignKeyCheck(ctx, tx, t)
				if err != nil {
					return err
				}
				bad = append(bad, b...)
			}
			if len(bad) > 0 {
				return fmt.Errorf("foreign key violations after conversion: %s", strings.Join(bad, "; "))
			}
		} else {
			for _, t := range schema.V2.Tables {
				for _, col := range t.Columns {
					if !col.AutoIncrement {
						continue
					}
					if _, err := c.exec(ctx, tx, fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%s', '%s'), COALESCE(MAX(%s), 0) + 1, false) FROM %s`,
						q(t.Name), col.Name, q(col.Name), q(t.Name))); err != nil {
						return err
					}
				}
			}
		}
		if _, err := c.exec(ctx, tx, `UPDATE "ADM_CommonProperties" SET "Value" = ? WHERE "Name" = 'DatabaseSchemaVersion'`, schema.V2.Version); err != nil {
			return err
		}
		if _, err := c.exec(ctx, tx, `INSERT INTO "ADM_CommonProperties" ("Name", "Value") SELECT 'DatabaseSchemaVersion', ?
			WHERE NOT EXISTS (SELECT 1 FROM "ADM_CommonProperties" WHERE "Name" = 'DatabaseSchemaVersion')`, schema.V2.Version); err != nil {
			return err
		}
		_, err := c.exec(ctx, tx, "DROP TABLE "+progressTable)
		c.report(name, 0, 0)
		return err
	})
}
