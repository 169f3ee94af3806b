package textxml

import (
	"fmt"
	"unicode/utf8"

	"github.com/ipamd/ipamd/soap/xmlstream"
)

// Writer encodes one XML document as UTF-8 text without an XML declaration
// (as WCF's text encoder does). Empty elements are written as <p:x/>.
type Writer struct {
	buf      []byte
	err      error
	stack    []wframe
	scope    xmlstream.WriterScope
	open     bool // a start tag is open: attributes may follow
	rootDone bool

	stackBuf [initialDepth]wframe // the first elements of stack

	base int        // len(dst) at Reset: where this document starts (bounded.go)
	mark writerMark // Mark's point (bounded.go)
}

type wframe struct{ prefix, local string }

var _ xmlstream.Writer = (*Writer)(nil)

// NewWriter returns a Writer appending to dst.
func NewWriter(dst []byte) *Writer {
	w := &Writer{}
	w.stack = w.stackBuf[:0]
	w.scope.Grow(initialDepth, initialDecls)
	w.Reset(dst)
	return w
}

// Reset discards the state and appends the next document to dst.
func (w *Writer) Reset(dst []byte) {
	w.buf, w.err = dst, nil
	clear(w.stack)
	w.stack = w.stack[:0]
	w.scope.Reset()
	w.open, w.rootDone = false, false
	w.base, w.mark = len(dst), writerMark{}
}

// Bytes returns the encoded document (dst with the text appended).
func (w *Writer) Bytes() []byte { return w.buf }

func (w *Writer) fail(format string, args ...any) error {
	w.err = fmt.Errorf("textxml: write: "+format, args...)
	return w.err
}

// isNCName reports whether s is a usable XML name without a colon. It
// accepts every non-ASCII letter (XML 1.0 fifth edition is just as liberal)
// but rejects ASCII punctuation, spaces and controls.
func isNCName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ { // ASCII first: the names we write
		switch c := s[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		case c >= '0' && c <= '9', c == '-', c == '.':
			if i == 0 {
				return false
			}
		case c >= utf8.RuneSelf:
			return isNCNameUnicode(s, i)
		default:
			return false
		}
	}
	return true
}

// isNCNameUnicode checks s from byte i on, where a non-ASCII byte is.
func isNCNameUnicode(s string, from int) bool {
	if !utf8.ValidString(s[from:]) {
		return false
	}
	for i, c := range s[from:] {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		case c >= '0' && c <= '9', c == '-', c == '.':
			if from+i == 0 {
				return false
			}
		case c >= 0x80 && c != 0xFFFE && c != 0xFFFF:
		default:
			return false
		}
	}
	return true
}

// validUTF8 is utf8.ValidString with a fast loop over ASCII.
func validUTF8(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return utf8.ValidString(s[i:])
		}
	}
	return true
}

// closeStart ends an open start tag with '>'.
func (w *Writer) closeStart() {
	if w.open {
		w.buf = append(w.buf, '>')
		w.open = false
	}
}

// StartElement opens <prefix:local> in namespace space, declaring the prefix
// when it is not bound to space in scope.
func (w *Writer) StartElement(prefix, local, space string) error {
	if w.err != nil {
		return w.err
	}
	if w.rootDone {
		return w.fail("second document element <%s>", local)
	}
	if !isNCName(local) {
		return w.fail("invalid element name %q", local)
	}
	if prefix != "" && !isNCName(prefix) {
		return w.fail("<%s>: invalid prefix %q", local, prefix)
	}
	if !validUTF8(space) {
		return w.fail("<%s>: namespace is not UTF-8", local)
	}
	declare, err := w.scope.StartElement(prefix, local, space)
	if err != nil {
		return w.fail("%w", err)
	}
	w.closeStart()
	w.open = true
	w.stack = append(w.stack, wframe{prefix: prefix, local: local})
	w.buf = append(w.buf, '<')
	w.buf = appendName(w.buf, prefix, local)
	if declare {
		w.declare(prefix, space)
	}
	return nil
}

func appendName(b []byte, prefix, local string) []byte {
	if prefix != "" {
		b = append(append(b, prefix...), ':')
	}
	return append(b, local...)
}

// declare writes an xmlns attribute for prefix on the open start tag.
func (w *Writer) declare(prefix, uri string) {
	w.buf = append(w.buf, " xmlns"...)
	if prefix != "" {
		w.buf = append(append(w.buf, ':'), prefix...)
	}
	w.buf = append(w.buf, `="`...)
	w.buf = appendEscaped(w.buf, uri, true)
	w.buf = append(w.buf, '"')
}

