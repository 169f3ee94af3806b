package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ipamd/ipamd/services"
	"github.com/ipamd/ipamd/store/schema"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// RowKind is what an enumeration reads (MS-IPAMM2 3.5.4.8.1; which
// parameter types map to which query: docs/data-model.md, "Enumerated
// rows"). The store answers the services' query type itself, so a Manager
// is a services.RowSource without an adapter.
type RowKind = services.RowKind

// The kinds of rows: RangeRows reads ADM_IPRangeTable as IPv4Range /
// IPv6Range, AddressRows ADM_IPAddressTable as IpamIPv4Address /
// IpamIPv6Address.
const (
	RangeRows   = services.RangeRows
	AddressRows = services.AddressRows
)

// RowQuery selects the rows of one enumeration (services.RowQuery: Kind,
// IPv6 = the simple table of the compound one, AddressSpaceID =
// AddressSpaceRecordId, RangeID = RangeRecordId of addresses, Category =
// AddressCategory, Virtualization = the VirtualizationType values that
// match). Nil filters do not filter.
type RowQuery = services.RowQuery

// EnumerateRows reads the rows q selects from the active store (see
// Store.EnumerateRows).
func (m *Manager) EnumerateRows(ctx context.Context, q RowQuery, emit func(ipam.AnyIpamObject) error) error {
	m.mu.Lock()
	if err := m.refreshLocked(ctx); err != nil {
		m.mu.Unlock()
		return err
	}
	s, provisioned := m.store, m.status.Provisioned
	m.mu.Unlock()
	if s == nil || !provisioned {
		return ErrNotProvisioned
	}
	return s.EnumerateRows(ctx, q, emit)
}

// EnumerateRows reads the rows q selects in one read transaction, ordered
// by RecordId, and hands each to emit as it is read: the result is never
// held in memory, and a slow emit (the session's writes) holds the cursor
// (back-pressure). Cancelling ctx cancels the query. Each row is built as
// GetIPRangeFromTable / GetIPAddressFromTable build it (3.1.1.1.1.2.1,
// 3.1.1.1.3.2.2), with its custom field values; what the store has no data
// for is nil.
func (s *Store) EnumerateRows(ctx context.Context, q RowQuery, emit func(ipam.AnyIpamObject) error) error {
	opts := &sql.TxOptions{}
	if s.dialect == schema.PostgreSQL {
		// One snapshot for the whole enumeration. (SQLite's deferred
		// transaction reads one WAL snapshot from its first SELECT.)
		opts = &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead}
	}
	tx, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("store: enumerate: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	switch q.Kind {
	case RangeRows:
		err = s.enumerateRanges(ctx, tx, q, emit)
	case AddressRows:
		err = s.enumerateAddresses(ctx, tx, q, emit)
	default:
		err = s.enumerateMore(ctx, tx, q, emit) // enumerate_blocks.go
	}
	return err
}

// where builds a WHERE clause with the dialect's placeholders.
type where struct {
	d     schema.Dialect
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	for range args {
		cond = strings.Replace(cond, "?", w.d.Placeholder(len(w.args)+1), 1)
		w.args = append(w.args, args[0])
		args = args[1:]
	}
	w.conds = append(w.conds, cond)
}

func (w *where) in(col string, values []string) {
	ph := make([]string, len(values))
	for i, v := range values {
		w.args = append(w.args, v)
		ph[i] = w.d.Placeholder(len(w.args))
	}
	w.conds = append(w.conds, col+" IN ("+strings.Join(ph, ", ")+")")
}

func (w *where) String() string { return " WHERE " + strings.Join(w.conds, " AND ") }

func family(q RowQuery) string {
	if q.IPv6 {
		return "IPv6"
	}
	return "IPv4"
}

// customFieldColumns are the custom field value columns of the LEFT JOINs
// below: one result row per value, none (NULLs) for an object without.
const customFieldColumns = `cfa."RecordId", cfv."RecordId", cfv."BuiltInCustomFieldValueId", cf."Name", cf."BuiltinCustomFieldNumber",
	cf."RecordId", COALESCE(cfv."Value", cfa."Value")`

func customFieldJoins(objectType, alias string) string {
	return ` LEFT JOIN "ADM_CustomFieldValuesAssociationTable" cfa ON cfa."ObjectType" = '` + objectType + `' AND cfa."UsedById" = ` + alias + `."RecordId"
	LEFT JOIN "ADM_CustomFieldValuesTable" cfv ON cfv."RecordId" = cfa."CustomFieldValueId"
	LEFT JOIN "ADM_CustomFieldsTable" cf ON cf."RecordId" = cfa."CustomFieldId"`
}

type customFieldScan struct {
	assoc, valueID, builtIn, fieldID sql.NullInt64
	name, number, text               sql.NullString
}

func (c *customFieldScan) dest() []any {
	return []any{&c.assoc, &c.valueID, &c.builtIn, &c.name, &c.number, &c.fieldID, &c.text}
}

