package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/ipamd/ipamd/services"
	"github.com/ipamd/ipamd/store/schema"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// The kinds of rows of this file (tier 2): LogicalGroupRows reads
// ADM_LogicalGroupsTable as the LogicalGroup types,
// CustomFieldAssociationRows ADM_MultiValueCustomFieldValueAssociationTable
// as CustomFieldAssociation; the Unmapped and ManagedBy kinds select ranges
// and addresses, built by the range and address reading of enumerate.go.
// Which column feeds each member: docs/data-model.md, "Enumerated rows".
const (
	LogicalGroupRows           = services.LogicalGroupRows
	CustomFieldAssociationRows = services.CustomFieldAssociationRows
	UnmappedRangeRows          = services.UnmappedRangeRows
	UnmappedAddressRows        = services.UnmappedAddressRows
	UnmappedRangeAddressRows   = services.UnmappedRangeAddressRows
	ManagedByRangeRows         = services.ManagedByRangeRows
	ManagedByAddressRows       = services.ManagedByAddressRows
)

// GroupQuery is services.GroupQuery.
type GroupQuery = services.GroupQuery

// enumerateGroups reads the kinds of this file, in the transaction and
// with the guarantees of EnumerateRows.
func (s *Store) enumerateGroups(ctx context.Context, tx *sql.Tx, q RowQuery, emit func(ipam.AnyIpamObject) error) error {
	switch q.Kind {
	case LogicalGroupRows:
		if q.Groups == nil {
			return fmt.Errorf("store: enumerate logical groups: no selection")
		}
		return s.enumerateLogicalGroups(ctx, tx, q, emit)
	case CustomFieldAssociationRows:
		return s.enumerateCustomFieldAssociations(ctx, tx, emit)
	case UnmappedRangeRows, UnmappedAddressRows, UnmappedRangeAddressRows:
		return s.enumerateUnmapped(ctx, tx, q, emit)
	case ManagedByRangeRows, ManagedByAddressRows:
		if q.Groups == nil {
			return fmt.Errorf("store: enumerate by Managed by: no selection")
		}
		return s.enumerateManagedBy(ctx, tx, q, emit)
	case LogicalGroupNodeRows:
		return s.enumerateNodes(ctx, tx, q, emit) // enumerate_nodes.go
	case GroupRangeRows, GroupAddressRows:
		return s.enumerateGroupObjects(ctx, tx, q, emit) // enumerate_nodes.go
	case GroupDataRows:
		return s.enumerateGroupData(ctx, tx, q, emit) // enumerate_data.go
	case FilterRangeRows, FilterAddressRows:
		return s.enumerateFiltered(ctx, tx, q, emit) // enumerate_filter.go
	}
	if q.Kind == BlockRangeRows || q.Kind == BlockAddressRows {
		return s.enumerateBlockRanges(ctx, tx, q, emit) // enumerate_ranges.go
	}
	if q.Kind == ServerInfoRows || q.Kind == DataCollectionRows {
		return s.enumerateServers(ctx, tx, q, emit) // enumerate_servers.go
	}
	return fmt.Errorf("store: enumerate: unknown row kind %d", q.Kind)
}

// builtinLogicalGroups are the BuiltInLogicalGroup names by number (a
// stored BuiltinLogicalGroupNumber may be either).
var builtinLogicalGroups = []string{"None", "NetworkDevices", "ManagedBy", "VirtualizedProviderAddressSpace"}

// logicalGroupOrigins are the LogicalGroupOrigin literals of the stored
// spellings (provisioning and conversion write "Builtin").
var logicalGroupOrigins = map[string]string{"builtin": "BuiltIn", "external": "External", "none": "None"}

