package v1gen

import (
	"context"
	"database/sql"
	"fmt"
	"net/netip"
	"time"

	"github.com/ipamd/ipamd/store/schema"
)

// Address space layout. IPv4: blocks 10.0.0.0/8, 172.16.0.0/12,
// 192.168.0.0/16, child /16 blocks of 10/8 (every third /16 has none, so its
// ranges' most specific block is the /8) and one /20 below 10.0/16. Ranges
// sit in /24 subnets; every seventh subnet holds two ranges (conversion must
// give them one subnet), every fiftieth is public space with no block at
// all (a v1 range without a parent; the sixth of each fifty), nine in fifty are in 192.168/16. IPv6
// (every tenth range): block fd00::/8, /48 child blocks for even /48s, ranges
// in /64 subnets.

const (
	blk10, blk172, blk192, blkULA = 1, 2, 3, 4
	firstChildBlock               = 5
)

var (
	mask24 = "255.255.255.0"
	mask64 = "ffff:ffff:ffff:ffff::"
)

func (g *gen) makeBlocks(ctx context.Context, tx *sql.Tx) error {
	b := newBulk(g.d, schema.IPBlocksTable, "Family", "RecordId", "ParentBlockRecordId", "AddressCategory", "Description",
		"EndIPAddress", "LastAssignedDate", "NetworkId", "NumberOfChildBlocks", "Owner", "PrefixLength", "RIRReceivedDate",
		"StartIPAddress", "SubnetMask", "UtilizationStatistics")
	add := func(id int64, family string, parent any, p netip.Prefix, desc string, children int) error {
		g.blocks = append(g.blocks, block{id, family, p})
		mask := any(nil)
		if family == "IPv4" {
			mask = maskOf(p)
		}
		return b.add(ctx, tx, family, id, parent, "Private", desc, lastAddr(p).String(), base, p.Addr().String(), children,
			"netops", p.Bits(), nil, p.Addr().String(), mask, nil)
	}
	// Enough child blocks for the ranges Generate will make (40 addresses a
	// range at least, 256 /24s or /64s per child).
	maxRanges := g.opts.Addresses/40 + 1
	n16 := maxRanges/256 + 1
	if n16 > 256 {
		n16 = 256
	}
	var kids10, kidsULA int
	for h := 0; h < n16; h++ {
		if h%3 != 2 {
			kids10++
		}
		if h%2 == 0 {
			kidsULA++
		}
	}
	if err := add(blk10, "IPv4", nil, netip.MustParsePrefix("10.0.0.0/8"), "corporate", kids10); err != nil {
		return err
	}
	if err := add(blk172, "IPv4", nil, netip.MustParsePrefix("172.16.0.0/12"), "labs", 0); err != nil {
		return err
	}
	if err := add(blk192, "IPv4", nil, netip.MustParsePrefix("192.168.0.0/16"), "branch offices", 0); err != nil {
		return err
	}
	if err := add(blkULA, "IPv6", nil, netip.MustParsePrefix("fd00::/8"), "ULA", kidsULA); err != nil {
		return err
	}
	id := int64(firstChildBlock)
	for h := 0; h < n16; h++ {
		if h%3 != 2 {
			kids := 0
			if h == 0 {
				kids = 1
			}
			if err := add(id, "IPv4", blk10, netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(h), 0, 0}), 16),
				fmt.Sprintf("site %d", h), kids); err != nil {
				return err
			}
			parent := id
			id++
			if h == 0 {
				if err := add(id, "IPv4", parent, netip.MustParsePrefix("10.0.0.0/20"), "site 0 core", 0); err != nil {
					return err
				}
				id++
			}
		}
		if h%2 == 0 {
			var a [16]byte
			a[0], a[4], a[5] = 0xfd, byte(h>>8), byte(h)
			if err := add(id, "IPv6", blkULA, netip.PrefixFrom(netip.AddrFrom16(a), 48), fmt.Sprintf("site %d v6", h), 0); err != nil {
				return err
			}
			id++
		}
	}
	if err := b.flush(ctx, tx); err != nil {
		return err
	}
	g.stats.Blocks = b.n
	// Two utilization samples per IPv4 block.
	u := newBulk(g.d, schema.IPv4AddressBlockUtilizationTable, "BlockRecordId", "StartIPAddress", "EndIPAddress", "PrefixLength",
		"Timestamp", "TotalAssignedAddresses", "TotalAvailableAddresses", "TotalUtilizedAddresses")
	for _, bl := range g.blocks {
		if bl.family != "IPv4" {
			continue
		}
		for s := 0; s < 2; s++ {
			if err := u.add(ctx, tx, bl.id, bl.prefix.Addr().String(), lastAddr(bl.prefix).String(), bl.prefix.Bits(),
				base.Add(time.Duration(s)*24*time.Hour), float64(g.rng.IntN(5000)), 65536.0, float64(g.rng.IntN(4000))); err != nil {
				return err
			}
		}
	}
	return u.flush(ctx, tx)
}

