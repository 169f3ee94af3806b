package soap

import (
	"bytes"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ipamd/ipamd/soap/nbfx"
	"github.com/ipamd/ipamd/soap/textxml"
)

// Message templates (issue 16, docs/performance.md "Messages encoded
// once"). Most of what a provisioning or conversion session sends is the
// same in every session except for its WS-Addressing values: the
// Initialize… reply differs only in a:RelatesTo (the client's
// a:MessageID), Notify…Start, a success's or a fixed exception's
// Notify…Complete, and Notify…Checkpoint not at all on net.tcp (a:To is
// anonymous). Encoding them was a tenth of the server's CPU per session.
// So a message whose body is a FixedBody is encoded once per process per
// (encoding, action, body key, which headers are present): the envelope
// with placeholders in the header values, cut at them. Each later message
// of that shape is the template's pieces with its own header values
// between them, each written by the encoder's own code for a text value
// (nbfx.AppendTextWithEnd, textxml.AppendText), so the bytes are the
// encoder's: TestTemplateEqualsEncoder and FuzzTemplate compare them.
//
// Why the bytes of a template do not depend on the connection:
//   - Text and binary without a session table: the writers are reset for
//     every message and read nothing but the header and the body.
//   - The binary session encoding: a message's bytes are its string table
//     and its records. The writer names a string by session id only when
//     the connection's outbound table (Codec.wsess) exists, which only a
//     rows message (SessionStringsBody) makes; a template is used only
//     while it does not, and then every message's table is the empty 00
//     and its names are static-dictionary ids or inline — as when the
//     template was encoded. The inbound table (what the client sent) is
//     never read when encoding. Text records never refer to session
//     strings (nbfx.AppendTextWithEnd).
//
// What a template holds is the key's content (bounded: FixedBody) and
// placeholders, never a header value of the session it was built in.

// FixedBody is a body whose encoding is determined by a key: two bodies
// with equal keys write the same XML. Codec.Encode sends such a body from
// a template (see above).
type FixedBody interface {
	BodyWriter
	// FixedKey returns the key of the body's content; ok false means this
	// value is encoded as usual. A key's texts are kept in a process-wide
	// table: a body keeps them to a few KiB.
	FixedKey() (key BodyKey, ok bool)
}

// FixedHeader is an extra header block (Header.Extra) whose encoding is
// determined by a key and one text value, which a template leaves out
// like a:RelatesTo (HTTP's session id). Its WriteBody must write the value
// as the text of its innermost element, right before that element's end.
type FixedHeader interface {
	BodyWriter
	// FixedHeaderKey returns the key of the block's shape (a name unique to
	// its type) and its value.
	FixedHeaderKey() (key, value string)
	// WithValue returns the same block with value v.
	WithValue(v string) BodyWriter
}

// BodyKey names a FixedBody's content: a name unique to its type and the
// values it writes.
type BodyKey struct {
	Name  string
	Flags uint8
	Text  [4]string
}

// templateKey names one template.
type templateKey struct {
	enc    Encoding
	holes  uint8 // which of the template's header values are present
	action string
	extra  string // the FixedHeader's key, if there is one
	body   BodyKey
}

// The header values a template leaves out, in the order writeEnvelope
// writes them.
const (
	holeRelatesTo uint8 = 1 << iota
	holeMessageID
	holeTo
	holeExtra       // the FixedHeader's value
	holeToAnonymous // a:To is the anonymous address: part of the template
)

// holeCount is the number of header values a template may leave out.
const holeCount = 4

// template is an encoded message cut at its header values: pieces[0],
// value, pieces[1], value, …, pieces[n].
type template struct {
	pieces [][]byte
	size   int  // the pieces' total length
	unused bool // the message could not be made a template: encode it
}

// maxTemplates bounds the process-wide table; when it is full it is
// emptied, and the shapes in use are encoded again once each. Bodies with
// a key of their own are few (one per fixed callback, exception and
// reply), so the table fills only when exception messages vary.
const maxTemplates = 256

