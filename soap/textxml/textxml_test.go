package textxml

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ipamd/ipamd/soap/xmlstream"
)

// dump renders a node stream as one line per node, with resolved names, so
// that two streams can be compared.
func dump(r xmlstream.Reader) (string, error) {
	var sb strings.Builder
	for {
		n, err := r.Next()
		if err != nil {
			return sb.String(), err
		}
		switch n.Kind {
		case xmlstream.StartElement:
			fmt.Fprintf(&sb, "S %d {%s}%s p=%s", r.Depth(), n.Name.Space, n.Name.Local, n.Name.Prefix)
			for _, a := range n.Attrs {
				fmt.Fprintf(&sb, " {%s}%s(p=%s)=%q", a.Name.Space, a.Name.Local, a.Name.Prefix, a.Value)
			}
			sb.WriteByte('\n')
		case xmlstream.EndElement:
			fmt.Fprintf(&sb, "E %d {%s}%s\n", r.Depth(), n.Name.Space, n.Name.Local)
		case xmlstream.Text:
			fmt.Fprintf(&sb, "T %q\n", n.Text)
		case xmlstream.EOF:
			sb.WriteString("EOF\n")
			return sb.String(), nil
		}
	}
}

// copyDoc re-encodes every node of r with a Writer.
func copyDoc(r xmlstream.Reader, w *Writer) error {
	for {
		n, err := r.Next()
		if err != nil {
			return err
		}
		switch n.Kind {
		case xmlstream.StartElement:
			if err := w.StartElement(n.Name.Prefix, n.Name.Local, n.Name.Space); err != nil {
				return err
			}
			for _, a := range n.Attrs {
				if err := w.Attr(a.Name.Prefix, a.Name.Local, a.Name.Space, a.Value); err != nil {
					return err
				}
			}
		case xmlstream.EndElement:
			if err := w.EndElement(); err != nil {
				return err
			}
		case xmlstream.Text:
			if err := w.Text(n.Text); err != nil {
				return err
			}
		case xmlstream.EOF:
			return w.Close()
		}
	}
}

const keepalive = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing">
 <s:Header>
 <a:Action s:mustUnderstand="1">Microsoft.WindowsServerSolutions.Common.ProviderFramework.Keepalive</a:Action>
 </s:Header>
 <s:Body/>
</s:Envelope>`

func TestReaderNodes(t *testing.T) {
	doc := `<?xml version="1.0" encoding="utf-8"?>
<!-- prolog comment -->
<s:Envelope xmlns:s="urn:s" xmlns="urn:d">
  <s:Header a="1" s:b="2" xml:lang="en"><x>a &amp; b<!-- c -->&#x41;<![CDATA[<c>]]></x></s:Header>
  <y xmlns=""><z>  </z><w i:nil="true" xmlns:i="urn:i"/></y>
</s:Envelope>
<?pi after?>
`
	want := `S 1 {urn:s}Envelope p=s
