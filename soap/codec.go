package soap

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ipamd/ipamd/soap/nbfx"
	"github.com/ipamd/ipamd/soap/textxml"
	"github.com/ipamd/ipamd/soap/xmlstream"
)

// Codec is one connection's encoder state. For EncodingBinarySession the
// NBFSE string tables live here, one per direction per connection: the
// inbound one the peer fills, and the outbound one, which only the writers
// of enumeration rows add to (nbfx.Writer.CollectSessionStrings); every
// other message goes out with the empty table 00. A Codec is
// not safe for concurrent use: decode on the reading goroutine and encode
// under the connection's write lock, or use two Codecs.
type Codec struct {
	enc Encoding
	lim Limits
	ns  string // envelope namespace of enc

	sess  *nbfx.ReaderSession
	wsess *nbfx.WriterSession // outbound table (EncodingBinarySession), made by the first rows message
	br    *nbfx.Reader        // from a pool while a message is in hand; nil while Idle (codec_idle.go)
	tr    *textxml.Reader     // the same, for the text encodings
	gen   uint32              // bumped by Idle: the Envelopes decoded before it are stale

	broken *DecodeError // a fatal decode error: the inbound table is lost
	keep   []xmlstream.Name
	quota  bool // OnQuota was called for the current message
}

// Keep makes Decode keep the text of header blocks with these names in
// Header.Kept; they then count as understood (s:mustUnderstand).
func (c *Codec) Keep(names ...xmlstream.Name) *Codec {
	c.keep = append(c.keep, names...)
	return c
}

// maxKept bounds Header.Kept: more blocks than that are an error.
const maxKept = 4

// keeps reports whether name (namespace and local name; the prefix does
// not matter) is one of keep.
func keeps(keep []xmlstream.Name, name xmlstream.Name) bool {
	return slices.ContainsFunc(keep, func(k xmlstream.Name) bool { return k.Space == name.Space && k.Local == name.Local })
}

// NewCodec returns the codec for one connection using enc.
func NewCodec(enc Encoding, lim Limits) *Codec {
	lim = lim.withDefaults()
	c := &Codec{enc: enc, lim: lim, ns: enc.EnvelopeNamespace()}
	switch enc {
	case EncodingBinarySession, EncodingBinary:
		if enc == EncodingBinarySession {
			c.sess = nbfx.NewReaderSession(lim.MaxSessionTableBytes)
		}
	}
	// The readers are taken at the first Decode, the writers per Encode.
	return c
}

// Encoding returns the codec's encoding.
func (c *Codec) Encoding() Encoding { return c.enc }

// Decode parses payload (one SizedEnvelope). It reads s:Envelope and
// s:Header fully into Envelope.Header and stops at the first child of
// s:Body (lazy body). Every error is a *DecodeError carrying the fault to
// answer with; when its Fatal is set the inbound session state is lost and
// every later Decode fails too.
func (c *Codec) Decode(payload []byte) (*Envelope, error) {
	if c.broken != nil {
		return nil, c.broken
	}
	c.quota = false
	env, err := c.decode(payload)
	if err != nil {
		c.noteQuota(err)
		return nil, err
	}
	env.body.codec, env.body.gen = c, c.gen
	return env, nil
}

// noteQuota reports a quota error to Limits.OnQuota, once per message.
func (c *Codec) noteQuota(err error) {
	if c.quota || c.lim.OnQuota == nil {
		return
	}
	if q := xmlstream.QuotaName(err); q != "" {
		c.quota = true
		c.lim.OnQuota(q)
	}
}

func (c *Codec) decode(payload []byte) (*Envelope, error) {
	if len(payload) > c.lim.MaxMessageBytes {
		err := fmt.Errorf("soap: %w", &xmlstream.QuotaError{Quota: xmlstream.QuotaMaxReceivedMessageSize,
			Limit: int64(c.lim.MaxMessageBytes), Offset: -1, Detail: fmt.Sprintf("a payload of %d bytes", len(payload))})
		return nil, &DecodeError{Fault: QuotaFault(err), Err: err}
	}
	var r xmlstream.Reader
	switch c.enc {
	case EncodingBinarySession:
		n, err := c.sess.ReadStringTable(payload)
		if err != nil {
			c.broken = &DecodeError{Fault: malformedFault(err), Err: fmt.Errorf("soap: NBFSE string table: %w", err), Fatal: true}
			return nil, c.broken
		}
		br := c.binaryReader()
		br.Reset(payload[n:], c.sess)
		r = br
	case EncodingBinary:
		br := c.binaryReader()
		br.Reset(payload, nil)
		r = br
	case EncodingText, EncodingText11:
		tr := c.textReader()
		tr.Reset(payload)
		r = tr
	default:
		return nil, &DecodeError{Fault: ReceiverFault("unsupported message encoding"), Err: fmt.Errorf("soap: decode with %v", c.enc)}
	}
	env := &Envelope{ns: c.ns, keep: c.keep, maxEcho: c.lim.MaxEchoBytes}
	if err := readEnvelope(r, env, c.lim.MaxHeaderBytes); err != nil {
		return nil, err
	}
	return env, nil
}

