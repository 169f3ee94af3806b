// Package security holds what transport security hands to the layers above
// it: the authenticated Identity of a peer and the Authorizer interface that
// sessions consult. It carries no cryptography itself; the upgraders that
// produce identities live in its subpackages (tlsupgrade, …), so the framing
// layer (duplex/nmf) can pass an Identity along without depending on any
// crypto policy.
package security

import (
	"context"
	"errors"
	"slices"
)

// Mechanisms an Identity can come from.
const (
	// MechanismNone: no transport security (a `none` listener). The
	// Identity then only says where the connection came from.
	MechanismNone = "none"
	// MechanismTLS: application/ssl-tls with a verified client certificate.
	MechanismTLS = "tls"
	// MechanismTLSAnonymous: application/ssl-tls without a client
	// certificate (server authentication and encryption only).
	MechanismTLSAnonymous = "tls-anonymous"
	// MechanismNTLM / MechanismKerberos: application/negotiate.
	MechanismNTLM     = "ntlm"
	MechanismKerberos = "kerberos"
)

// Well-known SIDs the authorization rules of MS-IPAMM2 §2.5 refer to.
const (
	// SIDBuiltinAdministrators is BUILTIN\Administrators.
	SIDBuiltinAdministrators = "S-1-5-32-544"
)

// Identity is who the peer of a connection is, as established by the
// transport. It is immutable once produced.
type Identity struct {
	// Mechanism is one of the Mechanism* constants.
	Mechanism string
	// Name is the authenticated principal: the client certificate's subject
	// (RFC 2253 form, e.g. "CN=admin,O=Example") for TLS, DOMAIN\user for
	// NTLM, user@REALM for Kerberos; empty when unauthenticated.
	Name string
	// SIDs are the security identifiers the mechanism vouches for (from a
	// Kerberos PAC); empty for TLS and NTLM against a local account file.
	SIDs []string
	// Loopback reports that the connection came from a loopback address.
	Loopback bool

	// local finds the operating-system account of a MechanismNone caller
	// (NewLocalIdentity); nil when it is not looked up.
	local *localPeer
}

// Authenticated reports whether a principal was verified.
func (id *Identity) Authenticated() bool {
	return id != nil && id.Name != "" && id.Mechanism != MechanismNone && id.Mechanism != MechanismTLSAnonymous
}

// HasSID reports whether the identity carries sid.
func (id *Identity) HasSID(sid string) bool {
	return id != nil && slices.Contains(id.SIDs, sid)
}

// String is the form used in logs: "mechanism:name" or "mechanism".
func (id *Identity) String() string {
	switch {
	case id == nil:
		return "<nil>"
	case id.Name == "":
		if acct := id.localString(); acct != "" {
			return id.Mechanism + ":" + acct
		}
		return id.Mechanism
	}
	return id.Mechanism + ":" + id.Name
}

// Authenticated is implemented by connections returned from an upgrade that
// authenticated the peer (or established that it is anonymous); the framing
// layer copies the identity into the session's preamble.
type Authenticated interface {
	PeerIdentity() *Identity
}

// ErrAccessDenied is returned (wrapped) by an Authorizer that refuses.
var ErrAccessDenied = errors.New("access denied")

// Role is a group of MS-IPAMM2 §2.5 whose membership an operation requires.
type Role string

// RoleAdministrators is "IsAdministrator" of MS-IPAMM2 §3.4: the caller is
// in BUILTIN\Administrators (or what the configuration maps to it).
const RoleAdministrators Role = "Administrators"

// RoleIpamUsers is "IsIpamUser" (3.1.4.3, required by IIpamEnumerator,
// 3.5.6.1): members of IPAM Users and of the administrator roles above it.
const RoleIpamUsers Role = "IPAM Users"

// Authorizer decides whether an identity may perform an operation that
// requires role. It returns nil to allow and an error wrapping
// ErrAccessDenied to refuse; op names the operation for the log.
type Authorizer interface {
	Authorize(ctx context.Context, id *Identity, role Role, op string) error
}
