package ntlm

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/rc4"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Errors an acceptor returns; callers map them to NNS HandshakeError codes.
var (
	// ErrLogonDenied: unknown user or wrong password (or MIC mismatch).
	ErrLogonDenied = errors.New("ntlm: logon denied")
	// ErrUnsupported: the client offers only what we refuse (NTLMv1,
	// anonymous, no sealing).
	ErrUnsupported = errors.New("ntlm: unsupported by policy")
	// ErrState: a message out of order.
	ErrState = errors.New("ntlm: message out of sequence")
	// ErrWeakKey: the client does not offer 128-bit session keys with
	// extended session security, so its sealing key would be 40 or 56
	// bits (or derived the NTLMv1 way). Wraps ErrUnsupported.
	ErrWeakKey = fmt.Errorf("%w: 128-bit keys with extended session security required (NTLMSSP_NEGOTIATE_128 and NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY)", ErrUnsupported)
)

// required are the flags a client must offer: NTLM, signing and sealing
// (EncryptAndSign) and Unicode strings; strongKey those without which the
// sealing key is weak (see ErrWeakKey).
const (
	required  = FlagUnicode | FlagNTLM | FlagSign | FlagSeal
	strongKey = Flag128 | FlagExtendedSessionSecurity
)

// checkFlags refuses what a client's NEGOTIATE or AUTHENTICATE flags (msg
// names which) lack: the key strength first, so a 40/56-bit client is told
// exactly that.
func checkFlags(msg string, flags uint32) error {
	if flags&strongKey != strongKey {
		return fmt.Errorf("%w: %s flags %#08x lack %#08x", ErrWeakKey, msg, flags, strongKey&^flags)
	}
	if flags&required != required {
		return fmt.Errorf("%w: %s flags %#08x lack %#08x", ErrUnsupported, msg, flags, required&^flags)
	}
	return nil
}

// offered is what the acceptor agrees to when the client asks.
const offered = FlagUnicode | FlagRequestTarget | FlagSign | FlagSeal | FlagNTLM | FlagAlwaysSign |
	FlagExtendedSessionSecurity | FlagVersion | Flag128 | FlagKeyExch | Flag56

// Config configures acceptors.
type Config struct {
	Accounts Accounts
	// Computer is the NetBIOS computer name sent as TargetName; Domain the
	// NetBIOS domain name; DNSComputer / DNSDomain their DNS forms. Clients
	// show them, the protocol does not depend on them.
	Computer, Domain, DNSComputer, DNSDomain string
	// Now and Rand default to time.Now and crypto/rand.
	Now  func() time.Time
	Rand io.Reader
}

// Acceptor runs one NTLM authentication: Challenge, then Authenticate.
type Acceptor struct {
	cfg             Config
	negotiate       []byte
	challenge       []byte
	serverChallenge [8]byte
	flags           uint32
}

// NewAcceptor starts an authentication.
func NewAcceptor(cfg Config) *Acceptor {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	return &Acceptor{cfg: cfg}
}

// Challenge answers the client's NEGOTIATE message with a CHALLENGE.
func (a *Acceptor) Challenge(negotiate []byte) ([]byte, error) {
	if a.challenge != nil {
		return nil, ErrState
	}
	n, err := parseNegotiate(negotiate)
	if err != nil {
		return nil, err
	}
	if err := checkFlags("NEGOTIATE", n.Flags); err != nil {
		return nil, err
	}
	p := challengeParams{
		Flags:       n.Flags&offered | FlagTargetInfo | FlagTargetTypeServer,
		TargetName:  a.cfg.Computer,
		Computer:    a.cfg.Computer,
		DNSDomain:   a.cfg.DNSDomain,
		DNSComputer: a.cfg.DNSComputer,
		Timestamp:   filetime(a.cfg.Now()),
	}
	p.Flags &^= Flag56 // 128-bit is required and wins ([MS-NLMP] 3.1.5.1.2 picks the strongest)
	if _, err := io.ReadFull(a.cfg.Rand, p.ServerChallenge[:]); err != nil {
		return nil, fmt.Errorf("ntlm: server challenge: %w", err)
	}
	a.negotiate = append([]byte(nil), negotiate...)
	a.challenge = marshalChallenge(p)
	a.serverChallenge = p.ServerChallenge
	a.flags = p.Flags
	return a.challenge, nil
}

