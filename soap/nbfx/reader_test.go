package nbfx

import (
	"encoding/binary"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ipamd/ipamd/soap/xmlstream"
)

func le64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }
func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func decimalBytes(neg bool, scale byte, hi, mid, lo uint32) []byte {
	flags := uint32(scale) << 16
	if neg {
		flags |= 1 << 31
	}
	return cat(le32(flags), le32(hi), le32(lo), le32(mid))
}

func dotnetTicks(t time.Time) uint64 {
	d := t.Sub(time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC))
	return uint64(631139040000000000 + d.Nanoseconds()/100) // 2001-01-01 = 631139040000000000 ticks
}

// textCases are text record payloads (even type byte first) and the XML text.
var textCases = []struct {
	name string
	rec  []byte
	want string
}{
	{"Zero", unhex("80"), "0"},
	{"One", unhex("82"), "1"},
	{"False", unhex("84"), "false"},
	{"True", unhex("86"), "true"},
	{"Int8-1", unhex("88 FF"), "-1"},
	{"Int8max", unhex("88 7F"), "127"},
	{"Int16", unhex("8A 39 05"), "1337"},
	{"Int16min", unhex("8A 00 80"), "-32768"},
	{"Int32min", unhex("8C 00000080"), "-2147483648"},
	{"Int64max", unhex("8E FFFFFFFFFFFFFF7F"), "9223372036854775807"},
	{"Float1.5", cat([]byte{0x90}, le32(math.Float32bits(1.5))), "1.5"},
	{"Float0.1", cat([]byte{0x90}, le32(math.Float32bits(0.1))), "0.1"},
	{"Float1e10", cat([]byte{0x90}, le32(math.Float32bits(1e10))), "1E+10"},
	{"Float123456789", cat([]byte{0x90}, le32(math.Float32bits(123456789))), "123456790"},
	{"FloatMax", cat([]byte{0x90}, le32(math.Float32bits(math.MaxFloat32))), "3.4028235E+38"},
	{"FloatNaN", cat([]byte{0x90}, le32(0x7FC00000)), "NaN"},
	{"FloatINF", cat([]byte{0x90}, le32(0x7F800000)), "INF"},
	{"Float-INF", cat([]byte{0x90}, le32(0xFF800000)), "-INF"},
	{"Float-0", cat([]byte{0x90}, le32(0x80000000)), "-0"},
	{"Double0.1", cat([]byte{0x92}, le64(math.Float64bits(0.1))), "0.1"},
	{"Double-2.5", cat([]byte{0x92}, le64(math.Float64bits(-2.5))), "-2.5"},
	{"Double1e16", cat([]byte{0x92}, le64(math.Float64bits(1e16))), "10000000000000000"},
	{"Double1e17", cat([]byte{0x92}, le64(math.Float64bits(1e17))), "1E+17"},
	{"Double1e21", cat([]byte{0x92}, le64(math.Float64bits(1e21))), "1E+21"},
	{"Double1e-4", cat([]byte{0x92}, le64(math.Float64bits(1e-4))), "0.0001"},
	{"Double1.5e-5", cat([]byte{0x92}, le64(math.Float64bits(1.5e-5))), "1.5E-05"},
	{"DoubleMax", cat([]byte{0x92}, le64(math.Float64bits(math.MaxFloat64))), "1.7976931348623157E+308"},
	{"DoubleTiny", cat([]byte{0x92}, le64(1)), "5E-324"},
	{"DoublePi", cat([]byte{0x92}, le64(math.Float64bits(math.Pi))), "3.141592653589793"},
	{"DoubleINF", cat([]byte{0x92}, le64(math.Float64bits(math.Inf(1)))), "INF"},
	{"DoubleNaN", cat([]byte{0x92}, le64(math.Float64bits(math.NaN()))), "NaN"},
	{"Decimal1.23", cat([]byte{0x94}, decimalBytes(false, 2, 0, 0, 123)), "1.23"},
	{"Decimal-0.001", cat([]byte{0x94}, decimalBytes(true, 3, 0, 0, 1)), "-0.001"},
	{"Decimal0.00", cat([]byte{0x94}, decimalBytes(true, 2, 0, 0, 0)), "0.00"},
	{"Decimal5", cat([]byte{0x94}, decimalBytes(false, 0, 0, 0, 5)), "5"},
	{"DecimalMax", cat([]byte{0x94}, decimalBytes(false, 0, ^uint32(0), ^uint32(0), ^uint32(0))), "79228162514264337593543950335"},
	{"DecimalMaxScale28", cat([]byte{0x94}, decimalBytes(true, 28, ^uint32(0), ^uint32(0), ^uint32(0))), "-7.9228162514264337593543950335"},
	{"DateTimeMax", unhex("96 FF3F37F47528CA2B"), "9999-12-31T23:59:59.9999999"},
	{"DateTimeMin", unhex("96 0000000000000000"), "0001-01-01T00:00:00"},
	{"DateTimeUTC", cat([]byte{0x96}, le64(dotnetTicks(time.Date(2024, 2, 29, 13, 4, 5, 500_000_000, time.UTC))|1<<62)), "2024-02-29T13:04:05.5Z"},
	{"DateTimeUnspecified", cat([]byte{0x96}, le64(dotnetTicks(time.Date(2009, 6, 15, 8, 0, 0, 1200, time.UTC)))), "2009-06-15T08:00:00.0000012"},
	{"DateTimeLocal", cat([]byte{0x96}, le64(dotnetTicks(time.Date(2024, 7, 1, 12, 0, 0, 0, time.UTC))|1<<63)),
		time.Date(2024, 7, 1, 12, 0, 0, 0, time.UTC).In(time.Local).Format("2006-01-02T15:04:05-07:00")},
	{"Chars8", unhex("98 03 616263"), "abc"},
	{"Chars16", unhex("9A 0300 C3A978"), "éx"},
	{"Chars32", unhex("9C 02000000 3C3E"), "<>"},
	{"Bytes8", unhex("9E 03 000102"), "AAEC"},
	{"Bytes16", unhex("A0 0400 FFFEFDFC"), "//79/A=="},
	{"Bytes32", unhex("A2 01000000 FF"), "/w=="},
	{"Dictionary", unhex("AA 14"), "http://www.w3.org/2005/08/addressing/anonymous"},
	{"DictionarySession", unhex("AA 01"), "first"},
	{"UniqueId", unhex("AC b521e436c25563458319e840d9fee760"), "urn:uuid:36e421b5-55c2-4563-8319-e840d9fee760"},
	{"TimeSpanZero", unhex("AE 0000000000000000"), "PT0S"},
	{"TimeSpan", cat([]byte{0xAE}, le64(uint64(((26*3600+3*60+4)*10_000_000)+5_000_000))), "P1DT2H3M4.5S"},
	{"TimeSpanHour", cat([]byte{0xAE}, le64(uint64(3600*10_000_000))), "PT1H"},
	{"TimeSpan-1tick", unhex("AE FFFFFFFFFFFFFFFF"), "-PT0.0000001S"},
	{"TimeSpanMax", unhex("AE FFFFFFFFFFFFFF7F"), "P10675199DT2H48M5.4775807S"},
	{"TimeSpanMin", unhex("AE 0000000000000080"), "-P10675199DT2H48M5.4775808S"},
	{"Uuid", unhex("B0 b521e436c25563458319e840d9fee760"), "36e421b5-55c2-4563-8319-e840d9fee760"},
	{"UInt64max", unhex("B2 FFFFFFFFFFFFFFFF"), "18446744073709551615"},
	{"Bool0", unhex("B4 00"), "false"},
	{"Bool1", unhex("B4 01"), "true"},
	{"UnicodeChars8", unhex("B6 04 6800E900"), "hé"},
	{"UnicodeChars16", unhex("B8 0400 3DD800DE"), "😀"},
	{"UnicodeChars32", unhex("BA 02000000 4100"), "A"},
	{"QNameDictionary", unhex("BC 12 86 01"), "s:Fault"},
}

