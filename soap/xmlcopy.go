package soap

import (
	"fmt"
	"strings"

	"github.com/ipamd/ipamd/soap/textxml"
	"github.com/ipamd/ipamd/soap/xmlstream"
)

// RawXML is a BodyWriter replaying a sequence of text-encoded XML elements
// (such as the detail returned by ReadFault) into any Writer.
type RawXML []byte

// WriteBody parses the elements and copies their nodes to w.
func (x RawXML) WriteBody(w xmlstream.Writer) error {
	doc := make([]byte, 0, len(x)+7)
	doc = append(append(append(doc, "<r>"...), x...), "</r>"...)
	r := textxml.NewReader(doc, textxml.Options{})
	if _, err := r.Next(); err != nil {
		return fmt.Errorf("raw XML: %w", err)
	}
	for {
		n, err := nextNonSpace(r)
		if err != nil {
			return fmt.Errorf("raw XML: %w", err)
		}
		switch n.Kind {
		case xmlstream.EndElement:
			return nil
		case xmlstream.Text:
			return fmt.Errorf("raw XML: text outside an element: %w", xmlstream.ErrMalformed)
		}
		if err := CopyElement(w, r, n); err != nil {
			return fmt.Errorf("raw XML: %w", err)
		}
	}
}

// CopyElement copies the element whose StartElement start was just read
// from r, through its end tag, to w. xmlstream does not report xmlns
// declarations, so prefixes that QName-valued content needs (xsi:type
// attribute values, text such as s:Value's) are declared on the copy when
// the value looks like a QName with a prefix bound in r.
func CopyElement(w xmlstream.Writer, r xmlstream.Reader, start *xmlstream.Node) error {
	depth := r.Depth() - 1
	n := start
	justStarted := false
	for {
		switch n.Kind {
		case xmlstream.StartElement:
			if err := w.StartElement(n.Name.Prefix, n.Name.Local, n.Name.Space); err != nil {
				return err
			}
			for i := range n.Attrs {
				a := &n.Attrs[i]
				if err := declareQNamePrefix(w, r, a.Value); err != nil {
					return err
				}
				if err := w.Attr(a.Name.Prefix, a.Name.Local, a.Name.Space, a.Value); err != nil {
					return err
				}
			}
		case xmlstream.EndElement:
			if err := w.EndElement(); err != nil {
				return err
			}
			if r.Depth() == depth {
				return nil
			}
		case xmlstream.Text:
			if justStarted {
				if err := declareQNamePrefix(w, r, n.Text); err != nil {
					return err
				}
			}
			if err := w.Text(n.Text); err != nil {
				return err
			}
		case xmlstream.EOF:
			return fmt.Errorf("soap: document ends inside an element: %w", xmlstream.ErrMalformed)
		}
		justStarted = n.Kind == xmlstream.StartElement
		var err error
		if n, err = r.Next(); err != nil {
			return err
		}
	}
}

// declareQNamePrefix declares p on the open start tag when v looks like
// the QName p:local and p is bound in r's current scope.
func declareQNamePrefix(w xmlstream.Writer, r xmlstream.Reader, v string) error {
	v = strings.TrimSpace(v)
	p, local, ok := strings.Cut(v, ":")
	if !ok || p == "" || local == "" || p == "xml" || p == "xmlns" || strings.ContainsAny(p, " \t\r\n/") || strings.ContainsAny(local, " \t\r\n/:") {
		return nil
	}
	space, ok := r.LookupNamespace(p)
	if !ok || space == "" {
		return nil
	}
	return w.XmlnsAttr(p, space)
}
