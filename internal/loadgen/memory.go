package loadgen

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ProcessRSS returns the resident set size of process pid in bytes, read
// from /proc/<pid>/status (Linux). Elsewhere it fails and hold mode reports
// no memory figure.
func ProcessRSS(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, fmt.Errorf("loadgen: memory of process %d: %w", pid, err)
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(v) // "123456 kB"
			if len(f) == 2 && f[1] == "kB" {
				if kb, err := strconv.ParseInt(f[0], 10, 64); err == nil {
					return kb << 10, nil
				}
			}
		}
	}
	return 0, fmt.Errorf("loadgen: memory of process %d: no VmRSS in /proc/%d/status", pid, pid)
}

// ProcessRSSAnon returns the anonymous part of process pid's resident set
// (RssAnon in /proc/<pid>/status, Linux): its heaps, without the file pages
// it has mapped, which the kernel may drop and read again.
func ProcessRSSAnon(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, fmt.Errorf("loadgen: memory of process %d: %w", pid, err)
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "RssAnon:"); ok {
			f := strings.Fields(v)
			if len(f) == 2 && f[1] == "kB" {
				if kb, err := strconv.ParseInt(f[0], 10, 64); err == nil {
					return kb << 10, nil
				}
			}
		}
	}
	return 0, fmt.Errorf("loadgen: memory of process %d: no RssAnon in /proc/%d/status", pid, pid)
}