// mostSpecific is the smallest generated block containing p, or 0.
func (g *gen) mostSpecific(p netip.Prefix) int64 {
	var best int64
	bits := -1
	for _, b := range g.blocks {
		if b.prefix.Bits() <= p.Bits() && b.prefix.Contains(p.Addr()) && b.prefix.Bits() > bits {
			best, bits = b.id, b.prefix.Bits()
		}
	}
	return best
}

// writers holds the bulk writers of the address space load.
type writers struct {
	ranges, addrs, assoc, scopes, resv, dnsFwd, rangeUtil *bulk
}

func (g *gen) newWriters() *writers {
	d := g.d
	return &writers{
		ranges: newBulk(d, schema.IPRangeTable, "Family", "RecordId", "ParentIPBlockRecordId", "ScopeRecordId", "AddressAssignment",
			"AddressCategory", "EndIPAddress", "IsOverlapping", "LastAssignedDate", "LastChangeDate", "LastReclaimRuntime",
			"NumberOfChildAddresses", "Owner", "PrefixLength", "StartIPAddress", "UtilizationCalculationType",
			"UtilizationEventLogStatus", "UtilizationStatistics", "SubnetId", "SubnetMask", "Description", "DefaultGateway"),
		addrs: newBulk(d, schema.IPAddressTable, "Family", "RecordId", "RangeRecordId", "AddressAssignment", "AddressCategory",
			"AssignedDate", "ChangedDate", "ExpiryDate", "ExpiryAlertStatus", "AssetTag", "IpAddress", "IsDuplicate", "MacAddress",
			"Notes", "OSName", "OSVersion", "Owner", "SerialNumber", "DeviceName", "ReservationType", "Duid", "Iaid"),
		assoc: newBulk(d, schema.CustomFieldValuesAssociationTable, "RecordId", "ObjectType", "Af", "UsedById", "CustomFieldId",
			"CustomFieldValueId", "Value"),
		scopes: newBulk(d, schema.DHCPScopesTable, "Family", "RecordId", "DHCPServerRecordId", "Description", "DnsUpdateType",
			"EndAddress", "NumberOfActiveLeases", "PrefixLength", "ScopeId", "ScopeName", "StartAddress", "Status", "SubnetMask",
			"TotalNumberOfAddressesInScope", "TotalNumberOfExcludedAddressesInScope", "LeaseDuration", "LeaseDurationType",
			"PreferredLeaseTime", "ValidLeaseTime"),
		resv: newBulk(d, schema.DHCPReservationTable, "Family", "RecordId", "ScopeRecordId", "IPAddressRecordId",
			"ReservationDescription", "ReservationName", "ReservationSyncStatus"),
		dnsFwd: newBulk(d, schema.AddressDNSForwardLookupTable, "Family", "RecordId", "AddressRecordId", "DNSZoneRecordId",
			"DNSServerRecordId", "DnsForwardSyncStatus"),
		rangeUtil: newBulk(d, schema.IPv4AddressRangeUtilizationTable, "RangeRecordId", "StartIPAddress", "EndIPAddress",
			"PrefixLength", "ManagedBy", "ManagedByEntity", "Timestamp", "TotalAssignedAddresses", "TotalAvailableAddresses",
			"TotalUtilizedAddresses"),
	}
}

