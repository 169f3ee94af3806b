package schema

import "strings"

// The read-only RBAC catalogue of MS-IPAMM2 3.1.1.1.35 – 3.1.1.1.37 and the
// built-in roles of 3.1.1.1.38 / 3.1.1.1.39 (docs/data-model.md#seed-data),
// transcribed from those sections (spelling as in the spec, e.g. "Edit IP address bloc"). Both
// provisioning (package store) and the v1 → v2 conversion (store/convert)
// insert these rows, so a converted store and a provisioned one hold the
// same catalogue. Where the spec spells a group id two ways, the
// ADM_AdminOperationGroupsTable spelling (3.1.1.1.35) is used everywhere:
// "DnsServerOperations" in 3.1.1.1.36 / 3.1.1.1.39 is DNSServerOperations.

// OperationGroup is one ADM_AdminOperationGroupsTable row.
type OperationGroup struct {
	ID, Name string
}

// OperationGroups is ADM_AdminOperationGroupsTable's content: the spec's 45
// rows and two more (HostGroupOperations, MACAddressPoolOperations) that
// five operations of Appendix A.2 belong to; without them those
// operations' OperationGroupId would reference no group.
var OperationGroups = []OperationGroup{
	{"AAAARecordOperations", "AAAA resource record operations"},
	{"AccessPolicyOperations", "Access policy operations"},
	{"AccessScopeOperations", "Access scope operations"},
	{"AddressBlockOperations", "IP address block operations"},
	{"AddressOperations", "IP address operations"},
	{"AddressRangeOperations", "IP address range operations"},
	{"AddressSpaceOperations", "IP address space operations"},
	{"AddressSubnetOperations", "IP address subnet operations"},
	{"AFSDBRecordOperations", "AFSDB resource record operations"},
	{"ARecordOperations", "A resource record operations"},
	{"ATMARecordOperations", "ATMA resource record operations"},
	{"AuditOperations", "Audit related operations"},
	{"CNAMERecordOperations", "CNAME resource record operations"},
	{"CustomFieldOperations", "Custom field operations"},
	{"DHCIDRecordOperations", "DHCID resource record operations"},
	{"DhcpFailoverOperations", "DHCP failover operations"},
	{"DhcpScopeOperations", "DHCP scope operations"},
	{"DhcpScopeReservationOperations", "DHCP reservation operations"},
	{"DhcpServerOperations", "DHCP server operations"},
	{"DhcpSuperscopeOperations", "DHCP superscope operations"},
	{"DNAMERecordOperations", "DNAME resource record operations"},
	{"DnsRecordOperations", "DNS resource record management operations"},
	{"DnsZoneOperations", "DNS zone operations"},
	{"GenericOperations", "Generic operations"},
	{"GlobalConfigurationOperations", "IPAM configuration operations"},
	{"HInfoRecordOperations", "Host group operations"},
	{"ISDNRecordOperations", "ISDN resource record operations"},
	{"LogicalGroupOperations", "Logical group operations"},
	{"MXRecordOperations", "MX resource record operations"},
	{"NSRecordOperations", "NS resource record operations"},
	{"OtherRecordOperations", "General resource record operations"},
	{"PTRRecordOperations", "PTR resource record operations"},
	{"RPRecordOperations", "RP resource record operations"},
	{"RTRecordOperations", "RT resource record operations"},
	{"SecretKeyOperations", "Secret key operations"},
	{"ServerInventoryOperations", "Server inventory operations"},
	{"SRVRecordOperations", "SRV resource record operations"},
	{"TaskOperations", "Task operations"},
	{"TxtRecordOperations", "TXT resource record operations"},
	{"UserRoleOperations", "Role operations"},
	{"WINSRecordOperations", "WINS resource record operations"},
	{"WINSRRecordOperations", "WINSR resource record operations"},
	{"WKSRecordOperations", "WKS resource record operations"},
	{"X25RecordOperations", "X25 resource record operations"},
	{"DNSServerOperations", "DNS server operations"},
	// Not in the spec's 45-row table, but five operations of A.2 belong to
	// them; without them those operations would have no group.
	{"HostGroupOperations", "Host group operations"},
	{"MACAddressPoolOperations", "MAC address pool operations"},
}

