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
// their ratio as ratio-to-copy: conversion throughput ÷ bulk-copy
// throughput (higher is better; issue 7's target is ≥ 0.5, i.e. the
// conversion takes at most twice the copy's time). Run with -benchtime 1x:
// every iteration generates a fresh store first (not timed); -v logs each
// step's time.
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
				var st stepTimes
				began = time.Now()
				if err := convert.Run(ctx, s.db, e.Dialect, convert.Options{Progress: st.progress}); err != nil {
					b.Fatal(err)
				}
				conv += time.Since(began)
				st.log(b)
			}
			total := float64(n * b.N)
			b.ReportMetric(total/conv.Seconds(), "addresses/s")
			b.ReportMetric(total/copying.Seconds(), "copy-addresses/s")
			b.ReportMetric(copying.Seconds()/conv.Seconds(), "ratio-to-copy")
		})
	}
}

// stepTimes records when each step first reported progress.
type stepTimes struct {
	names []string
	at    []time.Time
}

func (s *stepTimes) progress(step string, _, _ int64) {
	if n := len(s.names); n == 0 || s.names[n-1] != step {
		s.names = append(s.names, step)
		s.at = append(s.at, time.Now())
	}
}

// log prints each step's share of the conversion (run with -v).
func (s *stepTimes) log(b *testing.B) {
	end := time.Now()
	for i, n := range s.names {
		next := end
		if i+1 < len(s.at) {
			next = s.at[i+1]
		}
		b.Logf("%-60s %8.3fs", n, next.Sub(s.at[i]).Seconds())
	}
}
