package textxml

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipamd/ipamd/internal/attack"
	"github.com/ipamd/ipamd/soap/xmlstream"
)

// diffOptions are the quotas of the differential tests: small enough for
// the fuzzer to reach, and MaxStringBytes not below MaxBytesPerRead, so the
// Reader's name quota (which the encoding/xml Reader does not have) never
// refuses a tag the other Reader accepts.
var diffOptions = Options{MaxDepth: 16, MaxAttributes: 8, MaxStringBytes: 512, MaxBytesPerRead: 512, MaxBytes: 1 << 16}

// againstOracle reads doc with the Reader and with the encoding/xml Reader
// of oracle_test.go and fails unless both yield the same nodes (depths and
// resolved names included) or both refuse it. The one deliberate
// difference: a name with a non-ASCII character that encoding/xml's XML 1.0
// fourth-edition tables do not list is accepted here (fifth edition).
func againstOracle(t *testing.T, doc []byte, opts Options) (accepted bool) {
	t.Helper()
	got, err := dump(NewReader(doc, opts))
	want, oerr := dump(newStdReader(doc, opts))
	switch {
	case err == nil && oerr == nil:
		if got != want {
			t.Fatalf("%q:\nReader:\n%s\nencoding/xml:\n%s", doc, got, want)
		}
		return true
	case err != nil && oerr != nil:
		if !errors.Is(err, xmlstream.ErrMalformed) && !errors.Is(err, xmlstream.ErrQuota) {
			t.Fatalf("%q: error of unknown class: %v", doc, err)
		}
		return false
	case err == nil && strings.Contains(oerr.Error(), "invalid XML name") && hasNonASCII(doc):
		return true // the deliberate difference
	case err == nil:
		t.Fatalf("%q: accepted, encoding/xml refuses: %v\n%s", doc, oerr, got)
	default:
		t.Fatalf("%q: refused (%v), encoding/xml accepts:\n%s", doc, err, want)
	}
	return false
}

func hasNonASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}

// FuzzScanAgainstEncodingXML is the differential target: encoding/xml (under
// the Reader this package had before its own tokenizer) is the oracle.
func FuzzScanAgainstEncodingXML(f *testing.F) {
	for _, d := range seedDocs {
		f.Add([]byte(d))
	}
	for _, c := range oracleCases {
		f.Add([]byte(c.doc))
	}
	for _, d := range captures(f) {
		f.Add(d)
	}
	f.Add(attack.TextDeep(20))
	f.Add(attack.TextCommentSplit(100))
	f.Fuzz(func(t *testing.T, doc []byte) {
		againstOracle(t, doc, diffOptions)
	})
}

// captures are the captured WCF text messages of the soap package.
func captures(tb testing.TB) [][]byte {
	tb.Helper()
	files, err := filepath.Glob("../testdata/capture/*.xml")
	if err != nil || len(files) == 0 {
		tb.Fatalf("captures: %v (%d files)", err, len(files))
	}
	var docs [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		docs = append(docs, b)
	}
	return docs
}

