package nbfx

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/ipamd/ipamd/soap/xmlstream"
)

// ReaderOptions are the reader's quotas (WCF's XmlDictionaryReaderQuotas,
// docs/security.md "Resource budgets"); zero fields take the defaults.
type ReaderOptions struct {
	MaxDepth       int // open elements; default 128
	MaxAttributes  int // attribute records (xmlns included) per element; default 256
	MaxStringBytes int // bytes of one name, attribute value, list or element's text content; default 1<<20
	// MaxArrayLength bounds the items of one Array record; default 16384.
	MaxArrayLength int
	// MaxBytesPerRead bounds the decoded bytes of one start tag: names,
	// namespaces and attribute values; default 1<<20.
	MaxBytesPerRead int
	// MaxExpansion bounds the decoded bytes of one document (start tags:
	// names, namespace declarations, attribute values; text) to
	// MaxExpansion × max(len(doc), ExpansionFloor): dictionary references
	// must not turn a small message into a large one. Default 1<<10 (in
	// effect unlimited).
	MaxExpansion int
}

// ExpansionFloor is the document size below which MaxExpansion is applied
// as if the document had this size: a small message's static dictionary
// strings (namespace URIs of 39 bytes from 2-byte references) expand more
// than any large message may.
const ExpansionFloor = 1024

// Reader decodes one [MC-NBFX] document into xmlstream nodes. Names and
// namespaces from the dictionaries are not copied; the Node and its Attrs are
// reused by the next call to Next.
type Reader struct {
	buf  []byte
	pos  int
	sess *ReaderSession
	opts ReaderOptions

	node  xmlstream.Node
	attrs []xmlstream.Attr
	stack []frame
	scope xmlstream.ReaderScope

	state      uint8
	pendingEnd bool // a …WithEndElement text was returned: EndElement is next
	popPending bool // an EndElement was returned: pop its scope on the next call
	err        error

	arrPhase uint8 // 0 none; 1 StartElement, 2 Text, 3 EndElement is next
	arrType  byte
	arrCount uint32

	names   map[string]string // interned names sharedNames has no room for; made on first use
	nameSz  int
	scratch []byte
	list    []byte

	decoded    int // decoded bytes of the document so far (see MaxExpansion)
	maxDecoded int
	textRun    int // bytes of text since the last start or end tag
	tagBytes   int // decoded bytes of the start tag being read
}

type frame struct {
	name   xmlstream.Name
	nsMark int
}

const (
	stateProlog uint8 = iota
	stateContent
	stateEpilog
	stateEOF
)

const letters = "abcdefghijklmnopqrstuvwxyz"

// Interning bounds per Reader (the Reader lives as long as its connection).
const (
	maxInterned      = 1024
	maxInternedBytes = 64 << 10
	maxInternedLen   = 128
)

var _ xmlstream.Reader = (*Reader)(nil)

// NewReader returns a Reader over doc (an NBFX document, i.e. an
// msbinsession1 payload after its StringTable). session resolves odd
// dictionary ids; nil means the document may use none.
func NewReader(doc []byte, session *ReaderSession, opts ReaderOptions) *Reader {
	r := &Reader{opts: opts.withDefaults()}
	r.Reset(doc, session)
	return r
}

// withDefaults fills the zero fields.
func (opts ReaderOptions) withDefaults() ReaderOptions {
	if opts.MaxDepth <= 0 {
		opts.MaxDepth = 128
	}
	if opts.MaxAttributes <= 0 {
		opts.MaxAttributes = 256
	}
	if opts.MaxStringBytes <= 0 {
		opts.MaxStringBytes = 1 << 20
	}
	if opts.MaxArrayLength <= 0 {
		opts.MaxArrayLength = 16384
	}
	if opts.MaxBytesPerRead <= 0 {
		opts.MaxBytesPerRead = 1 << 20
	}
	if opts.MaxExpansion <= 0 {
		opts.MaxExpansion = 1 << 10
	}
	return opts
}