// enumerateLogicalGroups: LogicalGroupsEnumerationParameters
// (3.5.4.8.1.77). The groups whose Users include the selection's, of the
// name if one is given, each built as GetLogicalGroupFromTable
// (3.1.1.1.16.2.1) does for the group type and family asked for.
func (s *Store) enumerateLogicalGroups(ctx context.Context, tx *sql.Tx, q RowQuery, emit func(ipam.AnyIpamObject) error) error {
	g := q.Groups
	w := &where{d: s.dialect}
	if g.Name != nil {
		w.add(`"Name" = ?`, *g.Name)
	}
	rows, err := tx.QueryContext(ctx, `SELECT "RecordId", "Fields", "Name", "Users", "BuiltinLogicalGroupNumber", "Origin"
		FROM "ADM_LogicalGroupsTable"`+whereClause(w)+` ORDER BY "RecordId"`, w.args...)
	if err != nil {
		return fmt.Errorf("store: enumerate logical groups: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id                                  int64
			fields, name, users, number, origin sql.NullString
		)
		if err := rows.Scan(&id, &fields, &name, &users, &number, &origin); err != nil {
			return fmt.Errorf("store: enumerate logical groups: %w", err)
		}
		// LogicalGroupUsers is a list of flags: the group serves the
		// selection's users when its list names them.
		if !slices.Contains(strings.Fields(users.String), g.Users) {
			continue
		}
		row := &ipam.LogicalGroupRow{
			Type: g.Type, IPv6: q.IPv6, Name: nullString(name), RecordID: id, Users: strings.Join(strings.Fields(users.String), " "),
			BuiltInLogicalGroupNumber: builtinLogicalGroup(number.String),
			Origin:                    logicalGroupOrigins[strings.ToLower(strings.TrimSpace(origin.String))],
		}
		if row.Fields, err = groupFieldsOf(fields.String); err != nil {
			return fmt.Errorf("store: enumerate logical groups: group %d: %w", id, err)
		}
		if err := emit(row); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: enumerate logical groups: %w", err)
	}
	return nil
}

// builtinLogicalGroup is the BuiltInLogicalGroup name of a stored
// BuiltinLogicalGroupNumber (a literal or its number).
func builtinLogicalGroup(stored string) string {
	stored = strings.TrimSpace(stored)
	for i, n := range builtinLogicalGroups {
		if stored == n || stored == fmt.Sprint(i) {
			return n
		}
	}
	return "None"
}

// groupFieldsOf reads the Fields column (a JSON array of
// schema.LogicalGroupField, in hierarchy order); empty is no field.
func groupFieldsOf(stored string) ([]ipam.GroupField, error) {
	out := []ipam.GroupField{}
	if strings.TrimSpace(stored) == "" {
		return out, nil
	}
	var fields []schema.LogicalGroupField
	if err := json.Unmarshal([]byte(stored), &fields); err != nil {
		return nil, fmt.Errorf("its Fields are not a list of fields: %w", err)
	}
	for _, f := range fields {
		name := f.CustomFieldName
		out = append(out, ipam.GroupField{CustomFieldName: &name, CustomFieldRecordID: f.CustomFieldRecordId, RecordID: f.RecordId})
	}
	return out, nil
}

