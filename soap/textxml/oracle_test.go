package textxml

// The Reader as it was before the tokenizer of scan.go: encoding/xml's
// RawToken under the same namespace, quota and node logic. It is the oracle
// of the differential fuzz target FuzzScanAgainstEncodingXML: the Reader must
// yield the same nodes, or both must refuse the document.

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ipamd/ipamd/soap/xmlstream"
)

type stdFrame struct {
	name   xmlstream.Name
	nsMark int
	child  bool // a child element was seen
}

// Reader yields the nodes of one UTF-8 XML document. The Node and its Attrs
// are reused by the next call to Next.
type stdReader struct {
	opts Options
	src  bytes.Reader
	dec  *xml.Decoder

	node  xmlstream.Node
	attrs []xmlstream.Attr
	stack []stdFrame
	scope xmlstream.ReaderScope

	state      uint8
	popPending bool
	first      bool // no token read yet (an XML declaration is allowed)
	err        error

	peek    xml.Token // a token read ahead while collecting text
	text    []byte
	hasText bool
}

var _ xmlstream.Reader = (*stdReader)(nil)

// newStdReader returns a stdReader over doc.
func newStdReader(doc []byte, opts Options) *stdReader {
	r := &stdReader{opts: opts.withDefaults()}
	r.Reset(doc)
	return r
}

// Reset makes r read doc from the start, keeping its buffers and options.
func (r *stdReader) Reset(doc []byte) {
	doc = bytes.TrimPrefix(doc, utf8BOM)
	r.src.Reset(doc)
	r.dec = xml.NewDecoder(&r.src)
	r.dec.Strict = true
	r.node = xmlstream.Node{}
	r.attrs = r.attrs[:0]
	clear(r.stack)
	r.stack = r.stack[:0]
	r.scope.Reset()
	r.state = stProlog
	r.popPending = false
	r.first = true
	r.err = nil
	r.peek = nil
	r.text = r.text[:0]
	r.hasText = false
	if len(doc) > r.opts.MaxBytes {
		r.err = fmt.Errorf("textxml: %w", &xmlstream.QuotaError{Quota: xmlstream.QuotaMaxReceivedMessageSize,
			Limit: int64(r.opts.MaxBytes), Offset: -1, Detail: fmt.Sprintf("a document of %d bytes", len(doc))})
	}
}

// Depth is the number of currently open elements.
func (r *stdReader) Depth() int {
	if r.popPending {
		return len(r.stack) - 1
	}
	return len(r.stack)
}

// LookupNamespace resolves prefix in the scope of the last StartElement.
func (r *stdReader) LookupNamespace(prefix string) (string, bool) {
	return r.scope.Lookup(prefix)
}

func (r *stdReader) malformed(format string, args ...any) error {
	return fmt.Errorf("textxml: offset %d: %s: %w", r.dec.InputOffset(), fmt.Sprintf(format, args...), xmlstream.ErrMalformed)
}

func (r *stdReader) quota(quota string, limit int, detail string) error {
	return fmt.Errorf("textxml: %w", &xmlstream.QuotaError{Quota: quota, Limit: int64(limit), Offset: r.dec.InputOffset(), Detail: detail})
}

// Next returns the next node; see xmlstream.Reader.
func (r *stdReader) Next() (*xmlstream.Node, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.popPending {
		r.popPending = false
		top := len(r.stack) - 1
		r.scope.Pop(r.stack[top].nsMark)
		r.stack[top] = stdFrame{}
		r.stack = r.stack[:top]
		if top == 0 {
			r.state = stEpilog
		}
	}
	n, err := r.next()
	if err != nil {
		r.err = err
		return nil, err
	}
	return n, nil
}

