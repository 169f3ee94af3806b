package krb5

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/ipamd/ipamd/duplex/security/spnego"
)

// lax accepts the recorded tickets (captured 2026-11-22, valid 10 hours);
// gokrb5 has no clock hook.
const lax = 100 * 365 * 24 * time.Hour

var loopback = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}

type recording struct {
	Frames []struct{ Dir, Frame, Plain, Hex string } `json:"frames_as_seen_by_client"`
	Server struct {
		SessionKey []string `json:"session_key"`
	} `json:"server_context"`
	ServerPlain []string `json:"server_data_plaintext"`
}

func load(t testing.TB, name string) *recording {
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

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func serviceKeytab(t testing.TB) *keytab.Keytab {
	t.Helper()
	kt, err := keytab.Load("testdata/service.keytab")
	if err != nil {
		t.Fatal(err)
	}
	return kt
}

// apReqToken is the krb5 token of the recording's first frame.
func apReqToken(t testing.TB, r *recording) []byte {
	t.Helper()
	tok := unhex(t, r.Frames[0].Hex)
	if spnego.IsInit(tok) {
		in, err := spnego.ParseInit(tok)
		if err != nil {
			t.Fatal(err)
		}
		return in.MechToken
	}
	return tok
}

// ticketKey decrypts the AP-REQ's ticket and returns its session key.
func ticketKey(t testing.TB, kt *keytab.Keytab, tok []byte) types.EncryptionKey {
	t.Helper()
	der, err := unframe(tok, 0x0100)
	if err != nil {
		t.Fatal(err)
	}
	var req messages.APReq
	if err := req.Unmarshal(der); err != nil {
		t.Fatal(err)
	}
	if err := req.Ticket.DecryptEncPart(kt, &req.Ticket.SName); err != nil {
		t.Fatal(err)
	}
	return req.Ticket.DecryptedEncPart.Key
}

// encAPRep decrypts an AP-REP token with the ticket session key.
func encAPRep(t testing.TB, tok []byte, key types.EncryptionKey) messages.EncAPRepPart {
	t.Helper()
	der, err := unframe(tok, 0x0200)
	if err != nil {
		t.Fatal(err)
	}
	var rep messages.APRep
	if err := rep.Unmarshal(der); err != nil {
		t.Fatal(err)
	}
	plain, err := crypto.DecryptEncPart(rep.EncPart, key, keyusage.AP_REP_ENCPART)
	if err != nil {
		t.Fatal(err)
	}
	var enc messages.EncAPRepPart
	if err := enc.Unmarshal(plain); err != nil {
		t.Fatal(err)
	}
	return enc
}

// TestRecordedSessions: each recorded AP-REQ is refused with the real clock
// skew, accepted with a lax one (AP-REP decrypts to our subkey and
// sequence number), then refused as a replay. The recorded client frames,
// keyed with MIT's acceptor subkey, unwrap in order, and so do MIT's
// replies (RRC 0 and 28).
func TestRecordedSessions(t *testing.T) {
	kt := serviceKeytab(t)
	for _, name := range []string{"krb5-spnego-nns.json", "krb5-raw-nns.json", "krb5-spnego-rrc28-nns.json"} {
		t.Run(name, func(t *testing.T) {
			r := load(t, name)
			tok := apReqToken(t, r)
			if _, _, err := Accept(Config{Keytab: kt}, tok, loopback); !errors.Is(err, ErrLogonDenied) {
				t.Fatalf("strict clock: %v", err)
			}
			reply, ctx, err := Accept(Config{Keytab: kt, MaxClockSkew: lax}, tok, loopback)
			if err != nil {
				t.Fatal(err)
			}
			if ctx.Client != "alice@IPAM.TEST" || len(ctx.SIDs) != 0 {
				t.Fatalf("client %q SIDs %v", ctx.Client, ctx.SIDs)
			}
			if _, _, err := Accept(Config{Keytab: kt, MaxClockSkew: lax}, tok, loopback); !errors.Is(err, ErrLogonDenied) {
				t.Fatalf("replayed AP-REQ: %v", err)
			}
			tkey := ticketKey(t, kt, tok)
			enc := encAPRep(t, reply, tkey)
			if !bytes.Equal(enc.Subkey.KeyValue, ctx.key.KeyValue) || uint64(enc.SequenceNumber) != ctx.sendSeq {
				t.Fatalf("AP-REP subkey/seq differ from the context")
			}

			// MIT's side of the recording: its AP-REP (inside SPNEGO or raw).
			mitRep := unhex(t, r.Frames[1].Hex)
			if resp, err := spnego.ParseResp(mitRep); err == nil {
				mitRep = resp.ResponseToken
			}
			mit := encAPRep(t, mitRep, tkey)
			if want := unhex(t, r.Server.SessionKey[0]); !bytes.Equal(mit.Subkey.KeyValue, want) {
				t.Fatalf("recorded subkey %x, want %x", mit.Subkey.KeyValue, want)
			}
			// Our acceptor context with MIT's subkey unwraps the client's frames.
			ctx.key = mit.Subkey
			client := &Context{key: mit.Subkey, recvSeq: uint64(mit.SequenceNumber), initiator: true,
				sealSend: keyusage.GSSAPI_INITIATOR_SEAL, sealRecv: keyusage.GSSAPI_ACCEPTOR_SEAL}
			for i := 2; i+1 < len(r.Frames); i += 2 {
				in := unhex(t, r.Frames[i].Hex)
				p, err := ctx.Unwrap(in)
				if err != nil {
					t.Fatalf("frame %d: %v", i, err)
				}
				if !bytes.Equal(p, unhex(t, r.Frames[i].Plain)) {
					t.Fatalf("frame %d: %q", i, p)
				}
				if _, err := ctx.Unwrap(in); !errors.Is(err, ErrIntegrity) {
					t.Fatalf("replayed frame %d: %v", i, err)
				}
				// MIT's sealed reply, seen from the client.
				p, err = client.Unwrap(unhex(t, r.Frames[i+1].Hex))
				if err != nil || !bytes.Equal(p, unhex(t, r.ServerPlain[(i-2)/2])) {
					t.Fatalf("reply %d: %q %v", i+1, p, err)
				}
			}
			// Our replies round-trip to the client view.
			client.recvSeq = ctx.sendSeq
			for _, msg := range []string{"echo:one", "echo:two"} {
				w, err := ctx.Wrap([]byte(msg))
				if err != nil {
					t.Fatal(err)
				}
				if p, err := client.Unwrap(w); err != nil || string(p) != msg {
					t.Fatalf("our reply: %q %v", p, err)
				}
				if _, err := ctx.Unwrap(w); !errors.Is(err, ErrIntegrity) {
					t.Fatalf("reflected token: %v", err)
				}
			}
		})
	}
}

func TestUnwrapTampered(t *testing.T) {
	r := load(t, "krb5-spnego-rrc28-nns.json")
	key := types.EncryptionKey{KeyType: 18, KeyValue: unhex(t, r.Server.SessionKey[0])}
	frame := unhex(t, r.Frames[2].Hex)
	seq := uint64(frame[12])<<24 | uint64(frame[13])<<16 | uint64(frame[14])<<8 | uint64(frame[15])
	for _, tt := range []struct {
		name   string
		mangle func([]byte) []byte
		want   error
	}{
		{"intact", func(b []byte) []byte { return b }, nil},
		{"ciphertext bit", func(b []byte) []byte { b[30] ^= 1; return b }, ErrIntegrity},
		{"rrc changed", func(b []byte) []byte { b[7] = 0; return b }, ErrIntegrity},
		{"sequence changed", func(b []byte) []byte { b[15]++; return b }, ErrIntegrity},
		{"unsealed flag", func(b []byte) []byte { b[2] &^= wrapSealed; return b }, ErrUnsupported},
		{"truncated", func(b []byte) []byte { return b[:20] }, ErrIntegrity},
		{"header only", func(b []byte) []byte { return b[:16] }, ErrMalformed},
		{"MIC token", func(b []byte) []byte { b[1] = 0x04; b[0] = 0x04; return b }, ErrMalformed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := &Context{key: key, recvSeq: seq, sealRecv: keyusage.GSSAPI_INITIATOR_SEAL}
			_, err := ctx.Unwrap(tt.mangle(append([]byte(nil), frame...)))
			if !errors.Is(err, tt.want) && !(tt.want == nil && err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func FuzzUnwrap(f *testing.F) {
	for _, name := range []string{"krb5-spnego-nns.json", "krb5-spnego-rrc28-nns.json"} {
		r := load(f, name)
		f.Add(unhex(f, r.Frames[2].Hex))
	}
	key := types.EncryptionKey{KeyType: 18, KeyValue: make([]byte, 32)}
	f.Fuzz(func(t *testing.T, tok []byte) {
		ctx := &Context{key: key, sealRecv: keyusage.GSSAPI_INITIATOR_SEAL}
		if _, err := ctx.Unwrap(tok); err == nil {
			t.Fatal("a token verified under a zero key")
		}
	})
}

// FuzzAccept: arbitrary initial tokens never panic or authenticate (the
// strict clock refuses even the recorded seeds, so the process-global
// replay cache is not touched).
func FuzzAccept(f *testing.F) {
	kt := serviceKeytab(f)
	for _, name := range []string{"krb5-spnego-nns.json", "krb5-raw-nns.json"} {
		f.Add(apReqToken(f, load(f, name)))
	}
	f.Fuzz(func(t *testing.T, tok []byte) {
		if _, _, err := Accept(Config{Keytab: kt}, tok, loopback); err == nil {
			t.Fatal("fuzzed AP-REQ accepted")
		}
	})
}
