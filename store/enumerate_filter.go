package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/ipamd/ipamd/services"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// The kinds of rows of this file: FilterRangeRows reads the family's
// ranges, FilterAddressRows its addresses, each built by the range and
// address readings of enumerate.go, for the ByFilter types
// (IPRangeByFilter, IpamIPAddressByFilter: 3.5.4.8.1.65, .42) whose
// RowQuery.Filter enumerateMore applies to every row built.
const (
	FilterRangeRows   = services.FilterRangeRows
	FilterAddressRows = services.FilterAddressRows
)

// enumerateFiltered reads the rows of a range or address ByFilter type.
// The query selects by what q repeats of the filter (address space,
// category, virtualization types: services.FilterRangeRows), so rows the
// filter would drop are not built; emit keeps the rest by the filter.
//
// A filter that keeps only unmapped rows (Unmapped true) first counts the
// rows without a parent, as the Unmapped types do (enumerate_groups.go):
// a store without any (a v2 store has no range without a parent block)
// answers at once instead of building every row.
func (s *Store) enumerateFiltered(ctx context.Context, tx *sql.Tx, q RowQuery, emit func(ipam.AnyIpamObject) error) error {
	read := RowQuery{IPv6: q.IPv6, AddressSpaceID: q.AddressSpaceID, Category: q.Category, Virtualization: q.Virtualization}
	if q.Filter.UnmappedOnly() {
		table, parent := "ADM_IPAddressTable", "RangeRecordId"
		if q.Kind == FilterRangeRows {
			table, parent = "ADM_IPRangeTable", "ParentIPBlockRecordId"
		}
		var n int64
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM "`+table+`" WHERE "Family" = `+s.dialect.Placeholder(1)+`
			AND ("`+parent+`" IS NULL OR "`+parent+`" = 0)`, family(q)).Scan(&n); err != nil {
			return fmt.Errorf("store: enumerate by filter: %w", err)
		}
		if n == 0 {
			return nil
		}
	}
	if q.Kind == FilterRangeRows {
		read.Kind = RangeRows
		return s.enumerateRanges(ctx, tx, read, emit)
	}
	read.Kind = AddressRows
	return s.enumerateAddresses(ctx, tx, read, emit)
}
