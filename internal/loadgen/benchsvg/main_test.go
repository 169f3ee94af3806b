package main

import (
	"encoding/xml"
	"strings"
	"testing"

	"github.com/ipamd/ipamd/internal/loadgen"
)

// TestDraw: the SVG is well-formed XML with one line per series and the
// 12 KiB target on the memory panel.
func TestDraw(t *testing.T) {
	reps := []*loadgen.ScaleReport{
		{Encoding: "binary", Sessions: []loadgen.ScalePoint{{Clients: 1, IPAMD: 900, Canned: 1500}, {Clients: 16, IPAMD: 4000, Canned: 8000}},
			Held: []loadgen.HeldPoint{{Held: 1000, PerSession: 20 << 10}, {Held: 15000, PerSession: 17 << 10}}},
		{Encoding: "text", Sessions: []loadgen.ScalePoint{{Clients: 1, IPAMD: 600, Canned: 1000}, {Clients: 16, IPAMD: 2500, Canned: 5000}}},
	}
	svg := draw(reps)
	d := xml.NewDecoder(strings.NewReader(svg))
	for {
		if _, err := d.Token(); err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("not XML: %v", err)
			}
			break
		}
	}
	if n := strings.Count(svg, "<polyline"); n != 5 {
		t.Errorf("%d lines, want 5 (two rates per encoding, one memory)", n)
	}
	if !strings.Contains(svg, "target 12 KiB") {
		t.Error("no memory target line")
	}
}
