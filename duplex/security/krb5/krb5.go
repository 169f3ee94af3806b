// Package krb5 is the Kerberos V5 GSS-API acceptor ([RFC 4121]) that
// NegotiateStream needs on top of gokrb5: gokrb5 verifies the AP-REQ
// against the service keytab (ticket decryption, times, authenticator,
// replay cache, PAC); this package names the client from the ticket's
// encrypted part and refuses an authenticator that names another client or
// realm (gokrb5 compares names only) and clients of realms not trusted,
// parses the GSS checksum (RFC 4121 4.1.1), answers mutual authentication with an AP-REP carrying a fresh
// acceptor subkey and sequence number, and seals and unseals RFC 4121
// Wrap tokens with confidentiality, accepting both the RRC 0 layout (MIT
// gss_wrap) and rotated ones (Windows SSPI EncryptMessage, RRC 28).
//
// [RFC 4121]: https://www.rfc-editor.org/rfc/rfc4121
package krb5

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/asn1"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"slices"
	"strconv"
	"time"
	"unicode"

	gasn1 "github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/asn1tools"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/pac"
	"github.com/jcmturner/gokrb5/v8/service"
	"github.com/jcmturner/gokrb5/v8/types"
)

// OID is the Kerberos V5 GSS-API mechanism.
var OID = asn1.ObjectIdentifier{1, 2, 840, 113554, 1, 2, 2}

// GSS checksum flags (RFC 4121 4.1.1.1).
const (
	flagMutual = 0x02
	flagConf   = 0x10
	flagInteg  = 0x20
)

// Errors; callers map ErrLogonDenied to SEC_E_LOGON_DENIED.
var (
	ErrMalformed   = errors.New("krb5: malformed token")
	ErrLogonDenied = errors.New("krb5: AP-REQ refused")
	ErrUnsupported = errors.New("krb5: unsupported by policy")
	ErrIntegrity   = errors.New("krb5: wrap token integrity check failed")
	// ErrBadMatch (KRB_AP_ERR_BADMATCH): the authenticator names another
	// client (name or realm) than the ticket. The client writes the
	// authenticator itself, so only the ticket can name it.
	ErrBadMatch = fmt.Errorf("%w: KRB_AP_ERR_BADMATCH", ErrLogonDenied)
	// ErrRealmNotTrusted: the ticket's client realm is neither the
	// service's nor one of Config.TrustedRealms.
	ErrRealmNotTrusted = fmt.Errorf("%w: client realm not trusted", ErrLogonDenied)
)

// Config configures the acceptor.
type Config struct {
	Keytab *keytab.Keytab
	// TrustedRealms are the realms besides the service's own (the realm of
	// the ticket's service principal, whose key is in the keytab) whose
	// principals are accepted: a cross-realm trust lets every principal
	// of the other realm get a ticket for us, which does not make them
	// callers we want. Compared exactly, as realm names are
	// case-sensitive (RFC 4120 6.1).
	TrustedRealms []string
	// MaxClockSkew defaults to 5 minutes (tests of recorded tickets raise
	// it, gokrb5 has no clock hook).
	MaxClockSkew time.Duration
}

// Context is an established acceptor context.
type Context struct {
	// Client is name@REALM as the ticket's encrypted part (EncTicketPart
	// cname and crealm, written by the KDC) says, never as the
	// authenticator does; SIDs come from the ticket's PAC (user SID
	// first), empty when the KDC sent none (MIT).
	Client string
	SIDs   []string

	key types.EncryptionKey // acceptor subkey: both directions
	// initKey is the initiator's subkey (else the ticket session key): a
	// token the initiator made before it saw the AP-REP (a mechListMIC in
	// the NegTokenInit) can only be keyed with it. Acceptor side only.
	initKey  types.EncryptionKey
	sendSeq  uint64
	recvSeq  uint64
	sealSend uint32
	sealRecv uint32
	// initiator marks the client's view (tests, a future Go client): it
	// sends without and expects tokens with the SentByAcceptor flag.
	initiator bool
}

