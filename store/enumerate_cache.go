package store

import (
	"context"
	"database/sql"
	"strconv"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

// Small tables an enumeration reads once into memory instead of joining
// them to every row: each column read from a result row costs a call into
// the SQL driver (modernc.org/sqlite takes the connection's mutex for
// each), and each join a lookup per row (docs/performance.md,
// "Enumeration"). Each is bounded; a larger table is joined as before.

// maxCachedCustomFieldValues bounds the custom field values
// (ADM_CustomFieldValuesTable: the values an administrator defined for
// each field, a few hundred) read into memory before the first row: at
// most a few milliseconds, well within issue 19's 100 ms to the first row.
// A variable for the test of both forms.
var maxCachedCustomFieldValues = 8192

// maxCachedAddressSpaces bounds the address spaces read into memory.
var maxCachedAddressSpaces = 4096

// cachedValue is one row of ADM_CustomFieldValuesTable.
type cachedValue struct {
	builtIn int64
	value   sql.NullString
}

// readCustomFieldValueTable reads ADM_CustomFieldValuesTable by RecordId,
// or nil when it has more than maxCachedCustomFieldValues rows.
func readCustomFieldValueTable(ctx context.Context, tx *sql.Tx) (map[int64]cachedValue, error) {
	rs, err := tx.QueryContext(ctx, `SELECT "RecordId", "BuiltInCustomFieldValueId", "Value" FROM "ADM_CustomFieldValuesTable" LIMIT `+strconv.Itoa(maxCachedCustomFieldValues+1))
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	values := map[int64]cachedValue{}
	for rs.Next() {
		var (
			id      int64
			builtIn sql.NullInt64
			v       cachedValue
		)
		if err := rs.Scan(&id, &builtIn, &v.value); err != nil {
			return nil, err
		}
		if len(values) == maxCachedCustomFieldValues {
			return nil, rs.Close()
		}
		v.builtIn = builtIn.Int64
		values[id] = v
	}
	return values, rs.Err()
}

// valuesQueryCached is the values query when both the field definitions
// and the values are in memory: the association table alone, four
// columns (the one-table form of COALESCE(cfv."Value", cfa."Value") is
// in cachedCustomFieldValue).
const valuesQueryCached = `SELECT cfa."UsedById", cfa."CustomFieldValueId", cfa."CustomFieldId", cfa."Value"
		FROM "ADM_CustomFieldValuesAssociationTable" cfa`

// cachedCustomFieldValue is the value an association row names, as the
// joined query gives it: the value row's RecordId, BuiltInCustomFieldValueId
// and Value when it exists (its Value, else the association's), the
// association's Value alone when it does not; into v.
func cachedCustomFieldValue(v *ipam.CustomFieldValue, values map[int64]cachedValue, valueID sql.NullInt64, assocValue sql.NullString) {
	*v = ipam.CustomFieldValue{Value: assocValue.String}
	if c, ok := values[valueID.Int64]; ok && valueID.Valid {
		v.RecordID, v.BuiltInCustomFieldValueID = valueID.Int64, c.builtIn
		if c.value.Valid {
			v.Value = c.value.String
		}
	}
}

// addressSpace is a row's address space names (spaceNames).
type addressSpace struct {
	family, name, provider sql.NullString
}

// readAddressSpaces reads the address spaces with their provider's name,
// or nil when there are more than maxCachedAddressSpaces.
func readAddressSpaces(ctx context.Context, tx *sql.Tx) (map[int64]addressSpace, error) {
	rs, err := tx.QueryContext(ctx, `SELECT sp."RecordId", sp."Family", sp."Name", pp."Name" FROM "ADM_AddressSpaceTable" sp
		LEFT JOIN "ADM_AddressSpaceTable" pp ON pp."RecordId" = sp."ProviderAddressSpaceRecordId" LIMIT `+strconv.Itoa(maxCachedAddressSpaces+1))
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	spaces := map[int64]addressSpace{}
	for rs.Next() {
		var (
			id int64
			s  addressSpace
		)
		if err := rs.Scan(&id, &s.family, &s.name, &s.provider); err != nil {
			return nil, err
		}
		if len(spaces) == maxCachedAddressSpaces {
			return nil, rs.Close()
		}
		spaces[id] = s
	}
	return spaces, rs.Err()
}