// Reset makes r read doc from the start, keeping its buffers, options and
// interned names.
func (r *Reader) Reset(doc []byte, session *ReaderSession) {
	r.buf, r.pos, r.sess = doc, 0, session
	r.node = xmlstream.Node{}
	r.attrs = r.attrs[:0]
	r.stack = r.stack[:0]
	r.scope.Reset()
	r.state = stateProlog
	r.pendingEnd, r.popPending = false, false
	r.err = nil
	r.arrPhase, r.arrType, r.arrCount = 0, 0, 0
	r.decoded, r.textRun, r.tagBytes = 0, 0, 0
	r.maxDecoded = r.opts.MaxExpansion * max(len(doc), ExpansionFloor)
}

// Depth is the number of currently open elements.
func (r *Reader) Depth() int {
	d := len(r.stack)
	if r.popPending || r.arrPhase == 1 {
		d--
	}
	return d
}

// LookupNamespace resolves prefix in the scope of the last StartElement.
func (r *Reader) LookupNamespace(prefix string) (string, bool) {
	return r.scope.Lookup(prefix)
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
		r.stack = r.stack[:top]
		if top == 0 {
			r.state = stateEpilog
		}
	}
	n, err := r.next()
	if err != nil {
		r.err = err
		return nil, err
	}
	return n, nil
}

// text charges a text node to its element's text (MaxStringBytes: text
// records may follow each other without limit) and to the document's
// decoded bytes: a 2-byte dictionary reference stands for a string of up
// to the session table's size. Small enough to inline; the errors are
// built out of line.
func (r *Reader) text(s string) error {
	r.textRun += len(s)
	r.decoded += len(s)
	if r.textRun > r.opts.MaxStringBytes || r.decoded > r.maxDecoded {
		return r.textErr()
	}
	return nil
}

//go:noinline
func (r *Reader) textErr() error {
	if r.textRun > r.opts.MaxStringBytes {
		return quotaErr(xmlstream.QuotaMaxStringContentLength, r.opts.MaxStringBytes, r.pos, "text content of an element")
	}
	return r.expansionErr()
}

// charge adds n decoded bytes to the document's budget (MaxExpansion).
func (r *Reader) charge(n int) error {
	r.decoded += n
	if r.decoded > r.maxDecoded {
		return r.expansionErr()
	}
	return nil
}

//go:noinline
func (r *Reader) expansionErr() error {
	return quotaErr(xmlstream.QuotaMaxDecodedBytes, r.maxDecoded, r.pos,
		fmt.Sprintf("the document decodes to more than %d× its %d bytes", r.opts.MaxExpansion, len(r.buf)))
}

// tag charges a start tag's name, namespace or attribute value to
// MaxBytesPerRead.
func (r *Reader) tag(off, n int) error {
	r.tagBytes += n
	if r.tagBytes > r.opts.MaxBytesPerRead {
		return r.tagErr(off)
	}
	return nil
}

//go:noinline
func (r *Reader) tagErr(off int) error {
	return quotaErr(xmlstream.QuotaMaxBytesPerRead, r.opts.MaxBytesPerRead, off, "start tag with its attributes")
}