// Accept verifies a GSS krb5 initial token ([APPLICATION 0] OID, TOK_ID
// 01 00, AP-REQ) from remote and returns the GSS token with the AP-REP.
func Accept(cfg Config, token []byte, remote net.Addr) (reply []byte, ctx *Context, err error) {
	apreqDER, err := unframe(token, 0x0100)
	if err != nil {
		return nil, nil, err
	}
	var apreq messages.APReq
	if err := safely(func() error { return apreq.Unmarshal(apreqDER) }); err != nil {
		return nil, nil, fmt.Errorf("%w: AP-REQ: %v", ErrMalformed, err)
	}
	skew := cfg.MaxClockSkew
	if skew <= 0 {
		skew = 5 * time.Minute
	}
	// PAC decoding is ours (below): gokrb5's refuses PACs without logon
	// info, which MIT KDCs issue.
	opts := []func(*service.Settings){service.MaxClockSkew(skew), service.DecodePAC(false)}
	if ta, ok := remote.(*net.TCPAddr); ok {
		opts = append(opts, service.ClientAddress(types.HostAddressFromNetIP(ta.IP)))
	}
	settings := service.NewSettings(cfg.Keytab, opts...)
	var ok bool
	err = safely(func() (err error) { ok, _, err = service.VerifyAPREQ(&apreq, settings); return err })
	if err != nil || !ok {
		return nil, nil, fmt.Errorf("%w: %v", ErrLogonDenied, err)
	}
	auth := apreq.Authenticator
	tkt := apreq.Ticket.DecryptedEncPart
	// gokrb5 compares the names only; the realm decides who the name is.
	if !auth.CName.Equal(tkt.CName) || auth.CRealm != tkt.CRealm {
		return nil, nil, fmt.Errorf("%w: authenticator names %s@%s, the ticket %s@%s", ErrBadMatch,
			printable(auth.CName.PrincipalNameString()), printable(auth.CRealm),
			printable(tkt.CName.PrincipalNameString()), printable(tkt.CRealm))
	}
	if tkt.CRealm != apreq.Ticket.Realm && !slices.Contains(cfg.TrustedRealms, tkt.CRealm) {
		return nil, nil, fmt.Errorf("%w: %s@%s (the service's realm is %s; see security.negotiate.kerberos_trusted_realms)",
			ErrRealmNotTrusted, printable(tkt.CName.PrincipalNameString()), printable(tkt.CRealm), printable(apreq.Ticket.Realm))
	}
	if auth.Cksum.CksumType != 0x8003 || len(auth.Cksum.Checksum) < 24 {
		return nil, nil, fmt.Errorf("%w: authenticator without GSS checksum", ErrUnsupported)
	}
	gssFlags := binary.LittleEndian.Uint32(auth.Cksum.Checksum[20:24])
	if gssFlags&(flagMutual|flagConf|flagInteg) != flagMutual|flagConf|flagInteg {
		return nil, nil, fmt.Errorf("%w: GSS flags %#x lack mutual authentication, confidentiality or integrity", ErrUnsupported, gssFlags)
	}

	baseKey := apreq.Ticket.DecryptedEncPart.Key
	if auth.SubKey.KeyType != 0 {
		baseKey = auth.SubKey
	}
	et, err := crypto.GetEtype(baseKey.KeyType)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
	subkey, err := types.GenerateEncryptionKey(et)
	if err != nil {
		return nil, nil, fmt.Errorf("krb5: subkey: %w", err)
	}
	n, err := rand.Int(rand.Reader, big.NewInt(1<<30))
	if err != nil {
		return nil, nil, fmt.Errorf("krb5: sequence number: %w", err)
	}
	ctx = &Context{
		Client:   tkt.CName.PrincipalNameString() + "@" + tkt.CRealm,
		key:      subkey,
		initKey:  baseKey,
		sendSeq:  n.Uint64(),
		recvSeq:  uint64(uint32(auth.SeqNumber)),
		sealSend: keyusage.GSSAPI_ACCEPTOR_SEAL,
		sealRecv: keyusage.GSSAPI_INITIATOR_SEAL,
	}
	if ctx.SIDs, err = pacSIDs(cfg.Keytab, &apreq); err != nil {
		return nil, nil, fmt.Errorf("%w: PAC: %v", ErrLogonDenied, err)
	}

	enc, err := gasn1.Marshal(messages.EncAPRepPart{
		CTime: auth.CTime, Cusec: auth.Cusec, Subkey: subkey, SequenceNumber: int64(ctx.sendSeq),
	})
	if err != nil {
		return nil, nil, fmt.Errorf("krb5: marshal EncAPRepPart: %w", err)
	}
	ed, err := crypto.GetEncryptedData(asn1tools.AddASNAppTag(enc, 27), apreq.Ticket.DecryptedEncPart.Key, keyusage.AP_REP_ENCPART, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("krb5: encrypt AP-REP: %w", err)
	}
	rep, err := gasn1.Marshal(messages.APRep{PVNO: 5, MsgType: 15, EncPart: ed})
	if err != nil {
		return nil, nil, fmt.Errorf("krb5: marshal AP-REP: %w", err)
	}
	return frame(asn1tools.AddASNAppTag(rep, 15), 0x0200), ctx, nil
}

