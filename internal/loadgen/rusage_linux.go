package loadgen

import (
	"os"
	"syscall"
)

// PeakRSS returns the peak resident set size of the exited child process
// ps describes (its ru_maxrss, which Linux counts in KiB).
func PeakRSS(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss << 10
	}
	return 0
}
