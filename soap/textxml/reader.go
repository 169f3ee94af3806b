// Package textxml is the SOAP 1.2 text message encoding of net.tcp (known
// encoding 0x03, "application/soap+xml; charset=utf-8") as an xmlstream
// Reader and Writer, so the envelope layer above sees the same infoset as
// with the binary encodings.
//
// The Reader tokenizes the payload in place (scan.go: names and text are
// subslices of the input, decoded only when they hold a reference or a
// '\r') and resolves namespaces itself; it rejects DOCTYPE (no entity
// expansion beyond the five predefined entities and character references)
// and enforces depth, name, attribute, string and document size quotas
// before the work they bound. Names, namespaces and short attribute values
// come from a process-wide bounded table (xmlstream.Interner), so a message
// allocates little more than its text values. The Writer emits UTF-8 bytes
// directly.
package textxml

import (
	"bytes"
	"errors"
	"fmt"
	"hash/maphash"
	"sync/atomic"

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

// Strings the Readers of the process share (xmlstream.Interner): names and
// prefixes, namespace URIs and attribute values up to maxInternedValue
// bytes. Names and values have tables of their own so that made-up values
// cannot crowd out the names.
var (
	sharedNames  = newNameTable()
	sharedValues = newValueTable()
)

func newNameTable() *xmlstream.Interner {
	return xmlstream.NewInterner(maxShared, maxSharedBytes, maxInternedName)
}

func newValueTable() *xmlstream.Interner {
	return xmlstream.NewInterner(maxShared, maxSharedBytes, maxInternedValue)
}

// Each shared table holds at most maxShared strings, maxSharedBytes in all.
const (
	maxShared       = 2048
	maxSharedBytes  = 64 << 10
	maxInternedName = 256
)

// maxInternedValue bounds the attribute values and namespace URIs shared
// between messages (s:mustUnderstand="1", i:type="…", xmlns:a="…").
const maxInternedValue = 128

// Reader yields the nodes of one UTF-8 XML document. The Node and its Attrs
// are reused by the next call to Next.
type Reader struct {
	opts Options
	s    scanner

	node  xmlstream.Node
	attrs []xmlstream.Attr
	stack []frame
	scope xmlstream.ReaderScope

	state      uint8
	popPending bool
	first      bool // no token read yet (an XML declaration is allowed)
	err        error

	pending tokKind // a start or end tag read ahead while collecting text

	// The text collected since the last tag: one undecoded run stays in
	// the input (single); more runs, or one that needed decoding, are
	// joined in text.
	single  []byte
	text    []byte
	joined  bool
	hasText bool

	value []byte // scratch for decoding an attribute value

	// The first elements of stack, attrs and the scanner's attributes,
	// so that a Reader made per connection does not grow them step by
	// step on its first message.
	stackBuf [initialDepth]frame
	attrBuf  [initialAttrs]xmlstream.Attr
	rawBuf   [initialAttrs]rawAttr
}

// What a Reader or Writer holds without growing: a SOAP message nests about
// 8 deep and a start tag has few attributes.
const (
	initialDepth = 12
	initialAttrs = 6
	initialDecls = 12
)

var _ xmlstream.Reader = (*Reader)(nil)

// NewReader returns a Reader over doc.
func NewReader(doc []byte, opts Options) *Reader {
	r := &Reader{opts: opts.withDefaults()}
	r.stack, r.attrs, r.s.attrs = r.stackBuf[:0], r.attrBuf[:0], r.rawBuf[:0]
	r.scope.Grow(initialDecls)
	r.Reset(doc)
	return r
}

// Reset makes r read doc from the start, keeping its buffers and options.
// r reads doc in place: doc must not change until r is done with it (the
// strings r returns are copies and outlive it).
func (r *Reader) Reset(doc []byte) {
	doc = bytes.TrimPrefix(doc, utf8BOM)
	r.s.reset(doc)
	r.s.maxAttrs, r.s.maxName = r.opts.MaxAttributes, r.opts.MaxStringBytes
	r.node = xmlstream.Node{}
	clear(r.attrs)
	r.attrs = r.attrs[:0]
	clear(r.stack)
	r.stack = r.stack[:0]
	r.scope.Reset()
	r.state = stProlog
	r.popPending = false
	r.first = true
	r.err = nil
	r.pending = 0
	r.resetText()
	if len(doc) > r.opts.MaxBytes {
		r.err = fmt.Errorf("textxml: %w", &xmlstream.QuotaError{Quota: xmlstream.QuotaMaxReceivedMessageSize,
			Limit: int64(r.opts.MaxBytes), Offset: -1, Detail: fmt.Sprintf("a document of %d bytes", len(doc))})
		r.s.reset(nil)
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
	return fmt.Errorf("textxml: offset %d: %s: %w", r.s.pos, fmt.Sprintf(format, args...), xmlstream.ErrMalformed)
}

func (r *Reader) quota(quota string, limit int, detail string) error {
	return fmt.Errorf("textxml: %w", &xmlstream.QuotaError{Quota: quota, Limit: int64(limit), Offset: int64(r.s.pos), Detail: detail})
}

// scanError turns a tokenizer error into the Reader's.
func (r *Reader) scanError(err error) error {
	var se *scanErr
	if !errors.As(err, &se) {
		return r.malformed("%v", err)
	}
	switch se.quota {
	case quotaName:
		return r.quota(xmlstream.QuotaMaxStringContentLength, se.limit, "a name")
	case quotaAttrs:
		return r.quota(xmlstream.QuotaMaxAttributes, se.limit, "attributes of one element")
	}
	return r.malformed("%s", se.msg)
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

// token scans the next token, refusing a misplaced XML declaration.
func (r *Reader) token() (tokKind, error) {
	if k := r.pending; k != 0 {
		r.pending = 0
		return k, nil
	}
	k, err := r.s.next()
	if err != nil {
		return 0, r.scanError(err)
	}
	first := r.first
	r.first = false
	if k == tokPI && !first && bytes.EqualFold(r.s.target, []byte("xml")) {
		return 0, r.malformed("XML declaration not at the start of the document")
	}
	return k, nil
}

// outsideText checks character data before or after the document element:
// whitespace only, after decoding.
func (r *Reader) outsideText(where string) error {
	t := r.s.text
	if r.s.esc {
		dec, err := appendDecoded(r.value[:0], t, r.s.cdata, len(t))
		r.value = dec[:0]
		if err != nil {
			return r.scanError(err)
		}
		t = dec
	} else if !validChars(t) {
		return r.scanError(errChar)
	}
	if !isSpace(t) {
		return r.malformed("text %s the document element", where)
	}
	return nil
}

func (r *Reader) next() (*xmlstream.Node, error) {
	switch r.state {
	case stEOF:
		r.node = xmlstream.Node{Kind: xmlstream.EOF}
		return &r.node, nil
	case stEpilog:
		// Only whitespace, comments and processing instructions may follow.
		for {
			k, err := r.token()
			if err != nil {
				return nil, err
			}
			switch k {
			case tokEOF:
				r.state = stEOF
				r.node = xmlstream.Node{Kind: xmlstream.EOF}
				return &r.node, nil
			case tokText:
				if err := r.outsideText("after"); err != nil {
					return nil, err
				}
			case tokStart:
				return nil, r.malformed("second document element")
			case tokEnd:
				return nil, r.malformed("end tag after the document element")
			}
		}
	}
	r.resetText()
	for {
		k, err := r.token()
		if err != nil {
			return nil, err
		}
		switch k {
		case tokEOF:
			if r.state == stProlog {
				return nil, r.malformed("no document element")
			}
			return nil, r.malformed("document ends inside an element")
		case tokText:
			if r.state == stProlog {
				if err := r.outsideText("before"); err != nil {
					return nil, err
				}
				continue
			}
			if err := r.addText(); err != nil {
				return nil, err
			}
		case tokStart:
			if r.hasText && !r.dropText(false) {
				r.pending = k
				return r.textNode(), nil
			}
			return r.start()
		case tokEnd:
			if r.hasText && !r.dropText(true) {
				r.pending = k
				return r.textNode(), nil
			}
			return r.end()
		}
		// Comments and processing instructions are skipped; text around
		// them is joined.
	}
}

func (r *Reader) resetText() {
	r.single, r.text, r.joined, r.hasText = nil, r.text[:0], false, false
}

// textLen is the length of the text collected so far.
func (r *Reader) textLen() int {
	if r.joined {
		return len(r.text)
	}
	return len(r.single)
}

// addText adds the scanner's text run to the element's text, within
// MaxStringBytes (checked before the run is copied or decoded).
func (r *Reader) addText() error {
	t := r.s.text
	room := r.opts.MaxStringBytes - r.textLen()
	if !r.s.esc {
		if len(t) > room {
			return r.quota(xmlstream.QuotaMaxStringContentLength, r.opts.MaxStringBytes, "text content of an element")
		}
		if !validChars(t) {
			return r.scanError(errChar)
		}
		if !r.hasText {
			r.single, r.hasText = t, true
			return nil
		}
	}
	if !r.joined {
		r.text = append(r.text[:0], r.single...)
		r.joined = true
	}
	r.hasText = true
	if !r.s.esc {
		r.text = append(r.text, t...)
		return nil
	}
	var err error
	r.text, err = appendDecoded(r.text, t, r.s.cdata, room)
	if err == errDecodedTooLong {
		return r.quota(xmlstream.QuotaMaxStringContentLength, r.opts.MaxStringBytes, "text content of an element")
	}
	if err != nil {
		return r.scanError(err)
	}
	return nil
}

func (r *Reader) collected() []byte {
	if r.joined {
		return r.text
	}
	return r.single
}

// dropText reports whether the collected text is ignorable whitespace:
// whitespace-only text is dropped next to child elements and kept as the
// whole content of a leaf element.
func (r *Reader) dropText(beforeEnd bool) bool {
	t := r.collected()
	if !isSpace(t) {
		return false
	}
	if len(t) == 0 {
		return true
	}
	return !beforeEnd || r.stack[len(r.stack)-1].child
}

func (r *Reader) textNode() *xmlstream.Node {
	r.node = xmlstream.Node{Kind: xmlstream.Text, Text: textString(r.collected())}
	r.resetText()
	return &r.node
}

// textSeen holds the hashes of short text values seen once (a slot per
// hash, overwritten freely). A text value seen a second time goes into
// sharedValues: the values every session sends (a:Action, a:To, the
// anonymous address, "true", enumeration values) are then shared, while a
// value sent once (a:MessageID) is copied and never fills the table.
var (
	textSeen [1024]atomic.Uint64
	textSeed = maphash.MakeSeed()
)

// textString returns a text value as a string: the shared copy when it is
// short and has been seen before, else a new string.
func textString(t []byte) string {
	if len(t) > maxInternedValue {
		return string(t)
	}
	if s, ok := sharedValues.Lookup(t); ok {
		return s
	}
	h := maphash.Bytes(textSeed, t)
	slot := &textSeen[h%uint64(len(textSeen))]
	if slot.Load() == h {
		return sharedValues.Intern(t)
	}
	slot.Store(h)
	return string(t)
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

// attrValue decodes an attribute value within MaxStringBytes.
func (r *Reader) attrValue(a *rawAttr) ([]byte, error) {
	if !a.esc {
		if len(a.raw) > r.opts.MaxStringBytes {
			return nil, r.quota(xmlstream.QuotaMaxStringContentLength, r.opts.MaxStringBytes, "an attribute value")
		}
		if !validChars(a.raw) {
			return nil, r.scanError(errChar)
		}
		return a.raw, nil
	}
	v, err := appendDecoded(r.value[:0], a.raw, false, r.opts.MaxStringBytes)
	r.value = v[:0]
	if err == errDecodedTooLong {
		return nil, r.quota(xmlstream.QuotaMaxStringContentLength, r.opts.MaxStringBytes, "an attribute value")
	}
	if err != nil {
		return nil, r.scanError(err)
	}
	return v, nil
}

// valueString returns an attribute value or namespace URI as a string,
// shared when short.
func valueString(v []byte) string {
	if len(v) <= maxInternedValue {
		return sharedValues.Intern(v)
	}
	return string(v)
}

func (r *Reader) start() (*xmlstream.Node, error) {
	s := &r.s
	if len(r.stack) >= r.opts.MaxDepth {
		return nil, r.quota(xmlstream.QuotaMaxDepth, r.opts.MaxDepth, "element nesting")
	}
	// The start tag's budget, before decoding: names and raw values (a
	// value only shrinks when decoded); only a tag over it is decoded to
	// know whether it really is.
	tag := len(s.prefix) + len(s.local)
	raw := tag
	for i := range s.attrs {
		raw += len(s.attrs[i].prefix) + len(s.attrs[i].local) + len(s.attrs[i].raw)
	}
	exact := raw > r.opts.MaxBytesPerRead
	if bytes.Equal(s.prefix, []byte("xmlns")) {
		return nil, r.malformed("invalid element name")
	}
	if len(r.stack) > 0 {
		r.stack[len(r.stack)-1].child = true
	}
	mark := r.scope.Mark()
	r.stack = append(r.stack, frame{nsMark: mark})
	r.state = stContent
	clear(r.attrs)
	r.attrs = r.attrs[:0]
	for i := range s.attrs {
		a := &s.attrs[i]
		v, err := r.attrValue(a)
		if err != nil {
			return nil, err
		}
		if exact {
			tag += len(a.prefix) + len(a.local) + len(v)
			if tag > r.opts.MaxBytesPerRead {
				return nil, r.quota(xmlstream.QuotaMaxBytesPerRead, r.opts.MaxBytesPerRead, "start tag with its attributes")
			}
		}
		switch {
		case len(a.prefix) == 0 && string(a.local) == "xmlns":
			if err := r.declareNS(mark, "", valueString(v)); err != nil {
				return nil, err
			}
			continue
		case string(a.prefix) == "xmlns":
			if err := r.declareNS(mark, sharedNames.Intern(a.local), valueString(v)); err != nil {
				return nil, err
			}
			continue
		}
		var p string
		if len(a.prefix) > 0 {
			p = sharedNames.Intern(a.prefix)
		}
		r.attrs = append(r.attrs, xmlstream.Attr{Name: xmlstream.Name{Prefix: p, Local: sharedNames.Intern(a.local)}, Value: valueString(v)})
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
	var prefix string
	if len(s.prefix) > 0 {
		prefix = sharedNames.Intern(s.prefix)
	}
	space, ok := r.scope.Lookup(prefix)
	if !ok {
		return nil, r.malformed("undeclared prefix %q", prefix)
	}
	name := xmlstream.Name{Prefix: prefix, Local: sharedNames.Intern(s.local), Space: space}
	r.stack[len(r.stack)-1].name = name
	r.node = xmlstream.Node{Kind: xmlstream.StartElement, Name: name, Attrs: r.attrs}
	return &r.node, nil
}

func (r *Reader) end() (*xmlstream.Node, error) {
	if len(r.stack) == 0 {
		return nil, r.malformed("end tag without start tag")
	}
	top := r.stack[len(r.stack)-1].name
	if string(r.s.prefix) != top.Prefix || string(r.s.local) != top.Local {
		return nil, r.malformed("end tag does not match <%s>", joinName(top.Prefix, top.Local))
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
		return fmt.Errorf("textxml: offset %d: %w", r.s.pos, err)
	}
	return nil
}