// Header block names this package understands (WS-Addressing 1.0).
const (
	hAction uint8 = 1 << iota
	hTo
	hMessageID
	hRelatesTo
	hReplyTo
	hFaultTo
	hFrom
)

// maxNotUnderstood bounds the NotUnderstood header blocks of one fault.
const maxNotUnderstood = 16

// readEnvelope reads the envelope up to the body; header values are
// limited to maxHeader bytes.
func readEnvelope(r xmlstream.Reader, env *Envelope, maxHeader int) error {
	n, err := r.Next()
	if err != nil {
		return readError("envelope", err, env.Header)
	}
	ns := env.ns
	if n.Kind != xmlstream.StartElement || n.Name.Local != "Envelope" || n.Name.Space != ns {
		f := VersionMismatchFault()
		if ns == NSEnvelope11 {
			f.Reason = "The envelope version of the message does not match the request's content type: text/xml carries SOAP 1.1 (" + NSEnvelope11 + ")."
		}
		return &DecodeError{
			Fault: f,
			Err: fmt.Errorf("soap: document element {%s}%s: %w", EchoMax(n.Name.Space, echoBound(env.maxEcho)),
				EchoMax(n.Name.Local, echoBound(env.maxEcho)), ErrVersionMismatch),
		}
	}
	seenHeader := false
	for {
		n, err := r.Next()
		if err != nil {
			return readError("envelope", err, env.Header)
		}
		switch {
		case n.Kind == xmlstream.Text && isSpace(n.Text):
			continue
		case n.Kind == xmlstream.StartElement && n.Name.Space == ns && n.Name.Local == "Header" && !seenHeader:
			seenHeader = true
			if err := readHeader(r, env, maxHeader); err != nil {
				return err
			}
			continue
		case n.Kind == xmlstream.StartElement && n.Name.Space == ns && n.Name.Local == "Body":
			if err := checkAction(env); err != nil {
				return err
			}
			return peekBody(r, env)
		case n.Kind == xmlstream.EndElement:
			return envelopeError(env.Header, env.maxEcho, "s:Envelope has no s:Body")
		}
		return envelopeError(env.Header, env.maxEcho, "unexpected %s %q in s:Envelope", n.Kind, n.Name.Local)
	}
}

func checkAction(env *Envelope) error {
	if env.Header.Action != "" {
		return nil
	}
	return &DecodeError{
		Fault:  HeaderRequiredFault(NSAddressing, "Action"),
		Header: env.Header,
		Err:    fmt.Errorf("soap: no a:Action header: %w", ErrAddressing),
	}
}

// peekBody reads up to the body's first child (or its end) and leaves it
// for Envelope.Body to replay.
func peekBody(r xmlstream.Reader, env *Envelope) error {
	for {
		n, err := r.Next()
		if err != nil {
			return readError("body", err, env.Header)
		}
		switch n.Kind {
		case xmlstream.Text:
			if isSpace(n.Text) {
				continue
			}
			return envelopeError(env.Header, env.maxEcho, "text directly inside s:Body")
		case xmlstream.StartElement:
			env.BodyName = n.Name
		}
		env.body = bodyReader{r: r, pending: n}
		return nil
	}
}

