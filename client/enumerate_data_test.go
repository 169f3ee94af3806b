package client

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

// TestEnumerateGroupDataOverNetTCP: the LogicalGroupData parameter types
// over net.tcp (binary session encoding), against a converted v1 store
// whose last IPv4 range lost its Managed by value: the ranges of the
// built-in Managed by group's first root (LogicalGroupDataForLogicalGroupNode,
// the client sending the node as an IPv4RangeLogicalGroupNode), the
// ranges of the whole group (LogicalGroupDataForRootAlternateItems) and
// those not in it (LogicalGroupDataUnmappedItems), and the IPv4 subnets
// not in the group read as a subnet group (IPv4Subnet rows) — each as the
// test's own queries of the association table say, in RecordId order.
// The servers (ServerInfo rows) of the Managed by group and those not in
// it. Refused at Initialize: an ActiveServer node with a role Filter
// (IpamApiInvalidEnumeration)
// and a Filter given for a range node (IpamApiInvalidParameter). Rules
// E8 and E23.
func TestEnumerateGroupDataOverNetTCP(t *testing.T) {
	s := convertedSQLite(t, 600)
	uri := startEnumerator(t, s, 8<<10)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	db := s.DB()
	var group, managedBy int64
	if err := db.QueryRowContext(ctx, `SELECT "RecordId" FROM "ADM_LogicalGroupsTable" WHERE "BuiltinLogicalGroupNumber" = 'ManagedBy'`).Scan(&group); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, `SELECT "RecordId" FROM "ADM_CustomFieldsTable" WHERE "BuiltinCustomFieldNumber" = 'ManagedBy'`).Scan(&managedBy); err != nil {
		t.Fatal(err)
	}
	ids := func(typ, query string, args ...any) []string {
		t.Helper()
		rows, err := db.QueryContext(ctx, query, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%s %d", typ, id))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	ranges := ids("", `SELECT "RecordId" FROM "ADM_IPRangeTable" WHERE "Family" = 'IPv4' ORDER BY "RecordId"`)
	if len(ranges) < 2 {
		t.Fatalf("%d IPv4 ranges, want two or more", len(ranges))
	}
	var unmapped int64
	if _, err := fmt.Sscan(ranges[len(ranges)-1], &unmapped); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `DELETE FROM "ADM_CustomFieldValuesAssociationTable" WHERE "ObjectType" = 'IPRange' AND "UsedById" = ? AND "CustomFieldId" = ?`,
		unmapped, managedBy); err != nil {
		t.Fatal(err)
	}
	var root int64
	if err := db.QueryRowContext(ctx, `SELECT MIN("CustomFieldValueId") FROM "ADM_CustomFieldValuesAssociationTable"
		WHERE "ObjectType" = 'IPRange' AND "Af" = 'InterNetwork' AND "CustomFieldId" = ?`, managedBy).Scan(&root); err != nil {
		t.Fatal(err)
	}
	// A converted v1 store's servers have no Managed by value: the first
	// one gets the root's.
	if _, err := db.ExecContext(ctx, `INSERT INTO "ADM_CustomFieldValuesAssociationTable" ("RecordId", "ObjectType", "UsedById", "CustomFieldId", "CustomFieldValueId", "Value")
		SELECT (SELECT MAX("RecordId") + 1 FROM "ADM_CustomFieldValuesAssociationTable"), 'ServerInfo', MIN("RecordId"), ?, ?, 'x' FROM "ADM_ServersTable"`,
		managedBy, root); err != nil {
		t.Fatal(err)
	}
	enumerate := func(p ipam.AnyEnumerationParametersBase) ([]string, error) {
		t.Helper()
		c := &Client{}
		conn, err := c.Dial(ctx, uri)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		_, err = c.Enumerate(ctx, conn, p, func(rs []*ipam.GenericRow) error {
			for _, r := range rs {
				got = append(got, fmt.Sprintf("%s %v", r.Type, r.Get("RecordId")))
			}
			return nil
		}, nil)
		return got, err
	}
	base := ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeLogicalGroupData}
	rangeGroup := &ipam.LogicalGroup{Type: "Range", RecordID: &group}
	for _, tc := range []struct {
		name string
		p    ipam.AnyEnumerationParametersBase
		want []string
	}{
		{"ranges of the first root", &ipam.LogicalGroupDataForLogicalGroupNodeEnumerationParameters{EnumerationParametersBase: base,
			LogicalGroupNode: &ipam.LogicalGroupNode{Type: "Range", LogicalGroupRecordID: &group, CustomFieldRecordID: &managedBy, NodeCustomFieldValueID: &root}},
			ids("IPv4Range", `SELECT DISTINCT "UsedById" FROM "ADM_CustomFieldValuesAssociationTable" WHERE "ObjectType" = 'IPRange' AND "Af" = 'InterNetwork'
				AND "CustomFieldId" = ? AND "CustomFieldValueId" = ? ORDER BY "UsedById"`, managedBy, root)},
		{"ranges of the group", &ipam.LogicalGroupDataForRootAlternateItemsEnumerationParameters{EnumerationParametersBase: base,
			LogicalGroup: rangeGroup, LogicalGroupType: ipam.LogicalGroupTypeRange},
			ids("IPv4Range", `SELECT DISTINCT "UsedById" FROM "ADM_CustomFieldValuesAssociationTable" WHERE "ObjectType" = 'IPRange' AND "Af" = 'InterNetwork'
				AND "CustomFieldId" = ? ORDER BY "UsedById"`, managedBy)},
		{"ranges not in the group", &ipam.LogicalGroupDataUnmappedItemsEnumerationParameters{EnumerationParametersBase: base,
			LogicalGroup: rangeGroup, LogicalGroupType: ipam.LogicalGroupTypeRange}, []string{fmt.Sprint("IPv4Range ", unmapped)}},
		{"subnets not in the group", &ipam.LogicalGroupDataUnmappedItemsEnumerationParameters{EnumerationParametersBase: base,
			LogicalGroup: &ipam.LogicalGroup{Type: "Subnet", RecordID: &group}, LogicalGroupType: ipam.LogicalGroupTypeSubnet},
			ids("IPv4Subnet", `SELECT b."RecordId" FROM "ADM_IPBlocksTable" b WHERE b."Family" = 'IPv4' AND b."IsSubnet" = 1 AND NOT EXISTS
				(SELECT 1 FROM "ADM_CustomFieldValuesAssociationTable" x WHERE x."ObjectType" = 'IPSubnet' AND x."UsedById" = b."RecordId" AND x."CustomFieldId" = ?)
				ORDER BY b."RecordId"`, managedBy)},
		// ActiveServer: ServerInfo rows, built by id (Rule E21's rows).
		{"servers of the group", &ipam.LogicalGroupDataForRootAlternateItemsEnumerationParameters{EnumerationParametersBase: base,
			LogicalGroup: &ipam.LogicalGroup{Type: "ManagedServer", RecordID: &group}, LogicalGroupType: ipam.LogicalGroupTypeManagedServer},
			ids("ServerInfo", `SELECT DISTINCT "UsedById" FROM "ADM_CustomFieldValuesAssociationTable" WHERE "ObjectType" = 'ServerInfo'
				AND "CustomFieldId" = ? ORDER BY "UsedById"`, managedBy)},
		{"servers not in the group", &ipam.LogicalGroupDataUnmappedItemsEnumerationParameters{EnumerationParametersBase: base,
			LogicalGroup: &ipam.LogicalGroup{Type: "ManagedServer", RecordID: &group}, LogicalGroupType: ipam.LogicalGroupTypeManagedServer},
			ids("ServerInfo", `SELECT s."RecordId" FROM "ADM_ServersTable" s WHERE NOT EXISTS
				(SELECT 1 FROM "ADM_CustomFieldValuesAssociationTable" x WHERE x."ObjectType" = 'ServerInfo' AND x."UsedById" = s."RecordId" AND x."CustomFieldId" = ?)
				ORDER BY s."RecordId"`, managedBy)},
	} {
		got, err := enumerate(tc.p)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if len(tc.want) == 0 || !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, the store %q", tc.name, got, tc.want)
		}
	}
	for _, tc := range []struct {
		name string
		p    ipam.AnyEnumerationParametersBase
		want string
	}{
		{"an ActiveServer node by role Filter", &ipam.LogicalGroupDataForLogicalGroupNodeEnumerationParameters{EnumerationParametersBase: base,
			Filter:           []*ipam.KeyValueOfintanyType{{Key: 1}},
			LogicalGroupNode: &ipam.LogicalGroupNode{Type: "ManagedServer", LogicalGroupRecordID: &group, CustomFieldRecordID: &managedBy, NodeCustomFieldValueID: &root}},
			ipam.IpamApiInvalidEnumeration},
		{"a Filter for a range node", &ipam.LogicalGroupDataForLogicalGroupNodeEnumerationParameters{EnumerationParametersBase: base,
			Filter:           []*ipam.KeyValueOfintanyType{{Key: 1}},
			LogicalGroupNode: &ipam.LogicalGroupNode{Type: "Range", LogicalGroupRecordID: &group, CustomFieldRecordID: &managedBy, NodeCustomFieldValueID: &root}},
			ipam.IpamApiInvalidParameter},
	} {
		got, err := enumerate(tc.p)
		var exc *ipam.IpamException
		if !errors.As(err, &exc) || exc.ExceptionID != tc.want || len(got) != 0 {
			t.Errorf("%s: %d rows, %v; want %s", tc.name, len(got), err, tc.want)
		}
	}
}
