package soap

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/ipamd/ipamd/soap/textxml"
	"github.com/ipamd/ipamd/soap/xmlstream"
)

// SOAP 1.2 fault codes (local names in NSEnvelope).
const (
	CodeSender              = "Sender"
	CodeReceiver            = "Receiver"
	CodeMustUnderstand      = "MustUnderstand"
	CodeVersionMismatch     = "VersionMismatch"
	CodeDataEncodingUnknown = "DataEncodingUnknown"
)

// WS-Addressing 1.0 SOAP binding fault subcodes (NSAddressing) and WCF
// dispatcher subcodes (NSDispatcher).
const (
	SubcodeInvalidAddressingHeader         = "InvalidAddressingHeader"
	SubcodeInvalidCardinality              = "InvalidCardinality"
	SubcodeInvalidAddress                  = "InvalidAddress"
	SubcodeInvalidEPR                      = "InvalidEPR"
	SubcodeMissingAddressInEPR             = "MissingAddressInEPR"
	SubcodeMessageAddressingHeaderRequired = "MessageAddressingHeaderRequired"
	SubcodeActionNotSupported              = "ActionNotSupported"
	SubcodeDestinationUnreachable          = "DestinationUnreachable"
	SubcodeEndpointUnavailable             = "EndpointUnavailable"
	SubcodeInternalServiceFault            = "InternalServiceFault"
	SubcodeSessionTerminated               = "SessionTerminated"
)

// Sentinel errors wrapped by DecodeError.Err (besides xmlstream.ErrMalformed
// and xmlstream.ErrQuota for undecodable bytes).
var (
	ErrVersionMismatch = errors.New("envelope version does not match the encoding")
	ErrMustUnderstand  = errors.New("mustUnderstand header not understood")
	ErrAddressing      = errors.New("invalid or missing WS-Addressing header")
	ErrEnvelope        = errors.New("invalid SOAP envelope structure")
)

// Fault is a SOAP 1.2 fault: Code value, optional Subcode QName (and one
// nested Subsubcode in the same namespace, as WS-Addressing uses), Reason
// text, optional Detail.
type Fault struct {
	Code         string // local name in NSEnvelope: CodeSender etc.
	SubcodeSpace string
	Subcode      string
	Subsubcode   string // in SubcodeSpace; "" for none
	Reason       string
	Lang         string // xml:lang of Reason; "" = en-US
	Detail       BodyWriter

	// Action is the a:Action suggested for a message carrying this fault
	// (the WS-A fault action, WCF's defaults). A dispatcher may override it:
	// Mono only correlates faults that carry the operation's reply Action.
	Action string
	// Headers are header blocks that must accompany the fault
	// (s:NotUnderstood, s:Upgrade); Codec.Encode writes them.
	Headers []BodyWriter
}

// Error describes the fault as "soap fault Code[/Subcode]: Reason".
func (f *Fault) Error() string {
	var sb strings.Builder
	sb.WriteString("soap fault ")
	sb.WriteString(f.Code)
	if f.Subcode != "" {
		sb.WriteByte('/')
		sb.WriteString(f.Subcode)
		if f.Subsubcode != "" {
			sb.WriteByte('/')
			sb.WriteString(f.Subsubcode)
		}
	}
	sb.WriteString(": ")
	sb.WriteString(f.Reason)
	return sb.String()
}

