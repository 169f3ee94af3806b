package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/ipamd/ipamd/services"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// The kinds of rows of this file: the ranges of a block or subnet and
// their addresses (services/enumerator_ranges.go).
const (
	BlockRangeRows   = services.BlockRangeRows
	BlockAddressRows = services.BlockAddressRows
)

// enumerateBlockRanges: IPRangeForBlock (3.5.4.8.1.68) and IPRangeForSubnet
// (.69), the ranges whose parent block is the one named; IPRangeAllForBlock
// (.61), the ranges inside the block's bounds with a parent block; and
// IpamIPAddressBySubnetId (.45) and IpamIPAddressByBlockId (.41), the
// addresses of the ranges whose parent is the one named, range by range.
// The ranges are picked by one query; the rows are then built by the range
// and address readings of enumerate.go.
func (s *Store) enumerateBlockRanges(ctx context.Context, tx *sql.Tx, q RowQuery, emit func(ipam.AnyIpamObject) error) error {
	if q.Blocks == nil || (q.Blocks.ParentBlockID == nil && q.Blocks.WithinBlockID == nil) {
		return fmt.Errorf("store: enumerate ranges of a block: no selection")
	}
	ids, err := s.blockRanges(ctx, tx, q)
	if err != nil || len(ids) == 0 {
		return err
	}
	return s.rangeRows(ctx, tx, ids, q.IPv6, q.Kind == BlockRangeRows, emit)
}

// rangeRows emits the ranges ids names (asRanges: built by the range
// reading and kept by RecordId) or their addresses, range by range, built
// by the address reading — for the enumerations that pick ranges by a
// query of their own (by block, by logical group).
func (s *Store) rangeRows(ctx context.Context, tx *sql.Tx, ids []int64, ipv6, asRanges bool, emit func(ipam.AnyIpamObject) error) error {
	if !asRanges {
		for _, id := range ids {
			if err := s.enumerateAddresses(ctx, tx, RowQuery{Kind: AddressRows, IPv6: ipv6, RangeID: &id}, emit); err != nil {
				return err
			}
		}
		return nil
	}
	set := make(map[int64]bool, len(ids))
	for _, id := range ids {
		set[id] = true
	}
	return s.enumerateRanges(ctx, tx, RowQuery{Kind: RangeRows, IPv6: ipv6}, func(o ipam.AnyIpamObject) error {
		if r, ok := o.(*ipam.IPRangeRow); !ok || !set[r.RecordID] {
			return nil
		}
		return emit(o)
	})
}

// blockRanges are the RecordIds of the family's ranges q selects, in order.
// A block that does not exist (or is of the other family) selects none.
func (s *Store) blockRanges(ctx context.Context, tx *sql.Tx, q RowQuery) ([]int64, error) {
	b := q.Blocks
	w := &where{d: s.dialect}
	w.add(`r."Family" = ?`, family(q))
	var within *blockBounds
	if b.ParentBlockID != nil {
		if b.MustExist {
			var n int64
			err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM "ADM_IPBlocksTable" WHERE "RecordId" = `+s.dialect.Placeholder(1)+
				` AND "Family" = `+s.dialect.Placeholder(2), *b.ParentBlockID, family(q)).Scan(&n)
			if err != nil {
				return nil, fmt.Errorf("store: enumerate ranges of a block: %w", err)
			}
			if n == 0 {
				return nil, noBlock(*b.ParentBlockID, q)
			}
		}
		w.add(`r."ParentIPBlockRecordId" = ?`, *b.ParentBlockID)
		if b.AddressAssignment != nil {
			w.add(`COALESCE(r."AddressAssignment", 'None') = ?`, *b.AddressAssignment)
		}
	} else {
		// 3.5.4.8.1.61: within the block's bounds (checked below, on the
		// parsed addresses), a prefix at least as long, a parent block;
		// the address space is not compared.
		var start, end sql.NullString
		var prefix sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT "StartIPAddress", "EndIPAddress", "PrefixLength" FROM "ADM_IPBlocksTable"
			WHERE "RecordId" = `+s.dialect.Placeholder(1)+` AND "Family" = `+s.dialect.Placeholder(2),
			*b.WithinBlockID, family(q)).Scan(&start, &end, &prefix)
		if err == sql.ErrNoRows {
			if b.MustExist {
				return nil, noBlock(*b.WithinBlockID, q)
			}
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("store: enumerate ranges of a block: %w", err)
		}
		within = &blockBounds{ipam.ParseIPAddressText(start.String), ipam.ParseIPAddressText(end.String)}
		w.add(`r."PrefixLength" >= ?`, prefix.Int64)
		w.add(`r."ParentIPBlockRecordId" IS NOT NULL`)
		w.add(`r."ParentIPBlockRecordId" <> ?`, int64(0))
	}
	rows, err := tx.QueryContext(ctx, `SELECT r."RecordId", r."StartIPAddress", r."EndIPAddress" FROM "ADM_IPRangeTable" r`+
		w.String()+` ORDER BY r."RecordId"`, w.args...)
	if err != nil {
		return nil, fmt.Errorf("store: enumerate ranges of a block: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		var start, end sql.NullString
		if err := rows.Scan(&id, &start, &end); err != nil {
			return nil, fmt.Errorf("store: enumerate ranges of a block: %w", err)
		}
		if within != nil && (ipam.ParseIPAddressText(start.String).Less(within.start) || within.end.Less(ipam.ParseIPAddressText(end.String))) {
			continue
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: enumerate ranges of a block: %w", err)
	}
	return ids, nil
}

// noBlock is the fault of §3.5.4.8.1.61 and .68 for a block that does not
// exist in the family; only the id (a number) is quoted.
func noBlock(id int64, q RowQuery) error {
	return ipam.NewException(ipam.IpamApiInvalidParameter, "there is no %s block %d", family(q), id)
}
