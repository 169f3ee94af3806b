package services

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/ipamd/ipamd/duplex/security"
	"github.com/ipamd/ipamd/services/adm"
)

func TestRoleAuthorizer(t *testing.T) {
	a := &RoleAuthorizer{AdminSIDs: []string{"S-1-5-21-1-2-3-512"}, AdminNames: []string{`IPAM\bob`, "CN=admin,O=Example"}}
	tests := []struct {
		name string
		id   *security.Identity
		want bool
	}{
		{"nil", nil, false},
		{"none, loopback", &security.Identity{Mechanism: security.MechanismNone, Loopback: true}, true},
		{"none, insecure remote", &security.Identity{Mechanism: security.MechanismNone}, true},
		{"anonymous TLS", &security.Identity{Mechanism: security.MechanismTLSAnonymous, Loopback: true}, false},
		{"mapped NTLM name, other case", &security.Identity{Mechanism: security.MechanismNTLM, Name: `ipam\BOB`}, true},
		{"unmapped NTLM user", &security.Identity{Mechanism: security.MechanismNTLM, Name: `IPAM\carol`}, false},
		{"mapped certificate subject", &security.Identity{Mechanism: security.MechanismTLS, Name: "CN=admin,O=Example"}, true},
		{"PAC with BUILTIN\\Administrators", &security.Identity{Mechanism: security.MechanismKerberos, Name: "x@R", SIDs: []string{security.SIDBuiltinAdministrators}}, true},
		{"PAC with mapped group", &security.Identity{Mechanism: security.MechanismKerberos, Name: "x@R", SIDs: []string{"S-1-5-21-1-2-3-1001", "S-1-5-21-1-2-3-512"}}, true},
		{"PAC without", &security.Identity{Mechanism: security.MechanismKerberos, Name: "x@R", SIDs: []string{"S-1-5-21-1-2-3-513"}}, false},
	}
	for _, tt := range tests {
		err := a.Authorize(context.Background(), tt.id, adm.RoleAdministrators, "StartAsyncProvisioning")
		if (err == nil) != tt.want {
			t.Errorf("%s: Authorize = %v, want allowed=%v", tt.name, err, tt.want)
		}
		if err != nil && !errors.Is(err, ErrAccessDenied) {
			t.Errorf("%s: error %v does not wrap ErrAccessDenied", tt.name, err)
		}
	}
	// security.refuse_unauthenticated: a caller without security is
	// no one; authenticated administrators are unaffected.
	d := *a
	d.RefuseUnauthenticated = true
	if err := d.Authorize(context.Background(), &security.Identity{Mechanism: security.MechanismNone, Loopback: true}, adm.RoleAdministrators, "x"); !errors.Is(err, ErrAccessDenied) {
		t.Errorf("distrusted unauthenticated caller: %v, want ErrAccessDenied", err)
	}
	if err := d.Authorize(context.Background(), &security.Identity{Mechanism: security.MechanismNTLM, Name: `IPAM\bob`}, adm.RoleAdministrators, "x"); err != nil {
		t.Errorf("mapped NTLM administrator while distrusting unauthenticated callers: %v", err)
	}
}

