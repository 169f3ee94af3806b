package textxml

import (
	"bytes"
	"unicode/utf8"
)

// The tokenizer under Reader. It works on the payload bytes in place: names,
// text and attribute values are subslices of the input, nothing is copied
// or allocated per token, and character data is decoded (references
// replaced, line ends normalised) only when it holds '&' or '\r'
// (appendDecoded). It accepts and refuses what encoding/xml's strict
// RawToken accepts and refuses, with one deliberate difference: a name may
// use any non-ASCII character XML 1.0 (fifth edition) allows, where
// encoding/xml keeps to the older edition's tables (the differential fuzz
// target FuzzScanAgainstEncodingXML checks both). Directives (<!DOCTYPE,
// <!ENTITY) are refused as soon as they are seen.

type tokKind uint8

const (
	tokEOF     tokKind = iota + 1
	tokText            // scanner.text (undecoded), scanner.cdata, scanner.esc
	tokStart           // scanner.prefix, .local, .attrs; .empty for <x/>
	tokEnd             // scanner.prefix, .local
	tokComment         // skipped by the Reader
	tokPI              // scanner.target, .piData
)

// rawAttr is one attribute of a start tag as it appears in the input.
type rawAttr struct {
	prefix, local []byte
	raw           []byte // the value between the quotes, undecoded
	esc           bool   // raw holds '&' or '\r': decode it
}

// scanner yields the tokens of doc. Its fields describe the last token and
// are valid until the next call to next.
type scanner struct {
	doc []byte
	pos int

	maxAttrs, maxName int

	closePending bool // a <x/> was returned: its end tag comes next

	prefix, local  []byte
	attrs          []rawAttr
	empty          bool
	text           []byte
	cdata, esc     bool
	target, piData []byte
}

// scanErr is a tokenizer failure: malformed input, or a quota when quota
// names one (the Reader wraps it with its offset).
type scanErr struct {
	msg   string
	quota string
	limit int
}

func (e *scanErr) Error() string { return e.msg }

func malformedAt(msg string) error { return &scanErr{msg: msg} }

var (
	errUnexpectedEOF = malformedAt("unexpected end of document")
	errBadName       = malformedAt("invalid XML name")
	errDirective     = malformedAt("DTD or other directive not allowed")
	errCDATAEnd      = malformedAt("unescaped ]]> not in CDATA section")
	errLtInValue     = malformedAt("unescaped < inside an attribute value")
	errComment       = malformedAt(`invalid comment ("--" not followed by ">", or not closed)`)
	errStartTag      = malformedAt("malformed start tag")
	errEndTag        = malformedAt("malformed end tag")
	errPI            = malformedAt("malformed processing instruction")
	errXMLDecl       = malformedAt("XML declaration: only version 1.0 in UTF-8 is read")
	errCDATAOpen     = malformedAt("invalid <![ sequence")
	errReference     = malformedAt("invalid character or entity reference")
	errChar          = malformedAt("invalid UTF-8 or a character XML does not allow")
)

func (s *scanner) reset(doc []byte) {
	s.doc, s.pos = doc, 0
	s.closePending = false
	clear(s.attrs)
	s.attrs = s.attrs[:0]
	s.prefix, s.local, s.text, s.target, s.piData = nil, nil, nil, nil, nil
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func (s *scanner) skipSpace() {
	for s.pos < len(s.doc) && isXMLSpace(s.doc[s.pos]) {
		s.pos++
	}
}

// nameByte reports whether c may be part of a name: the ASCII name
// characters and every byte of a multi-byte character (checked later).
func nameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '_' || c == ':' || c == '.' || c == '-' || c >= utf8.RuneSelf
}

// rawName scans the bytes of a name at pos.
func (s *scanner) rawName() []byte {
	start := s.pos
	for s.pos < len(s.doc) && nameByte(s.doc[s.pos]) {
		s.pos++
	}
	return s.doc[start:s.pos]
}

