package negotiate_test

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/ipamd/ipamd/duplex/security/krb5"
	"github.com/ipamd/ipamd/duplex/security/negotiate"
	"github.com/ipamd/ipamd/duplex/security/nns"
	"github.com/ipamd/ipamd/internal/negotiatetest"
	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// serviceTicket reads the ticket for host/localhost@IPAM.TEST that MIT's
// kvno put into ccache (FILE:path): what a Go client presents, with every
// field of its authenticator under the test's control.
func serviceTicket(t *testing.T, ccache string) *krb5.Initiator {
	t.Helper()
	cc, err := credentials.LoadCCache(strings.TrimPrefix(ccache, "FILE:"))
	if err != nil {
		t.Fatal(err)
	}
	cred, ok := cc.GetEntry(types.NewPrincipalName(nametype.KRB_NT_SRV_HST, "host/localhost"))
	if !ok {
		t.Fatalf("no ticket for host/localhost in %s", ccache)
	}
	var tkt messages.Ticket
	if err := tkt.Unmarshal(cred.Ticket); err != nil {
		t.Fatal(err)
	}
	return &krb5.Initiator{Ticket: tkt, SessionKey: cred.Key, CName: cred.Client.PrincipalName, CRealm: cred.Client.Realm}
}

// initialize upgrades a connection to port with ini and sends
// InitializeAsyncProvisioning; it returns the answer, or the handshake
// error.
func initialize(t *testing.T, port string, ini nns.Initiator) (*soap.Envelope, error) {
	t.Helper()
	nc, err := negotiatetest.Dial(t, "127.0.0.1:"+port, ini)
	if err != nil {
		return nil, err
	}
	return negotiatetest.Initialize(t, nc), nil
}

// TestMITKerberosCrossRealm: with a real cross-realm trust (one MIT KDC
// serving IPAM.TEST and OTHER.TEST, krbtgt/IPAM.TEST@OTHER.TEST in both),
// admin@OTHER.TEST gets a genuine ticket for host/localhost@IPAM.TEST.
// ipamd refuses it unless OTHER.TEST is a trusted realm; trusted, it is
// admin@OTHER.TEST and not the administrator admin@IPAM.TEST; and an
// authenticator rewritten to claim crealm IPAM.TEST (the client knows the
// session key) is KRB_AP_ERR_BADMATCH, SEC_E_LOGON_DENIED, either way.
func TestMITKerberosCrossRealm(t *testing.T) {
	requirePeers(t)
	r := startKDC(t, true)
	adminCC := "FILE:" + filepath.Join(r.dir, "admin.ccache")
	otherCC := "FILE:" + filepath.Join(r.dir, "other-admin.ccache")
	r.run(t, adminCC, adminPass+"\n", "kinit", "admin@"+realmName)
	r.run(t, otherCC, otherPass+"\n", "kinit", "admin@"+otherRealm)
	for _, cc := range []string{adminCC, otherCC} {
		r.run(t, cc, "", "kvno", "host/localhost@"+realmName)
	}
	serve := func(extra ...string) string {
		return startIpamdWith(t, t.TempDir(), append([]string{"--security-negotiate-keytab-file", r.keytab,
			"--security-administrators", "admin@" + realmName}, extra...)...)
	}
	strict := serve()
	trusting := serve("--security-negotiate-kerberos-trusted-realms", otherRealm)

	t.Run("MIT client", func(t *testing.T) {
		for _, tt := range []struct {
			name, ccache, port string
			wantCode           int
			want               string
		}{
			{"admin@IPAM.TEST", adminCC, strict, 0, "SESSION_OK"},
			{"admin@OTHER.TEST, realm not trusted", otherCC, strict, 3, "HANDSHAKE_ERROR 0x8009030C"},
			{"admin@OTHER.TEST, realm trusted", otherCC, trusting, 0, "SESSION_OK"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				out, code := runClient(t, append(cleanEnv(), "KRB5_CONFIG="+r.krb5conf, "KRB5CCNAME="+tt.ccache), tt.port, "--mech", "spnego")
				if code != tt.wantCode || !strings.Contains(out, tt.want) {
					t.Fatalf("exit %d, want %d with %q; output:\n%s", code, tt.wantCode, tt.want, out)
				}
			})
		}
	})

	claimIPAM := func(a *types.Authenticator) { a.CRealm = realmName }
	for _, tt := range []struct {
		name      string
		ccache    string
		port      string
		edit      func(*types.Authenticator)
		wantCode  uint32 // HandshakeError; 0: the handshake passes
		wantAdmin bool
	}{
		{"admin@IPAM.TEST is the administrator", adminCC, strict, nil, 0, true},
		{"admin@OTHER.TEST, trusted, is not admin@IPAM.TEST", otherCC, trusting, nil, 0, false},
		{"admin@OTHER.TEST, untrusted", otherCC, strict, nil, nns.SecELogonDenied, false},
		{"forged authenticator crealm IPAM.TEST, trusted", otherCC, trusting, claimIPAM, nns.SecELogonDenied, false},
		{"forged authenticator crealm IPAM.TEST, untrusted", otherCC, strict, claimIPAM, nns.SecELogonDenied, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			k := serviceTicket(t, tt.ccache)
			k.EditAuthenticator = tt.edit
			env, err := initialize(t, tt.port, &negotiate.KerberosInitiator{Krb: k, SPNEGO: true})
			if tt.wantCode != 0 {
				var pe *nns.PeerError
				if !errors.As(err, &pe) || pe.HResult != tt.wantCode {
					t.Fatalf("handshake: %v, want HandshakeError %#x", err, tt.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantAdmin {
				if env.IsFault() || env.Header.Action != ipam.ActionInitializeAsyncProvisioningResponse {
					t.Fatalf("administrator: action %q fault=%v", env.Header.Action, env.IsFault())
				}
				return
			}
			if !env.IsFault() {
				t.Fatalf("%s was taken for an administrator (%s)", tt.name, env.Header.Action)
			}
			if _, detail, err := soap.ReadFault(env.Body()); err != nil || !bytes.Contains(detail, []byte(ipam.IpamApiAccessDenied)) {
				t.Fatalf("fault detail %q %v, want IpamApiAccessDenied", detail, err)
			}
		})
	}
}
