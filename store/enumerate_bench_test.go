//go:build linux

package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/ipamd/ipamd/store/schema"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// benchEnumerateStore is the store the enumeration benchmarks read: the
// converted store IPAMD_ENUM_BENCH_DIR/enum-<IPAMD_ENUM_BENCH_ADDRESSES>.db
// when it exists (client/enumbench_test.go makes it; docs/performance.md,
// "Enumeration"), else a converted SQLite store of 20,000 addresses made
// for the run.
func benchEnumerateStore(b *testing.B) *Store {
	b.Helper()
	n := 100000
	if v := os.Getenv("IPAMD_ENUM_BENCH_ADDRESSES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			b.Fatalf("IPAMD_ENUM_BENCH_ADDRESSES=%q", v)
		}
	}
	if dir := os.Getenv("IPAMD_ENUM_BENCH_DIR"); dir != "" {
		path := filepath.Join(dir, fmt.Sprintf("enum-%d.db", n))
		if _, err := os.Stat(path); err == nil {
			s, err := Open(context.Background(), Config{Type: ipam.IpamDatabaseTypeWindowsInternalDatabase, Path: path}, Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = s.Close() })
			return s
		}
	}
	return convertedStore(b, schema.SQLite, 20000)
}

// benchCPU is this process's user+system CPU time.
func benchCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkEnumerateRowsStore is the store's share of an enumeration: the
// read transaction and the rows of every IPv4 address (and range) built
// as the enumerator receives them, without batching or encoding. It
// reports the process's CPU per row (the reader and the emitting goroutine
// together) and the custom field values per row.
func BenchmarkEnumerateRowsStore(b *testing.B) {
	s := benchEnumerateStore(b)
	for _, kind := range []struct {
		name string
		kind RowKind
	}{{"addresses", AddressRows}, {"ranges", RangeRows}} {
		b.Run(kind.name, func(b *testing.B) {
			ctx := context.Background()
			var rows, values int64
			b.ReportAllocs()
			start, cpu0 := time.Now(), benchCPU(b)
			for b.Loop() {
				if err := s.EnumerateRows(ctx, RowQuery{Kind: kind.kind}, func(o ipam.AnyIpamObject) error {
					rows++
					switch r := o.(type) {
					case *ipam.IPAddressRow:
						values += int64(len(r.CustomFieldValues))
					case *ipam.IPRangeRow:
						values += int64(len(r.CustomFieldValues))
					}
					return nil
				}); err != nil {
					b.Fatal(err)
				}
			}
			if rows == 0 {
				b.Fatal("no rows")
			}
			b.ReportMetric(float64(rows)/time.Since(start).Seconds(), "rows/s")
			b.ReportMetric(float64((benchCPU(b)-cpu0).Nanoseconds())/1e3/float64(rows), "cpu-µs/row")
			b.ReportMetric(float64(values)/float64(rows), "values/row")
		})
	}
}
