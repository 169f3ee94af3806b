package schema

// Table names of the ADM, in the spec's v2 numbering (3.1.1.1.N is the
// N-th constant). v1 uses the same names for its 28 tables.
const (
	IPRangeTable                               = "ADM_IPRangeTable"                               // 3.1.1.1.1
	CustomFieldValuesAssociationTable          = "ADM_CustomFieldValuesAssociationTable"          // 3.1.1.1.2
	IPAddressTable                             = "ADM_IPAddressTable"                             // 3.1.1.1.3
	IPBlocksTable                              = "ADM_IPBlocksTable"                              // 3.1.1.1.4
	DHCPReservationTable                       = "ADM_DHCPReservationTable"                       // 3.1.1.1.5
	AddressDNSForwardLookupTable               = "ADM_AddressDNSForwardLookupTable"               // 3.1.1.1.6
	AddressDNSReverseLookupTable               = "ADM_AddressDNSReverseLookupTable"               // 3.1.1.1.7
	DNSForwardLookupTable                      = "ADM_DNSForwardLookupTable"                      // 3.1.1.1.8
	DNSReverseLookupTable                      = "ADM_DNSReverseLookupTable"                      // 3.1.1.1.9
	DNSServerForwardLookupZoneTable            = "ADM_DNSServerForwardLookupZoneTable"            // 3.1.1.1.10
	DNSServerReverseLookupZoneTable            = "ADM_DNSServerReverseLookupZoneTable"            // 3.1.1.1.11
	DNSResourceRecordTable                     = "ADM_DNSResourceRecordTable"                     // 3.1.1.1.12
	DHCPScopesTable                            = "ADM_DHCPScopesTable"                            // 3.1.1.1.13
	CustomFieldsTable                          = "ADM_CustomFieldsTable"                          // 3.1.1.1.14
	CustomFieldValuesTable                     = "ADM_CustomFieldValuesTable"                     // 3.1.1.1.15
	LogicalGroupsTable                         = "ADM_LogicalGroupsTable"                         // 3.1.1.1.16
	DHCPServersTable                           = "ADM_DHCPServersTable"                           // 3.1.1.1.17
	DhcpOptionsTable                           = "ADM_DhcpOptionsTable"                           // 3.1.1.1.18
	DnsServersTable                            = "ADM_DnsServersTable"                            // 3.1.1.1.19
	DnsZoneEventsTable                         = "ADM_DnsZoneEventsTable"                         // 3.1.1.1.20
	ServerRolesTable                           = "ADM_ServerRolesTable"                           // 3.1.1.1.21
	ServersTable                               = "ADM_ServersTable"                               // 3.1.1.1.22
	IPv4AddressRangeUtilizationTable           = "ADM_IPv4AddressRangeUtilizationTable"           // 3.1.1.1.23
	IPv4AddressBlockUtilizationTable           = "ADM_IPv4AddressBlockUtilizationTable"           // 3.1.1.1.24
	IPAddressAuditTable                        = "ADM_IPAddressAuditTable"                        // 3.1.1.1.25
	ConfigurationAuditTable                    = "ADM_ConfigurationAuditTable"                    // 3.1.1.1.26
	DiscoveryConfigurationTable                = "ADM_DiscoveryConfigurationTable"                // 3.1.1.1.27
	CommonProperties                           = "ADM_CommonProperties"                           // 3.1.1.1.28
	Tasks                                      = "ADM_Tasks"                                      // 3.1.1.1.29
	DhcpPolicyTable                            = "ADM_DhcpPolicyTable"                            // 3.1.1.1.30
	DhcpPolicyConditionTable                   = "ADM_DhcpPolicyConditionTable"                   // 3.1.1.1.31
	DhcpPolicySubrangeTable                    = "ADM_DhcpPolicySubrangeTable"                    // 3.1.1.1.32
	AddressSpaceTable                          = "ADM_AddressSpaceTable"                          // 3.1.1.1.33
	SubnetTable                                = "ADM_SubnetTable"                                // 3.1.1.1.34
	AdminOperationGroupsTable                  = "ADM_AdminOperationGroupsTable"                  // 3.1.1.1.35
	AdminOperationsTable                       = "ADM_AdminOperationsTable"                       // 3.1.1.1.36
	AdminOperationGroupHierarchyTable          = "ADM_AdminOperationGroupHierarchyTable"          // 3.1.1.1.37
	RoleDefinitionTable                        = "ADM_RoleDefinitionTable"                        // 3.1.1.1.38
	RoleOperationMapTable                      = "ADM_RoleOperationMapTable"                      // 3.1.1.1.39
	AccessScopeTable                           = "ADM_AccessScopeTable"                           // 3.1.1.1.40
	UserAccessPolicyTable                      = "ADM_UserAccessPolicyTable"                      // 3.1.1.1.41
	PolicyMapTable                             = "ADM_PolicyMapTable"                             // 3.1.1.1.42
	AccessScopeAssociationTable                = "ADM_AccessScopeAssociationTable"                // 3.1.1.1.43
	DhcpFailoverRelationTable                  = "ADM_DhcpFailoverRelationTable"                  // 3.1.1.1.44
	DhcpScopeFailoverTable                     = "ADM_DhcpScopeFailoverTable"                     // 3.1.1.1.45
	DhcpSuperscopeTable                        = "ADM_DhcpSuperscopeTable"                        // 3.1.1.1.46
	DatabaseConfigurationTable                 = "ADM_DatabaseConfigurationTable"                 // 3.1.1.1.47
	DhcpFilterTable                            = "ADM_DhcpFilterTable"                            // 3.1.1.1.48
	IPRangeMultivaluedPropertiesTable          = "ADM_IPRangeMultivaluedPropertiesTable"          // 3.1.1.1.49
	IPBlockMultivaluedPropertiesTable          = "ADM_IPBlockMultivaluedPropertiesTable"          // 3.1.1.1.50
	MultiValueCustomFieldValueAssociationTable = "ADM_MultiValueCustomFieldValueAssociationTable" // 3.1.1.1.51
	DNSConditionalForwarderTable               = "ADM_DNSConditionalForwarderTable"               // 3.1.1.1.52
	IpamForestTable                            = "ADM_IpamForestTable"                            // 3.1.1.1.53
)