// oneSession is a ReaderSession holding "first" as id 1.
func oneSession(t testing.TB) *ReaderSession {
	s := NewReaderSession(0)
	if _, err := s.ReadStringTable(unhex("06 05 6669727374")); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTextRecords(t *testing.T) {
	sess := oneSession(t)
	for _, tc := range textCases {
		for _, withEnd := range []bool{false, true} {
			rec := append([]byte(nil), tc.rec...)
			doc := append([]byte{0x40, 0x01, 'e'}, rec...)
			if withEnd {
				doc[3] |= 1
			} else {
				doc = append(doc, 0x01)
			}
			want := "S :{}e\nT " + quote(tc.want) + "\nE :{}e\n"
			got, err := canonNodes(NewReader(doc, sess, ReaderOptions{}))
			if err != nil || got != want {
				t.Errorf("%s withEnd=%v: got %q, %v; want %q", tc.name, withEnd, got, err, want)
			}
			// The same record as an attribute value (even form only).
			adoc := cat([]byte{0x40, 0x01, 'e', 0x04, 0x01, 'v'}, tc.rec, []byte{0x01})
			want = "S :{}e :{}v=" + quote(tc.want) + "\nE :{}e\n"
			if got, err = canonNodes(NewReader(adoc, sess, ReaderOptions{})); err != nil || got != want {
				t.Errorf("%s as attribute: got %q, %v; want %q", tc.name, got, err, want)
			}
		}
	}
}

func quote(s string) string { return strconv.Quote(s) }

func TestEmptyTextAndLists(t *testing.T) {
	cases := []struct {
		name string
		doc  []byte
		want string
	}{
		{"EmptyWithEnd", unhex("40 01 65 A9"), "S :{}e\nE :{}e\n"},
		{"Empty", unhex("40 01 65 A8 01"), "S :{}e\nE :{}e\n"},
		{"ListAttr", unhex("40 01 65 04 01 76 A4 82 88 07 98 01 78 AA 02 A6 01"), "S :{}e :{}v=\"1 7 x Envelope\"\nE :{}e\n"},
		{"EmptyListAttr", unhex("40 01 65 04 01 76 A4 A6 01"), "S :{}e :{}v=\"\"\nE :{}e\n"},
		{"ListContent", unhex("40 01 65 A4 86 84 A6 01"), "S :{}e\nT \"true false\"\nE :{}e\n"},
		{"Comment", unhex("02 01 78 40 01 65 02 02 6869 98 01 61 02 00 01"), "S :{}e\nT \"a\"\nE :{}e\n"},
		{"AdjacentText", unhex("40 01 65 98 01 61 99 01 62"), "S :{}e\nT \"ab\"\nE :{}e\n"},
	}
	for _, tc := range cases {
		got, err := canonNodes(NewReader(tc.doc, nil, ReaderOptions{}))
		if err != nil || got != tc.want {
			t.Errorf("%s: got %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
}

func TestElementAndAttributeForms(t *testing.T) {
	// Every element and attribute record form, namespaces resolved.
	doc := unhex(`
41 01 70 04 72 6f6f74            // <p:root (Element)
09 01 70 05 75 726e3a70          //   xmlns:p="urn:p" (XmlnsAttribute)
0A 04                            //   xmlns=[soap-envelope] (ShortDictionaryXmlnsAttribute)
0B 01 7A 06                      //   xmlns:z=[addressing] (DictionaryXmlnsAttribute)
05 01 70 01 78 98 01 31          //   p:x="1" (Attribute, Chars8)
06 0A 80                         //   Action="0" (ShortDictionaryAttribute)
07 01 70 0C 82                   //   p:To="1" (DictionaryAttribute)
25 00 84                         //   z:mustUnderstand="false" (PrefixDictionaryAttributeZ)
3F 01 79 86                      //   z:y="true" (PrefixAttributeZ)
05 03 786d6c 04 6c616e67 98 02 656e // xml:lang="en"
40 01 61                         // <a> default ns
  42 02                          // <Envelope> (ShortDictionaryElement)
    43 01 70 08                  // <p:Header> (DictionaryElement)
      77 01 62                   // <z:b> (PrefixElementZ)
        5D 0E                    // <z:Body> (PrefixDictionaryElementZ)
          08 00                  // xmlns=""
          40 01 63 01            // <c/> no namespace
        01 01 01 01 01 01`)
	want := `S p:{urn:p}root p:{urn:p}x="1" :{}Action="0" p:{urn:p}To="1" z:{http://www.w3.org/2005/08/addressing}mustUnderstand="false" z:{http://www.w3.org/2005/08/addressing}y="true" xml:{http://www.w3.org/XML/1998/namespace}lang="en"
S :{http://www.w3.org/2003/05/soap-envelope}a
S :{http://www.w3.org/2003/05/soap-envelope}Envelope
S p:{urn:p}Header
S z:{http://www.w3.org/2005/08/addressing}b
S z:{http://www.w3.org/2005/08/addressing}Body
S :{}c
E :{}c
E z:{http://www.w3.org/2005/08/addressing}Body
E z:{http://www.w3.org/2005/08/addressing}b
E p:{urn:p}Header
E :{http://www.w3.org/2003/05/soap-envelope}Envelope
E :{http://www.w3.org/2003/05/soap-envelope}a
E p:{urn:p}root
`
	r := NewReader(doc, nil, ReaderOptions{})
	got, err := canonNodes(r)
	if err != nil || got != want {
		t.Fatalf("got %v\n%s\nwant\n%s", err, got, want)
	}
}

func TestLookupNamespaceAndDepth(t *testing.T) {
	sess := oneSession(t)
	doc := unhex("56 02 0B 01 73 04 08 05 75726e3a78 44 0C 0B 01 61 06 0A 01 01 01")
	r := NewReader(doc, sess, ReaderOptions{})
	steps := []struct {
		kind  xmlstream.Kind
		depth int
		ns    map[string]string
	}{
		{xmlstream.StartElement, 1, map[string]string{"s": "http://www.w3.org/2003/05/soap-envelope", "": "urn:x", "a": "", "xml": nsXML}},
		{xmlstream.StartElement, 2, map[string]string{"a": "http://www.w3.org/2005/08/addressing", "": "first"}},
		{xmlstream.EndElement, 1, nil},
		{xmlstream.EndElement, 0, nil},
		{xmlstream.EOF, 0, nil},
	}
	for i, st := range steps {
		n, err := r.Next()
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if n.Kind != st.kind || r.Depth() != st.depth {
			t.Fatalf("step %d: %v depth %d, want %v depth %d", i, n.Kind, r.Depth(), st.kind, st.depth)
		}
		for p, want := range st.ns {
			got, ok := r.LookupNamespace(p)
			if got != want || ok != (want != "") {
				t.Errorf("step %d: LookupNamespace(%q) = %q, %v; want %q", i, p, got, ok, want)
			}
		}
	}
}

func TestArrays(t *testing.T) {
	items := func(vals ...string) string {
		var sb strings.Builder
		sb.WriteString("S :{}r\n")
		for _, v := range vals {
			sb.WriteString("S i:{urn:i}x :{}k=\"v\"\nT " + quote(v) + "\nE i:{urn:i}x\n")
		}
		sb.WriteString("E :{}r\n")
		return sb.String()
	}
	head := unhex("40 01 72 03 66 01 78 09 01 69 05 75726e3a69 04 01 6b 98 01 76 01") // <r> Array <i:x xmlns:i k="v"/>
	cases := []struct {
		name string
		body []byte
		want []string
	}{
		{"Int16", unhex("8B 02 0100 FFFF"), []string{"1", "-1"}},
		{"Int32", unhex("8D 03 01000000 02000000 03000000"), []string{"1", "2", "3"}},
		{"Int64", unhex("8F 01 0000000000000080"), []string{"-9223372036854775808"}},
		{"Float", cat(unhex("91 01"), le32(math.Float32bits(2.5))), []string{"2.5"}},
		{"Double", cat(unhex("93 02"), le64(math.Float64bits(0.1)), le64(math.Float64bits(1e300))), []string{"0.1", "1E+300"}},
		{"Decimal", cat(unhex("95 01"), decimalBytes(false, 1, 0, 0, 15)), []string{"1.5"}},
		{"DateTime", unhex("97 01 FF3F37F47528CA2B"), []string{"9999-12-31T23:59:59.9999999"}},
		{"Bool", unhex("B5 03 01 00 01"), []string{"true", "false", "true"}},
		{"TimeSpan", unhex("AF 01 0000000000000000"), []string{"PT0S"}},
		{"Uuid", unhex("B1 01 b521e436c25563458319e840d9fee760"), []string{"36e421b5-55c2-4563-8319-e840d9fee760"}},
	}
	for _, tc := range cases {
		doc := cat(head, tc.body, []byte{0x01})
		r := NewReader(doc, nil, ReaderOptions{})
		got, err := canonNodes(r)
		if want := items(tc.want...); err != nil || got != want {
			t.Errorf("%s: got %v\n%s\nwant\n%s", tc.name, err, got, want)
		}
	}
	// Depth during an array: 2 inside an item, 1 between items.
	r := NewReader(cat(head, unhex("B5 02 01 00 01")), nil, ReaderOptions{})
	var depths []int
	for {
		n, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		depths = append(depths, r.Depth())
		if n.Kind == xmlstream.EOF {
			break
		}
	}
	if got, want := depths, []int{1, 2, 2, 1, 2, 2, 1, 0, 0}; !equalInts(got, want) {
		t.Errorf("depths %v, want %v", got, want)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestMalformed(t *testing.T) {
	sess := oneSession(t)
	deep := strings.Repeat("\x40\x01e", 129) + strings.Repeat("\x01", 129)
	manyAttrs := "\x40\x01e" + strings.Repeat("\x04\x01a\x80", 3) + "\x01"
	cases := []struct {
		name  string
		doc   []byte
		opts  ReaderOptions
		quota bool
	}{
		{"empty", nil, ReaderOptions{}, false},
		{"onlyComment", unhex("02 00"), ReaderOptions{}, false},
		{"unclosed", unhex("40 01 65"), ReaderOptions{}, false},
		{"trailing", unhex("40 01 65 01 00"), ReaderOptions{}, false},
		{"twoRoots", unhex("40 01 65 01 40 01 65 01"), ReaderOptions{}, false},
		{"trailingComment", unhex("40 01 65 01 02 00"), ReaderOptions{}, false},
		{"textBeforeRoot", unhex("98 01 61 40 01 65 01"), ReaderOptions{}, false},
		{"endAtTop", unhex("01"), ReaderOptions{}, false},
		{"record00", unhex("40 01 65 00 01"), ReaderOptions{}, false},
		{"record78", unhex("40 01 65 78 01"), ReaderOptions{}, false},
		{"recordBE", unhex("40 01 65 BE 01"), ReaderOptions{}, false},
		{"attrInContent", unhex("40 01 65 98 01 61 04 01 61 80 01"), ReaderOptions{}, false},
		{"staticIdOutOfRange", unhex("42 CE 07 01"), ReaderOptions{}, false},
		{"sessionIdUnknown", unhex("42 03 01"), ReaderOptions{}, false},
		{"mb31Overflow", unhex("40 FF FF FF FF 0F 65 01"), ReaderOptions{}, false},
		{"mb31TooLong", unhex("42 80 80 80 80 80 01 01"), ReaderOptions{}, false},
		{"nameOverrun", unhex("40 05 65"), ReaderOptions{}, false},
		{"chars32Negative", unhex("40 01 65 9D FFFFFFFF"), ReaderOptions{}, false},
		{"chars32Huge", unhex("40 01 65 9D FFFFFF7F 61"), ReaderOptions{}, false},
		{"badUTF8", unhex("40 01 65 99 01 FF"), ReaderOptions{}, false},
		{"badUTF8Name", unhex("40 01 FF 01"), ReaderOptions{}, false},
		{"oddUnicode", unhex("40 01 65 B7 01 41"), ReaderOptions{}, false},
		{"loneSurrogate", unhex("40 01 65 B7 02 00D8"), ReaderOptions{}, false},
		{"undeclaredPrefix", unhex("5F 01 65 01"), ReaderOptions{}, false},
		{"undeclaredAttrPrefix", unhex("40 01 65 27 01 61 80 01"), ReaderOptions{}, false},
		{"duplicateAttr", unhex("40 01 65 04 01 61 80 04 01 61 82 01"), ReaderOptions{}, false},
		{"duplicateXmlns", unhex("40 01 65 09 01 70 01 78 09 01 70 01 79 01"), ReaderOptions{}, false},
		{"xmlnsEmptyPrefixed", unhex("40 01 65 09 01 70 00 01"), ReaderOptions{}, false},
		{"xmlPrefixRebound", unhex("40 01 65 09 03 786d6c 01 78 01"), ReaderOptions{}, false},
		{"xmlnsAsAttribute", unhex("40 01 65 04 05 786d6c6e73 80 01"), ReaderOptions{}, false},
		{"oddAttrValue", unhex("40 01 65 04 01 61 81 01"), ReaderOptions{}, false},
		{"attrValueMissing", unhex("40 01 65 04 01 61"), ReaderOptions{}, false},
		{"listUnterminated", unhex("40 01 65 04 01 61 A4 80"), ReaderOptions{}, false},
		{"nestedList", unhex("40 01 65 04 01 61 A4 A4 A6 A6 01"), ReaderOptions{}, false},
		{"endListInContent", unhex("40 01 65 A6 01"), ReaderOptions{}, false},
		{"emptyName", unhex("40 00 01"), ReaderOptions{}, false},
		{"badDecimal", cat(unhex("40 01 65 95"), decimalBytes(false, 29, 0, 0, 1)), ReaderOptions{}, false},
		{"badDateTime", unhex("40 01 65 97 0040F47528CA2B3F"), ReaderOptions{}, false},
		{"qnamePrefix", unhex("40 01 65 BD 1A 02"), ReaderOptions{}, false},
		{"arrayAtTop", unhex("03 40 01 65 01 8D 01 00000000"), ReaderOptions{}, false},
		{"arrayNoElement", unhex("40 01 72 03 98 01 65 01"), ReaderOptions{}, false},
		{"arrayNoEnd", unhex("40 01 72 03 40 01 65 8D 01 00000000 01"), ReaderOptions{}, false},
		{"arrayBadType", unhex("40 01 72 03 40 01 65 01 99 01 00 01"), ReaderOptions{}, false},
		{"arrayZero", unhex("40 01 72 03 40 01 65 01 8D 00 01"), ReaderOptions{}, false},
		{"arrayOverrun", unhex("40 01 72 03 40 01 65 01 8D FF FF FF FF 07 00000000 01"), ReaderOptions{}, false},
		{"arrayNested", unhex("40 01 72 03 03 40 01 65 01 8D 01 00000000 01"), ReaderOptions{}, false},
		{"deep", []byte(deep), ReaderOptions{}, true},
		{"manyAttrs", []byte(manyAttrs), ReaderOptions{MaxAttributes: 2}, true},
		{"longName", unhex("40 03 616263 01"), ReaderOptions{MaxStringBytes: 2}, true},
		{"longText", unhex("40 01 65 99 03 616263"), ReaderOptions{MaxStringBytes: 2}, true},
		{"longList", unhex("40 01 65 04 01 61 A4 86 86 A6 01"), ReaderOptions{MaxStringBytes: 8}, true},
	}
	for _, tc := range cases {
		_, err := canonNodes(NewReader(tc.doc, sess, tc.opts))
		want := xmlstream.ErrMalformed
		if tc.quota {
			want = xmlstream.ErrQuota
		}
		if !errors.Is(err, want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, want)
		}
	}
	if _, err := canonNodes(NewReader(unhex("42 01 01"), nil, ReaderOptions{})); !errors.Is(err, xmlstream.ErrMalformed) {
		t.Errorf("session id without a session: %v", err)
	}
	// The depth limit itself is allowed.
	ok := strings.Repeat("\x40\x01e", 128) + strings.Repeat("\x01", 128)
	if _, err := canonNodes(NewReader([]byte(ok), nil, ReaderOptions{})); err != nil {
		t.Errorf("depth 128: %v", err)
	}
}

// TestTruncatedGolden cuts every golden payload at every offset: the
// result is an ErrMalformed-wrapped error, never a panic.
func TestTruncatedGolden(t *testing.T) {
	for _, msgs := range goldenStreams(t) {
		sess := NewReaderSession(0)
		for _, m := range msgs {
			n, err := sess.ReadStringTable(m.payload)
			if err != nil {
				t.Fatal(err)
			}
			doc := m.payload[n:]
			for cut := 0; cut < len(doc); cut++ {
				_, err := canonNodes(NewReader(doc[:cut], sess, ReaderOptions{}))
				if !errors.Is(err, xmlstream.ErrMalformed) {
					t.Fatalf("%s cut at %d: err = %v", m.name, cut, err)
				}
			}
			for cut := 0; cut < n; cut++ {
				s := NewReaderSession(0)
				if _, err := s.ReadStringTable(m.payload[:cut]); !errors.Is(err, xmlstream.ErrMalformed) {
					t.Fatalf("%s table cut at %d: err = %v", m.name, cut, err)
				}
			}
		}
	}
}

func TestStringTable(t *testing.T) {
	s := NewReaderSession(10)
	if n, err := s.ReadStringTable(unhex("00 56")); n != 1 || err != nil {
		t.Fatalf("empty table: %d %v", n, err)
	}
	if n, err := s.ReadStringTable(unhex("04 01 61 01 62 56")); n != 5 || err != nil {
		t.Fatalf("table: %d %v", n, err)
	}
	if n, err := s.ReadStringTable(unhex("02 01 63")); n != 3 || err != nil {
		t.Fatalf("second table: %d %v", n, err)
	}
	for id, want := range map[uint32]string{1: "a", 3: "b", 5: "c"} {
		if got, ok := s.Lookup(id); !ok || got != want {
			t.Errorf("Lookup(%d) = %q %v", id, got, ok)
		}
	}
	if _, ok := s.Lookup(7); ok {
		t.Error("Lookup(7) ok")
	}
	// 6 bytes used; 6 more exceed the 10-byte quota, and nothing is added.
	if _, err := s.ReadStringTable(unhex("06 02 6464 02 6565")); !errors.Is(err, xmlstream.ErrQuota) {
		t.Errorf("quota: %v", err)
	}
	if _, ok := s.Lookup(7); ok {
		t.Error("partial table kept")
	}
	for name, b := range map[string][]byte{
		"sizeOverrun":  unhex("05 01 61"),
		"entryOverrun": unhex("02 05 61"),
		"badUTF8":      unhex("02 01 FF"),
		"badMB31":      unhex("FF FF FF FF 7F"),
		"empty":        nil,
	} {
		if _, err := s.ReadStringTable(b); !errors.Is(err, xmlstream.ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
	s.Reset()
	if _, ok := s.Lookup(1); ok {
		t.Error("Reset kept strings")
	}
	if d := NewReaderSession(0); d.max != DefaultMaxSessionBytes {
		t.Error("default quota")
	}
}
