// Package attack crafts the message-level attacks of the hostile suite
// (test/hostile) and of the reader quota tests: payloads a client can send
// after the MC-NMF preamble (or POST over HTTP) that cost the receiver far
// more than they cost the sender — expansion through the [MC-NBFSE] session
// dictionary, huge header values, deep nesting, long strings. It writes the
// bytes by hand so that no encoder of the project can refuse to produce
// them. See docs/security.md, "Resource budgets".
package attack

import (
	"encoding/binary"
	"strings"

	"github.com/ipamd/ipamd/duplex/nmf"
)

// Namespaces of the envelopes built here.
const (
	NSEnvelope   = "http://www.w3.org/2003/05/soap-envelope"
	NSAddressing = "http://www.w3.org/2005/08/addressing"
	// ActionKeepalive is [MS-IPAMM2]'s Keepalive: the receiver reads its
	// headers only, so header attacks use it.
	ActionKeepalive = "Microsoft.WindowsServerSolutions.Common.ProviderFramework.Keepalive"
	// ActionInitialize is InitializeAsyncProvisioning: the receiver reads
	// the body of an authorized caller's request, so body attacks use it.
	ActionInitialize = "http://Microsoft.Windows.Ipam/IIpamAsyncProvision/InitializeAsyncProvisioning"
)

// Place says where an expansion message repeats its dictionary references.
type Place int

// Places of the expansion.
const (
	InAction    Place = iota // DictionaryText records as the text of a:Action
	InBodyText               // DictionaryText records as the text of a body element
	InList                   // StartListText … EndListText of DictionaryText records
	InAttribute              // attribute values, each a DictionaryText record, on many elements
	InHeader                 // an unknown header block's text (skipped by the receiver)
	InElements               // one reference as the text of each of many small elements
)

// String names a place, for subtests.
func (p Place) String() string {
	return [...]string{"action", "body-text", "list", "attribute", "unknown-header", "elements"}[p]
}

// Places are all expansion places.
var Places = []Place{InAction, InBodyText, InList, InAttribute, InHeader, InElements}

// mb31 appends a MultiByteInt31 ([MC-NBFX] uses MC-NMF's encoding).
func mb31(b []byte, v int) []byte { return nmf.AppendMB31(b, v) }

func str(b []byte, s string) []byte { return append(mb31(b, len(s)), s...) }

// element appends an Element record (0x41) with an inline prefix and name.
func element(b []byte, prefix, local string) []byte {
	return str(str(append(b, 0x41), prefix), local)
}

func xmlns(b []byte, prefix, uri string) []byte { return str(str(append(b, 0x09), prefix), uri) }

