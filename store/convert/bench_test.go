package convert_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/ipamd/ipamd/store/convert"
	"github.com/ipamd/ipamd/store/schema"
	"github.com/ipamd/ipamd/store/storetest"
)

// BenchmarkConvert measures the conversion's throughput in addresses/s on a
// generated v1 store (IPAMD_BENCH_ADDRESSES addresses, default 100000),
// beside the engine's own bulk copy of the same address rows
// (INSERT … SELECT into a table of the same definition) as the ceiling, and
// reports their ratio. Run with -benchtime 1x: every iteration generates a
// fresh store first (not timed).
func BenchmarkConvert(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("IPAMD_BENCH_ADDRESSES")); err == nil && v > 0 {
		n = v
	}
	for _, e := range storetest.Engines {
		b.Run(e.Name, func(b *testing.B) {
			ctx := context.Background()
			var conv, copying time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				s := legacyStore(b, e.Dialect, n)
				// The ceiling: the engine copying the address rows.
				addr := *schema.V1.Table(schema.IPAddressTable)
				addr.Name = "bench_address_copy"
				if _, err := s.db.ExecContext(ctx, e.Dialect.CreateTable(&addr)); err != nil {
					b.Fatal(err)
				}
				began := time.Now()
				if _, err := s.db.ExecContext(ctx, `INSERT INTO bench_address_copy SELECT * FROM "ADM_IPAddressTable"`); err != nil {
					b.Fatal(err)
				}
				copying += time.Since(began)
				if _, err := s.db.ExecContext(ctx, `DROP TABLE bench_address_copy`); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				began = time.Now()
				if err := convert.Run(ctx, s.db, e.Dialect, convert.Options{}); err != nil {
					b.Fatal(err)
				}
				conv += time.Since(began)
			}
			total := float64(n * b.N)
			b.ReportMetric(total/conv.Seconds(), "addresses/s")
			b.ReportMetric(total/copying.Seconds(), "copy-addresses/s")
			b.ReportMetric(conv.Seconds()/copying.Seconds(), "x-copy-time")
		})
	}
}