func (r *Reader) next() (*xmlstream.Node, error) {
	if r.pendingEnd {
		r.pendingEnd = false
		return r.emitEnd(), nil
	}
	if r.arrPhase != 0 {
		return r.nextArrayItem()
	}
	switch r.state {
	case stateEOF:
		return r.eof(), nil
	case stateEpilog:
		if r.pos != len(r.buf) {
			return nil, malformed(r.pos, "record 0x%02X after the document element", r.buf[r.pos])
		}
		r.state = stateEOF
		return r.eof(), nil
	}
	for {
		if r.pos >= len(r.buf) {
			if r.state == stateProlog {
				return nil, malformed(r.pos, "no document element")
			}
			return nil, malformed(r.pos, "document ends inside <%s>", r.stack[len(r.stack)-1].name.Local)
		}
		off := r.pos
		t := r.buf[off]
		r.pos++
		switch {
		case t == 0x01: // EndElement
			if len(r.stack) == 0 {
				return nil, malformed(off, "record 0x01: EndElement outside the document element")
			}
			return r.emitEnd(), nil
		case t == 0x02: // Comment
			if _, err := r.readBytes(off, t); err != nil {
				return nil, err
			}
		case t == 0x03: // Array
			return r.readArray(off)
		case t >= 0x40 && t <= 0x77:
			return r.readElement(off, t)
		case t >= 0x80 && t <= 0xBD:
			if len(r.stack) == 0 {
				return nil, malformed(off, "record 0x%02X: text outside the document element", t)
			}
			var s string
			var err error
			if t&^1 == 0xA4 {
				if t&1 != 0 {
					return nil, malformed(off, "record 0x%02X: invalid text record", t)
				}
				s, err = r.readList(off)
			} else {
				s, err = r.readText(off, t)
			}
			if err != nil {
				return nil, err
			}
			if t&1 != 0 {
				r.pendingEnd = true
			}
			if s == "" {
				if r.pendingEnd {
					r.pendingEnd = false
					return r.emitEnd(), nil
				}
				continue
			}
			if err := r.text(s); err != nil {
				return nil, err
			}
			r.node = xmlstream.Node{Kind: xmlstream.Text, Text: s}
			return &r.node, nil
		case t >= 0x04 && t <= 0x3F:
			return nil, malformed(off, "record 0x%02X: attribute outside a start tag", t)
		default:
			return nil, malformed(off, "record 0x%02X: invalid record type", t)
		}
	}
}

func (r *Reader) eof() *xmlstream.Node {
	r.node = xmlstream.Node{Kind: xmlstream.EOF}
	return &r.node
}

func (r *Reader) emitEnd() *xmlstream.Node {
	r.textRun = 0
	r.node = xmlstream.Node{Kind: xmlstream.EndElement, Name: r.stack[len(r.stack)-1].name}
	r.popPending = true
	return &r.node
}

// readElement decodes an element record (type t at off) and its attributes.
func (r *Reader) readElement(off int, t byte) (*xmlstream.Node, error) {
	if len(r.stack) >= r.opts.MaxDepth {
		return nil, quotaErr(xmlstream.QuotaMaxDepth, r.opts.MaxDepth, off, "element nesting")
	}
	r.tagBytes = 0
	var prefix, local string
	var err error
	switch {
	case t == 0x40: // ShortElement
		local, err = r.readName(off, t)
	case t == 0x41: // Element
		if prefix, err = r.readName(off, t); err == nil {
			local, err = r.readName(off, t)
		}
	case t == 0x42: // ShortDictionaryElement
		local, err = r.readDict(off, t)
	case t == 0x43: // DictionaryElement
		if prefix, err = r.readName(off, t); err == nil {
			local, err = r.readDict(off, t)
		}
	case t <= 0x5D: // PrefixDictionaryElementA..Z
		prefix = letters[t-0x44 : t-0x43]
		local, err = r.readDict(off, t)
	default: // PrefixElementA..Z
		prefix = letters[t-0x5E : t-0x5D]
		local, err = r.readName(off, t)
	}
	if err == nil {
		err = r.tag(off, len(prefix)+len(local))
	}
	if err != nil {
		return nil, err
	}
	if local == "" {
		return nil, malformed(off, "record 0x%02X: empty element name", t)
	}
	if prefix == "xmlns" {
		return nil, malformed(off, "record 0x%02X: element prefix xmlns", t)
	}
	r.stack = append(r.stack, frame{nsMark: r.scope.Mark()})
	r.state = stateContent
	if err := r.readAttributes(); err != nil {
		return nil, err
	}
	space, ok := r.scope.Lookup(prefix)
	if !ok && prefix != "" {
		return nil, malformed(off, "record 0x%02X: undeclared prefix %q on <%s>", t, prefix, local)
	}
	name := xmlstream.Name{Prefix: prefix, Local: local, Space: space}
	r.stack[len(r.stack)-1].name = name
	r.textRun = 0
	if err := r.charge(r.tagBytes); err != nil {
		return nil, err
	}
	r.node = xmlstream.Node{Kind: xmlstream.StartElement, Name: name, Attrs: r.attrs}
	return &r.node, nil
}

