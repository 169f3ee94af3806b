// Package soap is the SOAP 1.2 envelope layer of a net.tcp session
// (MessageVersion Soap12WSAddressing10): it decodes envelopes and their
// WS-Addressing 1.0 headers from any of the three message encodings, leaves
// the body to generated decoders as an xmlstream, encodes replies, callbacks
// and faults, and maps bad envelopes to the SOAP fault to answer with.
package soap

import (
	"fmt"

	"github.com/ipamd/ipamd/soap/xmlstream"
)

// Namespaces and well-known URIs.
const (
	NSEnvelope = "http://www.w3.org/2003/05/soap-envelope"
	// NSEnvelope11 is SOAP 1.1's envelope namespace (HTTP endpoint only,
	// for older tools: text/xml with a SOAPAction header).
	NSEnvelope11 = "http://schemas.xmlsoap.org/soap/envelope/"
	NSAddressing = "http://www.w3.org/2005/08/addressing"
	NSXSI        = "http://www.w3.org/2001/XMLSchema-instance"
	NSXSD        = "http://www.w3.org/2001/XMLSchema"
	NSXML        = "http://www.w3.org/XML/1998/namespace"
	NSDispatcher = "http://schemas.microsoft.com/net/2005/12/windowscommunicationfoundation/dispatcher"

	AddressAnonymous = NSAddressing + "/anonymous"
	// RelationshipReply is the default a:RelatesTo RelationshipType.
	RelationshipReply = NSAddressing + "/reply"

	// ActionAddressingFault is the Action of WS-Addressing faults
	// (ActionNotSupported, MessageAddressingHeaderRequired, …).
	ActionAddressingFault = NSAddressing + "/fault"
	// ActionSOAPFault is WCF's default fault Action for SOAP 1.2 with
	// WS-Addressing 1.0 (MustUnderstand, VersionMismatch, FaultException).
	ActionSOAPFault = NSAddressing + "/soap/fault"
	// ActionDefaultFault is the Action of WCF dispatcher faults
	// (InternalServiceFault, SessionTerminated).
	ActionDefaultFault = NSDispatcher + "/fault"

	// ActionKeepalive is the [MS-IPAMM2] Keepalive message's Action (not a URI).
	ActionKeepalive = "Microsoft.WindowsServerSolutions.Common.ProviderFramework.Keepalive"

	// SOAP 1.2 roles a header block may target; both (and no role) mean us.
	RoleNext             = NSEnvelope + "/role/next"
	RoleUltimateReceiver = NSEnvelope + "/role/ultimateReceiver"
	// ActorNext11 is SOAP 1.1's s:actor value for "the next receiver".
	ActorNext11 = "http://schemas.xmlsoap.org/soap/actor/next"
)

// Encoding is a net.tcp message encoding of SOAP 1.2.
type Encoding uint8

const (
	// EncodingBinarySession is application/soap+msbinsession1 (known encoding
	// 0x08): NBFX with the NBFS static dictionary and a per-direction NBFSE
	// string table prefixed to every payload. NetTcpBinding's default.
	EncodingBinarySession Encoding = iota + 1
	// EncodingBinary is application/soap+msbin1 (0x07): NBFX, no string table.
	EncodingBinary
	// EncodingText is application/soap+xml; charset=utf-8 (0x03).
	EncodingText
	// EncodingText11 is SOAP 1.1 text, text/xml; charset=utf-8, with
	// WS-Addressing 1.0 headers. HTTP only: net.tcp has no known encoding
	// for it that WCF's NetTcpBinding would use.
	EncodingText11
)

func (e Encoding) String() string {
	switch e {
	case EncodingBinarySession:
		return "msbinsession1"
	case EncodingBinary:
		return "msbin1"
	case EncodingText:
		return "soap+xml"
	case EncodingText11:
		return "soap11+xml"
	}
	return fmt.Sprintf("Encoding(%d)", uint8(e))
}

// ContentType is the encoding's MIME content type.
func (e Encoding) ContentType() string {
	switch e {
	case EncodingBinarySession:
		return "application/soap+msbinsession1"
	case EncodingBinary:
		return "application/soap+msbin1"
	case EncodingText:
		return "application/soap+xml; charset=utf-8"
	case EncodingText11:
		return "text/xml; charset=utf-8"
	}
	return ""
}

// EnvelopeNamespace is the s:Envelope namespace the encoding carries.
func (e Encoding) EnvelopeNamespace() string {
	if e == EncodingText11 {
		return NSEnvelope11
	}
	return NSEnvelope
}