// token returns the next raw token, mapping decoder errors.
func (r *stdReader) token() (xml.Token, error) {
	if r.peek != nil {
		t := r.peek
		r.peek = nil
		return t, nil
	}
	t, err := r.dec.RawToken()
	if err != nil {
		if err == io.EOF {
			return nil, io.EOF
		}
		var se *xml.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("textxml: line %d: %s: %w", se.Line, se.Msg, xmlstream.ErrMalformed)
		}
		return nil, fmt.Errorf("textxml: %v: %w", err, xmlstream.ErrMalformed)
	}
	first := r.first
	r.first = false
	switch t := t.(type) {
	case xml.Directive:
		return nil, r.malformed("DTD or other directive <!%.20s> not allowed", t)
	case xml.ProcInst:
		if strings.EqualFold(t.Target, "xml") && !first {
			return nil, r.malformed("XML declaration not at the start of the document")
		}
	}
	return t, nil
}

func (r *stdReader) next() (*xmlstream.Node, error) {
	switch r.state {
	case stEOF:
		r.node = xmlstream.Node{Kind: xmlstream.EOF}
		return &r.node, nil
	case stEpilog:
		// Only whitespace, comments and processing instructions may follow.
		for {
			t, err := r.token()
			if err == io.EOF {
				r.state = stEOF
				r.node = xmlstream.Node{Kind: xmlstream.EOF}
				return &r.node, nil
			}
			if err != nil {
				return nil, err
			}
			switch t := t.(type) {
			case xml.CharData:
				if !isSpace(t) {
					return nil, r.malformed("text after the document element")
				}
			case xml.StartElement:
				return nil, r.malformed("second document element <%s>", t.Name.Local)
			case xml.EndElement:
				return nil, r.malformed("end tag </%s> after the document element", t.Name.Local)
			}
		}
	}
	r.text = r.text[:0]
	r.hasText = false
	for {
		t, err := r.token()
		if err == io.EOF {
			if r.state == stProlog {
				return nil, r.malformed("no document element")
			}
			return nil, r.malformed("document ends inside <%s>", r.stack[len(r.stack)-1].name.Local)
		}
		if err != nil {
			return nil, err
		}
		switch t := t.(type) {
		case xml.CharData:
			if r.state == stProlog {
				if !isSpace(t) {
					return nil, r.malformed("text before the document element")
				}
				continue
			}
			if len(r.text)+len(t) > r.opts.MaxStringBytes {
				return nil, r.quota(xmlstream.QuotaMaxStringContentLength, r.opts.MaxStringBytes, "text content of an element")
			}
			r.text = append(r.text, t...)
			r.hasText = true
		case xml.StartElement:
			if r.hasText && !r.dropText(false) {
				r.peek = t.Copy()
				return r.textNode(), nil
			}
			return r.start(t)
		case xml.EndElement:
			if r.hasText && !r.dropText(true) {
				r.peek = t
				return r.textNode(), nil
			}
			return r.end(t)
		}
		// Comments and processing instructions are skipped; text around
		// them is joined.
	}
}

// dropText reports whether the collected text is ignorable whitespace:
// whitespace-only text is dropped next to child elements and kept as the
// whole content of a leaf element.
func (r *stdReader) dropText(beforeEnd bool) bool {
	if !isSpace(r.text) {
		return false
	}
	if len(r.text) == 0 {
		return true
	}
	return !beforeEnd || r.stack[len(r.stack)-1].child
}

func (r *stdReader) textNode() *xmlstream.Node {
	r.node = xmlstream.Node{Kind: xmlstream.Text, Text: string(r.text)}
	r.text = r.text[:0]
	r.hasText = false
	return &r.node
}