func (c *customFieldScan) value() *ipam.CustomFieldValue {
	if !c.assoc.Valid {
		return nil
	}
	return &ipam.CustomFieldValue{
		BuiltInCustomFieldValueID: c.builtIn.Int64, ParentCustomFieldName: c.name.String,
		// The store keeps the BuiltInCustomField literal ("Rir"), the
		// member is its number (enumerate_blocks.go).
		ParentCustomFieldNumber: fieldNumber(c.number), ParentCustomFieldRecordID: c.fieldID.Int64,
		RecordID: c.valueID.Int64, Value: c.text.String,
	}
}

// fieldNumber is builtinNumber of a stored BuiltinCustomFieldNumber,
// without ParseInt's error (an allocation per value) for a literal.
func fieldNumber(s sql.NullString) int32 {
	t := strings.TrimSpace(s.String)
	if isInteger(t) {
		if n, err := strconv.ParseInt(t, 10, 32); err == nil {
			return int32(n)
		}
	}
	if f, ok := schema.BuiltinCustomFieldByLiteral(t); ok {
		return int32(f.Number)
	}
	return 0
}

// isInteger reports whether s looks like a decimal integer (a number
// the column holds as text): what is not is 0 without ParseInt's error,
// which allocates for each of the rows' values.
func isInteger(s string) bool {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	if s == "" {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// addressSpaceJoins name a row's address space: its own name for a
// provider space; for a customer space its name and its provider's.
const addressSpaceJoins = ` LEFT JOIN "ADM_AddressSpaceTable" sp ON sp."RecordId" = %[1]s."AddressSpaceRecordId"
	LEFT JOIN "ADM_AddressSpaceTable" pp ON pp."RecordId" = sp."ProviderAddressSpaceRecordId"`

func spaceNames(family, name, provider sql.NullString) (prov, cust *string) {
	if !name.Valid {
		return nil, nil
	}
	if family.String == "Customer" {
		return nullString(provider), &name.String
	}
	return &name.String, nil
}

func (s *Store) enumerateRanges(ctx context.Context, tx *sql.Tx, q RowQuery, emit func(ipam.AnyIpamObject) error) error {
	w := &where{d: s.dialect}
	w.add(`r."Family" = ?`, family(q))
	if q.AddressSpaceID != nil {
		w.add(`r."AddressSpaceRecordId" = ?`, *q.AddressSpaceID)
	}
	if q.Category != nil {
		w.add(`r."AddressCategory" = ?`, *q.Category)
	}
	if q.Virtualization != nil {
		w.in(`COALESCE(r."VirtualizationType", 'NonVirtualized')`, q.Virtualization)
	}
	columns := `r."RecordId", r."ParentIPBlockRecordId", r."AddressSpaceRecordId", r."ScopeRecordId",
		r."AddressAssignment", r."AddressCategory", r."StartIPAddress", r."EndIPAddress", r."IsOverlapping",
		r."LastAssignedDate", r."LastChangeDate", r."LastReclaimRuntime", r."NumberOfChildAddresses", r."Owner",
		r."PrefixLength", r."UtilizationCalculationType", r."UtilizationEventLogStatus", r."UseForUtilization",
		r."ConnectionSpecificDNSSuffix", r."VirtualizationType", r."SubnetId", r."SubnetMask", r."Description",
		sp."Family", sp."Name", pp."Name", ` + customFieldColumns
	from := `
		FROM "ADM_IPRangeTable" r` + fmt.Sprintf(addressSpaceJoins, "r") + customFieldJoins("IPRange", "r") +
		w.String() + ` ORDER BY r."RecordId"`
	var stmts pageStatements
	defer stmts.Close()
	var err error
	if stmts.columns, err = tx.PrepareContext(ctx, `SELECT `+columns+from); err != nil {
		return fmt.Errorf("store: enumerate ranges: %w", err)
	}
	if s.dialect == schema.SQLite && packedSQLitePages {
		if stmts.packed, err = tx.PrepareContext(ctx, `SELECT `+packed(columns)+from); err != nil {
			return fmt.Errorf("store: enumerate ranges: %w", err)
		}
	}
	var (
		id                                        int64
		parent, space, scope, children, prefix    sql.NullInt64
		assign, category, start, end, owner       sql.NullString
		calc, logStatus, suffix, virt, sid, smask sql.NullString
		desc, spFamily, spName, ppName            sql.NullString
		overlapping, useForUtil                   sql.NullBool
		assigned, changed, reclaim                any
		cf                                        customFieldScan
		cur                                       *ipam.IPRangeRow
		emitted                                   = int64(math.MinInt64)
		emitErr                                   error
	)
	dest := append([]any{&id, &parent, &space, &scope, &assign, &category, &start, &end, &overlapping,
		&assigned, &changed, &reclaim, &children, &owner, &prefix, &calc, &logStatus, &useForUtil,
		&suffix, &virt, &sid, &smask, &desc, &spFamily, &spName, &ppName}, cf.dest()...)
	// The ranges are one query, emitted as they are read: when the packed
	// form is read again column by column, the ranges already emitted are
	// skipped and the one being read is read again.
	err = stmts.read(ctx, w.args, dest, func() error {
		cur = nil
		return nil
	}, func() error {
		if id <= emitted {
			return nil
		}
		if cur == nil || cur.RecordID != id {
			if cur != nil {
				sortValues(cur.CustomFieldValues)
				if emitErr = emit(cur); emitErr != nil {
					return emitErr
				}
				emitted = cur.RecordID
			}
			startAddr, endAddr := ipam.ParseIPAddressText(start.String), ipam.ParseIPAddressText(end.String)
			prov, cust := spaceNames(spFamily, spName, ppName)
			cur = &ipam.IPRangeRow{
				AccessScopeID: 1, IsInheritedAccessScope: true, // the Global access scope, inherited
				AddressAssignment: orDefault(assign, "None"), AddressCategory: orDefault(category, "None"),
				AddressSpaceRecordID: space.Int64, ConnectionSpecificDNSSuffix: nullString(suffix),
				CustomFieldValues: []*ipam.CustomFieldValue{}, CustomerAddressSpaceName: cust,
				DNSServers: []string{}, DNSSuffixes: []string{}, Description: nullString(desc),
				EndIPAddress: endAddr, IsOverlapping: overlapping.Bool,
				LastAssignedDate: asTime(assigned), LastChangeDate: asTime(changed), LastReclaimRuntime: asTime(reclaim),
				NumberOfChildAddresses: int32(children.Int64), Owner: nullString(owner),
				ParentIPBlockRecordID: nullInt(parent), PrefixLength: int32(prefix.Int64),
				ProviderAddressSpaceName: prov, RangeOverlapState: "NotOverlapping", RecordID: id,
				ScopeRecordID: nullInt(scope), StartIPAddress: startAddr,
				SubnetID: ipam.ParseIPAddressText(sid.String), SubnetMask: ipam.ParseIPAddressText(smask.String),
				UseForUtilization: useForUtil.Bool, UtilizationCalculationType: orDefault(calc, "None"),
				UtilizationEventLogStatus: orDefault(logStatus, "None"), VirtualizationType: orDefault(virt, "NonVirtualized"),
			}
			if overlapping.Bool {
				cur.RangeOverlapState = "Overlapping"
			}
			if !q.IPv6 {
				cur.WINSServers = []string{}
			}
		}
		if v := cf.value(); v != nil {
			cur.CustomFieldValues = append(cur.CustomFieldValues, v)
		}
		return nil
	})
	if emitErr != nil {
		return emitErr
	}
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("store: enumerate ranges: %w", ctx.Err())
		}
		return fmt.Errorf("store: enumerate ranges: %w", err)
	}
	if cur != nil {
		sortValues(cur.CustomFieldValues)
		return emit(cur)
	}
	return nil
}

