package nns

import (
	"bytes"
	"errors"
	"net"
	"testing"
)

func TestMessages(t *testing.T) {
	b, err := AppendMessage(nil, HandshakeInProgress, []byte("token"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []byte{0x16, 1, 0, 0, 5, 't', 'o', 'k', 'e', 'n'}; !bytes.Equal(b, want) {
		t.Fatalf("% x", b)
	}
	m, err := ParseMessage(b)
	if err != nil || m.ID != HandshakeInProgress || string(m.Payload) != "token" {
		t.Fatalf("%+v %v", m, err)
	}
	if _, err := AppendMessage(nil, HandshakeDone, make([]byte, 0x10000)); err == nil {
		t.Fatal("oversized payload accepted")
	}
	for name, bad := range map[string][]byte{
		"short":       {0x16, 1, 0},
		"bad id":      {0x17, 1, 0, 0, 0},
		"bad version": {0x16, 2, 0, 0, 0},
		"truncated":   {0x16, 1, 0, 0, 5, 't'},
		"trailing":    {0x14, 1, 0, 0, 0, 0},
	} {
		if _, err := ParseMessage(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if e := peerError(ErrorPayload(SecELogonDenied)); !errors.Is(e, ErrPeer) || e.(*PeerError).HResult != SecELogonDenied {
		t.Fatalf("peerError %v", e)
	}
}

// xorProtector is a toy Protector that detects a flipped last byte.
type xorProtector struct{}

func (xorProtector) Wrap(p []byte) ([]byte, error) {
	return append(append([]byte(nil), p...), 0x5A), nil
}
func (xorProtector) Unwrap(t []byte) ([]byte, error) {
	if len(t) == 0 || t[len(t)-1] != 0x5A {
		return nil, errors.New("bad token")
	}
	return t[:len(t)-1], nil
}

func TestConnFrames(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	ca, cb := NewConn(a, xorProtector{}, nil), NewConn(b, xorProtector{}, nil)
	msg := bytes.Repeat([]byte("y"), 2*MaxPlaintextChunk+7)
	go func() { _, _ = ca.Write(msg) }()
	got := make([]byte, len(msg))
	for n := 0; n < len(got); {
		k, err := cb.Read(got[n:])
		if err != nil {
			t.Fatal(err)
		}
		n += k
	}
	if !bytes.Equal(got, msg) {
		t.Fatal("payload differs")
	}
	// A frame above MaxFrameSize and a zero-length frame are refused.
	for _, hdr := range [][]byte{{0x01, 0x00, 0x01, 0x00}, {0, 0, 0, 0}} {
		a, b := net.Pipe()
		go func() { _, _ = a.Write(hdr); a.Close() }()
		if _, err := NewConn(b, xorProtector{}, nil).Read(make([]byte, 1)); !errors.Is(err, ErrMalformed) {
			t.Errorf("header % x: %v", hdr, err)
		}
		b.Close()
	}
}

func FuzzParseMessage(f *testing.F) {
	f.Add([]byte{0x16, 1, 0, 0, 2, 0x60, 0x00})
	f.Add([]byte{0x15, 1, 0, 0, 8, 0, 0, 0, 0, 0x80, 0x09, 0x03, 0x0c})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseMessage(b)
		if err != nil {
			return
		}
		again, err := AppendMessage(nil, m.ID, m.Payload)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("round trip % x != % x (%v)", again, b, err)
		}
	})
}