// oracleCases are the corners of the grammar, each read by both Readers;
// accept says what both must do.
var oracleCases = []struct {
	name   string
	doc    string
	accept bool
}{
	{"self-closing", `<a/>`, true},
	{"attrs without space between", `<a x="1"y='2'/>`, true},
	{"space in tags", "<a \r\n\tx = \"1\" ></a \n>", true},
	{"single quotes with double inside", `<a x='"'/>`, true},
	{"gt in text and value", `<a x=">">></a>`, true},
	{"predefined entities", `<a x="&lt;&gt;&amp;&apos;&quot;">&lt;&gt;&amp;&apos;&quot;</a>`, true},
	{"character references", `<a x="&#65;&#x42;&#x00043;">&#10;&#x1F600;&#0000068;</a>`, true},
	{"surrogate reference is U+FFFD", `<a>&#xD800;</a>`, true},
	{"uppercase X reference", `<a>&#X41;</a>`, false},
	{"empty reference", `<a>&#;</a>`, false},
	{"empty hex reference", `<a>&#x;</a>`, false},
	{"reference beyond Unicode", `<a>&#x110000;</a>`, false},
	{"reference overflow", `<a>&#99999999999999999999999;</a>`, false},
	{"reference to NUL", `<a>&#0;</a>`, false},
	{"reference to a control", `<a>&#x1;</a>`, false},
	{"reference to FFFE", `<a>&#xFFFE;</a>`, false},
	{"reference without semicolon", `<a>&#65</a>`, false},
	{"entity without semicolon", `<a>&amp</a>`, false},
	{"unknown entity", `<a>&nbsp;</a>`, false},
	{"bare ampersand", `<a>a & b</a>`, false},
	{"bare ampersand in value", `<a x="a & b"/>`, false},
	{"lt in value", `<a x="<"/>`, false},
	{"CR LF in text", "<a>x\r\ny\rz\r\r\n</a>", true},
	{"CR LF in value", "<a x=\"x\r\ny\rz\"/>", true},
	{"CR reference then LF", "<a>&#13;\n</a>", true},
	{"CDATA", `<a><![CDATA[<&>]]]]><![CDATA[>]]></a>`, true},
	{"CDATA with CR", "<a><![CDATA[x\r\ny]]></a>", true},
	{"empty CDATA", `<a><![CDATA[]]></a>`, true},
	{"unclosed CDATA", `<a><![CDATA[x</a>`, false},
	{"bad CDATA opening", `<a><![CDAT[x]]></a>`, false},
	{"CDATA end in text", `<a>]]></a>`, false},
	{"CDATA end in value", `<a x="]]>"/>`, true},
	{"comments", `<!----><a><!-- - -->x<!--y-->z</a><!-- -->`, true},
	{"double dash in comment", `<a><!-- -- --></a>`, false},
	{"three dashes end comment", `<a><!-- ---></a>`, false},
	{"unclosed comment", `<a><!-- </a>`, false},
	{"half comment opening", `<a><!-x--></a>`, false},
	{"text split by comment is one node", "<a>x<!---->y<?p?>z</a>", true},
	{"bad UTF-8 split by a comment", "<a>\xc3<!---->\xa9</a>", false},
	{"invalid UTF-8 in comment", "<a><!--\xff--></a>", true},
	{"processing instructions", `<?xml version="1.0" encoding="UTF-8"?><?p data?><a><?q?></a><?r  x ?>`, true},
	{"XML declaration single quotes", `<?xml version='1.0' encoding='utf-8' standalone='yes'?><a/>`, true},
	{"XML declaration version 1.1", `<?xml version="1.1"?><a/>`, false},
	{"XML declaration latin1", `<?xml version="1.0" encoding="ISO-8859-1"?><a/>`, false},
	{"XML declaration unquoted version", `<?xml version=1.1?><a/>`, true},
	{"XML declaration empty encoding", `<?xml encoding=""?><a/>`, true},
	{"XML declaration after space", ` <?xml version="1.0"?><a/>`, false},
	{"uppercase XML declaration later", `<a/><?XML version="1.0"?>`, false},
	{"PI without target", `<? x?><a/>`, false},
	{"PI target with colons", `<?a:b:c x?><a/>`, true},
	{"PI target digit", `<?1a?><a/>`, false},
	{"unclosed PI", `<a><?p </a>`, false},
	{"DOCTYPE", `<!DOCTYPE a><a/>`, false},
	{"DOCTYPE with entity", `<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>`, false},
	{"ENTITY", `<!ENTITY x "y"><a/>`, false},
	{"directive inside", `<a><!ELEMENT a ANY></a>`, false},
	{"whitespace references in prolog", "&#32;&#x9;<a/>&#10;", true},
	{"text reference in prolog", "&#65;<a/>", false},
	{"bad entity in epilog", "<a/>&x;", false},
	{"CDATA whitespace in prolog", "<![CDATA[ ]]><a/>", true},
	{"control in prolog", "\x01<a/>", false},
	{"control in text", "<a>\x01</a>", false},
	{"control in value", "<a x=\"\x1f\"/>", false},
	{"FFFF in text", "<a>\uffff</a>", false},
	{"bad UTF-8 in value", "<a x=\"\xff\"/>", false},
	{"bad UTF-8 in name", "<a\xff/>", false},
	{"non-ASCII name", "<\u00e9l\u00e9ment x\u00e9=\"1\"/>", true},
	{"digit first", `<1a/>`, false},
	{"dash first", `<-a/>`, false},
	{"name chars", `<_a.b-c1 _x.y-z2="1"/>`, true},
	{"two colons", `<a:b:c xmlns:a="u"/>`, false},
	{"leading colon", `<:a/>`, false},
	{"trailing colon", `<a:/>`, false},
	{"colon attr", `<a :x="1"/>`, false},
	{"prefixed", `<p:a xmlns:p="u" p:x="1" y="2"><p:b/></p:a>`, true},
	{"end tag prefix differs", `<p:a xmlns:p="u"></a>`, false},
	{"end tag space before >", `<a></a  >`, true},
	{"end tag junk", `<a></a x>`, false},
	{"end tag without name", `<a></></a>`, false},
	{"attribute without value", `<a x/>`, false},
	{"attribute without quotes", `<a x=1/>`, false},
	{"attribute unterminated", `<a x="1/>`, false},
	{"slash without gt", `<a/ >`, false},
	{"space after lt", `< a/>`, false},
	{"lone lt", `<a><</a>`, false},
	{"lt at end", `<a/><`, false},
	{"text ends the document", `<a>x`, false},
	{"tag ends the document", `<a x="1"`, false},
	{"empty document", ``, false},
	{"whitespace only", " \n", false},
	{"text after root", `<a/>x`, false},
	{"second root", `<a/><b/>`, false},
	{"end before start", `</a>`, false},
	{"mismatched", `<a><b></a></b>`, false},
	{"xmlns default", `<a xmlns="urn:d"><b xmlns=""/></a>`, true},
	{"xmlns reserved", `<a xmlns:xmlns="u"/>`, false},
	{"xmlns element prefix", `<xmlns:a/>`, false},
	{"xml prefix attribute", `<a xml:lang="en"/>`, true},
	{"duplicate attributes", `<a x="1" x="1"/>`, false},
	{"attribute value references whitespace", `<a x="&#9;&#10;&#13;"/>`, true},
	{"leaf whitespace kept", `<a><b> </b><c>&#32;<!---->&#10;</c></a>`, true},
	{"whitespace between children dropped", "<a> <b/> \n <c/> </a>", true},
	{"tab newline in names separator", "<a\tx=\"1\"\ny=\"2\"/>", true},
}