// enumeratePage is how many rows one page query reads at most
// (addresses): a page is read, its custom field values are read by a
// second query over the page's RecordId range, and its rows are emitted.
// The first page is firstEnumeratePage rows, so the first row goes out
// after a few rows are read (issue 19: within 100 ms of Start); each next
// page is four times larger, up to enumeratePage.
const (
	enumeratePage      = 512
	firstEnumeratePage = 8
)

// addressScan is what an address row points into: the page's rows are
// one allocation (a slab), and each row and its pointers (strings, times,
// the MAC address) point into its element. The columns the row copies
// are scanned into an addressColumns, reused from row to row: the smaller
// the element, the less the collector has to do per row.
type addressScan struct {
	id                                         int64
	rangeID                                    sql.NullInt64
	asset, notes, osName, osVersion, owner     sql.NullString
	serial, device, duid, spName, providerName sql.NullString

	out   ipam.IPAddressRow
	times [3]time.Time
	iaid4 uint32
	macs  [maxMAC]byte
}

// addressColumns are the columns of an address row that its members copy.
type addressColumns struct {
	space, iaid                                     sql.NullInt64
	assign, category, expiryStatus, addr, mac, virt sql.NullString
	reservation, rStart, rEnd, spFamily             sql.NullString
	duplicate, fromDNS                              sql.NullBool
	assigned, changed, expiry                       timeColumn
}

// bind is the scan destinations of the page query's columns, in a and c,
// in buf's array (pointers in interfaces: no allocation); without the
// address space's when they come from memory.
func (a *addressScan) bind(buf []any, c *addressColumns, spaces map[int64]addressSpace) []any {
	buf = append(buf[:0], &a.id, &a.rangeID, &c.space, &c.assign, &c.category, &c.assigned, &c.changed, &c.expiry, &c.expiryStatus,
		&a.asset, &c.addr, &c.duplicate, &c.mac, &a.notes, &a.osName, &a.osVersion, &a.owner, &a.serial, &a.device, &c.virt, &c.fromDNS,
		&c.reservation, &a.duid, &c.iaid, &c.rStart, &c.rEnd)
	if spaces != nil {
		return buf
	}
	return append(buf, &c.spFamily, &a.spName, &a.providerName)
}

