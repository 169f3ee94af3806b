package krb5

import (
	"errors"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// mintTicket issues a service ticket for host/localhost@IPAM.TEST to
// name@realm with the service key, as the IPAM.TEST KDC would (for a
// cross-realm client after it presented its krbtgt/IPAM.TEST@realm).
func mintTicket(t testing.TB, kt *keytab.Keytab, name, realm string) *Initiator {
	t.Helper()
	now := time.Now().UTC()
	cname := types.NewPrincipalName(nametype.KRB_NT_PRINCIPAL, name)
	sname := types.NewPrincipalName(nametype.KRB_NT_SRV_HST, "host/localhost")
	tkt, key, err := messages.NewTicket(cname, realm, sname, "IPAM.TEST", types.NewKrbFlags(), kt, 18, 1,
		now, now, now.Add(time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return &Initiator{Ticket: tkt, SessionKey: key, CName: cname, CRealm: realm}
}

// TestClientNamedByTicket: the caller's name and realm come from the
// ticket; an authenticator naming another realm or name (the client
// writes it, knowing the session key) is KRB_AP_ERR_BADMATCH; a client
// of another realm needs that realm in TrustedRealms.
func TestClientNamedByTicket(t *testing.T) {
	kt := serviceKeytab(t)
	tests := []struct {
		name    string
		user    string
		realm   string
		trusted []string
		edit    func(*types.Authenticator)
		want    error
		client  string
	}{
		{"own realm", "admin", "IPAM.TEST", nil, nil, nil, "admin@IPAM.TEST"},
		{"other realm, untrusted", "admin", "OTHER.TEST", nil, nil, ErrRealmNotTrusted, ""},
		{"other realm, trusted", "admin", "OTHER.TEST", []string{"OTHER.TEST"}, nil, nil, "admin@OTHER.TEST"},
		{"other realm, trusted in another spelling", "admin", "OTHER.TEST", []string{"other.test"}, nil, ErrRealmNotTrusted, ""},
		{"authenticator rewrites the realm", "admin", "OTHER.TEST", []string{"OTHER.TEST"},
			func(a *types.Authenticator) { a.CRealm = "IPAM.TEST" }, ErrBadMatch, ""},
		{"authenticator rewrites the realm, untrusted", "admin", "OTHER.TEST", nil,
			func(a *types.Authenticator) { a.CRealm = "IPAM.TEST" }, ErrBadMatch, ""},
		{"authenticator rewrites the name", "carol", "IPAM.TEST", nil,
			func(a *types.Authenticator) { a.CName = types.NewPrincipalName(nametype.KRB_NT_PRINCIPAL, "admin") }, ErrLogonDenied, ""},
		{"authenticator realm case", "admin", "IPAM.TEST", nil,
			func(a *types.Authenticator) { a.CRealm = "ipam.test" }, ErrBadMatch, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ini := mintTicket(t, kt, tt.user, tt.realm)
			ini.EditAuthenticator = tt.edit
			tok, err := ini.Token()
			if err != nil {
				t.Fatal(err)
			}
			reply, ctx, err := Accept(Config{Keytab: kt, TrustedRealms: tt.trusted}, tok, loopback)
			if !errors.Is(err, tt.want) || (err != nil) != (tt.want != nil) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if err != nil {
				if !errors.Is(err, ErrLogonDenied) {
					t.Fatalf("%v does not map to SEC_E_LOGON_DENIED", err)
				}
				return
			}
			if ctx.Client != tt.client {
				t.Fatalf("client %q, want %q", ctx.Client, tt.client)
			}
			if _, err := ini.Complete(reply); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestInitiatorSession: our initiator against our acceptor: sealed data
// both ways, and the mechListMIC exchange of RFC 4178 with RFC 4121 MIC
// tokens sharing the Wrap sequence numbers.
func TestInitiatorSession(t *testing.T) {
	kt := serviceKeytab(t)
	ini := mintTicket(t, kt, "alice", "IPAM.TEST")
	tok, err := ini.Token()
	if err != nil {
		t.Fatal(err)
	}
	reply, acc, err := Accept(Config{Keytab: kt}, tok, loopback)
	if err != nil {
		t.Fatal(err)
	}
	cli, err := ini.Complete(reply)
	if err != nil {
		t.Fatal(err)
	}
	mechs := []byte("mechTypes DER")
	mic, err := acc.GetMIC(mechs)
	if err != nil {
		t.Fatal(err)
	}
	if err := acc.VerifyMIC(mechs, mic); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("own MIC reflected: %v", err)
	}
	if err := cli.VerifyMIC([]byte("other list"), mic); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("MIC over another list: %v", err)
	}
	if err := cli.VerifyMIC(mechs, mic); err != nil {
		t.Fatal(err)
	}
	if err := cli.VerifyMIC(mechs, mic); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("replayed MIC: %v", err)
	}
	cmic, err := cli.GetMIC(mechs)
	if err != nil {
		t.Fatal(err)
	}
	if err := acc.VerifyMIC(mechs, cmic); err != nil {
		t.Fatal(err)
	}
	w, err := cli.Wrap([]byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	if p, err := acc.Unwrap(w); err != nil || string(p) != "hello" {
		t.Fatalf("unwrap %q %v", p, err)
	}
	w, err = acc.Wrap([]byte("echo:hello"))
	if err != nil {
		t.Fatal(err)
	}
	if p, err := cli.Unwrap(w); err != nil || string(p) != "echo:hello" {
		t.Fatalf("client unwrap %q %v", p, err)
	}
	// A reply for another authenticator is refused.
	other := mintTicket(t, kt, "alice", "IPAM.TEST")
	if _, err := other.Token(); err != nil {
		t.Fatal(err)
	}
	other.SessionKey = ini.SessionKey
	if _, err := other.Complete(reply); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("AP-REP for another authenticator: %v", err)
	}
}

// FuzzVerifyMIC: arbitrary MIC tokens never panic or verify.
func FuzzVerifyMIC(f *testing.F) {
	f.Add([]byte{0x04, 0x04, 0x04, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
	f.Add([]byte{0x04, 0x04, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
	key := types.EncryptionKey{KeyType: 18, KeyValue: make([]byte, 32)}
	f.Fuzz(func(t *testing.T, tok []byte) {
		ctx := &Context{key: key, initKey: key}
		if err := ctx.VerifyMIC([]byte("mechs"), tok); err == nil {
			t.Fatal("a MIC verified under a zero key")
		}
	})
}

// FuzzAuthenticatorNames: whatever client name and realm an authenticator
// claims beside a genuine ticket for admin@OTHER.TEST (OTHER.TEST
// trusted), the acceptor either refuses or names the caller exactly as the
// ticket does.
func FuzzAuthenticatorNames(f *testing.F) {
	kt := serviceKeytab(f)
	f.Add("admin", "OTHER.TEST")
	f.Add("admin", "IPAM.TEST")
	f.Add("Admin", "other.test")
	f.Add("admin/", "OTHER.TEST")
	ini := mintTicket(f, kt, "admin", "OTHER.TEST") // each Token is a fresh authenticator
	f.Fuzz(func(t *testing.T, name, realm string) {
		ini.EditAuthenticator = func(a *types.Authenticator) {
			a.CName = types.NewPrincipalName(nametype.KRB_NT_PRINCIPAL, name)
			a.CRealm = realm
		}
		tok, err := ini.Token()
		if err != nil {
			return // not marshallable: nothing to send
		}
		_, ctx, err := Accept(Config{Keytab: kt, TrustedRealms: []string{"OTHER.TEST"}, MaxClockSkew: time.Hour}, tok, loopback)
		if err != nil {
			return
		}
		if ctx.Client != "admin@OTHER.TEST" {
			t.Fatalf("authenticator %q@%q: caller named %q", name, realm, ctx.Client)
		}
	})
}
