package convert

// The seed rows a converted store gains (docs/data-model.md#seed-data;
// conversion steps 2, 9, 11) come from store/schema (schema.OperationGroups, schema.BuiltinRoles,
// schema.BuiltinCustomFields, …), the one source provisioning uses too.
// What is conversion's own: the IpamObjectType literals of the objects a
// v1 store already holds.

// ASM / MSM object types of ADM_AccessScopeAssociationTable (IpamObjectType
// literals) by object kind and family.
var objectTypes = map[string]map[string]string{
	"block":      {"IPv4": "IPv4Block", "IPv6": "IPv6Block"},
	"subnet":     {"IPv4": "IPv4Subnet", "IPv6": "IPv6Subnet"},
	"range":      {"IPv4": "IPv4Range", "IPv6": "IPv6Range"},
	"dhcpServer": {"IPv4": "DHCPServerv4", "IPv6": "DHCPServerv6"},
	"dhcpScope":  {"IPv4": "DHCPScopev4", "IPv6": "DHCPScopev6"},
}
