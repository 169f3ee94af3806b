package adm

// Role is ADM_UserAuthorizationData's view of a caller (MS-IPAMM2 3.1.1,
// 3.1.4.3): the §2.5 group whose membership an operation requires. Which
// identities hold a role is the services' mapping (services.RoleAuthorizer);
// which role an operation requires is its port type's (sessions.Binding).
type Role string

const (
	// RoleAdministrators is IsAdministrator: BUILTIN\Administrators or what
	// the configuration maps to it; the async port types require it
	// (3.11.6.1, 3.15.6.1).
	RoleAdministrators Role = "Administrators"
	// RoleIpamUsers is IsIpamUser: members of IPAM Users and of the
	// administrator roles above it; IIpamEnumerator requires it (3.5.6.1).
	RoleIpamUsers Role = "IPAM Users"
)