func (r *stdReader) start(t xml.StartElement) (*xmlstream.Node, error) {
	if len(r.stack) >= r.opts.MaxDepth {
		return nil, r.quota(xmlstream.QuotaMaxDepth, r.opts.MaxDepth, "element nesting")
	}
	if len(t.Attr) > r.opts.MaxAttributes {
		return nil, r.quota(xmlstream.QuotaMaxAttributes, r.opts.MaxAttributes, "attributes of one element")
	}
	tag := len(t.Name.Space) + len(t.Name.Local)
	for _, a := range t.Attr {
		tag += len(a.Name.Space) + len(a.Name.Local) + len(a.Value)
	}
	if tag > r.opts.MaxBytesPerRead {
		return nil, r.quota(xmlstream.QuotaMaxBytesPerRead, r.opts.MaxBytesPerRead, "start tag with its attributes")
	}
	prefix, local := t.Name.Space, t.Name.Local
	if !checkLocal(local) || (prefix != "" && !checkLocal(prefix)) || prefix == "xmlns" {
		return nil, r.malformed("invalid element name %q", joinName(prefix, local))
	}
	if len(r.stack) > 0 {
		r.stack[len(r.stack)-1].child = true
	}
	mark := r.scope.Mark()
	r.stack = append(r.stack, stdFrame{nsMark: mark})
	r.state = stContent
	r.attrs = r.attrs[:0]
	for _, a := range t.Attr {
		p, l := a.Name.Space, a.Name.Local
		if len(a.Value) > r.opts.MaxStringBytes {
			return nil, r.quota(xmlstream.QuotaMaxStringContentLength, r.opts.MaxStringBytes, "an attribute value")
		}
		switch {
		case p == "" && l == "xmlns":
			if err := r.declareNS(mark, "", a.Value); err != nil {
				return nil, err
			}
			continue
		case p == "xmlns":
			if !checkLocal(l) {
				return nil, r.malformed("invalid namespace declaration %q", joinName(p, l))
			}
			if err := r.declareNS(mark, l, a.Value); err != nil {
				return nil, err
			}
			continue
		}
		if !checkLocal(l) || (p != "" && !checkLocal(p)) {
			return nil, r.malformed("invalid attribute name %q", joinName(p, l))
		}
		r.attrs = append(r.attrs, xmlstream.Attr{Name: xmlstream.Name{Prefix: p, Local: l}, Value: a.Value})
	}
	for i := range r.attrs {
		a := &r.attrs[i]
		if a.Name.Prefix != "" {
			space, ok := r.scope.Lookup(a.Name.Prefix)
			if !ok {
				return nil, r.malformed("undeclared attribute prefix %q", a.Name.Prefix)
			}
			a.Name.Space = space
		}
		for j := 0; j < i; j++ {
			if r.attrs[j].Name.Local == a.Name.Local && r.attrs[j].Name.Space == a.Name.Space {
				return nil, r.malformed("duplicate attribute %q", a.Name.Local)
			}
		}
	}
	space, ok := r.scope.Lookup(prefix)
	if !ok {
		return nil, r.malformed("undeclared prefix %q on <%s>", prefix, local)
	}
	name := xmlstream.Name{Prefix: prefix, Local: local, Space: space}
	r.stack[len(r.stack)-1].name = name
	r.node = xmlstream.Node{Kind: xmlstream.StartElement, Name: name, Attrs: r.attrs}
	return &r.node, nil
}

func (r *stdReader) end(t xml.EndElement) (*xmlstream.Node, error) {
	if len(r.stack) == 0 {
		return nil, r.malformed("end tag </%s> without start tag", joinName(t.Name.Space, t.Name.Local))
	}
	top := r.stack[len(r.stack)-1].name
	if t.Name.Space != top.Prefix || t.Name.Local != top.Local {
		return nil, r.malformed("end tag </%s> does not match <%s>", joinName(t.Name.Space, t.Name.Local), joinName(top.Prefix, top.Local))
	}
	r.popPending = true
	r.node = xmlstream.Node{Kind: xmlstream.EndElement, Name: top}
	return &r.node, nil
}

func (r *stdReader) declareNS(mark int, prefix, uri string) error {
	if err := r.scope.Declare(mark, prefix, uri); err != nil {
		return fmt.Errorf("textxml: offset %d: %w", r.dec.InputOffset(), err)
	}
	return nil
}

func checkLocal(local string) bool { return isNCName(local) }