// pacSIDs returns the user and group SIDs of the ticket's PAC, verified
// with the service key. A PAC without logon information (MIT KDCs) yields
// none; any other PAC that does not verify refuses the ticket.
func pacSIDs(kt *keytab.Keytab, apreq *messages.APReq) ([]string, error) {
	var (
		isPAC bool
		p     pac.PACType
		perr  error
	)
	if err := safely(func() error {
		isPAC, p, perr = apreq.Ticket.GetPACType(kt, nil, log.New(io.Discard, "", 0))
		return nil
	}); err != nil {
		return nil, err
	}
	switch {
	case !isPAC:
		return nil, nil
	case p.KerbValidationInfo == nil:
		return nil, nil // nothing to grant from
	case perr != nil:
		return nil, perr
	}
	v := p.KerbValidationInfo
	sids := []string{v.LogonDomainID.String() + "-" + strconv.FormatUint(uint64(v.UserID), 10)}
	return append(sids, v.GetGroupMembershipSIDs()...), nil
}

// printable bounds a name from a ticket or authenticator for an error
// message: at most 64 runes, non-printable ones as '?'.
func printable(s string) string {
	r := []rune(s)
	if len(r) > 64 {
		r = append(r[:64], '…')
	}
	for i, c := range r {
		if !unicode.IsPrint(c) {
			r[i] = '?'
		}
	}
	return string(r)
}

// safely runs a gokrb5 call on unauthenticated input, turning a panic (its
// decoders do not bound every slice) into ErrMalformed.
func safely(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", ErrMalformed, r)
		}
	}()
	return f()
}

// IsToken reports whether tok is a framed krb5 mechanism token.
func IsToken(tok []byte) bool {
	_, err := unframe(tok, -1)
	return err == nil
}

// unframe strips the RFC 2743 3.1 token framing and checks TOK_ID (-1:
// any).
func unframe(tok []byte, tokID int) ([]byte, error) {
	var outer asn1.RawValue
	rest, err := asn1.Unmarshal(tok, &outer)
	if err != nil || len(rest) != 0 || outer.Class != asn1.ClassApplication || outer.Tag != 0 {
		return nil, fmt.Errorf("%w: not a GSS-API token", ErrMalformed)
	}
	var oid asn1.ObjectIdentifier
	body, err := asn1.Unmarshal(outer.Bytes, &oid)
	if err != nil || !oid.Equal(OID) {
		return nil, fmt.Errorf("%w: not a Kerberos V5 token", ErrMalformed)
	}
	if len(body) < 2 || (tokID >= 0 && int(binary.BigEndian.Uint16(body)) != tokID) {
		return nil, fmt.Errorf("%w: token id", ErrMalformed)
	}
	return body[2:], nil
}

