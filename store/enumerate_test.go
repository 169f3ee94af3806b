package store

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/ipamd/ipamd/internal/v1gen"
	"github.com/ipamd/ipamd/store/convert"
	"github.com/ipamd/ipamd/store/schema"
	"github.com/ipamd/ipamd/store/storetest"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// convertedStore is a v1 store of about addresses addresses, converted to v2.
func convertedStore(t testing.TB, d schema.Dialect, addresses int) *Store {
	t.Helper()
	db := storetest.OpenDB(t, d)
	ctx := context.Background()
	if _, err := v1gen.Generate(ctx, db, d, v1gen.Options{Addresses: addresses, Seed: 7}); err != nil {
		t.Fatalf("generate: %v", err)
	}
	if err := convert.Run(ctx, db, d, convert.Options{Now: time.Now}); err != nil {
		t.Fatalf("convert: %v", err)
	}
	return &Store{db: db, dialect: d}
}

type storedRow struct {
	id      int64
	addr    string
	customs int
}

// direct reads what an enumeration must return, by a query of its own.
func direct(t *testing.T, s *Store, table, addrCol, objectType, fam string) []storedRow {
	t.Helper()
	rows, err := s.db.Query(`SELECT o."RecordId", o.` + schema.Quote(addrCol) + `,
		(SELECT COUNT(*) FROM "ADM_CustomFieldValuesAssociationTable" c WHERE c."ObjectType" = '` + objectType + `' AND c."UsedById" = o."RecordId")
		FROM ` + schema.Quote(table) + ` o WHERE o."Family" = '` + fam + `' ORDER BY o."RecordId"`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []storedRow
	for rows.Next() {
		var r storedRow
		if err := rows.Scan(&r.id, &r.addr, &r.customs); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// TestEnumerateRowsMatchStore: ranges and addresses of both families of a
// converted v1 store come out one for one, in RecordId order, with their
// addresses and custom field values, on both engines. Rule E8.
func TestEnumerateRowsMatchStore(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			s := convertedStore(t, e.Dialect, 3000)
			ctx := context.Background()
			for _, tc := range []struct {
				kind                        RowKind
				table, col, objectType, fam string
			}{
				{RangeRows, schema.IPRangeTable, "StartIPAddress", "IPRange", "IPv4"},
				{RangeRows, schema.IPRangeTable, "StartIPAddress", "IPRange", "IPv6"},
				{AddressRows, schema.IPAddressTable, "IpAddress", "IPAddress", "IPv4"},
				{AddressRows, schema.IPAddressTable, "IpAddress", "IPAddress", "IPv6"},
			} {
				want := direct(t, s, tc.table, tc.col, tc.objectType, tc.fam)
				var got []storedRow
				err := s.EnumerateRows(ctx, RowQuery{Kind: tc.kind, IPv6: tc.fam == "IPv6"}, func(o ipam.AnyIpamObject) error {
					switch v := o.(type) {
					case *IPRangeRowAlias:
						got = append(got, storedRow{id: v.RecordID, addr: v.StartIPAddress.String(), customs: len(v.CustomFieldValues)})
						if v.StartIPAddress.Is6() != (tc.fam == "IPv6") {
							t.Errorf("range %d: family of %s", v.RecordID, v.StartIPAddress)
						}
					case *ipam.IPAddressRow:
						got = append(got, storedRow{id: v.RecordID, addr: v.Address.String(), customs: len(v.CustomFieldValues)})
						if v.ParentIPRangeRecordID == nil || !v.ParentIPRangeStartIP.IsValid() {
							t.Errorf("address %d: no parent range", v.RecordID)
						}
					}
					return nil
				})
				if err != nil {
					t.Fatalf("%s %s: %v", tc.table, tc.fam, err)
				}
				if len(want) == 0 {
					t.Fatalf("%s %s: the generated store has no rows", tc.table, tc.fam)
				}
				if len(got) != len(want) {
					t.Fatalf("%s %s: %d rows, the store has %d", tc.table, tc.fam, len(got), len(want))
				}
				for i := range want {
					w := want[i]
					w.addr = ipam.ParseIPAddressText(w.addr).String()
					if got[i] != w {
						t.Errorf("%s %s row %d: got %+v, store %+v", tc.table, tc.fam, i, got[i], w)
						break
					}
				}
			}
		})
	}
}

