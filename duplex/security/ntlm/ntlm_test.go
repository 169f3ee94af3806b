package ntlm

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// accounts is an in-memory Accounts for tests: canonical DOMAIN\user →
// NT hash, looked up case-insensitively.
type accounts map[string][16]byte

func (a accounts) Lookup(domain, user string) (Account, bool) {
	for name, h := range a {
		d, u, _ := strings.Cut(name, `\`)
		if strings.EqualFold(d, domain) && strings.EqualFold(u, user) {
			return Account{Domain: d, User: u, NTHash: h}, true
		}
	}
	return Account{}, false
}

// MS-NLMP 4.2.4 values (testdata/ntlm-msnlmp-4.2.txt).
const (
	v2Challenge = `4e544c4d53535000020000000c000c003800000033828ae20123456789abcdef
    00000000000000002400240044000000060070170000000f5300650072007600
    6500720002000c0044006f006d00610069006e0001000c005300650072007600
    6500720000000000`
	v2Authenticate = `4e544c4d5353500003000000180018006c00000054005400840000000c000c00
    480000000800080054000000100010005c00000010001000d8000000358288e2
    0501280a0000000f44006f006d00610069006e00550073006500720043004f00
    4d005000550054004500520086c35097ac9cec102554764a57cccc19aaaaaaaa
    aaaaaaaa68cd0ab851e51c96aabc927bebef6a1c010100000000000000000000
    00000000aaaaaaaaaaaaaaaa0000000002000c0044006f006d00610069006e00
    01000c005300650072007600650072000000000000000000c5dad2544fc97990
    94ce1ce90bc9d03e`
	v1Authenticate = `4e544c4d5353500003000000180018006c00000018001800840000000c000c00
    480000000800080054000000100010005c000000100010009c000000358280e2
    0501280a0000000f44006f006d00610069006e00550073006500720043004f00
    4d005000550054004500520098def7b87f88aa5dafe2df779688a172def11c7d
    5ccdef1367c43011f30298a2ad35ece64f16331c44bdbed927841f94518822b1
    b3f350c8958682ecbb3e3cb7`
)

// replayAcceptor is an acceptor in the state after it sent challenge
// (recorded bytes) in answer to negotiate.
func replayAcceptor(t testing.TB, acc Accounts, negotiate, challenge []byte) *Acceptor {
	t.Helper()
	sc, err := serverChallengeOf(challenge)
	if err != nil {
		t.Fatal(err)
	}
	a := NewAcceptor(Config{Accounts: acc})
	a.negotiate, a.challenge, a.serverChallenge = negotiate, challenge, sc
	a.flags = uint32(challenge[20]) | uint32(challenge[21])<<8 | uint32(challenge[22])<<16 | uint32(challenge[23])<<24
	return a
}

func TestMSNLMPVectors(t *testing.T) {
	hash := NTHash("Password")
	if got, want := ntowfv2(hash[:], "User", "Domain"), unhex(t, "0c868a403bfd7a93a3001ef22ef02e3f"); !bytes.Equal(got, want) {
		t.Fatalf("NTOWFv2 = %x, want %x", got, want)
	}
	acc := accounts{`Domain\User`: hash}

	a := replayAcceptor(t, acc, nil, unhex(t, v2Challenge))
	r, err := a.Authenticate(unhex(t, v2Authenticate))
	if err != nil {
		t.Fatalf("4.2.4 AUTHENTICATE: %v", err)
	}
	if r.Name() != `Domain\User` || r.MICPresent {
		t.Fatalf("result %+v", r)
	}

	// 4.2.4.4 GSS_WrapEx, sequence 0: the client seals, we unseal.
	plain := unhex(t, "50006c00610069006e007400650078007400")
	flags := uint32(Flag56 | Flag128 | FlagSign | FlagSeal | FlagKeyExch | FlagExtendedSessionSecurity)
	exported := unhex(t, "55555555555555555555555555555555")
	client := NewClientSession(exported, flags)
	if got, want := client.sendSealK, unhex(t, "59f600973cc4960a25480a7c196e4c58"); !bytes.Equal(got, want) {
		t.Fatalf("ClientSealKey = %x, want %x", got, want)
	}
	if got, want := client.sendSign, unhex(t, "4788dc861b4782f35d43fd98fe1a2d39"); !bytes.Equal(got, want) {
		t.Fatalf("ClientSignKey = %x, want %x", got, want)
	}
	tok := client.Seal(plain)
	want := append(unhex(t, "010000007fb38ec5c55d497600000000"), unhex(t, "54e50165bf1936dc996020c1811b0f06fb5f")...)
	if !bytes.Equal(tok, want) {
		t.Fatalf("sealed = %x, want %x", tok, want)
	}
	// The acceptor's session from the 4.2.4 exchange has the same exported
	// key (RandomSessionKey 55…): it unseals the vector.
	got, err := r.Session.Unseal(want)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("Unseal = %x, %v", got, err)
	}
}

func TestAuthenticateRefusals(t *testing.T) {
	hash := NTHash("Password")
	tampered := unhex(t, v2Authenticate)
	tampered[0x98] ^= 1 // inside NTProofStr
	blob := unhex(t, v2Authenticate)
	blob[0xb8] ^= 1 // inside the client blob (covered by NTProofStr)
	tests := []struct {
		name string
		acc  accounts
		msg  []byte
		want error
	}{
		{"wrong password", accounts{`Domain\User`: NTHash("Passw0rd")}, unhex(t, v2Authenticate), ErrLogonDenied},
		{"unknown user", accounts{`Domain\Other`: hash}, unhex(t, v2Authenticate), ErrLogonDenied},
		{"other domain", accounts{`Domain2\User`: hash}, unhex(t, v2Authenticate), ErrLogonDenied},
		{"tampered NTProofStr", accounts{`Domain\User`: hash}, tampered, ErrLogonDenied},
		{"tampered blob", accounts{`Domain\User`: hash}, blob, ErrLogonDenied},
		{"NTLMv1", accounts{`Domain\User`: hash}, unhex(t, v1Authenticate), ErrUnsupported},
		{"truncated", accounts{`Domain\User`: hash}, unhex(t, v2Authenticate)[:100], ErrMalformed},
		{"not NTLM", accounts{}, []byte("NTLMSSQ\x00\x03\x00\x00\x00" + strings.Repeat("\x00", 60)), ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := replayAcceptor(t, tt.acc, nil, unhex(t, v2Challenge))
			_, err := a.Authenticate(tt.msg)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	// Case-insensitive names, reported in the account's spelling; a second
	// Authenticate on one acceptor fails.
	a := replayAcceptor(t, accounts{`DOMAIN\user`: hash}, nil, unhex(t, v2Challenge))
	if r, err := a.Authenticate(unhex(t, v2Authenticate)); err != nil || r.Name() != `DOMAIN\user` {
		t.Fatalf("%+v %v, want DOMAIN\\user", r, err)
	}
	if _, err := a.Authenticate(unhex(t, v2Authenticate)); !errors.Is(err, ErrState) {
		t.Fatalf("second Authenticate: %v", err)
	}
}

// recording is a recorded NNS session (testdata): the frames a real
// NegotiateStream peer exchanged.
type recording struct {
	Frames []struct {
		Dir, Frame, Plain, Hex string
	} `json:"frames_as_seen_by_client"`
	ServerPlain []string `json:"server_data_plaintext"`
}

func loadRecording(t testing.TB, name string) *recording {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var r recording
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// TestRecordedRawSession replays gss-ntlmssp's raw NTLM NNS session: the
// acceptor verifies the recorded AUTHENTICATE, unseals the client's data
// frames and seals the echoes byte for byte as gss-ntlmssp did.
func TestRecordedRawSession(t *testing.T) {
	rec := loadRecording(t, "ntlm-raw-nns.json")
	f := rec.Frames
	acc := accounts{`IPAM\bob`: NTHash("Bob-Pass-1234")}
	a := replayAcceptor(t, acc, unhex(t, f[0].Hex), unhex(t, f[1].Hex))
	r, err := a.Authenticate(unhex(t, f[2].Hex))
	if err != nil {
		t.Fatal(err)
	}
	if r.Name() != `IPAM\bob` {
		t.Fatalf("name %q", r.Name())
	}
	checkData(t, r.Session, rec, 4)

	// Wrong password on the same recording.
	a = replayAcceptor(t, accounts{`IPAM\bob`: NTHash("WRONG")}, unhex(t, f[0].Hex), unhex(t, f[1].Hex))
	if _, err := a.Authenticate(unhex(t, f[2].Hex)); !errors.Is(err, ErrLogonDenied) {
		t.Fatalf("wrong password: %v", err)
	}
}

// respell returns msg with the UTF-16LE string from replaced by to (same
// length): the recorded AUTHENTICATE as a client typing another spelling
// would have sent it, still valid because NTOWFv2 upper-cases the user.
func respell(t testing.TB, msg []byte, from, to string) []byte {
	t.Helper()
	f, r := toUTF16(from), toUTF16(to)
	if len(f) != len(r) || bytes.Count(msg, f) != 1 {
		t.Fatalf("%q occurs %d times", from, bytes.Count(msg, f))
	}
	return bytes.Replace(msg, f, r, 1)
}

// TestCanonicalName: a client typing IPAM\BoB logs on as the account
// IPAM\bob and is named IPAM\bob, the account file's spelling; the
// account file decides the spelling even when it is not the client's.
func TestCanonicalName(t *testing.T) {
	rec := loadRecording(t, "ntlm-raw-nns.json")
	f := rec.Frames
	for _, tt := range []struct{ account, typed, want string }{
		{`IPAM\bob`, "BoB", `IPAM\bob`},
		{`IPAM\bob`, "BOB", `IPAM\bob`},
		{`ipam\Bob`, "bob", `ipam\Bob`},
	} {
		t.Run(tt.typed, func(t *testing.T) {
			msg := respell(t, unhex(t, f[2].Hex), "bob", tt.typed)
			a := replayAcceptor(t, accounts{tt.account: NTHash("Bob-Pass-1234")}, unhex(t, f[0].Hex), unhex(t, f[1].Hex))
			r, err := a.Authenticate(msg)
			if err != nil {
				t.Fatal(err)
			}
			if r.Name() != tt.want {
				t.Fatalf("named %q, want %q", r.Name(), tt.want)
			}
		})
	}
	// Through an AccountFile, as the daemon reads it.
	af, err := ParseAccounts(strings.NewReader(AccountLine("IPAM", "bob", "Bob-Pass-1234") + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	a := replayAcceptor(t, af, unhex(t, f[0].Hex), unhex(t, f[1].Hex))
	if r, err := a.Authenticate(respell(t, unhex(t, f[2].Hex), "bob", "BoB")); err != nil || r.Name() != `IPAM\bob` {
		t.Fatalf("%+v %v", r, err)
	}
}

// TestWeakKeyRefused: a client offering only 40- or 56-bit keys, or no
// extended session security, is refused with ErrWeakKey in NEGOTIATE and
// in AUTHENTICATE.
func TestWeakKeyRefused(t *testing.T) {
	rec := loadRecording(t, "ntlm-raw-nns.json")
	f := rec.Frames
	for _, tt := range []struct {
		name  string
		clear uint32
	}{
		{"40-bit", Flag128 | Flag56},
		{"56-bit", Flag128},
		{"no extended session security", FlagExtendedSessionSecurity},
	} {
		t.Run(tt.name, func(t *testing.T) {
			neg := unhex(t, f[0].Hex)
			binary.LittleEndian.PutUint32(neg[12:], binary.LittleEndian.Uint32(neg[12:])&^tt.clear)
			_, err := NewAcceptor(Config{Accounts: accounts{}}).Challenge(neg)
			if !errors.Is(err, ErrWeakKey) || !errors.Is(err, ErrUnsupported) {
				t.Fatalf("NEGOTIATE: %v, want ErrWeakKey", err)
			}
			auth := unhex(t, f[2].Hex)
			binary.LittleEndian.PutUint32(auth[60:], binary.LittleEndian.Uint32(auth[60:])&^tt.clear)
			a := replayAcceptor(t, accounts{`IPAM\bob`: NTHash("Bob-Pass-1234")}, unhex(t, f[0].Hex), unhex(t, f[1].Hex))
			if _, err := a.Authenticate(auth); !errors.Is(err, ErrWeakKey) {
				t.Fatalf("AUTHENTICATE: %v, want ErrWeakKey", err)
			}
		})
	}
	// Our CHALLENGE never offers 56-bit, even when the client does.
	ch, err := NewAcceptor(Config{Accounts: accounts{}}).Challenge(unhex(t, f[0].Hex))
	if err != nil {
		t.Fatal(err)
	}
	if fl := binary.LittleEndian.Uint32(ch[20:]); fl&strongKey != strongKey || fl&Flag56 != 0 {
		t.Fatalf("CHALLENGE flags %#08x", fl)
	}
}

// checkData unseals the recorded client data frames from index first on
// and compares our sealed echoes with the recorded server frames.
func checkData(t *testing.T, s *Session, rec *recording, first int) {
	t.Helper()
	n := 0
	for i := first; i+1 < len(rec.Frames); i += 2 {
		in, out := rec.Frames[i], rec.Frames[i+1]
		plain, err := s.Unseal(unhex(t, in.Hex))
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if want := unhex(t, in.Plain); !bytes.Equal(plain, want) {
			t.Fatalf("frame %d: %q, want %q", i, plain, want)
		}
		if got, want := s.Seal(unhex(t, rec.ServerPlain[n])), unhex(t, out.Hex); !bytes.Equal(got, want) {
			t.Fatalf("reply %d: %x, want %x", n, got, want)
		}
		n++
	}
	if n != 2 {
		t.Fatalf("%d data exchanges", n)
	}
}

func TestSessionTamperReplay(t *testing.T) {
	flags := uint32(Flag128 | FlagSign | FlagSeal | FlagKeyExch | FlagExtendedSessionSecurity)
	key := bytes.Repeat([]byte{7}, 16)
	tests := []struct {
		name   string
		mangle func(toks [][]byte) [][]byte
	}{
		{"flipped ciphertext", func(t [][]byte) [][]byte { t[0][20] ^= 1; return t[:1] }},
		{"flipped signature", func(t [][]byte) [][]byte { t[0][5] ^= 1; return t[:1] }},
		{"replayed", func(t [][]byte) [][]byte { return [][]byte{t[0], t[0]} }},
		{"reordered", func(t [][]byte) [][]byte { return [][]byte{t[1], t[0]} }},
		{"short", func(t [][]byte) [][]byte { return [][]byte{t[0][:15]} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, s := NewClientSession(key, flags), NewServerSession(key, flags)
			toks := [][]byte{c.Seal([]byte("first message")), c.Seal([]byte("second message"))}
			var err error
			for _, tok := range tt.mangle(toks) {
				if _, err = s.Unseal(tok); err != nil {
					break
				}
			}
			if !errors.Is(err, ErrIntegrity) {
				t.Fatalf("err = %v, want ErrIntegrity", err)
			}
		})
	}
	// Both directions round-trip.
	c, s := NewClientSession(key, flags), NewServerSession(key, flags)
	for i := 0; i < 3; i++ {
		if p, err := s.Unseal(c.Seal([]byte("ping"))); err != nil || string(p) != "ping" {
			t.Fatalf("c→s: %q %v", p, err)
		}
		if p, err := c.Unseal(s.Seal([]byte("pong"))); err != nil || string(p) != "pong" {
			t.Fatalf("s→c: %q %v", p, err)
		}
	}
}

func TestParseAccounts(t *testing.T) {
	good := "# comment\n\nIPAM\\bob:" + hex.EncodeToString(func() []byte { h := NTHash("Bob-Pass-1234"); return h[:] }()) + "\n"
	f, err := ParseAccounts(strings.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := f.Lookup("ipam", "BOB"); !ok || a.NTHash != NTHash("Bob-Pass-1234") || a.Name() != `IPAM\bob` || f.Len() != 1 {
		t.Fatalf("lookup: %+v %v", a, ok)
	}
	if AccountLine("IPAM", "bob", "Bob-Pass-1234")+"\n" != strings.SplitN(good, "\n", 3)[2] {
		t.Fatal("AccountLine differs")
	}
	for _, bad := range []string{
		"bob:00112233445566778899aabbccddeeff",
		`IPAM\bob:0011`,
		`IPAM\bob`,
		`\bob:00112233445566778899aabbccddeeff`,
		"IPAM\\bob:00112233445566778899aabbccddeeff\nipam\\BOB:00112233445566778899aabbccddeeff",
	} {
		if _, err := ParseAccounts(strings.NewReader(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestChallengeRoundTrip(t *testing.T) {
	hash := NTHash("Bob-Pass-1234")
	a := NewAcceptor(Config{Accounts: accounts{`IPAM\bob`: hash}, Computer: "IPAMD"})
	rec := loadRecording(t, "ntlm-raw-nns.json")
	ch, err := a.Challenge(unhex(t, rec.Frames[0].Hex))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := serverChallengeOf(ch); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Challenge(unhex(t, rec.Frames[0].Hex)); !errors.Is(err, ErrState) {
		t.Fatalf("second Challenge: %v", err)
	}
	// A client without sealing is refused.
	neg := unhex(t, rec.Frames[0].Hex)
	neg[12] &^= FlagSeal
	if _, err := NewAcceptor(Config{}).Challenge(neg); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("no SEAL: %v", err)
	}
}

// TestClientRoundTrip: our client against our acceptor, with and without
// MIC, and the refusals a live peer would meet.
func TestClientRoundTrip(t *testing.T) {
	acc := accounts{`IPAM\bob`: NTHash("Bob-Pass-1234")}
	for _, tt := range []struct {
		name     string
		password string
		mic      bool
		tamper   func([]byte)
		want     error
	}{
		{"with MIC", "Bob-Pass-1234", true, nil, nil},
		{"without MIC", "Bob-Pass-1234", false, nil, nil},
		{"wrong password", "bob-pass-1234", true, nil, ErrLogonDenied},
		{"MIC tampered", "Bob-Pass-1234", true, func(m []byte) { m[80] ^= 1 }, ErrLogonDenied},
		{"MIC stripped", "Bob-Pass-1234", true, func(m []byte) { clear(m[72:88]) }, ErrLogonDenied},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := &Client{Domain: "IPAM", User: "bob", NTHash: NTHash(tt.password), Workstation: "WS"}
			a := NewAcceptor(Config{Accounts: acc, Computer: "IPAMD", Domain: "IPAM"})
			ch, err := a.Challenge(c.Negotiate())
			if err != nil {
				t.Fatal(err)
			}
			msg, cs, err := c.Authenticate(ch, tt.mic)
			if err != nil {
				t.Fatal(err)
			}
			if tt.tamper != nil {
				tt.tamper(msg)
			}
			r, err := a.Authenticate(msg)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if err != nil {
				return
			}
			if r.MICPresent != tt.mic || r.Name() != `IPAM\bob` {
				t.Fatalf("result %+v", r)
			}
			if p, err := r.Session.Unseal(cs.Seal([]byte("hi"))); err != nil || string(p) != "hi" {
				t.Fatalf("unseal: %q %v", p, err)
			}
			if p, err := cs.Unseal(r.Session.Seal([]byte("echo:hi"))); err != nil || string(p) != "echo:hi" {
				t.Fatalf("client unseal: %q %v", p, err)
			}
		})
	}
}
