package client

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipamd/ipamd/services"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// TestEnumerateRangeAddressFilterOverNetTCP: IPRangeByFilter and
// IpamIPAddressByFilter over net.tcp (binary session encoding): the
// client's criteria (xsd:string values) select the ranges and addresses a
// query of the test's own selects, row for row; an unknown key is refused
// at Initialize with IpamApiInvalidParameter, a 3,000-byte key quoted only
// within the exception's bound, and so is a FilterInfo of more criteria
// than services.MaxFilterCriteria (each row is tested against each).
// Rules E10, E20.
func TestEnumerateRangeAddressFilterOverNetTCP(t *testing.T) {
	s := convertedSQLite(t, 600)
	uri := startEnumerator(t, s, 8<<10)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	db := s.DB()
	text := func(query string) string {
		var v string
		if err := db.QueryRowContext(ctx, query).Scan(&v); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return v
	}
	ids := func(prefix, query string) []string {
		rows, err := db.QueryContext(ctx, query)
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
			out = append(out, fmt.Sprint(prefix, " ", id))
		}
		return out
	}
	managedBy := text(`SELECT COALESCE(v."Value", a."Value") FROM "ADM_CustomFieldValuesAssociationTable" a
		JOIN "ADM_CustomFieldsTable" f ON f."RecordId" = a."CustomFieldId" LEFT JOIN "ADM_CustomFieldValuesTable" v ON v."RecordId" = a."CustomFieldValueId"
		WHERE a."ObjectType" = 'IPRange' AND f."BuiltinCustomFieldNumber" = 'ManagedBy' GROUP BY 1 ORDER BY COUNT(*) DESC, 1 LIMIT 1`)
	first := text(`SELECT "IpAddress" FROM "ADM_IPAddressTable" WHERE "Family" = 'IPv4' ORDER BY "RecordId" LIMIT 1`)
	last := text(`SELECT "IpAddress" FROM "ADM_IPAddressTable" WHERE "Family" = 'IPv4' ORDER BY "RecordId" DESC LIMIT 1`)
	addr := func(s string) string { return ipam.ParseIPAddressText(s).String() }
	criteria := func(kv ...string) []ipam.FilterCriterion {
		var out []ipam.FilterCriterion
		for i := 0; i+1 < len(kv); i += 2 {
			v := kv[i+1]
			out = append(out, ipam.FilterCriterion{Key: kv[i], Value: &v})
		}
		return out
	}
	ranges := func(c []ipam.FilterCriterion) ipam.AnyEnumerationParametersBase {
		p := &ipam.IPRangeByFilterEnumerationParameters{EnumerationParametersBase: ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeIPRange},
			AddressFamily: ipam.AddressFamilyInterNetwork, FilterInfo: []*ipam.TupleOfGetIPRangeFilteranyType2zwQHvQz{}}
		for _, x := range c {
			p.FilterInfo = append(p.FilterInfo, &ipam.TupleOfGetIPRangeFilteranyType2zwQHvQz{FilterCriterion: x})
		}
		return p
	}
	addresses := func(c []ipam.FilterCriterion) ipam.AnyEnumerationParametersBase {
		p := &ipam.IpamIPAddressByFilterEnumerationParameters{EnumerationParametersBase: ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeIPAddress},
			AddressFamily: ipam.AddressFamilyInterNetwork, FilterInfo: []*ipam.TupleOfGetIpamIPAddressFilteranyType2zwQHvQz{}}
		for _, x := range c {
			p.FilterInfo = append(p.FilterInfo, &ipam.TupleOfGetIpamIPAddressFilteranyType2zwQHvQz{FilterCriterion: x})
		}
		return p
	}
	for _, tc := range []struct {
		name   string
		params ipam.AnyEnumerationParametersBase
		want   []string
		exc    string
	}{
		{"ranges managed by, of space 1", ranges(criteria("ManagedByService", managedBy, "AddressSpaceId", "1")),
			ids("IPv4Range", `SELECT x."RecordId" FROM "ADM_IPRangeTable" x WHERE x."Family" = 'IPv4' AND x."AddressSpaceRecordId" = 1
				AND EXISTS (SELECT 1 FROM "ADM_CustomFieldValuesAssociationTable" a JOIN "ADM_CustomFieldsTable" f ON f."RecordId" = a."CustomFieldId"
				LEFT JOIN "ADM_CustomFieldValuesTable" v ON v."RecordId" = a."CustomFieldValueId"
				WHERE a."ObjectType" = 'IPRange' AND a."UsedById" = x."RecordId" AND f."BuiltinCustomFieldNumber" = 'ManagedBy'
				AND COALESCE(v."Value", a."Value") = '`+strings.ReplaceAll(managedBy, "'", "''")+`') ORDER BY x."RecordId"`), ""},
		{"two addresses", addresses(criteria("IpAddress", addr(last), "IpAddress", addr(first), "VirtualizationType", "NonVirtualized Fabric")),
			ids("IpamIPv4Address", `SELECT "RecordId" FROM "ADM_IPAddressTable" WHERE "Family" = 'IPv4'
				AND ("RecordId" = (SELECT MIN("RecordId") FROM "ADM_IPAddressTable" WHERE "Family" = 'IPv4')
				OR "RecordId" = (SELECT MAX("RecordId") FROM "ADM_IPAddressTable" WHERE "Family" = 'IPv4')) ORDER BY "RecordId"`), ""},
		{"an unknown key", ranges(criteria("IpAddress", "10.0.0.1")), nil, ipam.IpamApiInvalidParameter},
		{"a long unknown key", addresses(criteria(strings.Repeat("K", 3000), "x")), nil, ipam.IpamApiInvalidParameter},
		{"too many criteria", ranges(criteria(slices.Repeat([]string{"AddressCategory", "Public"}, services.MaxFilterCriteria+1)...)), nil, ipam.IpamApiInvalidParameter},
		{"one address", addresses(criteria("IpAddress", addr(first))),
			ids("IpamIPv4Address", `SELECT MIN("RecordId") FROM "ADM_IPAddressTable" WHERE "Family" = 'IPv4'`), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Client{}
			conn, err := c.Dial(ctx, uri)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			_, err = c.Enumerate(ctx, conn, tc.params, func(rows []*ipam.GenericRow) error {
				for _, r := range rows {
					got = append(got, fmt.Sprint(r.Type, " ", r.Get("RecordId")))
				}
				return nil
			}, nil)
			if tc.exc != "" {
				var re *RemoteError
				if !errors.As(err, &re) || re.ExceptionID() != tc.exc {
					t.Fatalf("err = %v, want %s", err, tc.exc)
				}
				if re.Exception != nil && len(re.Exception.Message) > ipam.MaxExceptionMessageBytes+64 {
					t.Errorf("the refusal echoes %d bytes", len(re.Exception.Message))
				}
				if len(got) != 0 {
					t.Errorf("rows after a refusal: %q", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(tc.want) == 0 || !slices.Equal(got, tc.want) {
				t.Errorf("got %q, the store %q", got, tc.want)
			}
		})
	}
}
