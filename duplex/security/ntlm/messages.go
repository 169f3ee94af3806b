package ntlm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf16"
)

// MaxMessageSize bounds an NTLM message (NNS handshake payloads are at most
// 65535 bytes anyway; real AUTHENTICATE messages are well below 2 KiB).
const MaxMessageSize = 16 << 10

// Negotiate flags ([MS-NLMP] 2.2.2.5) this package reads or sets.
const (
	FlagUnicode                 = 0x00000001
	FlagRequestTarget           = 0x00000004
	FlagSign                    = 0x00000010
	FlagSeal                    = 0x00000020
	FlagLMKey                   = 0x00000080
	FlagNTLM                    = 0x00000200
	FlagAnonymous               = 0x00000800
	FlagAlwaysSign              = 0x00008000
	FlagTargetTypeDomain        = 0x00010000
	FlagTargetTypeServer        = 0x00020000
	FlagExtendedSessionSecurity = 0x00080000
	FlagTargetInfo              = 0x00800000
	FlagVersion                 = 0x02000000
	Flag128                     = 0x20000000
	FlagKeyExch                 = 0x40000000
	Flag56                      = 0x80000000
)

// AV pair ids ([MS-NLMP] 2.2.2.1).
const (
	avEOL             = 0
	avNbComputerName  = 1
	avNbDomainName    = 2
	avDNSComputerName = 3
	avDNSDomainName   = 4
	avFlags           = 6
	avTimestamp       = 7
)

var signature = []byte("NTLMSSP\x00")

// ErrMalformed is wrapped by every decoding error.
var ErrMalformed = errors.New("ntlm: malformed message")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// header checks the signature and message type and the size bound.
func header(msg []byte, typ uint32, minLen int) error {
	if len(msg) > MaxMessageSize {
		return malformed("%d bytes exceed %d", len(msg), MaxMessageSize)
	}
	if len(msg) < minLen {
		return malformed("%d bytes, want at least %d", len(msg), minLen)
	}
	if !bytes.Equal(msg[:8], signature) {
		return malformed("bad signature")
	}
	if t := binary.LittleEndian.Uint32(msg[8:]); t != typ {
		return malformed("message type %d, want %d", t, typ)
	}
	return nil
}

// field returns the payload a (len, maxlen, offset) field descriptor at off
// points to, bounds-checked.
func field(msg []byte, off int) ([]byte, error) {
	n := int(binary.LittleEndian.Uint16(msg[off:]))
	o := int(binary.LittleEndian.Uint32(msg[off+4:]))
	if n == 0 {
		return nil, nil
	}
	if o < 0 || o > len(msg) || n > len(msg)-o {
		return nil, malformed("field at %d: %d bytes at offset %d outside %d-byte message", off, n, o, len(msg))
	}
	return msg[o : o+n], nil
}

// negotiateMessage is the client's first message (type 1).
type negotiateMessage struct {
	Flags uint32
}

func parseNegotiate(msg []byte) (*negotiateMessage, error) {
	if err := header(msg, 1, 16); err != nil {
		return nil, err
	}
	return &negotiateMessage{Flags: binary.LittleEndian.Uint32(msg[12:])}, nil
}

// authenticateMessage is the client's last message (type 3).
type authenticateMessage struct {
	Flags                      uint32
	LMResponse, NTResponse     []byte
	Domain, User, Workstation  string
	EncryptedRandomSessionKey  []byte
	MICOffset                  int // offset of the 16-byte MIC if the message has room for one, else 0
	NTProofStr                 []byte
	Blob                       []byte // the NTLMv2 client challenge structure after NTProofStr
	AVPairs                    map[uint16][]byte
	ClientChallenge, Timestamp []byte
}

