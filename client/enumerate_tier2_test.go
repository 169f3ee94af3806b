package client

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

// TestEnumerateTier2OverNetTCP: the tier 2 and ByFilter rows come over
// net.tcp (binary session encoding) as the store holds them: the IPv6
// range logical groups (their i:type, RecordId and name), the custom field
// associations (nested fields and value pairs, added to the store here),
// and the subnets of one network by FilterInfo (the client's criterion an
// xsd:string). Rule E8.
func TestEnumerateTier2OverNetTCP(t *testing.T) {
	s := convertedSQLite(t, 600)
	uri := startEnumerator(t, s, 8<<10)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	db := s.DB()
	// Two links between the first two Managed by values and the first IP
	// address state.
	if _, err := db.ExecContext(ctx, `INSERT INTO "ADM_MultiValueCustomFieldValueAssociationTable" ("CustomFieldValueId1", "CustomFieldValueId2")
		SELECT m."RecordId", (SELECT MIN(v."RecordId") FROM "ADM_CustomFieldValuesTable" v JOIN "ADM_CustomFieldsTable" f ON f."RecordId" = v."CustomFieldRecordId"
			WHERE f."BuiltinCustomFieldNumber" = 'IPAddressState')
		FROM "ADM_CustomFieldValuesTable" m JOIN "ADM_CustomFieldsTable" g ON g."RecordId" = m."CustomFieldRecordId"
		WHERE g."BuiltinCustomFieldNumber" = 'ManagedBy' ORDER BY m."RecordId" LIMIT 2`); err != nil {
		t.Fatal(err)
	}
	var network string
	if err := db.QueryRowContext(ctx, `SELECT "NetworkId" FROM "ADM_IPBlocksTable" WHERE "Family" = 'IPv4' AND "IsSubnet" = 1 ORDER BY "RecordId" LIMIT 1`).Scan(&network); err != nil {
		t.Fatal(err)
	}
	network = ipam.ParseIPAddressText(network).String()
	strs := func(query string) []string {
		rows, err := db.QueryContext(ctx, query)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var a, b, c string
			if err := rows.Scan(&a, &b, &c); err != nil {
				t.Fatal(err)
			}
			if addr := ipam.ParseIPAddressText(c); addr.IsValid() {
				c = addr.String()
			}
			out = append(out, a+" "+b+" "+c)
		}
		return out
	}
	nested := func(r *ipam.GenericRow, member, inner string) string {
		g, _ := r.Get(member).(*ipam.GenericRow)
		if g == nil {
			return "<nil>"
		}
		v, _ := g.Get(inner).(string)
		return v
	}
	for _, tc := range []struct {
		name   string
		params ipam.AnyEnumerationParametersBase
		want   []string
		key    func(r *ipam.GenericRow) string
	}{
		{"IPv6 range logical groups", &ipam.LogicalGroupsEnumerationParameters{
			EnumerationParametersBase: ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeLogicalGroup},
			AddressFamily:             ipam.AddressFamilyInterNetworkV6, LogicalGroupType: ipam.LogicalGroupTypeRange},
			strs(`SELECT 'IPv6RangeLogicalGroup', "RecordId", "Name" FROM "ADM_LogicalGroupsTable" WHERE "Users" LIKE '%IPAddressSpaceManagement%' ORDER BY "RecordId"`),
			func(r *ipam.GenericRow) string {
				return fmt.Sprintf("%s %v %v", r.Type, r.Get("RecordId"), r.Get("Name"))
			}},
		{"custom field associations", &ipam.CustomFieldAssociationEnumerationParameters{
			EnumerationParametersBase: ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeCustomFieldAssociation}},
			strs(`SELECT DISTINCT 'CustomFieldAssociation', f1."Name", f2."Name" FROM "ADM_MultiValueCustomFieldValueAssociationTable" a
				JOIN "ADM_CustomFieldValuesTable" v1 ON v1."RecordId" = a."CustomFieldValueId1" JOIN "ADM_CustomFieldsTable" f1 ON f1."RecordId" = v1."CustomFieldRecordId"
				JOIN "ADM_CustomFieldValuesTable" v2 ON v2."RecordId" = a."CustomFieldValueId2" JOIN "ADM_CustomFieldsTable" f2 ON f2."RecordId" = v2."CustomFieldRecordId"`),
			func(r *ipam.GenericRow) string {
				return r.Type + " " + nested(r, "CustomField1", "Name") + " " + nested(r, "CustomField2", "Name")
			}},
		{"subnets of one network", &ipam.IpamIPSubnetByFilterEnumerationParameters{
			EnumerationParametersBase: ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeIPSubnet},
			AddressFamily:             ipam.AddressFamilyInterNetwork,
			FilterInfo:                []*ipam.TupleOfGetIPSubnetFilteranyType2zwQHvQz{{FilterCriterion: ipam.FilterCriterion{Key: "NetworkId", Value: &network}}}},
			subnetsOf(strs(`SELECT 'IPv4Subnet', "RecordId", "NetworkId" FROM "ADM_IPBlocksTable" WHERE "Family" = 'IPv4' AND "IsSubnet" = 1 ORDER BY "RecordId"`), network),
			func(r *ipam.GenericRow) string {
				return fmt.Sprintf("%s %v %v", r.Type, r.Get("RecordId"), r.Get("NetworkId")) // a sysnet:IPAddress reads as its text
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Client{}
			conn, err := c.Dial(ctx, uri)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			if _, err := c.Enumerate(ctx, conn, tc.params, func(rows []*ipam.GenericRow) error {
				for _, r := range rows {
					got = append(got, tc.key(r))
				}
				return nil
			}, nil); err != nil {
				t.Fatal(err)
			}
			want := tc.want
			if len(want) == 0 || !slices.Equal(got, want) {
				t.Errorf("got %q, the store %q", got, want)
			}
		})
	}
}

// subnetsOf keeps the rows ("type id network") of one network.
func subnetsOf(rows []string, network string) []string {
	var out []string
	for _, r := range rows {
		if strings.HasSuffix(r, " "+network) {
			out = append(out, r)
		}
	}
	return out
}
