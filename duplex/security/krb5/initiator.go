package krb5

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// Initiator is the client side of a Kerberos GSS context from a service
// ticket the caller already holds (from a credential cache after kinit):
// AP-REQ with mutual authentication, the RFC 4121 GSS checksum and an
// initiator subkey, then the AP-REP. Tests use it to be a client whose
// every field they control, Authenticator included.
type Initiator struct {
	Ticket     messages.Ticket
	SessionKey types.EncryptionKey
	// CName and CRealm are the client as the ticket names it.
	CName  types.PrincipalName
	CRealm string
	// EditAuthenticator, when set, changes the authenticator before it is
	// encrypted: what a client that knows the session key can do.
	EditAuthenticator func(*types.Authenticator)

	auth      *types.Authenticator
	earlyMICs uint64
}

// GSS checksum flags the initiator asks for: mutual, replay, sequence,
// confidentiality, integrity (what MIT and Windows send for
// NegotiateStream's EncryptAndSign).
const initiatorGSSFlags = 0x3e

// Token returns the GSS initial context token carrying the AP-REQ.
func (i *Initiator) Token() ([]byte, error) {
	auth, err := types.NewAuthenticator(i.CRealm, i.CName)
	if err != nil {
		return nil, fmt.Errorf("krb5: authenticator: %w", err)
	}
	et, err := crypto.GetEtype(i.SessionKey.KeyType)
	if err != nil {
		return nil, err
	}
	if err := auth.GenerateSeqNumberAndSubKey(i.SessionKey.KeyType, et.GetKeyByteSize()); err != nil {
		return nil, fmt.Errorf("krb5: subkey: %w", err)
	}
	// RFC 4121 4.1.1: Lgth 16, an all-zero channel binding hash, flags.
	ck := binary.LittleEndian.AppendUint32(nil, 16)
	ck = append(ck, make([]byte, 16)...)
	ck = binary.LittleEndian.AppendUint32(ck, initiatorGSSFlags)
	auth.Cksum = types.Checksum{CksumType: 0x8003, Checksum: ck}
	if i.EditAuthenticator != nil {
		i.EditAuthenticator(&auth)
	}
	apreq, err := messages.NewAPReq(i.Ticket, i.SessionKey, auth)
	if err != nil {
		return nil, err
	}
	types.SetFlag(&apreq.APOptions, flags.APOptionMutualRequired)
	der, err := apreq.Marshal()
	if err != nil {
		return nil, fmt.Errorf("krb5: marshal AP-REQ: %w", err)
	}
	i.auth = &auth
	return frame(der, 0x0100), nil
}

// Complete verifies the acceptor's AP-REP token and returns the
// established initiator context.
func (i *Initiator) Complete(tok []byte) (*Context, error) {
	if i.auth == nil {
		return nil, fmt.Errorf("%w: AP-REP before AP-REQ", ErrMalformed)
	}
	der, err := unframe(tok, 0x0200)
	if err != nil {
		return nil, err
	}
	var rep messages.APRep
	if err := safely(func() error { return rep.Unmarshal(der) }); err != nil {
		return nil, fmt.Errorf("%w: AP-REP: %v", ErrMalformed, err)
	}
	var plain []byte
	if err := safely(func() (err error) {
		plain, err = crypto.DecryptEncPart(rep.EncPart, i.SessionKey, keyusage.AP_REP_ENCPART)
		return err
	}); err != nil {
		return nil, fmt.Errorf("%w: AP-REP: %v", ErrIntegrity, err)
	}
	var enc messages.EncAPRepPart
	if err := safely(func() error { return enc.Unmarshal(plain) }); err != nil {
		return nil, fmt.Errorf("%w: EncAPRepPart: %v", ErrMalformed, err)
	}
	if !enc.CTime.Equal(i.auth.CTime.Truncate(time.Second)) || enc.Cusec != i.auth.Cusec {
		return nil, fmt.Errorf("%w: AP-REP answers another authenticator", ErrIntegrity)
	}
	if enc.Subkey.KeyType == 0 {
		return nil, fmt.Errorf("%w: AP-REP without acceptor subkey", ErrUnsupported)
	}
	return &Context{
		key:       enc.Subkey,
		sendSeq:   uint64(uint32(i.auth.SeqNumber)) + i.earlyMICs,
		recvSeq:   uint64(uint32(enc.SequenceNumber)),
		sealSend:  keyusage.GSSAPI_INITIATOR_SEAL,
		sealRecv:  keyusage.GSSAPI_ACCEPTOR_SEAL,
		initiator: true,
	}, nil
}

// EarlyMIC returns a MIC token over msg made before the AP-REP: keyed with
// the initiator's subkey (AcceptorSubkey flag clear), in the initiator's
// sequence numbers (a mechListMIC sent beside the AP-REQ).
func (i *Initiator) EarlyMIC(msg []byte) ([]byte, error) {
	if i.auth == nil {
		return nil, fmt.Errorf("%w: MIC before AP-REQ", ErrMalformed)
	}
	hdr := []byte{micTokenID >> 8, micTokenID & 0xFF, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}
	hdr = binary.BigEndian.AppendUint64(hdr, uint64(uint32(i.auth.SeqNumber))+i.earlyMICs)
	sum, err := micChecksum(i.auth.SubKey, keyusage.GSSAPI_INITIATOR_SIGN, msg, hdr)
	if err != nil {
		return nil, err
	}
	i.earlyMICs++
	return append(hdr, sum...), nil
}
