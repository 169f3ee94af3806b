package ipam

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestAppendDateTimeIsFormatDateTime: the allocation-free form writes
// what FormatDateTime writes, in UTC, other zones and Unspecified, with
// fractions of every length, and years at the edges.
func TestAppendDateTimeIsFormatDateTime(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 4))
	zones := []*time.Location{time.UTC, Unspecified, time.FixedZone("x", -7*3600-1800)}
	times := []time.Time{time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 100, time.UTC)}
	for range 2000 {
		ns := r.IntN(1e9)
		switch r.IntN(3) {
		case 0:
			ns = ns / 1e6 * 1e6
		case 1:
			ns = 0
		}
		times = append(times, time.Date(r.IntN(9999)+1, time.Month(r.IntN(12)+1), r.IntN(28)+1, r.IntN(24), r.IntN(60), r.IntN(60), ns, zones[r.IntN(3)]))
	}
	for _, tm := range times {
		if got, want := string(appendDateTime(nil, tm)), FormatDateTime(tm); got != want {
			t.Fatalf("%v: %q, want %q", tm, got, want)
		}
	}
}