// AdminOperation is one ADM_AdminOperationsTable row.
type AdminOperation struct {
	ID, Name, Group                             string
	AdminRoleOnly, NonRBAC, AccessScopeAgnostic bool
	// Requirement is NonRBACAdminAccessRequirement as the spec words it
	// ("ASM Admins / MSM Admins"); Requirements splits it.
	Requirement string
}

// Requirements is the operation's NonRBACAdminAccessRequirement as the
// list of group names the store keeps (JSON array in the column).
func (o AdminOperation) Requirements() []string {
	var out []string
	for _, p := range strings.Split(o.Requirement, "/") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// AdminOperations is ADM_AdminOperationsTable's content (110 rows).
var AdminOperations = []AdminOperation{
	{"AddressSpaceCreate", "Create IP address space", "AddressSpaceOperations", false, false, false, "ASM Admins"},
	{"AddressSpaceDelete", "Delete IP address space", "AddressSpaceOperations", false, false, false, "ASM Admins"},
	{"AddressSpaceEdit", "Edit IP address space", "AddressSpaceOperations", false, false, false, "ASM Admins"},
	{"AddressSubnetCreate", "Create IP address subnet", "AddressSubnetOperations", false, false, false, "ASM Admins"},
	{"AddressSubnetDelete", "Delete IP address subnet", "AddressSubnetOperations", false, false, false, "ASM Admins"},
	{"AddressSubnetEdit", "Edit IP address subnet", "AddressSubnetOperations", false, false, false, "ASM Admins"},
	{"AddressSubnetRemapToBlock", "Remap IP address subnet to IP address block", "AddressSubnetOperations", false, false, false, "ASM Admins"},
	{"AddServer", "Add server", "ServerInventoryOperations", false, true, true, "All Admins / Audit admins"},
	{"AutogenerateSecretKey", "Autogenerate secret key", "SecretKeyOperations", false, true, true, "IPAMAdmins"},
	{"ConnectToAnotherDatabase", "Connect to database", "GenericOperations", true, true, true, "IPAMAdmins / LocalAdministrator"},
	{"CreateAccessPolicy", "Create access policy", "AccessPolicyOperations", true, false, false, "IPAMAdmins / LocalAdministrator"},
	{"CreateAccessScope", "Create access scope", "AccessScopeOperations", true, false, false, "IPAMAdmins / LocalAdministrator"},
	{"CreateAddressBlock", "Create IP address block", "AddressBlockOperations", false, false, false, "ASM Admins"},
	{"CreateAddressRange", "Create IP address range", "AddressRangeOperations", false, false, false, "ASM Admins / MSM Admins"},
	{"CreateCustomField", "Create custom field", "CustomFieldOperations", false, false, true, "All Admins"},
	{"CreateIPAddress", "Create IP address", "AddressOperations", false, false, false, "ASM Admins"},
	{"CreateLogicalGroup", "Create logical group", "LogicalGroupOperations", false, false, true, "All Admins"},
	{"CreateUserRole", "Create role", "UserRoleOperations", true, true, true, "IPAMAdmins / LocalAdministrator"},
	{"DeleteAccessPolicy", "Delete access policy", "AccessPolicyOperations", true, false, false, "IPAMAdmins / LocalAdministrator"},
	{"DeleteAccessScope", "Delete access scope", "AccessScopeOperations", true, false, false, "IPAMAdmins / LocalAdministrator"},
	{"DeleteAddressBlock", "Delete IP address block", "AddressBlockOperations", false, false, false, "ASM Admins"},
	{"DeleteAddressRange", "Delete IP address range", "AddressRangeOperations", false, false, false, "ASM Admins / MSM Admins"},
	{"DeleteCustomField", "Delete custom field", "CustomFieldOperations", false, false, true, "All Admins"},
	{"DeleteDiscoveryConfig", "Delete discovery configuration", "GlobalConfigurationOperations", false, true, true, "All Admins"},
	{"DeleteIPAddress", "Delete IP address", "AddressOperations", false, false, false, "ASM Admins"},
	{"DeleteLogicalGroup", "Delete logical group", "LogicalGroupOperations", false, false, true, "All Admins"},
	{"DeleteServer", "Delete server", "ServerInventoryOperations", false, true, true, "All Admins / Audit admins"},
	{"DeleteUserRole", "Delete role", "UserRoleOperations", true, true, true, "IPAMAdmins / LocalAdministrator"},
	{"EditCustomField", "Edit custom field", "CustomFieldOperations", false, false, true, "All Admins"},
	{"GenerateUpgradeValidationFailureLog", "GenerateUpgradeValidationFailureLog", "GenericOperations", true, true, true, "IPAMAdmins / LocalAdministrator"},
	{"GenericRead", "Read data", "GenericOperations", false, true, true, "All Readers"},
	{"HostGroupCreate", "Create host group", "HostGroupOperations", false, false, true, "IPAM ASM Administrators"},
	{"HostGroupDelete", "Delete host group", "HostGroupOperations", false, false, true, "IPAM ASM Administrators"},
	{"IPAddressAudit", "IP address audit query", "AuditOperations", false, true, true, "IPAudit Admins"},
	{"MACAddressPoolCreate", "Create MAC address pool", "MACAddressPoolOperations", false, false, true, "IPAM ASM Administrators"},
	{"MACAddressPoolDelete", "Delete MAC address pool", "MACAddressPoolOperations", false, false, true, "IPAM ASM Administrators"},
	{"MACAddressPoolEdit", "Edit MAC address pool", "MACAddressPoolOperations", false, false, true, "IPAM ASM Administrators"},
	{"ManageCustomFieldValues", "Add, update and delete custom field values", "CustomFieldOperations", false, false, true, "All Admins"},
	{"MapAddressRangeToAddressBlock", "Remap IP address range to IP address block", "AddressRangeOperations", false, false, false, "ASM Admins / MSM Admins"},
	{"MapIPRangeToReverseLookupZone", "MAP ip Range to a reverse lookup zone", "AddressRangeOperations", false, false, false, "ASM Admins"},
	{"MoveDatabase", "Move Database", "GenericOperations", true, true, true, "IPAMAdmins / LocalAdministrator"},
	{"MsmDhcpActivateScope", "Activate DHCP scope", "DhcpScopeOperations", false, false, false, "IPAM MSM Administrators"},
	{"MsmDhcpConfigurePredefinedOptions", "Configure predefined DHCP options", "DhcpServerOperations", false, false, false, "IPAM MSM Administrators"},
	{"MsmDhcpConfigureUserClass", "Configure DHCP user class", "DhcpServerOperations", false, false, false, "IPAM MSM Administrators"},
	{"MsmDhcpConfigureVendorClass", "Configure DHCP vendor class", "DhcpServerOperations", false, false, false, "IPAM MSM Administrators"},
	{"MsmDhcpCreateFailover", "Create DHCP failover relationship", "DhcpFailoverOperations", false, false, false, "MSM Admins"},
	{"MsmDhcpCreateScope", "Create DHCP scope", "DhcpScopeOperations", false, false, false, "MSM Admins"},
	{"MsmDhcpCreateScopePolicy", "Configure DHCP scope policy", "DhcpScopeOperations", false, false, false, "MSM Admins"},
	{"MsmDhcpCreateServerPolicy", "Configure DHCP server policy", "DhcpServerOperations", false, false, false, "MSM Admins"},
	{"MsmDhcpCreateSuperscope", "Create DHCP superscope", "DhcpSuperscopeOperations", false, false, false, "IPAM MSM Administrators"},
	{"MsmDhcpDeleteFailover", "Delete DHCP failover relationship", "DhcpFailoverOperations", false, false, false, "MSM Admins"},
	{"MsmDhcpDeleteScope", "Delete DHCP scope", "DhcpScopeOperations", false, false, false, "MSM Admins"},
	{"MsmDhcpDeleteScopePolicy", "Delete DHCP scope policy", "DhcpScopeOperations", false, false, false, "IPAM MSM Administrators"},
	{"MsmDhcpDeleteServerPolicy", "Delete DHCP server policy", "DhcpServerOperations", false, false, false, "IPAM MSM Administrators"},
	{"MsmDhcpDeleteSuperscope", "Delete DHCP superscope", "DhcpSuperscopeOperations", false, false, false, "MSM Admins"},
	{"MsmDhcpEditFailover", "Edit DHCP failover relationship", "DhcpFailoverOperations", false, false, false, "MSM Admins"},
	{"MsmDhcpEditScope", "Edit DHCP scope", "DhcpScopeOperations", false, false, false, "MSM Admins"},
	{"MsmDhcpEditScopeOptions", "Edit DHCP scope options", "DhcpScopeOperations", false, false, false, "IPAM MSM Administrators"},
	{"MsmDhcpEditScopePolicy", "Edit DHCP scope policy", "DhcpScopeOperations", false, false, false, "IPAM MSM Administrators"},
	{"MsmDhcpEditServerOptions", "Edit DHCP server options", "DhcpServerOperations", false, false, false, "IPAM MSM Administrators"},
	{"MsmDhcpEditServerPolicy", "Edit DHCP server policy", "DhcpServerOperations", false, false, false, "IPAM MSM Administrators"},
	{"MsmDhcpEditServerProperties", "Edit DHCP server properties", "DhcpServerOperations", false, false, false, "MSM Admins"},
	{"MsmDhcpEditSuperscope", "Edit DHCP superscope", "DhcpSuperscopeOperations", false, false, false, "MSM Admins"},
	{"MsmDhcpFilterOperation", "Manage DHCP MAC filter operations", "DhcpServerOperations", false, false, false, "MSM Admins"},
	{"MsmDhcpReplicateOperation", "Replicate DHCP failover relationship (access scope agnostic operation)", "DhcpFailoverOperations", false, false, true, "MSM Admins"},
	{"MsmDhcpScopeCreateOrEditAddressReservation", "Create or edit DHCP reservation", "DhcpScopeReservationOperations", false, false, false, "ASM Admins / MSM Admins"},
	{"MsmDhcpScopeDeleteAddressReservation", "Delete DHCP reservation", "DhcpScopeReservationOperations", false, false, false, "ASM Admins / MSM Admins"},
	{"MsmDhcpScopeEditAddressReservation", "Edit DHCP reservation", "DhcpScopeReservationOperations", false, false, false, "MSM Admins"},
	{"MsmDnsCreateResourceRecord", "Create DNS resource records", "DnsRecordOperations", false, false, false, "IPAM ASM Administrators / IPAM MSM Administrators"},
	{"MsmDnsDeleteResourceRecord", "Delete DNS resource records", "DnsRecordOperations", false, false, false, "IPAM ASM Administrators / IPAM MSM Administrators"},
	{"MsmDnsCreateHostARecord", "Create DNS A resource records", "ARecordOperations", false, false, false, "ASM Admins / MSM Admins"},
	{"MsmDnsCreateNameServersRecord", "Create DNS Name Server resource records", "NSRecordOperations", false, false, false, "MSM Admins"},
	{"MsmDnsCreatePointerRecord", "Create DNS PTR resource records", "PTRRecordOperations", false, false, false, "ASM Admins / MSM Admins"},
	{"MsmDnsDeleteHostARecord", "Delete DNS A resource records", "ARecordOperations", false, false, false, "ASM Admins / MSM Admins"},
	{"MsmDnsDeleteNameServersRecord", "Delete DNS Name Server resource records", "NSRecordOperations", false, false, false, "MSM Admins"},
	{"MsmDnsDeletePointerRecord", "Delete DNS PTR resource records", "PTRRecordOperations", false, false, false, "ASM Admins / MSM Admins"},
	{"MsmDnsEditHostARecord", "Edit DNS A resource records", "ARecordOperations", false, false, false, "MSM Admins"},
	{"MsmDnsResetZoneStatus", "Reset DNS zone status", "DnsZoneOperations", false, false, false, "IPAMAdmins / MSM Admins"},
	{"MsmDnsSetPreferredServerForZone", "Set preferred DNS server for zone", "DnsZoneOperations", false, false, false, "MSM Admins"},
	{"ProvisionServer", "Provision IPAM server", "GlobalConfigurationOperations", false, true, true, "LocalAdministrator"},
	{"PurgeAuditData", "Purge audit data", "AuditOperations", false, true, true, "IPAMAdmins"},
	{"ReadSecretKey", "Retrieve secret key", "SecretKeyOperations", false, true, true, "IPAMAdmins"},
	{"RecomputeHashUsingStoredSecretKey", "Recompute Hash", "SecretKeyOperations", false, true, true, "IPAMAdmins"},
	{"RetrieveDatabaseConfiguration", "Retrieve current database configuration", "GenericOperations", true, true, true, "IPAMAdmins / LocalAdministrator"},
	{"SaveDiscoveryConfig", "Save discovery configuration", "GlobalConfigurationOperations", false, true, true, "All Admins"},
	{"SchemaConversion", "Schema conversion of IPAM server", "GlobalConfigurationOperations", false, true, true, "LocalAdministrator"},
	{"SetAddressBlockAccessScope", "Set access scope on IP address block", "AddressBlockOperations", false, false, false, "IPAMAdmins"},
	{"SetAddressRangeAccessScope", "Set access scope on IP address range", "AddressRangeOperations", false, false, false, "IPAMAdmins"},
	{"SetAddressSpaceAccessScope", "Set access scope on IP address space", "AddressSpaceOperations", false, false, false, "IPAMAdmins"},
	{"SetAddressSubnetAccessScope", "Set access scope on IP address subnet", "AddressSubnetOperations", false, false, false, "IPAMAdmins"},
	{"SetCommonPropertyValue", "Set global configuration state", "GlobalConfigurationOperations", false, true, true, "All Admins"},
	{"SetMsmDhcpScopeAccessScope", "Set access scope on DHCP scope", "DhcpScopeOperations", false, false, false, "IPAMAdmins"},
	{"SetMsmDhcpServerAccessScope", "Set access scope on DHCP server", "DhcpServerOperations", false, false, false, "IPAMAdmins"},
	{"SetMsmDhcpSuperscopeAccessScope", "Set access scope on DHCP superscope", "DhcpSuperscopeOperations", false, false, false, "IPAMAdmins"},
	{"SetMsmDnsResourceRecordAccessScope", "Set access scope on DNS resource record", "DnsRecordOperations", false, false, false, "IPAMAdmins"},
	{"SetMsmDnsZoneAccessScope", "Set access scope on DNS zone", "DnsZoneOperations", false, false, false, "IPAMAdmins"},
	{"TaskStart", "Start IPAM task", "TaskOperations", false, true, true, "All Admins"},
	{"UpdateAccessPolicy", "Edit access policy", "AccessPolicyOperations", true, false, false, "IPAMAdmins / LocalAdministrator"},
	{"UpdateAccessScope", "Edit access scope", "AccessScopeOperations", true, false, false, "IPAMAdmins / LocalAdministrator"},
	{"UpdateAddressBlock", "Edit IP address bloc", "AddressBlockOperations", false, false, false, "ASM Admins"},
	{"UpdateDiscoveryConfig", "Edit discovery configuration", "GlobalConfigurationOperations", false, true, true, "All Admins"},
	{"UpdateIPAddress", "Edit IP address", "AddressOperations", false, false, false, "ASM Admins"},
	{"UpdateIPAddressRange", "Edit IP address range", "AddressRangeOperations", false, false, false, "ASM Admins / MSM Admins"},
	{"UpdateLogicalGroup", "Edit logical group", "LogicalGroupOperations", false, false, true, "All Admins"},
	{"UpdateSecretKey", "Edit secret key", "SecretKeyOperations", false, true, true, "IPAMAdmins"},
	{"UpdateServer", "Edit server", "ServerInventoryOperations", false, true, true, "All Admins / IPAM Audit Admin"},
	{"UpdateUserRole", "Edit role", "UserRoleOperations", true, true, true, "IPAMAdmins / LocalAdministrator"},
	{"ValidateIfUpgradeIsPossible", "ValidateIfUpgradeIsPossible", "GenericOperations", true, true, true, "IPAMAdmins / LocalAdministrator"},
	{"SetMsmDnsServerAccessScope", "Set access scope on DNS server", "DNSServerOperations", false, false, false, "IPAMAdmins"},
	{"PurgeUtilizationData", "Purge Utilization data", "AddressOperations", false, true, true, "IPAMAdmins / LocalAdministrator"},
}

// GroupHierarchy is a parent group with its child groups
// (ADM_AdminOperationGroupHierarchyTable rows, one per child).
type GroupHierarchy struct {
	Parent   string
	Children []string
}

// OperationGroupHierarchy is ADM_AdminOperationGroupHierarchyTable's
// content (3.1.1.1.37), in insertion order.
var OperationGroupHierarchy = []GroupHierarchy{
	{"DnsRecordOperations", []string{"ARecordOperations", "AAAARecordOperations", "PTRRecordOperations", "NSRecordOperations",
		"CNAMERecordOperations", "DNAMERecordOperations", "MXRecordOperations", "SRVRecordOperations",
		"TxtRecordOperations", "OtherRecordOperations"}},
	{"OtherRecordOperations", []string{"AFSDBRecordOperations", "ATMARecordOperations", "DHCIDRecordOperations",
		"HInfoRecordOperations", "ISDNRecordOperations", "RPRecordOperations", "RTRecordOperations",
		"WINSRecordOperations", "WINSRRecordOperations", "WKSRecordOperations", "X25RecordOperations"}},
}

// BuiltinRole is one ADM_RoleDefinitionTable row created with the store,
// with the operation groups whose operations it is granted
// (ADM_RoleOperationMapTable, 3.1.1.1.39).
type BuiltinRole struct {
	Name   string
	Groups []string
}

// Description is the role's Description column (the spec gives none).
func (r BuiltinRole) Description() string { return "Built-in role " + r.Name }

// Operations expands the role's groups, with their descendants in
// OperationGroupHierarchy, to the operation ids granted, in AdminOperations
// order. A group's grant includes its child groups (3.1.1.1.37): an IPAM
// DNS Record Administrator may create A records [INFERENCE].
func (r BuiltinRole) Operations() []string {
	children := map[string][]string{}
	for _, h := range OperationGroupHierarchy {
		children[h.Parent] = h.Children
	}
	want := map[string]bool{}
	var add func(g string)
	add = func(g string) {
		if want[g] {
			return
		}
		want[g] = true
		for _, c := range children[g] {
			add(c)
		}
	}
	for _, g := range r.Groups {
		add(g)
	}
	var ops []string
	for _, o := range AdminOperations {
		if want[o.Group] {
			ops = append(ops, o.ID)
		}
	}
	return ops
}

// BuiltinRoles in the order 3.1.1.1.38 lists them; RoleId is the position + 1.
var BuiltinRoles = []BuiltinRole{
	{"IPAM DHCP Reservations Administrator", []string{"DhcpScopeReservationOperations"}},
	{"IPAM DHCP Scope Administrator", []string{"DhcpScopeOperations", "DhcpScopeReservationOperations", "DhcpSuperscopeOperations"}},
	{"IPAM DNS Record Administrator", []string{"DnsRecordOperations"}},
	{"IPAM DHCP Administrator", []string{"DhcpServerOperations", "DhcpScopeOperations", "DhcpScopeReservationOperations",
		"CustomFieldOperations", "DhcpFailoverOperations", "DhcpSuperscopeOperations"}},
	{"IP Address Record Administrator", []string{"AddressOperations"}},
	{"IPAM ASM Administrator", []string{"AddressBlockOperations", "AddressRangeOperations", "AddressOperations",
		"CustomFieldOperations", "AddressSubnetOperations", "AddressSpaceOperations"}},
	{"IPAM MSM Administrator", []string{"DhcpServerOperations", "DhcpScopeOperations", "DhcpScopeReservationOperations",
		"DnsZoneOperations", "DnsRecordOperations", "CustomFieldOperations", "DhcpFailoverOperations", "DhcpSuperscopeOperations"}},
	{"IPAM Administrator", []string{"AccessPolicyOperations", "AccessScopeOperations", "AddressBlockOperations",
		"AddressOperations", "AddressRangeOperations", "DhcpScopeOperations", "DhcpScopeReservationOperations",
		"DhcpServerOperations", "DnsRecordOperations", "DnsZoneOperations", "LogicalGroupOperations",
		"CustomFieldOperations", "AddressSubnetOperations", "AddressSpaceOperations", "DhcpFailoverOperations",
		"DhcpSuperscopeOperations"}},
	// The spec's DnsServerOperations (sic) is the group DNSServerOperations.
	{"IPAM DNS Administrator", []string{"DnsZoneOperations", "DnsRecordOperations", "DNSServerOperations"}},
}