// readAttributes decodes the attribute and xmlns records following an
// element record and resolves the attribute namespaces.
func (r *Reader) readAttributes() error {
	r.attrs = r.attrs[:0]
	mark := r.scope.Mark()
	count := 0
	for r.pos < len(r.buf) {
		t := r.buf[r.pos]
		if t < 0x04 || t > 0x3F {
			break
		}
		off := r.pos
		r.pos++
		if count++; count > r.opts.MaxAttributes {
			return quotaErr(xmlstream.QuotaMaxAttributes, r.opts.MaxAttributes, off, "attributes of one element")
		}
		var prefix, local, uri string
		var err error
		xmlns := false
		switch {
		case t == 0x04: // ShortAttribute
			local, err = r.readName(off, t)
		case t == 0x05: // Attribute
			if prefix, err = r.readName(off, t); err == nil {
				local, err = r.readName(off, t)
			}
		case t == 0x06: // ShortDictionaryAttribute
			local, err = r.readDict(off, t)
		case t == 0x07: // DictionaryAttribute
			if prefix, err = r.readName(off, t); err == nil {
				local, err = r.readDict(off, t)
			}
		case t == 0x08: // ShortXmlnsAttribute
			xmlns = true
			uri, err = r.readName(off, t)
		case t == 0x09: // XmlnsAttribute
			xmlns = true
			if prefix, err = r.readName(off, t); err == nil {
				uri, err = r.readName(off, t)
			}
		case t == 0x0A: // ShortDictionaryXmlnsAttribute
			xmlns = true
			uri, err = r.readDict(off, t)
		case t == 0x0B: // DictionaryXmlnsAttribute
			xmlns = true
			if prefix, err = r.readName(off, t); err == nil {
				uri, err = r.readDict(off, t)
			}
		case t <= 0x25: // PrefixDictionaryAttributeA..Z
			prefix = letters[t-0x0C : t-0x0B]
			local, err = r.readDict(off, t)
		default: // PrefixAttributeA..Z
			prefix = letters[t-0x26 : t-0x25]
			local, err = r.readName(off, t)
		}
		if err == nil {
			err = r.tag(off, len(prefix)+len(local)+len(uri))
		}
		if err != nil {
			return err
		}
		if xmlns {
			if err := r.scope.Declare(mark, prefix, uri); err != nil {
				return fmt.Errorf("nbfx: offset %d: record 0x%02X: %w", off, t, err)
			}
			continue
		}
		if local == "" {
			return malformed(off, "record 0x%02X: empty attribute name", t)
		}
		if prefix == "xmlns" || (prefix == "" && local == "xmlns") {
			return malformed(off, "record 0x%02X: namespace declaration as a plain attribute", t)
		}
		value, err := r.readAttrValue(off)
		if err == nil {
			err = r.tag(off, len(value))
		}
		if err != nil {
			return err
		}
		r.attrs = append(r.attrs, xmlstream.Attr{Name: xmlstream.Name{Prefix: prefix, Local: local}, Value: value})
	}
	for i := range r.attrs {
		a := &r.attrs[i]
		if a.Name.Prefix != "" {
			space, ok := r.scope.Lookup(a.Name.Prefix)
			if !ok {
				return malformed(r.pos, "undeclared attribute prefix %q", a.Name.Prefix)
			}
			a.Name.Space = space
		}
		for j := 0; j < i; j++ {
			if r.attrs[j].Name.Local == a.Name.Local && r.attrs[j].Name.Space == a.Name.Space {
				return malformed(r.pos, "duplicate attribute %q", a.Name.Local)
			}
		}
	}
	return nil
}