// readHeader reads the header blocks after <s:Header>, through </s:Header>.
func readHeader(r xmlstream.Reader, env *Envelope, maxHeader int) error {
	var (
		seen          uint8
		notUnderstood []xmlstream.Name
		addrErr       *DecodeError // first addressing problem; MustUnderstand wins
	)
	h := &env.Header
	depth := r.Depth() // of s:Header
	for {
		n, err := r.Next()
		if err != nil {
			return readError("header", err, *h)
		}
		switch n.Kind {
		case xmlstream.EndElement:
			if len(notUnderstood) > 0 {
				return mustUnderstandError(notUnderstood, *h, env.maxEcho)
			}
			if addrErr != nil {
				addrErr.Header = *h
				return addrErr
			}
			return nil
		case xmlstream.Text:
			if isSpace(n.Text) {
				continue
			}
			return envelopeError(*h, env.maxEcho, "text directly inside s:Header")
		case xmlstream.EOF:
			return envelopeError(*h, env.maxEcho, "s:Header not closed")
		}
		// A header block.
		name := n.Name
		mu, targeted, err := blockAttrs(n, env.ns, env.maxEcho)
		if err != nil {
			return &DecodeError{Fault: SenderFault(err.Error()), Header: *h, Err: fmt.Errorf("soap: header %s: %w", name.Local, err)}
		}
		var bit uint8
		if targeted && name.Space == NSAddressing {
			switch name.Local {
			case "Action":
				bit = hAction
			case "To":
				bit = hTo
			case "MessageID":
				bit = hMessageID
			case "RelatesTo":
				if t, ok := n.Attr("", "RelationshipType"); ok && strings.TrimSpace(t) != RelationshipReply {
					bit = 0 // another relationship: understood, not kept
					if err := skipTo(r, depth); err != nil {
						return readError("header", err, *h)
					}
					continue
				}
				bit = hRelatesTo
			case "ReplyTo":
				bit = hReplyTo
			case "FaultTo":
				bit = hFaultTo
			case "From":
				bit = hFrom
			}
		}
		if bit == 0 && targeted && keeps(env.keep, name) {
			val, bad, err := readValue(r, depth, maxHeader)
			if err != nil {
				return readError("header", err, *h)
			}
			if bad == nil && len(h.Kept) == maxKept {
				bad = errDuplicate
			}
			if bad != nil {
				if addrErr == nil {
					addrErr = invalidHeaderError(name, bad)
				}
				continue
			}
			h.Kept = append(h.Kept, KeptHeader{Name: name, Text: val})
			continue
		}
		if bit == 0 {
			if targeted && mu && len(notUnderstood) < maxNotUnderstood {
				notUnderstood = append(notUnderstood, name)
			}
			if err := skipTo(r, depth); err != nil {
				return readError("header", err, *h)
			}
			continue
		}
		var val string
		var bad error
		switch bit {
		case hReplyTo, hFaultTo, hFrom:
			val, bad, err = readEPRAddress(r, depth, maxHeader)
		default:
			val, bad, err = readValue(r, depth, maxHeader)
		}
		if err != nil {
			return readError("header", err, *h)
		}
		if bad == nil && seen&bit != 0 {
			bad = errDuplicate
		}
		seen |= bit
		if bad != nil {
			if addrErr == nil {
				addrErr = invalidHeaderError(name, bad)
			}
			continue
		}
		switch bit {
		case hAction:
			h.Action = val
		case hTo:
			h.To = val
		case hMessageID:
			h.MessageID = val
		case hRelatesTo:
			h.RelatesTo = val
		case hReplyTo:
			h.ReplyTo = val
		case hFaultTo:
			h.FaultTo = val
		case hFrom:
			h.From = val
		}
	}
}

var (
	errDuplicate  = errors.New("header appears more than once")
	errNotText    = errors.New("element content where a URI is expected")
	errNoAddress  = errors.New("endpoint reference without a:Address")
	errBadAddress = errors.New("invalid a:Address")
)

// blockAttrs reads s:mustUnderstand and s:role (SOAP 1.1: s:actor) of a
// header block in envelope namespace ns.
func blockAttrs(n *xmlstream.Node, ns string, maxEcho int) (mu, targeted bool, err error) {
	targeted = true
	if ns == NSEnvelope11 {
		if v, ok := n.Attr(ns, "actor"); ok {
			switch strings.TrimSpace(v) {
			case "", ActorNext11:
			default:
				targeted = false
			}
		}
	} else if v, ok := n.Attr(ns, "role"); ok {
		switch strings.TrimSpace(v) {
		case "", RoleNext, RoleUltimateReceiver:
		default:
			targeted = false
		}
	}
	if v, ok := n.Attr(ns, "mustUnderstand"); ok {
		switch strings.TrimSpace(v) {
		case "1", "true":
			mu = true
		case "0", "false":
		default:
			return false, false, fmt.Errorf("s:mustUnderstand value %q is not a boolean", EchoMax(v, echoBound(maxEcho)))
		}
	}
	return mu, targeted, nil
}

// readValue reads the text of a URI-valued header block (xs:anyURI:
// whitespace collapsed) and leaves the reader after its end tag. bad
// reports a structural problem of the block; err a decoding error.
func readValue(r xmlstream.Reader, parent, limit int) (val string, bad, err error) {
	val, err = xmlstream.ReadTextMax(r, limit)
	if err == nil {
		return strings.TrimSpace(val), nil, nil
	}
	if errors.Is(err, xmlstream.ErrTextTooLong) {
		return "", nil, fmt.Errorf("soap: %w", &xmlstream.QuotaError{Quota: xmlstream.QuotaMaxHeaderSize,
			Limit: int64(limit), Offset: -1, Detail: "a WS-Addressing header value"})
	}
	if errors.Is(err, xmlstream.ErrElementInText) {
		return "", errNotText, skipTo(r, parent)
	}
	return "", nil, err
}

