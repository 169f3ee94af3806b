// Package xmlstream is the XML infoset stream that both SOAP encodings share:
// the MC-NBFX binary reader/writer (soap/nbfx) and the SOAP 1.2 text
// reader/writer (soap/textxml) produce and consume the same Nodes, so the
// envelope model above them never knows which encoding a session negotiated.
//
// The stream is deliberately small: elements with their attributes, text, and
// end tags. Namespaces are resolved by the Reader; xmlns declarations are not
// reported as attributes but can be queried with LookupNamespace (needed for
// QName-valued attributes such as xsi:type).
package xmlstream

import (
	"errors"
	"fmt"
)

// Kind says what a Node is.
type Kind uint8

const (
	// StartElement opens an element; Node.Name and Node.Attrs are set.
	StartElement Kind = iota + 1
	// EndElement closes the innermost open element; Node.Name is set.
	EndElement
	// Text is character content; Node.Text is set. Adjacent text records may
	// be reported as separate Text nodes.
	Text
	// EOF follows the end tag of the document element.
	EOF
)

func (k Kind) String() string {
	switch k {
	case StartElement:
		return "StartElement"
	case EndElement:
		return "EndElement"
	case Text:
		return "Text"
	case EOF:
		return "EOF"
	}
	return "Kind(?)"
}

// Name is a namespace-qualified XML name as it appeared on the wire.
type Name struct {
	Prefix string // the prefix used on the wire ("" for the default namespace)
	Local  string
	Space  string // the resolved namespace URI ("" for none)
}

// Attr is one non-xmlns attribute with its resolved name.
type Attr struct {
	Name  Name
	Value string
}

// Node is one item of the stream. A Reader may reuse the Node (and its Attrs
// slice) on the next call to Next: copy what must outlive it.
type Node struct {
	Kind  Kind
	Name  Name
	Attrs []Attr
	Text  string
}

// Attr returns the value of the attribute with the given namespace and local
// name, and whether it was present.
func (n *Node) Attr(space, local string) (string, bool) {
	for i := range n.Attrs {
		if n.Attrs[i].Name.Local == local && n.Attrs[i].Name.Space == space {
			return n.Attrs[i].Value, true
		}
	}
	return "", false
}

// Reader yields the nodes of one XML document in order.
type Reader interface {
	// Next returns the next node. After the document element's end tag it
	// returns a Node of Kind EOF; malformed input yields an error wrapping
	// ErrMalformed, and the Reader must not be used afterwards.
	Next() (*Node, error)
	// LookupNamespace resolves a prefix in the scope of the most recently
	// returned StartElement ("" = default namespace). ok is false when the
	// prefix is not bound.
	LookupNamespace(prefix string) (ns string, ok bool)
	// Depth is the number of currently open elements.
	Depth() int
}

// Writer emits one XML document. Element and attribute prefixes are chosen by
// the caller; the Writer declares a namespace (xmlns / xmlns:p) when the prefix
// is not already bound to that namespace in scope. Methods stop at the first
// error, which every later call and Close return.
type Writer interface {
	StartElement(prefix, local, space string) error
	// Attr adds an attribute to the element just started (before any content).
	// An attribute with space "" is unqualified.
	Attr(prefix, local, space, value string) error
	// XmlnsAttr declares prefix (or the default namespace when prefix is "")
	// explicitly on the element just started.
	XmlnsAttr(prefix, space string) error
	// Text writes character content.
	Text(s string) error
	// EndElement closes the innermost open element.
	EndElement() error
	// Close checks that every element was closed and flushes the output.
	Close() error
}

// ErrMalformed is wrapped by every decoding error caused by the input bytes
// (as opposed to I/O or quota errors), so callers can answer with the
// protocol's fault for bad input.
var ErrMalformed = errors.New("malformed XML")

// ErrQuota is wrapped by errors raised when the input exceeds a configured
// limit (depth, string length, attribute count, session table size).
var ErrQuota = errors.New("XML quota exceeded")

// Reader quota names, as WCF's XmlDictionaryReaderQuotas and bindings call
// them where WCF has one (docs/security.md, "Resource budgets").
const (
	QuotaMaxDepth               = "MaxDepth"               // open elements
	QuotaMaxStringContentLength = "MaxStringContentLength" // one text content, attribute value or name
	QuotaMaxArrayLength         = "MaxArrayLength"         // items of one NBFX Array record
	QuotaMaxBytesPerRead        = "MaxBytesPerRead"        // decoded bytes of one start tag
	QuotaMaxAttributes          = "MaxAttributes"          // attributes of one start tag
	QuotaMaxDecodedBytes        = "MaxDecodedBytes"        // decoded characters of one message
	QuotaMaxSessionSize         = "MaxSessionSize"         // the NBFSE session string table
	QuotaMaxReceivedMessageSize = "MaxReceivedMessageSize" // encoded bytes of one message
	QuotaMaxHeaderSize          = "MaxHeaderSize"          // one WS-Addressing header value
)

// QuotaError is a quota violation: which quota, its limit, and where. It
// wraps ErrQuota, so errors.Is(err, ErrQuota) holds.
type QuotaError struct {
	Quota  string // a Quota* name
	Limit  int64
	Offset int64  // input offset, -1 when unknown
	Detail string // what broke it, without client content
}

func (e *QuotaError) Error() string {
	at := ""
	if e.Offset >= 0 {
		at = fmt.Sprintf(" at offset %d", e.Offset)
	}
	return fmt.Sprintf("%s quota (%d) exceeded%s: %s", e.Quota, e.Limit, at, e.Detail)
}

// Unwrap makes the error match ErrQuota.
func (e *QuotaError) Unwrap() error { return ErrQuota }

// QuotaName returns the quota a QuotaError in err's chain names, or "".
func QuotaName(err error) string {
	var qe *QuotaError
	if errors.As(err, &qe) {
		return qe.Quota
	}
	return ""
}