// row builds the row in a (a slab's element: its pointers point into it)
// from it and c, with the address space's names from spaces when they are
// in memory.
func (a *addressScan) row(c *addressColumns, spaces map[int64]addressSpace, now time.Time) *ipam.IPAddressRow {
	if spaces != nil {
		sp := spaces[c.space.Int64]
		c.spFamily, a.spName, a.providerName = sp.family, sp.name, sp.provider
	}
	prov, cust := spaceNamesOf(&c.spFamily, &a.spName, &a.providerName)
	exp := c.expiry.into(&a.times[2])
	a.out = ipam.IPAddressRow{
		AccessScopeID: 1, Address: ipam.ParseIPAddressText(c.addr.String),
		AddressAssignment: orDefault(c.assign, "None"), AddressCategory: orDefault(c.category, "None"),
		AddressSpaceRecordID: c.space.Int64, AssetTag: stringPtr(&a.asset),
		AssignedDate: c.assigned.into(&a.times[0]), ChangedDate: c.changed.into(&a.times[1]),
		CreatedFromDNSResourceRecord: c.fromDNS.Bool, CustomFieldValues: []*ipam.CustomFieldValue{},
		CustomerAddressSpaceName: cust, DeviceName: stringPtr(&a.device),
		ExpiryAndAlertEventLoggingStatus: orDefault(c.expiryStatus, "None"), ExpiryDate: exp,
		IsDuplicate: c.duplicate.Bool, IsExpired: exp != nil && exp.Before(now),
		MacAddress: parseMACInto(&a.macs, c.mac), Notes: stringPtr(&a.notes), OSName: stringPtr(&a.osName),
		OSVersion: stringPtr(&a.osVersion), Owner: stringPtr(&a.owner),
		ParentIPRangeStartIP: ipam.ParseIPAddressText(c.rStart.String), ParentIPRangeEndIP: ipam.ParseIPAddressText(c.rEnd.String),
		ParentIPRangeRecordID: intPtr(&a.rangeID), ProviderAddressSpaceName: prov, RecordID: a.id,
		SerialNumber: stringPtr(&a.serial), VirtualizationType: orDefault(c.virt, "NonVirtualized"),
		ReservationType: orDefault(c.reservation, "Dhcp"), Duid: stringPtr(&a.duid),
	}
	if c.iaid.Valid && c.iaid.Int64 >= 0 && c.iaid.Int64 <= 1<<32-1 {
		a.iaid4 = uint32(c.iaid.Int64)
		a.out.Iaid = &a.iaid4
	}
	return &a.out
}

// enumerateAddresses reads the addresses page by page (keyset pagination
// on RecordId, inside the one read transaction, so the pages are one
// snapshot) with two prepared statements: the page's addresses with their
// range and address space (primary key joins), then the page's custom
// field values ordered by UsedById, merged into the rows. The values are
// not joined into the address query: that repeated every address column
// for each of its values (2–3 result rows per address).
func (s *Store) enumerateAddresses(ctx context.Context, tx *sql.Tx, q RowQuery, emit func(ipam.AnyIpamObject) error) error {
	w := &where{d: s.dialect}
	w.add(`a."Family" = ?`, family(q))
	if q.AddressSpaceID != nil {
		w.add(`a."AddressSpaceRecordId" = ?`, *q.AddressSpaceID)
	}
	if q.RangeID != nil {
		w.add(`a."RangeRecordId" = ?`, *q.RangeID)
	}
	if q.Category != nil {
		w.add(`a."AddressCategory" = ?`, *q.Category)
	}
	if q.Virtualization != nil {
		w.in(`COALESCE(a."VirtualizationType", 'NonVirtualized')`, q.Virtualization)
	}
	w.add(`a."RecordId" > ?`, int64(-1<<62))
	after := len(w.args) - 1
	w.args = append(w.args, int64(firstEnumeratePage))
	limit := len(w.args) - 1
	spaces, err := readAddressSpaces(ctx, tx)
	if err != nil {
		return fmt.Errorf("store: enumerate addresses: %w", err)
	}
	spaceCols, spaceJoins := `, sp."Family", sp."Name", pp."Name"`, fmt.Sprintf(addressSpaceJoins, "a")
	if spaces != nil { // in memory (enumerate_cache.go)
		spaceCols, spaceJoins = "", ""
	}
	columns := `a."RecordId", a."RangeRecordId", a."AddressSpaceRecordId", a."AddressAssignment", a."AddressCategory",
		a."AssignedDate", a."ChangedDate", a."ExpiryDate", a."ExpiryAlertStatus", a."AssetTag", a."IpAddress",
		a."IsDuplicate", a."MacAddress", a."Notes", a."OSName", a."OSVersion", a."Owner", a."SerialNumber",
		a."DeviceName", a."VirtualizationType", a."IsCreatedFromDNS", a."ReservationType", a."Duid", a."Iaid",
		r."StartIPAddress", r."EndIPAddress"` + spaceCols
	from := `
		FROM "ADM_IPAddressTable" a
		LEFT JOIN "ADM_IPRangeTable" r ON r."RecordId" = a."RangeRecordId"` + spaceJoins +
		w.String() + ` ORDER BY a."RecordId" LIMIT ` + s.dialect.Placeholder(limit+1)
	var stmts pageStatements
	defer stmts.Close()
	if stmts.columns, err = tx.PrepareContext(ctx, `SELECT `+columns+from); err != nil {
		return fmt.Errorf("store: enumerate addresses: %w", err)
	}
	if s.dialect == schema.SQLite && packedSQLitePages {
		if stmts.packed, err = tx.PrepareContext(ctx, `SELECT `+packed(columns)+from); err != nil {
			return fmt.Errorf("store: enumerate addresses: %w", err)
		}
	}
	values, err := prepareCustomFieldValues(ctx, tx, s.dialect, "IPAddress")
	if err != nil {
		return fmt.Errorf("store: enumerate addresses: %w", err)
	}
	defer values.Close()
	// Three goroutines share the work: the reader steps the queries
	// inside the transaction, the builder makes the rows of each page
	// (splitting the packed text, converting the members, merging the
	// custom field values), and this one encodes and sends them. On two
	// cores the reader alone was the limit when it built the rows too. At
	// most five pages are alive: one being read, one waiting, one being
	// built, one waiting, one emitted.
	readCtx, cancel := context.WithCancel(ctx)
	raw := make(chan rawAddressPage, 1)
	pages := make(chan addressPage, 1)
	var workers sync.WaitGroup
	defer workers.Wait() // after cancel: both are done with the transaction before it ends
	defer cancel()
	workers.Go(func() {
		defer close(raw)
		size := firstEnumeratePage
		for {
			p := readAddressPage(readCtx, &stmts, values, spaces, w.args, size)
			select {
			case raw <- p:
			case <-readCtx.Done():
				return
			}
			if p.err != nil || p.n < size {
				return
			}
			size = min(4*size, enumeratePage)
			w.args[after], w.args[limit] = p.last, int64(size)
		}
	})
	workers.Go(func() {
		defer close(pages)
		now := time.Now()
		for r := range raw {
			p := buildAddressPage(readCtx, &stmts, values, spaces, r, now)
			select {
			case pages <- p:
			case <-readCtx.Done():
				return
			}
		}
	})
	for p := range pages {
		if p.err != nil {
			if ctx.Err() != nil {
				// Cancelling the transaction's context closes its
				// statements: the reader's error is the cancellation.
				return fmt.Errorf("store: enumerate addresses: %w", ctx.Err())
			}
			return fmt.Errorf("store: enumerate addresses: %w", p.err)
		}
		for _, r := range p.rows {
			if err := emit(r); err != nil {
				return err
			}
		}
	}
	return ctx.Err()
}

