package ntlm

import (
	"testing"
)

// FuzzAuthenticate feeds arbitrary AUTHENTICATE messages to an acceptor
// that sent the recorded CHALLENGE: no panic, and nothing but the recorded
// message (and the MS-NLMP one) may authenticate.
func FuzzAuthenticate(f *testing.F) {
	rec := loadRecording(f, "ntlm-raw-nns.json")
	neg, ch := unhex(f, rec.Frames[0].Hex), unhex(f, rec.Frames[1].Hex)
	f.Add(unhex(f, rec.Frames[2].Hex))
	f.Add(unhex(f, v2Authenticate))
	f.Add(unhex(f, v1Authenticate))
	acc := accounts{accountKey("IPAM", "bob"): NTHash("Bob-Pass-1234")}
	f.Fuzz(func(t *testing.T, msg []byte) {
		a := replayAcceptor(t, acc, neg, ch)
		r, err := a.Authenticate(msg)
		if err == nil && r.Name() != `IPAM\bob` {
			t.Fatalf("authenticated %q", r.Name())
		}
	})
}

// FuzzNegotiate: arbitrary NEGOTIATE messages never panic.
func FuzzNegotiate(f *testing.F) {
	rec := loadRecording(f, "ntlm-raw-nns.json")
	f.Add(unhex(f, rec.Frames[0].Hex))
	f.Fuzz(func(t *testing.T, msg []byte) {
		_, _ = NewAcceptor(Config{Accounts: accounts{}}).Challenge(msg)
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
