package nmf

import (
	"errors"
	"fmt"
	"strings"
)

// Record types of [MC-NMF] 2.2.3, untyped for the byte-level code of this
// package; RecordType (framer.go) names the same values for other packages.
const (
	recVersion            = 0x00
	recMode               = 0x01
	recVia                = 0x02
	recKnownEncoding      = 0x03
	recExtensibleEncoding = 0x04
	recUnsizedEnvelope    = 0x05
	recSizedEnvelope      = 0x06
	recEnd                = 0x07
	recFault              = 0x08
	recUpgradeRequest     = 0x09
	recUpgradeResponse    = 0x0A
	recPreambleAck        = 0x0B
	recPreambleEnd        = 0x0C
)

// Mode is the framing mode carried by the Mode record.
type Mode byte

// Framing modes ([MC-NMF] 2.2.3.2). NetTcpBinding in buffered transfer mode
// always uses ModeDuplex, which is the only mode this server accepts.
const (
	ModeSingletonUnsized Mode = 1
	ModeDuplex           Mode = 2
	ModeSimplex          Mode = 3
	ModeSingletonSized   Mode = 4
)

func (m Mode) String() string {
	switch m {
	case ModeSingletonUnsized:
		return "singleton-unsized"
	case ModeDuplex:
		return "duplex"
	case ModeSimplex:
		return "simplex"
	case ModeSingletonSized:
		return "singleton-sized"
	}
	return fmt.Sprintf("mode(0x%02x)", byte(m))
}

// Encoding is the message encoding announced in the preamble.
type Encoding byte

// Known encodings ([MC-NMF] 2.2.3.4.1 plus the .NET 4.5 compression values
// that CoreWCF also decodes). NetTcpBinding sends EncodingBinarySession.
const (
	EncodingSOAP11UTF8           Encoding = 0x00
	EncodingSOAP11UTF16          Encoding = 0x01
	EncodingSOAP11UTF16BE        Encoding = 0x02
	EncodingSOAP12UTF8           Encoding = 0x03
	EncodingSOAP12UTF16          Encoding = 0x04
	EncodingSOAP12UTF16BE        Encoding = 0x05
	EncodingMTOM                 Encoding = 0x06
	EncodingBinary               Encoding = 0x07
	EncodingBinarySession        Encoding = 0x08
	EncodingBinaryGZip           Encoding = 0x09
	EncodingBinarySessionGZip    Encoding = 0x0A
	EncodingBinaryDeflate        Encoding = 0x0B
	EncodingBinarySessionDeflate Encoding = 0x0C

	// EncodingUnknown marks an Extensible Encoding record whose content type
	// is not one of the well-known ones; Preamble.ContentType has the string.
	// It is never a valid Known Encoding byte (those stop at 0x0C).
	EncodingUnknown Encoding = 0xFF
)

// encodingContentTypes are the content types .NET associates with each known
// encoding byte (FramingEncodingString in FramingFormat.cs).
var encodingContentTypes = [...]string{
	EncodingSOAP11UTF8:           "text/xml; charset=utf-8",
	EncodingSOAP11UTF16:          "text/xml; charset=utf16",
	EncodingSOAP11UTF16BE:        "text/xml; charset=unicodeFFFE",
	EncodingSOAP12UTF8:           "application/soap+xml; charset=utf-8",
	EncodingSOAP12UTF16:          "application/soap+xml; charset=utf16",
	EncodingSOAP12UTF16BE:        "application/soap+xml; charset=unicodeFFFE",
	EncodingMTOM:                 "multipart/related",
	EncodingBinary:               "application/soap+msbin1",
	EncodingBinarySession:        "application/soap+msbinsession1",
	EncodingBinaryGZip:           "application/soap+msbin1+gzip",
	EncodingBinarySessionGZip:    "application/soap+msbinsession1+gzip",
	EncodingBinaryDeflate:        "application/soap+msbin1+deflate",
	EncodingBinarySessionDeflate: "application/soap+msbinsession1+deflate",
}

// ContentType returns the content type .NET uses for a known encoding, or ""
// for EncodingUnknown and undefined values.
func (e Encoding) ContentType() string {
	if int(e) < len(encodingContentTypes) {
		return encodingContentTypes[e]
	}
	return ""
}

func (e Encoding) String() string {
	if ct := e.ContentType(); ct != "" {
		return ct
	}
	if e == EncodingUnknown {
		return "unknown"
	}
	return fmt.Sprintf("encoding(0x%02x)", byte(e))
}

