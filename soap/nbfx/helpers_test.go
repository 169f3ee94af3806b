package nbfx

import (
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ipamd/ipamd/soap/xmlstream"
)

// canonNodes renders a node stream one node per line: adjacent text merged,
// whitespace-only text dropped, names as prefix:{space}local.
func canonNodes(r xmlstream.Reader) (string, error) {
	var sb, text strings.Builder
	flush := func() {
		if t := text.String(); strings.TrimSpace(t) != "" {
			fmt.Fprintf(&sb, "T %q\n", t)
		}
		text.Reset()
	}
	for i := 0; ; i++ {
		if i > 1<<20 {
			return sb.String(), errors.New("too many nodes")
		}
		n, err := r.Next()
		if err != nil {
			return sb.String(), err
		}
		switch n.Kind {
		case xmlstream.Text:
			text.WriteString(n.Text)
		case xmlstream.StartElement:
			flush()
			fmt.Fprintf(&sb, "S %s:{%s}%s", n.Name.Prefix, n.Name.Space, n.Name.Local)
			for _, a := range n.Attrs {
				fmt.Fprintf(&sb, " %s:{%s}%s=%q", a.Name.Prefix, a.Name.Space, a.Name.Local, a.Value)
			}
			sb.WriteByte('\n')
		case xmlstream.EndElement:
			flush()
			fmt.Fprintf(&sb, "E %s:{%s}%s\n", n.Name.Prefix, n.Name.Space, n.Name.Local)
		case xmlstream.EOF:
			flush()
			return sb.String(), nil
		default:
			return sb.String(), fmt.Errorf("bad node kind %v", n.Kind)
		}
	}
}

// xmlEvent walks a text XML document with encoding/xml, giving each token
// with wire prefixes (raw) and resolved namespaces (res).
func xmlEvents(doc string, f func(raw, res xml.Token) error) error {
	rawDec := xml.NewDecoder(strings.NewReader(doc))
	resDec := xml.NewDecoder(strings.NewReader(doc))
	for {
		raw, err1 := rawDec.RawToken()
		res, err2 := resDec.Token()
		if err1 == io.EOF && err2 == io.EOF {
			return nil
		}
		if err1 != nil {
			return err1
		}
		if err2 != nil {
			return err2
		}
		if err := f(raw, res); err != nil {
			return err
		}
	}
}

func isXmlns(a xml.Attr) bool {
	return a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns")
}

// canonXML renders a text XML document the way canonNodes renders nodes.
func canonXML(doc string) (string, error) {
	var sb, text strings.Builder
	flush := func() {
		if t := text.String(); strings.TrimSpace(t) != "" {
			fmt.Fprintf(&sb, "T %q\n", t)
		}
		text.Reset()
	}
	err := xmlEvents(doc, func(raw, res xml.Token) error {
		switch rt := raw.(type) {
		case xml.StartElement:
			st := res.(xml.StartElement)
			flush()
			fmt.Fprintf(&sb, "S %s:{%s}%s", rt.Name.Space, st.Name.Space, st.Name.Local)
			for i, a := range rt.Attr {
				if isXmlns(a) {
					continue
				}
				fmt.Fprintf(&sb, " %s:{%s}%s=%q", a.Name.Space, st.Attr[i].Name.Space, a.Name.Local, a.Value)
			}
			sb.WriteByte('\n')
		case xml.EndElement:
			et := res.(xml.EndElement)
			flush()
			fmt.Fprintf(&sb, "E %s:{%s}%s\n", rt.Name.Space, et.Name.Space, et.Name.Local)
		case xml.CharData:
			text.Write(rt)
		}
		return nil
	})
	flush()
	return sb.String(), err
}

// writeXML drives w with a text XML document (whitespace-only text dropped).
func writeXML(w xmlstream.Writer, doc string) error {
	err := xmlEvents(doc, func(raw, res xml.Token) error {
		switch rt := raw.(type) {
		case xml.StartElement:
			st := res.(xml.StartElement)
			if err := w.StartElement(rt.Name.Space, rt.Name.Local, st.Name.Space); err != nil {
				return err
			}
			for i, a := range rt.Attr {
				var err error
				switch {
				case a.Name.Space == "xmlns":
					err = w.XmlnsAttr(a.Name.Local, a.Value)
				case isXmlns(a):
					err = w.XmlnsAttr("", a.Value)
				default:
					err = w.Attr(a.Name.Space, a.Name.Local, st.Attr[i].Name.Space, a.Value)
				}
				if err != nil {
					return err
				}
			}
		case xml.EndElement:
			return w.EndElement()
		case xml.CharData:
			if strings.TrimSpace(string(rt)) != "" {
				return w.Text(string(rt))
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return w.Close()
}

// unhex decodes hex with spaces, newlines and // comments allowed.
func unhex(s string) []byte {
	var sb strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if i := strings.Index(line, "//"); i >= 0 {
			line = line[:i]
		}
		sb.WriteString(strings.Join(strings.Fields(line), ""))
	}
	b, err := hex.DecodeString(sb.String())
	if err != nil {
		panic(err)
	}
	return b
}
