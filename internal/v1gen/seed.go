package v1gen

import "github.com/ipamd/ipamd/store/schema"

// The rows a Windows Server 2012 IPAM server writes when it is provisioned
// (MS-IPAMM 3.1.1.1.13–15, 3.1.1.1.27; docs/data-model.md#v1-tables). Enumerations are
// stored as their XSD literals.

// commonProperties are v1's provisioning values: the v2 list less
// IPAuditTrackingFeature (v1 3.1.1.1.27; docs/data-model.md#column-changes).
var commonProperties = [][2]string{
	{"MaximumUtilizationThreshold", "80"},
	{"MinimumUtilizationThreshold", "20"},
	{"ProvisioningMode", "Manual"},
	{"ExpiryAlertThreshold", "10"},
	{"IpamExpiryLoggingPeriodicity", "Once"},
	{"IpamSecurityGroupIpamUsers", "IPAM Users"},
	{"IpamSecurityGroupIpamAdministrators", "IPAM Administrators"},
	{"IpamSecurityGroupIpamAsmAdministrators", "IPAM ASM Administrators"},
	{"IpamSecurityGroupIpamMsmAdministrators", "IPAM MSM Administrators"},
	{"IpamSecurityGroupIpamIPAuditAdministrators", "IPAM IP Audit Administrators"},
}

// builtinField is one built-in custom field of v1 with its values.
type builtinField struct {
	name, number string // Name, BuiltinCustomFieldNumber (BuiltInCustomField literal)
	values       []string
}

// builtinFields are v1's 13 built-in custom fields in BuiltInCustomField
// order (RecordId = position + 1) and their provisioned values
// (BuiltInCustomFieldValueId = position + 1). Country/Region gets the
// ISO 3166 names v2 provisioning uses too (schema.ISOCountries).
var builtinFields = []builtinField{
	{"RIR", "Rir", []string{"AFRINIC", "APNIC", "ARIN", "LACNIC", "RIPE"}},
	{"Region", "Region", []string{"Asia", "Caribbean", "Central America", "Eastern Europe", "European Union",
		"Middle East", "North America", "Oceania", "South America"}},
	{"Country/Region", "CountryOrRegion", schema.ISOCountries},
	{"Type of networks", "TypeOfNetworks", nil},
	{"AD site", "ADSite", nil},
	{"Microsoft server role", "MicrosoftServerRole", nil},
	{"Device type", "DeviceType", []string{"Firewall", "Host", "Load balancer", "Microsoft Servers", "Non-Microsoft servers",
		"Printer", "Routers", "Switch", "Terminal server", "VM", "VM Manager", "VOIP Gateway", "WAN optimizer",
		"Wireless AP", "Wireless controller"}},
	{"Managed by", "ManagedBy", []string{"IPAM", "MS DHCP", "Non-MS DHCP", "VM Manager", "Others"}},
	{"Managed by entity", "ManagedByEntity", []string{"Localhost"}},
	{"IP Address State", "IPAddressState", []string{"In-Use", "Reserved", "Inactive"}},
	{"IP Pool Name", "IPAddressPoolName", nil},
	{"Logical Network", "LogicalNetwork", nil},
	{"DNS Suffix", "DnsSuffix", nil},
}

// Record ids of the built-in fields the generator attaches values of.
const (
	fieldRegion          = 2
	fieldDeviceType      = 7
	fieldManagedBy       = 8
	fieldManagedByEntity = 9
)

// logicalGroups are v1's two built-in logical groups. The v1 source shows
// BuiltinLogicalGroupNumber 1 for "Managed by" too, which
// docs/data-model.md#gaps-and-decisions takes for an error of the copy it
// was read from: the enumeration puts ManagedBy second.
var logicalGroups = []struct {
	name, number string
	fields       []int // custom field record ids, hierarchy order
}{
	{"Network devices", "NetworkDevices", []int{fieldDeviceType}},
	{"Managed by", "ManagedBy", []int{fieldManagedBy, fieldManagedByEntity}},
}

// taskTypes are v1's IpamTaskType values: one ADM_Tasks row each.
var taskTypes = []string{"Discovery", "Utilization", "Audit", "Configuration", "ServerAvailability", "Monitoring", "Expiry"}