// IPRangeRowAlias keeps the type switch above readable.
type IPRangeRowAlias = ipam.IPRangeRow

// TestEnumerateRowsFilters: the range id, address space and virtualization
// filters.
func TestEnumerateRowsFilters(t *testing.T) {
	s := convertedStore(t, schema.SQLite, 1500)
	ctx := context.Background()
	var rangeID int64
	if err := s.db.QueryRow(`SELECT "RangeRecordId" FROM "ADM_IPAddressTable" WHERE "Family" = 'IPv4' ORDER BY "RecordId" LIMIT 1`).Scan(&rangeID); err != nil {
		t.Fatal(err)
	}
	var want int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM "ADM_IPAddressTable" WHERE "RangeRecordId" = ?`, rangeID).Scan(&want); err != nil {
		t.Fatal(err)
	}
	count := func(q RowQuery) int {
		n := 0
		if err := s.EnumerateRows(ctx, q, func(ipam.AnyIpamObject) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if got := count(RowQuery{Kind: AddressRows, RangeID: &rangeID}); got != want || want == 0 {
		t.Errorf("addresses of range %d: %d, store has %d", rangeID, got, want)
	}
	none := int64(-5)
	if got := count(RowQuery{Kind: RangeRows, AddressSpaceID: &none}); got != 0 {
		t.Errorf("ranges of a missing address space: %d", got)
	}
	all := count(RowQuery{Kind: RangeRows})
	if got := count(RowQuery{Kind: RangeRows, Virtualization: []string{"NonVirtualized"}}); got != all || all == 0 {
		t.Errorf("NonVirtualized ranges %d of %d", got, all)
	}
	if got := count(RowQuery{Kind: RangeRows, Virtualization: []string{"Virtual"}}); got != 0 {
		t.Errorf("Virtual ranges of a converted v1 store: %d", got)
	}
}

// TestEnumerateRowsCancelled: an emit error or a cancelled context ends the
// enumeration and is returned. Rule E4.
func TestEnumerateRowsCancelled(t *testing.T) {
	s := convertedStore(t, schema.SQLite, 1500)
	stop := errors.New("stop")
	n := 0
	err := s.EnumerateRows(context.Background(), RowQuery{Kind: AddressRows}, func(ipam.AnyIpamObject) error {
		n++
		if n == 10 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 10 {
		t.Errorf("emit error: %v after %d rows", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n = 0
	err = s.EnumerateRows(ctx, RowQuery{Kind: AddressRows}, func(ipam.AnyIpamObject) error {
		n++
		if n == 10 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v after %d rows", err, n)
	}
}

// TestEnumerateCustomFieldDefsCached: the address rows' custom field
// values are the same whether the field definitions are read once into
// memory or joined into the values query (more than
// maxCachedCustomFields), on both engines.
func TestEnumerateCustomFieldDefsCached(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			s := convertedStore(t, e.Dialect, 1200)
			read := func() []*ipam.IPAddressRow {
				var out []*ipam.IPAddressRow
				if err := s.EnumerateRows(context.Background(), RowQuery{Kind: AddressRows}, func(r ipam.AnyIpamObject) error {
					out = append(out, r.(*ipam.IPAddressRow))
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				return out
			}
			cached := read()
			defer func(n int) { maxCachedCustomFields = n }(maxCachedCustomFields)
			maxCachedCustomFields = 0
			joined := read()
			if len(cached) != len(joined) || len(cached) == 0 {
				t.Fatalf("%d rows cached, %d joined", len(cached), len(joined))
			}
			values := 0
			for i := range cached {
				if !reflect.DeepEqual(cached[i].CustomFieldValues, joined[i].CustomFieldValues) {
					t.Fatalf("row %d: %+v cached, %+v joined", cached[i].RecordID, cached[i].CustomFieldValues, joined[i].CustomFieldValues)
				}
				values += len(cached[i].CustomFieldValues)
				for _, v := range cached[i].CustomFieldValues {
					if v.ParentCustomFieldName == "" || v.ParentCustomFieldRecordID == 0 {
						t.Fatalf("row %d: value without its field: %+v", cached[i].RecordID, v)
					}
				}
			}
			if values == 0 {
				t.Fatal("no custom field values: the test proves nothing")
			}
		})
	}
}