// readArray decodes an Array record header and returns its first element.
func (r *Reader) readArray(off int) (*xmlstream.Node, error) {
	if len(r.stack) == 0 {
		return nil, malformed(off, "record 0x03: array outside the document element")
	}
	if r.pos >= len(r.buf) {
		return nil, malformed(r.pos, "record 0x03: truncated")
	}
	t := r.buf[r.pos]
	if t < 0x40 || t > 0x77 {
		return nil, malformed(r.pos, "record 0x03: array item must be an element record, got 0x%02X", t)
	}
	r.pos++
	n, err := r.readElement(r.pos-1, t)
	if err != nil {
		return nil, err
	}
	if r.pos >= len(r.buf) || r.buf[r.pos] != 0x01 {
		return nil, malformed(r.pos, "record 0x03: array element must be followed by EndElement")
	}
	r.pos++
	if r.pos >= len(r.buf) {
		return nil, malformed(r.pos, "record 0x03: truncated")
	}
	at := r.buf[r.pos]
	size := arrayItemSize(at)
	if size == 0 {
		return nil, malformed(r.pos, "record 0x03: invalid array value type 0x%02X", at)
	}
	r.pos++
	count, m := readMB31(r.buf[r.pos:])
	if m <= 0 {
		return nil, malformed(r.pos, "record 0x03: array count")
	}
	r.pos += m
	if count == 0 {
		return nil, malformed(r.pos-m, "record 0x03: empty array")
	}
	if uint64(count)*uint64(size) > uint64(len(r.buf)-r.pos) {
		return nil, malformed(r.pos, "record 0x03: %d items of %d bytes overrun the document", count, size)
	}
	if uint64(count) > uint64(r.opts.MaxArrayLength) {
		return nil, quotaErr(xmlstream.QuotaMaxArrayLength, r.opts.MaxArrayLength, r.pos-m, "items of an Array record")
	}
	r.arrType, r.arrCount, r.arrPhase = at, count, 2
	return n, nil
}

func arrayItemSize(t byte) int {
	switch t {
	case 0xB5: // Bool
		return 1
	case 0x8B: // Int16
		return 2
	case 0x8D, 0x91: // Int32, Float
		return 4
	case 0x8F, 0x93, 0x97, 0xAF: // Int64, Double, DateTime, TimeSpan
		return 8
	case 0x95, 0xB1: // Decimal, Guid
		return 16
	}
	return 0
}

func (r *Reader) nextArrayItem() (*xmlstream.Node, error) {
	top := &r.stack[len(r.stack)-1]
	switch r.arrPhase {
	case 1:
		r.arrPhase = 2
		r.textRun = 0
		if err := r.charge(r.tagBytes); err != nil { // the item's start tag again
			return nil, err
		}
		r.node = xmlstream.Node{Kind: xmlstream.StartElement, Name: top.name, Attrs: r.attrs}
		return &r.node, nil
	case 2:
		s, err := r.readText(r.pos, r.arrType)
		if err != nil {
			return nil, err
		}
		if err := r.text(s); err != nil {
			return nil, err
		}
		r.arrPhase = 3
		r.node = xmlstream.Node{Kind: xmlstream.Text, Text: s}
		return &r.node, nil
	}
	r.arrCount--
	if r.arrCount == 0 {
		r.arrPhase = 0
		return r.emitEnd(), nil
	}
	r.arrPhase = 1
	r.node = xmlstream.Node{Kind: xmlstream.EndElement, Name: top.name}
	return &r.node, nil
}

// readLen reads an MB31 length at r.pos and checks it against the remaining
// input and the string quota.
func (r *Reader) readLen(off int, t byte) (int, error) {
	l, m := readMB31(r.buf[r.pos:])
	if m == 0 {
		return 0, malformed(r.pos, "record 0x%02X: truncated length", t)
	}
	if m < 0 {
		return 0, malformed(r.pos, "record 0x%02X: invalid MB31 length", t)
	}
	r.pos += m
	return r.checkLen(off, t, uint64(l))
}