func frame(inner []byte, tokID uint16) []byte {
	oid, _ := asn1.Marshal(OID)
	body := append(oid, byte(tokID>>8), byte(tokID))
	body = append(body, inner...)
	raw, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassApplication, Tag: 0, IsCompound: true, Bytes: body})
	return raw
}

// Wrap token flags (RFC 4121 4.2.2).
const (
	wrapSentByAcceptor = 0x01
	wrapSealed         = 0x02
	wrapAcceptorSubkey = 0x04
	wrapHeaderSize     = 16
)

// Wrap seals plain as an acceptor Wrap token (RRC 0, EC 0), the layout MIT
// gss_wrap produces and gss_unwrap, SSPI DecryptMessage and gokrb5-based
// peers all accept.
func (c *Context) Wrap(plain []byte) ([]byte, error) {
	flags := byte(wrapSealed | wrapAcceptorSubkey)
	if !c.initiator {
		flags |= wrapSentByAcceptor
	}
	hdr := c.header(flags, c.sendSeq)
	et, err := crypto.GetEtype(c.key.KeyType)
	if err != nil {
		return nil, err
	}
	_, ct, err := et.EncryptMessage(c.key.KeyValue, append(append([]byte(nil), plain...), hdr...), c.sealSend)
	if err != nil {
		return nil, fmt.Errorf("krb5: seal: %w", err)
	}
	c.sendSeq++
	return append(hdr, ct...), nil
}

func (c *Context) header(flags byte, seq uint64) []byte {
	h := []byte{0x05, 0x04, flags, 0xFF, 0, 0, 0, 0}
	return binary.BigEndian.AppendUint64(h, seq)
}

// Unwrap verifies and decrypts the peer's Wrap token: sealed, keyed
// with the acceptor subkey, carrying the next sequence number. Any RRC is
// accepted.
func (c *Context) Unwrap(tok []byte) ([]byte, error) {
	if len(tok) < wrapHeaderSize || tok[0] != 0x05 || tok[1] != 0x04 || tok[3] != 0xFF {
		return nil, fmt.Errorf("%w: not a Wrap token", ErrMalformed)
	}
	flags := tok[2]
	if (flags&wrapSentByAcceptor != 0) != c.initiator {
		return nil, fmt.Errorf("%w: token from the wrong side (reflected)", ErrIntegrity)
	}
	if flags&wrapSealed == 0 || flags&wrapAcceptorSubkey == 0 {
		return nil, fmt.Errorf("%w: flags %#x: want sealed with the acceptor subkey", ErrUnsupported, flags)
	}
	ec := int(binary.BigEndian.Uint16(tok[4:]))
	rrc := int(binary.BigEndian.Uint16(tok[6:]))
	seq := binary.BigEndian.Uint64(tok[8:])
	ct := append([]byte(nil), tok[wrapHeaderSize:]...)
	if len(ct) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrMalformed)
	}
	if r := rrc % len(ct); r != 0 {
		// Undo the right rotation: the first r bytes belong at the end.
		ct = append(ct[r:], ct[:r]...)
	}
	et, err := crypto.GetEtype(c.key.KeyType)
	if err != nil {
		return nil, err
	}
	// gokrb5 slices without checking (it panics on short input).
	if min := et.GetConfounderByteSize() + et.GetHMACBitLength()/8 + wrapHeaderSize; len(ct) < min {
		return nil, fmt.Errorf("%w: %d bytes of ciphertext, want at least %d", ErrIntegrity, len(ct), min)
	}
	var pt []byte
	err = safely(func() (err error) { pt, err = et.DecryptMessage(c.key.KeyValue, ct, c.sealRecv); return err })
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrIntegrity, err)
	}
	if len(pt) < wrapHeaderSize+ec {
		return nil, fmt.Errorf("%w: %d plaintext bytes for EC %d", ErrMalformed, len(pt), ec)
	}
	// The encrypted header copy must match, with RRC zero.
	want := append([]byte(nil), tok[:wrapHeaderSize]...)
	want[6], want[7] = 0, 0
	if subtle.ConstantTimeCompare(pt[len(pt)-wrapHeaderSize:], want) != 1 {
		return nil, fmt.Errorf("%w: header copy differs", ErrIntegrity)
	}
	if seq != c.recvSeq {
		return nil, fmt.Errorf("%w: sequence %d, want %d (replayed or reordered)", ErrIntegrity, seq, c.recvSeq)
	}
	c.recvSeq++
	return pt[:len(pt)-wrapHeaderSize-ec], nil
}

