package negotiate_test

import (
	"context"
	"encoding/asn1"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/ipamd/ipamd/duplex/nmf"
	"github.com/ipamd/ipamd/duplex/security"
	"github.com/ipamd/ipamd/duplex/security/krb5"
	"github.com/ipamd/ipamd/duplex/security/negotiate"
	"github.com/ipamd/ipamd/duplex/security/nns"
	"github.com/ipamd/ipamd/duplex/security/ntlm"
	"github.com/ipamd/ipamd/duplex/security/spnego"
)

// The service keytab of host/localhost@IPAM.TEST (password
// Service-Pass-1234), shared with package krb5's recordings.
func serviceKeytab(t *testing.T) *keytab.Keytab {
	t.Helper()
	kt, err := keytab.Load("../krb5/testdata/service.keytab")
	if err != nil {
		t.Fatal(err)
	}
	return kt
}

// ticketFor issues a service ticket for host/localhost@IPAM.TEST to
// name@realm with the service key, as the IPAM.TEST KDC would.
func ticketFor(t *testing.T, kt *keytab.Keytab, name, realm string) *krb5.Initiator {
	t.Helper()
	now := time.Now().UTC()
	cname := types.NewPrincipalName(nametype.KRB_NT_PRINCIPAL, name)
	sname := types.NewPrincipalName(nametype.KRB_NT_SRV_HST, "host/localhost")
	tkt, key, err := messages.NewTicket(cname, realm, sname, "IPAM.TEST", types.NewKrbFlags(), kt, 18, 1,
		now, now, now.Add(time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return &krb5.Initiator{Ticket: tkt, SessionKey: key, CName: cname, CRealm: realm}
}

var oidNEGOEX = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 2, 2, 30}

// TestKerberosSessions: Kerberos through the real nmf listener, with the
// mechanism lists and mechListMIC exchanges Windows and MIT clients use,
// and the forged authenticators that must not name the caller.
func TestKerberosSessions(t *testing.T) {
	kt := serviceKeytab(t)
	addr, r := serveWith(t, negotiate.Config{
		NTLM:     ntlm.Config{Accounts: testAccounts, Computer: "IPAMD"},
		Kerberos: &krb5.Config{Keytab: kt, TrustedRealms: []string{"OTHER.TEST"}},
	})
	tests := []struct {
		name     string
		user     string
		realm    string
		spnego   bool
		mechs    []asn1.ObjectIdentifier
		earlyMIC bool
		edit     func(*types.Authenticator)
		mangle   func(*negotiate.KerberosInitiator) // tampering on the wire
		wantCode uint32
		wantName string
	}{
		{name: "spnego, optimistic", user: "alice", realm: "IPAM.TEST", spnego: true, wantName: "alice@IPAM.TEST"},
		{name: "raw", user: "alice", realm: "IPAM.TEST", wantName: "alice@IPAM.TEST"},
		{name: "spnego, Windows list (MS-KRB5, KRB5, NEGOEX, NTLM)", user: "alice", realm: "IPAM.TEST", spnego: true,
			mechs: []asn1.ObjectIdentifier{spnego.OIDMSKRB5, spnego.OIDKRB5, oidNEGOEX, spnego.OIDNTLM}, wantName: "alice@IPAM.TEST"},
		{name: "spnego, client mechListMIC beside the AP-REQ", user: "alice", realm: "IPAM.TEST", spnego: true, earlyMIC: true,
			mechs: []asn1.ObjectIdentifier{spnego.OIDMSKRB5, spnego.OIDKRB5, spnego.OIDNTLM}, wantName: "alice@IPAM.TEST"},
		{name: "spnego, NEGOEX first: Kerberos chosen, MICs exchanged", user: "alice", realm: "IPAM.TEST", spnego: true,
			mechs: []asn1.ObjectIdentifier{oidNEGOEX, spnego.OIDMSKRB5, spnego.OIDNTLM}, wantName: "alice@IPAM.TEST"},
		{name: "trusted realm", user: "admin", realm: "OTHER.TEST", spnego: true, wantName: "admin@OTHER.TEST"},
		{name: "untrusted realm", user: "admin", realm: "THIRD.TEST", spnego: true, wantCode: nns.SecELogonDenied},
		{name: "authenticator claims the service's realm", user: "admin", realm: "OTHER.TEST", spnego: true,
			edit: func(a *types.Authenticator) { a.CRealm = "IPAM.TEST" }, wantCode: nns.SecELogonDenied},
		{name: "authenticator claims another name", user: "carol", realm: "IPAM.TEST", spnego: true,
			edit: func(a *types.Authenticator) { a.CName = types.NewPrincipalName(nametype.KRB_NT_PRINCIPAL, "admin") }, wantCode: nns.SecELogonDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(r.routed())
			k := ticketFor(t, kt, tt.user, tt.realm)
			k.EditAuthenticator = tt.edit
			ini := &negotiate.KerberosInitiator{Krb: k, SPNEGO: tt.spnego, MechTypes: tt.mechs, EarlyMIC: tt.earlyMIC}
			nc, err := nns.Initiate(context.Background(), dialUpgraded(t, addr), ini)
			if tt.wantCode != 0 {
				var pe *nns.PeerError
				if !errors.As(err, &pe) || pe.HResult != tt.wantCode {
					t.Fatalf("err = %v, want HandshakeError %#x", err, tt.wantCode)
				}
				if len(r.routed()) != before {
					t.Fatal("a session was routed after a failed handshake")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := echo(t, nc, []byte("hello")); err != nil {
				t.Fatal(err)
			}
			ids := r.routed()
			if id := ids[len(ids)-1]; id.Mechanism != security.MechanismKerberos || id.Name != tt.wantName {
				t.Fatalf("identity %+v, want kerberos:%s", id, tt.wantName)
			}
		})
	}
}

// micTamper corrupts the mechListMIC of the client's n-th handshake token.
type micTamper struct {
	*negotiate.KerberosInitiator
	step, at int
}

func (m *micTamper) Step(tok []byte) ([]byte, bool, error) {
	out, done, err := m.KerberosInitiator.Step(tok)
	if m.step++; m.step == m.at && err == nil {
		out[len(out)-1] ^= 1 // the mechListMIC is the token's last field
	}
	return out, done, err
}

// TestKerberosMechListMICRefused: a client mechListMIC that does not
// verify — beside the AP-REQ, or in the third message after a mechanism
// switch — fails the handshake with SEC_E_LOGON_DENIED.
func TestKerberosMechListMICRefused(t *testing.T) {
	kt := serviceKeytab(t)
	addr, r := serveWith(t, negotiate.Config{Kerberos: &krb5.Config{Keytab: kt}})
	for _, tt := range []struct {
		name  string
		mechs []asn1.ObjectIdentifier
		early bool
		at    int
	}{
		{"beside the AP-REQ", nil, true, 1},
		{"after a mechanism switch", []asn1.ObjectIdentifier{oidNEGOEX, spnego.OIDKRB5}, false, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ini := &micTamper{KerberosInitiator: &negotiate.KerberosInitiator{Krb: ticketFor(t, kt, "alice", "IPAM.TEST"),
				SPNEGO: true, MechTypes: tt.mechs, EarlyMIC: tt.early}, at: tt.at}
			_, err := nns.Initiate(context.Background(), dialUpgraded(t, addr), ini)
			var pe *nns.PeerError
			if !errors.As(err, &pe) || pe.HResult != nns.SecELogonDenied {
				t.Fatalf("err = %v, want SEC_E_LOGON_DENIED", err)
			}
		})
	}
	if n := len(r.routed()); n != 0 {
		t.Fatalf("%d sessions routed", n)
	}
}

// TestConnectionReuse: .NET pools the raw socket of a secured session and
// starts the next session on it with a cleartext preamble and a new
// upgrade. The listener serves it, and the second session is whoever its
// own handshake names: never the first session's caller, and nobody when
// it skips the upgrade.
func TestConnectionReuse(t *testing.T) {
	kt := serviceKeytab(t)
	addr, r := serveWith(t, negotiate.Config{
		NTLM:     ntlm.Config{Accounts: testAccounts, Computer: "IPAMD"},
		Kerberos: &krb5.Config{Keytab: kt},
	})
	c := dialUpgraded(t, addr)
	nc, err := nns.Initiate(context.Background(), c, &negotiate.NTLMInitiator{SPNEGO: true,
		Client: &ntlm.Client{Domain: "IPAM", User: "bob", NTHash: ntlm.NTHash("Bob-Pass-1234")}})
	if err != nil {
		t.Fatal(err)
	}
	if err := echo(t, nc, []byte("first")); err != nil {
		t.Fatal(err)
	}
	// Second session on the same socket, raw again.
	if _, err := c.Write(preamble()); err != nil {
		t.Fatal(err)
	}
	one := make([]byte, 1)
	if _, err := io.ReadFull(c, one); err != nil || one[0] != 0x0A {
		t.Fatalf("second upgrade response % x %v", one, err)
	}
	nc, err = nns.Initiate(context.Background(), c, &negotiate.KerberosInitiator{Krb: ticketFor(t, kt, "alice", "IPAM.TEST"), SPNEGO: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := echo(t, nc, []byte("second")); err != nil {
		t.Fatal(err)
	}
	ids := r.routed()
	if len(ids) != 2 || ids[0].Name != `IPAM\bob` || ids[1].Name != "alice@IPAM.TEST" {
		t.Fatalf("sessions %v, want IPAM\\bob then alice@IPAM.TEST", ids)
	}

	// A third session that skips the upgrade is refused: the identity
	// went with the secured stream.
	noUpgrade := append([]byte{0x00, 0x01, 0x00, 0x01, 0x02, 0x02, byte(len(via))}, via...)
	if _, err := c.Write(append(noUpgrade, 0x03, 0x08, 0x0C)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c, one); err != nil || one[0] != 0x08 {
		t.Fatalf("session without upgrade: record % x %v, want a Fault (08)", one, err)
	}
	if n := len(r.routed()); n != 2 {
		t.Fatalf("%d sessions routed, want 2", n)
	}
}

// TestConnectionReuseAfterJunk: bytes the client sends on the secured
// stream after its End leave the socket in an unknown state: the server
// closes instead of reading them as a preamble.
func TestConnectionReuseAfterJunk(t *testing.T) {
	addr, r := serve(t)
	c := dialUpgraded(t, addr)
	nc, err := nns.Initiate(context.Background(), c, &negotiate.NTLMInitiator{SPNEGO: true,
		Client: &ntlm.Client{Domain: "IPAM", User: "bob", NTHash: ntlm.NTHash("Bob-Pass-1234")}})
	if err != nil {
		t.Fatal(err)
	}
	rec := nmf.AppendSizedEnvelope([]byte{0x0C}, []byte("hi")) // Preamble End, one message
	if _, err := nc.Write(rec); err != nil {
		t.Fatal(err)
	}
	if _, err := nc.Write([]byte{0x07, 0x00, 0x01}); err != nil { // End, then a Version record in the same frame
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	for {
		if _, err := nc.Read(buf); err != nil {
			break // the server closed
		}
	}
	if _, err := c.Write(preamble()); err == nil {
		if _, err := io.ReadFull(c, buf[:1]); err == nil && buf[0] == 0x0A {
			t.Fatal("the connection took a new upgrade after junk on the secured stream")
		}
	}
	if n := len(r.routed()); n != 1 {
		t.Fatalf("%d sessions routed", n)
	}
}