// rawAddressPage is one page of addresses as the reader read it: the
// packed text of each row (SQLite), or the rows themselves (column by
// column), with the page's custom field values in row order and the
// page's arguments (to read it again column by column); or the error that
// ended the reading.
type rawAddressPage struct {
	texts       []string
	rows        []*ipam.IPAddressRow
	n           int   // rows read
	first, last int64 // the RecordIds of the first and the last
	args        []any
	// The values: packed (customFieldValues.readPacked) for the builder
	// to read, or read.
	valuesText  string
	values      []*ipam.CustomFieldValue
	valueOwners []int64 // UsedById of each of values
	err         error
}

// addressPage is one page of address rows, complete with their custom
// field values, or the error that ended the reading.
type addressPage struct {
	rows []*ipam.IPAddressRow
	err  error
}

// readAddressPage reads one page: its rows (packed, when the query is) and
// their custom field values.
func readAddressPage(ctx context.Context, page *pageStatements, values *customFieldValues, spaces map[int64]addressSpace, args []any, size int) rawAddressPage {
	p := rawAddressPage{args: slices.Clone(args)}
	if page.packed != nil {
		var text string
		texts := make([]string, 0, size)
		err := readPage(ctx, page.packed, args, func(rs *sql.Rows) error {
			if err := rs.Scan(&text); err != nil {
				return err
			}
			texts = append(texts, text)
			return nil
		})
		switch {
		case err != nil && ctx.Err() != nil:
			return rawAddressPage{err: err}
		case err == nil && len(texts) == 0:
			return p
		}
		// The RecordId is the first member: the rest is read by the builder.
		ok := err == nil
		if ok {
			if p.first, ok = packedRecordID(texts[0]); ok {
				p.last, ok = packedRecordID(texts[len(texts)-1])
			}
		}
		if ok {
			p.texts, p.n = texts, len(texts)
		} else if testHookPackedFallback != nil {
			// SQLite refused to pack a value (a BLOB), or the text is not
			// as json_array writes it: read the page column by column.
			testHookPackedFallback()
		}
	}
	if p.texts == nil {
		rows, err := readAddressColumns(ctx, page.columns, spaces, args, size, time.Now())
		if err != nil {
			return rawAddressPage{err: err}
		}
		p.rows, p.n = rows, len(rows)
		if p.n > 0 {
			p.first, p.last = rows[0].RecordID, rows[p.n-1].RecordID
		}
	}
	if p.n == 0 {
		return p
	}
	if values.packed != nil {
		text, ok, err := values.readPacked(ctx, p.first, p.last)
		if err != nil {
			return rawAddressPage{err: err}
		}
		if ok {
			p.valuesText = text
			return p
		}
		if testHookPackedFallback != nil {
			testHookPackedFallback()
		}
	}
	if err := p.readValues(ctx, values); err != nil {
		return rawAddressPage{err: err}
	}
	return p
}