// chars appends text as Chars32 (0x9C).
func chars(b []byte, s string) []byte {
	b = append(b, 0x9C)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// SessionString returns the session dictionary string the expansion
// messages reference: n bytes that fit a session table of tableBytes
// (MB31 length + UTF-8 per string, [MC-NBFSE]).
func SessionString(tableBytes int) string {
	n := tableBytes - 3
	if n < 1 {
		n = 1
	}
	return strings.Repeat("A", n)
}

func sessionTable(s string) []byte {
	entry := str(nil, s)
	return append(mb31(nil, len(entry)), entry...)
}

// NSIpam is the namespace of the MS-IPAMM2 operations.
const NSIpam = "http://Microsoft.Windows.Ipam"

// operation opens <InitializeAsyncProvisioning xmlns="…Ipam">: a body the
// receiver starts to decode, so what is inside it is read.
func operation(b []byte) []byte {
	b = append(str(append(b, 0x40), "InitializeAsyncProvisioning"), 0x08) // ShortElement, ShortXmlnsAttribute
	return str(b, NSIpam)
}

// envelopeStart opens s:Envelope (with s and a declared) and s:Header.
func envelopeStart(b []byte) []byte {
	b = element(b, "s", "Envelope")
	b = xmlns(b, "s", NSEnvelope)
	b = xmlns(b, "a", NSAddressing)
	return element(b, "s", "Header")
}

// Expansion returns an application/soap+msbinsession1 payload of at most
// size bytes: a session table with one string of about tableBytes, then an
// envelope that references it (DictionaryText, 2 bytes: 0xAA 0x01) as often
// as fits at place. Decoded naively it is ~tableBytes/2 times its size.
func Expansion(place Place, size, tableBytes int) []byte {
	b := sessionTable(SessionString(tableBytes))
	b = envelopeStart(b)
	const tail = 64 // room for closing records
	ref := func(b []byte) []byte { return append(b, 0xAA, 0x01) }
	switch place {
	case InAction:
		b = element(b, "a", "Action")
		for len(b)+2 < size-tail {
			b = ref(b)
		}
		b = append(b, 0x01, 0x01) // </a:Action></s:Header>
		b = element(b, "s", "Body")
		b = append(b, 0x01)
	case InHeader:
		b = element(b, "a", "Action")
		b = chars(b, ActionKeepalive)
		b = append(b, 0x01)
		b = element(b, "x", "Pad")
		b = xmlns(b, "x", "urn:pad")
		for len(b)+2 < size-tail {
			b = ref(b)
		}
		b = append(b, 0x01, 0x01)
		b = element(b, "s", "Body")
		b = append(b, 0x01)
	default:
		b = element(b, "a", "Action")
		b = chars(b, ActionInitialize)
		b = append(b, 0x01, 0x01)
		b = element(b, "s", "Body")
		b = operation(b)
		b = element(b, "x", "Pad")
		b = xmlns(b, "x", "urn:pad")
		switch place {
		case InBodyText:
			for len(b)+2 < size-tail {
				b = ref(b)
			}
		case InList:
			b = append(b, 0xA4)
			for len(b)+2 < size-tail {
				b = ref(b)
			}
			b = append(b, 0xA6)
		case InElements:
			for len(b)+6 < size-tail {
				b = append(b, 0x40, 0x01, 'e', 0xAB, 0x01) // <e>ref</e> (DictionaryTextWithEndElement)
			}
		case InAttribute:
			// <x:P a0=ref a1=ref …/> repeated: 26 attributes per element.
			for len(b)+2*26*3+8 < size-tail {
				b = element(b, "x", "P")
				for i := 0; i < 26; i++ {
					b = append(b, 0x04, 0x01, byte('a'+i)) // ShortAttribute, inline name
					b = ref(b)
				}
				b = append(b, 0x01)
			}
		}
		b = append(b, 0x01, 0x01, 0x01) // </x:Pad></InitializeAsyncProvisioning></s:Body>
	}
	return append(b, 0x01) // </s:Envelope>
}

// LongAction returns an msbinsession1 payload (empty session table) whose
// a:Action is n bytes of inline text: an unknown action the receiver must
// not echo whole.
func LongAction(n int) []byte {
	b := envelopeStart([]byte{0x00})
	b = element(b, "a", "Action")
	b = chars(b, "urn:x:"+strings.Repeat("x", max(n-6, 0)))
	b = append(b, 0x01, 0x01)
	b = element(b, "s", "Body")
	return append(b, 0x01, 0x01)
}

// LongHeader returns an msbinsession1 payload with a Keepalive a:Action
// and an a:MessageID of n bytes (a header value that would be echoed as
// a:RelatesTo).
func LongHeader(n int) []byte {
	b := envelopeStart([]byte{0x00})
	b = element(b, "a", "Action")
	b = chars(b, ActionKeepalive)
	b = append(b, 0x01)
	b = element(b, "a", "MessageID")
	b = chars(b, "urn:uuid:"+strings.Repeat("0", max(n-9, 0)))
	b = append(b, 0x01, 0x01)
	b = element(b, "s", "Body")
	return append(b, 0x01, 0x01)
}

// Deep returns an msbinsession1 payload (empty session table): an
// InitializeAsyncProvisioning with depth nested elements in the body.
func Deep(depth int) []byte {
	b := envelopeStart([]byte{0x00})
	b = element(b, "a", "Action")
	b = chars(b, ActionInitialize)
	b = append(b, 0x01, 0x01)
	b = element(b, "s", "Body")
	b = operation(b)
	for i := 0; i < depth; i++ {
		b = append(b, 0x40, 0x01, 'd') // ShortElement <d>
	}
	for i := 0; i < depth+3; i++ {
		b = append(b, 0x01)
	}
	return b
}

// LongString returns an msbinsession1 payload (empty session table): an
// InitializeAsyncProvisioning whose body holds one text of n bytes.
func LongString(n int) []byte {
	b := envelopeStart([]byte{0x00})
	b = element(b, "a", "Action")
	b = chars(b, ActionInitialize)
	b = append(b, 0x01, 0x01)
	b = element(b, "s", "Body")
	b = operation(b)
	b = append(b, 0x40, 0x01, 't')
	b = chars(b, strings.Repeat("t", n))
	return append(b, 0x01, 0x01, 0x01, 0x01)
}

// Text attacks: the same classes for the SOAP 1.2 text encoding
// (application/soap+xml over HTTP, or net.tcp's text encoding).

func textEnvelope(headers, body string) []byte {
	return []byte(`<s:Envelope xmlns:s="` + NSEnvelope + `" xmlns:a="` + NSAddressing + `"><s:Header>` +
		headers + `</s:Header><s:Body>` + body + `</s:Body></s:Envelope>`)
}

const (
	textKeepalive  = `<a:Action s:mustUnderstand="1">` + ActionKeepalive + `</a:Action>`
	textInitialize = `<a:Action s:mustUnderstand="1">` + ActionInitialize + `</a:Action>`
)

// TextLongAction is LongAction in the text encoding.
func TextLongAction(n int) []byte {
	return textEnvelope(`<a:Action>urn:x:`+strings.Repeat("x", max(n-6, 0))+`</a:Action>`, "")
}

// TextLongHeader is LongHeader in the text encoding, with an a:ReplyTo.
func TextLongHeader(n int, replyTo string) []byte {
	return textEnvelope(textKeepalive+`<a:MessageID>urn:uuid:`+strings.Repeat("0", max(n-9, 0))+`</a:MessageID>`+
		`<a:ReplyTo><a:Address>`+replyTo+`</a:Address></a:ReplyTo>`, "")
}

// TextDeep is Deep in the text encoding.
func TextDeep(depth int) []byte {
	return textEnvelope(textInitialize, `<InitializeAsyncProvisioning xmlns="`+NSIpam+`">`+
		strings.Repeat("<d>", depth)+strings.Repeat("</d>", depth)+`</InitializeAsyncProvisioning>`)
}

// TextLongString is LongString in the text encoding.
func TextLongString(n int) []byte {
	return textEnvelope(textInitialize, `<InitializeAsyncProvisioning xmlns="`+NSIpam+`"><t>`+
		strings.Repeat("t", n)+`</t></InitializeAsyncProvisioning>`)
}

// TextCommentSplit is text that many comments split into pieces: readers
// that join the pieces must bound the joined text, not each piece.
func TextCommentSplit(n int) []byte {
	var sb strings.Builder
	for sb.Len() < n {
		sb.WriteString("0123456789abcdef<!---->")
	}
	return textEnvelope(`<a:Action>`+sb.String()+`</a:Action>`, "")
}