// WriteBody writes the s:Fault element.
func (f *Fault) WriteBody(w xmlstream.Writer) error {
	if f == nil {
		return errors.New("soap: nil *Fault")
	}
	code := f.Code
	if code == "" {
		code = CodeReceiver
	}
	w.StartElement("s", "Fault", NSEnvelope)
	w.StartElement("s", "Code", NSEnvelope)
	w.StartElement("s", "Value", NSEnvelope)
	w.Text("s:" + code)
	w.EndElement()
	if f.Subcode != "" {
		w.StartElement("s", "Subcode", NSEnvelope)
		writeQNameValue(w, f.SubcodeSpace, f.Subcode)
		if f.Subsubcode != "" {
			w.StartElement("s", "Subcode", NSEnvelope)
			writeQNameValue(w, f.SubcodeSpace, f.Subsubcode)
			w.EndElement()
		}
		w.EndElement()
	}
	w.EndElement() // Code
	lang := f.Lang
	if lang == "" {
		lang = "en-US"
	}
	w.StartElement("s", "Reason", NSEnvelope)
	w.StartElement("s", "Text", NSEnvelope)
	w.Attr("xml", "lang", NSXML, lang)
	w.Text(f.Reason)
	w.EndElement()
	w.EndElement()
	if f.Detail != nil {
		if err := w.StartElement("s", "Detail", NSEnvelope); err != nil {
			return err
		}
		if err := f.Detail.WriteBody(w); err != nil {
			return fmt.Errorf("fault detail: %w", err)
		}
		w.EndElement()
	}
	return w.EndElement()
}

// writeBody11 writes the fault as SOAP 1.1 does: faultcode (s:Client,
// s:Server, or the most specific subcode QName, as WCF maps WS-Addressing
// faults), faultstring, detail.
func (f *Fault) writeBody11(w xmlstream.Writer) error {
	w.StartElement("s", "Fault", NSEnvelope11)
	w.StartElement("", "faultcode", "")
	switch {
	case f.Subsubcode != "":
		writeQNameText(w, f.SubcodeSpace, f.Subsubcode)
	case f.Subcode != "":
		writeQNameText(w, f.SubcodeSpace, f.Subcode)
	default:
		switch f.Code {
		case CodeSender:
			w.Text("s:Client")
		case CodeMustUnderstand, CodeVersionMismatch:
			w.Text("s:" + f.Code)
		default:
			w.Text("s:Server")
		}
	}
	w.EndElement()
	lang := f.Lang
	if lang == "" {
		lang = "en-US"
	}
	w.StartElement("", "faultstring", "")
	w.Attr("xml", "lang", NSXML, lang)
	w.Text(f.Reason)
	w.EndElement()
	if f.Detail != nil {
		if err := w.StartElement("", "detail", ""); err != nil {
			return err
		}
		if err := f.Detail.WriteBody(w); err != nil {
			return fmt.Errorf("fault detail: %w", err)
		}
		w.EndElement()
	}
	return w.EndElement()
}

// writeQNameText writes the text p:local with p declared on the current
// element (the SOAP 1.1 faultcode).
func writeQNameText(w xmlstream.Writer, space, local string) {
	switch space {
	case "":
		w.Text(local)
	case NSEnvelope11:
		w.Text("s:" + local)
	default:
		w.XmlnsAttr("a", space)
		w.Text("a:" + local)
	}
}

// writeQNameValue writes <s:Value>p:local</s:Value> with p declared on the
// element: s for the envelope namespace, otherwise a (as WCF does).
func writeQNameValue(w xmlstream.Writer, space, local string) {
	w.StartElement("s", "Value", NSEnvelope)
	switch space {
	case NSEnvelope:
		w.Text("s:" + local)
	case "":
		w.XmlnsAttr("", "")
		w.Text(local)
	default:
		w.XmlnsAttr("a", space)
		w.Text("a:" + local)
	}
	w.EndElement()
}

// SenderFault is a s:Sender fault (the message is at fault).
func SenderFault(reason string) *Fault {
	return &Fault{Code: CodeSender, Reason: reason, Action: ActionSOAPFault}
}

// ReceiverFault is a s:Receiver fault (the server is at fault).
func ReceiverFault(reason string) *Fault {
	return &Fault{Code: CodeReceiver, Reason: reason, Action: ActionSOAPFault}
}

// VersionMismatchFault answers a document that is not a SOAP 1.2 envelope;
// it carries the s:Upgrade header naming the envelope we support.
func VersionMismatchFault() *Fault {
	return &Fault{
		Code:    CodeVersionMismatch,
		Reason:  "The envelope version of the message is not supported; only SOAP 1.2 (" + NSEnvelope + ") is.",
		Action:  ActionSOAPFault,
		Headers: []BodyWriter{upgradeHeader{}},
	}
}

