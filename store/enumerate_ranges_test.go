package store

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"testing"

	"github.com/ipamd/ipamd/store/storetest"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// TestEnumerateBlockRangesMatchStore: on a converted v1 store, the ranges
// of a subnet (IPRangeForSubnet, IPRangeForBlock, with and without an
// AddressAssignment), the ranges inside a block (IPRangeAllForBlock), the
// addresses of a subnet's ranges (IpamIPAddressBySubnetId, ByBlockId) and
// the ranges and addresses by virtualization type are the rows a query of
// the test's own selects, in the order the reading gives (ranges by
// RecordId, addresses range by range); a block that does not exist
// selects none, or is IpamApiInvalidParameter where the spec faults
// (MustExist).
func TestEnumerateBlockRangesMatchStore(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			s := convertedStore(t, e.Dialect, 1200)
			ctx := context.Background()
			p := s.dialect.Placeholder
			ids := func(query string, args ...any) []int64 { return queryIDs(t, s.db, query, args...) }
			// The subnet with the most ranges; the root block with the
			// most subnets below it.
			var subnet, block int64
			if err := s.db.QueryRow(`SELECT r."ParentIPBlockRecordId" FROM "ADM_IPRangeTable" r WHERE r."Family" = 'IPv4'
				AND r."ParentIPBlockRecordId" IS NOT NULL GROUP BY r."ParentIPBlockRecordId" ORDER BY COUNT(*) DESC, 1 LIMIT 1`).Scan(&subnet); err != nil {
				t.Fatal(err)
			}
			if err := s.db.QueryRow(`SELECT b."RecordId" FROM "ADM_IPBlocksTable" b WHERE b."Family" = 'IPv4' AND b."IsSubnet" = `+p(1)+`
				ORDER BY (SELECT COUNT(*) FROM "ADM_IPBlocksTable" c WHERE c."ParentBlockRecordId" = b."RecordId") DESC, 1 LIMIT 1`, false).Scan(&block); err != nil {
				t.Fatal(err)
			}
			// The ranges within the block, by the test's own reading of
			// the bounds (net/netip).
			var bStart, bEnd string
			var bPrefix int64
			if err := s.db.QueryRow(`SELECT "StartIPAddress", "EndIPAddress", "PrefixLength" FROM "ADM_IPBlocksTable" WHERE "RecordId" = `+p(1), block).
				Scan(&bStart, &bEnd, &bPrefix); err != nil {
				t.Fatal(err)
			}
			lo, hi := netip.MustParseAddr(bStart), netip.MustParseAddr(bEnd)
			var within []int64
			rows, err := s.db.Query(`SELECT "RecordId", "StartIPAddress", "EndIPAddress" FROM "ADM_IPRangeTable" WHERE "Family" = 'IPv4'
				AND "PrefixLength" >= `+p(1)+` AND "ParentIPBlockRecordId" > 0 ORDER BY "RecordId"`, bPrefix)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var id int64
				var a, b string
				if err := rows.Scan(&id, &a, &b); err != nil {
					t.Fatal(err)
				}
				if netip.MustParseAddr(a).Compare(lo) >= 0 && netip.MustParseAddr(b).Compare(hi) <= 0 {
					within = append(within, id)
				}
			}
			rows.Close()
			var assignment string
			if err := s.db.QueryRow(`SELECT COALESCE("AddressAssignment", 'None') FROM "ADM_IPRangeTable" WHERE "ParentIPBlockRecordId" = `+p(1)+`
				ORDER BY "RecordId" LIMIT 1`, subnet).Scan(&assignment); err != nil {
				t.Fatal(err)
			}
			other := "Static"
			if assignment == "Static" {
				other = "Dynamic"
			}
			nowhere := int64(1 << 40)
			of := func(kind RowKind, b BlockQuery) RowQuery { return RowQuery{Kind: kind, Blocks: &b} }
			ranges := `SELECT x."RecordId" FROM "ADM_IPRangeTable" x WHERE x."Family" = 'IPv4'`
			subnetAddresses := `SELECT a."RecordId" FROM "ADM_IPAddressTable" a JOIN "ADM_IPRangeTable" x ON x."RecordId" = a."RangeRecordId"
				WHERE a."Family" = 'IPv4' AND x."ParentIPBlockRecordId" = ` + p(1) + ` ORDER BY x."RecordId", a."RecordId"`
			virt := func(table string) string {
				return `SELECT x."RecordId" FROM "` + table + `" x WHERE x."Family" = 'IPv4' AND COALESCE(x."VirtualizationType", 'NonVirtualized') = ` + p(1) + ` ORDER BY x."RecordId"`
			}
			for _, c := range []struct {
				name string
				q    RowQuery
				want []int64
				min  int
			}{
				{"ranges of the subnet", of(BlockRangeRows, BlockQuery{ParentBlockID: &subnet}),
					ids(ranges+` AND x."ParentIPBlockRecordId" = `+p(1)+` ORDER BY x."RecordId"`, subnet), 2},
				{"ranges of the subnet, " + assignment, of(BlockRangeRows, BlockQuery{ParentBlockID: &subnet, AddressAssignment: &assignment}),
					ids(ranges+` AND x."ParentIPBlockRecordId" = `+p(1)+` AND COALESCE(x."AddressAssignment", 'None') = `+p(2)+` ORDER BY x."RecordId"`, subnet, assignment), 1},
				{"ranges of the subnet, " + other, of(BlockRangeRows, BlockQuery{ParentBlockID: &subnet, AddressAssignment: &other}),
					ids(ranges+` AND x."ParentIPBlockRecordId" = `+p(1)+` AND COALESCE(x."AddressAssignment", 'None') = `+p(2)+` ORDER BY x."RecordId"`, subnet, other), 0},
				{"ranges within the block", of(BlockRangeRows, BlockQuery{WithinBlockID: &block}), within, 2},
				{"ranges of no block", of(BlockRangeRows, BlockQuery{ParentBlockID: &nowhere}), nil, 0},
				{"ranges within no block", of(BlockRangeRows, BlockQuery{WithinBlockID: &nowhere}), nil, 0},
				{"ranges of no block, which must exist", of(BlockRangeRows, BlockQuery{ParentBlockID: &nowhere, MustExist: true}), nil, -1},
				{"ranges within no block, which must exist", of(BlockRangeRows, BlockQuery{WithinBlockID: &nowhere, MustExist: true}), nil, -1},
				{"ranges of the subnet, which exists", of(BlockRangeRows, BlockQuery{ParentBlockID: &subnet, MustExist: true}),
					ids(ranges+` AND x."ParentIPBlockRecordId" = `+p(1)+` ORDER BY x."RecordId"`, subnet), 2},
				{"addresses of the subnet", of(BlockAddressRows, BlockQuery{ParentBlockID: &subnet}), ids(subnetAddresses, subnet), 2},
				{"addresses of no block", of(BlockAddressRows, BlockQuery{ParentBlockID: &nowhere}), nil, 0},
				{"non-virtualized ranges", RowQuery{Kind: RangeRows, Virtualization: []string{"NonVirtualized"}}, ids(virt("ADM_IPRangeTable"), "NonVirtualized"), 2},
				{"fabric ranges", RowQuery{Kind: RangeRows, Virtualization: []string{"Fabric"}}, ids(virt("ADM_IPRangeTable"), "Fabric"), 0},
				{"non-virtualized addresses", RowQuery{Kind: AddressRows, Virtualization: []string{"NonVirtualized"}}, ids(virt("ADM_IPAddressTable"), "NonVirtualized"), 2},
			} {
				t.Logf("%s: %d rows", c.name, len(c.want))
				if len(c.want) < c.min {
					t.Fatalf("%s: the store has %d rows, want at least %d", c.name, len(c.want), c.min)
				}
				var got []int64
				err := s.EnumerateRows(ctx, c.q, func(o ipam.AnyIpamObject) error {
					switch v := o.(type) {
					case *ipam.IPRangeRow:
						got = append(got, v.RecordID)
					case *ipam.IPAddressRow:
						got = append(got, v.RecordID)
					default:
						t.Errorf("%s: row %T", c.name, o)
					}
					return nil
				})
				if c.min < 0 { // §3.5.4.8.1.61, .68: a fault, no rows
					var exc *ipam.IpamException
					if !errors.As(err, &exc) || exc.ExceptionID != ipam.IpamApiInvalidParameter || len(got) != 0 {
						t.Errorf("%s: %v after %d rows, want IpamApiInvalidParameter and none", c.name, err, len(got))
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s: %v", c.name, err)
				}
				if !slices.Equal(got, c.want) {
					t.Errorf("%s: %d rows %v, the store has %d %v", c.name, len(got), got[:min(5, len(got))], len(c.want), c.want[:min(5, len(c.want))])
				}
			}
		})
	}
}
