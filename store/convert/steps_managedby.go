package convert

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/ipamd/ipamd/store/schema"
)

// afExpr is a compound IP table's Family as an AddressFamily literal.
const afExpr = `CASE "Family" WHEN 'IPv6' THEN 'InterNetworkV6' ELSE 'InterNetwork' END`

// fixManagedBy applies the ObjectsWithoutMBandSI / ObjectsWithMultipleMBandSI
// default fixes (docs/data-model.md#conversion-steps, step 0; ipamd's choice) to the objectType objects
// of table with lo < RecordId <= hi: an object without a value of field
// gets value def; of several values the oldest (lowest RecordId) stays.
func (c *conv) fixManagedBy(ctx context.Context, tx *sql.Tx, objectType, table string, field, def, lo, hi int64) error {
	_, err := c.exec(ctx, tx, `INSERT INTO "ADM_CustomFieldValuesAssociationTable"
		("RecordId", "ObjectType", "Af", "UsedById", "CustomFieldId", "CustomFieldValueId")
		SELECT (SELECT COALESCE(MAX("RecordId"), 0) FROM "ADM_CustomFieldValuesAssociationTable") + ROW_NUMBER() OVER (ORDER BY o."RecordId"),
			?, `+strings.ReplaceAll(afExpr, `"Family"`, `o."Family"`)+`, o."RecordId", ?, ?
		FROM `+q(table)+` o
		WHERE o."RecordId" > ? AND o."RecordId" <= ? AND NOT EXISTS (SELECT 1 FROM "ADM_CustomFieldValuesAssociationTable" x
			WHERE x."ObjectType" = ? AND x."UsedById" = o."RecordId" AND x."CustomFieldId" = ?
			AND x."UsedById" > ? AND x."UsedById" <= ?)`, // lets a hash anti-join read only the batch's rows
		objectType, field, def, lo, hi, objectType, field, lo, hi)
	if err != nil {
		return err
	}
	_, err = c.exec(ctx, tx, `DELETE FROM "ADM_CustomFieldValuesAssociationTable"
		WHERE "ObjectType" = ? AND "CustomFieldId" = ? AND "UsedById" > ? AND "UsedById" <= ?
		AND "RecordId" > (SELECT MIN(x."RecordId") FROM "ADM_CustomFieldValuesAssociationTable" x
			WHERE x."ObjectType" = ? AND x."CustomFieldId" = ? AND x."UsedById" = "ADM_CustomFieldValuesAssociationTable"."UsedById")`,
		objectType, field, lo, hi, objectType, field)
	return err
}

const maxID = int64(1) << 62

func validateRanges(ctx context.Context, c *conv, tx *sql.Tx) error {
	if err := c.fixManagedBy(ctx, tx, "IPRange", schema.IPRangeTable, c.managedBy, c.ipam, 0, maxID); err != nil {
		return err
	}
	return c.fixManagedBy(ctx, tx, "IPRange", schema.IPRangeTable, c.managedByEntity, c.localhost, 0, maxID)
}

// startAddresses is step 4 for addresses: the upgrade-rule fixes of step
// 0.2 for them (their new columns were filled by step 3's defaults, see
// addColumns). A batch fixes its addresses' Managed by / Managed by entity
// values. Finding the addresses to fix is the costlier half of a batch: a
// detector does it ahead of the batches on a second connection where it
// can have one (startDetector).
func startAddresses(ctx context.Context, c *conv, from, to int64) (batchFunc, func(), error) {
	find := func(ctx context.Context, tx *sql.Tx, lo, hi int64) ([]misfit, error) {
		return c.findMisfits(ctx, tx, lo, hi)
	}
	stop := func() {}
	if det := c.startDetector(ctx, from, to); det != nil {
		find, stop = det.take, det.stop
	}
	return func(ctx context.Context, tx *sql.Tx, lo, hi int64) (int64, error) {
		m, err := find(ctx, tx, lo, hi)
		if err != nil {
			return 0, fmt.Errorf("find addresses to fix: %w", err)
		}
		if err := c.fixMisfits(ctx, tx, m); err != nil {
			return 0, err
		}
		var n int64
		err = c.queryRow(ctx, tx, `SELECT COUNT(*) FROM "ADM_IPAddressTable" WHERE "RecordId" > ? AND "RecordId" <= ?`, []any{lo, hi}, &n)
		return n, err
	}, stop, nil
}

// misfit is an address breaking the upgrade rule ObjectsWithoutMBandSI /
// ObjectsWithMultipleMBandSI: how many Managed by and Managed by entity
// values it has, and its AddressFamily.
type misfit struct {
	id, mb, mbe int64
	af          string
}

