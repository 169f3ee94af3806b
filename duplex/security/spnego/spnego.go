// Package spnego decodes and encodes the SPNEGO tokens ([RFC 4178],
// [MS-SPNG]) that WCF's NegotiateStream wraps around Kerberos and NTLM:
// the initiator's NegTokenInit inside a GSS-API InitialContextToken, and
// NegTokenResp in both directions. It knows nothing about the mechanisms;
// the caller picks one and computes the mechListMIC over MechTypesDER.
//
// Tokens are unauthenticated input: decoding uses encoding/asn1 (DER,
// bounded by the token) and rejects trailing data and tokens above
// MaxTokenSize.
//
// [RFC 4178]: https://www.rfc-editor.org/rfc/rfc4178
// [MS-SPNG]: https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-spng/
package spnego

import (
	"bytes"
	"encoding/asn1"
	"errors"
	"fmt"
)

// MaxTokenSize bounds a token (an NNS handshake payload is at most 65535).
const MaxTokenSize = 64 << 10

// Mechanism OIDs.
var (
	OIDSPNEGO = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 2}
	OIDKRB5   = asn1.ObjectIdentifier{1, 2, 840, 113554, 1, 2, 2}
	// OIDMSKRB5 is the Kerberos OID Windows lists first (a historical
	// mis-encoding of OIDKRB5); it means Kerberos too.
	OIDMSKRB5 = asn1.ObjectIdentifier{1, 2, 840, 48018, 1, 2, 2}
	OIDNTLM   = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 2, 2, 10}
)

// NegState values of NegTokenResp.
type NegState int

const (
	AcceptCompleted  NegState = 0
	AcceptIncomplete NegState = 1
	Reject           NegState = 2
	RequestMIC       NegState = 3
	// NegStateAbsent marks a decoded NegTokenResp without negState.
	NegStateAbsent NegState = -1
)

// ErrMalformed is wrapped by every decoding error.
var ErrMalformed = errors.New("spnego: malformed token")

// Init is a decoded NegTokenInit.
type Init struct {
	MechTypes []asn1.ObjectIdentifier
	// MechTypesDER is the DER of the MechTypeList exactly as the client
	// sent it: what both mechListMICs are computed over.
	MechTypesDER []byte
	MechToken    []byte // optimistic token of MechTypes[0], may be nil
	MechListMIC  []byte
}

// Resp is a NegTokenResp.
type Resp struct {
	State         NegState // NegStateAbsent when decoded without one
	SupportedMech asn1.ObjectIdentifier
	ResponseToken []byte
	MechListMIC   []byte
}

type negTokenInit struct {
	MechTypes   []asn1.ObjectIdentifier `asn1:"explicit,tag:0"`
	ReqFlags    asn1.BitString          `asn1:"explicit,optional,tag:1"`
	MechToken   []byte                  `asn1:"explicit,optional,tag:2"`
	MechListMIC []byte                  `asn1:"explicit,optional,tag:3"`
}

