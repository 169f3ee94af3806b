package ntlm

import (
	"crypto/md5"
	"crypto/rc4"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
)

// SignatureSize is the size of an NTLM message signature.
const SignatureSize = 16

// ErrIntegrity is returned for a signature that does not verify or carries
// the wrong sequence number (tampering, replay, reordering).
var ErrIntegrity = errors.New("ntlm: message integrity check failed")

// Session is NTLM session security with extended session security
// ([MS-NLMP] 3.4.4.2, 3.4.3): one RC4 handle per direction, used for the
// message and then for its checksum, and a sequence number per direction.
// Not safe for concurrent use per direction; the two directions are
// independent.
type Session struct {
	flags                uint32
	sendSign, recvSign   []byte
	sendSealK, recvSealK []byte
	send, recv           *rc4.Cipher
	sendSeq, recvSeq     uint32
}

const (
	c2sSign = "session key to client-to-server signing key magic constant\x00"
	s2cSign = "session key to server-to-client signing key magic constant\x00"
	c2sSeal = "session key to client-to-server sealing key magic constant\x00"
	s2cSeal = "session key to server-to-client sealing key magic constant\x00"
)

func newSession(exported []byte, flags uint32, client bool) *Session {
	sealBase := exported
	switch {
	case flags&Flag128 != 0:
	case flags&Flag56 != 0:
		sealBase = exported[:7]
	default:
		sealBase = exported[:5]
	}
	derive := func(base []byte, magic string) []byte {
		h := md5.New()
		h.Write(base)
		h.Write([]byte(magic))
		return h.Sum(nil)
	}
	s := &Session{flags: flags}
	cs, ss := derive(exported, c2sSign), derive(exported, s2cSign)
	ck, sk := derive(sealBase, c2sSeal), derive(sealBase, s2cSeal)
	if client {
		s.sendSign, s.recvSign, s.sendSealK, s.recvSealK = cs, ss, ck, sk
	} else {
		s.sendSign, s.recvSign, s.sendSealK, s.recvSealK = ss, cs, sk, ck
	}
	s.ResetCiphers()
	return s
}

// NewClientSession returns the initiator's view of a session with the
// given ExportedSessionKey and negotiated flags (for clients and tests).
func NewClientSession(exported []byte, flags uint32) *Session {
	return newSession(exported, flags, true)
}

// NewServerSession is the acceptor's view (what Authenticate returns).
func NewServerSession(exported []byte, flags uint32) *Session {
	return newSession(exported, flags, false)
}

// ResetCiphers re-initialises both RC4 handles from the sealing keys while
// sequence numbers continue: what SPNEGO's mechListMIC exchange requires
// after NTLM authentication (observed with gss-ntlmssp, and Windows
// behaves the same since MS-SPNG 3.3.5.1).
func (s *Session) ResetCiphers() {
	s.send, _ = rc4.NewCipher(s.sendSealK)
	s.recv, _ = rc4.NewCipher(s.recvSealK)
}

func (s *Session) checksum(c *rc4.Cipher, key []byte, seq uint32, msg []byte) []byte {
	seqb := binary.LittleEndian.AppendUint32(nil, seq)
	sum := hmacMD5(key, seqb, msg)[:8]
	if s.flags&FlagKeyExch != 0 {
		c.XORKeyStream(sum, sum)
	}
	sig := make([]byte, 0, SignatureSize)
	sig = append(sig, 1, 0, 0, 0)
	sig = append(sig, sum...)
	return append(sig, seqb...)
}

// Seal encrypts and signs msg (GSS_WrapEx): it returns signature ||
// ciphertext, the layout NegotiateStream puts in a data frame.
func (s *Session) Seal(msg []byte) []byte {
	out := make([]byte, SignatureSize+len(msg))
	ct := out[SignatureSize:]
	s.send.XORKeyStream(ct, msg)
	copy(out, s.checksum(s.send, s.sendSign, s.sendSeq, msg))
	s.sendSeq++
	return out
}

// Unseal decrypts and verifies a signature || ciphertext token.
func (s *Session) Unseal(tok []byte) ([]byte, error) {
	if len(tok) < SignatureSize {
		return nil, fmt.Errorf("%w: token of %d bytes", ErrIntegrity, len(tok))
	}
	plain := make([]byte, len(tok)-SignatureSize)
	s.recv.XORKeyStream(plain, tok[SignatureSize:])
	want := s.checksum(s.recv, s.recvSign, s.recvSeq, plain)
	if subtle.ConstantTimeCompare(want, tok[:SignatureSize]) != 1 {
		return nil, fmt.Errorf("%w: sequence %d", ErrIntegrity, s.recvSeq)
	}
	s.recvSeq++
	return plain, nil
}

// MIC signs msg without encrypting it (GSS_GetMIC), e.g. the SPNEGO
// mechListMIC.
func (s *Session) MIC(msg []byte) []byte {
	sig := s.checksum(s.send, s.sendSign, s.sendSeq, msg)
	s.sendSeq++
	return sig
}

// VerifyMIC checks the peer's GSS_GetMIC over msg.
func (s *Session) VerifyMIC(msg, mic []byte) error {
	want := s.checksum(s.recv, s.recvSign, s.recvSeq, msg)
	if subtle.ConstantTimeCompare(want, mic) != 1 {
		return fmt.Errorf("%w: MIC at sequence %d", ErrIntegrity, s.recvSeq)
	}
	s.recvSeq++
	return nil
}
