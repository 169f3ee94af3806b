package metrics

import (
	"fmt"
	"io"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Exposition is a scrape of ipamd's metrics: the families by name. It is
// the one reader of the exposition the module has: `ipamd convert` reads the
// server's progress with it, and the tests read their samples with it.
type Exposition map[string]*dto.MetricFamily

// ParseText reads the Prometheus text exposition format (what the admin
// listener's /metrics serves) with Prometheus's own parser.
func ParseText(r io.Reader) (Exposition, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("metrics exposition: %w", err)
	}
	return fams, nil
}

// FromFamilies indexes what a Gatherer returns.
func FromFamilies(fams []*dto.MetricFamily) Exposition {
	e := make(Exposition, len(fams))
	for _, f := range fams {
		e[f.GetName()] = f
	}
	return e
}

// Sample is one series of a family.
type Sample struct {
	Labels map[string]string
	Value  float64 // a counter's or gauge's value, a histogram's or summary's count
}

// Samples returns the family's series, in exposition order.
func (e Exposition) Samples(name string) []Sample {
	f := e[name]
	if f == nil {
		return nil
	}
	out := make([]Sample, 0, len(f.GetMetric()))
	for _, m := range f.GetMetric() {
		s := Sample{Labels: make(map[string]string, len(m.GetLabel()))}
		for _, lp := range m.GetLabel() {
			s.Labels[lp.GetName()] = lp.GetValue()
		}
		switch {
		case m.Counter != nil:
			s.Value = m.GetCounter().GetValue()
		case m.Gauge != nil:
			s.Value = m.GetGauge().GetValue()
		case m.Untyped != nil:
			s.Value = m.GetUntyped().GetValue()
		case m.Histogram != nil:
			s.Value = float64(m.GetHistogram().GetSampleCount())
		case m.Summary != nil:
			s.Value = float64(m.GetSummary().GetSampleCount())
		}
		out = append(out, s)
	}
	return out
}

// Value returns the first series of name whose labels include labels.
func (e Exposition) Value(name string, labels map[string]string) (float64, bool) {
next:
	for _, s := range e.Samples(name) {
		for k, v := range labels {
			if s.Labels[k] != v {
				continue next
			}
		}
		return s.Value, true
	}
	return 0, false
}

// Sum is the sum over the family's series; found says whether it has any.
func (e Exposition) Sum(name string) (sum float64, found bool) {
	for _, s := range e.Samples(name) {
		sum, found = sum+s.Value, true
	}
	return sum, found
}

// Series returns the sample a series names as the exposition spells it:
// name, or name{a="x",b="y"} with every label in exposition order.
func (e Exposition) Series(series string) (float64, bool) {
	name, _, _ := strings.Cut(series, "{")
	f := e[name]
	if f == nil {
		return 0, false
	}
	samples := e.Samples(name)
	for i, m := range f.GetMetric() {
		if seriesKey(name, m.GetLabel()) == series {
			return samples[i].Value, true
		}
	}
	return 0, false
}

// seriesKey spells a series as the text format does.
func seriesKey(name string, labels []*dto.LabelPair) string {
	if len(labels) == 0 {
		return name
	}
	var b strings.Builder
	b.WriteString(name)
	for i, lp := range labels {
		if i == 0 {
			b.WriteByte('{')
		} else {
			b.WriteByte(',')
		}
		b.WriteString(lp.GetName())
		b.WriteString(`="`)
		b.WriteString(labelEscaper.Replace(lp.GetValue()))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