func TestReaderAgainstEncodingXML(t *testing.T) {
	for _, c := range oracleCases {
		t.Run(c.name, func(t *testing.T) {
			if got := againstOracle(t, []byte(c.doc), Options{}); got != c.accept {
				t.Fatalf("accepted = %v, want %v", got, c.accept)
			}
		})
	}
	for _, d := range captures(t) {
		if !againstOracle(t, d, Options{}) {
			t.Fatalf("capture refused:\n%s", d)
		}
	}
}

// TestReaderQuotasBeforeWork checks that each quota stops the Reader with
// its name, including where the other Reader could only see it after
// decoding.
func TestReaderQuotas(t *testing.T) {
	long := strings.Repeat("n", 100)
	cases := []struct {
		name, doc string
		opts      Options
		quota     string
	}{
		{"depth", `<a><b><c/></b></a>`, Options{MaxDepth: 2}, xmlstream.QuotaMaxDepth},
		{"attributes, xmlns counted", `<a xmlns="u" x="1"/>`, Options{MaxAttributes: 1}, xmlstream.QuotaMaxAttributes},
		{"element name", "<" + long + "/>", Options{MaxStringBytes: 99}, xmlstream.QuotaMaxStringContentLength},
		{"attribute name", "<a " + long + `="1"/>`, Options{MaxStringBytes: 99}, xmlstream.QuotaMaxStringContentLength},
		{"end tag name", "<a></" + long + ">", Options{MaxStringBytes: 99}, xmlstream.QuotaMaxStringContentLength},
		{"text", `<a>` + long + `</a>`, Options{MaxStringBytes: 99}, xmlstream.QuotaMaxStringContentLength},
		{"text in runs", `<a>` + long[:50] + `<!---->` + long[:50] + `</a>`, Options{MaxStringBytes: 99}, xmlstream.QuotaMaxStringContentLength},
		{"decoded text", `<a>` + strings.Repeat("&amp;", 100) + `</a>`, Options{MaxStringBytes: 99}, xmlstream.QuotaMaxStringContentLength},
		{"CDATA", `<a><![CDATA[` + long + "\r" + `]]></a>`, Options{MaxStringBytes: 99}, xmlstream.QuotaMaxStringContentLength},
		{"attribute value", `<a x="` + long + `"/>`, Options{MaxStringBytes: 99}, xmlstream.QuotaMaxStringContentLength},
		{"decoded attribute value", `<a x="` + strings.Repeat("&lt;", 100) + `"/>`, Options{MaxStringBytes: 99}, xmlstream.QuotaMaxStringContentLength},
		{"start tag", `<a x="` + long + `" y="` + long + `"/>`, Options{MaxBytesPerRead: 150}, xmlstream.QuotaMaxBytesPerRead},
		{"document", `<a>` + long + `</a>`, Options{MaxBytes: 100}, xmlstream.QuotaMaxReceivedMessageSize},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := dump(NewReader([]byte(c.doc), c.opts))
			if got := xmlstream.QuotaName(err); got != c.quota {
				t.Fatalf("quota %q (%v), want %q", got, err, c.quota)
			}
		})
	}
	// Within the quotas: a start tag whose raw bytes exceed MaxBytesPerRead
	// but whose decoded values do not, and text that decodes to the limit.
	ok := []struct {
		doc  string
		opts Options
	}{
		{`<a x="` + strings.Repeat("&lt;", 30) + `"/>`, Options{MaxBytesPerRead: 40}},
		{`<a>` + strings.Repeat("&amp;", 99) + `</a>`, Options{MaxStringBytes: 99}},
		{"<" + long + "/>", Options{MaxStringBytes: 100}},
	}
	for _, c := range ok {
		if _, err := dump(NewReader([]byte(c.doc), c.opts)); err != nil {
			t.Errorf("%.40q: %v", c.doc, err)
		}
	}
}