// MustUnderstandFault answers header blocks marked mustUnderstand that we do
// not understand; it carries one s:NotUnderstood header per block.
func MustUnderstandFault(notUnderstood ...xmlstream.Name) *Fault {
	f := &Fault{Code: CodeMustUnderstand, Action: ActionSOAPFault}
	if len(notUnderstood) > 0 {
		f.Reason = fmt.Sprintf("The header '%s' from the namespace '%s' was not understood by the recipient of this message.",
			Echo(notUnderstood[0].Local), Echo(notUnderstood[0].Space))
	} else {
		f.Reason = "A header marked mustUnderstand was not understood by the recipient of this message."
	}
	limit := echoLimit()
	for _, n := range notUnderstood {
		// A name cut short would be another name: longer ones are left out
		// of the s:NotUnderstood blocks (the reason still names the first).
		if len(n.Space)+len(n.Local) > limit {
			continue
		}
		f.Headers = append(f.Headers, notUnderstoodHeader{space: n.Space, local: n.Local})
	}
	return f
}

// AddressingFault is a WS-Addressing 1.0 fault: Sender with subcode
// a:<subcode> (and a:<subsubcode> inside when given).
func AddressingFault(subcode, subsubcode, reason string, detail BodyWriter) *Fault {
	return &Fault{
		Code: CodeSender, SubcodeSpace: NSAddressing, Subcode: subcode, Subsubcode: subsubcode,
		Reason: reason, Detail: detail, Action: ActionAddressingFault,
	}
}

// HeaderRequiredFault is a:MessageAddressingHeaderRequired for the missing
// header {space}local, with a:ProblemHeaderQName detail.
func HeaderRequiredFault(space, local string) *Fault {
	return AddressingFault(SubcodeMessageAddressingHeaderRequired, "",
		"A required header representing a Message Addressing Property is not present",
		problemHeader{space: space, local: local})
}

// InvalidHeaderFault is a:InvalidAddressingHeader (with an optional
// sub-subcode such as a:InvalidCardinality) for the header {space}local.
func InvalidHeaderFault(space, local, subsubcode string) *Fault {
	return AddressingFault(SubcodeInvalidAddressingHeader, subsubcode,
		"A header representing a Message Addressing Property is not valid and the message cannot be processed",
		problemHeader{space: space, local: local})
}

// ActionNotSupportedFault answers a message whose Action no operation of the
// endpoint handles (a:ActionNotSupported, a:ProblemAction detail).
// The action is echoed bounded (Echo).
func ActionNotSupportedFault(action string) *Fault {
	action = Echo(action)
	return AddressingFault(SubcodeActionNotSupported, "",
		fmt.Sprintf("The message with Action '%s' cannot be processed at the receiver.", action),
		problemAction(action))
}

// DestinationUnreachableFault answers a message whose a:To matches no
// endpoint.
func DestinationUnreachableFault(to string) *Fault {
	return AddressingFault(SubcodeDestinationUnreachable, "",
		fmt.Sprintf("No route can be determined to reach '%s'.", Echo(to)), nil)
}

// CheckTo refuses a message whose a:To names another endpoint than the one
// it reached (path, e.g. /ipam/IIpamAsyncProvision), as WCF's address filter
// does, with DestinationUnreachable: a client configured for one port type
// must not be served by the other. Only the path is compared,
// case-insensitively and without a trailing slash, as endpoints are routed;
// host, port and scheme legitimately differ behind proxies and port
// forwarding. An absent or anonymous a:To is the endpoint itself
// (WS-Addressing 1.0 §3.2). The HTTP transport applies it; over net.tcp the
// preamble's Via has already chosen the endpoint, and a client behind a
// relay (WCF ClientVia) addresses a:To to a path the relay maps, so it is
// not compared there.
func CheckTo(to, path string) *Fault {
	if to == "" || to == AddressAnonymous {
		return nil
	}
	u, err := url.Parse(to)
	if err == nil && strings.EqualFold(strings.TrimSuffix(u.Path, "/"), strings.TrimSuffix(path, "/")) {
		return nil
	}
	return DestinationUnreachableFault(to)
}

