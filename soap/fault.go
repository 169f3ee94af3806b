package soap

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

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
// not understand; it carries one s:NotUnderstood header per block. maxEcho
// is the echo bound (Limits.MaxEchoBytes; 0: the default) on the names.
func MustUnderstandFault(maxEcho int, notUnderstood ...xmlstream.Name) *Fault {
	echo := Limits{MaxEchoBytes: maxEcho}.Echo
	f := &Fault{Code: CodeMustUnderstand, Action: ActionSOAPFault}
	if len(notUnderstood) > 0 {
		f.Reason = fmt.Sprintf("The header '%s' from the namespace '%s' was not understood by the recipient of this message.",
			echo(notUnderstood[0].Local), echo(notUnderstood[0].Space))
	} else {
		f.Reason = "A header marked mustUnderstand was not understood by the recipient of this message."
	}
	limit := echoBound(maxEcho)
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
// The action is echoed bounded by maxEcho (Limits.MaxEchoBytes; 0: the
// default).
func ActionNotSupportedFault(action string, maxEcho int) *Fault {
	action = EchoMax(action, echoBound(maxEcho))
	return AddressingFault(SubcodeActionNotSupported, "",
		fmt.Sprintf("The message with Action '%s' cannot be processed at the receiver.", action),
		problemAction(action))
}

// DestinationUnreachableFault answers a message whose a:To matches no
// endpoint; to is echoed bounded by maxEcho (Limits.MaxEchoBytes; 0: the
// default).
func DestinationUnreachableFault(to string, maxEcho int) *Fault {
	return AddressingFault(SubcodeDestinationUnreachable, "",
		fmt.Sprintf("No route can be determined to reach '%s'.", EchoMax(to, echoBound(maxEcho))), nil)
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
// not compared there. maxEcho bounds the a:To the fault repeats.
func CheckTo(to, path string, maxEcho int) *Fault {
	if to == "" || to == AddressAnonymous {
		return nil
	}
	u, err := url.Parse(to)
	if err == nil && strings.EqualFold(strings.TrimSuffix(u.Path, "/"), strings.TrimSuffix(path, "/")) {
		return nil
	}
	return DestinationUnreachableFault(to, maxEcho)
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
