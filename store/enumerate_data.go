package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/ipamd/ipamd/services"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// GroupDataRows reads the objects of a logical group, of a node of it, or
// not in it (services/enumerator_data.go).
const GroupDataRows = services.GroupDataRows

// groupObjectTables name the table of each object type a logical group
// selects, and the condition that keeps its rows of that type (a subnet
// is an ADM_IPBlocksTable row with IsSubnet set). Servers have no family
// (3.1.1.1.2.2.4 reads their association rows without one).
var groupObjectTables = map[string]struct {
	table, only string
	noFamily    bool
}{
	"IPRange":    {table: "ADM_IPRangeTable"},
	"IPAddress":  {table: "ADM_IPAddressTable"},
	"IPSubnet":   {table: "ADM_IPBlocksTable", only: ` AND o."IsSubnet" = `},
	"ServerInfo": {table: "ADM_ServersTable", noFamily: true},
}

// groupObjectIDs are the RecordIds of the family's objects of objectType
// (IPRange, IPAddress, IPSubnet) a logical group selects, in order: with
// a value of the group's first field (the whole group,
// GetObjectIdsForLogicalGroup, 3.1.1.1.2.2.5), with every value of a
// node's path (GetObjectIdsForLogicalGroupNode, 3.1.1.1.2.2.4), or
// without a value of the first field (Unmapped,
// GetUnmappedObjectIdsForLogicalGroup, 3.1.1.1.2.2.6; every object of the
// family, not only those with some custom field value as the spec's step
// reads: docs/protocol.md).
func (s *Store) groupObjectIDs(ctx context.Context, tx *sql.Tx, q RowQuery, objectType string) ([]int64, error) {
	n := q.Groups.Node
	fields, err := s.groupFields(ctx, tx, n)
	if err != nil {
		return nil, err
	}
	t, ok := groupObjectTables[objectType]
	if !ok {
		return nil, fmt.Errorf("store: enumerate by logical group: no table of %s objects", objectType)
	}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return s.dialect.Placeholder(len(args))
	}
	var sqlText string
	switch {
	case n.Unmapped:
		sqlText = `SELECT o."RecordId" FROM "` + t.table + `" o WHERE 1 = 1`
		if !t.noFamily {
			sqlText += ` AND o."Family" = ` + arg(family(q))
		}
		if t.only != "" {
			sqlText += t.only + arg(true)
		}
		if len(fields) > 0 {
			sqlText += ` AND NOT EXISTS (SELECT 1 FROM "ADM_CustomFieldValuesAssociationTable" x WHERE x."ObjectType" = ` + arg(objectType) + `
			AND x."UsedById" = o."RecordId" AND x."CustomFieldId" = ` + arg(fields[0].CustomFieldRecordId) + `)`
		}
		sqlText += ` ORDER BY o."RecordId"`
	case len(fields) == 0:
		return nil, nil // a group without levels maps nothing
	default:
		af := [2]string{"InterNetwork", "IPv4"}
		if q.IPv6 {
			af = [2]string{"InterNetworkV6", "IPv6"}
		}
		sqlText = `SELECT DISTINCT a."UsedById" FROM "ADM_CustomFieldValuesAssociationTable" a
			WHERE a."ObjectType" = ` + arg(objectType)
		if !t.noFamily {
			// Af is stored as the AddressFamily name, or as IPv4 / IPv6.
			sqlText += ` AND a."Af" IN (` + arg(af[0]) + `, ` + arg(af[1]) + `)`
		}
		sqlText += ` AND a."CustomFieldId" = ` + arg(fields[0].CustomFieldRecordId)
		// Each level of the path an uncorrelated IN: one pass over the
		// value's rows, where a correlated EXISTS may walk them again for
		// each object (a value most objects share, such as a Managed by
		// value, made that quadratic on SQLite).
		for _, p := range n.Parent {
			sqlText += ` AND a."UsedById" IN (SELECT x."UsedById" FROM "ADM_CustomFieldValuesAssociationTable" x WHERE x."ObjectType" = ` + arg(objectType) + `
				AND x."CustomFieldId" = ` + arg(p.CustomFieldID) + ` AND x."CustomFieldValueId" = ` + arg(p.ValueID) + `)`
		}
		sqlText += ` ORDER BY a."UsedById"`
	}
	rows, err := tx.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return nil, fmt.Errorf("store: enumerate by logical group: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: enumerate by logical group: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: enumerate by logical group: %w", err)
	}
	return ids, nil
}

// enumerateGroupData: LogicalGroupDataForLogicalGroupNode (3.5.4.8.1.72),
// LogicalGroupDataForRootAlternateItems (.73) and
// LogicalGroupDataUnmappedItems (.74). The objects the group's type
// groups (nodeObjectTypes) are picked by groupObjectIDs, then each is
// built as GetObjectForLogicalGroupObjectId (3.1.1.1.2.2.7) says — by the
// range, address and subnet readings, kept by RecordId — in RecordId
// order. A store whose group selects none answers without reading a row.
func (s *Store) enumerateGroupData(ctx context.Context, tx *sql.Tx, q RowQuery, emit func(ipam.AnyIpamObject) error) error {
	if q.Groups == nil || q.Groups.Node == nil {
		return fmt.Errorf("store: enumerate logical group data: no selection")
	}
	objectType := nodeObjectTypes[q.Groups.Node.Type]
	if _, ok := groupObjectTables[objectType]; !ok {
		return ipam.NewException(ipam.IpamApiInvalidEnumeration, "no logical group data of type %s", q.Groups.Node.Type)
	}
	ids, err := s.groupObjectIDs(ctx, tx, q, objectType)
	if err != nil || len(ids) == 0 {
		return err
	}
	if objectType == "ServerInfo" {
		// The servers are built by id (enumerate_servers.go), in RecordId
		// order; the ids' rows are closed by now.
		return s.ServerInfoRows(ctx, tx, ids, emit)
	}
	// The rows come in RecordId order, as ids do: a cursor over ids keeps
	// the selected rows (8 bytes an id, no set).
	keep := func(id int64) bool {
		for len(ids) > 0 && ids[0] < id {
			ids = ids[1:]
		}
		return len(ids) > 0 && ids[0] == id
	}
	switch objectType {
	case "IPRange":
		return s.enumerateRanges(ctx, tx, RowQuery{Kind: RangeRows, IPv6: q.IPv6}, func(o ipam.AnyIpamObject) error {
			if r, ok := o.(*ipam.IPRangeRow); !ok || !keep(r.RecordID) {
				return nil
			}
			return emit(o)
		})
	case "IPAddress":
		return s.enumerateAddresses(ctx, tx, RowQuery{Kind: AddressRows, IPv6: q.IPv6}, func(o ipam.AnyIpamObject) error {
			if a, ok := o.(*ipam.IPAddressRow); !ok || !keep(a.RecordID) {
				return nil
			}
			return emit(o)
		})
	}
	return s.enumerateBlocks(ctx, tx, RowQuery{Kind: SubnetRows, IPv6: q.IPv6}, &BlockQuery{}, func(o ipam.AnyIpamObject) error {
		if b, ok := o.(*ipam.IPBlockRow); !ok || !keep(b.RecordID) {
			return nil
		}
		return emit(o)
	})
}