// InternalServiceFault is WCF's fault of last resort for an unhandled
// server error (Receiver, InternalServiceFault in the dispatcher namespace).
// A .NET client faults its sessionful channel on it.
func InternalServiceFault() *Fault {
	return &Fault{
		Code: CodeReceiver, SubcodeSpace: NSDispatcher, Subcode: SubcodeInternalServiceFault,
		Reason: "The server was unable to process the request due to an internal error.",
		Action: ActionDefaultFault,
	}
}

// TooLargeFault is the small fixed fault sent instead of a reply or
// callback that would exceed the message size limit (ErrMessageTooLarge).
func TooLargeFault() *Fault {
	return &Fault{
		Code: CodeReceiver, Action: ActionDefaultFault,
		Reason: "QuotaExceeded: the answer exceeds the maximum message size of this connection.",
	}
}

// SessionTerminatedFault answers a message sent after a terminating
// operation (Sender, SessionTerminated in the dispatcher namespace).
func SessionTerminatedFault() *Fault {
	return &Fault{
		Code: CodeSender, SubcodeSpace: NSDispatcher, Subcode: SubcodeSessionTerminated,
		Reason: "This session was terminated by a terminating operation; no further messages are accepted.",
		Action: ActionDefaultFault,
	}
}

// upgradeHeader is SOAP 1.2's s:Upgrade header block.
type upgradeHeader struct{}

func (upgradeHeader) WriteBody(w xmlstream.Writer) error {
	w.StartElement("s", "Upgrade", NSEnvelope)
	w.StartElement("s", "SupportedEnvelope", NSEnvelope)
	w.Attr("", "qname", "", "s:Envelope")
	w.EndElement()
	return w.EndElement()
}

// notUnderstoodHeader is SOAP 1.2's s:NotUnderstood header block.
type notUnderstoodHeader struct{ space, local string }

func (h notUnderstoodHeader) WriteBody(w xmlstream.Writer) error {
	w.StartElement("s", "NotUnderstood", NSEnvelope)
	qname := h.local
	if h.space == "" {
		w.XmlnsAttr("", "")
	} else {
		w.XmlnsAttr("h", h.space)
		qname = "h:" + h.local
	}
	w.Attr("", "qname", "", qname)
	return w.EndElement()
}

// problemHeader is the a:ProblemHeaderQName fault detail.
type problemHeader struct{ space, local string }

func (p problemHeader) WriteBody(w xmlstream.Writer) error {
	w.StartElement("a", "ProblemHeaderQName", NSAddressing)
	switch p.space {
	case NSAddressing:
		w.Text("a:" + p.local)
	case "":
		w.XmlnsAttr("", "")
		w.Text(p.local)
	default:
		w.XmlnsAttr("h", p.space)
		w.Text("h:" + p.local)
	}
	return w.EndElement()
}

// problemAction is the a:ProblemAction fault detail.
type problemAction string

func (p problemAction) WriteBody(w xmlstream.Writer) error {
	w.StartElement("a", "ProblemAction", NSAddressing)
	w.StartElement("a", "Action", NSAddressing)
	w.Text(string(p))
	w.EndElement()
	return w.EndElement()
}

// DecodeError is returned by Codec.Decode and Envelope.Finish: Fault is
// the SOAP fault to answer with, Header what was decoded before the
// problem (for a:RelatesTo / a:FaultTo of the answer).
type DecodeError struct {
	Fault  *Fault
	Header Header
	Err    error
	// Fatal means the connection's inbound decoding state (the NBFSE string
	// table) is lost: answer if you like, then close the session.
	Fatal bool
}

func (e *DecodeError) Error() string { return e.Err.Error() }
func (e *DecodeError) Unwrap() error { return e.Err }

// readError maps a reader error to a DecodeError.
func readError(where string, err error, h Header) *DecodeError {
	var de *DecodeError
	if errors.As(err, &de) {
		return de
	}
	f := malformedFault(err)
	return &DecodeError{Fault: f, Header: h, Err: fmt.Errorf("soap: reading %s: %w", where, err)}
}