// filetime is Windows FILETIME: 100 ns since 1601-01-01 UTC.
func filetime(t time.Time) uint64 {
	return uint64(t.UnixNano()/100) + 116444736000000000
}

// Result is an authenticated NTLM context.
type Result struct {
	// Domain and User are the account's canonical spelling (the account
	// file's), not the client's: NTLMv2 upper-cases the user name, so
	// IPAM\BoB and IPAM\bob are the same account and must name the same
	// caller.
	Domain, User string
	// MICPresent reports that the AUTHENTICATE carried a verified MIC
	// (MsvAvFlags bit 2): under SPNEGO the mechListMIC is then mandatory.
	MICPresent bool
	Session    *Session
}

// Name is DOMAIN\user.
func (r *Result) Name() string { return r.Domain + `\` + r.User }

// Authenticate verifies the client's AUTHENTICATE message.
func (a *Acceptor) Authenticate(msg []byte) (*Result, error) {
	if a.challenge == nil {
		return nil, ErrState
	}
	m, err := parseAuthenticate(msg)
	if err != nil {
		return nil, err
	}
	switch {
	case m.User == "" || len(m.NTResponse) == 0 || m.Flags&FlagAnonymous != 0:
		return nil, fmt.Errorf("%w: anonymous logon", ErrUnsupported)
	case m.NTProofStr == nil:
		return nil, fmt.Errorf("%w: NTLMv1 response from %s\\%s", ErrUnsupported, m.Domain, m.User)
	}
	if err := checkFlags("AUTHENTICATE", m.Flags); err != nil {
		return nil, err
	}
	acct, ok := a.cfg.Accounts.Lookup(m.Domain, m.User)
	// Unknown users go through the same computation with a zero key so the
	// answer takes the same time. NTOWFv2 takes the names as the client
	// sent them.
	key := ntowfv2(acct.NTHash[:], m.User, m.Domain)
	proof := hmacMD5(key, a.serverChallenge[:], m.Blob)
	if subtle.ConstantTimeCompare(proof, m.NTProofStr) != 1 || !ok {
		return nil, fmt.Errorf("%w: %s\\%s", ErrLogonDenied, m.Domain, m.User)
	}
	sessionBaseKey := hmacMD5(key, m.NTProofStr)
	exported := sessionBaseKey // KeyExchangeKey = SessionBaseKey for NTLMv2
	flags := m.Flags & a.flags
	if flags&FlagKeyExch != 0 {
		if len(m.EncryptedRandomSessionKey) != 16 {
			return nil, malformed("EncryptedRandomSessionKey of %d bytes", len(m.EncryptedRandomSessionKey))
		}
		c, _ := rc4.NewCipher(sessionBaseKey)
		exported = make([]byte, 16)
		c.XORKeyStream(exported, m.EncryptedRandomSessionKey)
	}
	r := &Result{Domain: acct.Domain, User: acct.User}
	if f, ok := m.AVPairs[avFlags]; ok && len(f) == 4 && binary.LittleEndian.Uint32(f)&2 != 0 {
		if m.MICOffset == 0 {
			return nil, malformed("MsvAvFlags announce a MIC but the message has none")
		}
		zeroed := append([]byte(nil), msg...)
		clear(zeroed[m.MICOffset : m.MICOffset+16])
		want := hmacMD5(exported, a.negotiate, a.challenge, zeroed)
		if subtle.ConstantTimeCompare(want, msg[m.MICOffset:m.MICOffset+16]) != 1 {
			return nil, fmt.Errorf("%w: MIC mismatch for %s\\%s", ErrLogonDenied, m.Domain, m.User)
		}
		r.MICPresent = true
	}
	r.Session = newSession(exported, flags, false)
	a.challenge, a.negotiate = nil, nil // one authentication per acceptor
	return r, nil
}

// ntowfv2 is NTOWFv2 = HMAC_MD5(NT hash, UTF16LE(UPPER(user) + domain)).
func ntowfv2(ntHash []byte, user, domain string) []byte {
	return hmacMD5(ntHash, toUTF16(strings.ToUpper(user)+domain))
}

func hmacMD5(key []byte, parts ...[]byte) []byte {
	h := hmac.New(md5.New, key)
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}
