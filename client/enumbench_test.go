//go:build linux

package client

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ipamd/ipamd/internal/v1gen"
	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/store"
	"github.com/ipamd/ipamd/store/convert"
	"github.com/ipamd/ipamd/store/schema"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// benchStore is the converted store the enumeration benchmarks read:
// IPAMD_ENUM_BENCH_ADDRESSES addresses (default 100,000). With
// IPAMD_ENUM_BENCH_DIR the store is kept there and reused by later runs
// (a 1,000,000-address store takes minutes to generate and convert).
func benchStore(b *testing.B) (*store.Store, int) {
	b.Helper()
	n := 100000
	if v := os.Getenv("IPAMD_ENUM_BENCH_ADDRESSES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			b.Fatalf("IPAMD_ENUM_BENCH_ADDRESSES=%q", v)
		}
	}
	dir := os.Getenv("IPAMD_ENUM_BENCH_DIR")
	if dir == "" {
		return convertedSQLite(b, n), n
	}
	path := filepath.Join(dir, fmt.Sprintf("enum-%d.db", n))
	ctx := context.Background()
	if _, err := os.Stat(path); err != nil {
		tmp := path + ".tmp"
		_ = os.Remove(tmp)
		db, err := sql.Open("sqlite", schema.SQLiteDSN(tmp))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := v1gen.Generate(ctx, db, schema.SQLite, v1gen.Options{Addresses: n, Seed: 11}); err != nil {
			b.Fatal(err)
		}
		if err := convert.Run(ctx, db, schema.SQLite, convert.Options{Now: time.Now}); err != nil {
			b.Fatal(err)
		}
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			b.Fatal(err)
		}
	}
	s, err := store.Open(ctx, store.Config{Type: ipam.IpamDatabaseTypeWindowsInternalDatabase, Path: path}, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s, n
}

// processCPU is this process's user+system CPU time.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// threadCPU is the calling OS thread's user+system CPU time
// (RUSAGE_THREAD; the goroutine must be locked to its thread).
func threadCPU() time.Duration {
	const rusageThread = 1 // RUSAGE_THREAD (Linux)
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rssAnon is this process's anonymous resident memory (RssAnon), the
// memory an enumeration could grow; the store's pages are file-backed.
func rssAnon(b *testing.B) int64 {
	s, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Skip("no /proc/self/status:", err)
	}
	for line := range strings.Lines(string(s)) {
		if v, ok := strings.CutPrefix(line, "RssAnon:"); ok {
			if f := strings.Fields(v); len(f) == 2 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb << 10
			}
		}
	}
	b.Skip("no RssAnon")
	return 0
}

// rowItem is what each IPv4 address row carries once in the binary
// encodings: its i:type value, IpamIPv4Address, as Chars8Text (the
// item's element name is a session string id on msbinsession1, so it
// has no fixed bytes).
var rowItem = []byte("\x98\x0fIpamIPv4Address")

// leanEnumerate runs one enumeration with the client package up to
// StartEnumeration, then reads the callbacks itself: each message's
// header is decoded and its rows counted by scanning the bytes for the
// row items, so the client does not parse the rows (its generic parse
// costs more CPU than the server's encoding). It returns the rows and
// when the first one arrived, and the CPU the reading took: it runs on
// its own OS thread (LockOSThread), whose CPU time (RUSAGE_THREAD) is the
// lean reader's alone, the socket reads included.
func leanEnumerate(ctx context.Context, c *Client, uri string, params ipam.AnyEnumerationParametersBase) (rows int64, first, readCPU time.Duration, err error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	conn, err := c.Dial(ctx, uri)
	if err != nil {
		return 0, 0, 0, err
	}
	defer conn.Abort()
	sess, err := c.NewSession(conn, Enumeration)
	if err != nil {
		return 0, 0, 0, err
	}
	if err := sess.Initialize(ctx, params); err != nil {
		return 0, 0, 0, err
	}
	codec := soap.NewCodec(soap.EncodingBinarySession, soap.Limits{})
	start, cpu0 := time.Now(), threadCPU()
	defer func() { readCPU = threadCPU() - cpu0 }()
	if err := sess.Start(ctx); err != nil {
		return 0, 0, 0, err
	}
	for {
		p, err := conn.ReadMessage(ctx)
		if err != nil {
			return rows, first, 0, err
		}
		env, err := codec.Decode(p)
		if err != nil {
			return rows, first, 0, err
		}
		switch env.Header.Action {
		case ipam.ActionEnumeratedRowsCallback:
			if first == 0 {
				first = time.Since(start)
			}
			rows += int64(bytes.Count(p, rowItem))
		case ipam.ActionNotifyEnumerationComplete:
			if env.IsFault() {
				return rows, first, 0, fmt.Errorf("enumeration fault")
			}
			return rows, first, 0, nil
		}
	}
}

// BenchmarkEnumerateAddressesLean: every IPv4 address of a converted v1
// store over net.tcp, binary session encoding, server in this process,
// read by a lean client (leanEnumerate). Reports rows/s, the process's
// CPU per row (server and lean client), the first row's latency after
// StartEnumeration, and the growth of anonymous resident memory during
// the enumeration (sampled every 20 ms) — the server's, the lean client
// holding one message at a time.
func BenchmarkEnumerateAddressesLean(b *testing.B) {
	s, _ := benchStore(b)
	var want int64
	if err := s.DB().QueryRow(`SELECT COUNT(*) FROM "ADM_IPAddressTable" WHERE "Family" = 'IPv4'`).Scan(&want); err != nil {
		b.Fatal(err)
	}
	uri := startEnumerator(b, s, 0)
	ctx := context.Background()
	c := &Client{}
	var (
		rows      int64
		firstMax  time.Duration
		wall, cpu time.Duration
		readCPU   time.Duration
		growth    int64
	)
	for b.Loop() {
		base := rssAnon(b)
		stop := make(chan struct{})
		var peak int64
		var wg sync.WaitGroup
		wg.Go(func() {
			t := time.NewTicker(20 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					peak = max(peak, rssAnon(b))
				}
			}
		})
		cpu0, t0 := processCPU(b), time.Now()
		n, first, rc, err := leanEnumerate(ctx, c, uri, addressParams(false))
		wall += time.Since(t0)
		readCPU += rc
		cpu += processCPU(b) - cpu0
		close(stop)
		wg.Wait()
		if err != nil {
			b.Fatal(err)
		}
		if n != want {
			b.Fatalf("%d rows, the store has %d IPv4 addresses", n, want)
		}
		rows += n
		firstMax = max(firstMax, first)
		growth = max(growth, peak-base)
	}
	b.ReportMetric(float64(rows)/wall.Seconds(), "rows/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(rows), "cpu-µs/row")
	b.ReportMetric(float64(readCPU.Nanoseconds())/1000/float64(rows), "lean-cpu-µs/row")
	b.ReportMetric(float64(firstMax.Microseconds())/1000, "first-row-ms")
	b.ReportMetric(float64(growth)/(1<<20), "rss-anon-growth-MiB")
	b.ReportMetric(float64(want), "rows/op")
}
