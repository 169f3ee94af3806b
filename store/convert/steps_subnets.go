package convert

import (
	"context"
	"database/sql"
	"fmt"
	"net/netip"
)

// blockRow is a block or subnet as step 5 needs it.
type blockRow struct {
	id     int64
	family string
	prefix netip.Prefix
}

// startSubnets loads the v1 blocks and the subnets made so far, then
// returns the batch that gives each range its subnet (step 5 of
// docs/data-model.md#conversion-steps): the IsSubnet row with the range's network and prefix in address space
// 1, created when missing with the most specific v1 block as parent.
func startSubnets(ctx context.Context, c *conv, _, _ int64) (batchFunc, func(), error) {
	rows, err := c.conn.QueryContext(ctx, `SELECT "RecordId", "Family", "NetworkId", "PrefixLength", "IsSubnet" FROM "ADM_IPBlocksTable" ORDER BY "RecordId"`)
	if err != nil {
		return nil, nil, err
	}
	var blocks []blockRow
	subnets := map[string]int64{}
	var nextID int64
	for rows.Next() {
		var (
			b       blockRow
			network sql.NullString
			bits    sql.NullInt64
			isSub   bool
		)
		if err := rows.Scan(&b.id, &b.family, &network, &bits, &isSub); err != nil {
			rows.Close()
			return nil, nil, err
		}
		nextID = max(nextID, b.id)
		a, err := netip.ParseAddr(network.String)
		if err != nil || !bits.Valid {
			continue // a block without a network cannot contain a subnet
		}
		b.prefix = netip.PrefixFrom(a, int(bits.Int64)).Masked()
		if isSub {
			subnets[b.family+" "+b.prefix.String()] = b.id
		} else {
			blocks = append(blocks, b)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	f, t := c.boolLit(false), c.boolLit(true)
	return func(ctx context.Context, tx *sql.Tx, lo, hi int64) (int64, error) {
		type rng struct {
			id                                            int64
			family                                        string
			subnetID, mask, start, category, owner, descr sql.NullString
			bits                                          sql.NullInt64
		}
		rows, err := tx.QueryContext(ctx, rebind(c.d, `SELECT "RecordId", "Family", "SubnetId", "SubnetMask", "PrefixLength", "StartIPAddress",
			"AddressCategory", "Owner", "Description" FROM "ADM_IPRangeTable" WHERE "RecordId" > ? AND "RecordId" <= ? ORDER BY "RecordId"`), lo, hi)
		if err != nil {
			return 0, err
		}
		var rs []rng
		for rows.Next() {
			var r rng
			if err := rows.Scan(&r.id, &r.family, &r.subnetID, &r.mask, &r.bits, &r.start, &r.category, &r.owner, &r.descr); err != nil {
				rows.Close()
				return 0, err
			}
			rs = append(rs, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, err
		}
		// Subnets this batch creates are remembered only when it commits.
		// The rows are written a few hundred to a statement: a store has
		// one range per few dozen addresses, too many for a round trip each.
		made := map[string]int64{}
		id := nextID
		var blockRows, subnetRows, parents [][]any
		for _, r := range rs {
			p, err := rangeSubnet(r.subnetID.String, r.start.String, r.bits)
			if err != nil {
				return 0, fmt.Errorf("range %d: %w", r.id, err)
			}
			key := r.family + " " + p.String()
			sid, ok := subnets[key]
			if !ok {
				sid, ok = made[key]
			}
			if !ok {
				id++
				sid = id
				made[key] = sid
				var parent any
				if pb := mostSpecific(blocks, r.family, p); pb != 0 {
					parent = pb
				}
				var mask any
				if r.family == "IPv4" {
					mask = maskString(p)
				} else if r.mask.Valid {
					mask = r.mask.String
				}
				blockRows = append(blockRows, []any{r.family, sid, parent, r.category, "created by schema conversion for range " + fmt.Sprint(r.id),
					lastAddress(p).String(), c.now, p.Addr().String(), r.owner, p.Bits(), p.Addr().String(), mask})
				subnetRows = append(subnetRows, []any{r.family, sid, p.String()})
			}
			parents = append(parents, []any{r.id, sid})
		}
		if err := c.insertRows(ctx, tx, `INSERT INTO "ADM_IPBlocksTable" ("Family", "RecordId", "IsSubnet", "AddressSpaceRecordId",
			"ParentBlockRecordId", "AddressCategory", "Description", "EndIPAddress", "LastModifiedDate", "NetworkId",
			"NumberOfChildBlocks", "Owner", "PrefixLength", "StartIPAddress", "SubnetMask") VALUES `,
			"(?, ?, "+t+", 1, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)", "", blockRows); err != nil {
			return 0, err
		}
		if err := c.insertRows(ctx, tx, `INSERT INTO "ADM_SubnetTable" ("Family", "RecordId", "Name", "IsOverlapping",
			"UseForUtilization", "VSId", "VirtualizationType") VALUES `, "(?, ?, ?, "+f+", "+t+", 0, 'NonVirtualized')", "", subnetRows); err != nil {
			return 0, err
		}
		if err := c.insertRows(ctx, tx, `UPDATE "ADM_IPRangeTable" SET "ParentIPBlockRecordId" = v.column2 FROM (VALUES `,
			"(CAST(? AS BIGINT), CAST(? AS BIGINT))", `) AS v WHERE "ADM_IPRangeTable"."RecordId" = v.column1`, parents); err != nil {
			return 0, err
		}
		// The caller commits right after; a failed commit ends the run,
		// and the next run reloads from the database.
		for k, v := range made {
			subnets[k] = v
		}
		nextID = id
		return int64(len(rs)), nil
	}, func() {}, nil
}

// rangeSubnet is a range's subnet: its SubnetId with PrefixLength, or,
// where v1 kept no valid SubnetId (RangeToValidSubnetValidationRule's
// default fix), the prefix around its start address.
func rangeSubnet(subnetID, start string, bits sql.NullInt64) (netip.Prefix, error) {
	if !bits.Valid {
		return netip.Prefix{}, fmt.Errorf("no PrefixLength")
	}
	a, err := netip.ParseAddr(subnetID)
	if err != nil {
		if a, err = netip.ParseAddr(start); err != nil {
			return netip.Prefix{}, fmt.Errorf("neither SubnetId %q nor StartIPAddress %q is an address", subnetID, start)
		}
	}
	p, err := a.Prefix(int(bits.Int64))
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("prefix /%d of %s: %w", bits.Int64, a, err)
	}
	return p, nil
}

// mostSpecific is CalculateParentForIPBlock for v1 blocks: the longest
// block of the family containing p, or 0.
func mostSpecific(blocks []blockRow, family string, p netip.Prefix) int64 {
	var best int64
	bits := -1
	for _, b := range blocks {
		if b.family == family && b.prefix.Bits() <= p.Bits() && b.prefix.Contains(p.Addr()) && b.prefix.Bits() > bits {
			best, bits = b.id, b.prefix.Bits()
		}
	}
	return best
}

func lastAddress(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().AsSlice()
	for i := range a {
		for b := 0; b < 8; b++ {
			if i*8+b >= p.Bits() {
				a[i] |= 0x80 >> b
			}
		}
	}
	out, _ := netip.AddrFromSlice(a)
	return out
}

func maskString(p netip.Prefix) string {
	var m [4]byte
	for i := 0; i < p.Bits(); i++ {
		m[i/8] |= 0x80 >> (i % 8)
	}
	return netip.AddrFrom4(m).String()
}

func countChildBlocks(ctx context.Context, c *conv, tx *sql.Tx) error {
	_, err := c.exec(ctx, tx, `UPDATE "ADM_IPBlocksTable" SET "NumberOfChildBlocks" =
		(SELECT COUNT(*) FROM "ADM_IPBlocksTable" ch WHERE ch."ParentBlockRecordId" = "ADM_IPBlocksTable"."RecordId")`)
	return err
}
