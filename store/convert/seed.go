package convert

// Seed rows a v2 store has from provisioning that a converted v1 store must
// gain (ipam-adm.md §3.3, §4 steps 2, 9, 11). Enumerations are stored as
// their XSD literals, as the v1 generator and provisioning do.

// operation is one ADM_AdminOperationsTable row.
type operation struct {
	id, name, group                             string
	adminRoleOnly, nonRBAC, accessScopeAgnostic bool
	// nonRBACRequirement is the spec's NonRBACAdminAccessRequirement text.
	nonRBACRequirement string
}

// missingOperationGroups are groups ADM_AdminOperationsTable's content
// (3.1.1.1.36) assigns operations to that ADM_AdminOperationGroupsTable's
// 45 rows (3.1.1.1.35) lack; they are added so every operation's group
// exists.
var missingOperationGroups = [][2]string{
	{"HostGroupOperations", "Host group operations"},
	{"MACAddressPoolOperations", "MAC address pool operations"},
}

// operationGroupHierarchy is ADM_AdminOperationGroupHierarchyTable's
// content (3.1.1.1.37): parent → children.
var operationGroupHierarchy = []struct {
	parent   string
	children []string
}{
	{"DnsRecordOperations", []string{"ARecordOperations", "AAAARecordOperations", "PTRRecordOperations", "NSRecordOperations",
		"CNAMERecordOperations", "DNAMERecordOperations", "MXRecordOperations", "SRVRecordOperations", "TxtRecordOperations",
		"OtherRecordOperations"}},
	{"OtherRecordOperations", []string{"AFSDBRecordOperations", "ATMARecordOperations", "DHCIDRecordOperations",
		"HInfoRecordOperations", "ISDNRecordOperations", "RPRecordOperations", "RTRecordOperations", "WINSRecordOperations",
		"WINSRRecordOperations", "WKSRecordOperations", "X25RecordOperations"}},
}

// builtinRoles are the nine built-in roles (3.1.1.1.38) with the operation
// groups whose every operation they get (3.1.1.1.39).
var builtinRoles = []struct {
	name   string
	groups []string
}{
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
	{"IPAM Administrator", []string{"AccessPolicyOperations", "AccessScopeOperations", "AddressBlockOperations", "AddressOperations",
		"AddressRangeOperations", "DhcpScopeOperations", "DhcpScopeReservationOperations", "DhcpServerOperations",
		"DnsRecordOperations", "DnsZoneOperations", "LogicalGroupOperations", "CustomFieldOperations", "AddressSubnetOperations",
		"AddressSpaceOperations", "DhcpFailoverOperations", "DhcpSuperscopeOperations"}},
	// The spec spells the group DnsServerOperations here and
	// DNSServerOperations in 3.1.1.1.35; group ids are matched ignoring case.
	{"IPAM DNS Administrator", []string{"DnsZoneOperations", "DnsRecordOperations", "DnsServerOperations"}},
}

// newBuiltinFields are the custom fields v2 adds after #13 (ipam-adm.md
// §3.3): Name, BuiltinCustomFieldNumber.
var newBuiltinFields = [][2]string{
	{"Network Site", "NetworkSite"},
	{"VM Network", "VMNetwork"},
	{"Tenant", "Tenant"},
	{"Isolation Method", "Isolation"},
	{"Region", "Region"},
}

// isolationMethods are the Isolation Method field's provisioned values.
var isolationMethods = []string{"NVGRE", "VLAN", "VXLAN", "IPRewrite"}

// ASM / MSM object types of ADM_AccessScopeAssociationTable (IpamObjectType
// literals) by object kind and family.
var objectTypes = map[string]map[string]string{
	"block":      {"IPv4": "IPv4Block", "IPv6": "IPv6Block"},
	"subnet":     {"IPv4": "IPv4Subnet", "IPv6": "IPv6Subnet"},
	"range":      {"IPv4": "IPv4Range", "IPv6": "IPv6Range"},
	"dhcpServer": {"IPv4": "DHCPServerv4", "IPv6": "DHCPServerv6"},
	"dhcpScope":  {"IPv4": "DHCPScopev4", "IPv6": "DHCPScopev6"},
}

// Association table parts (its Family values).
var asmFamily = map[string]string{"IPv4": "IPv4ASM", "IPv6": "IPv6ASM"}
