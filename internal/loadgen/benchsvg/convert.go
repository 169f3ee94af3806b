package main

import (
	"fmt"
	"html"
	"math"
	"strings"

	"github.com/ipamd/ipamd/internal/loadgen"
)

// Issue 16's conversion targets: 10M addresses within 11× the 1M time
// (drawn as a floor under the addresses per CPU second at 1M ÷ 1.1), peak
// RSS flat and at most 256 MiB.
const (
	linearSlack = 1.1
	rssTarget   = 256
)

// drawConvert draws `ipamd bench convert` reports: on the left addresses/s
// per wall second (solid) and per CPU second (dashed) against the store
// size (a flat line is linear growth), on the right the conversion
// process's peak RSS.
func drawConvert(reps []*loadgen.ConvertReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	m := reps[0].Machine
	fmt.Fprintf(&b, `<text x="%d" y="20" font-size="14">ipamd bench convert — %s, %d cores, %s</text>`+"\n",
		left1, html.EscapeString(m.CPU), m.Cores, html.EscapeString(m.Go))
	var rate, rss []series
	var floor *target
	for i, r := range reps {
		c := colors[i%len(colors)]
		wall := series{name: r.Engine + " per wall second", color: c}
		cpu := series{name: r.Engine + " per CPU second", color: c, dashed: true}
		mem := series{name: r.Engine, color: c}
		for _, p := range r.Conversion {
			x := math.Log10(float64(p.Addresses))
			wall.x, wall.y = append(wall.x, x), append(wall.y, p.AddressesPerSecond/1000)
			cpu.x, cpu.y = append(cpu.x, x), append(cpu.y, p.AddressesPerCPUSecond/1000)
			mem.x, mem.y = append(mem.x, x), append(mem.y, float64(p.PeakRSS)/(1<<20))
			if i == 0 && p.Addresses == 1_000_000 {
				// From the CPU rate: on a shared machine the wall rate of
				// one point moves with the load, the CPU rate much less.
				floor = &target{p.AddressesPerCPUSecond / 1000 / linearSlack, "CPU at 1M ÷ 1.1 (linear target)"}
			}
		}
		if len(wall.x) > 0 {
			rate = append(rate, wall, cpu)
			rss = append(rss, mem)
		}
	}
	sizes := func(x float64) string {
		switch n := math.Round(math.Pow(10, x)); {
		case n >= 1e6:
			return fmt.Sprintf("%gM", n/1e6)
		case n >= 1e3:
			return fmt.Sprintf("%gk", n/1e3)
		default:
			return fmt.Sprintf("%g", n)
		}
	}
	panel(&b, left1, "thousand addresses/s (flat: linear growth)", "addresses in the v1 store", rate, sizes, floor)
	panel(&b, left2, "conversion process peak RSS (MiB)", "addresses in the v1 store", rss, sizes, &target{rssTarget, "target 256 MiB"})
	b.WriteString("</svg>\n")
	return b.String()
}
