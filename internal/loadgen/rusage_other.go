//go:build !linux

package loadgen

import "os"

// PeakRSS is unknown outside Linux: 0.
func PeakRSS(*os.ProcessState) int64 { return 0 }