// EncodingForContentType is the Encoding whose ContentType is ct, as a
// transport names it (net.tcp's preamble maps its encoding byte to these
// content types: duplex/nmf); ok is false for any other (UTF-16, MTOM,
// compressed).
func EncodingForContentType(ct string) (e Encoding, ok bool) {
	for e := EncodingBinarySession; e <= EncodingText11; e++ {
		if e.ContentType() == ct {
			return e, true
		}
	}
	return 0, false
}

// Limits are the decoder quotas of one connection, on the model of WCF's
// XmlDictionaryReaderQuotas and MaxReceivedMessageSize (docs/security.md,
// "Resource budgets"); zero fields take the defaults. Every violation is a
// *xmlstream.QuotaError naming the quota, answered with QuotaFault.
type Limits struct {
	MaxSessionTableBytes int // inbound NBFSE table (MB31 length + UTF-8 per string); default 2048 (WCF MaxSessionSize)
	MaxDepth             int // open elements; default 32 (WCF MaxDepth)
	MaxAttributes        int // attributes per element, xmlns included; default 256
	MaxStringBytes       int // one name, attribute value or element's text content; default 8192 (WCF MaxStringContentLength)
	MaxArrayLength       int // items of one NBFX Array record; default 16384 (WCF MaxArrayLength)
	MaxBytesPerRead      int // decoded bytes of one start tag with its attributes; default 4096 (WCF MaxBytesPerRead)
	// MaxExpansion bounds what one binary message decodes to: at most
	// MaxExpansion × its size (at least nbfx.ExpansionFloor) in names,
	// namespace declarations, attribute values and text; default 4.
	MaxExpansion    int
	MaxHeaderBytes  int // one WS-Addressing header value (a:Action, a:MessageID, an a:Address); default 4096
	MaxMessageBytes int // one payload; default 1 MiB (the framing layer normally enforces less)
	// MaxEchoBytes bounds each piece of client input repeated in a fault,
	// an error or a log field (Echo); default DefaultMaxEchoBytes.
	MaxEchoBytes int
	// OnQuota, when set, is called once per message that breaks a quota,
	// with the quota's name (for a metric).
	OnQuota func(quota string)
}

// Default quotas.
const (
	DefaultMaxSessionTableBytes = 2048
	DefaultMaxDepth             = 32
	DefaultMaxAttributes        = 256
	DefaultMaxStringBytes       = 8192
	DefaultMaxArrayLength       = 16384
	DefaultMaxBytesPerRead      = 4096
	DefaultMaxExpansion         = 4
	DefaultMaxHeaderBytes       = 4096
	DefaultMaxMessageBytes      = 1 << 20
)

func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxSessionTableBytes, DefaultMaxSessionTableBytes)
	def(&l.MaxDepth, DefaultMaxDepth)
	def(&l.MaxAttributes, DefaultMaxAttributes)
	def(&l.MaxStringBytes, DefaultMaxStringBytes)
	def(&l.MaxArrayLength, DefaultMaxArrayLength)
	def(&l.MaxBytesPerRead, DefaultMaxBytesPerRead)
	def(&l.MaxExpansion, DefaultMaxExpansion)
	def(&l.MaxHeaderBytes, DefaultMaxHeaderBytes)
	def(&l.MaxMessageBytes, DefaultMaxMessageBytes)
	def(&l.MaxEchoBytes, DefaultMaxEchoBytes)
	return l
}

// Header holds the WS-Addressing 1.0 message addressing properties of one
// message. ReplyTo, FaultTo and From are the a:Address of the endpoint
// reference (reference parameters are not kept).
type Header struct {
	Action    string
	MessageID string
	RelatesTo string // the reply relationship only
	To        string
	ReplyTo   string
	FaultTo   string
	From      string

	// Extra are further header blocks written after the addressing headers
	// by Encode (Decode leaves it nil).
	Extra []BodyWriter
	// Kept are the texts of the header blocks named by Codec.Keep, in
	// document order (Decode only; at most maxKept).
	Kept []KeptHeader
}

// KeptHeader is a header block Decode was asked to keep (Codec.Keep): a
// reference parameter the transport itself needs, such as a session id.
type KeptHeader struct {
	Name xmlstream.Name
	Text string // trimmed
}

// BodyWriter writes XML content: a message body (generated message types
// implement it), a fault detail, or an extra header block.
type BodyWriter interface {
	WriteBody(w xmlstream.Writer) error
}

// BodyWriterFunc adapts a function to BodyWriter.
type BodyWriterFunc func(w xmlstream.Writer) error

// WriteBody calls f(w).
func (f BodyWriterFunc) WriteBody(w xmlstream.Writer) error { return f(w) }

