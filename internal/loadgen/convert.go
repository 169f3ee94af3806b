package loadgen

import (
	"os"
	"strconv"
	"strings"
)

// ConvertPoint is one store size of the conversion curve: a v1
// store of Addresses addresses converted by a child process of its own, so
// its CPU time and peak resident memory are the conversion's alone.
type ConvertPoint struct {
	Addresses int64 `json:"addresses"`
	// StoreBytes is the size of the v1 store before conversion (SQLite:
	// the database file; PostgreSQL: pg_database_size).
	StoreBytes int64 `json:"store_bytes"`
	// Wall, User and System are the conversion process's times, from its
	// start to its exit (nanoseconds).
	Wall   int64 `json:"wall_ns"`
	User   int64 `json:"user_ns"`
	System int64 `json:"system_ns"`
	// PeakRSS is the conversion process's peak resident set (ru_maxrss,
	// Linux; 0 elsewhere).
	PeakRSS int64 `json:"peak_rss_bytes"`
	// PeakRSSAnon is the most anonymous memory (RssAnon, sampled every
	// 50 ms, Linux) seen: the peak without mapped file pages.
	PeakRSSAnon int64 `json:"peak_rss_anon_bytes,omitempty"`
	// AddressesPerSecond: Addresses ÷ wall time; AddressesPerCPUSecond:
	// Addresses ÷ (user + system).
	AddressesPerSecond    float64 `json:"addresses_per_second"`
	AddressesPerCPUSecond float64 `json:"addresses_per_cpu_second"`
	// Steps are the conversion's steps with the seconds from each step's
	// first progress report to the next step's.
	Steps []ConvertStep `json:"steps,omitempty"`
	// Generated is how long generating the v1 store took (0: reused from
	// the cache).
	Generated int64 `json:"generated_ns,omitempty"`
	// LoadBefore and LoadAfter are the 1-minute load average around the
	// conversion (Linux): how busy the machine was.
	LoadBefore float64 `json:"load_before,omitempty"`
	LoadAfter  float64 `json:"load_after,omitempty"`
}

// ConvertStep is one step of a conversion and its share of the wall time.
type ConvertStep struct {
	Step    string  `json:"step"`
	Seconds float64 `json:"seconds"`
	// CPUSeconds is the process's CPU time (user + system) over the same
	// span (Linux, 10 ms resolution): on a shared machine the wall time
	// of a step moves with the load, its CPU time much less.
	CPUSeconds float64 `json:"cpu_seconds"`
	// RSS is the most resident memory the process was seen with during
	// the step (VmRSS read every 50 ms, Linux): where the peak is.
	RSS int64 `json:"rss_bytes,omitempty"`
	// RSSAnon is the most anonymous memory seen during the step (RssAnon):
	// RSS without mapped file pages (SQLite's memory-mapped files).
	RSSAnon int64 `json:"rss_anon_bytes,omitempty"`
}

// ConvertReport is how the schema conversion's time and memory grow with
// the store (`ipamd bench convert`); internal/loadgen/benchsvg draws it.
type ConvertReport struct {
	Machine Machine `json:"machine"`
	Engine  string  `json:"engine"`
	Seed    uint64  `json:"seed"`
	// Conversion holds the points in the order measured (ascending size).
	Conversion []ConvertPoint `json:"conversion"`
}

// LoadAverage returns the 1-minute load average (Linux /proc/loadavg; 0
// elsewhere).
func LoadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return 0
	}
	return v
}