func malformedFault(err error) *Fault {
	if errors.Is(err, xmlstream.ErrQuota) {
		return QuotaFault(err)
	}
	return SenderFault("The message could not be decoded: it is not well-formed.")
}

// QuotaFault is the Sender fault for a message that breaks a reader quota:
// its reason names the quota and its limit, never the client's content, so
// it stays small whatever the message held.
func QuotaFault(err error) *Fault {
	var qe *xmlstream.QuotaError
	if errors.As(err, &qe) {
		return SenderFault(fmt.Sprintf("QuotaExceeded: the message exceeds the receiver's %s quota (%d).", qe.Quota, qe.Limit))
	}
	return SenderFault("QuotaExceeded: the message exceeds a quota of the receiver.")
}

func envelopeError(h Header, format string, args ...any) *DecodeError {
	msg := Echo(fmt.Sprintf(format, args...))
	return &DecodeError{
		Fault:  SenderFault("The message is not a valid SOAP 1.2 envelope: " + msg + "."),
		Header: h,
		Err:    fmt.Errorf("soap: %s: %w", msg, ErrEnvelope),
	}
}

func mustUnderstandError(names []xmlstream.Name, h Header) *DecodeError {
	return &DecodeError{
		Fault:  MustUnderstandFault(names...),
		Header: h,
		Err:    fmt.Errorf("soap: header {%s}%s: %w", names[0].Space, names[0].Local, ErrMustUnderstand),
	}
}

func invalidHeaderError(name xmlstream.Name, bad error) *DecodeError {
	sub := ""
	switch bad {
	case errDuplicate:
		sub = SubcodeInvalidCardinality
	case errNoAddress:
		sub = SubcodeMissingAddressInEPR
	case errBadAddress:
		sub = SubcodeInvalidEPR
	case errNotText:
		sub = SubcodeInvalidAddress
	}
	return &DecodeError{
		Fault: InvalidHeaderFault(name.Space, name.Local, sub),
		Err:   fmt.Errorf("soap: header %s: %w: %w", name.Local, bad, ErrAddressing),
	}
}

// ReadFault parses an s:Fault from a body reader: the next node (after
// whitespace) must be the s:Fault StartElement; it reads through its end
// tag. It returns the fault and the s:Detail content re-encoded as text
// XML (nil without a detail); Fault.Detail replays that content. Nested
// subcodes below Subsubcode are ignored.
func ReadFault(r xmlstream.Reader) (*Fault, []byte, error) {
	n, err := nextNonSpace(r)
	if err != nil {
		return nil, nil, fmt.Errorf("soap: read fault: %w", err)
	}
	if n.Kind != xmlstream.StartElement || n.Name.Space != NSEnvelope || n.Name.Local != "Fault" {
		return nil, nil, fmt.Errorf("soap: read fault: got %s %q, want s:Fault: %w", n.Kind, n.Name.Local, ErrEnvelope)
	}
	f := &Fault{}
	var detail []byte
	var haveCode, haveReason bool
	for {
		n, err := nextNonSpace(r)
		if err != nil {
			return nil, nil, fmt.Errorf("soap: read fault: %w", err)
		}
		if n.Kind == xmlstream.EndElement {
			break
		}
		if n.Kind != xmlstream.StartElement || n.Name.Space != NSEnvelope {
			return nil, nil, fmt.Errorf("soap: read fault: unexpected %s %q: %w", n.Kind, n.Name.Local, ErrEnvelope)
		}
		switch n.Name.Local {
		case "Code":
			if err := readFaultCode(r, f, 0); err != nil {
				return nil, nil, fmt.Errorf("soap: read fault code: %w", err)
			}
			haveCode = true
		case "Reason":
			if err := readFaultReason(r, f); err != nil {
				return nil, nil, fmt.Errorf("soap: read fault reason: %w", err)
			}
			haveReason = true
		case "Detail":
			if detail, err = readDetail(r); err != nil {
				return nil, nil, fmt.Errorf("soap: read fault detail: %w", err)
			}
			if detail != nil {
				f.Detail = RawXML(detail)
			}
		default: // s:Node, s:Role
			if err := xmlstream.Skip(r); err != nil {
				return nil, nil, fmt.Errorf("soap: read fault: %w", err)
			}
		}
	}
	if !haveCode || !haveReason {
		return nil, nil, fmt.Errorf("soap: read fault: s:Code or s:Reason missing: %w", ErrEnvelope)
	}
	return f, detail, nil
}

