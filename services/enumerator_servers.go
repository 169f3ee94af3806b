package services

import (
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// The kinds of rows of this file, numbered apart from the other files'.
const (
	// ServerInfoRows: the servers of ADM_ServersTable as ServerInfo rows
	// (ServerInfoEnumerationParameters, 3.5.4.8.1.78).
	ServerInfoRows RowKind = iota + 112
	// DataCollectionRows: a DHCP, DNS or audit parameter type; RowQuery.Tables
	// names the ADM tables it reads. ipamd builds none of their rows: the
	// enumeration is empty where those tables exist and hold no row, and
	// IpamApiInvalidEnumeration otherwise (docs/protocol.md, "DHCP, DNS and
	// audit parameter types").
	DataCollectionRows
)

// DataCollectionType is one DHCP, DNS or audit parameter type of the
// logic table (MS-IPAMM2 3.5.4.8.1): its object type and the ADM table its
// processing selects rows from (the tables it reads while building each
// row do not matter: with no row selected, none is built).
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
	"ConfigurationAuditEnumerationParameters": dc[ipam.ConfigurationAuditEnumerationParameters](ipam.EnumerationObjectTypeConfigurationAudit, tableConfigurationAudit),

	"DhcpEffectiveScopePoliciesEnumerationParameters":     dc[ipam.DhcpEffectiveScopePoliciesEnumerationParameters](ipam.EnumerationObjectTypeDhcpPolicy, tableDhcpPolicy),
	"DhcpEffectiveServerPoliciesEnumerationParameters":    dc[ipam.DhcpEffectiveServerPoliciesEnumerationParameters](ipam.EnumerationObjectTypeDhcpPolicy, tableDhcpPolicy),
	"DhcpPoliciesByDhcpServerIdListEnumerationParameters": dc[ipam.DhcpPoliciesByDhcpServerIdListEnumerationParameters](ipam.EnumerationObjectTypeDhcpPolicy, tableDhcpPolicy),
	"DhcpPoliciesEnumerationParameters":                   dc[ipam.DhcpPoliciesEnumerationParameters](ipam.EnumerationObjectTypeDhcpPolicy, tableDhcpPolicy),
	"DhcpScopePoliciesWithoutRangesEnumerationParameters": dc[ipam.DhcpScopePoliciesWithoutRangesEnumerationParameters](ipam.EnumerationObjectTypeDhcpPolicy, tableDhcpPolicy),

	"DhcpFailoverAllEnumerationParameters":         dc[ipam.DhcpFailoverAllEnumerationParameters](ipam.EnumerationObjectTypeDhcpFailover, tableDhcpFailover),
	"DhcpFailoverByServerIdsEnumerationParameters": dc[ipam.DhcpFailoverByServerIdsEnumerationParameters](ipam.EnumerationObjectTypeDhcpFailover, tableDhcpFailover),
	"DhcpFailoverEnumerationParameters":            dc[ipam.DhcpFailoverEnumerationParameters](ipam.EnumerationObjectTypeDhcpFailover, tableDhcpFailover),
	"DhcpFailoverScopesEnumerationParameters":      dc[ipam.DhcpFailoverScopesEnumerationParameters](ipam.EnumerationObjectTypeDhcpScope, tableDhcpScopeFailover),

	"DhcpFilterAllEnumerationParameters":         dc[ipam.DhcpFilterAllEnumerationParameters](ipam.EnumerationObjectTypeDhcpFilter, tableDhcpFilter),
	"DhcpFilterByServerIdsEnumerationParameters": dc[ipam.DhcpFilterByServerIdsEnumerationParameters](ipam.EnumerationObjectTypeDhcpFilter, tableDhcpFilter),

	"DhcpReservationAllEnumerationParameters":        dc[ipam.DhcpReservationAllEnumerationParameters](ipam.EnumerationObjectTypeDhcpReservation, tableDHCPReservation),
	"DhcpReservationScopeBasedEnumerationParameters": dc[ipam.DhcpReservationScopeBasedEnumerationParameters](ipam.EnumerationObjectTypeDhcpReservation, tableDHCPReservation),

	"DhcpScopeAllEnumerationParameters":                         dc[ipam.DhcpScopeAllEnumerationParameters](ipam.EnumerationObjectTypeDhcpScope, tableDHCPScopes),
	"DhcpScopeAssociatedWithVendorClassesEnumerationParameters": dc[ipam.DhcpScopeAssociatedWithVendorClassesEnumerationParameters](ipam.EnumerationObjectTypeDhcpScope, tableDHCPScopes),
	"DhcpScopeByPrefixAndServerNameEnumerationParameters":       dc[ipam.DhcpScopeByPrefixAndServerNameEnumerationParameters](ipam.EnumerationObjectTypeDhcpScope, tableDHCPScopes),
	"DhcpScopeForIpBlockEnumerationParameters":                  dc[ipam.DhcpScopeForIpBlockEnumerationParameters](ipam.EnumerationObjectTypeDhcpScope, tableDHCPScopes),
	"DhcpScopeObjectSpecificEnumerationParameters":              dc[ipam.DhcpScopeObjectSpecificEnumerationParameters](ipam.EnumerationObjectTypeDhcpScope, tableDHCPScopes),
	"DhcpScopesByDhcpServerIdListEnumerationParameters":         dc[ipam.DhcpScopesByDhcpServerIdListEnumerationParameters](ipam.EnumerationObjectTypeDhcpScope, tableDHCPScopes),
	"DhcpScopeUnmappedEnumerationParameters":                    dc[ipam.DhcpScopeUnmappedEnumerationParameters](ipam.EnumerationObjectTypeDhcpScope, tableDHCPScopes),

	"DhcpServerAllEnumerationParameters":             dc[ipam.DhcpServerAllEnumerationParameters](ipam.EnumerationObjectTypeDhcpServer, tableDHCPServers),
	"DhcpServerByServerInfoIdsEnumerationParameters": dc[ipam.DhcpServerByServerInfoIdsEnumerationParameters](ipam.EnumerationObjectTypeDhcpServer, tableDHCPServers),

	"DhcpSuperscopeByDhcpServerIdListEnumerationParameters":        dc[ipam.DhcpSuperscopeByDhcpServerIdListEnumerationParameters](ipam.EnumerationObjectTypeDhcpSuperscope, tableDhcpSuperscope),
	"DhcpSuperscopeBySuperscopeAndServerNameEnumerationParameters": dc[ipam.DhcpSuperscopeBySuperscopeAndServerNameEnumerationParameters](ipam.EnumerationObjectTypeDhcpSuperscope, tableDhcpSuperscope),
	"DhcpSuperscopeEnumerationParameters":                          dc[ipam.DhcpSuperscopeEnumerationParameters](ipam.EnumerationObjectTypeDhcpSuperscope, tableDhcpSuperscope),

	"DnsConditionalForwarderByFiltersEnumerationParameters": dc[ipam.DnsConditionalForwarderByFiltersEnumerationParameters](ipam.EnumerationObjectTypeDnsConditionalForwarder, tableDNSForwarder),
	"DnsConditionalForwarderEnumerationParameters":          dc[ipam.DnsConditionalForwarderEnumerationParameters](ipam.EnumerationObjectTypeDnsConditionalForwarder, tableDNSForwarder),
	"DnsResourceRecordEnumerationParameters":                dc[ipam.DnsResourceRecordEnumerationParameters](ipam.EnumerationObjectTypeDnsResourceRecord, tableDNSResourceRecord),
	"DnsResourceRecordFilterEnumerationParameters":          dc[ipam.DnsResourceRecordFilterEnumerationParameters](ipam.EnumerationObjectTypeDnsResourceRecord, tableDNSResourceRecord),
	"DnsReverseLookupZoneEnumerationParameters":             dc[ipam.DnsReverseLookupZoneEnumerationParameters](ipam.EnumerationObjectTypeDnsReverseLookupZone, tableDNSReverseLookup),
	"DnsServerByServerInfoIdsEnumerationParameters":         dc[ipam.DnsServerByServerInfoIdsEnumerationParameters](ipam.EnumerationObjectTypeDnsServer, tableDnsServers),
	"DnsServerEnumerationParameters":                        dc[ipam.DnsServerEnumerationParameters](ipam.EnumerationObjectTypeDnsServer, tableDnsServers),
	"DnsServerReverseZoneEnumerationParameters":             dc[ipam.DnsServerReverseZoneEnumerationParameters](ipam.EnumerationObjectTypeDnsServerReverseZone, tableDNSServerReverseZone),
	"DnsServerZoneEnumerationParameters":                    dc[ipam.DnsServerZoneEnumerationParameters](ipam.EnumerationObjectTypeDnsServerZone, tableDNSServerZone),
	"DnsZoneEnumerationParameters":                          dc[ipam.DnsZoneEnumerationParameters](ipam.EnumerationObjectTypeDnsZone, tableDNSForwardLookup),
	"DnsZoneEventEnumerationParameters":                     dc[ipam.DnsZoneEventEnumerationParameters](ipam.EnumerationObjectTypeDnsZoneEvent, tableDnsZoneEvents),
}

// dc is a DataCollectionTypes entry for the parameter type T.
func dc[T any, P interface {
	*T
	ipam.AnyEnumerationParametersBase
}](object ipam.EnumerationObjectType, tables ...string) DataCollectionType {
	return DataCollectionType{New: func() ipam.AnyEnumerationParametersBase { return P(new(T)) }, Object: object, Tables: tables}
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