// Envelope is one decoded message: its addressing headers and a lazy body.
type Envelope struct {
	Header Header
	// BodyName is the name of the body's first child element (zero for an
	// empty body); {NSEnvelope, "Fault"} for a fault.
	BodyName xmlstream.Name

	ns      string // envelope namespace (SOAP 1.2 unless decoded as 1.1)
	keep    []xmlstream.Name
	maxEcho int // the decoding Codec's Limits.MaxEchoBytes, for Finish's faults
	body    bodyReader
}

// Body returns the reader positioned inside s:Body: the next Next() yields
// the body's first child StartElement (or the s:Body EndElement when
// empty). Depth counts s:Envelope, so body children are at depth 3. Valid
// until the next Decode on the same Codec.
func (e *Envelope) Body() xmlstream.Reader { return &e.body }

// IsFault reports whether the body is an s:Fault.
func (e *Envelope) IsFault() bool {
	ns := e.ns
	if ns == "" {
		ns = NSEnvelope
	}
	return e.BodyName.Space == ns && e.BodyName.Local == "Fault"
}

// IsKeepalive reports whether this is the [MS-IPAMM2] Keepalive message,
// which a server ignores.
func (e *Envelope) IsKeepalive() bool { return e.Header.Action == ActionKeepalive }

// Finish reads what the caller left of the body and checks that the
// envelope ends properly: nothing but the s:Envelope end tag after s:Body.
// Errors are *DecodeError carrying a Sender fault.
func (e *Envelope) Finish() error {
	b := &e.body
	for b.state < bodyClosed {
		if _, err := b.Next(); err != nil {
			return readError("body", err, e.Header)
		}
	}
	for b.state < atEOF {
		n, err := b.Next()
		if err != nil {
			return readError("envelope end", err, e.Header)
		}
		if n.Kind == xmlstream.Text && isSpace(n.Text) {
			continue
		}
		if b.state == envClosed && n.Kind == xmlstream.EndElement || b.state == atEOF && n.Kind == xmlstream.EOF {
			continue
		}
		return envelopeError(e.Header, e.maxEcho, "unexpected %s %q after s:Body", n.Kind, n.Name.Local)
	}
	return nil
}

// bodyReader replays the peeked first body node and tracks where the
// caller is, for Finish.
type bodyReader struct {
	r       xmlstream.Reader
	pending *xmlstream.Node
	state   uint8
	codec   *Codec // reports quota errors of the body; nil for tests' envelopes
	gen     uint32 // codec.gen at Decode: after the codec's Idle the body is gone
}

const (
	inBody uint8 = iota
	bodyClosed
	envClosed
	atEOF
)

func (b *bodyReader) Next() (*xmlstream.Node, error) {
	if b.stale() {
		// Its reader (and the node pending points into) may serve another
		// connection now (Codec.Idle).
		return nil, fmt.Errorf("soap: body read after its codec went idle: %w", xmlstream.ErrMalformed)
	}
	if b.pending != nil {
		n := b.pending
		b.pending = nil
		b.track(n)
		return n, nil
	}
	if b.r == nil {
		return nil, fmt.Errorf("soap: body read without a decoded envelope: %w", xmlstream.ErrMalformed)
	}
	n, err := b.r.Next()
	if err != nil {
		if b.codec != nil {
			b.codec.noteQuota(err)
		}
		return nil, err
	}
	b.track(n)
	return n, nil
}

func (b *bodyReader) track(n *xmlstream.Node) {
	switch n.Kind {
	case xmlstream.EndElement:
		switch b.r.Depth() {
		case 1:
			b.state = bodyClosed
		case 0:
			b.state = envClosed
		}
	case xmlstream.EOF:
		b.state = atEOF
	}
}

// stale reports whether the decoding codec went Idle since: the reader is
// no longer this body's.
func (b *bodyReader) stale() bool { return b.codec != nil && b.codec.gen != b.gen }

func (b *bodyReader) LookupNamespace(prefix string) (string, bool) {
	if b.r == nil || b.stale() {
		return "", false
	}
	return b.r.LookupNamespace(prefix)
}

func (b *bodyReader) Depth() int {
	switch {
	case b.r == nil, b.stale():
		return 0
	case b.pending != nil:
		return 2 // inside s:Body, nothing of it returned yet
	}
	return b.r.Depth()
}

func isSpace(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\r', '\n':
		default:
			return false
		}
	}
	return true
}

// Details writes several fault detail entries in order (s:Detail may hold
// more than one, e.g. a:ProblemHeaderQName beside an application detail).
type Details []BodyWriter

// WriteBody writes each entry.
func (d Details) WriteBody(w xmlstream.Writer) error {
	for _, b := range d {
		if err := b.WriteBody(w); err != nil {
			return err
		}
	}
	return nil
}
