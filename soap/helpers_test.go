package soap

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/beevik/etree"
	"github.com/ipamd/ipamd/soap/nbfx"
	"github.com/ipamd/ipamd/soap/textxml"
	"github.com/ipamd/ipamd/soap/xmlstream"
)

var allEncodings = []Encoding{EncodingBinarySession, EncodingBinary, EncodingText}

// canonXML parses text XML with etree and renders it namespace-resolved:
// {ns}local, attributes sorted (xmlns declarations dropped), whitespace-only
// text dropped. Prefix choice and declaration placement do not matter.
func canonXML(t testing.TB, data []byte) string {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(data); err != nil {
		t.Fatalf("etree: %v\n%s", err, data)
	}
	var sb strings.Builder
	for _, e := range doc.ChildElements() {
		canonElem(&sb, e)
	}
	return sb.String()
}

func canonElem(sb *strings.Builder, e *etree.Element) {
	fmt.Fprintf(sb, "<{%s}%s", e.NamespaceURI(), e.Tag)
	var attrs []string
	for i := range e.Attr {
		a := &e.Attr[i]
		if a.Space == "xmlns" || (a.Space == "" && a.Key == "xmlns") {
			continue
		}
		ns := ""
		switch a.Space {
		case "":
		case "xml":
			ns = textxml.NSXML
		default:
			ns = a.NamespaceURI()
		}
		attrs = append(attrs, fmt.Sprintf("{%s}%s=%q", ns, a.Key, a.Value))
	}
	sort.Strings(attrs)
	for _, a := range attrs {
		sb.WriteString(" " + a)
	}
	sb.WriteString(">")
	for _, c := range e.Child {
		switch c := c.(type) {
		case *etree.Element:
			canonElem(sb, c)
		case *etree.CharData:
			if strings.TrimSpace(c.Data) != "" {
				fmt.Fprintf(sb, "%q", c.Data)
			}
		}
	}
	sb.WriteString("</>")
}

// dumpNodes renders the rest of a stream (until EOF or error).
func dumpNodes(r xmlstream.Reader) (string, error) {
	var sb strings.Builder
	for {
		n, err := r.Next()
		if err != nil {
			return sb.String(), err
		}
		switch n.Kind {
		case xmlstream.StartElement:
			fmt.Fprintf(&sb, "S{%s}%s", n.Name.Space, n.Name.Local)
			attrs := make([]string, 0, len(n.Attrs))
			for _, a := range n.Attrs {
				attrs = append(attrs, fmt.Sprintf(" {%s}%s=%q", a.Name.Space, a.Name.Local, a.Value))
			}
			sort.Strings(attrs)
			sb.WriteString(strings.Join(attrs, ""))
			sb.WriteByte('\n')
		case xmlstream.EndElement:
			fmt.Fprintf(&sb, "E{%s}%s\n", n.Name.Space, n.Name.Local)
		case xmlstream.Text:
			if strings.TrimSpace(n.Text) != "" {
				fmt.Fprintf(&sb, "T%q\n", n.Text)
			}
		case xmlstream.EOF:
			return sb.String(), nil
		}
	}
}

// transcode converts a text XML document to another encoding's payload.
func transcode(t testing.TB, enc Encoding, text []byte) []byte {
	t.Helper()
	if enc == EncodingText {
		return text
	}
	r := textxml.NewReader(text, textxml.Options{MaxDepth: 1 << 20})
	n, err := r.Next()
	if err != nil {
		t.Fatalf("transcode: %v", err)
	}
	var dst []byte
	if enc == EncodingBinarySession {
		dst = []byte{0x00}
	}
	w := nbfx.NewWriter(dst)
	if err := CopyElement(w, r, n); err != nil {
		t.Fatalf("transcode: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("transcode: %v", err)
	}
	return w.Bytes()
}

// toText re-encodes any payload of enc as text XML (whole envelope).
func toText(t testing.TB, enc Encoding, payload []byte) []byte {
	t.Helper()
	var r xmlstream.Reader
	switch enc {
	case EncodingText:
		return payload
	case EncodingBinarySession:
		s := nbfx.NewReaderSession(0)
		n, err := s.ReadStringTable(payload)
		if err != nil {
			t.Fatal(err)
		}
		r = nbfx.NewReader(payload[n:], s, nbfx.ReaderOptions{})
	default:
		r = nbfx.NewReader(payload, nil, nbfx.ReaderOptions{})
	}
	n, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	w := textxml.NewWriter(nil)
	if err := CopyElement(w, r, n); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w.Bytes()
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// captureMessages lists testdata/capture/<sess>_<dir>_NN base names in order.
func captureMessages(t testing.TB, sess, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join("testdata", "capture", sess+"_"+dir+"_*.bin"))
	if err != nil || len(m) == 0 {
		t.Fatalf("no capture files for %s %s: %v", sess, dir, err)
	}
	sort.Strings(m)
	for i := range m {
		m[i] = strings.TrimSuffix(filepath.Base(m[i]), ".bin")
	}
	return m
}

func textReader(doc string) *textxml.Reader {
	return textxml.NewReader([]byte(doc), textxml.Options{})
}