// TestReaderZeroCopy checks the allocation promise: names, namespaces,
// short attribute values and text values seen before come from the shared
// tables; a value seen once (a MessageID) costs its copy and stays out of
// the tables.
func TestReaderZeroCopy(t *testing.T) {
	doc := []byte(`<s:Envelope xmlns:s="urn:s" xmlns:a="urn:a"><s:Header><a:Action s:mustUnderstand="1">urn:x</a:Action>` +
		`<a:MessageID>urn:uuid:00000000</a:MessageID></s:Header><s:Body/></s:Envelope>`)
	id := bytes.Index(doc, []byte("00000000"))
	r := NewReader(nil, Options{})
	n := 0
	read := func() {
		n++
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], uint32(n))
		hex.Encode(doc[id:id+8], b[:])
		r.Reset(doc)
		for {
			node, err := r.Next()
			if err != nil {
				t.Fatal(err)
			}
			if node.Kind == xmlstream.EOF {
				return
			}
		}
	}
	read()
	read() // the second sight of urn:x shares it
	values := sharedValues.Len()
	if got := testing.AllocsPerRun(100, read); got != 1 {
		t.Fatalf("%v allocations per document, want 1 (the MessageID)", got)
	}
	if sharedValues.Len() != values {
		t.Fatalf("values seen once were shared: %d → %d", values, sharedValues.Len())
	}
}

// TestSharedTablesBounded reads documents that invent a name, a namespace,
// an attribute value and a text value (twice) per document, as a client
// filling the shared tables would: the tables stop at their bounds and the
// Reader still reads every document.
func TestSharedTablesBounded(t *testing.T) {
	// Fresh tables of the same bounds, so that other tests keep theirs.
	names, values := sharedNames, sharedValues
	sharedNames, sharedValues = newNameTable(), newValueTable()
	t.Cleanup(func() { sharedNames, sharedValues = names, values })
	r := NewReader(nil, Options{})
	for i := 0; i < 3000; i++ {
		doc := fmt.Sprintf(`<n%d xmlns="urn:%d" v="%d"><x>t%d</x><x>t%d</x></n%d>`, i, i, i, i, i, i)
		r.Reset([]byte(doc))
		out, err := dump(r)
		if err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		if !strings.Contains(out, fmt.Sprintf(`{urn:%d}n%d`, i, i)) || !strings.Contains(out, fmt.Sprintf(`T "t%d"`, i)) {
			t.Fatalf("%s read as\n%s", doc, out)
		}
	}
	if n := sharedNames.Len(); n > maxShared {
		t.Fatalf("%d shared names", n)
	}
	if n := sharedValues.Len(); n > maxShared {
		t.Fatalf("%d shared values", n)
	}
}