// readValues reads the page's custom field values column by column.
func (p *rawAddressPage) readValues(ctx context.Context, values *customFieldValues) error {
	var vs valueSlab
	return readCustomFieldValues(ctx, values, p.first, p.last, &vs, p.resetValues())
}

// resetValues empties the page's values and returns what adds one.
func (p *rawAddressPage) resetValues() func(usedBy int64, v *ipam.CustomFieldValue) {
	p.values, p.valueOwners = make([]*ipam.CustomFieldValue, 0, 3*p.n), make([]int64, 0, 3*p.n)
	return func(usedBy int64, v *ipam.CustomFieldValue) {
		p.values, p.valueOwners = append(p.values, v), append(p.valueOwners, usedBy)
	}
}

// parseValues reads the page's packed custom field values; read again
// column by column when one is not read exactly.
func (p *rawAddressPage) parseValues(ctx context.Context, values *customFieldValues) error {
	var vs valueSlab
	err := values.parsePacked(p.valuesText, &vs, p.resetValues())
	if !errors.Is(err, errPackedRow) {
		return err
	}
	if testHookPackedFallback != nil {
		testHookPackedFallback()
	}
	return p.readValues(ctx, values)
}

// packedRecordID is the first member of a packed row, an integer.
func packedRecordID(text string) (int64, bool) {
	i := strings.IndexByte(text, ',')
	if len(text) < 3 || text[0] != '[' || i < 0 || !isJSONInteger(text[1:i]) {
		return 0, false
	}
	n, err := strconv.ParseInt(text[1:i], 10, 64)
	return n, err == nil
}

// buildAddressPage makes the rows of a page the reader read, with their
// custom field values.
func buildAddressPage(ctx context.Context, page *pageStatements, values *customFieldValues, spaces map[int64]addressSpace, r rawAddressPage, now time.Time) addressPage {
	if r.err != nil || r.n == 0 {
		return addressPage{err: r.err}
	}
	if r.valuesText != "" {
		if err := r.parseValues(ctx, values); err != nil {
			return addressPage{err: err}
		}
	}
	rows := r.rows
	if r.texts != nil {
		var err error
		if rows, err = buildPackedAddresses(r.texts, spaces, now); errors.Is(err, errPackedRow) {
			if testHookPackedFallback != nil {
				testHookPackedFallback()
			}
			// The same snapshot and arguments: the same rows.
			rows, err = readAddressColumns(ctx, page.columns, spaces, r.args, r.n, now)
		}
		if err != nil {
			return addressPage{err: err}
		}
	}
	// In row order, each row's values are a run of the page's list.
	orderByOwner(r.values, r.valueOwners)
	i := 0
	for a := 0; a < len(r.values); {
		for i < len(rows) && rows[i].RecordID < r.valueOwners[a] {
			i++
		}
		b := a + 1
		for b < len(r.values) && r.valueOwners[b] == r.valueOwners[a] {
			b++
		}
		if i < len(rows) && rows[i].RecordID == r.valueOwners[a] {
			rows[i].CustomFieldValues = r.values[a:b:b]
			sortValues(rows[i].CustomFieldValues)
		}
		a = b
	}
	return addressPage{rows: rows}
}

// orderByOwner orders values by their owners (stable), when they are not.
func orderByOwner(values []*ipam.CustomFieldValue, owners []int64) {
	if slices.IsSorted(owners) {
		return
	}
	idx := make([]int, len(owners))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(owners[a], owners[b]) })
	v, o := slices.Clone(values), slices.Clone(owners)
	for i, k := range idx {
		values[i], owners[i] = v[k], o[k]
	}
}

// buildPackedAddresses makes the rows of packed texts; errPackedRow when
// one is not read exactly.
func buildPackedAddresses(texts []string, spaces map[int64]addressSpace, now time.Time) ([]*ipam.IPAddressRow, error) {
	rows := make([]*ipam.IPAddressRow, 0, len(texts))
	slab := make([]addressScan, len(texts))
	var (
		cols    addressColumns
		dest    []any
		members = make([]jsonMember, 0, 32)
	)
	for k, text := range texts {
		dest = slab[k].bind(dest, &cols, spaces)
		var err error
		if members, err = splitJSONArray(text, members); err != nil {
			return nil, err
		}
		if err := scanPacked(members, dest); err != nil {
			return nil, err
		}
		rows = append(rows, slab[k].row(&cols, spaces, now))
	}
	return rows, nil
}

// readAddressColumns reads a page column by column.
func readAddressColumns(ctx context.Context, stmt *sql.Stmt, spaces map[int64]addressSpace, args []any, size int, now time.Time) ([]*ipam.IPAddressRow, error) {
	rows := make([]*ipam.IPAddressRow, 0, size)
	slab := make([]addressScan, 0, size)
	var (
		cols addressColumns
		dest []any
	)
	err := readPage(ctx, stmt, args, func(rs *sql.Rows) error {
		// A new array when the page is longer than size: the rows built
		// point into the one before, which they keep.
		slab = append(slab, addressScan{})
		a := &slab[len(slab)-1]
		dest = a.bind(dest, &cols, spaces)
		if err := rs.Scan(dest...); err != nil {
			return err
		}
		rows = append(rows, a.row(&cols, spaces, now))
		return nil
	})
	return rows, err
}

