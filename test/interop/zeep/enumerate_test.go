package zeep_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	daemon "github.com/ipamd/ipamd/internal/daemontest"
	"github.com/ipamd/ipamd/internal/v1gen"
	"github.com/ipamd/ipamd/store"
	"github.com/ipamd/ipamd/store/convert"
	"github.com/ipamd/ipamd/store/schema"
	"github.com/ipamd/ipamd/test/internal/peer"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// TestZeepEnumerates: zeep enumerates the IPv4 subnets, the address spaces,
// the provider address spaces by FilterInfo (AddressSpaceByFilter, the
// criterion's value an xsd:anyType zeep types itself), the ranges of one
// address space by FilterInfo (IPRangeByFilter, the value an xsd:long) and
// (tier 2) the IPv4
// range logical groups of a converted v1 store over
// SOAP/HTTP (InitializeEnumeration with the parameter type's xsi:type,
// StartEnumeration), its own listener gets NotifyEnumerationStart, the
// EnumeratedRowsCallback messages and NotifyEnumerationComplete at its
// ReplyTo, zeep deserializes every row against the WSDL as the type its
// i:type names, and the rows it read are the store's, one for one (i:type,
// RecordId, start address or name).
func TestZeepEnumerates(t *testing.T) {
	requireZeep(t)
	state := t.TempDir()
	live := filepath.Join(state, store.WIDFileName)
	db, err := sql.Open("sqlite", schema.SQLiteDSN(live))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if _, err := v1gen.Generate(ctx, db, schema.SQLite, v1gen.Options{Addresses: 5000, Seed: 5}); err != nil {
		t.Fatalf("generate: %v", err)
	}
	if err := convert.Run(ctx, db, schema.SQLite, convert.Options{Now: time.Now}); err != nil {
		t.Fatalf("convert: %v", err)
	}
	// A customer address space (conversion makes only the default provider
	// space), for the filter to leave out.
	if _, err := db.Exec(`INSERT INTO "ADM_AddressSpaceTable" ("Family", "RecordId", "AddressSpaceType", "ProviderAddressSpaceRecordId", "Name")
		VALUES ('Customer', 2, 'Customer', 1, 'tenant')`); err != nil {
		t.Fatal(err)
	}
	// The first IPv4 range in it, for the range filter to leave out.
	if _, err := db.Exec(`UPDATE "ADM_IPRangeTable" SET "AddressSpaceRecordId" = 2
		WHERE "RecordId" = (SELECT MIN("RecordId") FROM "ADM_IPRangeTable" WHERE "Family" = 'IPv4')`); err != nil {
		t.Fatal(err)
	}
	if err := store.SaveActive(state, store.Config{Type: ipam.IpamDatabaseTypeWindowsInternalDatabase, Path: live}, false); err != nil {
		t.Fatal(err)
	}
	srv := daemon.Start(t, daemon.FlagStateDir, state)
	endpoint := srv.Endpoints[ipam.PortIIpamEnumerator]

	for _, tc := range []struct {
		params, query string
	}{
		{"subnets", `SELECT 'IPv4Subnet', b."RecordId", b."StartIPAddress" FROM "ADM_IPBlocksTable" b
			JOIN "ADM_SubnetTable" s ON s."RecordId" = b."RecordId" WHERE b."Family" = 'IPv4' AND b."IsSubnet" = 1 ORDER BY b."RecordId"`},
		{"spaces", `SELECT CASE WHEN "Family" = 'Customer' THEN 'CustomerAddressSpace' ELSE 'ProviderAddressSpace' END, "RecordId", "Name"
			FROM "ADM_AddressSpaceTable" ORDER BY "RecordId"`},
		// Tier 2: the IPv4 range logical groups (the groups of IP address
		// space management).
		{"groups", `SELECT 'IPv4RangeLogicalGroup', "RecordId", "Name" FROM "ADM_LogicalGroupsTable"
			WHERE ' ' || "Users" || ' ' LIKE '% IPAddressSpaceManagement %' ORDER BY "RecordId"`},
		// A ByFilter type: zeep writes FilterInfo's xsd:anyType value with
		// its i:type (IPAddressSpaceType = Provider).
		{"spacesfilter", `SELECT 'ProviderAddressSpace', "RecordId", "Name" FROM "ADM_AddressSpaceTable" WHERE "Family" = 'Provider' ORDER BY "RecordId"`},
		// IPRangeByFilter: AddressSpaceId = 1, typed xsd:long by zeep.
		{"rangesfilter", `SELECT 'IPv4Range', "RecordId", "StartIPAddress" FROM "ADM_IPRangeTable" WHERE "Family" = 'IPv4' AND "AddressSpaceRecordId" = 1 ORDER BY "RecordId"`},
	} {
		t.Run(tc.params, func(t *testing.T) {
			want := storeRows(t, db, tc.query)
			if len(want) == 0 {
				t.Fatalf("the converted store has no rows for %s", tc.params)
			}
			lines := peer.Run(t, clientTimeout, nil, python, "zeep_enumerate.py",
				"--wsdl", endpoint+"?wsdl", "--params", tc.params, "--timeout", callbackWait)
			var got []string
			for _, l := range lines {
				if r, ok := strings.CutPrefix(l, "ROW "); ok {
					got = append(got, r)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("zeep read %d rows, the store has %d; first difference:\n%s", len(got), len(want), firstDiff(got, want))
			}
		})
	}
}

func storeRows(t *testing.T, db *sql.DB, query string) []string {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var typ, key string
		var id int64
		if err := rows.Scan(&typ, &id, &key); err != nil {
			t.Fatal(err)
		}
		if a := ipam.ParseIPAddressText(key); a.IsValid() {
			key = a.String()
		}
		out = append(out, fmt.Sprintf("%s %d %s", typ, id, key))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func firstDiff(got, want []string) string {
	for i := range max(len(got), len(want)) {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			return fmt.Sprintf("row %d: zeep %q, store %q", i, g, w)
		}
	}
	return ""
}
