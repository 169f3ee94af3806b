package ntlm

import (
	"encoding/binary"
	"strings"
	"testing"
)

// FuzzAuthenticate feeds arbitrary AUTHENTICATE messages to an acceptor
// that sent the recorded CHALLENGE: no panic; only IPAM\bob's password
// authenticates (the recorded message and its variants, such as the user
// typed IPAM\BoB), and whoever authenticates is named exactly IPAM\bob,
// the account file's spelling, with a 128-bit session key.
func FuzzAuthenticate(f *testing.F) {
	rec := loadRecording(f, "ntlm-raw-nns.json")
	neg, ch := unhex(f, rec.Frames[0].Hex), unhex(f, rec.Frames[1].Hex)
	f.Add(unhex(f, rec.Frames[2].Hex))
	f.Add(respell(f, unhex(f, rec.Frames[2].Hex), "bob", "BoB"))
	f.Add(unhex(f, v2Authenticate))
	f.Add(unhex(f, v1Authenticate))
	acc, err := ParseAccounts(strings.NewReader(AccountLine("IPAM", "bob", "Bob-Pass-1234")))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		a := replayAcceptor(t, acc, neg, ch)
		r, err := a.Authenticate(msg)
		if err != nil {
			return
		}
		if r.Name() != `IPAM\bob` || r.Domain != "IPAM" || r.User != "bob" {
			t.Fatalf("authenticated as %q, want exactly IPAM\\bob", r.Name())
		}
		if r.Session.flags&strongKey != strongKey {
			t.Fatalf("session flags %#08x without 128-bit keys and extended session security", r.Session.flags)
		}
	})
}

// FuzzNegotiate: arbitrary NEGOTIATE messages never panic, and a CHALLENGE
// only answers a client offering 128-bit keys with extended session
// security, and offers exactly that (never 56-bit).
func FuzzNegotiate(f *testing.F) {
	rec := loadRecording(f, "ntlm-raw-nns.json")
	f.Add(unhex(f, rec.Frames[0].Hex))
	f.Fuzz(func(t *testing.T, msg []byte) {
		ch, err := NewAcceptor(Config{Accounts: accounts{}}).Challenge(msg)
		if err != nil {
			return
		}
		if fl := binary.LittleEndian.Uint32(msg[12:]); fl&strongKey != strongKey {
			t.Fatalf("answered NEGOTIATE flags %#08x", fl)
		}
		if fl := binary.LittleEndian.Uint32(ch[20:]); fl&strongKey != strongKey || fl&Flag56 != 0 {
			t.Fatalf("CHALLENGE flags %#08x", fl)
		}
	})
}

// FuzzUnseal: arbitrary data-phase tokens never panic or verify.
func FuzzUnseal(f *testing.F) {
	rec := loadRecording(f, "ntlm-raw-nns.json")
	f.Add(unhex(f, rec.Frames[4].Hex))
	f.Add([]byte{})
	flags := uint32(Flag128 | FlagSign | FlagSeal | FlagKeyExch | FlagExtendedSessionSecurity)
	f.Fuzz(func(t *testing.T, tok []byte) {
		s := NewServerSession(make([]byte, 16), flags)
		if _, err := s.Unseal(tok); err == nil {
			t.Fatal("random token verified")
		}
	})
}
