package store

import (
	"context"
	"database/sql"

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
func (s *Store) enumerateFiltered(ctx context.Context, tx *sql.Tx, q RowQuery, emit func(ipam.AnyIpamObject) error) error {
	read := RowQuery{IPv6: q.IPv6, AddressSpaceID: q.AddressSpaceID, Category: q.Category, Virtualization: q.Virtualization}
	if q.Kind == FilterRangeRows {
		read.Kind = RangeRows
		return s.enumerateRanges(ctx, tx, read, emit)
	}
	read.Kind = AddressRows
	return s.enumerateAddresses(ctx, tx, read, emit)
}