func nextNonSpace(r xmlstream.Reader) (*xmlstream.Node, error) {
	for {
		n, err := r.Next()
		if err != nil {
			return nil, err
		}
		if n.Kind == xmlstream.Text && isSpace(n.Text) {
			continue
		}
		if n.Kind == xmlstream.EOF {
			return nil, fmt.Errorf("unexpected end of document: %w", xmlstream.ErrMalformed)
		}
		return n, nil
	}
}

// readFaultCode reads the content of s:Code (level 0) or s:Subcode.
func readFaultCode(r xmlstream.Reader, f *Fault, level int) error {
	haveValue := false
	for {
		n, err := nextNonSpace(r)
		if err != nil {
			return err
		}
		if n.Kind == xmlstream.EndElement {
			if !haveValue {
				return fmt.Errorf("s:Value missing: %w", ErrEnvelope)
			}
			return nil
		}
		if n.Kind != xmlstream.StartElement || n.Name.Space != NSEnvelope {
			return fmt.Errorf("unexpected %s %q: %w", n.Kind, n.Name.Local, ErrEnvelope)
		}
		switch n.Name.Local {
		case "Value":
			v, err := xmlstream.ReadText(r)
			if err != nil {
				return err
			}
			space, local, ok := resolveQName(r, strings.TrimSpace(v))
			if !ok {
				return fmt.Errorf("fault code %q: unbound prefix: %w", v, ErrEnvelope)
			}
			switch level {
			case 0:
				if space != NSEnvelope {
					return fmt.Errorf("fault code {%s}%s is not a SOAP 1.2 code: %w", space, local, ErrEnvelope)
				}
				f.Code = local
			case 1:
				f.SubcodeSpace, f.Subcode = space, local
			case 2:
				if space == f.SubcodeSpace {
					f.Subsubcode = local
				}
			}
			haveValue = true
		case "Subcode":
			if err := readFaultCode(r, f, level+1); err != nil {
				return err
			}
		default:
			if err := xmlstream.Skip(r); err != nil {
				return err
			}
		}
	}
}

// readFaultReason keeps the first s:Text, or the first English one.
func readFaultReason(r xmlstream.Reader, f *Fault) error {
	found := false
	for {
		n, err := nextNonSpace(r)
		if err != nil {
			return err
		}
		if n.Kind == xmlstream.EndElement {
			return nil
		}
		if n.Kind != xmlstream.StartElement {
			return fmt.Errorf("unexpected %s: %w", n.Kind, ErrEnvelope)
		}
		if n.Name.Space != NSEnvelope || n.Name.Local != "Text" {
			if err := xmlstream.Skip(r); err != nil {
				return err
			}
			continue
		}
		lang, _ := n.Attr(NSXML, "lang")
		text, err := xmlstream.ReadText(r)
		if err != nil {
			return err
		}
		english := strings.HasPrefix(strings.ToLower(lang), "en")
		if !found || (english && !strings.HasPrefix(strings.ToLower(f.Lang), "en")) {
			f.Reason, f.Lang, found = text, lang, true
		}
	}
}

// readDetail re-encodes the elements inside s:Detail as text XML.
func readDetail(r xmlstream.Reader) ([]byte, error) {
	var out []byte
	w := textxml.NewWriter(nil)
	for {
		n, err := nextNonSpace(r)
		if err != nil {
			return nil, err
		}
		switch n.Kind {
		case xmlstream.EndElement:
			return out, nil
		case xmlstream.Text:
			return nil, fmt.Errorf("text directly inside s:Detail: %w", ErrEnvelope)
		}
		w.Reset(out)
		if err := CopyElement(w, r, n); err != nil {
			return nil, err
		}
		if err := w.Close(); err != nil {
			return nil, err
		}
		out = w.Bytes()
	}
}