// Attr adds an attribute to the open start tag; space "" is unqualified.
func (w *Writer) Attr(prefix, local, space, value string) error {
	if w.err != nil {
		return w.err
	}
	if !w.open {
		return w.fail("attribute %q outside a start tag", local)
	}
	if !isNCName(local) {
		return w.fail("invalid attribute name %q", local)
	}
	if prefix != "" && !isNCName(prefix) {
		return w.fail("attribute %q: invalid prefix %q", local, prefix)
	}
	if !validUTF8(space) {
		return w.fail("attribute %q: namespace is not UTF-8", local)
	}
	if err := checkChars(value); err != nil {
		return w.fail("attribute %q: %v", local, err)
	}
	_, declare, err := w.scope.Attr(prefix, local, space)
	if err != nil {
		return w.fail("%w", err)
	}
	if declare {
		w.declare(prefix, space)
	}
	w.buf = append(w.buf, ' ')
	w.buf = appendName(w.buf, prefix, local)
	w.buf = append(w.buf, `="`...)
	w.buf = appendEscaped(w.buf, value, true)
	w.buf = append(w.buf, '"')
	return nil
}

// XmlnsAttr declares prefix ("" = default namespace) on the open start tag.
func (w *Writer) XmlnsAttr(prefix, space string) error {
	if w.err != nil {
		return w.err
	}
	if !w.open {
		return w.fail("xmlns declaration outside a start tag")
	}
	if prefix != "" && !isNCName(prefix) {
		return w.fail("invalid prefix %q", prefix)
	}
	if err := checkChars(space); err != nil {
		return w.fail("xmlns declaration: %v", err)
	}
	declare, err := w.scope.Xmlns(prefix, space)
	if err != nil {
		return w.fail("%w", err)
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
	if len(w.stack) == 0 {
		return w.fail("text outside the document element")
	}
	if err := checkChars(s); err != nil {
		return w.fail("text: %v", err)
	}
	w.closeStart()
	w.buf = appendEscaped(w.buf, s, false)
	return nil
}

// EndElement closes the innermost open element.
func (w *Writer) EndElement() error {
	if w.err != nil {
		return w.err
	}
	if len(w.stack) == 0 {
		return w.fail("EndElement without an open element")
	}
	f := w.stack[len(w.stack)-1]
	if w.open {
		w.buf = append(w.buf, "/>"...)
		w.open = false
	} else {
		w.buf = append(w.buf, "</"...)
		w.buf = appendName(w.buf, f.prefix, f.local)
		w.buf = append(w.buf, '>')
	}
	w.scope.EndElement()
	w.stack[len(w.stack)-1] = wframe{}
	w.stack = w.stack[:len(w.stack)-1]
	if len(w.stack) == 0 {
		w.rootDone = true
	}
	return nil
}

// Close checks that the document element was written and closed.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	if len(w.stack) != 0 {
		return w.fail("%d element(s) not closed", len(w.stack))
	}
	if !w.rootDone {
		return w.fail("no document element")
	}
	return nil
}

// checkChars rejects strings that XML 1.0 cannot carry: invalid UTF-8,
// C0 controls other than tab, LF and CR, and U+FFFE/U+FFFF.
func checkChars(s string) error {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return fmt.Errorf("character U+%04X at byte %d is not allowed in XML", c, i)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			return fmt.Errorf("invalid UTF-8 at byte %d", i)
		}
		if r == 0xFFFE || r == 0xFFFF {
			return fmt.Errorf("character U+%04X at byte %d is not allowed in XML", r, i)
		}
		i += n
	}
	return nil
}

// plainASCII marks the ASCII bytes that text and attribute values carry as
// they are: printable, and not markup, quote or whitespace that
// appendEscaped may replace.
var plainASCII = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = true
	}
	for _, c := range "&<>\"" {
		t[c] = false
	}
	return t
}()

// appendEscaped appends s with markup characters escaped; in attribute
// values whitespace other than space is escaped too so that it survives
// attribute value normalisation. CR is always escaped (it would be folded
// into LF by the reader).
func appendEscaped(b []byte, s string, attr bool) []byte {
	last := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < utf8.RuneSelf && plainASCII[c] {
			continue
		}
		var esc string
		switch s[i] {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '"':
			if !attr {
				continue
			}
			esc = "&quot;"
		case '\t':
			if !attr {
				continue
			}
			esc = "&#x9;"
		case '\n':
			if !attr {
				continue
			}
			esc = "&#xA;"
		case '\r':
			esc = "&#xD;"
		default:
			continue
		}
		b = append(b, s[last:i]...)
		b = append(b, esc...)
		last = i + 1
	}
	return append(b, s[last:]...)
}