func (r *Reader) checkLen(off int, t byte, l uint64) (int, error) {
	if l > uint64(len(r.buf)-r.pos) {
		return 0, malformed(off, "record 0x%02X: %d bytes overrun the document (%d left)", t, l, len(r.buf)-r.pos)
	}
	if l > uint64(r.opts.MaxStringBytes) {
		return 0, quotaErr(xmlstream.QuotaMaxStringContentLength, r.opts.MaxStringBytes, off, fmt.Sprintf("record 0x%02X: a string", t))
	}
	return int(l), nil
}

// readBytes reads an NBFX String (MB31 length + bytes) without copying.
func (r *Reader) readBytes(off int, t byte) ([]byte, error) {
	l, err := r.readLen(off, t)
	if err != nil {
		return nil, err
	}
	b := r.buf[r.pos : r.pos+l]
	r.pos += l
	return b, nil
}

// readName reads an inline name, prefix or namespace String, interned.
func (r *Reader) readName(off int, t byte) (string, error) {
	b, err := r.readBytes(off, t)
	if err != nil {
		return "", err
	}
	if s, ok := sharedNames.Lookup(b); ok {
		return s, nil
	}
	if s, ok := r.names[string(b)]; ok {
		return s, nil
	}
	if id, ok := staticIDs[string(b)]; ok {
		return staticStrings[id/2], nil
	}
	if !utf8.Valid(b) {
		return "", malformed(off, "record 0x%02X: name is not UTF-8", t)
	}
	s := string(b)
	if sharedNames.Add(s) {
		return s, nil
	}
	if len(r.names) < maxInterned && len(b) <= maxInternedLen && r.nameSz+len(b) <= maxInternedBytes {
		if r.names == nil {
			r.names = make(map[string]string)
		}
		r.names[s] = s
		r.nameSz += len(b)
	}
	return s, nil
}

// readDict reads a DictionaryString: even ids are static, odd ids session.
func (r *Reader) readDict(off int, t byte) (string, error) {
	id, m := readMB31(r.buf[r.pos:])
	if m <= 0 {
		return "", malformed(r.pos, "record 0x%02X: dictionary id", t)
	}
	r.pos += m
	var s string
	var ok bool
	if id&1 == 0 {
		s, ok = StaticString(id)
	} else {
		s, ok = r.sess.Lookup(id)
	}
	if !ok {
		return "", malformed(off, "record 0x%02X: unknown dictionary id %d", t, id)
	}
	return s, nil
}

// readAttrValue reads the single (even) text record of an attribute value.
func (r *Reader) readAttrValue(off int) (string, error) {
	if r.pos >= len(r.buf) {
		return "", malformed(r.pos, "attribute value missing")
	}
	t := r.buf[r.pos]
	r.pos++
	if t == 0xA4 {
		return r.readList(r.pos - 1)
	}
	if t < 0x80 || t > 0xBC || t&1 != 0 || t == 0xA6 {
		return "", malformed(r.pos-1, "record 0x%02X: invalid attribute value record", t)
	}
	return r.readText(r.pos-1, t)
}

// readList reads the items after a StartListText up to EndListText and
// joins them with spaces.
func (r *Reader) readList(off int) (string, error) {
	r.list = r.list[:0]
	for n := 0; ; n++ {
		if r.pos >= len(r.buf) {
			return "", malformed(r.pos, "record 0xA4: list not terminated")
		}
		t := r.buf[r.pos]
		r.pos++
		if t == 0xA6 {
			break
		}
		if t < 0x80 || t > 0xBC || t&1 != 0 || t == 0xA4 {
			return "", malformed(r.pos-1, "record 0x%02X: invalid list item", t)
		}
		if n > 0 {
			r.list = append(r.list, ' ')
		}
		var err error
		if r.list, err = r.appendText(r.list, r.pos-1, t); err != nil {
			return "", err
		}
		if len(r.list) > r.opts.MaxStringBytes {
			return "", quotaErr(xmlstream.QuotaMaxStringContentLength, r.opts.MaxStringBytes, off, "record 0xA4: a list")
		}
	}
	return string(r.list), nil
}