// readEPRAddress reads an endpoint reference and returns its a:Address.
func readEPRAddress(r xmlstream.Reader, parent, limit int) (addr string, bad, err error) {
	self := parent + 1
	found := false
	for {
		n, err := r.Next()
		if err != nil {
			return "", nil, err
		}
		switch n.Kind {
		case xmlstream.EndElement:
			if r.Depth() == parent {
				if !found && bad == nil {
					bad = errNoAddress
				}
				return addr, bad, nil
			}
		case xmlstream.Text:
			if !isSpace(n.Text) && bad == nil {
				bad = errNotText
			}
		case xmlstream.StartElement:
			if n.Name.Space == NSAddressing && n.Name.Local == "Address" {
				v, b, err := readValue(r, self, limit)
				if err != nil {
					return "", nil, err
				}
				switch {
				case b != nil && bad == nil:
					bad = errBadAddress
				case found && bad == nil:
					bad = errDuplicate
				}
				addr, found = v, true
				continue
			}
			// ReferenceParameters, Metadata, extensions.
			if err := skipTo(r, self); err != nil {
				return "", nil, err
			}
		case xmlstream.EOF:
			return "", nil, fmt.Errorf("soap: endpoint reference not closed: %w", xmlstream.ErrMalformed)
		}
	}
}

// skipTo reads until the EndElement that brings the depth back to depth.
func skipTo(r xmlstream.Reader, depth int) error {
	for r.Depth() > depth {
		n, err := r.Next()
		if err != nil {
			return err
		}
		if n.Kind == xmlstream.EOF {
			return fmt.Errorf("soap: document ends inside an element: %w", xmlstream.ErrMalformed)
		}
	}
	return nil
}

// Encode appends one envelope of at most Limits.MaxMessageBytes to dst:
// the headers a:Action (mustUnderstand), a:RelatesTo, a:MessageID, a:ReplyTo, a:FaultTo, a:From (each if set), a:To
// (mustUnderstand, if set), h.Extra and, for a *Fault body, the fault's
// Headers; then the body (nil = empty s:Body). For EncodingBinarySession the
// string table comes first: 00, or the strings a SessionStringsBody added.
// Prefixes are s, a and (in bodies) i, as WCF writes them. On error dst is
// returned unchanged and the strings the message added are taken back.
//
// A FixedBody's message is sent from a template encoded once per process
// (template.go): the same bytes.
func (c *Codec) Encode(dst []byte, h *Header, body BodyWriter) ([]byte, error) {
	if h == nil || h.Action == "" {
		return dst, fmt.Errorf("soap: encode: a:Action is required")
	}
	if out, ok := c.encodeTemplate(dst, h, body); ok {
		return out, nil
	}
	return c.encodeFull(dst, h, body)
}

// encodeFull is Encode without templates.
func (c *Codec) encodeFull(dst []byte, h *Header, body BodyWriter) ([]byte, error) {
	start := len(dst)
	var (
		w  xmlstream.Writer
		bw *nbfx.Writer
		tw *textxml.Writer
	)
	switch c.enc {
	case EncodingBinarySession:
		bw = binaryWriter()
		bw.Reset(append(dst, 0x00))
		sb, collect := body.(SessionStringsBody)
		collect = collect && sb.CollectsSessionStrings()
		if collect && c.wsess == nil {
			c.wsess = nbfx.NewWriterSession(0, 0)
		}
		// Names already in the table are written by id in every message.
		bw.SetSession(c.wsess)
		bw.CollectSessionStrings(collect)
		w = bw
	case EncodingBinary:
		bw = binaryWriter()
		bw.Reset(dst)
		w = bw
	case EncodingText, EncodingText11:
		if cap(dst) == 0 {
			dst = make([]byte, 0, textReserve)
		}
		tw = textWriter()
		tw.Reset(dst)
		w = tw
	default:
		return dst, fmt.Errorf("soap: encode with %v", c.enc)
	}
	err := writeEnvelope(w, h, body, c.ns)
	var out []byte
	switch c.enc {
	case EncodingText, EncodingText11:
		out = tw.Bytes()
		putTextWriter(tw)
	default:
		out = bw.Bytes()
		putBinaryWriter(bw)
	}
	if err == nil && c.wsess != nil && c.wsess.Pending() {
		// The strings this message added go in its table, before the
		// records that use them (the 00 written first is replaced).
		out = c.wsess.ReplaceStringTable(out, start)
	}
	if err != nil {
		c.rollback()
		return dst[:start], fmt.Errorf("soap: encode %s: %w", c.lim.Echo(h.Action), err)
	}
	if n := len(out) - start; n > c.lim.MaxMessageBytes {
		c.rollback()
		return out[:start], fmt.Errorf("soap: encode %s: %d bytes, limit %d: %w", c.lim.Echo(h.Action), n, c.lim.MaxMessageBytes, ErrMessageTooLarge)
	}
	if c.wsess != nil {
		c.wsess.Commit()
	}
	return out, nil
}

