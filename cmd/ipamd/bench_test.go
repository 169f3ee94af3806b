package main

import (
	"encoding/json"
	"testing"
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