// TestLocalPolicy: with a local policy, a caller without transport
// security is an administrator only as its operating-system account
// allows; an account that cannot be read is never one, and the lookup runs
// once, on the first authorization, not for a log line.
func TestLocalPolicy(t *testing.T) {
	client := netip.MustParseAddrPort("127.0.0.1:50000")
	server := netip.MustParseAddrPort("127.0.0.1:48885")
	policy := &LocalPolicy{Service: "990", Users: []string{"1500"}, Groups: []string{"2000"}}
	tests := []struct {
		name    string
		client  netip.AddrPort
		account *security.LocalAccount
		err     error
		admin   bool
	}{
		{"root", client, security.UnixAccount(0, "root", []string{"0"}), nil, true},
		{"the service's account", client, security.UnixAccount(990, "ipamd", []string{"990"}), nil, true},
		{"a listed user", client, security.UnixAccount(1500, "carol", []string{"1500"}), nil, true},
		{"a member of a listed group", client, security.UnixAccount(1600, "dave", []string{"1600", "2000"}), nil, true},
		{"an ordinary user", client, security.UnixAccount(1001, "alice", []string{"1001", "100"}), nil, false},
		{"elevated Windows administrator", client, &security.LocalAccount{User: "S-1-5-21-1-2-3-1001", Groups: []string{security.SIDBuiltinAdministrators}, Admin: true}, nil, true},
		{"owner unknown", client, nil, security.ErrNoLocalAccount, false},
		{"remote caller", netip.MustParseAddrPort("192.0.2.7:50000"), security.UnixAccount(0, "root", nil), nil, false},
	}
	for _, tc := range tests {
		calls := 0
		id := security.NewLocalIdentity(tc.client, server, func(c, s netip.AddrPort) (*security.LocalAccount, error) {
			calls++
			if c != tc.client || s != server {
				t.Errorf("%s: lookup of %s → %s", tc.name, c, s)
			}
			return tc.account, tc.err
		})
		if got := id.String(); got != "none" {
			t.Errorf("%s: String before the lookup = %q", tc.name, got)
		}
		a := &RoleAuthorizer{Local: policy}
		err := a.Authorize(context.Background(), id, adm.RoleAdministrators, "Initialize")
		if (err == nil) != tc.admin {
			t.Errorf("%s: Authorize = %v, want admin=%v", tc.name, err, tc.admin)
		}
		_ = a.Authorize(context.Background(), id, adm.RoleAdministrators, "Start")
		if want := 1; tc.client == client && calls != want {
			t.Errorf("%s: %d lookups, want %d", tc.name, calls, want)
		}
		if tc.account != nil && tc.client == client && !strings.Contains(id.String(), tc.account.User) {
			t.Errorf("%s: String after the lookup = %q", tc.name, id.String())
		}
		// Trust: every local caller is an administrator, no lookup needed.
		if err := (&RoleAuthorizer{}).Authorize(context.Background(), security.NewLocalIdentity(tc.client, server, nil), adm.RoleAdministrators, "x"); err != nil {
			t.Errorf("%s: trust: %v", tc.name, err)
		}
	}
	// An identity made without a lookup under a policy: refused.
	if (&RoleAuthorizer{Local: policy}).IsAdministrator(&security.Identity{Mechanism: security.MechanismNone, Loopback: true}) {
		t.Error("a none identity without an account is an administrator under a local policy")
	}
}

// TestIsIpamUser: IPAM Users by SID or name, and every administrator (the
// role above it); an unauthenticated caller only as an administrator.
// Rule E2.
func TestIsIpamUser(t *testing.T) {
	a := &RoleAuthorizer{AdminNames: []string{`IPAM\bob`}, UserSIDs: []string{"S-1-5-21-1-2-3-1105"}, UserNames: []string{"carol@IPAM.TEST"}}
	for _, tt := range []struct {
		name      string
		id        *security.Identity
		user, adm bool
	}{
		{"administrator", &security.Identity{Mechanism: security.MechanismNTLM, Name: `IPAM\bob`}, true, true},
		{"IPAM Users by SID", &security.Identity{Mechanism: security.MechanismKerberos, Name: "dave@IPAM.TEST", SIDs: []string{"S-1-5-21-1-2-3-1105"}}, true, false},
		{"IPAM Users by name", &security.Identity{Mechanism: security.MechanismKerberos, Name: "CAROL@ipam.test"}, true, false},
		{"neither", &security.Identity{Mechanism: security.MechanismNTLM, Name: `IPAM\eve`}, false, false},
		{"anonymous TLS named like a user", &security.Identity{Mechanism: security.MechanismTLSAnonymous, Name: "carol@IPAM.TEST"}, false, false},
		{"unauthenticated (trusted as administrator)", &security.Identity{Mechanism: security.MechanismNone}, true, true},
	} {
		if err := a.Authorize(context.Background(), tt.id, adm.RoleIpamUsers, "InitializeEnumeration"); (err == nil) != tt.user {
			t.Errorf("%s: IsIpamUser: %v, want %v", tt.name, err, tt.user)
		}
		if got := a.IsAdministrator(tt.id); got != tt.adm {
			t.Errorf("%s: IsAdministrator %v, want %v", tt.name, got, tt.adm)
		}
	}
	d := *a
	d.RefuseUnauthenticated = true
	if err := d.Authorize(context.Background(), &security.Identity{Mechanism: security.MechanismNone}, adm.RoleIpamUsers, "x"); !errors.Is(err, ErrAccessDenied) {
		t.Errorf("distrusted unauthenticated caller: %v", err)
	}
}

// TestUnknownRoleRefused: a role the authorizer does not know is never
// granted, whoever asks.
func TestUnknownRoleRefused(t *testing.T) {
	a := &RoleAuthorizer{}
	if err := a.Authorize(context.Background(), &security.Identity{Mechanism: security.MechanismNone}, adm.Role("Operators"), "x"); !errors.Is(err, ErrAccessDenied) {
		t.Errorf("unknown role: %v", err)
	}
}