func parseAuthenticate(msg []byte) (*authenticateMessage, error) {
	if err := header(msg, 3, 64); err != nil {
		return nil, err
	}
	a := &authenticateMessage{Flags: binary.LittleEndian.Uint32(msg[60:])}
	var err error
	if a.LMResponse, err = field(msg, 12); err != nil {
		return nil, err
	}
	if a.NTResponse, err = field(msg, 20); err != nil {
		return nil, err
	}
	var dom, user, ws []byte
	if dom, err = field(msg, 28); err != nil {
		return nil, err
	}
	if user, err = field(msg, 36); err != nil {
		return nil, err
	}
	if ws, err = field(msg, 44); err != nil {
		return nil, err
	}
	if a.EncryptedRandomSessionKey, err = field(msg, 52); err != nil {
		return nil, err
	}
	if a.Flags&FlagUnicode == 0 {
		return nil, malformed("OEM strings not supported")
	}
	if a.Domain, err = fromUTF16(dom); err != nil {
		return nil, err
	}
	if a.User, err = fromUTF16(user); err != nil {
		return nil, err
	}
	if a.Workstation, err = fromUTF16(ws); err != nil {
		return nil, err
	}
	// The payload starts after the fixed fields; the MIC (16 bytes at 72,
	// after the 8-byte Version) exists only if the payload starts at 88 or
	// later. Whether it must be checked is said by MsvAvFlags.
	first := len(msg)
	for _, off := range []int{12, 20, 28, 36, 44, 52} {
		if binary.LittleEndian.Uint16(msg[off:]) > 0 {
			first = min(first, int(binary.LittleEndian.Uint32(msg[off+4:])))
		}
	}
	if first >= 88 {
		a.MICOffset = 72
	}
	if len(a.NTResponse) == 24 || len(a.NTResponse) == 0 {
		return a, nil // NTLMv1 or anonymous: refused by the acceptor
	}
	// NTLMv2: NTProofStr(16) | RespType(1)=1 HiRespType(1)=1 Reserved(6)
	// TimeStamp(8) ChallengeFromClient(8) Reserved(4) AvPairs.
	if len(a.NTResponse) < 16+28 {
		return nil, malformed("NTLMv2 response of %d bytes", len(a.NTResponse))
	}
	a.NTProofStr = a.NTResponse[:16]
	a.Blob = a.NTResponse[16:]
	if a.Blob[0] != 1 || a.Blob[1] != 1 {
		return nil, malformed("NTLMv2 response version %d.%d", a.Blob[0], a.Blob[1])
	}
	a.Timestamp = a.Blob[8:16]
	a.ClientChallenge = a.Blob[16:24]
	if a.AVPairs, err = parseAVPairs(a.Blob[28:]); err != nil {
		return nil, err
	}
	return a, nil
}

// parseAVPairs reads AV pairs up to MsvAvEOL; trailing bytes (Windows pads
// with zeros) are ignored. Duplicates are malformed.
func parseAVPairs(b []byte) (map[uint16][]byte, error) {
	out := map[uint16][]byte{}
	for {
		if len(b) < 4 {
			return nil, malformed("AV pairs not terminated")
		}
		id := binary.LittleEndian.Uint16(b)
		n := int(binary.LittleEndian.Uint16(b[2:]))
		if id == avEOL {
			return out, nil
		}
		if n > len(b)-4 {
			return nil, malformed("AV pair %d of %d bytes overruns", id, n)
		}
		if _, dup := out[id]; dup {
			return nil, malformed("AV pair %d repeated", id)
		}
		out[id] = b[4 : 4+n]
		b = b[4+n:]
	}
}

func appendAVPair(b []byte, id uint16, v []byte) []byte {
	b = binary.LittleEndian.AppendUint16(b, id)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(v)))
	return append(b, v...)
}

func toUTF16(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 0, 2*len(u))
	for _, c := range u {
		b = binary.LittleEndian.AppendUint16(b, c)
	}
	return b
}

func fromUTF16(b []byte) (string, error) {
	if len(b)%2 != 0 {
		return "", malformed("odd-length UTF-16 string")
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u)), nil
}

// challengeParams is what a CHALLENGE message says.
type challengeParams struct {
	Flags           uint32
	ServerChallenge [8]byte
	TargetName      string // NetBIOS domain name
	Computer        string // NetBIOS computer name
	DNSDomain       string
	DNSComputer     string
	Timestamp       uint64 // FILETIME
}

// marshalChallenge builds a CHALLENGE message (type 2) with TargetInfo and
// the Version field (6.2 build 0, NTLM revision 15, as Windows 8+ and
// gss-ntlmssp send).
func marshalChallenge(p challengeParams) []byte {
	target := toUTF16(p.TargetName)
	var ti []byte
	ti = appendAVPair(ti, avNbComputerName, toUTF16(p.Computer))
	ti = appendAVPair(ti, avNbDomainName, toUTF16(p.TargetName))
	ti = appendAVPair(ti, avDNSComputerName, toUTF16(p.DNSComputer))
	ti = appendAVPair(ti, avDNSDomainName, toUTF16(p.DNSDomain))
	ti = appendAVPair(ti, avTimestamp, binary.LittleEndian.AppendUint64(nil, p.Timestamp))
	ti = appendAVPair(ti, avEOL, nil)

	const fixed = 56
	b := make([]byte, 0, fixed+len(target)+len(ti))
	b = append(b, signature...)
	b = binary.LittleEndian.AppendUint32(b, 2)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(target)))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(target)))
	b = binary.LittleEndian.AppendUint32(b, fixed)
	b = binary.LittleEndian.AppendUint32(b, p.Flags)
	b = append(b, p.ServerChallenge[:]...)
	b = append(b, make([]byte, 8)...)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(ti)))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(ti)))
	b = binary.LittleEndian.AppendUint32(b, uint32(fixed+len(target)))
	b = append(b, 6, 2, 0, 0, 0, 0, 0, 15)
	b = append(b, target...)
	return append(b, ti...)
}

// serverChallengeOf returns the server challenge of a CHALLENGE message.
func serverChallengeOf(msg []byte) ([8]byte, error) {
	var c [8]byte
	if err := header(msg, 2, 32); err != nil {
		return c, err
	}
	copy(c[:], msg[24:32])
	return c, nil
}
