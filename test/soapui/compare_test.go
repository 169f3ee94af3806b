package soapui_test

import (
	"errors"
	"regexp"
	"testing"

	"github.com/ipamd/ipamd/test/soapui"
)

func TestExpand(t *testing.T) {
	props := map[string]string{"CallbackUrl": "http://127.0.0.1:9/cb", "Empty": ""}
	uuid := regexp.MustCompile(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	tests := []struct {
		name, in string
		want     string         // exact result, unless match is set
		match    *regexp.Regexp // result pattern
		wantErr  bool
	}{
		{name: "no expansion", in: "<a>x</a>", want: "<a>x</a>"},
		{name: "project property", in: "<a>${#Project#CallbackUrl}</a>", want: "<a>http://127.0.0.1:9/cb</a>"},
		{name: "empty property", in: "[${#Project#Empty}]", want: "[]"},
		{name: "twice", in: "${#Project#CallbackUrl} ${#Project#CallbackUrl}", want: "http://127.0.0.1:9/cb http://127.0.0.1:9/cb"},
		{name: "uuid", in: "urn:uuid:${=java.util.UUID.randomUUID()}", match: uuid},
		{name: "undefined property", in: "${#Project#Nope}", wantErr: true},
		{name: "test case property", in: "${#TestCase#X}", wantErr: true},
		{name: "other script", in: "${=1+1}", wantErr: true},
		{name: "global property", in: "${projectDir}", wantErr: true},
		{name: "unterminated", in: "<a>${#Project#CallbackUrl</a>", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := soapui.Expand([]byte(tt.in), props)
			if tt.wantErr {
				if !errors.Is(err, soapui.ErrExpansion) {
					t.Fatalf("Expand(%q) = %q, %v; want an ErrExpansion", tt.in, got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Expand(%q): %v", tt.in, err)
			}
			if tt.match != nil {
				if !tt.match.Match(got) {
					t.Errorf("Expand(%q) = %q, want to match %v", tt.in, got, tt.match)
				}
				return
			}
			if string(got) != tt.want {
				t.Errorf("Expand(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	a, _ := soapui.Expand([]byte("${=java.util.UUID.randomUUID()}"), nil)
	b, _ := soapui.Expand([]byte("${=java.util.UUID.randomUUID()}"), nil)
	if string(a) == string(b) {
		t.Errorf("two UUID expansions gave the same %s", a)
	}
}

func TestExpansions(t *testing.T) {
	got := soapui.Expansions([]byte("${#Project#A} ${=x} ${#Project#A} ${#Project#B"))
	want := []string{"#Project#A", "=x"}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("Expansions = %q, want %q", got, want)
	}
}

// compareCase is one expected/actual pair and whether they must match. The
// same table drives the Go Compare and (when groovy is installed)
// golden.groovy, so the two stay one set of rules.
type compareCase struct {
	name             string
	expected, actual string
	match            bool
}

const (
	env12  = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing">`
	envEnd = `</s:Envelope>`
)

var compareCases = []compareCase{
	{"identical", env12 + `<s:Body><X xmlns="urn:x">1</X></s:Body>` + envEnd, env12 + `<s:Body><X xmlns="urn:x">1</X></s:Body>` + envEnd, true},
	{"other prefixes", env12 + `<s:Body><X xmlns="urn:x"><Y>1</Y></X></s:Body>` + envEnd,
		`<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><p:X xmlns:p="urn:x"><p:Y>1</p:Y></p:X></e:Body></e:Envelope>`, true},
	{"indentation", env12 + "\n  <s:Body>\n    <X xmlns=\"urn:x\">\n      <Y> 1 </Y>\n    </X>\n  </s:Body>\n" + envEnd,
		env12 + `<s:Body><X xmlns="urn:x"><Y>1</Y></X></s:Body>` + envEnd, true},
	{"other namespace", `<X xmlns="urn:x"/>`, `<X xmlns="urn:y"/>`, false},
	{"other name", `<X xmlns="urn:x"/>`, `<Z xmlns="urn:x"/>`, false},
	{"other text", `<X>1</X>`, `<X>2</X>`, false},
	{"wildcard text", `<X>*</X>`, `<X>urn:uuid:1</X>`, true},
	{"wildcard needs a value", `<X>*</X>`, `<X/>`, false},
	{"wildcard attribute", `<X a="*"/>`, `<X a="v"/>`, true},
	{"missing attribute", `<X a="1"/>`, `<X/>`, false},
	{"unexpected attribute", `<X/>`, `<X a="1"/>`, false},
	{"attribute namespace", `<X xmlns:p="urn:p" p:a="1"/>`, `<X xmlns:q="urn:q" q:a="1"/>`, false},
	{"attribute by namespace not prefix", `<X xmlns:p="urn:p" p:a="1"/>`, `<X xmlns:q="urn:p" q:a="1"/>`, true},
	{"declarations ignored", `<X xmlns:unused="urn:u"/>`, `<X/>`, true},
	{"xsi:type by namespace", `<X xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns:b="urn:t" i:type="b:T"/>`,
		`<X xmlns:j="http://www.w3.org/2001/XMLSchema-instance" xmlns:c="urn:t" j:type="c:T"/>`, true},
	{"xsi:type default namespace", `<X xmlns="urn:t" xmlns:i="http://www.w3.org/2001/XMLSchema-instance" i:type="T"/>`,
		`<p:X xmlns:p="urn:t" xmlns="urn:t" xmlns:i="http://www.w3.org/2001/XMLSchema-instance" i:type="p:T"/>`, true},
	{"xsi:type other namespace", `<X xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns:b="urn:t" i:type="b:T"/>`,
		`<X xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns:b="urn:u" i:type="b:T"/>`, false},
	{"child order", `<X><A/><B/></X>`, `<X><B/><A/></X>`, false},
	{"extra child", `<X><A/></X>`, `<X><A/><B/></X>`, false},
	{"missing child", `<X><A/><B/></X>`, `<X><A/></X>`, false},
	{"text beside children", `<X><A/></X>`, `<X>t<A/></X>`, false},
	{"nil versus value", `<X xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><r i:nil="true"/></X>`,
		`<X xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><r>1</r></X>`, false},
}

func TestCompare(t *testing.T) {
	for _, tt := range compareCases {
		t.Run(tt.name, func(t *testing.T) {
			err := soapui.Compare([]byte(tt.expected), []byte(tt.actual))
			if tt.match && err != nil {
				t.Errorf("want a match, got %v", err)
			}
			if !tt.match {
				var me *soapui.MismatchError
				if !errors.As(err, &me) || len(me.Diffs) == 0 {
					t.Errorf("want a *MismatchError, got %v", err)
				}
			}
		})
	}
}

func TestCompareMalformed(t *testing.T) {
	for _, pair := range [][2]string{{"<X>", "<X/>"}, {"<X/>", "<X"}, {"<X/>", ""}} {
		err := soapui.Compare([]byte(pair[0]), []byte(pair[1]))
		var me *soapui.MismatchError
		if err == nil || errors.As(err, &me) {
			t.Errorf("Compare(%q, %q) = %v, want a parse error", pair[0], pair[1], err)
		}
	}
}

// The expected files compare equal to themselves after expansion, and each
// differs from the others: a golden file that matched anything would be
// worthless.
func TestExpectedFilesDiscriminate(t *testing.T) {
	props := map[string]string{soapui.PropCallbackURL: "http://127.0.0.1:9/cb"}
	var names []string
	msgs := map[string][]byte{}
	for _, f := range soapui.Flows {
		for _, n := range []string{f.InitializeResponse, f.Started, f.Checkpoint, f.Completed} {
			tmpl, err := soapui.ReadFile(n)
			if err != nil {
				t.Fatal(err)
			}
			m, err := soapui.Expand(tmpl, props)
			if err != nil {
				t.Fatal(err)
			}
			names = append(names, n)
			msgs[n] = m
		}
	}
	for _, a := range names {
		for _, b := range names {
			err := soapui.Compare(msgs[a], msgs[b])
			if a == b && err != nil {
				t.Errorf("%s does not match itself: %v", a, err)
			}
			if a != b && err == nil {
				t.Errorf("%s matches %s", a, b)
			}
		}
	}
}