func (w *writers) flush(ctx context.Context, tx *sql.Tx) error {
	// Referenced before referencing.
	for _, b := range []*bulk{w.scopes, w.ranges, w.addrs, w.assoc, w.resv, w.dnsFwd, w.rangeUtil} {
		if err := b.flush(ctx, tx); err != nil {
			return err
		}
	}
	return nil
}

// rangeSpec is one range to write.
type rangeSpec struct {
	family        string
	subnet        netip.Prefix
	start         netip.Addr
	maxSize       int
	category, dns string
}

// addressSpace writes ranges, addresses and everything hanging off them,
// committing every addressesPerTx addresses.
func (g *gen) addressSpace(ctx context.Context) error {
	w := g.newWriters()
	tx, err := g.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("v1gen: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	var (
		rangeID, addrID, assocID, resvID, fwdID int64
		sinceCommit                             int
		v4Subnet, v6Subnet, u10, c192, pub      int
		pending                                 []rangeSpec
	)
	next := func() rangeSpec {
		if len(pending) > 0 {
			r := pending[0]
			pending = pending[1:]
			return r
		}
		if rangeID%10 == 9 {
			h, x := v6Subnet/256, v6Subnet%256
			v6Subnet++
			var a [16]byte
			a[0], a[4], a[5], a[7] = 0xfd, byte(h>>8), byte(h), byte(x)
			p := netip.PrefixFrom(netip.AddrFrom16(a), 64)
			a[15] = 0x10
			return rangeSpec{"IPv6", p, netip.AddrFrom16(a), 240, "Private", "corp.contoso.com"}
		}
		s := v4Subnet
		v4Subnet++
		var p netip.Prefix
		category := "Private"
		switch {
		case s%50 == 5:
			p = netip.PrefixFrom(netip.AddrFrom4([4]byte{203, byte(pub >> 8), byte(pub), 0}), 24)
			pub++
			category = "Public"
		case s%50 >= 40 && c192 < 256:
			p = netip.PrefixFrom(netip.AddrFrom4([4]byte{192, 168, byte(c192), 0}), 24)
			c192++
		default:
			p = netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(u10 >> 8), byte(u10), 0}), 24)
			u10++
		}
		a := p.Addr().As4()
		if s%7 == 3 {
			// Two ranges in one subnet.
			a2 := a
			a2[3] = 130
			pending = append(pending, rangeSpec{"IPv4", p, netip.AddrFrom4(a2), 121, category, "corp.contoso.com"})
			a[3] = 10
			return rangeSpec{"IPv4", p, netip.AddrFrom4(a), 111, category, "corp.contoso.com"}
		}
		a[3] = 10
		return rangeSpec{"IPv4", p, netip.AddrFrom4(a), 241, category, "corp.contoso.com"}
	}
	for int(addrID) < g.opts.Addresses {
		if err := ctx.Err(); err != nil {
			return err
		}
		r := next()
		rangeID++
		size := 40 + g.rng.IntN(r.maxSize-39)
		if rest := g.opts.Addresses - int(addrID); size > rest {
			size = rest
		}
		end := r.start
		for i := 1; i < size; i++ {
			end = end.Next()
		}
		af, mask, gateway := "InterNetwork", mask24, any(r.subnet.Addr().Next().String())
		if r.family == "IPv6" {
			af, mask = "InterNetworkV6", mask64
			if rangeID%3 == 0 {
				gateway = nil
			}
		}
		if r.subnet.Bits() != 24 && r.family == "IPv4" {
			mask = maskOf(r.subnet)
		}
		var parent any
		if p := g.mostSpecific(r.subnet); p != 0 {
			parent = p
		}
		dynamic := (r.family == "IPv4" && rangeID%3 == 1 && r.maxSize == 241) || (r.family == "IPv6" && rangeID%4 == 3)
		assignment, managedBy := "Static", 0 // "IPAM"
		var scope any
		if dynamic {
			g.nextScope++
			scope = g.nextScope
			assignment, managedBy = "Dynamic", 1 // "MS DHCP"
			servers := g.dhcpServers[r.family]
			server := servers[int(rangeID)%len(servers)]
			var lease, pref, valid any = "P8D", nil, nil
			leaseType := any("Limited")
			if r.family == "IPv6" {
				lease, leaseType, pref, valid = nil, nil, "P8D", "P12D"
			}
			if err := w.scopes.add(ctx, tx, r.family, g.nextScope, server, "scope of range "+r.subnet.String(), "UpdateOnRequest",
				end.String(), float64(size/2), r.subnet.Bits(), r.subnet.Addr().String(), fmt.Sprintf("Scope %d", g.nextScope),
				r.start.String(), "Active", mask, float64(size), 0.0, lease, leaseType, pref, valid); err != nil {
				return err
			}
			g.stats.Scopes++
		}
		last := base.Add(time.Duration(rangeID) * time.Minute)
		util := fmt.Sprintf(`{"TotalAssignedAddresses":%d,"TotalAvailableAddresses":%d,"TotalUtilizedAddresses":%d}`, size, size, size*3/4)
		if err := w.ranges.add(ctx, tx, r.family, rangeID, parent, scope, assignment, r.category, end.String(), false, last, last, nil,
			size, "netops", r.subnet.Bits(), r.start.String(), "Calculated", "NotLogged", util,
			r.subnet.Addr().String(), mask, fmt.Sprintf("range %d in %s", rangeID, r.subnet), gateway); err != nil {
			return err
		}
		g.stats.Ranges++
		// Range custom fields: Managed by, Managed by entity, sometimes Region.
		assocID++
		if err := w.assoc.add(ctx, tx, assocID, "IPRange", af, rangeID, fieldManagedBy, g.values[fieldManagedBy][managedBy], nil); err != nil {
			return err
		}
		assocID++
		if err := w.assoc.add(ctx, tx, assocID, "IPRange", af, rangeID, fieldManagedByEntity, g.values[fieldManagedByEntity][0], nil); err != nil {
			return err
		}
		if rangeID%10 == 0 {
			assocID++
			region := g.values[fieldRegion][g.rng.IntN(len(g.values[fieldRegion]))]
			if err := w.assoc.add(ctx, tx, assocID, "IPRange", af, rangeID, fieldRegion, region, nil); err != nil {
				return err
			}
		}
		if r.family == "IPv4" {
			for s := 0; s < 2; s++ {
				if err := w.rangeUtil.add(ctx, tx, rangeID, r.start.String(), end.String(), r.subnet.Bits(),
					[]string{"IPAM", "MS DHCP"}[managedBy], "Localhost", last.Add(time.Duration(s)*time.Hour),
					float64(size), float64(size), float64(size*3/4)); err != nil {
					return err
				}
			}
		}
		a := r.start
		for i := 0; i < size; i++ {
			addrID++
			if err := g.address(ctx, tx, w, r, a, addrID, rangeID, assignment, af, managedBy, &assocID); err != nil {
				return err
			}
			if dynamic && i < 2 {
				resvID++
				if err := w.resv.add(ctx, tx, r.family, resvID, scope, addrID, "printer reservation",
					fmt.Sprintf("prn-%d", addrID), "InSync"); err != nil {
					return err
				}
				g.stats.Reservations++
			}
			if addrID%20 == 0 {
				fwdID++
				if err := w.dnsFwd.add(ctx, tx, r.family, fwdID, addrID, g.forwardZone, g.serverZone, "InSync"); err != nil {
					return err
				}
			}
			a = a.Next()
		}
		sinceCommit += size
		if w.addrs.pending() >= w.addrs.perStmt {
			if err := w.flush(ctx, tx); err != nil {
				return err
			}
		}
		if sinceCommit >= addressesPerTx || int(addrID) >= g.opts.Addresses {
			if err := w.flush(ctx, tx); err != nil {
				return err
			}
			if err := tx.Commit(); err != nil {
				return fmt.Errorf("v1gen: commit: %w", err)
			}
			if g.opts.Progress != nil {
				g.opts.Progress(addrID)
			}
			sinceCommit = 0
			if int(addrID) < g.opts.Addresses {
				if tx, err = g.db.BeginTx(ctx, nil); err != nil {
					return fmt.Errorf("v1gen: %w", err)
				}
			}
		}
	}
	if addrID == 0 {
		// No addresses: nothing opened a transaction that needs committing.
		_ = tx.Rollback()
	}
	g.stats.Addresses = addrID
	g.stats.Associations = assocID
	return nil
}

