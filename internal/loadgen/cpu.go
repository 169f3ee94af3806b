package loadgen

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is Linux's USER_HZ, the unit of /proc/<pid>/stat's CPU times
// (100 on every architecture Go supports there).
const clockTicks = 100

// ProcessCPU returns the CPU time (user + system) process pid has used, read
// from /proc/<pid>/stat (Linux; 10 ms resolution). Elsewhere it fails and
// the reports carry no CPU figures.
func ProcessCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, fmt.Errorf("loadgen: CPU of process %d: %w", pid, err)
	}
	// The command name (field 2) may hold blanks and parentheses: the
	// fields that follow start after its last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("loadgen: CPU of process %d: unreadable stat", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("loadgen: CPU of process %d: short stat", pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64) // field 14
	stime, err2 := strconv.ParseInt(f[12], 10, 64) // field 15
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("loadgen: CPU of process %d: unreadable times", pid)
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// cpuMeter reads a process's CPU time before and after a measurement.
type cpuMeter struct {
	read  func() (time.Duration, error)
	start time.Duration
	ok    bool
}

func newCPUMeter(read func() (time.Duration, error)) *cpuMeter {
	m := &cpuMeter{read: read}
	if read != nil {
		if t, err := read(); err == nil {
			m.start, m.ok = t, true
		}
	}
	return m
}

// perSession is the CPU used since the start divided by n, or 0 when it
// cannot be read.
func (m *cpuMeter) perSession(n int) (total, per time.Duration) {
	if !m.ok || n <= 0 {
		return 0, 0
	}
	t, err := m.read()
	if err != nil {
		return 0, 0
	}
	total = t - m.start
	return total, total / time.Duration(n)
}

// selfCPU is this process's CPU time: the client's, when the server runs
// in a process of its own.
func selfCPU() (time.Duration, error) { return ProcessCPU(os.Getpid()) }
