package services

import (
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// The kinds of rows of this file, numbered apart from the other files'.
const (
	// ServerInfoRows: the servers of ADM_ServersTable as ServerInfo rows
	// (ServerInfoEnumerationParameters, 3.5.4.8.1.78).
	ServerInfoRows RowKind = iota + 96
	// DataCollectionRows: a DHCP, DNS or audit parameter type; RowQuery.Tables
	// names the ADM tables it reads. ipamd builds none of their rows: the
	// enumeration is empty where those tables exist and hold no row, and
	// IpamApiInvalidEnumeration otherwise (docs/protocol.md, "DHCP, DNS and
	// audit parameter types").
	DataCollectionRows
)

// DataCollectionType is one DHCP, DNS or audit parameter type of the
// logic table (MS-IPAMM2 3.5.4.8.1): its object type and the ADM tables
// its processing reads rows from.
type DataCollectionType struct {
	New    func() ipam.AnyEnumerationParametersBase
	Object ipam.EnumerationObjectType
	Tables []string
}

// The ADM tables the DHCP, DNS and audit types read (MS-IPAMM2 3.1.1.1;
// services does not import the store's schema package).
const (
	tableConfigurationAudit   = "ADM_ConfigurationAuditTable"
	tableDhcpPolicy           = "ADM_DhcpPolicyTable"
	tableDhcpFailover         = "ADM_DhcpFailoverRelationTable"
	tableDhcpScopeFailover    = "ADM_DhcpScopeFailoverTable"
	tableDhcpFilter           = "ADM_DhcpFilterTable"
	tableDHCPReservation      = "ADM_DHCPReservationTable"
	tableDHCPScopes           = "ADM_DHCPScopesTable"
	tableDHCPServers          = "ADM_DHCPServersTable"
	tableDhcpSuperscope       = "ADM_DhcpSuperscopeTable"
	tableDNSForwarder         = "ADM_DNSConditionalForwarderTable"
	tableDNSResourceRecord    = "ADM_DNSResourceRecordTable"
	tableDNSReverseLookup     = "ADM_DNSReverseLookupTable"
	tableDnsServers           = "ADM_DnsServersTable"
	tableDNSServerReverseZone = "ADM_DNSServerReverseLookupZoneTable"
	tableDNSServerZone        = "ADM_DNSServerForwardLookupZoneTable"
	tableDNSForwardLookup     = "ADM_DNSForwardLookupTable"
	tableDnsZoneEvents        = "ADM_DnsZoneEventsTable"
)

// DataCollectionTypes are the 37 DHCP, DNS and configuration audit
// parameter types of the logic table, by XSD name (the table spells some
// DHCP…; the wire spells them Dhcp…).
var DataCollectionTypes = map[string]DataCollectionType{
	"ConfigurationAuditEnumerationParameters": {func() ipam.AnyEnumerationParametersBase { return new(ipam.ConfigurationAuditEnumerationParameters) }, ipam.EnumerationObjectTypeConfigurationAudit, []string{tableConfigurationAudit}},

	"DhcpEffectiveScopePoliciesEnumerationParameters":     {func() ipam.AnyEnumerationParametersBase { return new(ipam.DhcpEffectiveScopePoliciesEnumerationParameters) }, ipam.EnumerationObjectTypeDhcpPolicy, []string{tableDhcpPolicy}},
	"DhcpEffectiveServerPoliciesEnumerationParameters":    {func() ipam.AnyEnumerationParametersBase { return new(ipam.DhcpEffectiveServerPoliciesEnumerationParameters) }, ipam.EnumerationObjectTypeDhcpPolicy, []string{tableDhcpPolicy}},
	"DhcpPoliciesByDhcpServerIdListEnumerationParameters": {func() ipam.AnyEnumerationParametersBase { return new(ipam.DhcpPoliciesByDhcpServerIdListEnumerationParameters) }, ipam.EnumerationObjectTypeDhcpPolicy, []string{tableDhcpPolicy}},
	"DhcpPoliciesEnumerationParameters":                   {func() ipam.AnyEnumerationParametersBase { return new(ipam.DhcpPoliciesEnumerationParameters) }, ipam.EnumerationObjectTypeDhcpPolicy, []string{tableDhcpPolicy}},
	"DhcpScopePoliciesWithoutRangesEnumerationParameters": {func() ipam.AnyEnumerationParametersBase { return new(ipam.DhcpScopePoliciesWithoutRangesEnumerationParameters) }, ipam.EnumerationObjectTypeDhcpPolicy, []string{tableDhcpPolicy}},

	"DhcpFailoverAllEnumerationParameters":         {func() ipam.AnyEnumerationParametersBase { return new(ipam.DhcpFailoverAllEnumerationParameters) }, ipam.EnumerationObjectTypeDhcpFailover, []string{tableDhcpFailover}},
	"DhcpFailoverByServerIdsEnumerationParameters": {func() ipam.AnyEnumerationParametersBase { return new(ipam.DhcpFailoverByServerIdsEnumerationParameters) }, ipam.EnumerationObjectTypeDhcpFailover, []string{tableDhcpFailover}},
	"DhcpFailoverEnumerationParameters":            {func() ipam.AnyEnumerationParametersBase { return new(ipam.DhcpFailoverEnumerationParameters) }, ipam.EnumerationObjectTypeDhcpFailover, []string{tableDhcpFailover}},
	"DhcpFailoverScopesEnumerationParameters":      {func() ipam.AnyEnumerationParametersBase { return new(ipam.DhcpFailoverScopesEnumerationParameters) }, ipam.EnumerationObjectTypeDhcpScope, []string{tableDhcpScopeFailover, tableDHCPScopes}},

	"DhcpFilterAllEnumerationParameters":         {func() ipam.AnyEnumerationParametersBase { return new(ipam.DhcpFilterAllEnumerationParameters) }, ipam.EnumerationObjectTypeDhcpFilter, []string{tableDhcpFilter}},
	"DhcpFilterByServerIdsEnumerationParameters": {func() ipam.AnyEnumerationParametersBase { return new(ipam.DhcpFilterByServerIdsEnumerationParameters) }, ipam.EnumerationObjectTypeDhcpFilter, []string{tableDhcpFilter}},

	"DhcpReservationAllEnumerationParameters":        {func() ipam.AnyEnumerationParametersBase { return new(ipam.DhcpReservationAllEnumerationParameters) }, ipam.EnumerationObjectTypeDhcpReservation, []string{tableDHCPReservation}},
	"DhcpReservationScopeBasedEnumerationParameters": {func() ipam.AnyEnumerationParametersBase { return new(ipam.DhcpReservationScopeBasedEnumerationParameters) }, ipam.EnumerationObjectTypeDhcpReservation, []string{tableDHCPReservation}},

	"DhcpScopeAllEnumerationParameters":                         {func() ipam.AnyEnumerationParametersBase { return new(ipam.DhcpScopeAllEnumerationParameters) }, ipam.EnumerationObjectTypeDhcpScope, []string{tableDHCPScopes}},
	"DhcpScopeAssociatedWithVendorClassesEnumerationParameters": {func() ipam.AnyEnumerationParametersBase { return new(ipam.DhcpScopeAssociatedWithVendorClassesEnumerationParameters) }, ipam.EnumerationObjectTypeDhcpScope, []string{tableDHCPScopes}},
	"DhcpScopeByPrefixAndServerNameEnumerationParameters":       {func() ipam.AnyEnumerationParametersBase { return new(ipam.DhcpScopeByPrefixAndServerNameEnumerationParameters) }, ipam.EnumerationObjectTypeDhcpScope, []string{tableDHCPScopes}},
	"DhcpScopeForIpBlockEnumerationParameters":                  {func() ipam.AnyEnumerationParametersBase { return new(ipam.DhcpScopeForIpBlockEnumerationParameters) }, ipam.EnumerationObjectTypeDhcpScope, []string{tableDHCPScopes}},
	"DhcpScopeObjectSpecificEnumerationParameters":              {func() ipam.AnyEnumerationParametersBase { return new(ipam.DhcpScopeObjectSpecificEnumerationParameters) }, ipam.EnumerationObjectTypeDhcpScope, []string{tableDHCPScopes}},
	"DhcpScopesByDhcpServerIdListEnumerationParameters":         {func() ipam.AnyEnumerationParametersBase { return new(ipam.DhcpScopesByDhcpServerIdListEnumerationParameters) }, ipam.EnumerationObjectTypeDhcpScope, []string{tableDHCPScopes}},
	"DhcpScopeUnmappedEnumerationParameters":                    {func() ipam.AnyEnumerationParametersBase { return new(ipam.DhcpScopeUnmappedEnumerationParameters) }, ipam.EnumerationObjectTypeDhcpScope, []string{tableDHCPScopes}},

	"DhcpServerAllEnumerationParameters":             {func() ipam.AnyEnumerationParametersBase { return new(ipam.DhcpServerAllEnumerationParameters) }, ipam.EnumerationObjectTypeDhcpServer, []string{tableDHCPServers}},
	"DhcpServerByServerInfoIdsEnumerationParameters": {func() ipam.AnyEnumerationParametersBase { return new(ipam.DhcpServerByServerInfoIdsEnumerationParameters) }, ipam.EnumerationObjectTypeDhcpServer, []string{tableDHCPServers}},

	"DhcpSuperscopeByDhcpServerIdListEnumerationParameters":        {func() ipam.AnyEnumerationParametersBase { return new(ipam.DhcpSuperscopeByDhcpServerIdListEnumerationParameters) }, ipam.EnumerationObjectTypeDhcpSuperscope, []string{tableDhcpSuperscope}},
	"DhcpSuperscopeBySuperscopeAndServerNameEnumerationParameters": {func() ipam.AnyEnumerationParametersBase { return new(ipam.DhcpSuperscopeBySuperscopeAndServerNameEnumerationParameters) }, ipam.EnumerationObjectTypeDhcpSuperscope, []string{tableDhcpSuperscope}},
	"DhcpSuperscopeEnumerationParameters":                          {func() ipam.AnyEnumerationParametersBase { return new(ipam.DhcpSuperscopeEnumerationParameters) }, ipam.EnumerationObjectTypeDhcpSuperscope, []string{tableDhcpSuperscope}},

	"DnsConditionalForwarderByFiltersEnumerationParameters": {func() ipam.AnyEnumerationParametersBase { return new(ipam.DnsConditionalForwarderByFiltersEnumerationParameters) }, ipam.EnumerationObjectTypeDnsConditionalForwarder, []string{tableDNSForwarder}},
	"DnsConditionalForwarderEnumerationParameters":          {func() ipam.AnyEnumerationParametersBase { return new(ipam.DnsConditionalForwarderEnumerationParameters) }, ipam.EnumerationObjectTypeDnsConditionalForwarder, []string{tableDNSForwarder}},
	"DnsResourceRecordEnumerationParameters":                {func() ipam.AnyEnumerationParametersBase { return new(ipam.DnsResourceRecordEnumerationParameters) }, ipam.EnumerationObjectTypeDnsResourceRecord, []string{tableDNSResourceRecord}},
	"DnsResourceRecordFilterEnumerationParameters":          {func() ipam.AnyEnumerationParametersBase { return new(ipam.DnsResourceRecordFilterEnumerationParameters) }, ipam.EnumerationObjectTypeDnsResourceRecord, []string{tableDNSResourceRecord}},
	"DnsReverseLookupZoneEnumerationParameters":             {func() ipam.AnyEnumerationParametersBase { return new(ipam.DnsReverseLookupZoneEnumerationParameters) }, ipam.EnumerationObjectTypeDnsReverseLookupZone, []string{tableDNSReverseLookup}},
	"DnsServerByServerInfoIdsEnumerationParameters":         {func() ipam.AnyEnumerationParametersBase { return new(ipam.DnsServerByServerInfoIdsEnumerationParameters) }, ipam.EnumerationObjectTypeDnsServer, []string{tableDnsServers}},
	"DnsServerEnumerationParameters":                        {func() ipam.AnyEnumerationParametersBase { return new(ipam.DnsServerEnumerationParameters) }, ipam.EnumerationObjectTypeDnsServer, []string{tableDnsServers}},
	"DnsServerReverseZoneEnumerationParameters":             {func() ipam.AnyEnumerationParametersBase { return new(ipam.DnsServerReverseZoneEnumerationParameters) }, ipam.EnumerationObjectTypeDnsServerReverseZone, []string{tableDNSServerReverseZone}},
	"DnsServerZoneEnumerationParameters":                    {func() ipam.AnyEnumerationParametersBase { return new(ipam.DnsServerZoneEnumerationParameters) }, ipam.EnumerationObjectTypeDnsServerZone, []string{tableDNSServerZone}},
	"DnsZoneEnumerationParameters":                          {func() ipam.AnyEnumerationParametersBase { return new(ipam.DnsZoneEnumerationParameters) }, ipam.EnumerationObjectTypeDnsZone, []string{tableDNSForwardLookup}},
	"DnsZoneEventEnumerationParameters":                     {func() ipam.AnyEnumerationParametersBase { return new(ipam.DnsZoneEventEnumerationParameters) }, ipam.EnumerationObjectTypeDnsZoneEvent, []string{tableDnsZoneEvents, tableDNSServerZone}},
}

// serverRowQuery maps ServerInfoEnumerationParameters and the DHCP, DNS and
// audit parameter types; any other type is IpamApiInvalidEnumeration
// (naming a type the WSDL declares: an undeclared i:type is refused
// before, by the session layer).
func serverRowQuery(p ipam.AnyEnumerationParametersBase) (moreQuery, *ipam.IpamException) {
	if v, ok := p.(*ipam.ServerInfoEnumerationParameters); ok { // 3.5.4.8.1.78
		// GetFilteredServerInfoFromTable with Filter as Param_filters: the
		// numeric values of the ServerInfoGetServerFilter keys are not
		// published in ipamd's sources, so a key is refused rather than
		// guessed (docs/protocol.md, "Server rows").
		if len(v.Filter) > 0 {
			return moreQuery{}, ipam.NewException(ipam.IpamApiInvalidParameter,
				"ServerInfoEnumerationParameters: Filter key %d: ipamd reads no ServerInfoGetServerFilter key; send no Filter for every server", firstKey(v.Filter))
		}
		return moreQuery{q: RowQuery{Kind: ServerInfoRows}, want: ipam.EnumerationObjectTypeServerInfo, noFamily: true}, nil
	}
	name := typeName(p)
	if t, ok := DataCollectionTypes[name]; ok {
		return moreQuery{q: RowQuery{Kind: DataCollectionRows, Tables: t.Tables}, want: t.Object, noFamily: true}, nil
	}
	return moreQuery{}, ipam.NewException(ipam.IpamApiInvalidEnumeration,
		"the parameter type %s is not one ipamd enumerates (docs/protocol.md)", name)
}

func firstKey(f []*ipam.KeyValueOfintanyType) int32 {
	for _, kv := range f {
		if kv != nil {
			return kv.Key
		}
	}
	return 0
}