// address writes one address and its custom field values. One in a hundred
// lacks Managed by and one in two hundred has two (the cases conversion's
// upgrade rule ObjectsWithoutMBandSI fixes); one in five has a device type.
func (g *gen) address(ctx context.Context, tx *sql.Tx, w *writers, r rangeSpec, a netip.Addr, id, rangeID int64,
	assignment, af string, managedBy int, assocID *int64) error {
	t := base.Add(time.Duration(id) * time.Second)
	var expiry any
	if id%11 == 0 {
		expiry = t.Add(365 * 24 * time.Hour)
	}
	var resType, duid, iaid any
	if r.family == "IPv4" {
		resType = "Both"
	} else if id%5 == 0 {
		duid, iaid = fmt.Sprintf("00-01-00-01-%08x", id), id%100000
	}
	mac := fmt.Sprintf("00-15-5D-%02X-%02X-%02X", byte(id>>16), byte(id>>8), byte(id))
	if err := w.addrs.add(ctx, tx, r.family, id, rangeID, assignment, r.category, t, t, expiry, "NotExpired",
		fmt.Sprintf("AT%07d", id), a.String(), false, mac, nil, "Windows", "6.2", "netops", fmt.Sprintf("SN%07d", id),
		fmt.Sprintf("host-%d.%s", id, r.dns), resType, duid, iaid); err != nil {
		return err
	}
	add := func(field int, value int64) error {
		*assocID++
		return w.assoc.add(ctx, tx, *assocID, "IPAddress", af, id, field, value, nil)
	}
	switch roll := g.rng.IntN(200); {
	case roll < 2: // no Managed by
	case roll < 3: // two
		if err := add(fieldManagedBy, g.values[fieldManagedBy][managedBy]); err != nil {
			return err
		}
		if err := add(fieldManagedBy, g.values[fieldManagedBy][4]); err != nil {
			return err
		}
	default:
		if err := add(fieldManagedBy, g.values[fieldManagedBy][managedBy]); err != nil {
			return err
		}
	}
	if err := add(fieldManagedByEntity, g.values[fieldManagedByEntity][0]); err != nil {
		return err
	}
	if g.rng.IntN(5) == 0 {
		dt := g.values[fieldDeviceType]
		if err := add(fieldDeviceType, dt[g.rng.IntN(len(dt))]); err != nil {
			return err
		}
	}
	return nil
}

func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().AsSlice()
	bits := p.Bits()
	for i := range a {
		for b := 0; b < 8; b++ {
			if i*8+b >= bits {
				a[i] |= 0x80 >> b
			}
		}
	}
	out, _ := netip.AddrFromSlice(a)
	return out
}

func maskOf(p netip.Prefix) string {
	var m [4]byte
	for i := 0; i < p.Bits(); i++ {
		m[i/8] |= 0x80 >> (i % 8)
	}
	return netip.AddrFrom4(m).String()
}