// qname scans prefix:local or local at pos; both parts must be NCNames.
func (s *scanner) qname() (prefix, local []byte, err error) {
	b := s.rawName()
	if len(b) == 0 {
		if s.pos >= len(s.doc) {
			return nil, nil, errUnexpectedEOF
		}
		return nil, nil, errBadName
	}
	if len(b) > s.maxName {
		return nil, nil, &scanErr{msg: "a name", quota: quotaName, limit: s.maxName}
	}
	local = b
	if i := bytes.IndexByte(b, ':'); i >= 0 {
		prefix, local = b[:i], b[i+1:]
		if !ncName(prefix) {
			return nil, nil, errBadName
		}
	}
	if !ncName(local) {
		return nil, nil, errBadName
	}
	return prefix, local, nil
}

// ncName reports whether b is an XML name without a colon: ASCII letters,
// '_' and any non-ASCII character first; then digits, '.' and '-' too. It is
// isNCName (the Writer's rule) for bytes.
func ncName(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			switch {
			case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', c == '_':
			case '0' <= c && c <= '9', c == '-', c == '.':
				if i == 0 {
					return false
				}
			default:
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 || r == 0xFFFE || r == 0xFFFF {
			return false
		}
		i += n
	}
	return true
}

// next scans the next token.
func (s *scanner) next() (tokKind, error) {
	if s.closePending {
		s.closePending = false
		return tokEnd, nil
	}
	if s.pos >= len(s.doc) {
		return tokEOF, nil
	}
	if s.doc[s.pos] != '<' {
		return s.scanText()
	}
	if s.pos+1 >= len(s.doc) {
		return 0, errUnexpectedEOF
	}
	switch s.doc[s.pos+1] {
	case '/':
		s.pos += 2
		p, l, err := s.qname()
		if err != nil {
			return 0, err
		}
		s.skipSpace()
		if s.pos >= len(s.doc) {
			return 0, errUnexpectedEOF
		}
		if s.doc[s.pos] != '>' {
			return 0, errEndTag
		}
		s.pos++
		s.prefix, s.local = p, l
		return tokEnd, nil
	case '?':
		return s.scanPI()
	case '!':
		return s.scanBang()
	}
	s.pos++
	return s.scanStart()
}

// scanText reads character data up to the next '<' or the end.
func (s *scanner) scanText() (tokKind, error) {
	rest := s.doc[s.pos:]
	end := bytes.IndexByte(rest, '<')
	if end < 0 {
		end = len(rest)
	}
	t := rest[:end]
	if bytes.Contains(t, []byte("]]>")) {
		return 0, errCDATAEnd
	}
	s.text, s.cdata = t, false
	s.esc = bytes.IndexByte(t, '&') >= 0 || bytes.IndexByte(t, '\r') >= 0
	s.pos += end
	return tokText, nil
}

var (
	commentOpen = []byte("<!--")
	cdataOpen   = []byte("<![CDATA[")
	cdataClose  = []byte("]]>")
	piClose     = []byte("?>")
	dashDash    = []byte("--")
)

// scanBang reads a comment or a CDATA section; anything else after <! is a
// directive (a DTD, an entity declaration) and refused.
func (s *scanner) scanBang() (tokKind, error) {
	rest := s.doc[s.pos:]
	switch {
	case bytes.HasPrefix(rest, commentOpen):
		body := rest[len(commentOpen):]
		i := bytes.Index(body, dashDash)
		if i < 0 || i+2 >= len(body) || body[i+2] != '>' {
			return 0, errComment
		}
		s.text = body[:i]
		s.pos += len(commentOpen) + i + 3
		return tokComment, nil
	case bytes.HasPrefix(rest, cdataOpen):
		body := rest[len(cdataOpen):]
		i := bytes.Index(body, cdataClose)
		if i < 0 {
			return 0, errUnexpectedEOF
		}
		s.text, s.cdata = body[:i], true
		s.esc = bytes.IndexByte(s.text, '\r') >= 0
		s.pos += len(cdataOpen) + i + len(cdataClose)
		return tokText, nil
	case len(rest) < 3:
		return 0, errUnexpectedEOF
	case rest[2] == '-':
		if len(rest) < 4 {
			return 0, errUnexpectedEOF
		}
		return 0, errComment
	case rest[2] == '[':
		if len(rest) < len(cdataOpen) && bytes.HasPrefix(cdataOpen, rest) {
			return 0, errUnexpectedEOF
		}
		return 0, errCDATAOpen
	}
	return 0, errDirective
}