// enumerateCustomFieldAssociations: CustomFieldAssociationEnumerationParameters
// (3.5.4.8.1.4). GetAllAssociations gives the linked value pairs; ipamd
// groups them by the pair of fields their values belong to (the spec
// leaves the grouping open: docs/protocol.md), one CustomFieldAssociation
// per pair of fields, ordered by the fields' RecordIds, its pairs by the
// values' RecordIds. CustomField1 / CustomField2 are built as GetCustomField
// builds a CustomField row (with the permitted values of a multivalued
// field).
func (s *Store) enumerateCustomFieldAssociations(ctx context.Context, tx *sql.Tx, emit func(ipam.AnyIpamObject) error) error {
	// The custom fields, with their values (a small table: built-in fields
	// and the user's).
	fields := map[int64]*ipam.CustomFieldRow{}
	values := map[int64]*ipam.CustomFieldValue{}
	if err := s.enumerateCustomFields(ctx, tx, &BlockQuery{}, func(o ipam.AnyIpamObject) error {
		f := o.(*ipam.CustomFieldRow)
		fields[f.RecordID] = f
		for _, v := range f.Values {
			values[v.RecordID] = v
		}
		return nil
	}); err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, `SELECT a."CustomFieldValueId1", a."CustomFieldValueId2", v1."CustomFieldRecordId", v2."CustomFieldRecordId"
		FROM "ADM_MultiValueCustomFieldValueAssociationTable" a
		JOIN "ADM_CustomFieldValuesTable" v1 ON v1."RecordId" = a."CustomFieldValueId1"
		JOIN "ADM_CustomFieldValuesTable" v2 ON v2."RecordId" = a."CustomFieldValueId2"
		ORDER BY v1."CustomFieldRecordId", v2."CustomFieldRecordId", a."CustomFieldValueId1", a."CustomFieldValueId2"`)
	if err != nil {
		return fmt.Errorf("store: enumerate custom field associations: %w", err)
	}
	defer rows.Close()
	var cur *ipam.CustomFieldAssociationRow
	var curFields [2]int64
	flush := func() error {
		if cur == nil {
			return nil
		}
		row := cur
		cur = nil
		return emit(row)
	}
	for rows.Next() {
		var id1, id2, f1, f2 int64
		if err := rows.Scan(&id1, &id2, &f1, &f2); err != nil {
			return fmt.Errorf("store: enumerate custom field associations: %w", err)
		}
		if cur == nil || curFields != [2]int64{f1, f2} {
			if err := flush(); err != nil {
				return err
			}
			// Each row its own copies: the writer numbers every object
			// of a message (z:Id), so none may appear twice.
			cur = &ipam.CustomFieldAssociationRow{CustomField1: copyField(fields[f1]), CustomField2: copyField(fields[f2]),
				Pairs: [][2]*ipam.CustomFieldValue{}}
			curFields = [2]int64{f1, f2}
		}
		cur.Pairs = append(cur.Pairs, [2]*ipam.CustomFieldValue{copyValue(values[id1]), copyValue(values[id2])})
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: enumerate custom field associations: %w", err)
	}
	return flush()
}

func copyField(f *ipam.CustomFieldRow) *ipam.CustomFieldRow {
	if f == nil {
		return nil
	}
	c := *f
	if f.Values != nil {
		c.Values = make([]*ipam.CustomFieldValue, len(f.Values))
		for i, v := range f.Values {
			c.Values[i] = copyValue(v)
		}
	}
	return &c
}

func copyValue(v *ipam.CustomFieldValue) *ipam.CustomFieldValue {
	if v == nil {
		return nil
	}
	c := *v
	return &c
}

// unmappedRanges are the RecordIds of the family's ranges without a parent
// block (ParentIPBlockRecordId 0 or NULL, 3.5.4.8.1.71). A v2 store has
// none: the parent is mandatory and a foreign key (docs/data-model.md).
func (s *Store) unmappedRanges(ctx context.Context, tx *sql.Tx, q RowQuery) (map[int64]bool, []int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT "RecordId" FROM "ADM_IPRangeTable" WHERE "Family" = `+s.dialect.Placeholder(1)+`
		AND ("ParentIPBlockRecordId" IS NULL OR "ParentIPBlockRecordId" = 0) ORDER BY "RecordId"`, family(q))
	if err != nil {
		return nil, nil, fmt.Errorf("store: enumerate unmapped ranges: %w", err)
	}
	defer rows.Close()
	set := map[int64]bool{}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, nil, fmt.Errorf("store: enumerate unmapped ranges: %w", err)
		}
		set[id] = true
		ids = append(ids, id)
	}
	return set, ids, rows.Err()
}

// enumerateUnmapped: IPRangeUnmapped (3.5.4.8.1.71), the ranges without a
// parent block; IpamIPAddressUnmappedAddress (.49), the addresses whose
// RangeRecordId is not set; IpamIPAddressForUnmappedRanges (.47), the
// addresses of the ranges without a parent block, range by range. Each is
// looked for first, so a store that has none (the usual case) answers at
// once; the rows are then built by the range and address readings.
func (s *Store) enumerateUnmapped(ctx context.Context, tx *sql.Tx, q RowQuery, emit func(ipam.AnyIpamObject) error) error {
	switch q.Kind {
	case UnmappedRangeRows:
		set, ids, err := s.unmappedRanges(ctx, tx, q)
		if err != nil || len(ids) == 0 {
			return err
		}
		return s.enumerateRanges(ctx, tx, RowQuery{Kind: RangeRows, IPv6: q.IPv6}, func(o ipam.AnyIpamObject) error {
			if r, ok := o.(*ipam.IPRangeRow); !ok || !set[r.RecordID] {
				return nil
			}
			return emit(o)
		})
	case UnmappedRangeAddressRows:
		_, ids, err := s.unmappedRanges(ctx, tx, q)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := s.enumerateAddresses(ctx, tx, RowQuery{Kind: AddressRows, IPv6: q.IPv6, RangeID: &id}, emit); err != nil {
				return err
			}
		}
		return nil
	}
	var n int64
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM "ADM_IPAddressTable" WHERE "Family" = `+s.dialect.Placeholder(1)+`
		AND ("RangeRecordId" IS NULL OR "RangeRecordId" = 0)`, family(q)).Scan(&n); err != nil {
		return fmt.Errorf("store: enumerate unmapped addresses: %w", err)
	}
	if n == 0 {
		return nil
	}
	return s.enumerateAddresses(ctx, tx, RowQuery{Kind: AddressRows, IPv6: q.IPv6}, func(o ipam.AnyIpamObject) error {
		if a, ok := o.(*ipam.IPAddressRow); !ok || (a.ParentIPRangeRecordID != nil && *a.ParentIPRangeRecordID != 0) {
			return nil
		}
		return emit(o)
	})
}

