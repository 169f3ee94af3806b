package v1gen_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ipamd/ipamd/internal/v1gen"
	"github.com/ipamd/ipamd/store/storetest"
)

func TestGenerate(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			db := storetest.OpenDB(t, e.Dialect)
			ctx := context.Background()
			st, err := v1gen.Generate(ctx, db, e.Dialect, v1gen.Options{Addresses: 5000, Seed: 7})
			if err != nil {
				t.Fatal(err)
			}
			if st.Addresses != 5000 || st.Ranges == 0 || st.Scopes == 0 || st.Reservations == 0 {
				t.Fatalf("stats %+v", st)
			}
			count := func(q string) int64 {
				t.Helper()
				var n int64
				if err := db.QueryRowContext(ctx, q).Scan(&n); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
				return n
			}
			for q, want := range map[string]int64{
				`SELECT COUNT(*) FROM "ADM_IPAddressTable"`:                               5000,
				`SELECT COUNT(*) FROM "ADM_IPRangeTable"`:                                 st.Ranges,
				`SELECT COUNT(*) FROM "ADM_CustomFieldValuesAssociationTable"`:            st.Associations,
				`SELECT COUNT(*) FROM "ADM_CustomFieldsTable" WHERE "Origin" = 'Builtin'`: 13,
				`SELECT COUNT(*) FROM "ADM_IPAddressTable" a LEFT JOIN "ADM_IPRangeTable" r ON r."RecordId" = a."RangeRecordId" WHERE r."RecordId" IS NULL`: 0,
				`SELECT COUNT(*) FROM "ADM_IPRangeTable" WHERE "SubnetId" IS NULL OR "SubnetMask" IS NULL`:                                                  0,
			} {
				if got := count(q); got != want {
					t.Errorf("%s = %d, want %d", q, got, want)
				}
			}
			for _, q := range []string{
				// Some ranges have no containing v1 block, some share a subnet.
				`SELECT COUNT(*) FROM "ADM_IPRangeTable" WHERE "ParentIPBlockRecordId" IS NULL`,
				`SELECT COUNT(*) FROM (SELECT "SubnetId" FROM "ADM_IPRangeTable" GROUP BY "SubnetId", "PrefixLength" HAVING COUNT(*) > 1) s`,
				`SELECT COUNT(*) FROM "ADM_IPRangeTable" WHERE "Family" = 'IPv6'`,
			} {
				if count(q) == 0 {
					t.Errorf("%s = 0", q)
				}
			}
			if _, err := v1gen.Generate(ctx, db, e.Dialect, v1gen.Options{Addresses: 10}); !errors.Is(err, v1gen.ErrNotEmpty) {
				t.Errorf("second Generate: %v, want ErrNotEmpty", err)
			}
		})
	}
}

// BenchmarkGenerate measures the load rate in addresses/s.
func BenchmarkGenerate(b *testing.B) {
	for _, e := range storetest.Engines {
		b.Run(e.Name, func(b *testing.B) {
			const n = 100_000
			for b.Loop() {
				b.StopTimer()
				db := storetest.OpenDB(b, e.Dialect)
				b.StartTimer()
				if _, err := v1gen.Generate(context.Background(), db, e.Dialect, v1gen.Options{Addresses: n, Seed: 1}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "addresses/s")
		})
	}
}