// readPage runs a page query and hands each result row to scan.
func readPage(ctx context.Context, stmt *sql.Stmt, args []any, scan func(*sql.Rows) error) error {
	rs, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		if err := scan(rs); err != nil {
			return err
		}
	}
	return rs.Err()
}

// maxCachedCustomFields bounds the custom field definitions an
// enumeration reads into memory; with more, the values query joins them.
// A variable for the test of both forms.
var maxCachedCustomFields = 4096

// customFieldValues reads the custom field values of pages of objects.
type customFieldValues struct {
	stmt *sql.Stmt
	// packed is the same query as one JSON array of the values' arrays
	// (SQLite, with fields and values in memory; nil otherwise): one
	// result row a page instead of one a value, each of whose columns
	// costs calls into the driver (enumerate_sqlite.go).
	packed *sql.Stmt
	// fields are the definitions (ADM_CustomFieldsTable) by RecordId, read
	// once: a value then costs no join (nil: the query joins them).
	fields map[int64]customFieldDef
	// values are ADM_CustomFieldValuesTable by RecordId when fields are
	// in memory too (nil: joined).
	values map[int64]cachedValue
}

type customFieldDef struct {
	name   string
	number int32
}

func (c *customFieldValues) Close() error {
	if c.packed != nil {
		_ = c.packed.Close()
	}
	return c.stmt.Close()
}

// prepareCustomFieldValues prepares the query of the custom field values
// of the objects of one type whose RecordId is in [$1, $2], ordered by
// the object (the (ObjectType, UsedById) index gives that order).
func prepareCustomFieldValues(ctx context.Context, tx *sql.Tx, d schema.Dialect, objectType string) (*customFieldValues, error) {
	fields, err := readCustomFieldDefs(ctx, tx)
	if err != nil {
		return nil, err
	}
	filter := `
		WHERE cfa."ObjectType" = '` + objectType + `' AND cfa."UsedById" >= ` + d.Placeholder(1) + ` AND cfa."UsedById" <= ` + d.Placeholder(2)
	where := filter + `
		ORDER BY cfa."UsedById"`
	query := `SELECT cfa."UsedById", ` + customFieldColumns + `
		FROM "ADM_CustomFieldValuesAssociationTable" cfa
		LEFT JOIN "ADM_CustomFieldValuesTable" cfv ON cfv."RecordId" = cfa."CustomFieldValueId"
		LEFT JOIN "ADM_CustomFieldsTable" cf ON cf."RecordId" = cfa."CustomFieldId"` + where
	var values map[int64]cachedValue
	if fields != nil {
		query = `SELECT cfa."UsedById", cfv."RecordId", cfv."BuiltInCustomFieldValueId", cfa."CustomFieldId", COALESCE(cfv."Value", cfa."Value")
		FROM "ADM_CustomFieldValuesAssociationTable" cfa
		LEFT JOIN "ADM_CustomFieldValuesTable" cfv ON cfv."RecordId" = cfa."CustomFieldValueId"` + where
		if values, err = readCustomFieldValueTable(ctx, tx); err != nil {
			return nil, err
		}
		if values != nil {
			query = valuesQueryCached + where
		}
	}
	stmt, err := tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c := &customFieldValues{stmt: stmt, fields: fields, values: values}
	if values != nil && d == schema.SQLite && packedSQLitePages {
		// Not ordered: an aggregate's ORDER BY sorts in a temporary
		// B-tree; the merge orders the values itself when the scan did
		// not (mergeValues).
		if c.packed, err = tx.PrepareContext(ctx, `SELECT json_group_array(json_array(cfa."UsedById", cfa."CustomFieldValueId", cfa."CustomFieldId", cfa."Value"))
		FROM "ADM_CustomFieldValuesAssociationTable" cfa`+filter); err != nil {
			_ = stmt.Close()
			return nil, err
		}
	}
	return c, nil
}

// readCustomFieldDefs reads the custom field definitions, or nil when
// there are more than maxCachedCustomFields.
func readCustomFieldDefs(ctx context.Context, tx *sql.Tx) (map[int64]customFieldDef, error) {
	rs, err := tx.QueryContext(ctx, `SELECT "RecordId", "Name", "BuiltinCustomFieldNumber" FROM "ADM_CustomFieldsTable" LIMIT `+strconv.Itoa(maxCachedCustomFields+1))
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	fields := map[int64]customFieldDef{}
	for rs.Next() {
		var (
			id           int64
			name, number sql.NullString
		)
		if err := rs.Scan(&id, &name, &number); err != nil {
			return nil, err
		}
		if len(fields) == maxCachedCustomFields {
			return nil, rs.Close()
		}
		fields[id] = customFieldDef{name: name.String, number: fieldNumber(number)}
	}
	return fields, rs.Err()
}