S 2 {urn:s}Header p=s {}a(p=)="1" {urn:s}b(p=s)="2" {http://www.w3.org/XML/1998/namespace}lang(p=xml)="en"
S 3 {urn:d}x p=
T "a & bA<c>"
E 2 {urn:d}x
E 1 {urn:s}Header
S 2 {}y p=
S 3 {}z p=
T "  "
E 2 {}z
S 3 {}w p= {urn:i}nil(p=i)="true"
E 2 {}w
E 1 {}y
E 0 {urn:s}Envelope
EOF
`
	got, err := dump(NewReader([]byte(doc), Options{}))
	if err != nil {
		t.Fatalf("dump: %v\n%s", err, got)
	}
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestLookupNamespace(t *testing.T) {
	r := NewReader([]byte(`<a xmlns:p="urn:p"><b xmlns:q="urn:q" xmlns="urn:d">p:x</b><c/></a>`), Options{})
	next := func() *xmlstream.Node {
		n, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	next() // <a>
	if _, ok := r.LookupNamespace("q"); ok {
		t.Fatal("q bound on <a>")
	}
	next() // <b>
	for p, want := range map[string]string{"p": "urn:p", "q": "urn:q", "": "urn:d", "xml": NSXML} {
		if got, ok := r.LookupNamespace(p); !ok || got != want {
			t.Fatalf("LookupNamespace(%q) = %q, %v", p, got, ok)
		}
	}
	next() // text: scope of <b> still
	if got, _ := r.LookupNamespace("q"); got != "urn:q" {
		t.Fatalf("q in text = %q", got)
	}
	next() // </b>
	next() // <c>
	if _, ok := r.LookupNamespace("q"); ok {
		t.Fatal("q still bound on <c>")
	}
	if got, ok := r.LookupNamespace(""); !ok || got != "" {
		t.Fatalf("default ns on <c> = %q, %v", got, ok)
	}
}

func TestReaderErrors(t *testing.T) {
	deep := strings.Repeat("<a>", 5) + strings.Repeat("</a>", 5)
	cases := []struct {
		name string
		doc  string
		opts Options
		want error
	}{
		{"empty", ``, Options{}, xmlstream.ErrMalformed},
		{"text only", `hello`, Options{}, xmlstream.ErrMalformed},
		{"unclosed", `<a><b></b>`, Options{}, xmlstream.ErrMalformed},
		{"mismatch", `<a></b>`, Options{}, xmlstream.ErrMalformed},
		{"prefix mismatch", `<p:a xmlns:p="u" xmlns:q="u"></q:a>`, Options{}, xmlstream.ErrMalformed},
		{"doctype", `<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>`, Options{}, xmlstream.ErrMalformed},
		{"unknown entity", `<a>&x;</a>`, Options{}, xmlstream.ErrMalformed},
		{"undeclared prefix", `<p:a/>`, Options{}, xmlstream.ErrMalformed},
		{"undeclared attr prefix", `<a p:x="1"/>`, Options{}, xmlstream.ErrMalformed},
		{"duplicate attr", `<a x="1" x="2"/>`, Options{}, xmlstream.ErrMalformed},
		{"duplicate resolved attr", `<a xmlns:p="u" xmlns:q="u" p:x="1" q:x="2"/>`, Options{}, xmlstream.ErrMalformed},
		{"duplicate xmlns", `<a xmlns:p="u" xmlns:p="v"/>`, Options{}, xmlstream.ErrMalformed},
		{"undeclare prefix", `<a xmlns:p=""/>`, Options{}, xmlstream.ErrMalformed},
		{"bind xml", `<a xmlns:xml="urn:x"/>`, Options{}, xmlstream.ErrMalformed},
		{"bind xmlns", `<a xmlns:xmlns="urn:x"/>`, Options{}, xmlstream.ErrMalformed},
		{"two roots", `<a/><b/>`, Options{}, xmlstream.ErrMalformed},
		{"trailing text", `<a/>x`, Options{}, xmlstream.ErrMalformed},
		{"late xml decl", `<a/><?xml version="1.0"?>`, Options{}, xmlstream.ErrMalformed},
		{"utf16 decl", `<?xml version="1.0" encoding="utf-16"?><a/>`, Options{}, xmlstream.ErrMalformed},
		{"bad utf8", "<a>\xff</a>", Options{}, xmlstream.ErrMalformed},
		{"control char", "<a>\x01</a>", Options{}, xmlstream.ErrMalformed},
		{"colon local", `<a:b:c xmlns:a="u"/>`, Options{}, xmlstream.ErrMalformed},
		{"depth", deep, Options{MaxDepth: 4}, xmlstream.ErrQuota},
		{"attrs", `<a x="1" y="2" z="3"/>`, Options{MaxAttributes: 2}, xmlstream.ErrQuota},
		{"string", `<a>12345</a>`, Options{MaxStringBytes: 4}, xmlstream.ErrQuota},
		{"attr string", `<a x="12345"/>`, Options{MaxStringBytes: 4}, xmlstream.ErrQuota},
		{"size", `<a>12345</a>`, Options{MaxBytes: 8}, xmlstream.ErrQuota},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := dump(NewReader([]byte(tc.doc), tc.opts))
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v\n%s", err, tc.want, out)
			}
		})
	}
	// depth exactly at the limit is fine
	if _, err := dump(NewReader([]byte(deep), Options{MaxDepth: 5})); err != nil {
		t.Fatalf("depth 5: %v", err)
	}
}

func TestReaderReset(t *testing.T) {
	r := NewReader([]byte(`<a><b/>`), Options{})
	if _, err := dump(r); err == nil {
		t.Fatal("want error")
	}
	r.Reset([]byte("\xEF\xBB\xBF" + keepalive))
	if _, err := dump(r); err != nil {
		t.Fatalf("after Reset: %v", err)
	}
}

func TestWriter(t *testing.T) {
	w := NewWriter(nil)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.StartElement("s", "Envelope", "urn:s"))
	must(w.XmlnsAttr("a", "urn:a"))
	must(w.StartElement("a", "Action", "urn:a"))
	must(w.Attr("s", "mustUnderstand", "urn:s", "1"))
	must(w.Text(`x<&>"'` + "\r\n\t"))
	must(w.EndElement())
	must(w.StartElement("", "Body", "urn:d"))
	must(w.Attr("i", "nil", "urn:i", "a\"<&>\t\n\r"))
	must(w.Attr("xml", "lang", "", "en-US"))
	must(w.StartElement("", "x", ""))
	must(w.EndElement())
	must(w.EndElement())
	must(w.EndElement())
	must(w.Close())
	want := `<s:Envelope xmlns:s="urn:s" xmlns:a="urn:a"><a:Action s:mustUnderstand="1">x&lt;&amp;&gt;"'&#xD;` + "\n\t" +
		`</a:Action><Body xmlns="urn:d" xmlns:i="urn:i" i:nil="a&quot;&lt;&amp;&gt;&#x9;&#xA;&#xD;" xml:lang="en-US"><x xmlns=""/></Body></s:Envelope>`
	if got := string(w.Bytes()); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	// And it reads back to the same values.
	out, err := dump(NewReader(w.Bytes(), Options{}))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `T "x<&>\"'\r\n\t"`) || !strings.Contains(out, `{urn:i}nil(p=i)="a\"<&>\t\n\r"`) {
		t.Fatalf("read back:\n%s", out)
	}
}

