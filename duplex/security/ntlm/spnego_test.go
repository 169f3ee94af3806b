package ntlm

import (
	"bytes"
	"errors"
	"testing"

	"github.com/ipamd/ipamd/duplex/security/spnego"
)

// TestRecordedSPNEGOSession replays gss-ntlmssp under SPNEGO: the
// AUTHENTICATE carries a MIC, both sides exchange mechListMICs at sequence
// 0, then both RC4 handles restart while sequence numbers continue.
func TestRecordedSPNEGOSession(t *testing.T) {
	rec := loadRecording(t, "ntlm-spnego-nns.json")
	f := rec.Frames
	in, err := spnego.ParseInit(unhex(t, f[0].Hex))
	if err != nil {
		t.Fatal(err)
	}
	srv1, err := spnego.ParseResp(unhex(t, f[1].Hex))
	if err != nil {
		t.Fatal(err)
	}
	cli2, err := spnego.ParseResp(unhex(t, f[2].Hex))
	if err != nil {
		t.Fatal(err)
	}
	srv2, err := spnego.ParseResp(unhex(t, f[3].Hex))
	if err != nil {
		t.Fatal(err)
	}
	acc := accounts{`IPAM\bob`: NTHash("Bob-Pass-1234")}

	a := replayAcceptor(t, acc, in.MechToken, srv1.ResponseToken)
	r, err := a.Authenticate(cli2.ResponseToken)
	if err != nil {
		t.Fatal(err)
	}
	if !r.MICPresent {
		t.Fatal("MIC not seen")
	}
	s := r.Session
	if err := s.VerifyMIC(in.MechTypesDER, cli2.MechListMIC); err != nil {
		t.Fatalf("client mechListMIC: %v", err)
	}
	if got := s.MIC(in.MechTypesDER); !bytes.Equal(got, srv2.MechListMIC) {
		t.Fatalf("server mechListMIC %x, want %x", got, srv2.MechListMIC)
	}
	s.ResetCiphers()
	checkData(t, s, rec, 4)

	// A tampered AUTHENTICATE (workstation name, covered only by the MIC)
	// is refused.
	msg := append([]byte(nil), cli2.ResponseToken...)
	msg[len(msg)-20] ^= 0x20
	a = replayAcceptor(t, acc, in.MechToken, srv1.ResponseToken)
	if _, err := a.Authenticate(msg); !errors.Is(err, ErrLogonDenied) {
		t.Fatalf("tampered: %v", err)
	}
	// A wrong mechListMIC (e.g. mechTypes downgraded) does not verify.
	a = replayAcceptor(t, acc, in.MechToken, srv1.ResponseToken)
	r, err = a.Authenticate(cli2.ResponseToken)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Session.VerifyMIC(append([]byte{0}, in.MechTypesDER...), cli2.MechListMIC); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("downgraded mechTypes: %v", err)
	}
}
