package ntlm

import (
	"crypto/rand"
	"crypto/rc4"
	"encoding/binary"
	"fmt"
	"io"
	"time"
)

// Client is the initiator side of NTLMv2, for `ipamd provision/convert
// --security negotiate` and for tests of the acceptor. Use one Client per
// authentication.
type Client struct {
	Domain, User string
	NTHash       [16]byte
	Workstation  string
	// Rand and Now default to crypto/rand and time.Now.
	Rand io.Reader
	Now  func() time.Time
	// Flags are the NEGOTIATE flags to offer; 0 = gss-ntlmssp's set
	// (clientFlags). Tests set it to play older or weaker clients.
	Flags uint32

	negotiate []byte
}

// clientFlags is what the client asks for (gss-ntlmssp's set).
const clientFlags = FlagUnicode | FlagRequestTarget | FlagSign | FlagSeal | FlagNTLM | FlagAlwaysSign |
	FlagExtendedSessionSecurity | FlagVersion | Flag128 | FlagKeyExch | Flag56

// Negotiate returns the NEGOTIATE message.
func (c *Client) Negotiate() []byte {
	b := append([]byte(nil), signature...)
	b = binary.LittleEndian.AppendUint32(b, 1)
	flags := c.Flags
	if flags == 0 {
		flags = clientFlags
	}
	b = binary.LittleEndian.AppendUint32(b, flags)
	b = append(b, make([]byte, 16)...) // empty domain and workstation fields
	b = append(b, 6, 2, 0, 0, 0, 0, 0, 15)
	c.negotiate = b
	return b
}

// Authenticate answers the server's CHALLENGE. With mic the message
// carries a MIC (and MsvAvFlags says so), as under SPNEGO.
func (c *Client) Authenticate(challenge []byte, mic bool) ([]byte, *Session, error) {
	if c.negotiate == nil {
		return nil, nil, ErrState
	}
	rnd := c.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	if err := header(challenge, 2, 48); err != nil {
		return nil, nil, err
	}
	flags := binary.LittleEndian.Uint32(challenge[20:])
	if flags&required != required {
		return nil, nil, fmt.Errorf("%w: server flags %#08x", ErrUnsupported, flags)
	}
	serverChallenge := challenge[24:32]
	ti, err := field(challenge, 40)
	if err != nil {
		return nil, nil, err
	}
	pairs, err := parseAVPairs(ti)
	if err != nil {
		return nil, nil, err
	}
	ts := pairs[avTimestamp]
	if len(ts) != 8 {
		now := time.Now
		if c.Now != nil {
			now = c.Now
		}
		ts = binary.LittleEndian.AppendUint64(nil, filetime(now()))
	}
	// The blob repeats the server's AV pairs (minus EOL), plus MsvAvFlags.
	blob := []byte{1, 1, 0, 0, 0, 0, 0, 0}
	blob = append(blob, ts...)
	cc := make([]byte, 8)
	if _, err := io.ReadFull(rnd, cc); err != nil {
		return nil, nil, fmt.Errorf("ntlm: client challenge: %w", err)
	}
	blob = append(blob, cc...)
	blob = append(blob, 0, 0, 0, 0)
	rest := ti
	for len(rest) >= 4 {
		id := binary.LittleEndian.Uint16(rest)
		n := int(binary.LittleEndian.Uint16(rest[2:]))
		if id == avEOL || id == avFlags {
			break
		}
		blob = append(blob, rest[:4+n]...)
		rest = rest[4+n:]
	}
	if mic {
		blob = appendAVPair(blob, avFlags, []byte{2, 0, 0, 0})
	}
	blob = appendAVPair(blob, avEOL, nil)
	blob = append(blob, 0, 0, 0, 0)

	key := ntowfv2(c.NTHash[:], c.User, c.Domain)
	proof := hmacMD5(key, serverChallenge, blob)
	sbk := hmacMD5(key, proof)
	exported, ersk := sbk, []byte(nil)
	if flags&FlagKeyExch != 0 {
		exported = make([]byte, 16)
		if _, err := io.ReadFull(rnd, exported); err != nil {
			return nil, nil, fmt.Errorf("ntlm: session key: %w", err)
		}
		ersk = make([]byte, 16)
		r, _ := rc4.NewCipher(sbk)
		r.XORKeyStream(ersk, exported)
	}

	const fixed = 88 // header, Version, MIC
	fields := [][]byte{make([]byte, 24), append(proof, blob...), toUTF16(c.Domain), toUTF16(c.User), toUTF16(c.Workstation), ersk}
	msg := append([]byte(nil), signature...)
	msg = binary.LittleEndian.AppendUint32(msg, 3)
	off := fixed
	for _, f := range fields {
		msg = binary.LittleEndian.AppendUint16(msg, uint16(len(f)))
		msg = binary.LittleEndian.AppendUint16(msg, uint16(len(f)))
		msg = binary.LittleEndian.AppendUint32(msg, uint32(off))
		off += len(f)
	}
	msg = binary.LittleEndian.AppendUint32(msg, flags)
	msg = append(msg, 6, 2, 0, 0, 0, 0, 0, 15)
	msg = append(msg, make([]byte, 16)...)
	for _, f := range fields {
		msg = append(msg, f...)
	}
	if mic {
		copy(msg[72:], hmacMD5(exported, c.negotiate, challenge, msg))
	}
	return msg, NewClientSession(exported, flags), nil
}