// readPacked reads the values of the objects first..last packed; ok is
// false when SQLite refused to pack them (a BLOB): read them column by
// column.
func (c *customFieldValues) readPacked(ctx context.Context, first, last int64) (text string, ok bool, err error) {
	if err := c.packed.QueryRowContext(ctx, first, last).Scan(&text); err != nil {
		if ctx.Err() != nil {
			return "", false, err
		}
		return "", false, nil
	}
	return text, true, nil
}

// parsePacked is readCustomFieldValues of a text readPacked read, in the
// order of the text; errPackedRow when a value is not read as the driver
// would read its columns.
func (c *customFieldValues) parsePacked(text string, slab *valueSlab, add func(usedBy int64, v *ipam.CustomFieldValue)) error {
	var (
		usedBy         int64
		valueID, field sql.NullInt64
		value          sql.NullString
	)
	dest := []any{&usedBy, &valueID, &field, &value}
	members := make([]jsonMember, 0, len(dest))
	return splitJSONArrays(text, func(inner string) error {
		var err error
		if members, err = splitJSONArray(inner, members); err != nil {
			return err
		}
		if err := scanPacked(members, dest); err != nil {
			return err
		}
		v := slab.new()
		cachedCustomFieldValue(v, c.values, valueID, value)
		c.setField(v, field)
		add(usedBy, v)
		return nil
	})
}

// setField sets v's parent field members from the definition of field,
// read into memory (left unset when there is none).
func (c *customFieldValues) setField(v *ipam.CustomFieldValue, field sql.NullInt64) {
	if def, ok := c.fields[field.Int64]; ok && field.Valid {
		v.ParentCustomFieldName, v.ParentCustomFieldNumber, v.ParentCustomFieldRecordID = def.name, def.number, field.Int64
	}
}

// readCustomFieldValues reads the values of the objects first..last, in
// object order.
func readCustomFieldValues(ctx context.Context, c *customFieldValues, first, last int64, slab *valueSlab, add func(usedBy int64, v *ipam.CustomFieldValue)) error {
	var (
		usedBy int64
		cf     customFieldScan
		field  sql.NullInt64
	)
	dest := append([]any{&usedBy}, cf.dest()...)
	switch {
	case c.values != nil:
		dest = []any{&usedBy, &cf.valueID, &field, &cf.text}
	case c.fields != nil:
		dest = []any{&usedBy, &cf.valueID, &cf.builtIn, &field, &cf.text}
	}
	return readPage(ctx, c.stmt, []any{first, last}, func(rs *sql.Rows) error {
		if err := rs.Scan(dest...); err != nil {
			return err
		}
		if c.fields == nil {
			if v := cf.value(); v != nil {
				add(usedBy, v)
			}
			return nil
		}
		v := slab.new()
		if c.values != nil {
			cachedCustomFieldValue(v, c.values, cf.valueID, cf.text)
		} else {
			*v = ipam.CustomFieldValue{BuiltInCustomFieldValueID: cf.builtIn.Int64, RecordID: cf.valueID.Int64, Value: cf.text.String}
		}
		c.setField(v, field)
		add(usedBy, v)
		return nil
	})
}

// sortValues orders a row's custom field values by field, then value:
// the query orders rows by RecordId only (ordering the joined values too
// would make the engines sort the whole result before the first row).
func sortValues(v []*ipam.CustomFieldValue) {
	slices.SortFunc(v, func(a, b *ipam.CustomFieldValue) int {
		return cmp.Or(cmp.Compare(a.ParentCustomFieldRecordID, b.ParentCustomFieldRecordID), cmp.Compare(a.RecordID, b.RecordID))
	})
}

func nullString(s sql.NullString) *string {
	if !s.Valid {
		return nil
	}
	return &s.String
}

func nullInt(n sql.NullInt64) *int64 {
	if !n.Valid {
		return nil
	}
	return &n.Int64
}

func orDefault(s sql.NullString, def string) string {
	if !s.Valid || s.String == "" {
		return def
	}
	return s.String
}

// timeLayouts are the forms a TIMESTAMP column comes back in from SQLite
// when the driver does not parse it.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999"}

// asTime reads a timestamp column as either engine returns it.
func asTime(v any) *time.Time {
	switch t := v.(type) {
	case time.Time:
		u := t.UTC()
		return &u
	case string:
		for _, l := range timeLayouts {
			if p, err := time.Parse(l, t); err == nil {
				u := p.UTC()
				return &u
			}
		}
	case []byte:
		return asTime(string(t))
	}
	return nil
}

var macSeparators = strings.NewReplacer("-", "", ":", "", ".", "")

// parseMAC reads a MAC address as the store keeps it ("00-15-5D-01-02-03",
// "00:15:5d:…" or bare hex) into its bytes; anything else is nil.
func parseMAC(s sql.NullString) []byte {
	if !s.Valid {
		return nil
	}
	h := macSeparators.Replace(strings.TrimSpace(s.String))
	b, err := hex.DecodeString(h)
	if err != nil || len(b) == 0 || len(b) > 20 {
		return nil
	}
	return b
}
