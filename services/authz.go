package services

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ipamd/ipamd/duplex/security"
	"github.com/ipamd/ipamd/services/adm"
)

// ErrAccessDenied is returned (wrapped) by an authorizer that refuses.
var ErrAccessDenied = errors.New("access denied")

// RoleAuthorizer decides IsAdministrator and IsIpamUser (MS-IPAMM2 3.1.4.3)
// from an identity the transport verified and the operator's mapping. The
// async port types require adm.RoleAdministrators (3.11.6.1, 3.15.6.1),
// IIpamEnumerator adm.RoleIpamUsers (3.5.6.1): an IPAM user is a member of
// IPAM Users (UserSIDs, UserNames) or an administrator, the role above it.
//
//   - An authenticated identity is an administrator when it carries
//     BUILTIN\Administrators (S-1-5-32-544, in practice only from a Windows
//     PAC that includes resource groups) or one of AdminSIDs, or its Name is
//     one of AdminNames (compared case-insensitively: "IPAM\bob",
//     "alice@IPAM.TEST", "CN=admin,O=Example").
//   - An unauthenticated identity (security none) is judged by its local
//     account when Local is set (security.local_identity os): it is an
//     administrator when the account is root / an elevated member of
//     BUILTIN\Administrators, the daemon's own account, or listed in Local
//     (security.local_administrators) — as on Windows, where a local user
//     who is not an administrator is not an IPAM administrator. A caller
//     whose account cannot be read (a remote caller on an insecure
//     listener, a socket already gone) is not. With Local nil
//     (security.local_identity trust) every such caller is an
//     administrator. RefuseUnauthenticated turns all that off: such a
//     caller is no one.
//   - Anonymous TLS (no client certificate) proves nothing about the
//     caller and is never an administrator.
type RoleAuthorizer struct {
	AdminSIDs  []string
	AdminNames []string
	// UserSIDs and UserNames map the IPAM Users group (IsIpamUser), as
	// AdminSIDs and AdminNames do the administrators.
	UserSIDs  []string
	UserNames []string
	// Local decides for callers on listeners without security; nil trusts
	// them all.
	Local *LocalPolicy
	// RefuseUnauthenticated: callers on listeners without security are
	// not administrators (security.refuse_unauthenticated).
	RefuseUnauthenticated bool
}

// Authorize allows op for id when id holds role, or returns an error
// wrapping ErrAccessDenied. It implements the sessions' Authorizer.
func (a *RoleAuthorizer) Authorize(_ context.Context, id *security.Identity, role adm.Role, op string) error {
	switch role {
	case adm.RoleAdministrators:
		if a.IsAdministrator(id) {
			return nil
		}
	case adm.RoleIpamUsers:
		if a.IsIpamUser(id) {
			return nil
		}
	default:
		return fmt.Errorf("%w: %s requires unknown role %q", ErrAccessDenied, op, role)
	}
	return fmt.Errorf("%w: %s requires %s; %s is not one", ErrAccessDenied, op, role, id)
}

// IsAdministrator is ADM_UserAuthorizationData.IsAdministrator.
func (a *RoleAuthorizer) IsAdministrator(id *security.Identity) bool {
	switch {
	case id == nil:
		return false
	case id.Mechanism == security.MechanismNone:
		if a.RefuseUnauthenticated {
			return false
		}
		if a.Local == nil {
			return true
		}
		acct, err := id.LocalAccount()
		return err == nil && a.Local.admits(acct)
	case !id.Authenticated():
		return false
	case id.HasSID(security.SIDBuiltinAdministrators):
		return true
	}
	for _, sid := range a.AdminSIDs {
		if id.HasSID(sid) {
			return true
		}
	}
	for _, n := range a.AdminNames {
		if strings.EqualFold(n, id.Name) {
			return true
		}
	}
	return false
}

// IsIpamUser is ADM_UserAuthorizationData.IsIpamUser: an administrator, or
// an authenticated member of IPAM Users by SID or name.
func (a *RoleAuthorizer) IsIpamUser(id *security.Identity) bool {
	if a.IsAdministrator(id) {
		return true
	}
	if id == nil || id.Mechanism == security.MechanismNone || !id.Authenticated() {
		return false
	}
	for _, sid := range a.UserSIDs {
		if id.HasSID(sid) {
			return true
		}
	}
	for _, n := range a.UserNames {
		if strings.EqualFold(n, id.Name) {
			return true
		}
	}
	return false
}

// LocalPolicy decides which local accounts are administrators when the
// caller's account is looked up (security.local_identity os). The zero
// value admits only host administrators. The account itself is what the
// transport verified (security.LocalAccount); this is only its mapping to
// the IPAM role.
type LocalPolicy struct {
	// Service is the daemon's own account (User of LocalAccount).
	Service string
	// Users and Groups are the accounts (uids, user SIDs) and groups (gids,
	// group SIDs) of security.local_administrators.
	Users, Groups []string
}

// admits reports whether acct is an administrator under p.
func (p *LocalPolicy) admits(acct *security.LocalAccount) bool {
	switch {
	case acct == nil:
		return false
	case acct.Admin, acct.User != "" && acct.User == p.Service, slices.Contains(p.Users, acct.User):
		return true
	}
	for _, g := range acct.Groups {
		if slices.Contains(p.Groups, g) {
			return true
		}
	}
	return false
}
