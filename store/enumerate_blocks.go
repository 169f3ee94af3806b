package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/ipamd/ipamd/services"
	"github.com/ipamd/ipamd/store/schema"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// The kinds of rows of this file: BlockRows reads the ADM_IPBlocksTable
// rows with IsSubnet 0 as IPv4Block / IPv6Block, SubnetRows those with
// IsSubnet 1 and their ADM_SubnetTable row as IPv4Subnet / IPv6Subnet,
// AddressSpaceRows ADM_AddressSpaceTable as ProviderAddressSpace /
// CustomerAddressSpace, CustomFieldRows ADM_CustomFieldsTable (with
// ADM_CustomFieldValuesTable) as CustomField. Which column feeds each
// member: docs/data-model.md, "Enumerated rows".
const (
	BlockRows        = services.BlockRows
	SubnetRows       = services.SubnetRows
	AddressSpaceRows = services.AddressSpaceRows
	CustomFieldRows  = services.CustomFieldRows
)

// BlockQuery is services.BlockQuery.
type BlockQuery = services.BlockQuery

// enumerateMore reads the kinds of this file, in the transaction and
// with the guarantees of EnumerateRows.
func (s *Store) enumerateMore(ctx context.Context, tx *sql.Tx, q RowQuery, emit func(ipam.AnyIpamObject) error) error {
	b := q.Blocks
	if b == nil {
		b = &BlockQuery{}
	}
	if f := q.Filter; f != nil { // a ByFilter type: every row built, those it keeps sent
		send := emit
		emit = func(o ipam.AnyIpamObject) error {
			if !f.Keep(o) {
				return nil
			}
			return send(o)
		}
	}
	switch q.Kind {
	case BlockRows, SubnetRows:
		return s.enumerateBlocks(ctx, tx, q, b, emit)
	case AddressSpaceRows:
		return s.enumerateAddressSpaces(ctx, tx, b, emit)
	case CustomFieldRows:
		return s.enumerateCustomFields(ctx, tx, b, emit)
	}
	return s.enumerateGroups(ctx, tx, q, emit) // enumerate_groups.go
}

// whereClause is w's WHERE clause, or nothing without conditions.
func whereClause(w *where) string {
	if len(w.conds) == 0 {
		return ""
	}
	return w.String()
}

// customFieldJoinsOf is customFieldJoins for the values of any of the
// object types (a subnet has its IPBlock values and its IPSubnet ones:
// GetSubnetById builds on GetIPBlockFromTable).
func customFieldJoinsOf(alias string, objectTypes ...string) string {
	return ` LEFT JOIN "ADM_CustomFieldValuesAssociationTable" cfa ON cfa."ObjectType" IN ('` + strings.Join(objectTypes, `', '`) +
		`') AND cfa."UsedById" = ` + alias + `."RecordId"
	LEFT JOIN "ADM_CustomFieldValuesTable" cfv ON cfv."RecordId" = cfa."CustomFieldValueId"
	LEFT JOIN "ADM_CustomFieldsTable" cf ON cf."RecordId" = cfa."CustomFieldId"`
}

// blockBounds are the bounds IpamIPSubnetsByBlockId selects subnets in.
type blockBounds struct {
	start, end netip.Addr
}

