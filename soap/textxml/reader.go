// Package textxml is the SOAP 1.2 text message encoding of net.tcp (known
// encoding 0x03, "application/soap+xml; charset=utf-8") as an xmlstream
// Reader and Writer, so the envelope layer above sees the same infoset as
// with the binary encodings.
//
// The Reader walks encoding/xml's raw tokens and resolves namespaces itself;
// it rejects DOCTYPE (no entity expansion beyond the five predefined
// entities and character references) and enforces depth, attribute, string
// and document size quotas. The Writer emits UTF-8 bytes directly.
package textxml

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ipamd/ipamd/soap/xmlstream"
)

// Namespaces that are bound without a declaration.
const (
	NSXML   = "http://www.w3.org/XML/1998/namespace"
	NSXMLNS = "http://www.w3.org/2000/xmlns/"
)

// Default quotas (used for zero Options fields).
const (
	DefaultMaxDepth        = 128
	DefaultMaxAttributes   = 256
	DefaultMaxStringBytes  = 1 << 20
	DefaultMaxBytes        = 4 << 20
	DefaultMaxBytesPerRead = 1 << 20
)

// Options are the Reader's quotas; zero fields take the defaults.
type Options struct {
	MaxDepth       int // open elements
	MaxAttributes  int // attributes per start tag, xmlns declarations included
	MaxStringBytes int // bytes of one text node or attribute value
	MaxBytes       int // bytes of the whole document
	// MaxBytesPerRead bounds one start tag: its names and attribute values.
	MaxBytesPerRead int
}

func (o Options) withDefaults() Options {
	if o.MaxDepth <= 0 {
		o.MaxDepth = DefaultMaxDepth
	}
	if o.MaxAttributes <= 0 {
		o.MaxAttributes = DefaultMaxAttributes
	}
	if o.MaxStringBytes <= 0 {
		o.MaxStringBytes = DefaultMaxStringBytes
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MaxBytesPerRead <= 0 {
		o.MaxBytesPerRead = DefaultMaxBytesPerRead
	}
	return o
}

type frame struct {
	name   xmlstream.Name
	nsMark int
	child  bool // a child element was seen
}

const (
	stProlog uint8 = iota
	stContent
	stEpilog
	stEOF
)

// Reader yields the nodes of one UTF-8 XML document. The Node and its Attrs
// are reused by the next call to Next.
type Reader struct {
	opts Options
	src  bytes.Reader
	dec  *xml.Decoder

	node  xmlstream.Node
	attrs []xmlstream.Attr
	stack []frame
	scope xmlstream.ReaderScope

	state      uint8
	popPending bool
	first      bool // no token read yet (an XML declaration is allowed)
	err        error

	peek    xml.Token // a token read ahead while collecting text
	text    []byte
	hasText bool
}

var _ xmlstream.Reader = (*Reader)(nil)

// NewReader returns a Reader over doc.
func NewReader(doc []byte, opts Options) *Reader {
	r := &Reader{opts: opts.withDefaults()}
	r.Reset(doc)
	return r
}

// Reset makes r read doc from the start, keeping its buffers and options.
func (r *Reader) Reset(doc []byte) {
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

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Depth is the number of currently open elements.
func (r *Reader) Depth() int {
	if r.popPending {
		return len(r.stack) - 1
	}
	return len(r.stack)
}

// LookupNamespace resolves prefix in the scope of the last StartElement.
func (r *Reader) LookupNamespace(prefix string) (string, bool) {
	return r.scope.Lookup(prefix)
}

func (r *Reader) malformed(format string, args ...any) error {
	return fmt.Errorf("textxml: offset %d: %s: %w", r.dec.InputOffset(), fmt.Sprintf(format, args...), xmlstream.ErrMalformed)
}

func (r *Reader) quota(quota string, limit int, detail string) error {
	return fmt.Errorf("textxml: %w", &xmlstream.QuotaError{Quota: quota, Limit: int64(limit), Offset: r.dec.InputOffset(), Detail: detail})
}

// Next returns the next node; see xmlstream.Reader.
func (r *Reader) Next() (*xmlstream.Node, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.popPending {
		r.popPending = false
		top := len(r.stack) - 1
		r.scope.Pop(r.stack[top].nsMark)
		r.stack[top] = frame{}
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
func (r *Reader) token() (xml.Token, error) {
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

func (r *Reader) next() (*xmlstream.Node, error) {
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
func (r *Reader) dropText(beforeEnd bool) bool {
	if !isSpace(r.text) {
		return false
	}
	if len(r.text) == 0 {
		return true
	}
	return !beforeEnd || r.stack[len(r.stack)-1].child
}

func (r *Reader) textNode() *xmlstream.Node {
	r.node = xmlstream.Node{Kind: xmlstream.Text, Text: string(r.text)}
	r.text = r.text[:0]
	r.hasText = false
	return &r.node
}

func isSpace(b []byte) bool {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
		default:
			return false
		}
	}
	return true
}

// checkLocal reports whether a name part is an NCName (encoding/xml only
// checks the first character of the whole qualified name).
func checkLocal(local string) bool {
	return isNCName(local)
}

func (r *Reader) start(t xml.StartElement) (*xmlstream.Node, error) {
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
	r.stack = append(r.stack, frame{nsMark: mark})
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

func (r *Reader) end(t xml.EndElement) (*xmlstream.Node, error) {
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

func joinName(prefix, local string) string {
	if prefix == "" {
		return local
	}
	return prefix + ":" + local
}

func (r *Reader) declareNS(mark int, prefix, uri string) error {
	if err := r.scope.Declare(mark, prefix, uri); err != nil {
		return fmt.Errorf("textxml: offset %d: %w", r.dec.InputOffset(), err)
	}
	return nil
}
