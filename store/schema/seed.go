package schema

// Seed data: the rows a v2 store holds from the start
// (docs/data-model.md#seed-data; conversion steps 2, 9, 11 for a converted
// store). Provisioning (package store) and the v1 → v2 conversion
// (store/convert) both insert from here, so both kinds of store hold the
// same rows. Values are the spec's English names; enumerations are stored
// as their XSD literals.
//
// Where the spec leaves a choice, the choice is made once, here:
//   - The default address space is named DefaultIPAddressSpace (2.2.4.7
//     calls the built-in space so [INFERENCE]); its AddressSpaceType is the
//     IPAddressSpaceType literal Provider, not "ProviderAddressSpace".
//   - The Global access scope's parent is 0 in the protocol (3.1.1.1.40);
//     the store keeps NULL, because ParentAccessScopeId is a foreign key
//     and there is no scope 0.
//   - The default address space's ADM_AccessScopeAssociationTable row is
//     filed under IPv4ASM: an address space spans both families, but the
//     compound table has no family-neutral ASM part [INFERENCE].

// CommonPropertyDefaults are ADM_CommonProperties' provisioning values
// (3.1.1.1.28) other than the security groups and the per-store ones
// (ProvisioningMode, IpamConfiguredDate, DatabaseSchemaVersion, GpoPrefix).
var CommonPropertyDefaults = [][2]string{
	{"MaximumUtilizationThreshold", "80"},
	{"MinimumUtilizationThreshold", "20"},
	{"ExpiryAlertThreshold", "10"},
	{"IpamExpiryLoggingPeriodicity", "Once"},
	{"IPAuditTrackingFeature", "1"},
}

// TaskTypes are the IpamTaskType values, one ADM_Tasks row each
// (3.1.1.1.29; the list is ipamd's inference, docs/data-model.md#seed-data).
var TaskTypes = []string{"Discovery", "Utilization", "Audit", "Configuration", "ServerAvailability", "Monitoring", "Expiry", "DnsConfiguration"}

// BuiltinCustomField is a built-in ADM_CustomFieldsTable row (Origin
// Builtin, Type Multivalued) with its built-in values.
type BuiltinCustomField struct {
	// Number is the field's RecordId in a provisioned store; a converted
	// store numbers the fields v2 added after its user fields.
	Number  int
	Literal string // BuiltinCustomFieldNumber: a BuiltInCustomField literal (2.2.5.5)
	Name    string
	Values  []string // BuiltInCustomFieldValueId = position + 1
	// AddedInV2: a v1 store lacks the field (conversion step 9 adds it).
	AddedInV2 bool
}

// Literals of built-in custom fields other code refers to.
const (
	FieldRegionLegacy    = "RegionLegacy"
	FieldRegion          = "Region"
	FieldManagedBy       = "ManagedBy"
	FieldManagedByEntity = "ManagedByEntity"
	FieldLogicalNetwork  = "LogicalNetwork"
)

// BuiltinCustomFields (3.1.1.1.14, values 3.1.1.1.15). Country/Region gets
// the ISO 3166 names, numbered in alphabetical order (the spec gives no
// ids). v1's Region (#2) is v2's RegionLegacy; v2's Region is a new field.
var BuiltinCustomFields = []BuiltinCustomField{
	{Number: 1, Literal: "Rir", Name: "RIR", Values: []string{"AFRINIC", "APNIC", "ARIN", "LACNIC", "RIPE"}},
	{Number: 2, Literal: FieldRegionLegacy, Name: "RegionLegacy", Values: []string{"Asia", "Caribbean", "Central America",
		"Eastern Europe", "European Union", "Middle East", "North America", "Oceania", "South America"}},
	{Number: 3, Literal: "CountryOrRegion", Name: "Country/Region", Values: ISOCountries},
	{Number: 4, Literal: "TypeOfNetworks", Name: "Type of networks"},
	{Number: 5, Literal: "ADSite", Name: "AD site"},
	{Number: 6, Literal: "MicrosoftServerRole", Name: "Microsoft server role"},
	{Number: 7, Literal: "DeviceType", Name: "Device type", Values: []string{"Firewall", "Host", "Load balancer",
		"Microsoft Servers", "Non-Microsoft servers", "Printer", "Routers", "Switch", "Terminal server", "VM", "VM Manager",
		"VOIP Gateway", "WAN optimizer", "Wireless AP", "Wireless controller"}},
	{Number: 8, Literal: FieldManagedBy, Name: "Managed by", Values: []string{"IPAM", "MS DHCP", "Non-MS DHCP", "VM Manager", "Others"}},
	{Number: 9, Literal: FieldManagedByEntity, Name: "Managed by entity", Values: []string{"Localhost"}},
	{Number: 10, Literal: "IPAddressState", Name: "IP Address State", Values: []string{"In-Use", "Reserved", "Inactive"}},
	{Number: 11, Literal: "IPAddressPoolName", Name: "IP Pool Name"},
	{Number: 12, Literal: FieldLogicalNetwork, Name: "Logical Network"},
	{Number: 13, Literal: "DnsSuffix", Name: "DNS Suffix"},
	{Number: 14, Literal: "NetworkSite", Name: "Network Site", AddedInV2: true},
	{Number: 15, Literal: "VMNetwork", Name: "VM Network", AddedInV2: true},
	{Number: 16, Literal: "Tenant", Name: "Tenant", AddedInV2: true},
	{Number: 17, Literal: "Isolation", Name: "Isolation Method", Values: []string{"NVGRE", "VLAN", "VXLAN", "IPRewrite"}, AddedInV2: true},
	{Number: 18, Literal: FieldRegion, Name: "Region", AddedInV2: true},
}