type negTokenResp struct {
	NegState      asn1.RawValue         `asn1:"explicit,optional,tag:0"`
	SupportedMech asn1.ObjectIdentifier `asn1:"explicit,optional,tag:1"`
	ResponseToken []byte                `asn1:"explicit,optional,tag:2"`
	MechListMIC   []byte                `asn1:"explicit,optional,tag:3"`
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// unmarshalAll decodes one DER value that must fill b.
func unmarshalAll(b []byte, v any, params string) error {
	rest, err := asn1.UnmarshalWithParams(b, v, params)
	if err != nil {
		return malformed("%v", err)
	}
	if len(rest) != 0 {
		return malformed("%d bytes after the token", len(rest))
	}
	return nil
}

// IsInit reports whether tok looks like a SPNEGO InitialContextToken
// (rather than a raw Kerberos or NTLM token).
func IsInit(tok []byte) bool {
	var outer asn1.RawValue
	if _, err := asn1.Unmarshal(tok, &outer); err != nil || outer.Class != asn1.ClassApplication || outer.Tag != 0 {
		return false
	}
	var oid asn1.ObjectIdentifier
	_, err := asn1.Unmarshal(outer.Bytes, &oid)
	return err == nil && oid.Equal(OIDSPNEGO)
}

// ParseInit decodes the initiator's first token: [APPLICATION 0] { OID
// spnego, [0] NegTokenInit }.
func ParseInit(tok []byte) (*Init, error) {
	if len(tok) > MaxTokenSize {
		return nil, malformed("%d bytes", len(tok))
	}
	var outer asn1.RawValue
	if err := unmarshalAll(tok, &outer, ""); err != nil {
		return nil, err
	}
	if outer.Class != asn1.ClassApplication || outer.Tag != 0 || !outer.IsCompound {
		return nil, malformed("not a GSS-API InitialContextToken")
	}
	var oid asn1.ObjectIdentifier
	rest, err := asn1.Unmarshal(outer.Bytes, &oid)
	if err != nil || !oid.Equal(OIDSPNEGO) {
		return nil, malformed("mechanism is not SPNEGO")
	}
	var choice asn1.RawValue
	if err := unmarshalAll(rest, &choice, ""); err != nil {
		return nil, err
	}
	if choice.Class != asn1.ClassContextSpecific || choice.Tag != 0 {
		return nil, malformed("NegotiationToken is not negTokenInit")
	}
	var nti negTokenInit
	if err := unmarshalAll(choice.Bytes, &nti, ""); err != nil {
		return nil, err
	}
	in := &Init{MechTypes: nti.MechTypes, MechToken: nti.MechToken, MechListMIC: nti.MechListMIC}
	// The raw MechTypeList: the first element ([0]) of the sequence.
	var seq, first asn1.RawValue
	if _, err := asn1.Unmarshal(choice.Bytes, &seq); err != nil {
		return nil, malformed("%v", err)
	}
	if _, err := asn1.Unmarshal(seq.Bytes, &first); err != nil {
		return nil, malformed("%v", err)
	}
	in.MechTypesDER = first.Bytes
	if len(in.MechTypes) == 0 {
		return nil, malformed("empty mechTypes")
	}
	return in, nil
}

// ParseResp decodes a NegTokenResp: [1] NegTokenResp.
func ParseResp(tok []byte) (*Resp, error) {
	if len(tok) > MaxTokenSize {
		return nil, malformed("%d bytes", len(tok))
	}
	var choice asn1.RawValue
	if err := unmarshalAll(tok, &choice, ""); err != nil {
		return nil, err
	}
	if choice.Class != asn1.ClassContextSpecific || choice.Tag != 1 {
		return nil, malformed("NegotiationToken is not negTokenResp")
	}
	var ntr negTokenResp
	if err := unmarshalAll(choice.Bytes, &ntr, ""); err != nil {
		return nil, err
	}
	r := &Resp{State: NegStateAbsent, SupportedMech: ntr.SupportedMech, ResponseToken: ntr.ResponseToken, MechListMIC: ntr.MechListMIC}
	if len(ntr.NegState.FullBytes) > 0 {
		var e asn1.Enumerated
		if err := unmarshalAll(ntr.NegState.Bytes, &e, ""); err != nil {
			return nil, err
		}
		if e < 0 || e > 3 {
			return nil, malformed("negState %d", e)
		}
		r.State = NegState(e)
	}
	return r, nil
}

// Marshal encodes r as [1] NegTokenResp. Unlike encoding/asn1's optional
// fields, negState accept-completed (0) is written, as Windows and MIT do.
func (r *Resp) Marshal() []byte {
	var body []byte
	if r.State != NegStateAbsent {
		e, _ := asn1.Marshal(asn1.Enumerated(r.State))
		body = append(body, tlv(0xa0, e)...)
	}
	if len(r.SupportedMech) > 0 {
		o, _ := asn1.Marshal(r.SupportedMech)
		body = append(body, tlv(0xa1, o)...)
	}
	if r.ResponseToken != nil {
		body = append(body, tlv(0xa2, tlv(0x04, r.ResponseToken))...)
	}
	if r.MechListMIC != nil {
		body = append(body, tlv(0xa3, tlv(0x04, r.MechListMIC))...)
	}
	return tlv(0xa1, tlv(0x30, body))
}

// MarshalInit encodes an initiator token (for Go clients and tests);
// mechToken and mechListMIC are omitted when nil.
func MarshalInit(mechs []asn1.ObjectIdentifier, mechToken, mechListMIC []byte) ([]byte, error) {
	list, err := asn1.Marshal(mechs)
	if err != nil {
		return nil, fmt.Errorf("spnego: mechTypes: %w", err)
	}
	body := tlv(0xa0, list)
	if mechToken != nil {
		body = append(body, tlv(0xa2, tlv(0x04, mechToken))...)
	}
	if mechListMIC != nil {
		body = append(body, tlv(0xa3, tlv(0x04, mechListMIC))...)
	}
	oid, _ := asn1.Marshal(OIDSPNEGO)
	return tlv(0x60, append(oid, tlv(0xa0, tlv(0x30, body))...)), nil
}

// tlv writes one DER element with a definite length.
func tlv(tag byte, content []byte) []byte {
	var b bytes.Buffer
	b.WriteByte(tag)
	n := len(content)
	switch {
	case n < 0x80:
		b.WriteByte(byte(n))
	case n < 0x100:
		b.Write([]byte{0x81, byte(n)})
	case n < 0x10000:
		b.Write([]byte{0x82, byte(n >> 8), byte(n)})
	default:
		b.Write([]byte{0x83, byte(n >> 16), byte(n >> 8), byte(n)})
	}
	b.Write(content)
	return b.Bytes()
}
