package nbfx

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/ipamd/ipamd/soap/xmlstream"
)

// Writer encodes one [MC-NBFX] document with the [MC-NBFS] static
// dictionary and, with SetSession, the [MC-NBFSE] session strings (for
// msbinsession1 the caller writes the StringTable first: see
// WriterSession). Text is written in the most compact record
// with the same infoset, and text followed by an end tag is folded into the
// …WithEndElement record.
type Writer struct {
	buf      []byte
	err      error
	scope    xmlstream.WriterScope
	open     bool // a start tag is open: attributes may follow
	rootDone bool
	lastText int // offset of the type byte of the last record if it was content text, else -1

	sess    *WriterSession // outbound NBFSE table (msbinsession1), nil for msbin1
	collect bool           // names and namespaces not in a dictionary are added to sess

	base int        // len(dst) at Reset: where this document starts (bounded.go)
	mark writerMark // Mark's point (bounded.go)

	ownMembers *memberCache // kept member records without a session (member.go)
	attrNames  []attrName   // kept attribute name records (MemberAttr)
}

var _ xmlstream.Writer = (*Writer)(nil)

// NewWriter returns a Writer appending to dst.
func NewWriter(dst []byte) *Writer {
	w := &Writer{}
	w.Reset(dst)
	return w
}

// Reset discards the state and appends the next document to dst.
func (w *Writer) Reset(dst []byte) {
	w.buf, w.err = dst, nil
	w.scope.Reset()
	w.open, w.rootDone = false, false
	w.lastText = -1
	w.collect = false
	w.base, w.mark = len(dst), writerMark{}
}

// Bytes returns the encoded document (dst with the records appended).
func (w *Writer) Bytes() []byte { return w.buf }

func (w *Writer) fail(format string, args ...any) error {
	w.err = fmt.Errorf("nbfx: write: "+format, args...)
	return w.err
}

func checkName(kind, s string) error {
	if s == "" {
		return fmt.Errorf("nbfx: write: empty %s name", kind)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("nbfx: write: %s name %q is not UTF-8", kind, s)
	}
	return nil
}

// StartElement opens <prefix:local> in namespace space, declaring the
// prefix when it is not bound to space in scope.
func (w *Writer) StartElement(prefix, local, space string) error {
	if w.err != nil {
		return w.err
	}
	if w.rootDone {
		return w.fail("second document element <%s>", local)
	}
	// A dictionary string is valid UTF-8 (the session's are checked when
	// added): only a name in neither dictionary is checked here.
	id, dict := w.dictID(local)
	if !dict || local == "" {
		if err := checkName("element", local); err != nil {
			w.err = err
			return err
		}
	}
	declare, err := w.scope.StartElement(prefix, local, space)
	if err != nil {
		return w.fail("%w", err)
	}
	// A prefix and namespace already in scope were checked when they were
	// declared: only a new declaration is (namespaces are long, and every
	// element of a row repeats its parent's).
	if declare && (!utf8.ValidString(prefix) || !utf8.ValidString(space)) {
		return w.fail("<%s>: prefix or namespace is not UTF-8", local)
	}
	w.lastText = -1
	w.open = true
	w.buf = appendNameRecord(w.buf, 0x40, 0x41, 0x42, 0x43, 0x44, 0x5E, prefix, local, id, dict)
	if declare {
		w.declare(prefix, space)
	}
	return nil
}

// appendNameRecord appends an element or attribute name record: the short
// (no prefix), prefixed, single-letter-prefix forms, each as a dictionary
// or inline-string record.
func appendNameRecord(b []byte, short, long, shortDict, longDict, letterDict, letter byte, prefix, local string, id uint32, dict bool) []byte {
	switch {
	case prefix == "":
		if dict {
			return appendMB31(append(b, shortDict), id)
		}
		return appendString(append(b, short), local)
	case len(prefix) == 1 && prefix[0] >= 'a' && prefix[0] <= 'z':
		i := prefix[0] - 'a'
		if dict {
			return appendMB31(append(b, letterDict+i), id)
		}
		return appendString(append(b, letter+i), local)
	}
	if dict {
		return appendMB31(appendString(append(b, longDict), prefix), id)
	}
	return appendString(appendString(append(b, long), prefix), local)
}

func appendString(b []byte, s string) []byte {
	return append(appendMB31(b, uint32(len(s))), s...)
}

// declare writes an xmlns record for prefix on the open element.
func (w *Writer) declare(prefix, uri string) {
	id, dict := w.dictID(uri)
	dict = dict && uri != ""
	switch {
	case prefix == "" && dict:
		w.buf = appendMB31(append(w.buf, 0x0A), id) // ShortDictionaryXmlnsAttribute
	case prefix == "":
		w.buf = appendString(append(w.buf, 0x08), uri) // ShortXmlnsAttribute
	case dict:
		w.buf = appendMB31(appendString(append(w.buf, 0x0B), prefix), id) // DictionaryXmlnsAttribute
	default:
		w.buf = appendString(appendString(append(w.buf, 0x09), prefix), uri) // XmlnsAttribute
	}
}

// Attr adds an attribute to the open start tag; space "" is unqualified.
func (w *Writer) Attr(prefix, local, space, value string) error {
	if w.err != nil {
		return w.err
	}
	if !w.open {
		return w.fail("attribute %q after content", local)
	}
	if err := checkName("attribute", local); err != nil {
		w.err = err
		return err
	}
	if err := w.bindAttr(prefix, local, space, value); err != nil {
		return err
	}
	id, dict := w.dictID(local)
	w.buf = appendNameRecord(w.buf, 0x04, 0x05, 0x06, 0x07, 0x0C, 0x26, prefix, local, id, dict)
	return w.text(value)
}