// maxTemplateBytes bounds one template; a larger message is encoded as
// usual.
const maxTemplateBytes = 16 << 10

// templates is the process-wide table: read without a lock, replaced
// whole (copy on write) when a template is added, which happens once per
// shape.
var (
	templates  atomic.Pointer[map[templateKey]*template]
	templateMu sync.Mutex
)

// placeholders are the header values a template is encoded with. They are
// plain text (no escaping, no dictionary string, no GUID), so each is
// found in the encoded bytes as itself, in a Chars8 record on binary.
var placeholders = [holeCount]string{
	"urn:ipamd:template:relatesto:5b0e7a", "urn:ipamd:template:messageid:5b0e7a", "urn:ipamd:template:to:5b0e7a",
	"urn:ipamd:template:extra:5b0e7a",
}

// checkValues are the values a new template is tried with before it is
// used: lengths, a GUID (the binary UniqueId record), a dictionary string
// and characters that need escaping, each compared with the encoder's.
var checkValues = [holeCount]string{
	"urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e", "a&b<c>\"d'", "http://www.w3.org/2005/08/addressing/anonymous",
	"urn:ipamd:session:" + strings.Repeat("0f", 140),
}

// encodeTemplate appends h and body to dst from a template when it can: the
// body is a FixedBody, the header has no values beyond Action, RelatesTo,
// MessageID, To and at most one FixedHeader, and on the binary session
// encoding the connection has no outbound session table. ok false: encode
// as usual.
func (c *Codec) encodeTemplate(dst []byte, h *Header, body BodyWriter) ([]byte, bool) {
	fb, isFixed := body.(FixedBody)
	if !isFixed || c.wsess != nil || h.ReplyTo != "" || h.FaultTo != "" || h.From != "" || len(h.Extra) > 1 {
		return dst, false
	}
	var (
		extra      FixedHeader
		extraKey   string
		extraValue string
	)
	if len(h.Extra) == 1 {
		fh, ok := h.Extra[0].(FixedHeader)
		if !ok {
			return dst, false
		}
		extra = fh
		if extraKey, extraValue = fh.FixedHeaderKey(); extraKey == "" || extraValue == "" {
			return dst, false
		}
	}
	switch c.enc {
	case EncodingBinarySession, EncodingBinary, EncodingText, EncodingText11:
	default:
		return dst, false
	}
	bk, ok := fb.FixedKey()
	if !ok {
		return dst, false
	}
	key := templateKey{enc: c.enc, action: h.Action, extra: extraKey, body: bk}
	vals := [holeCount]string{h.RelatesTo, h.MessageID, h.To, extraValue}
	for i, v := range vals {
		if v == "" {
			continue
		}
		// The values are bounded as the decoder bounds a header value (the
		// reply's a:RelatesTo is the client's a:MessageID); anything longer
		// is the encoder's to write.
		if len(v) > c.lim.MaxHeaderBytes {
			return dst, false
		}
		key.holes |= 1 << i
	}
	if h.To == AddressAnonymous {
		key.holes = key.holes&^holeTo | holeToAnonymous
	}
	var t *template
	if m := templates.Load(); m != nil {
		t = (*m)[key]
	}
	if t == nil {
		t = c.newTemplate(key, h, extra, body)
	}
	if t.unused {
		return dst, false
	}
	out, ok := t.fill(dst, c.enc, &vals, key.holes)
	if !ok || len(out)-len(dst) > c.lim.MaxMessageBytes {
		return dst, false // the encoder fails it, or says why
	}
	return out, true
}

// fill appends the template with vals in its holes.
func (t *template) fill(dst []byte, enc Encoding, vals *[holeCount]string, holes uint8) ([]byte, bool) {
	n := t.size
	for i, v := range vals {
		if holes&(1<<i) != 0 {
			n += len(v) + 8
		}
	}
	start := len(dst)
	out := slices.Grow(dst, n)
	out = append(out, t.pieces[0]...)
	p := 1
	var err error
	for i, v := range vals {
		if holes&(1<<i) == 0 {
			continue
		}
		switch enc {
		case EncodingText, EncodingText11:
			out, err = textxml.AppendText(out, v)
		default:
			out, err = nbfx.AppendTextWithEnd(out, v)
		}
		if err != nil {
			return dst[:start], false
		}
		out = append(out, t.pieces[p]...)
		p++
	}
	return out, true
}