// The BuiltInCustomField numbers of Managed by and Managed by entity
// (2.2.5.5), which a row's custom field values carry.
const builtInManagedBy, builtInManagedByEntity = 8, 9

// enumerateManagedBy: IPRangeByManagedByAndManagedByEntity (3.5.4.8.1.66)
// and IpamIPAddressByManagedByAndManagedByEntity (.43): the ranges (of the
// address space, if given) or addresses whose Managed by value is
// ManagedBy and whose Managed by entity value is ManagedByEntity. Whether
// any object carries the Managed by value is asked first (as the spec's
// steps start from the value's associations); the rows are then built by
// the range and address readings and kept by their two values.
func (s *Store) enumerateManagedBy(ctx context.Context, tx *sql.Tx, q RowQuery, emit func(ipam.AnyIpamObject) error) error {
	g := q.Groups
	objectType := "IPRange"
	if q.Kind == ManagedByAddressRows {
		objectType = "IPAddress"
	}
	p := s.dialect.Placeholder
	var n int64
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM "ADM_CustomFieldValuesAssociationTable" a
		JOIN "ADM_CustomFieldsTable" f ON f."RecordId" = a."CustomFieldId"
		LEFT JOIN "ADM_CustomFieldValuesTable" v ON v."RecordId" = a."CustomFieldValueId"
		WHERE a."ObjectType" = `+p(1)+` AND f."BuiltinCustomFieldNumber" = 'ManagedBy' AND COALESCE(v."Value", a."Value") = `+p(2),
		objectType, g.ManagedBy).Scan(&n); err != nil {
		return fmt.Errorf("store: enumerate by Managed by: %w", err)
	}
	if n == 0 {
		return nil
	}
	has := func(vs []*ipam.CustomFieldValue, number int32, value string) bool {
		return slices.ContainsFunc(vs, func(c *ipam.CustomFieldValue) bool {
			return c != nil && c.ParentCustomFieldNumber == number && c.Value == value
		})
	}
	keep := func(vs []*ipam.CustomFieldValue) bool {
		return has(vs, builtInManagedBy, g.ManagedBy) && has(vs, builtInManagedByEntity, g.ManagedByEntity)
	}
	if q.Kind == ManagedByRangeRows {
		return s.enumerateRanges(ctx, tx, RowQuery{Kind: RangeRows, IPv6: q.IPv6, AddressSpaceID: q.AddressSpaceID}, func(o ipam.AnyIpamObject) error {
			if r, ok := o.(*ipam.IPRangeRow); !ok || !keep(r.CustomFieldValues) {
				return nil
			}
			return emit(o)
		})
	}
	return s.enumerateAddresses(ctx, tx, RowQuery{Kind: AddressRows, IPv6: q.IPv6}, func(o ipam.AnyIpamObject) error {
		if a, ok := o.(*ipam.IPAddressRow); !ok || !keep(a.CustomFieldValues) {
			return nil
		}
		return emit(o)
	})
}
