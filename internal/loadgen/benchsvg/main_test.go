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

// TestDrawConvert: the conversion curve is well-formed XML with a wall and
// a CPU line per engine, one RSS line per engine, the 256 MiB target and
// the linear floor drawn from the 1M point.
func TestDrawConvert(t *testing.T) {
	pt := func(n int64, rate, cpuRate float64, rss int64) loadgen.ConvertPoint {
		return loadgen.ConvertPoint{Addresses: n, AddressesPerSecond: rate, AddressesPerCPUSecond: cpuRate, PeakRSS: rss << 20}
	}
	reps := []*loadgen.ConvertReport{
		{Engine: "sqlite", Conversion: []loadgen.ConvertPoint{pt(100_000, 50_000, 150_000, 100), pt(1_000_000, 80_000, 120_000, 180), pt(10_000_000, 75_000, 110_000, 190)}},
		{Engine: "postgres", Conversion: []loadgen.ConvertPoint{pt(100_000, 40_000, 90_000, 40), pt(1_000_000, 60_000, 95_000, 45)}},
	}
	svg := drawConvert(reps)
	d := xml.NewDecoder(strings.NewReader(svg))
	for {
		if _, err := d.Token(); err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("not XML: %v", err)
			}
			break
		}
	}
	if n := strings.Count(svg, "<polyline"); n != 6 {
		t.Errorf("%d lines, want 6 (wall and CPU rate per engine, one RSS per engine)", n)
	}
	for _, want := range []string{"target 256 MiB", "linear target", ">10M<", ">100k<"} {
		if !strings.Contains(svg, want) {
			t.Errorf("no %q in the SVG", want)
		}
	}
}
