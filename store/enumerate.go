package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
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
		ParentCustomFieldNumber: builtinNumber(c.number.String), ParentCustomFieldRecordID: c.fieldID.Int64,
		RecordID: c.valueID.Int64, Value: c.text.String,
	}
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
	query := `SELECT r."RecordId", r."ParentIPBlockRecordId", r."AddressSpaceRecordId", r."ScopeRecordId",
		r."AddressAssignment", r."AddressCategory", r."StartIPAddress", r."EndIPAddress", r."IsOverlapping",
		r."LastAssignedDate", r."LastChangeDate", r."LastReclaimRuntime", r."NumberOfChildAddresses", r."Owner",
		r."PrefixLength", r."UtilizationCalculationType", r."UtilizationEventLogStatus", r."UseForUtilization",
		r."ConnectionSpecificDNSSuffix", r."VirtualizationType", r."SubnetId", r."SubnetMask", r."Description",
		sp."Family", sp."Name", pp."Name", ` + customFieldColumns + `
		FROM "ADM_IPRangeTable" r` + fmt.Sprintf(addressSpaceJoins, "r") + customFieldJoins("IPRange", "r") +
		w.String() + ` ORDER BY r."RecordId"`
	rows, err := tx.QueryContext(ctx, query, w.args...)
	if err != nil {
		return fmt.Errorf("store: enumerate ranges: %w", err)
	}
	defer rows.Close()
	var cur *ipam.IPRangeRow
	for rows.Next() {
		var (
			id                                        int64
			parent, space, scope, children, prefix    sql.NullInt64
			assign, category, start, end, owner       sql.NullString
			calc, logStatus, suffix, virt, sid, smask sql.NullString
			desc, spFamily, spName, ppName            sql.NullString
			overlapping, useForUtil                   sql.NullBool
			assigned, changed, reclaim                any
			cf                                        customFieldScan
		)
		dest := append([]any{&id, &parent, &space, &scope, &assign, &category, &start, &end, &overlapping,
			&assigned, &changed, &reclaim, &children, &owner, &prefix, &calc, &logStatus, &useForUtil,
			&suffix, &virt, &sid, &smask, &desc, &spFamily, &spName, &ppName}, cf.dest()...)
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("store: enumerate ranges: %w", err)
		}
		if cur == nil || cur.RecordID != id {
			if cur != nil {
				sortValues(cur.CustomFieldValues)
				if err := emit(cur); err != nil {
					return err
				}
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
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: enumerate ranges: %w", err)
	}
	if cur != nil {
		sortValues(cur.CustomFieldValues)
		return emit(cur)
	}
	return nil
}

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
	query := `SELECT a."RecordId", a."RangeRecordId", a."AddressSpaceRecordId", a."AddressAssignment", a."AddressCategory",
		a."AssignedDate", a."ChangedDate", a."ExpiryDate", a."ExpiryAlertStatus", a."AssetTag", a."IpAddress",
		a."IsDuplicate", a."MacAddress", a."Notes", a."OSName", a."OSVersion", a."Owner", a."SerialNumber",
		a."DeviceName", a."VirtualizationType", a."IsCreatedFromDNS", a."ReservationType", a."Duid", a."Iaid",
		r."StartIPAddress", r."EndIPAddress", sp."Family", sp."Name", pp."Name", ` + customFieldColumns + `
		FROM "ADM_IPAddressTable" a
		LEFT JOIN "ADM_IPRangeTable" r ON r."RecordId" = a."RangeRecordId"` + fmt.Sprintf(addressSpaceJoins, "a") +
		customFieldJoins("IPAddress", "a") + w.String() + ` ORDER BY a."RecordId"`
	rows, err := tx.QueryContext(ctx, query, w.args...)
	if err != nil {
		return fmt.Errorf("store: enumerate addresses: %w", err)
	}
	defer rows.Close()
	now := time.Now()
	var cur *ipam.IPAddressRow
	for rows.Next() {
		var (
			id                                                     int64
			rangeID, space, iaid                                   sql.NullInt64
			assign, category, expiryStatus, asset, addr, mac       sql.NullString
			notes, osName, osVersion, owner, serial, device, virt  sql.NullString
			reservation, duid, rStart, rEnd, spFamily, spName, ppN sql.NullString
			duplicate, fromDNS                                     sql.NullBool
			assigned, changed, expiry                              any
			cf                                                     customFieldScan
		)
		dest := append([]any{&id, &rangeID, &space, &assign, &category, &assigned, &changed, &expiry, &expiryStatus,
			&asset, &addr, &duplicate, &mac, &notes, &osName, &osVersion, &owner, &serial, &device, &virt, &fromDNS,
			&reservation, &duid, &iaid, &rStart, &rEnd, &spFamily, &spName, &ppN}, cf.dest()...)
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("store: enumerate addresses: %w", err)
		}
		if cur == nil || cur.RecordID != id {
			if cur != nil {
				sortValues(cur.CustomFieldValues)
				if err := emit(cur); err != nil {
					return err
				}
			}
			prov, cust := spaceNames(spFamily, spName, ppN)
			exp := asTime(expiry)
			cur = &ipam.IPAddressRow{
				AccessScopeID: 1, Address: ipam.ParseIPAddressText(addr.String),
				AddressAssignment: orDefault(assign, "None"), AddressCategory: orDefault(category, "None"),
				AddressSpaceRecordID: space.Int64, AssetTag: nullString(asset),
				AssignedDate: asTime(assigned), ChangedDate: asTime(changed),
				CreatedFromDNSResourceRecord: fromDNS.Bool, CustomFieldValues: []*ipam.CustomFieldValue{},
				CustomerAddressSpaceName: cust, DeviceName: nullString(device),
				ExpiryAndAlertEventLoggingStatus: orDefault(expiryStatus, "None"), ExpiryDate: exp,
				IsDuplicate: duplicate.Bool, IsExpired: exp != nil && exp.Before(now),
				MacAddress: parseMAC(mac), Notes: nullString(notes), OSName: nullString(osName),
				OSVersion: nullString(osVersion), Owner: nullString(owner),
				ParentIPRangeStartIP: ipam.ParseIPAddressText(rStart.String), ParentIPRangeEndIP: ipam.ParseIPAddressText(rEnd.String),
				ParentIPRangeRecordID: nullInt(rangeID), ProviderAddressSpaceName: prov, RecordID: id,
				SerialNumber: nullString(serial), VirtualizationType: orDefault(virt, "NonVirtualized"),
				ReservationType: orDefault(reservation, "Dhcp"), Duid: nullString(duid),
			}
			if iaid.Valid && iaid.Int64 >= 0 && iaid.Int64 <= 1<<32-1 {
				v := uint32(iaid.Int64)
				cur.Iaid = &v
			}
		}
		if v := cf.value(); v != nil {
			cur.CustomFieldValues = append(cur.CustomFieldValues, v)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: enumerate addresses: %w", err)
	}
	if cur != nil {
		sortValues(cur.CustomFieldValues)
		return emit(cur)
	}
	return nil
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

// parseMAC reads a MAC address as the store keeps it ("00-15-5D-01-02-03",
// "00:15:5d:…" or bare hex) into its bytes; anything else is nil.
func parseMAC(s sql.NullString) []byte {
	if !s.Valid {
		return nil
	}
	h := strings.NewReplacer("-", "", ":", "", ".", "").Replace(strings.TrimSpace(s.String))
	b, err := hex.DecodeString(h)
	if err != nil || len(b) == 0 || len(b) > 20 {
		return nil
	}
	return b
}
