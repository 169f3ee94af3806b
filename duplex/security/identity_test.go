package security

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestIdentity(t *testing.T) {
	tests := []struct {
		id     *Identity
		auth   bool
		admin  bool
		string string
	}{
		{nil, false, false, "<nil>"},
		{&Identity{Mechanism: MechanismNone, Loopback: true}, false, false, "none"},
		{&Identity{Mechanism: MechanismTLSAnonymous, Name: "ignored"}, false, false, "tls-anonymous:ignored"},
		{&Identity{Mechanism: MechanismTLS, Name: "CN=admin"}, true, false, "tls:CN=admin"},
		{&Identity{Mechanism: MechanismKerberos, Name: "alice@IPAM.TEST", SIDs: []string{"S-1-5-21-1", SIDBuiltinAdministrators}}, true, true, "kerberos:alice@IPAM.TEST"},
	}
	for _, tt := range tests {
		if got := tt.id.Authenticated(); got != tt.auth {
			t.Errorf("%v.Authenticated() = %v", tt.id, got)
		}
		if got := tt.id.HasSID(SIDBuiltinAdministrators); got != tt.admin {
			t.Errorf("%v.HasSID(admins) = %v", tt.id, got)
		}
		if got := tt.id.String(); got != tt.string {
			t.Errorf("String() = %q, want %q", got, tt.string)
		}
	}
}

func TestRoleAuthorizer(t *testing.T) {
	a := &RoleAuthorizer{AdminSIDs: []string{"S-1-5-21-1-2-3-512"}, AdminNames: []string{`IPAM\bob`, "CN=admin,O=Example"}}
	tests := []struct {
		name string
		id   *Identity
		want bool
	}{
		{"nil", nil, false},
		{"none, loopback", &Identity{Mechanism: MechanismNone, Loopback: true}, true},
		{"none, insecure remote", &Identity{Mechanism: MechanismNone}, true},
		{"anonymous TLS", &Identity{Mechanism: MechanismTLSAnonymous, Loopback: true}, false},
		{"mapped NTLM name, other case", &Identity{Mechanism: MechanismNTLM, Name: `ipam\BOB`}, true},
		{"unmapped NTLM user", &Identity{Mechanism: MechanismNTLM, Name: `IPAM\carol`}, false},
		{"mapped certificate subject", &Identity{Mechanism: MechanismTLS, Name: "CN=admin,O=Example"}, true},
		{"PAC with BUILTIN\\Administrators", &Identity{Mechanism: MechanismKerberos, Name: "x@R", SIDs: []string{SIDBuiltinAdministrators}}, true},
		{"PAC with mapped group", &Identity{Mechanism: MechanismKerberos, Name: "x@R", SIDs: []string{"S-1-5-21-1-2-3-1001", "S-1-5-21-1-2-3-512"}}, true},
		{"PAC without", &Identity{Mechanism: MechanismKerberos, Name: "x@R", SIDs: []string{"S-1-5-21-1-2-3-513"}}, false},
	}
	for _, tt := range tests {
		err := a.Authorize(context.Background(), tt.id, RoleAdministrators, "StartAsyncProvisioning")
		if (err == nil) != tt.want {
			t.Errorf("%s: Authorize = %v, want allowed=%v", tt.name, err, tt.want)
		}
		if err != nil && !errors.Is(err, ErrAccessDenied) {
			t.Errorf("%s: error %v does not wrap ErrAccessDenied", tt.name, err)
		}
	}
	if err := a.Authorize(context.Background(), &Identity{Mechanism: MechanismNone}, Role("Operators"), "x"); !errors.Is(err, ErrAccessDenied) {
		t.Errorf("unknown role: %v", err)
	}
	// security.refuse_unauthenticated: a caller without security is
	// no one; authenticated administrators are unaffected.
	d := *a
	d.RefuseUnauthenticated = true
	if err := d.Authorize(context.Background(), &Identity{Mechanism: MechanismNone, Loopback: true}, RoleAdministrators, "x"); !errors.Is(err, ErrAccessDenied) {
		t.Errorf("distrusted unauthenticated caller: %v, want ErrAccessDenied", err)
	}
	if err := d.Authorize(context.Background(), &Identity{Mechanism: MechanismNTLM, Name: `IPAM\bob`}, RoleAdministrators, "x"); err != nil {
		t.Errorf("mapped NTLM administrator while distrusting unauthenticated callers: %v", err)
	}
}