func (s *Store) enumerateBlocks(ctx context.Context, tx *sql.Tx, q RowQuery, b *BlockQuery, emit func(ipam.AnyIpamObject) error) error {
	subnets := q.Kind == SubnetRows
	w := &where{d: s.dialect}
	w.add(`b."Family" = ?`, family(q))
	w.add(`b."IsSubnet" = ?`, subnets)
	if q.AddressSpaceID != nil {
		w.add(`b."AddressSpaceRecordId" = ?`, *q.AddressSpaceID)
	}
	if q.Category != nil {
		w.add(`COALESCE(b."AddressCategory", 'None') = ?`, *q.Category)
	}
	if b.RootOnly {
		w.add(`b."ParentBlockRecordId" IS NULL`)
	}
	if b.ParentBlockID != nil {
		w.add(`b."ParentBlockRecordId" = ?`, *b.ParentBlockID)
	}
	var within *blockBounds
	if b.WithinBlockID != nil {
		// 3.5.4.8.1.53: note the block's bounds, prefix and address
		// space; subnets within the bounds (checked below, on the parsed
		// addresses), of a prefix at least as long, in the same space,
		// with a parent block.
		var start, end sql.NullString
		var prefix, space sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT "StartIPAddress", "EndIPAddress", "PrefixLength", "AddressSpaceRecordId"
			FROM "ADM_IPBlocksTable" WHERE "RecordId" = `+s.dialect.Placeholder(1)+` AND "Family" = `+s.dialect.Placeholder(2),
			*b.WithinBlockID, family(q)).Scan(&start, &end, &prefix, &space)
		if err == sql.ErrNoRows {
			return nil // no such block: no subnets
		}
		if err != nil {
			return fmt.Errorf("store: enumerate subnets: %w", err)
		}
		within = &blockBounds{ipam.ParseIPAddressText(start.String), ipam.ParseIPAddressText(end.String)}
		w.add(`b."PrefixLength" >= ?`, prefix.Int64)
		w.add(`b."AddressSpaceRecordId" = ?`, space.Int64)
		w.add(`b."ParentBlockRecordId" IS NOT NULL`)
	}
	if b.EmptyOnly {
		w.add(`NOT EXISTS (SELECT 1 FROM "ADM_IPRangeTable" r WHERE r."ParentIPBlockRecordId" = b."RecordId")`)
	}
	if subnets && q.Virtualization != nil {
		w.in(`COALESCE(sn."VirtualizationType", 'NonVirtualized')`, q.Virtualization)
	}
	subnetCols, subnetJoin, objectTypes := `NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL`, "", []string{"IPBlock"}
	if subnets {
		subnetCols = `sn."Name", sn."IsOverlapping", sn."UseForUtilization", sn."VSId", sn."VirtualizationType", sp."Family", sp."Name", pp."Name"`
		subnetJoin = ` JOIN "ADM_SubnetTable" sn ON sn."RecordId" = b."RecordId"` + fmt.Sprintf(addressSpaceJoins, "b")
		objectTypes = append(objectTypes, "IPSubnet")
	}
	query := `SELECT b."RecordId", b."AddressSpaceRecordId", b."ParentBlockRecordId", b."AddressCategory", b."Description",
		b."EndIPAddress", b."LastAssignedDate", b."LastModifiedDate", b."NetworkId", b."NumberOfChildBlocks", b."Owner",
		b."PrefixLength", b."RIRReceivedDate", b."StartIPAddress", b."SubnetMask", ` + subnetCols + `, ` + customFieldColumns + `
		FROM "ADM_IPBlocksTable" b` + subnetJoin + customFieldJoinsOf("b", objectTypes...) + w.String() + ` ORDER BY b."RecordId"`
	rows, err := tx.QueryContext(ctx, query, w.args...)
	if err != nil {
		return fmt.Errorf("store: enumerate blocks: %w", err)
	}
	defer rows.Close()
	var cur *ipam.IPBlockRow
	flush := func() error {
		if cur == nil {
			return nil
		}
		row := cur
		cur = nil
		if within != nil && (row.StartIPAddress.Less(within.start) || within.end.Less(row.EndIPAddress)) {
			return nil
		}
		sortValues(row.CustomFieldValues)
		return emit(row)
	}
	for rows.Next() {
		var (
			id                                         int64
			space, parent, children, prefix, vsid      sql.NullInt64
			category, desc, end, network, owner, start sql.NullString
			mask, name, virt, spFamily, spName, ppName sql.NullString
			overlapping, useForUtil                    sql.NullBool
			assigned, modified, rir                    any
			cf                                         customFieldScan
		)
		dest := append([]any{&id, &space, &parent, &category, &desc, &end, &assigned, &modified, &network, &children,
			&owner, &prefix, &rir, &start, &mask, &name, &overlapping, &useForUtil, &vsid, &virt, &spFamily, &spName, &ppName}, cf.dest()...)
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("store: enumerate blocks: %w", err)
		}
		if cur == nil || cur.RecordID != id {
			if err := flush(); err != nil {
				return err
			}
			cur = &ipam.IPBlockRow{
				AccessScopeID: 1, IsInheritedAccessScope: true, // the Global access scope, inherited (as ranges)
				AddressCategory: orDefault(category, "None"), AddressSpaceRecordID: space.Int64,
				CustomFieldValues: []*ipam.CustomFieldValue{}, Description: nullString(desc),
				EndIPAddress: ipam.ParseIPAddressText(end.String), LastAssignedDate: asTime(assigned),
				LastModifiedDate: asTime(modified), NetworkID: ipam.ParseIPAddressText(network.String),
				NumberOfChildBlocks: int32(children.Int64), Owner: nullString(owner), ParentIPBlockRecordID: nullInt(parent),
				PrefixLength: int32(prefix.Int64), RIRReceivedDate: asTime(rir), RecordID: id,
				StartIPAddress: ipam.ParseIPAddressText(start.String), SubnetMask: ipam.ParseIPAddressText(mask.String),
			}
			if subnets {
				prov, cust := spaceNames(spFamily, spName, ppName)
				cur.Subnet = &ipam.IPSubnetMembers{
					CustomerAddressSpaceName: cust, IsOverlapping: overlapping.Bool, Name: nullString(name),
					ProviderAddressSpaceName: prov, UseForUtilization: useForUtil.Bool, VLANID: []int32{},
					VSID: int32(vsid.Int64), VirtualizationType: orDefault(virt, "NonVirtualized"),
				}
			}
		}
		if v := cf.value(); v != nil {
			cur.CustomFieldValues = append(cur.CustomFieldValues, v)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: enumerate blocks: %w", err)
	}
	return flush()
}

func (s *Store) enumerateAddressSpaces(ctx context.Context, tx *sql.Tx, b *BlockQuery, emit func(ipam.AnyIpamObject) error) error {
	w := &where{d: s.dialect}
	if b.SpaceType != nil {
		w.add(`COALESCE(a."AddressSpaceType", a."Family") = ?`, *b.SpaceType)
	}
	query := `SELECT a."RecordId", a."Family", a."AddressSpaceType", a."IsDefault", a."ProviderAddressSpaceRecordId",
		a."Name", a."Description", a."Owner", pp."Name", ` + customFieldColumns + `
		FROM "ADM_AddressSpaceTable" a
		LEFT JOIN "ADM_AddressSpaceTable" pp ON pp."RecordId" = a."ProviderAddressSpaceRecordId"` +
		customFieldJoins("AddressSpace", "a") + whereClause(w) + ` ORDER BY a."RecordId"`
	rows, err := tx.QueryContext(ctx, query, w.args...)
	if err != nil {
		return fmt.Errorf("store: enumerate address spaces: %w", err)
	}
	defer rows.Close()
	var cur *ipam.AddressSpaceRow
	flush := func() error {
		if cur == nil {
			return nil
		}
		sortValues(cur.CustomFieldValues)
		row := cur
		cur = nil
		return emit(row)
	}
	for rows.Next() {
		var (
			id                                 int64
			provider                           sql.NullInt64
			fam, typ, name, desc, owner, pName sql.NullString
			isDefault                          sql.NullBool
			cf                                 customFieldScan
		)
		dest := append([]any{&id, &fam, &typ, &isDefault, &provider, &name, &desc, &owner, &pName}, cf.dest()...)
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("store: enumerate address spaces: %w", err)
		}
		if cur == nil || cur.RecordID != id {
			if err := flush(); err != nil {
				return err
			}
			cur = &ipam.AddressSpaceRow{
				AccessScopeID: 1, IsInheritedAccessScope: true, Customer: orDefault(typ, fam.String) == "Customer",
				CustomFieldValues: []*ipam.CustomFieldValue{}, Description: nullString(desc), Name: nullString(name),
				Owner: nullString(owner), RecordID: id, IsDefault: isDefault.Bool,
			}
			if cur.Customer {
				cur.ProviderAddressSpaceName, cur.ProviderAddressSpaceRecordID = nullString(pName), provider.Int64
			}
		}
		if v := cf.value(); v != nil {
			cur.CustomFieldValues = append(cur.CustomFieldValues, v)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: enumerate address spaces: %w", err)
	}
	return flush()
}

// The enumeration literals of the stored Origin and Type spellings
// (conversion and provisioning write "Builtin").
var (
	customFieldOrigins = map[string]string{"builtin": "BuiltIn", "external": "External"}
	customFieldTypes   = map[string]string{"freeform": "Freeform", "free-form": "Freeform", "multivalued": "Multivalued"}
)

func (s *Store) enumerateCustomFields(ctx context.Context, tx *sql.Tx, b *BlockQuery, emit func(ipam.AnyIpamObject) error) error {
	w := &where{d: s.dialect}
	if b.Name != nil {
		w.add(`f."Name" = ?`, *b.Name)
	}
	// The field table is small (built-in fields and the user's): values
	// ordered in the query.
	query := `SELECT f."RecordId", f."BuiltinCustomFieldNumber", f."Name", f."Origin", f."Type",
		v."RecordId", v."Value", v."BuiltInCustomFieldValueId"
		FROM "ADM_CustomFieldsTable" f
		LEFT JOIN "ADM_CustomFieldValuesTable" v ON v."CustomFieldRecordId" = f."RecordId"` +
		whereClause(w) + ` ORDER BY f."RecordId", v."RecordId"`
	rows, err := tx.QueryContext(ctx, query, w.args...)
	if err != nil {
		return fmt.Errorf("store: enumerate custom fields: %w", err)
	}
	defer rows.Close()
	var cur *ipam.CustomFieldRow
	var number int32
	flush := func() error {
		if cur == nil {
			return nil
		}
		row := cur
		cur = nil
		return emit(row)
	}
	for rows.Next() {
		var (
			id                        int64
			valueID, builtIn          sql.NullInt64
			lit, name, origin, typ, v sql.NullString
		)
		if err := rows.Scan(&id, &lit, &name, &origin, &typ, &valueID, &v, &builtIn); err != nil {
			return fmt.Errorf("store: enumerate custom fields: %w", err)
		}
		if cur == nil || cur.RecordID != id {
			if err := flush(); err != nil {
				return err
			}
			cur = &ipam.CustomFieldRow{
				BuiltInCustomFieldNumber: orDefault(lit, "None"), Name: nullString(name), RecordID: id,
				Origin: customFieldOrigins[strings.ToLower(strings.TrimSpace(origin.String))],
				Type:   customFieldTypes[strings.ToLower(strings.TrimSpace(typ.String))],
			}
			number = builtinNumber(lit.String)
			if cur.Type == "Multivalued" { // GetCustomField: Values of a multivalued field only
				cur.Values = []*ipam.CustomFieldValue{}
			}
		}
		if valueID.Valid && cur.Values != nil {
			cur.Values = append(cur.Values, &ipam.CustomFieldValue{
				BuiltInCustomFieldValueID: builtIn.Int64, ParentCustomFieldName: name.String,
				ParentCustomFieldNumber: number, ParentCustomFieldRecordID: id, RecordID: valueID.Int64, Value: v.String,
			})
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: enumerate custom fields: %w", err)
	}
	return flush()
}

// builtinNumber is the BuiltInCustomField value of a stored
// BuiltinCustomFieldNumber (a literal, or a number); 0 is None.
func builtinNumber(lit string) int32 {
	lit = strings.TrimSpace(lit)
	if n, err := strconv.ParseInt(lit, 10, 32); err == nil {
		return int32(n)
	}
	if f, ok := schema.BuiltinCustomFieldByLiteral(lit); ok {
		return int32(f.Number)
	}
	return 0
}