// BuiltinCustomFieldByLiteral returns the built-in field with
// BuiltinCustomFieldNumber lit.
func BuiltinCustomFieldByLiteral(lit string) (BuiltinCustomField, bool) {
	for _, f := range BuiltinCustomFields {
		if f.Literal == lit {
			return f, true
		}
	}
	return BuiltinCustomField{}, false
}

// BuiltinLogicalGroup is a built-in ADM_LogicalGroupsTable row (Users
// IPAddressSpaceManagement, Origin Builtin).
type BuiltinLogicalGroup struct {
	Name    string
	Literal string // BuiltinLogicalGroupNumber: a BuiltInLogicalGroup literal
	// Fields are the hierarchy's custom fields by BuiltinCustomFieldNumber.
	Fields    []string
	AddedInV2 bool
}

// LogicalGroupUsers is the Users value of the built-in logical groups.
const LogicalGroupUsers = "IPAddressSpaceManagement"

// BuiltinLogicalGroups (3.1.1.1.16; the spec numbers them 1–3,
// NetworkDevices is our spelling of the first literal).
var BuiltinLogicalGroups = []BuiltinLogicalGroup{
	{Name: "Network devices", Literal: "NetworkDevices", Fields: []string{"DeviceType"}},
	{Name: "Managed by", Literal: "ManagedBy", Fields: []string{FieldManagedBy, FieldManagedByEntity}},
	{Name: "VirtualizedProviderAddressSpace", Literal: "VirtualizedProviderAddressSpace",
		Fields: []string{FieldLogicalNetwork, "NetworkSite"}, AddedInV2: true},
}

// LogicalGroupField is one entry of ADM_LogicalGroupsTable.Fields (a JSON
// array in the column).
type LogicalGroupField struct {
	RecordId            int64
	CustomFieldRecordId int64
	CustomFieldName     string
}

// DefaultAddressSpace is the Default Provider Address Space
// (ADM_AddressSpaceTable, 3.1.1.1.33): RecordId 1, "which maps to Default
// Provider Address Space" (3.1.1.1.4.2.1); every non-virtualized block,
// subnet, range and address belongs to it.
var DefaultAddressSpace = struct {
	RecordID                      int64
	Family, AddressSpaceType      string
	IsDefault                     bool
	Name, Description             string
	AssociationFamily, ObjectType string // its ADM_AccessScopeAssociationTable row
}{
	RecordID: 1, Family: "Provider", AddressSpaceType: "Provider", IsDefault: true,
	Name: "DefaultIPAddressSpace", Description: "Default Provider Address Space",
	AssociationFamily: "IPv4ASM", ObjectType: "AddressSpace",
}

// GlobalAccessScope is ADM_AccessScopeTable's built-in row (3.1.1.1.40);
// its ParentAccessScopeId is NULL (see the package note above).
var GlobalAccessScope = struct {
	ID                                int64
	Label, Description, FullScopePath string
	IsBuiltIn                         bool
}{1, "Global", "Global access scope to which all objects belong", `\Global`, true}