// TestIsIpamUser: IPAM Users by SID or name, and every administrator (the
// role above it); an unauthenticated caller only as an administrator.
// Rule E2.
func TestIsIpamUser(t *testing.T) {
	a := &RoleAuthorizer{AdminNames: []string{`IPAMob`}, UserSIDs: []string{"S-1-5-21-1-2-3-1105"}, UserNames: []string{"carol@IPAM.TEST"}}
	for _, tt := range []struct {
		name      string
		id        *Identity
		user, adm bool
	}{
		{"administrator", &Identity{Mechanism: MechanismNTLM, Name: `IPAMob`}, true, true},
		{"IPAM Users by SID", &Identity{Mechanism: MechanismKerberos, Name: "dave@IPAM.TEST", SIDs: []string{"S-1-5-21-1-2-3-1105"}}, true, false},
		{"IPAM Users by name", &Identity{Mechanism: MechanismKerberos, Name: "CAROL@ipam.test"}, true, false},
		{"neither", &Identity{Mechanism: MechanismNTLM, Name: `IPAM\eve`}, false, false},
		{"anonymous TLS named like a user", &Identity{Mechanism: MechanismTLSAnonymous, Name: "carol@IPAM.TEST"}, false, false},
		{"unauthenticated (trusted as administrator)", &Identity{Mechanism: MechanismNone}, true, true},
	} {
		if err := a.Authorize(context.Background(), tt.id, RoleIpamUsers, "InitializeEnumeration"); (err == nil) != tt.user {
			t.Errorf("%s: IsIpamUser: %v, want %v", tt.name, err, tt.user)
		}
		if got := a.IsAdministrator(tt.id); got != tt.adm {
			t.Errorf("%s: IsAdministrator %v, want %v", tt.name, got, tt.adm)
		}
	}
	d := *a
	d.RefuseUnauthenticated = true
	if err := d.Authorize(context.Background(), &Identity{Mechanism: MechanismNone}, RoleIpamUsers, "x"); !errors.Is(err, ErrAccessDenied) {
		t.Errorf("distrusted unauthenticated caller: %v", err)
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
		account *LocalAccount
		err     error
		admin   bool
	}{
		{"root", client, UnixAccount(0, "root", []string{"0"}), nil, true},
		{"the service's account", client, UnixAccount(990, "ipamd", []string{"990"}), nil, true},
		{"a listed user", client, UnixAccount(1500, "carol", []string{"1500"}), nil, true},
		{"a member of a listed group", client, UnixAccount(1600, "dave", []string{"1600", "2000"}), nil, true},
		{"an ordinary user", client, UnixAccount(1001, "alice", []string{"1001", "100"}), nil, false},
		{"elevated Windows administrator", client, &LocalAccount{User: "S-1-5-21-1-2-3-1001", Groups: []string{SIDBuiltinAdministrators}, Admin: true}, nil, true},
		{"owner unknown", client, nil, ErrNoLocalAccount, false},
		{"remote caller", netip.MustParseAddrPort("192.0.2.7:50000"), UnixAccount(0, "root", nil), nil, false},
	}
	for _, tc := range tests {
		calls := 0
		id := NewLocalIdentity(tc.client, server, func(c, s netip.AddrPort) (*LocalAccount, error) {
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
		err := a.Authorize(context.Background(), id, RoleAdministrators, "Initialize")
		if (err == nil) != tc.admin {
			t.Errorf("%s: Authorize = %v, want admin=%v", tc.name, err, tc.admin)
		}
		_ = a.Authorize(context.Background(), id, RoleAdministrators, "Start")
		if want := 1; tc.client == client && calls != want {
			t.Errorf("%s: %d lookups, want %d", tc.name, calls, want)
		}
		if tc.account != nil && tc.client == client && !strings.Contains(id.String(), tc.account.User) {
			t.Errorf("%s: String after the lookup = %q", tc.name, id.String())
		}
		// Trust: every local caller is an administrator, no lookup needed.
		if err := (&RoleAuthorizer{}).Authorize(context.Background(), NewLocalIdentity(tc.client, server, nil), RoleAdministrators, "x"); err != nil {
			t.Errorf("%s: trust: %v", tc.name, err)
		}
	}
	// An identity made without a lookup under a policy: refused.
	if (&RoleAuthorizer{Local: policy}).IsAdministrator(&Identity{Mechanism: MechanismNone, Loopback: true}) {
		t.Error("a none identity without an account is an administrator under a local policy")
	}
}