// XmlnsAttr declares prefix ("" = default namespace) on the open start tag.
func (w *Writer) XmlnsAttr(prefix, space string) error {
	if w.err != nil {
		return w.err
	}
	if !w.open {
		return w.fail("xmlns declaration after content")
	}
	declare, err := w.scope.Xmlns(prefix, space)
	if err != nil {
		return w.fail("%w", err)
	}
	if declare && (!utf8.ValidString(prefix) || !utf8.ValidString(space)) {
		return w.fail("xmlns declaration is not UTF-8")
	}
	if declare {
		w.declare(prefix, space)
	}
	return nil
}

// Text writes character content.
func (w *Writer) Text(s string) error {
	if w.err != nil {
		return w.err
	}
	if w.scope.Depth() == 0 {
		return w.fail("text outside the document element")
	}
	if !utf8.ValidString(s) {
		return w.fail("text is not UTF-8")
	}
	w.open = false
	w.lastText = len(w.buf)
	return w.text(s)
}

// text appends the even (no EndElement) text record for s.
func (w *Writer) text(s string) error {
	b, ok := appendTextRecord(w.buf, s)
	if !ok {
		return w.fail("text of %d bytes", len(s))
	}
	w.buf = b
	return nil
}

// appendTextRecord appends the even (no EndElement) text record for s: the
// most compact record with the same infoset. ok is false for a text too
// long for any record.
func appendTextRecord(b []byte, s string) (_ []byte, ok bool) {
	switch s {
	case "":
		b = append(b, 0xA8) // EmptyText
	case "0":
		b = append(b, 0x80) // ZeroText
	case "1":
		b = append(b, 0x82) // OneText
	case "false":
		b = append(b, 0x84) // FalseText
	case "true":
		b = append(b, 0x86) // TrueText
	default:
		var g [16]byte
		if id, ok := staticText(s); ok {
			b = appendMB31(append(b, 0xAA), id) // DictionaryText
		} else if strings.HasPrefix(s, "urn:uuid:") && parseGUID(s[9:], &g) {
			b = append(append(b, 0xAC), g[:]...) // UniqueIdText
		} else if len(s) <= math.MaxUint8 {
			b = append(append(b, 0x98, byte(len(s))), s...) // Chars8Text
		} else if len(s) <= math.MaxUint16 {
			b = append(binary.LittleEndian.AppendUint16(append(b, 0x9A), uint16(len(s))), s...) // Chars16Text
		} else if len(s) <= math.MaxInt32 {
			b = append(binary.LittleEndian.AppendUint32(append(b, 0x9C), uint32(len(s))), s...) // Chars32Text
		} else {
			return b, false
		}
	}
	return b, true
}

// EndElement closes the innermost open element.
func (w *Writer) EndElement() error {
	if w.err != nil {
		return w.err
	}
	if w.scope.Depth() == 0 {
		return w.fail("EndElement without an open element")
	}
	if w.lastText >= 0 {
		w.buf[w.lastText] |= 1 // …TextWithEndElement
	} else {
		w.buf = append(w.buf, 0x01)
	}
	w.lastText = -1
	w.open = false
	w.scope.EndElement()
	if w.scope.Depth() == 0 {
		w.rootDone = true
	}
	return nil
}

// Close checks that the document element was written and closed.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	if w.scope.Depth() != 0 {
		return w.fail("%d element(s) not closed", w.scope.Depth())
	}
	if !w.rootDone {
		return w.fail("no document element")
	}
	return nil
}

// Offset is the length of the encoded bytes so far (with dst's).
func (w *Writer) Offset() int { return len(w.buf) }

// Encoded returns the bytes encoded since offset from (aliasing the
// writer's buffer: copy them to keep them).
func (w *Writer) Encoded(from int) []byte { return w.buf[from:] }

// InScope reports whether prefix ("" = the default namespace) is bound to
// space at this point.
func (w *Writer) InScope(prefix, space string) bool {
	uri, ok := w.scope.Lookup(prefix)
	return uri == space && (ok || space == "")
}

// Repeat appends b: balanced records (whole elements) this Writer type
// encoded before, with the same bindings in scope for the prefixes they
// use without declaring, inside the open element. It is how a row writer
// repeats a run of constant members without encoding them again; b is
// not checked.
func (w *Writer) Repeat(b []byte, _ int) error {
	if w.err != nil {
		return w.err
	}
	if w.scope.Depth() == 0 {
		return w.fail("repeated records outside the document element")
	}
	w.buf = append(w.buf, b...)
	w.open = false
	w.lastText = -1
	return nil
}

// bindAttr binds an attribute's prefix in the current element's scope,
// declaring its namespace there the first time, and checks that what it
// writes is UTF-8.
func (w *Writer) bindAttr(prefix, local, space, value string) error {
	_, declare, err := w.scope.Attr(prefix, local, space)
	if err != nil {
		return w.fail("%w", err)
	}
	if !utf8.ValidString(value) || (declare && (!utf8.ValidString(prefix) || !utf8.ValidString(space))) {
		return w.fail("attribute %q: not UTF-8", local)
	}
	if declare {
		w.declare(prefix, space)
	}
	return nil
}