// scanPI reads a processing instruction; an XML declaration must say
// version 1.0 (or nothing) and UTF-8 (or nothing).
func (s *scanner) scanPI() (tokKind, error) {
	s.pos += 2
	t := s.rawName()
	if len(t) == 0 || !piTarget(t) {
		if s.pos >= len(s.doc) {
			return 0, errUnexpectedEOF
		}
		return 0, errPI
	}
	s.skipSpace()
	i := bytes.Index(s.doc[s.pos:], piClose)
	if i < 0 {
		return 0, errUnexpectedEOF
	}
	s.target, s.piData = t, s.doc[s.pos:s.pos+i]
	s.pos += i + len(piClose)
	if string(t) == "xml" {
		if v, ok := declParam(s.piData, "version"); ok && string(v) != "1.0" {
			return 0, errXMLDecl
		}
		if e, ok := declParam(s.piData, "encoding"); ok && !bytes.EqualFold(e, []byte("utf-8")) {
			return 0, errXMLDecl
		}
	}
	return tokPI, nil
}

// piTarget checks a processing instruction's target: a name, colons
// allowed anywhere.
func piTarget(t []byte) bool {
	if c := t[0]; c < utf8.RuneSelf && !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || c == ':') {
		return false
	}
	for i := 0; i < len(t); {
		if t[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(t[i:])
		if r == utf8.RuneError && n == 1 || r == 0xFFFE || r == 0xFFFF {
			return false
		}
		i += n
	}
	return true
}

// declParam finds param="value" (or '…') in an XML declaration's data the
// way encoding/xml does: the first param= followed by a quote, up to the
// next such quote. An empty or unterminated value counts as absent.
func declParam(data []byte, param string) ([]byte, bool) {
	key := param + "="
	i := 0
	var quote byte
	for i < len(data) {
		sub := data[i:]
		k := bytes.Index(sub, []byte(key))
		if k < 0 || k+len(key) >= len(sub) {
			return nil, false
		}
		i += k + len(key) + 1
		if c := sub[k+len(key)]; c == '"' || c == '\'' {
			quote = c
			break
		}
	}
	if quote == 0 {
		return nil, false
	}
	j := bytes.IndexByte(data[i:], quote)
	if j <= 0 {
		return nil, false
	}
	return data[i : i+j], true
}

// scanStart reads a start tag after its '<'.
func (s *scanner) scanStart() (tokKind, error) {
	p, l, err := s.qname()
	if err != nil {
		return 0, err
	}
	clear(s.attrs)
	s.attrs = s.attrs[:0]
	for {
		s.skipSpace()
		if s.pos >= len(s.doc) {
			return 0, errUnexpectedEOF
		}
		switch s.doc[s.pos] {
		case '/':
			s.pos++
			if s.pos >= len(s.doc) {
				return 0, errUnexpectedEOF
			}
			if s.doc[s.pos] != '>' {
				return 0, errStartTag
			}
			s.pos++
			s.prefix, s.local, s.empty = p, l, true
			s.closePending = true
			return tokStart, nil
		case '>':
			s.pos++
			s.prefix, s.local, s.empty = p, l, false
			return tokStart, nil
		}
		if len(s.attrs) >= s.maxAttrs {
			return 0, &scanErr{msg: "attributes of one element", quota: quotaAttrs, limit: s.maxAttrs}
		}
		ap, al, err := s.qname()
		if err != nil {
			return 0, err
		}
		s.skipSpace()
		if s.pos >= len(s.doc) {
			return 0, errUnexpectedEOF
		}
		if s.doc[s.pos] != '=' {
			return 0, errStartTag
		}
		s.pos++
		s.skipSpace()
		if s.pos >= len(s.doc) {
			return 0, errUnexpectedEOF
		}
		q := s.doc[s.pos]
		if q != '"' && q != '\'' {
			return 0, errStartTag
		}
		s.pos++
		rest := s.doc[s.pos:]
		end := bytes.IndexByte(rest, q)
		if end < 0 {
			return 0, errUnexpectedEOF
		}
		v := rest[:end]
		if bytes.IndexByte(v, '<') >= 0 {
			return 0, errLtInValue
		}
		s.pos += end + 1
		s.attrs = append(s.attrs, rawAttr{prefix: ap, local: al, raw: v,
			esc: bytes.IndexByte(v, '&') >= 0 || bytes.IndexByte(v, '\r') >= 0})
	}
}

