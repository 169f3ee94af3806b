package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/ipamd/ipamd/services"
	"github.com/ipamd/ipamd/store/schema"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// LogicalGroupNodeRows reads the nodes of one level of a logical group's
// hierarchy (docs/data-model.md, "Logical group nodes").
const (
	LogicalGroupNodeRows = services.LogicalGroupNodeRows
	GroupRangeRows       = services.GroupRangeRows
	GroupAddressRows     = services.GroupAddressRows
)

// NodeQuery and NodeLevel are services.NodeQuery and services.NodeLevel.
type (
	NodeQuery = services.NodeQuery
	NodeLevel = services.NodeLevel
)

// nodeObjectTypes is the ObjectType of ADM_CustomFieldValuesAssociationTable
// each LogicalGroupType groups (GetRootLogicalGroupNodesForLogicalGroup,
// 3.1.1.1.16.2.2).
var nodeObjectTypes = map[string]string{
	"Range": "IPRange", "IPAddress": "IPAddress", "Subnet": "IPSubnet", "ManagedServer": "ServerInfo",
}

// enumerateNodes: LogicalGroupNodeRoot (3.5.4.8.1.76),
// SubnetLogicalGroupNodeRoot (.79) and LogicalGroupNodeChildren (.75).
// A node is a distinct value of the level's custom field among the
// objects the group's type groups; below the root, only among the objects
// that carry every value of the parent's path (the spec's steps leave
// that out; GetObjectIdsForLogicalGroupNode applies it, so ipamd does it
// here too: docs/protocol.md). Children carry the parent's path as
// AncestorNodes, root first.
func (s *Store) enumerateNodes(ctx context.Context, tx *sql.Tx, q RowQuery, emit func(ipam.AnyIpamObject) error) error {
	if q.Groups == nil || q.Groups.Node == nil {
		return fmt.Errorf("store: enumerate logical group nodes: no selection")
	}
	n := q.Groups.Node
	objectType, ok := nodeObjectTypes[n.Type]
	if !ok {
		return ipam.NewException(ipam.IpamApiInvalidParameter, "no logical group nodes of type %s", n.Type)
	}
	fields, err := s.groupFields(ctx, tx, n)
	if err != nil {
		return err
	}
	level := len(n.Parent)
	if level >= len(fields) {
		return nil // the last level has no children
	}
	// The parent's path, as nodes (their values read here, not taken from
	// the client).
	path := make([]*ipam.LogicalGroupNode, 0, level)
	for k, p := range n.Parent {
		var value sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT "Value" FROM "ADM_CustomFieldValuesTable" WHERE "RecordId" = `+s.dialect.Placeholder(1)+
			` AND "CustomFieldRecordId" = `+s.dialect.Placeholder(2), p.ValueID, p.CustomFieldID).Scan(&value)
		if errors.Is(err, sql.ErrNoRows) {
			return ipam.NewException(ipam.IpamApiInvalidParameter, "the parent node's path names value %d, which its field does not have", p.ValueID)
		}
		if err != nil {
			return fmt.Errorf("store: enumerate logical group nodes: %w", err)
		}
		path = append(path, s.node(q, n, fields[k], p.ValueID, value))
	}
	args := []any{objectType, fields[level].CustomFieldRecordId}
	arg := func(v any) string {
		args = append(args, v)
		return s.dialect.Placeholder(len(args))
	}
	sqlText := `SELECT DISTINCT a."CustomFieldValueId", v."Value"
		FROM "ADM_CustomFieldValuesAssociationTable" a
		JOIN "ADM_CustomFieldValuesTable" v ON v."RecordId" = a."CustomFieldValueId"
		WHERE a."ObjectType" = ` + s.dialect.Placeholder(1) + ` AND a."CustomFieldId" = ` + s.dialect.Placeholder(2)
	if objectType != "ServerInfo" { // servers have no family (3.1.1.1.2.2.4)
		// Af is stored as the AddressFamily name, or as IPv4 / IPv6.
		if q.IPv6 {
			sqlText += ` AND a."Af" IN (` + arg("InterNetworkV6") + `, ` + arg("IPv6") + `)`
		} else {
			sqlText += ` AND a."Af" IN (` + arg("InterNetwork") + `, ` + arg("IPv4") + `)`
		}
	}
	if n.AddressSpaceID != nil {
		sqlText += ` AND a."UsedById" IN (SELECT b."RecordId" FROM "ADM_IPBlocksTable" b WHERE b."AddressSpaceRecordId" = ` + arg(*n.AddressSpaceID) + `)`
	}
	// Each level of the path an uncorrelated IN, as groupObjectIDs does
	// (enumerate_data.go): a correlated EXISTS walked a value most objects
	// share once per object on SQLite (BenchmarkEnumerateNodeChildren).
	for _, p := range n.Parent {
		sqlText += ` AND a."UsedById" IN (SELECT x."UsedById" FROM "ADM_CustomFieldValuesAssociationTable" x WHERE x."ObjectType" = ` + arg(objectType) + `
			AND x."CustomFieldId" = ` + arg(p.CustomFieldID) + ` AND x."CustomFieldValueId" = ` + arg(p.ValueID) + `)`
	}
	rows, err := tx.QueryContext(ctx, sqlText+` ORDER BY a."CustomFieldValueId"`, args...)
	if err != nil {
		return fmt.Errorf("store: enumerate logical group nodes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id    int64
			value sql.NullString
		)
		if err := rows.Scan(&id, &value); err != nil {
			return fmt.Errorf("store: enumerate logical group nodes: %w", err)
		}
		row := s.node(q, n, fields[level], id, value)
		if level > 0 {
			// Each row its own copies: the writer numbers every object of
			// a message (z:Id), so none may appear twice.
			row.AncestorNodes = make([]*ipam.LogicalGroupNode, len(path))
			for k, a := range path {
				c := *a
				row.AncestorNodes[k] = &c
			}
		}
		if err := emit(row); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: enumerate logical group nodes: %w", err)
	}
	return nil
}

// node builds a LogicalGroupNode of the query's type at the field's level.
func (s *Store) node(q RowQuery, n *NodeQuery, f schema.LogicalGroupField, valueID int64, value sql.NullString) *ipam.LogicalGroupNode {
	group, field, level, id := n.GroupID, f.CustomFieldRecordId, f.RecordId, valueID
	row := &ipam.LogicalGroupNode{Type: n.Type, IPv6: q.IPv6, CustomFieldRecordID: &field, LogicalGroupRecordID: &group,
		NodeCustomFieldValueID: &id, NodeLevel: &level, NodeValue: nullString(value)}
	if n.AddressSpaceID != nil {
		row.AddressSpaceRecordID = *n.AddressSpaceID
	}
	return row
}

// groupFields reads the levels of the query's group and checks that the
// query's path follows them.
func (s *Store) groupFields(ctx context.Context, tx *sql.Tx, n *NodeQuery) ([]schema.LogicalGroupField, error) {
	var stored sql.NullString
	err := tx.QueryRowContext(ctx, `SELECT "Fields" FROM "ADM_LogicalGroupsTable" WHERE "RecordId" = `+s.dialect.Placeholder(1), n.GroupID).Scan(&stored)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ipam.NewException(ipam.IpamApiInvalidParameter, "there is no logical group %d", n.GroupID)
	}
	if err != nil {
		return nil, fmt.Errorf("store: enumerate by logical group: %w", err)
	}
	var fields []schema.LogicalGroupField
	if strings.TrimSpace(stored.String) != "" {
		if err := json.Unmarshal([]byte(stored.String), &fields); err != nil {
			return nil, fmt.Errorf("store: enumerate by logical group: group %d: its Fields are not a list of fields: %w", n.GroupID, err)
		}
	}
	for k, p := range n.Parent {
		if k >= len(fields) || fields[k].CustomFieldRecordId != p.CustomFieldID {
			return nil, ipam.NewException(ipam.IpamApiInvalidParameter, "the node's path does not follow the fields of logical group %d", n.GroupID)
		}
	}
	return fields, nil
}

// groupRanges are the RecordIds of the family's ranges a range logical
// group selects, in order (groupObjectIDs, enumerate_data.go).
func (s *Store) groupRanges(ctx context.Context, tx *sql.Tx, q RowQuery) ([]int64, error) {
	return s.groupObjectIDs(ctx, tx, q, "IPRange")
}

// enumerateGroupObjects: IPRangeAllForLogicalGroupNode (3.5.4.8.1.63), the
// node's ranges, built by the range reading and kept by RecordId; and
// IpamIPAddressAllForLogicalGroup (.38), IpamIPAddressAllForLogicalGroupNode
// (.39) and UnmappedIpamIPAddressForLogicalGroup (.80), the addresses of
// the selected ranges, range by range, built by the address reading.
func (s *Store) enumerateGroupObjects(ctx context.Context, tx *sql.Tx, q RowQuery, emit func(ipam.AnyIpamObject) error) error {
	if q.Groups == nil || q.Groups.Node == nil {
		return fmt.Errorf("store: enumerate by logical group: no selection")
	}
	ids, err := s.groupRanges(ctx, tx, q)
	if err != nil || len(ids) == 0 {
		return err
	}
	return s.rangeRows(ctx, tx, ids, q.IPv6, q.Kind == GroupRangeRows, emit)
}