// findMisfits finds the addresses with lo < RecordId <= hi that break the
// rule, in RecordId order, on q (the batch's transaction or the detector's
// connection): two passes over the range's rows (its associations grouped
// by address, in the order of their (ObjectType, UsedById) index; the set
// difference of its addresses and associated ids) and a look-up of the
// few found. (One query joining the grouped associations to the addresses
// costs SQLite twice as much: it materialises and indexes every group; a
// NOT EXISTS probe per address costs three times the EXCEPT.)
func (c *conv) findMisfits(ctx context.Context, q querier, lo, hi int64) ([]misfit, error) {
	type counts struct{ mb, mbe int64 }
	found := map[int64]counts{}
	var ids []int64
	err := c.scanRows(ctx, q, `SELECT "UsedById", SUM(CASE WHEN "CustomFieldId" = ? THEN 1 ELSE 0 END) AS mb,
			SUM(CASE WHEN "CustomFieldId" = ? THEN 1 ELSE 0 END) AS mbe
		FROM "ADM_CustomFieldValuesAssociationTable"
		WHERE "ObjectType" = 'IPAddress' AND "UsedById" > ? AND "UsedById" <= ?
		GROUP BY "UsedById" HAVING SUM(CASE WHEN "CustomFieldId" = ? THEN 1 ELSE 0 END) <> 1
			OR SUM(CASE WHEN "CustomFieldId" = ? THEN 1 ELSE 0 END) <> 1`,
		[]any{c.managedBy, c.managedByEntity, lo, hi, c.managedBy, c.managedByEntity}, func(r *sql.Rows) error {
			var id int64
			var n counts
			if err := r.Scan(&id, &n.mb, &n.mbe); err != nil {
				return err
			}
			found[id] = n
			ids = append(ids, id)
			return nil
		})
	if err != nil {
		return nil, err
	}
	// The addresses without any association.
	err = c.scanRows(ctx, q, `SELECT "RecordId" FROM "ADM_IPAddressTable" WHERE "RecordId" > ? AND "RecordId" <= ?
		EXCEPT SELECT "UsedById" FROM "ADM_CustomFieldValuesAssociationTable" WHERE "ObjectType" = 'IPAddress' AND "UsedById" > ? AND "UsedById" <= ?`,
		[]any{lo, hi, lo, hi}, func(r *sql.Rows) error {
			var id int64
			if err := r.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
			return nil
		})
	if err != nil {
		return nil, err
	}
	// Which of these are addresses (an association of a deleted address is
	// no object's), and their families.
	family := map[int64]string{}
	for chunk := range slices.Chunk(ids, 500) {
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		err := c.scanRows(ctx, q, `SELECT "RecordId", `+afExpr+` FROM "ADM_IPAddressTable" WHERE "RecordId" IN (?`+strings.Repeat(", ?", len(chunk)-1)+`)`,
			args, func(r *sql.Rows) error {
				var id int64
				var af string
				if err := r.Scan(&id, &af); err != nil {
					return err
				}
				family[id] = af
				return nil
			})
		if err != nil {
			return nil, err
		}
	}
	slices.Sort(ids)
	var out []misfit
	for _, id := range ids {
		if af, ok := family[id]; ok {
			n := found[id]
			out = append(out, misfit{id, n.mb, n.mbe, af})
		}
	}
	return out, nil
}

// fixMisfits writes the fixes for m (in RecordId order): a missing value
// gets a record id after the table's highest, in (address, Managed by
// before Managed by entity) order; of several values the oldest (lowest
// RecordId) stays.
func (c *conv) fixMisfits(ctx context.Context, tx *sql.Tx, m []misfit) error {
	type add struct {
		id         int64
		af         string
		field, val int64
	}
	var adds []add
	dups := map[int64][]any{} // field → addresses with several values
	for _, a := range m {
		for _, f := range []struct{ n, field, def int64 }{{a.mb, c.managedBy, c.ipam}, {a.mbe, c.managedByEntity, c.localhost}} {
			switch {
			case f.n == 0:
				adds = append(adds, add{a.id, a.af, f.field, f.def})
			case f.n > 1:
				dups[f.field] = append(dups[f.field], a.id)
			}
		}
	}
	if len(adds) > 0 {
		var next int64
		if err := c.queryRow(ctx, tx, `SELECT COALESCE(MAX("RecordId"), 0) FROM "ADM_CustomFieldValuesAssociationTable"`, nil, &next); err != nil {
			return err
		}
		rows := make([][]any, len(adds))
		for i, a := range adds {
			rows[i] = []any{next + int64(i) + 1, a.af, a.id, a.field, a.val}
		}
		if err := c.insertRows(ctx, tx, `INSERT INTO "ADM_CustomFieldValuesAssociationTable"
			("RecordId", "ObjectType", "Af", "UsedById", "CustomFieldId", "CustomFieldValueId") VALUES `,
			"(?, 'IPAddress', ?, ?, ?, ?)", "", rows); err != nil {
			return err
		}
	}
	for _, field := range []int64{c.managedBy, c.managedByEntity} {
		for chunk := range slices.Chunk(dups[field], 500) {
			args := append([]any{field}, chunk...)
			args = append(args, field)
			if _, err := c.exec(ctx, tx, `DELETE FROM "ADM_CustomFieldValuesAssociationTable"
				WHERE "ObjectType" = 'IPAddress' AND "CustomFieldId" = ? AND "UsedById" IN (?`+strings.Repeat(", ?", len(chunk)-1)+`)
				AND "RecordId" > (SELECT MIN(x."RecordId") FROM "ADM_CustomFieldValuesAssociationTable" x
					WHERE x."ObjectType" = 'IPAddress' AND x."CustomFieldId" = ? AND x."UsedById" = "ADM_CustomFieldValuesAssociationTable"."UsedById")`,
				args...); err != nil {
				return err
			}
		}
	}
	return nil
}
