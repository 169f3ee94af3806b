// Package nns implements [MS-NNS] .NET NegotiateStream framing, the stream
// protocol behind the [MC-NMF] "application/negotiate" upgrade (WCF's
// WindowsStreamSecurityBindingElement): a handshake of security tokens in
// 5-byte-header messages, then data frames of 4-byte little-endian length
// plus a GSS wrap token, each carrying at most 63 KiB of plaintext.
//
// The package frames; a Mechanism (SPNEGO with NTLM or Kerberos, see
// package negotiate) produces and consumes the tokens and protects the
// data. Everything read before the handshake completes is unauthenticated:
// message sizes are bounded by the 16-bit header, the number of rounds by
// MaxRounds and the time by the handshake timeout.
//
// [MS-NNS]: https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-nns/
package nns

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Kind is the MC-NMF upgrade type of NegotiateStream.
const Kind = "application/negotiate"

// Handshake message ids ([MS-NNS] 2.2.1).
const (
	HandshakeDone       = 0x14
	HandshakeError      = 0x15
	HandshakeInProgress = 0x16
)

// Frame limits ([MS-NNS] 2.2.2). .NET writes at most 0xFC00 plaintext bytes
// per frame and reads frames up to 64 KiB; MIT's AES wrap token for a full
// chunk is 64,572 bytes, above the spec's 0xFC30, so we accept 64 KiB as
// .NET does.
const (
	MaxPlaintextChunk = 0xFC00
	MaxFrameSize      = 64 << 10
)

// HRESULTs sent in HandshakeError messages.
const (
	SecELogonDenied         uint32 = 0x8009030C
	SecEInvalidToken        uint32 = 0x80090308
	SecEUnsupportedFunction uint32 = 0x80090302
	SecEInternalError       uint32 = 0x80090304
	// SecEAlgorithmMismatch: no common algorithm, e.g. an NTLM client
	// without 128-bit keys and extended session security.
	SecEAlgorithmMismatch uint32 = 0x80090331
)

// Errors.
var (
	// ErrMalformed: a handshake message or data frame violates the framing.
	ErrMalformed = errors.New("nns: malformed message")
	// ErrPeer: the peer sent a HandshakeError.
	ErrPeer = errors.New("nns: peer reported a handshake error")
)

// Message is one handshake message.
type Message struct {
	ID      byte
	Payload []byte
}

// ReadMessage reads one handshake message: id, version 1.0, 16-bit
// big-endian payload size, payload. It never reads past the message.
func ReadMessage(r io.Reader) (*Message, error) {
	var h [5]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, fmt.Errorf("nns: read handshake header: %w", err)
	}
	return readBody(r, h)
}

func readBody(r io.Reader, h [5]byte) (*Message, error) {
	switch h[0] {
	case HandshakeDone, HandshakeError, HandshakeInProgress:
	default:
		return nil, fmt.Errorf("%w: handshake message id %#02x", ErrMalformed, h[0])
	}
	if h[1] != 1 || h[2] != 0 {
		return nil, fmt.Errorf("%w: version %d.%d", ErrMalformed, h[1], h[2])
	}
	n := int(binary.BigEndian.Uint16(h[3:]))
	m := &Message{ID: h[0], Payload: make([]byte, n)}
	if _, err := io.ReadFull(r, m.Payload); err != nil {
		return nil, fmt.Errorf("nns: read handshake payload: %w", err)
	}
	return m, nil
}

// ParseMessage decodes one whole handshake message from b (the fuzzing
// entry point; b must hold exactly one message).
func ParseMessage(b []byte) (*Message, error) {
	if len(b) < 5 {
		return nil, fmt.Errorf("%w: %d bytes", ErrMalformed, len(b))
	}
	m, err := readBody(bytes.NewReader(b[5:]), [5]byte(b[:5]))
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: truncated", ErrMalformed)
		}
		return nil, err
	}
	if 5+len(m.Payload) != len(b) {
		return nil, fmt.Errorf("%w: %d bytes after the message", ErrMalformed, len(b)-5-len(m.Payload))
	}
	return m, nil
}

// AppendMessage appends a handshake message; payload must be ≤ 65535.
func AppendMessage(b []byte, id byte, payload []byte) ([]byte, error) {
	if len(payload) > 0xFFFF {
		return nil, fmt.Errorf("nns: handshake payload of %d bytes", len(payload))
	}
	b = append(b, id, 1, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(len(payload)))
	return append(b, payload...), nil
}

// ErrorPayload is the HandshakeError payload .NET sends: 32 zero bits and
// the HRESULT, big-endian.
func ErrorPayload(hresult uint32) []byte {
	return binary.BigEndian.AppendUint32(make([]byte, 4), hresult)
}

// PeerError is the error a HandshakeError message carries.
type PeerError struct{ HResult uint32 }

func (e *PeerError) Error() string { return fmt.Sprintf("nns: peer handshake error %#08x", e.HResult) }

// Unwrap makes errors.Is(err, ErrPeer) true.
func (e *PeerError) Unwrap() error { return ErrPeer }

func peerError(payload []byte) error {
	var h uint32
	if len(payload) >= 8 {
		h = binary.BigEndian.Uint32(payload[4:8])
	}
	return &PeerError{HResult: h}
}