// newTemplate encodes the message with placeholders, cuts it at them,
// checks the cut against the encoder with other values and stores the
// result (an unused template if any step fails, so that the shape is not
// tried again).
func (c *Codec) newTemplate(key templateKey, h *Header, extra FixedHeader, body BodyWriter) *template {
	t := c.buildTemplate(key, h, extra, body)
	templateMu.Lock()
	defer templateMu.Unlock()
	old := templates.Load()
	if old != nil {
		if have, ok := (*old)[key]; ok {
			return have
		}
	}
	m := make(map[templateKey]*template, 8)
	if old != nil && len(*old) < maxTemplates {
		for k, v := range *old {
			m[k] = v
		}
	}
	m[key] = t
	templates.Store(&m)
	return t
}

func (c *Codec) buildTemplate(key templateKey, h *Header, extra FixedHeader, body BodyWriter) *template {
	unused := &template{unused: true}
	// A codec of its own: the same encoding, no session table, no bound
	// below the template's.
	enc := NewCodec(c.enc, Limits{MaxMessageBytes: maxTemplateBytes})
	ph := *h
	var (
		order [holeCount]int // the holes in the order they are in the bytes
		n     int
	)
	for i := range placeholders {
		if key.holes&(1<<i) != 0 {
			setHeaderValue(&ph, extra, i, placeholders[i])
			order[n] = i
			n++
		}
	}
	raw, err := enc.encodeFull(nil, &ph, body)
	if err != nil {
		return unused
	}
	raw = bytes.Clone(raw) // the text encoder's buffer has room to spare
	t := &template{}
	at := 0
	for _, i := range order[:n] {
		form := []byte(placeholders[i])
		off := bytes.Index(raw[at:], form)
		if off < 0 || bytes.Count(raw, form) != 1 {
			return unused
		}
		off += at
		// On binary the placeholder is a Chars8TextWithEndElement record:
		// its type and length bytes are part of the hole.
		if c.enc != EncodingText && c.enc != EncodingText11 {
			if off < 2 || raw[off-2] != 0x99 || int(raw[off-1]) != len(form) {
				return unused
			}
			off -= 2
		}
		t.pieces = append(t.pieces, raw[at:off])
		at = off + len(form)
		if c.enc != EncodingText && c.enc != EncodingText11 {
			at += 2
		}
	}
	t.pieces = append(t.pieces, raw[at:])
	for _, p := range t.pieces {
		t.size += len(p)
	}
	// The cut is checked against the encoder with values of other lengths
	// and kinds than the placeholders': a template whose bytes around a
	// value depended on it would fail here and never be used.
	ch := *h
	var vals [holeCount]string
	for _, i := range order[:n] {
		vals[i] = checkValues[i]
		setHeaderValue(&ch, extra, i, checkValues[i])
	}
	want, err := enc.encodeFull(nil, &ch, body)
	if err != nil {
		return unused
	}
	got, ok := t.fill(nil, c.enc, &vals, key.holes)
	if !ok || !bytes.Equal(got, want) {
		return unused
	}
	return t
}

// setHeaderValue sets the value of hole i in h (a copy of the message's
// header: the extra block is replaced, not changed).
func setHeaderValue(h *Header, extra FixedHeader, i int, v string) {
	switch i {
	case 0:
		h.RelatesTo = v
	case 1:
		h.MessageID = v
	case 2:
		h.To = v
	case 3:
		h.Extra = []BodyWriter{extra.WithValue(v)}
	}
}

// Templated reports whether Encode would send h and body from a template
// on this codec (for tests and benchmarks: it encodes the message).
func (c *Codec) Templated(h *Header, body BodyWriter) bool {
	_, ok := c.encodeTemplate(nil, h, body)
	return ok
}