func TestWriterErrors(t *testing.T) {
	cases := map[string]func(w *Writer) error{
		"bad name":       func(w *Writer) error { return w.StartElement("", "a b", "") },
		"colon name":     func(w *Writer) error { return w.StartElement("", "a:b", "") },
		"prefix no ns":   func(w *Writer) error { return w.StartElement("p", "a", "") },
		"xmlns prefix":   func(w *Writer) error { return w.StartElement("xmlns", "a", "u") },
		"text at top":    func(w *Writer) error { return w.Text("x") },
		"control char":   func(w *Writer) error { w.StartElement("", "a", ""); return w.Text("\x00") },
		"bad utf8":       func(w *Writer) error { w.StartElement("", "a", ""); return w.Text("\xff") },
		"attr after txt": func(w *Writer) error { w.StartElement("", "a", ""); w.Text("x"); return w.Attr("", "b", "", "") },
		"dup attr": func(w *Writer) error {
			w.StartElement("", "a", "")
			w.Attr("", "b", "", "")
			return w.Attr("", "b", "", "")
		},
		"xmlns attr":    func(w *Writer) error { w.StartElement("", "a", ""); return w.Attr("", "xmlns", "", "u") },
		"rebind prefix": func(w *Writer) error { w.StartElement("p", "a", "u"); return w.Attr("p", "b", "v", "") },
		"unbalanced":    func(w *Writer) error { w.StartElement("", "a", ""); return w.Close() },
		"two roots":     func(w *Writer) error { w.StartElement("", "a", ""); w.EndElement(); return w.StartElement("", "b", "") },
		"no root":       func(w *Writer) error { return w.Close() },
		"extra end":     func(w *Writer) error { return w.EndElement() },
	}
	for name, f := range cases {
		w := NewWriter(nil)
		if err := f(w); err == nil {
			t.Errorf("%s: no error", name)
		} else if w.Close() == nil {
			t.Errorf("%s: Close after error succeeded", name)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	for _, doc := range seedDocs {
		r := NewReader([]byte(doc), Options{})
		first, err := dump(r)
		if err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		w := NewWriter(nil)
		r.Reset([]byte(doc))
		if err := copyDoc(r, w); err != nil {
			t.Fatalf("copy %s: %v", doc, err)
		}
		second, err := dump(NewReader(w.Bytes(), Options{}))
		if err != nil {
			t.Fatalf("re-read %s: %v", w.Bytes(), err)
		}
		if first != second {
			t.Fatalf("round trip differs:\n%s\n---\n%s", first, second)
		}
	}
}

var seedDocs = []string{
	keepalive,
	`<a/>`,
	`<p:a xmlns:p="urn:p" xmlns="urn:d"><b x="1" p:y="2"> t </b><c xmlns="">&lt;&#13;</c></p:a>`,
	`<NotifyAsyncProvisionComplete xmlns="http://Microsoft.Windows.Ipam"><result i:nil="true" xmlns:i="http://www.w3.org/2001/XMLSchema-instance"></result><exception i:nil="true" xmlns:b="http://schemas.datacontract.org/2004/07/Microsoft.Windows.Ipam" xmlns:i="http://www.w3.org/2001/XMLSchema-instance"></exception></NotifyAsyncProvisionComplete>`,
}

func BenchmarkReadKeepalive(b *testing.B) {
	r := NewReader(nil, Options{})
	doc := []byte(keepalive)
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(doc)
		if _, err := dump(r); err != nil {
			b.Fatal(err)
		}
	}
}