// MIC token (RFC 4121 4.2.6.1).
const (
	micTokenID  = 0x0404
	micHdrSize  = 16
	micMaxToken = micHdrSize + 64
)

// GetMIC returns a MIC token over msg with the next send sequence number,
// keyed with the acceptor subkey: what SPNEGO's mechListMIC carries.
func (c *Context) GetMIC(msg []byte) ([]byte, error) {
	flags := byte(wrapAcceptorSubkey)
	usage := uint32(keyusage.GSSAPI_INITIATOR_SIGN)
	if !c.initiator {
		flags |= wrapSentByAcceptor
		usage = keyusage.GSSAPI_ACCEPTOR_SIGN
	}
	hdr := []byte{micTokenID >> 8, micTokenID & 0xFF, flags, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}
	hdr = binary.BigEndian.AppendUint64(hdr, c.sendSeq)
	sum, err := micChecksum(c.key, usage, msg, hdr)
	if err != nil {
		return nil, err
	}
	c.sendSeq++
	return append(hdr, sum...), nil
}

// VerifyMIC checks the peer's MIC token over msg: from the other side,
// with the next expected sequence number, keyed with the acceptor subkey
// or (acceptor side, flag clear) the initiator's key.
func (c *Context) VerifyMIC(msg, tok []byte) error {
	if len(tok) < micHdrSize || len(tok) > micMaxToken || binary.BigEndian.Uint16(tok) != micTokenID ||
		!bytes.Equal(tok[3:8], []byte{0xFF, 0xFF, 0xFF, 0xFF, 0xFF}) {
		return fmt.Errorf("%w: not a MIC token", ErrMalformed)
	}
	flags := tok[2]
	if (flags&wrapSentByAcceptor != 0) != c.initiator {
		return fmt.Errorf("%w: MIC from the wrong side (reflected)", ErrIntegrity)
	}
	if flags&wrapSealed != 0 || flags&^(wrapSentByAcceptor|wrapAcceptorSubkey) != 0 {
		return fmt.Errorf("%w: MIC flags %#x", ErrMalformed, flags)
	}
	key := c.key
	if flags&wrapAcceptorSubkey == 0 {
		if c.initiator || c.initKey.KeyType == 0 {
			return fmt.Errorf("%w: MIC not keyed with the acceptor subkey", ErrIntegrity)
		}
		key = c.initKey
	}
	usage := uint32(keyusage.GSSAPI_ACCEPTOR_SIGN)
	if !c.initiator {
		usage = keyusage.GSSAPI_INITIATOR_SIGN
	}
	want, err := micChecksum(key, usage, msg, tok[:micHdrSize])
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(want, tok[micHdrSize:]) != 1 {
		return fmt.Errorf("%w: MIC checksum", ErrIntegrity)
	}
	if seq := binary.BigEndian.Uint64(tok[8:]); seq != c.recvSeq {
		return fmt.Errorf("%w: MIC sequence %d, want %d", ErrIntegrity, seq, c.recvSeq)
	}
	c.recvSeq++
	return nil
}

// micChecksum is the token's checksum: the key's keyed hash over the
// message followed by the token header.
func micChecksum(key types.EncryptionKey, usage uint32, msg, hdr []byte) ([]byte, error) {
	et, err := crypto.GetEtype(key.KeyType)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
	d := append(append(make([]byte, 0, len(msg)+len(hdr)), msg...), hdr...)
	return et.GetChecksumHash(key.KeyValue, d, usage)
}