// readText decodes the payload of text record t (type byte at off).
func (r *Reader) readText(off int, t byte) (string, error) {
	switch t &^ 1 {
	case 0x80:
		return "0", nil
	case 0x82:
		return "1", nil
	case 0x84:
		return "false", nil
	case 0x86:
		return "true", nil
	case 0xA8:
		return "", nil
	case 0xAA:
		return r.readDict(off, t)
	case 0x98, 0x9A, 0x9C: // Chars: one copy, straight from the input
		l, err := r.sizedLen(off, t, 1<<((t-0x98)/2))
		if err != nil {
			return "", err
		}
		b := r.buf[r.pos : r.pos+l]
		if !utf8.Valid(b) {
			return "", malformed(off, "record 0x%02X: text is not UTF-8", t)
		}
		r.pos += l
		return string(b), nil
	}
	var err error
	r.scratch, err = r.appendText(r.scratch[:0], off, t)
	if err != nil {
		return "", err
	}
	return string(r.scratch), nil
}

func (r *Reader) fixed(off int, t byte, n int) ([]byte, error) {
	if len(r.buf)-r.pos < n {
		return nil, malformed(off, "record 0x%02X: truncated (%d of %d bytes)", t, len(r.buf)-r.pos, n)
	}
	b := r.buf[r.pos : r.pos+n]
	r.pos += n
	return b, nil
}

// sizedLen reads the fixed-width little-endian length of a Chars, Bytes or
// UnicodeChars record (w = 1, 2 or 4 bytes; the 4-byte form is an int32).
func (r *Reader) sizedLen(off int, t byte, w int) (int, error) {
	b, err := r.fixed(off, t, w)
	if err != nil {
		return 0, err
	}
	var l uint64
	switch w {
	case 1:
		l = uint64(b[0])
	case 2:
		l = uint64(binary.LittleEndian.Uint16(b))
	default:
		v := int32(binary.LittleEndian.Uint32(b))
		if v < 0 {
			return 0, malformed(off, "record 0x%02X: negative length", t)
		}
		l = uint64(v)
	}
	return r.checkLen(off, t, l)
}