// textReserve is the buffer a text Encode makes when the caller gives none
// (a connection's first message): a session's text messages (a
// Notify…Complete with an IpamException is about 2.5 KiB) then take one
// allocation in a buffer the caller keeps, instead of the eight or so of a
// buffer grown as the writer appends. A buffer the caller gives is used as
// it is.
const textReserve = 4 << 10

// SessionStringsBody is a body of repeated data (enumeration rows): on
// EncodingBinarySession the names and namespaces it writes that are not
// in the static dictionary are added to the connection's outbound string
// table (within its bounds) and sent once.
type SessionStringsBody interface {
	BodyWriter
	CollectsSessionStrings() bool
}

// rollback takes back the outbound session strings of a message that is
// not sent.
func (c *Codec) rollback() {
	if c.wsess != nil {
		c.wsess.Rollback()
	}
}

// ErrMessageTooLarge is returned by Encode for a message larger than
// Limits.MaxMessageBytes (limits.max_message_size bounds what is sent as
// well as what is received); answer with TooLargeFault instead.
var ErrMessageTooLarge = errors.New("encoded message exceeds the message size limit")

// WriteEnvelope writes a whole SOAP 1.2 envelope (see Codec.Encode) to w.
func WriteEnvelope(w xmlstream.Writer, h *Header, body BodyWriter) error {
	return writeEnvelope(w, h, body, NSEnvelope)
}

// writeEnvelope writes an envelope in namespace ns (SOAP 1.2 or 1.1).
func writeEnvelope(w xmlstream.Writer, h *Header, body BodyWriter, ns string) error {
	w.StartElement("s", "Envelope", ns)
	w.XmlnsAttr("a", NSAddressing)
	w.StartElement("s", "Header", ns)
	writeURIHeader(w, "Action", h.Action, ns)
	if h.RelatesTo != "" {
		writeURIHeader(w, "RelatesTo", h.RelatesTo, "")
	}
	if h.MessageID != "" {
		writeURIHeader(w, "MessageID", h.MessageID, "")
	}
	for _, epr := range [...]struct{ local, addr string }{{"ReplyTo", h.ReplyTo}, {"FaultTo", h.FaultTo}, {"From", h.From}} {
		if epr.addr != "" {
			w.StartElement("a", epr.local, NSAddressing)
			writeURIHeader(w, "Address", epr.addr, "")
			w.EndElement()
		}
	}
	if h.To != "" {
		writeURIHeader(w, "To", h.To, ns)
	}
	for _, x := range h.Extra {
		if err := x.WriteBody(w); err != nil {
			return fmt.Errorf("header block: %w", err)
		}
	}
	fault, _ := body.(*Fault)
	if fault != nil && ns == NSEnvelope { // s:Upgrade, s:NotUnderstood are SOAP 1.2 blocks
		for _, x := range fault.Headers {
			if err := x.WriteBody(w); err != nil {
				return fmt.Errorf("fault header block: %w", err)
			}
		}
	}
	w.EndElement()
	if err := w.StartElement("s", "Body", ns); err != nil {
		return err
	}
	switch {
	case fault != nil && ns == NSEnvelope11:
		if err := fault.writeBody11(w); err != nil {
			return fmt.Errorf("body: %w", err)
		}
	case body != nil:
		if err := body.WriteBody(w); err != nil {
			return fmt.Errorf("body: %w", err)
		}
	}
	w.EndElement()
	w.EndElement()
	return w.Close()
}

// writeURIHeader writes a WS-Addressing header block; a non-empty muNS
// marks it s:mustUnderstand in that envelope namespace.
func writeURIHeader(w xmlstream.Writer, local, value, muNS string) {
	w.StartElement("a", local, NSAddressing)
	if muNS != "" {
		w.Attr("s", "mustUnderstand", muNS, "1")
	}
	w.Text(value)
	w.EndElement()
}
