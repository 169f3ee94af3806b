package main

import (
	"encoding/json"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/ipamd/ipamd/internal/loadgen"
	"github.com/ipamd/ipamd/store/convert"
)

// TestBenchSessionsWithCeilings runs `ipamd bench sessions` against a real
// daemon with both ceilings, served by child processes (`bench
// ceiling-server`) by default and inside the bench with
// --ceiling-in-process: every session of every run completes, and the
// ratios are reported. Timing is not asserted.
func TestBenchSessionsWithCeilings(t *testing.T) {
	base := serveDaemon(t)
	if _, stderr, code := ipamd(t, nil, "provision", "--server", base, "--provisioning-method", "Manual",
		"--database-type", "WindowsInternalDatabase", "--progress", "never"); code != 0 {
		t.Fatalf("provision: exit %d: %s", code, stderr)
	}
	for _, tt := range []struct {
		name     string
		args     []string
		separate bool
	}{
		{"ceilings in child processes", nil, true},
		{"ceilings in the bench process", []string{"--ceiling-in-process"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"bench", "sessions", "--server", base, "--duration", "300ms", "--clients", "4",
				"--warmup", "5", "--ceiling", "all", "--output", "json"}, tt.args...)
			out, stderr, code := ipamd(t, nil, args...)
			if code != 0 {
				t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, stderr)
			}
			var cmp struct {
				Runs []struct {
					Server   string
					Sessions int
					Separate bool `json:"separate_process"`
					Outcomes map[string]int
					Errors   map[string]int
				}
				Ratios map[string]float64
			}
			if err := json.Unmarshal([]byte(out), &cmp); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			if len(cmp.Runs) != 3 || cmp.Ratios["canned"] <= 0 || cmp.Ratios["echo"] <= 0 {
				t.Fatalf("runs %+v ratios %v", cmp.Runs, cmp.Ratios)
			}
			for i, r := range cmp.Runs {
				if r.Sessions == 0 || len(r.Errors) != 0 {
					t.Errorf("%s: %d sessions, errors %v", r.Server, r.Sessions, r.Errors)
				}
				if i > 0 && r.Separate != tt.separate {
					t.Errorf("%s ceiling in a process of its own = %v, want %v", r.Server, r.Separate, tt.separate)
				}
			}
			if n := cmp.Runs[0].Outcomes["IpamApiErrorIpamAlreadyProvisioned"]; n != cmp.Runs[0].Sessions {
				t.Errorf("ipamd outcomes %v: want every session refused as already provisioned", cmp.Runs[0].Outcomes)
			}
		})
	}
}

// TestBenchConvert runs `ipamd bench convert` at two small sizes twice: the
// first run generates the v1 stores into the cache directory, the second
// reuses them (the cached stores are copied, never converted in place), and
// each point is a whole conversion by a child process with its times,
// memory, and steps to the last. Timing is not asserted.
func TestBenchConvert(t *testing.T) {
	dir := t.TempDir()
	sizes := []int64{2000, 5000}
	for run, wantGenerated := range []bool{true, false} {
		out, stderr, code := ipamd(t, nil, "bench", "convert", "--cache-dir", dir, "--addresses", "2000,5000", "--output", "json")
		if code != 0 {
			t.Fatalf("run %d: exit %d\nstdout: %s\nstderr: %s", run, code, out, stderr)
		}
		var rep loadgen.ConvertReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if rep.Engine != "sqlite" || len(rep.Conversion) != len(sizes) {
			t.Fatalf("run %d: engine %q, %d points, want sqlite and %d", run, rep.Engine, len(rep.Conversion), len(sizes))
		}
		for i, p := range rep.Conversion {
			if p.Addresses != sizes[i] || p.Wall <= 0 || p.User+p.System <= 0 || p.AddressesPerSecond <= 0 || p.StoreBytes <= 0 {
				t.Errorf("run %d: point %+v", run, p)
			}
			if runtime.GOOS == "linux" && (p.PeakRSS <= 0 || p.PeakRSSAnon <= 0 || p.PeakRSSAnon > p.PeakRSS) {
				t.Errorf("run %d, %d addresses: peak RSS %d, anonymous %d", run, p.Addresses, p.PeakRSS, p.PeakRSSAnon)
			}
			if (p.Generated > 0) != wantGenerated {
				t.Errorf("run %d, %d addresses: generated in %dns, want generated %v", run, p.Addresses, p.Generated, wantGenerated)
			}
			if n := len(p.Steps); n == 0 || p.Steps[n-1].Step != lastConvertStep() {
				t.Errorf("run %d, %d addresses: steps %+v, want them to end with %q", run, p.Addresses, p.Steps, lastConvertStep())
			}
		}
	}
	left, err := filepath.Glob(filepath.Join(dir, "convert-work.db*"))
	if err != nil || len(left) != 0 {
		t.Errorf("the converted copy was left behind: %v %v", left, err)
	}
}

func lastConvertStep() string {
	s := convert.StepNames()
	return s[len(s)-1]
}
