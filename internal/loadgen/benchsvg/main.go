// Command benchsvg draws the JSON of `ipamd bench scale` as an SVG: on the
// left sessions/s of ipamd and of the canned ceiling against the client
// count (one pair of lines per input file, e.g. binary and text), on the
// right the server's memory per held session against the held count.
//
//	go run ./internal/loadgen/benchsvg -o docs/perf-scale.svg binary.json text.json
//
// Given the JSON of `ipamd bench convert` instead, it draws the schema
// conversion's curve: addresses/s (per wall and per CPU second) and the
// conversion process's peak RSS against the store size, one line per
// input file (e.g. sqlite and postgres).
//
//	go run ./internal/loadgen/benchsvg -o docs/perf-convert.svg convert-sqlite.json
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"html"
	"io"
	"math"
	"os"
	"strings"

	"github.com/ipamd/ipamd/internal/loadgen"
)

func main() {
	out := flag.String("o", "", "write the SVG to this file (default: standard output)")
	flag.Parse()
	var (
		reps  []*loadgen.ScaleReport
		convs []*loadgen.ConvertReport
	)
	for _, name := range flag.Args() {
		b, err := os.ReadFile(name)
		if err != nil {
			fail(err)
		}
		var kind struct {
			Conversion json.RawMessage `json:"conversion"`
		}
		if err := json.Unmarshal(b, &kind); err != nil {
			fail(fmt.Errorf("%s: %w", name, err))
		}
		if kind.Conversion != nil {
			r := &loadgen.ConvertReport{}
			if err := json.Unmarshal(b, r); err != nil {
				fail(fmt.Errorf("%s: %w", name, err))
			}
			convs = append(convs, r)
			continue
		}
		r := &loadgen.ScaleReport{}
		if err := json.Unmarshal(b, r); err != nil {
			fail(fmt.Errorf("%s: %w", name, err))
		}
		reps = append(reps, r)
	}
	if len(reps)+len(convs) == 0 || len(reps) > 0 && len(convs) > 0 {
		fail(fmt.Errorf("usage: benchsvg [-o file.svg] scale.json [scale.json ...] | convert.json [convert.json ...]"))
	}
	svg := ""
	if len(convs) > 0 {
		svg = drawConvert(convs)
	} else {
		svg = draw(reps)
	}
	var w io.Writer = os.Stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			fail(err)
		}
		defer f.Close()
		w = f
	}
	if _, err := io.WriteString(w, svg); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "benchsvg:", err)
	os.Exit(1)
}

// Layout of one panel.
const (
	width, height = 900, 380
	panelW        = 380
	panelH        = 260
	top           = 60
	left1, left2  = 70, 520
)

var colors = []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd"}

// series is a line of one panel.
type series struct {
	name   string
	color  string
	dashed bool
	x, y   []float64
}

func draw(reps []*loadgen.ScaleReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	m := reps[0].Machine
	fmt.Fprintf(&b, `<text x="%d" y="20" font-size="14">ipamd bench scale — %s, %d cores, %s (%s client)</text>`+"\n",
		left1, html.EscapeString(m.CPU), m.Cores, html.EscapeString(m.Go), reps[0].Client)

	var rate, mem []series
	for i, r := range reps {
		c := colors[i%len(colors)]
		ip := series{name: "ipamd " + r.Encoding, color: c}
		cn := series{name: "canned " + r.Encoding, color: c, dashed: true}
		for _, p := range r.Sessions {
			ip.x, ip.y = append(ip.x, math.Log2(float64(p.Clients))), append(ip.y, p.IPAMD)
			cn.x, cn.y = append(cn.x, math.Log2(float64(p.Clients))), append(cn.y, p.Canned)
		}
		if len(ip.x) > 0 {
			rate = append(rate, ip, cn)
		}
		ms := series{name: r.Encoding, color: c}
		for _, p := range r.Held {
			ms.x, ms.y = append(ms.x, float64(p.Held)), append(ms.y, float64(p.PerSession)/1024)
		}
		if len(ms.x) > 0 {
			mem = append(mem, ms)
		}
	}
	panel(&b, left1, "sessions/s by clients (dashed: canned ceiling)", "clients", rate, func(x float64) string {
		return fmt.Sprintf("%.0f", math.Exp2(x))
	}, nil)
	panel(&b, left2, "server memory per held session (KiB)", "held sessions", mem, func(x float64) string {
		return fmt.Sprintf("%.0fk", x/1000)
	}, &target{12, "target 12 KiB"})
	b.WriteString("</svg>\n")
	return b.String()
}

type target struct {
	y     float64
	label string
}

// panel draws lines with their points, axes from 0 and a legend.
func panel(b *strings.Builder, x0 int, title, xlabel string, ss []series, xfmt func(float64) string, t *target) {
	fmt.Fprintf(b, `<text x="%d" y="%d" font-size="13">%s</text>`+"\n", x0, top-15, html.EscapeString(title))
	if len(ss) == 0 {
		fmt.Fprintf(b, `<text x="%d" y="%d">no data</text>`+"\n", x0+20, top+40)
		return
	}
	minX, maxX, maxY := math.Inf(1), math.Inf(-1), 0.0
	var xs []float64
	for _, s := range ss {
		for i := range s.x {
			minX, maxX, maxY = math.Min(minX, s.x[i]), math.Max(maxX, s.x[i]), math.Max(maxY, s.y[i])
			xs = append(xs, s.x[i])
		}
	}
	if t != nil {
		maxY = math.Max(maxY, t.y)
	}
	maxY = niceCeil(maxY * 1.1)
	if maxX == minX {
		maxX = minX + 1
	}
	px := func(x float64) float64 { return float64(x0) + (x-minX)/(maxX-minX)*panelW }
	py := func(y float64) float64 { return float64(top+panelH) - y/maxY*panelH }
	// Axes and grid.
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>`+"\n", x0, top+panelH, x0+panelW, top+panelH)
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>`+"\n", x0, top, x0, top+panelH)
	for i := 0; i <= 4; i++ {
		y := maxY * float64(i) / 4
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>`+"\n", x0, py(y), x0+panelW, py(y))
		fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", x0-5, py(y)+4, trim(y))
	}
	seen := map[float64]bool{}
	for _, x := range xs {
		if seen[x] {
			continue
		}
		seen[x] = true
		fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", px(x), top+panelH+16, xfmt(x))
	}
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle">%s</text>`+"\n", x0+panelW/2, top+panelH+34, html.EscapeString(xlabel))
	if t != nil {
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#888" stroke-dasharray="2,3"/>`+"\n", x0, py(t.y), x0+panelW, py(t.y))
		fmt.Fprintf(b, `<text x="%d" y="%.1f" fill="#555">%s</text>`+"\n", x0+panelW-90, py(t.y)-4, html.EscapeString(t.label))
	}
	for i, s := range ss {
		var pts []string
		for j := range s.x {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(s.x[j]), py(s.y[j])))
			fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`+"\n", px(s.x[j]), py(s.y[j]), s.color)
		}
		dash := ""
		if s.dashed {
			dash = ` stroke-dasharray="6,4"`
		}
		fmt.Fprintf(b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"%s/>`+"\n", strings.Join(pts, " "), s.color, dash)
		ly := top + 10 + 16*i
		fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"%s/>`+"\n", x0+10, ly, x0+35, ly, s.color, dash)
		fmt.Fprintf(b, `<text x="%d" y="%d">%s</text>`+"\n", x0+40, ly+4, html.EscapeString(s.name))
	}
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func trim(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}
