package metrics

import (
	"bytes"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"

	"github.com/ipamd/ipamd/services"
	"github.com/ipamd/ipamd/sessions"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// TestParseTextRoundTrip: every series the registry gathers reads back from
// its text exposition with the same value, by Series (as the text spells
// it) and by Value (name and labels).
func TestParseTextRoundTrip(t *testing.T) {
	m := New(BuildInfo{Version: "v1", Commit: "abc", GoVersion: "go1"})
	m.Work().WorkRows(services.WorkSchemaConversion, 42)
	m.Port(ipam.PortIIpamAsyncProvision).SessionStarted(sessions.TransportNetTCP)
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	enc := expfmt.NewEncoder(&text, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, f := range fams {
		if err := enc.Encode(f); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ParseText(&text)
	if err != nil {
		t.Fatal(err)
	}
	want := FromFamilies(fams)
	n := 0
	for name, f := range want {
		for i, s := range want.Samples(name) {
			key := seriesKey(name, f.GetMetric()[i].GetLabel())
			if v, ok := got.Series(key); !ok || v != s.Value {
				t.Errorf("Series(%s) = %v, %v; want %v", key, v, ok, s.Value)
			}
			if v, ok := got.Value(name, s.Labels); !ok || v != s.Value {
				t.Errorf("Value(%s, %v) = %v, %v; want %v", name, s.Labels, v, ok, s.Value)
			}
			n++
		}
	}
	if n < 10 {
		t.Fatalf("only %d series gathered", n)
	}
	if v, ok := got.Series(`ipamd_build_info{commit="abc",goversion="go1",version="v1"}`); !ok || v != 1 {
		t.Errorf("build info %v %v", v, ok)
	}
	if _, ok := got.Series("ipamd_no_such_family"); ok {
		t.Error("a missing family reads as found")
	}
}

func TestParseTextRefusesMalformed(t *testing.T) {
	for _, in := range []string{"ipamd_x{kind=\"a\" 1\n", "ipamd_x not-a-number\n"} {
		if _, err := ParseText(strings.NewReader(in)); err == nil {
			t.Errorf("%q parsed", in)
		}
	}
}