// encodingForContentType maps the content type of an Extensible Encoding
// record to a known Encoding. Comparison ignores ASCII case and blanks around
// the ';' so "application/soap+xml;charset=UTF-8" matches as WCF's encoders
// would accept it.
func encodingForContentType(ct string) Encoding {
	norm := normalizeContentType(ct)
	for i, known := range encodingContentTypes {
		if norm == normalizeContentType(known) {
			return Encoding(i)
		}
	}
	return EncodingUnknown
}

func normalizeContentType(ct string) string {
	parts := strings.Split(ct, ";")
	for i, p := range parts {
		parts[i] = strings.ToLower(strings.TrimSpace(p))
	}
	return strings.Join(parts, ";")
}

// FaultBase is the common prefix of the framing fault URIs ([MC-NMF] 2.2.5).
const FaultBase = "http://schemas.microsoft.com/ws/2006/05/framing/faults/"

// Framing fault URIs, spelled exactly as .NET's FaultStringDecoder expects
// (note the "Fault" suffix only on MaxMessageSizeExceededFault).
const (
	FaultContentTypeInvalid       = FaultBase + "ContentTypeInvalid"
	FaultContentTypeTooLong       = FaultBase + "ContentTypeTooLong"
	FaultConnectionDispatchFailed = FaultBase + "ConnectionDispatchFailed"
	FaultEndpointNotFound         = FaultBase + "EndpointNotFound"
	FaultEndpointUnavailable      = FaultBase + "EndpointUnavailable"
	FaultMaxMessageSizeExceeded   = FaultBase + "MaxMessageSizeExceededFault"
	FaultServerTooBusy            = FaultBase + "ServerTooBusy"
	FaultServiceActivationFailed  = FaultBase + "ServiceActivationFailed"
	FaultUnsupportedMode          = FaultBase + "UnsupportedMode"
	FaultUnsupportedVersion       = FaultBase + "UnsupportedVersion"
	FaultUpgradeInvalid           = FaultBase + "UpgradeInvalid"
	FaultViaTooLong               = FaultBase + "ViaTooLong"
)

// maxFaultLength is the most a .NET client reads of a fault string
// (FaultStringDecoder.FaultSizeQuota); longer ones make it fail differently.
const maxFaultLength = 256

// FaultError is the typed error for a framing fault this server sent, or
// would have sent had the output still been open. URI is the fault string;
// Err says what was wrong with the client's bytes.
type FaultError struct {
	URI string
	Err error
}

func (e *FaultError) Error() string {
	name := strings.TrimPrefix(e.URI, FaultBase)
	if e.Err == nil {
		return "nmf: framing fault " + name
	}
	return "nmf: framing fault " + name + ": " + e.Err.Error()
}

func (e *FaultError) Unwrap() error { return e.Err }

func newFault(uri string, format string, args ...any) *FaultError {
	return &FaultError{URI: uri, Err: fmt.Errorf(format, args...)}
}

// Sentinel errors.
var (
	// ErrOutputClosed: the session already sent its End or Fault record.
	ErrOutputClosed = errors.New("nmf: session output closed")
	// ErrPeerEnded: the client sent its End; only our End may follow.
	ErrPeerEnded = errors.New("nmf: the client ended the session: only End may follow")
	// ErrAborted: the connection was closed by Session.Abort, Server.Shutdown
	// or a failed write (a partial record leaves the stream unusable).
	ErrAborted = errors.New("nmf: connection aborted")
	// ErrIdleTimeout: no complete record arrived within Options.IdleTimeout;
	// the connection has been aborted.
	ErrIdleTimeout = errors.New("nmf: idle timeout")
	// ErrSizeTooLarge: an MB31 size whose 5th byte has any of bits 0xF8 set,
	// i.e. a value above 2^31-1 ([MC-NMF] 2.2.2, .NET IntDecoder).
	ErrSizeTooLarge = errors.New("nmf: record size does not fit in 31 bits")
	// ErrServerClosed is returned by Serve after Shutdown.
	ErrServerClosed = errors.New("nmf: server closed")
	// errNoEnd: the peer closed the connection in the middle of a session.
	errNoEnd = errors.New("nmf: connection closed without End record")
)

// maxMB31 is the largest value MB31 can carry.
const maxMB31 = 1<<31 - 1

// validFaultURI reports whether uri can be sent in a Fault record that a .NET
// client will read.
func validFaultURI(uri string) error {
	if uri == "" || len(uri) > maxFaultLength {
		return fmt.Errorf("nmf: fault URI length %d outside 1..%d", len(uri), maxFaultLength)
	}
	return nil
}
