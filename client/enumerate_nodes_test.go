package client

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

// TestEnumerateNodesOverNetTCP: the logical group nodes come over net.tcp
// (binary session encoding) as the store holds them: the roots of the
// built-in Managed by group over the IPv4 ranges (the client names the
// group as an IPv4RangeLogicalGroup), then the children of the first root
// (the client sends that root back as ParentLogicalGroupNode, i:type
// IPv4RangeLogicalGroupNode), each child with the root as its ancestor,
// and the addresses of the root's ranges (IpamIPAddressAllForLogicalGroupNode).
// The test's own queries of the association table are the oracle. Rule E8.
func TestEnumerateNodesOverNetTCP(t *testing.T) {
	s := convertedSQLite(t, 600)
	uri := startEnumerator(t, s, 8<<10)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	db := s.DB()
	var group, managedBy, entity int64
	if err := db.QueryRowContext(ctx, `SELECT "RecordId" FROM "ADM_LogicalGroupsTable" WHERE "BuiltinLogicalGroupNumber" = 'ManagedBy'`).Scan(&group); err != nil {
		t.Fatal(err)
	}
	for field, into := range map[string]*int64{"ManagedBy": &managedBy, "ManagedByEntity": &entity} {
		if err := db.QueryRowContext(ctx, `SELECT "RecordId" FROM "ADM_CustomFieldsTable" WHERE "BuiltinCustomFieldNumber" = ?`, field).Scan(into); err != nil {
			t.Fatal(err)
		}
	}
	values := func(query string, args ...any) []string {
		rows, err := db.QueryContext(ctx, query, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var id int64
			var v string
			if err := rows.Scan(&id, &v); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("IPv4RangeLogicalGroupNode %d %s", id, v))
		}
		return out
	}
	const distinct = `SELECT DISTINCT v."RecordId", v."Value" FROM "ADM_CustomFieldValuesAssociationTable" a
		JOIN "ADM_CustomFieldValuesTable" v ON v."RecordId" = a."CustomFieldValueId"
		WHERE a."ObjectType" = 'IPRange' AND a."Af" = 'InterNetwork' AND a."CustomFieldId" = ?`
	enumerate := func(p ipam.AnyEnumerationParametersBase) ([]string, []*ipam.GenericRow) {
		t.Helper()
		c := &Client{}
		conn, err := c.Dial(ctx, uri)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		var rows []*ipam.GenericRow
		if _, err := c.Enumerate(ctx, conn, p, func(rs []*ipam.GenericRow) error {
			for _, r := range rs {
				got = append(got, fmt.Sprintf("%s %v %v", r.Type, r.Get("NodeCustomFieldValueId"), r.Get("NodeValue")))
				rows = append(rows, r)
			}
			return nil
		}, nil); err != nil {
			t.Fatal(err)
		}
		return got, rows
	}
	base := ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeLogicalGroupNode}
	roots, _ := enumerate(&ipam.LogicalGroupNodeRootEnumerationParameters{EnumerationParametersBase: base,
		LogicalGroup: &ipam.LogicalGroup{Type: "Range", RecordID: &group}, LogicalGroupType: ipam.LogicalGroupTypeRange})
	want := values(distinct+` ORDER BY v."RecordId"`, managedBy)
	if len(want) == 0 || !slices.Equal(roots, want) {
		t.Fatalf("roots %q, the store %q", roots, want)
	}
	var root int64
	if err := db.QueryRowContext(ctx, `SELECT MIN(a."CustomFieldValueId") FROM "ADM_CustomFieldValuesAssociationTable" a
		WHERE a."ObjectType" = 'IPRange' AND a."Af" = 'InterNetwork' AND a."CustomFieldId" = ?`, managedBy).Scan(&root); err != nil {
		t.Fatal(err)
	}
	children, rows := enumerate(&ipam.LogicalGroupNodeChildrenEnumerationParameters{EnumerationParametersBase: base,
		ParentLogicalGroupNode: &ipam.LogicalGroupNode{Type: "Range", LogicalGroupRecordID: &group, CustomFieldRecordID: &managedBy, NodeCustomFieldValueID: &root}})
	want = values(distinct+` AND EXISTS (SELECT 1 FROM "ADM_CustomFieldValuesAssociationTable" x WHERE x."ObjectType" = 'IPRange'
		AND x."UsedById" = a."UsedById" AND x."CustomFieldId" = ? AND x."CustomFieldValueId" = ?) ORDER BY v."RecordId"`, entity, managedBy, root)
	if len(want) == 0 || !slices.Equal(children, want) {
		t.Fatalf("children %q, the store %q", children, want)
	}
	for _, r := range rows {
		if fmt.Sprint(r.Get("AncestorNodes")) == "<nil>" {
			t.Errorf("child %v has no AncestorNodes", r.Get("NodeCustomFieldValueId"))
		}
	}
	// The addresses of the first root's ranges (the client sends the root
	// as the LogicalGroupNode), range by range.
	c := &Client{}
	conn, err := c.Dial(ctx, uri)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	if _, err := c.Enumerate(ctx, conn, &ipam.IpamIPAddressAllForLogicalGroupNodeEnumerationParameters{
		EnumerationParametersBase: ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeIPAddress},
		AddressFamily:             ipam.AddressFamilyInterNetwork, LogicalGroupType: ipam.LogicalGroupTypeRange,
		LogicalGroupNode: &ipam.LogicalGroupNode{Type: "Range", LogicalGroupRecordID: &group, CustomFieldRecordID: &managedBy, NodeCustomFieldValueID: &root},
	}, func(rs []*ipam.GenericRow) error {
		for _, r := range rs {
			got = append(got, fmt.Sprintf("%s %v", r.Type, r.Get("RecordId")))
		}
		return nil
	}, nil); err != nil {
		t.Fatal(err)
	}
	var addresses []string
	rs, err := db.QueryContext(ctx, `SELECT d."RecordId" FROM "ADM_IPAddressTable" d WHERE d."Family" = 'IPv4' AND d."RangeRecordId" IN
		(SELECT a."UsedById" FROM "ADM_CustomFieldValuesAssociationTable" a WHERE a."ObjectType" = 'IPRange' AND a."Af" = 'InterNetwork'
		AND a."CustomFieldId" = ? AND a."CustomFieldValueId" = ?) ORDER BY d."RangeRecordId", d."RecordId"`, managedBy, root)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	for rs.Next() {
		var id int64
		if err := rs.Scan(&id); err != nil {
			t.Fatal(err)
		}
		addresses = append(addresses, fmt.Sprintf("IpamIPv4Address %d", id))
	}
	if len(addresses) == 0 || !slices.Equal(got, addresses) {
		t.Errorf("addresses of the node: %d rows, the store %d\n%q\n%q", len(got), len(addresses), got, addresses)
	}
}
