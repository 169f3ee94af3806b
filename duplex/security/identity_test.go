package security

import (
	"context"
	"errors"
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
	if err := a.Authorize(context.Background(), &Identity{Mechanism: MechanismNone}, Role("IpamUsers"), "x"); !errors.Is(err, ErrAccessDenied) {
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