// Quota names the scanner reports (mapped to xmlstream's in the Reader).
const (
	quotaName  = "name"
	quotaAttrs = "attrs"
)

// validChars reports whether b is UTF-8 of characters XML 1.0 allows.
func validChars(b []byte) bool {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 || r == 0xFFFE || r == 0xFFFF {
			return false
		}
		i += n
	}
	return true
}

// errDecodedTooLong is appendDecoded's answer for output beyond its limit.
var errDecodedTooLong = &scanErr{msg: "decoded text too long"}

// appendDecoded appends the character data raw (text, a CDATA section when
// cdata, or an attribute value) to dst with references replaced and "\r\n"
// and "\r" read as "\n". It fails before dst grows by more than limit bytes
// and when a reference is invalid or the result holds a character XML does
// not allow.
func appendDecoded(dst, raw []byte, cdata bool, limit int) ([]byte, error) {
	start := len(dst)
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c == '\r':
			if len(dst)-start+1 > limit {
				return dst[:start], errDecodedTooLong
			}
			dst = append(dst, '\n')
			i++
			if i < len(raw) && raw[i] == '\n' {
				i++
			}
		case c == '&' && !cdata:
			r, n := parseReference(raw[i:])
			if n == 0 {
				return dst[:start], errReference
			}
			if len(dst)-start+utf8.RuneLen(r) > limit {
				return dst[:start], errDecodedTooLong
			}
			dst = utf8.AppendRune(dst, r)
			i += n
		default:
			j := i + 1
			for j < len(raw) && raw[j] != '\r' && (cdata || raw[j] != '&') {
				j++
			}
			if len(dst)-start+j-i > limit {
				return dst[:start], errDecodedTooLong
			}
			dst = append(dst, raw[i:j]...)
			i = j
		}
	}
	if !validChars(dst[start:]) {
		return dst[:start], errChar
	}
	return dst, nil
}

// parseReference reads the reference at the start of b ('&' first) and
// returns its character and length, or n == 0 when it is not one of the
// five predefined entities or a character reference. A character reference
// to a surrogate becomes U+FFFD, as in encoding/xml; one to a character XML
// does not allow is caught by the caller's check of the result.
func parseReference(b []byte) (r rune, n int) {
	if len(b) < 3 {
		return 0, 0
	}
	if b[1] != '#' {
		for _, e := range predefined {
			if len(b) > len(e.name) && string(b[1:1+len(e.name)]) == e.name {
				return e.r, 1 + len(e.name)
			}
		}
		return 0, 0
	}
	i, base := 2, rune(10)
	if b[2] == 'x' {
		i, base = 3, 16
	}
	digits := i
	var v rune
	for ; i < len(b); i++ {
		var d rune
		switch c := b[i]; {
		case '0' <= c && c <= '9':
			d = rune(c - '0')
		case base == 16 && 'a' <= c && c <= 'f':
			d = rune(c-'a') + 10
		case base == 16 && 'A' <= c && c <= 'F':
			d = rune(c-'A') + 10
		default:
			goto done
		}
		v = v*base + d
		if v > utf8.MaxRune {
			return 0, 0
		}
	}
done:
	if i == digits || i >= len(b) || b[i] != ';' {
		return 0, 0
	}
	if v >= 0xD800 && v <= 0xDFFF {
		v = utf8.RuneError
	}
	return v, i + 1
}

var predefined = [...]struct {
	name string
	r    rune
}{{"lt;", '<'}, {"gt;", '>'}, {"amp;", '&'}, {"apos;", '\''}, {"quot;", '"'}}