// resolveQName splits a QName value and resolves its prefix in the scope of
// the last StartElement of r (an unprefixed name takes the default
// namespace).
func resolveQName(r xmlstream.Reader, v string) (space, local string, ok bool) {
	prefix, local, found := strings.Cut(v, ":")
	if !found {
		prefix, local = "", v
	}
	if local == "" {
		return "", "", false
	}
	space, ok = r.LookupNamespace(prefix)
	switch {
	case ok:
		return space, local, true
	case prefix == "":
		return "", local, true
	}
	return "", "", false
}

// RawXML is a BodyWriter replaying a sequence of text-encoded XML elements
// (such as the detail returned by ReadFault) into any Writer.
type RawXML []byte

// WriteBody parses the elements and copies their nodes to w.
func (x RawXML) WriteBody(w xmlstream.Writer) error {
	doc := make([]byte, 0, len(x)+7)
	doc = append(append(append(doc, "<r>"...), x...), "</r>"...)
	r := textxml.NewReader(doc, textxml.Options{})
	if _, err := r.Next(); err != nil {
		return fmt.Errorf("raw XML: %w", err)
	}
	for {
		n, err := nextNonSpace(r)
		if err != nil {
			return fmt.Errorf("raw XML: %w", err)
		}
		switch n.Kind {
		case xmlstream.EndElement:
			return nil
		case xmlstream.Text:
			return fmt.Errorf("raw XML: text outside an element: %w", xmlstream.ErrMalformed)
		}
		if err := CopyElement(w, r, n); err != nil {
			return fmt.Errorf("raw XML: %w", err)
		}
	}
}

// CopyElement copies the element whose StartElement start was just read
// from r, through its end tag, to w. xmlstream does not report xmlns
// declarations, so prefixes that QName-valued content needs (xsi:type
// attribute values, text such as s:Value's) are declared on the copy when
// the value looks like a QName with a prefix bound in r.
func CopyElement(w xmlstream.Writer, r xmlstream.Reader, start *xmlstream.Node) error {
	depth := r.Depth() - 1
	n := start
	justStarted := false
	for {
		switch n.Kind {
		case xmlstream.StartElement:
			if err := w.StartElement(n.Name.Prefix, n.Name.Local, n.Name.Space); err != nil {
				return err
			}
			for i := range n.Attrs {
				a := &n.Attrs[i]
				if err := declareQNamePrefix(w, r, a.Value); err != nil {
					return err
				}
				if err := w.Attr(a.Name.Prefix, a.Name.Local, a.Name.Space, a.Value); err != nil {
					return err
				}
			}
		case xmlstream.EndElement:
			if err := w.EndElement(); err != nil {
				return err
			}
			if r.Depth() == depth {
				return nil
			}
		case xmlstream.Text:
			if justStarted {
				if err := declareQNamePrefix(w, r, n.Text); err != nil {
					return err
				}
			}
			if err := w.Text(n.Text); err != nil {
				return err
			}
		case xmlstream.EOF:
			return fmt.Errorf("soap: document ends inside an element: %w", xmlstream.ErrMalformed)
		}
		justStarted = n.Kind == xmlstream.StartElement
		var err error
		if n, err = r.Next(); err != nil {
			return err
		}
	}
}

// declareQNamePrefix declares p on the open start tag when v looks like
// the QName p:local and p is bound in r's current scope.
func declareQNamePrefix(w xmlstream.Writer, r xmlstream.Reader, v string) error {
	v = strings.TrimSpace(v)
	p, local, ok := strings.Cut(v, ":")
	if !ok || p == "" || local == "" || p == "xml" || p == "xmlns" || strings.ContainsAny(p, " \t\r\n/") || strings.ContainsAny(local, " \t\r\n/:") {
		return nil
	}
	space, ok := r.LookupNamespace(p)
	if !ok || space == "" {
		return nil
	}
	return w.XmlnsAttr(p, space)
}
