package security

import "testing"

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