// appendText appends the XML text of text record t to dst.
func (r *Reader) appendText(dst []byte, off int, t byte) ([]byte, error) {
	switch t &^ 1 {
	case 0x80: // Zero
		return append(dst, '0'), nil
	case 0x82: // One
		return append(dst, '1'), nil
	case 0x84: // False
		return append(dst, "false"...), nil
	case 0x86: // True
		return append(dst, "true"...), nil
	case 0x88: // Int8
		b, err := r.fixed(off, t, 1)
		if err != nil {
			return dst, err
		}
		return strconv.AppendInt(dst, int64(int8(b[0])), 10), nil
	case 0x8A: // Int16
		b, err := r.fixed(off, t, 2)
		if err != nil {
			return dst, err
		}
		return strconv.AppendInt(dst, int64(int16(binary.LittleEndian.Uint16(b))), 10), nil
	case 0x8C: // Int32
		b, err := r.fixed(off, t, 4)
		if err != nil {
			return dst, err
		}
		return strconv.AppendInt(dst, int64(int32(binary.LittleEndian.Uint32(b))), 10), nil
	case 0x8E: // Int64
		b, err := r.fixed(off, t, 8)
		if err != nil {
			return dst, err
		}
		return strconv.AppendInt(dst, int64(binary.LittleEndian.Uint64(b)), 10), nil
	case 0x90: // Float
		b, err := r.fixed(off, t, 4)
		if err != nil {
			return dst, err
		}
		return appendFloat(dst, float64(math.Float32frombits(binary.LittleEndian.Uint32(b))), 32), nil
	case 0x92: // Double
		b, err := r.fixed(off, t, 8)
		if err != nil {
			return dst, err
		}
		return appendFloat(dst, math.Float64frombits(binary.LittleEndian.Uint64(b)), 64), nil
	case 0x94: // Decimal
		b, err := r.fixed(off, t, 16)
		if err != nil {
			return dst, err
		}
		d, ok := appendDecimal(dst, b)
		if !ok {
			return dst, malformed(off, "record 0x%02X: invalid decimal", t)
		}
		return d, nil
	case 0x96: // DateTime
		b, err := r.fixed(off, t, 8)
		if err != nil {
			return dst, err
		}
		d, ok := appendDateTime(dst, int64(binary.LittleEndian.Uint64(b)))
		if !ok {
			return dst, malformed(off, "record 0x%02X: DateTime out of range", t)
		}
		return d, nil
	case 0x98, 0x9A, 0x9C: // Chars8/16/32
		l, err := r.sizedLen(off, t, 1<<((t-0x98)/2))
		if err != nil {
			return dst, err
		}
		b := r.buf[r.pos : r.pos+l]
		if !utf8.Valid(b) {
			return dst, malformed(off, "record 0x%02X: text is not UTF-8", t)
		}
		r.pos += l
		return append(dst, b...), nil
	case 0x9E, 0xA0, 0xA2: // Bytes8/16/32
		l, err := r.sizedLen(off, t, 1<<((t-0x9E)/2))
		if err != nil {
			return dst, err
		}
		b := r.buf[r.pos : r.pos+l]
		r.pos += l
		return base64.StdEncoding.AppendEncode(dst, b), nil
	case 0xA8: // Empty
		return dst, nil
	case 0xAA: // Dictionary
		s, err := r.readDict(off, t)
		return append(dst, s...), err
	case 0xAC: // UniqueId
		b, err := r.fixed(off, t, 16)
		if err != nil {
			return dst, err
		}
		return appendGUID(append(dst, "urn:uuid:"...), b), nil
	case 0xAE: // TimeSpan
		b, err := r.fixed(off, t, 8)
		if err != nil {
			return dst, err
		}
		return appendDuration(dst, int64(binary.LittleEndian.Uint64(b))), nil
	case 0xB0: // Uuid
		b, err := r.fixed(off, t, 16)
		if err != nil {
			return dst, err
		}
		return appendGUID(dst, b), nil
	case 0xB2: // UInt64
		b, err := r.fixed(off, t, 8)
		if err != nil {
			return dst, err
		}
		return strconv.AppendUint(dst, binary.LittleEndian.Uint64(b), 10), nil
	case 0xB4: // Bool
		b, err := r.fixed(off, t, 1)
		if err != nil {
			return dst, err
		}
		if b[0] != 0 {
			return append(dst, "true"...), nil
		}
		return append(dst, "false"...), nil
	case 0xB6, 0xB8, 0xBA: // UnicodeChars8/16/32
		l, err := r.sizedLen(off, t, 1<<((t-0xB6)/2))
		if err != nil {
			return dst, err
		}
		if l&1 != 0 {
			return dst, malformed(off, "record 0x%02X: odd UTF-16 byte length %d", t, l)
		}
		b := r.buf[r.pos : r.pos+l]
		r.pos += l
		for i := 0; i < len(b); i += 2 {
			c := rune(binary.LittleEndian.Uint16(b[i:]))
			if utf16.IsSurrogate(c) {
				if c >= 0xDC00 || i+4 > len(b) {
					return dst, malformed(off, "record 0x%02X: unpaired surrogate", t)
				}
				c2 := rune(binary.LittleEndian.Uint16(b[i+2:]))
				c = utf16.DecodeRune(c, c2)
				if c == utf8.RuneError {
					return dst, malformed(off, "record 0x%02X: unpaired surrogate", t)
				}
				i += 2
			}
			dst = utf8.AppendRune(dst, c)
		}
		return dst, nil
	case 0xBC: // QNameDictionary
		b, err := r.fixed(off, t, 1)
		if err != nil {
			return dst, err
		}
		if b[0] > 25 {
			return dst, malformed(off, "record 0x%02X: prefix index %d", t, b[0])
		}
		s, err := r.readDict(off, t)
		if err != nil {
			return dst, err
		}
		return append(append(append(dst, letters[b[0]]), ':'), s...), nil
	}
	return dst, malformed(off, "record 0x%02X: not a text record", t)
}
