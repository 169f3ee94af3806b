package schema

// V2Version is the DatabaseSchemaVersion ("a.b.c.d",
// docs/data-model.md#schema-versions) of a
// store in the v2 layout. The specs give no number; 10.0.0.0 names the
// product line whose data model MS-IPAMM2 3.1.1.1 describes in full (the
// DNS resource record, conditional forwarder and forest tables arrived
// after Windows Server 2012 R2, i.e. NT 6.3), so it sorts above every
// 6.x layout a conversion may start from.
const V2Version = "10.0.0.0"

// V2 is the current IPAM data store: the 53 tables of MS-IPAMM2 3.1.1.1
// (docs/data-model.md#v2-tables) in creation order — every table after the tables its
// foreign keys reference. Provisioning creates exactly this; the v1 → v2
// conversion must arrive at it.
var V2 = &Schema{Version: V2Version, Tables: []*Table{
	// Server inventory and discovery: referenced by DHCP and DNS.
	v2IpamForest, v2DiscoveryConfiguration, v2Servers, v2ServerRoles, v2DnsServers,
	// DHCP servers, superscopes, scopes.
	v2DHCPServers, v2DhcpSuperscope, v2DHCPScopes,
	// Address management core.
	v2AddressSpace, v2IPBlocks, v2Subnet, v2IPRange, v2IPAddress, v2DHCPReservation,
	// DNS.
	v2DNSForwardLookup, v2DNSReverseLookup, v2DNSServerForwardLookupZone, v2DNSServerReverseLookupZone,
	v2AddressDNSForwardLookup, v2AddressDNSReverseLookup, v2DNSResourceRecord, v2DnsZoneEvents,
	v2DNSConditionalForwarder,
	// DHCP policies, options, failover, filters.
	v2DhcpPolicy, v2DhcpPolicyCondition, v2DhcpPolicySubrange, v2DhcpOptions,
	v2DhcpFailoverRelation, v2DhcpScopeFailover, v2DhcpFilter,
	// Custom fields and logical groups.
	v2CustomFields, v2CustomFieldValues, v2CustomFieldValuesAssociation,
	v2MultiValueCustomFieldValueAssociation, v2LogicalGroups,
	// Multivalued range / block properties.
	v2IPRangeMultivaluedProperties, v2IPBlockMultivaluedProperties,
	// Utilization, audit.
	v2IPv4AddressRangeUtilization, v2IPv4AddressBlockUtilization, v2IPAddressAudit, v2ConfigurationAudit,
	// Global settings and tasks.
	v2CommonProperties, v2Tasks,
	// Role-based access control.
	v2AdminOperationGroups, v2AdminOperations, v2AdminOperationGroupHierarchy,
	v2RoleDefinition, v2RoleOperationMap, v2AccessScope, v2UserAccessPolicy, v2PolicyMap,
	v2AccessScopeAssociation,
	// Where the store lives.
	v2DatabaseConfiguration,
}}

// Extra columns shared by v1 and v2 ranges: the protocol's IPRange carries
// them, the ADM has no column for them (docs/data-model.md#mapping-to-sql),
// and ValidateIPRange (3.1.4.5) needs
// SubnetId / SubnetMask.
var rangeExtras = []Column{
	extra(col("SubnetId", Text), "IPRange.SubnetId: ValidateIPRange (3.1.4.5) needs it and the ADM has no column for it"),
	extra(col("SubnetMask", Text), "IPRange.SubnetMask: ValidateIPRange (3.1.4.5) needs it and the ADM has no column for it"),
	extra(col("Description", Text), "IPRange.Description is round-tripped by the protocol and the ADM has no column for it"),
}

var v2IPRange = &Table{
	Name: IPRangeTable, Section: "3.1.1.1.1", Families: ipFamilies,
	Columns: join(
		recordID("RecordId"),
		// MUST NOT be NULL in v2: every range has a parent block or subnet.
		notNull(ref("ParentIPBlockRecordId")),
		// An omitted address space is 1, the Default Provider Address Space
		// (GetParentBlockIdForRange 3.1.1.1.4.2.1).
		withDefault(ref("AddressSpaceRecordId"), "1"),
		ref("ScopeRecordId"),
		cols(Text, "AddressAssignment", "AddressCategory", "EndIPAddress"),
		col("IsOverlapping", Bool),
		cols(Timestamp, "LastAssignedDate", "LastChangeDate", "LastReclaimRuntime"),
		col("NumberOfChildAddresses", Int32),
		col("Owner", Text),
		col("PrefixLength", Int32),
		cols(Text, "StartIPAddress", "UtilizationCalculationType", "UtilizationEventLogStatus", "UtilizationStatistics"),
		col("UseForUtilization", Bool),
		cols(Text, "ConnectionSpecificDNSSuffix", "VirtualizationType"),
		col("IsUnmappedFromReverseZone", Bool),
		col("WINSServers", Text), // IPv4 only
		rangeExtras,
	),
	PrimaryKey: key("RecordId"),
	ForeignKeys: []ForeignKey{
		fk("ParentIPBlockRecordId", IPBlocksTable, "RecordId", NoAction, NoAction),
		fk("AddressSpaceRecordId", AddressSpaceTable, "RecordId", NoAction, NoAction),
		fk("ScopeRecordId", DHCPScopesTable, "RecordId", Cascade, ""),
	},
	Indexes: [][]string{key("ParentIPBlockRecordId"), key("ScopeRecordId"), key("AddressSpaceRecordId", "StartIPAddress")},
}

var v2CustomFieldValuesAssociation = &Table{
	Name: CustomFieldValuesAssociationTable, Section: "3.1.1.1.2",
	Columns: join(
		recordID("RecordId"),
		cols(Text, "ObjectType", "Af"),
		col("UsedById", Int64),
		ref("CustomFieldId"),
		ref("CustomFieldValueId"),
		col("Value", Text),
	),
	PrimaryKey: key("RecordId"),
	ForeignKeys: []ForeignKey{
		fk("CustomFieldId", CustomFieldsTable, "RecordId", Cascade, ""),
		fk("CustomFieldValueId", CustomFieldValuesTable, "RecordId", Cascade, ""),
	},
	Indexes: [][]string{key("ObjectType", "UsedById"), key("CustomFieldValueId")},
}

var v2IPAddress = &Table{
	Name: IPAddressTable, Section: "3.1.1.1.3", Families: ipFamilies,
	Columns: join(
		recordID("RecordId"),
		ref("RangeRecordId"),
		withDefault(ref("AddressSpaceRecordId"), "1"),
		cols(Text, "AddressAssignment", "AddressCategory"),
		cols(Timestamp, "AssignedDate", "ChangedDate", "ExpiryDate"),
		cols(Text, "ExpiryAlertStatus", "AssetTag", "IpAddress"),
		col("IsDuplicate", Bool),
		cols(Text, "MacAddress", "Notes", "OSName", "OSVersion", "Owner", "SerialNumber", "DeviceName"),
		// An address no one virtualized or created from a DNS record: what
		// the conversion gives every v1 address (step 4), and what an
		// insert that omits them means. As defaults they fill a converted
		// store's existing rows without writing them (ADD COLUMN … DEFAULT
		// is read through on SQLite and a fast default on PostgreSQL).
		withDefault(col("VirtualizationType", Text), "'NonVirtualized'"),
		withDefault(col("IsCreatedFromDNS", Bool), "0"),
		col("ReservationType", Text), // IPv4 only
		col("Duid", Text),            // IPv6 only
		col("Iaid", Int64),           // IPv6 only (xsd:unsignedInt)
	),
	PrimaryKey: key("RecordId"),
	ForeignKeys: []ForeignKey{
		// The spec declares the FK on ADM_DHCPScopesTable (sic) but says the
		// column holds the range's RecordId (ParentIPRangeRecordId).
		fk("RangeRecordId", IPRangeTable, "RecordId", Cascade, ""),
		fk("AddressSpaceRecordId", AddressSpaceTable, "RecordId", NoAction, NoAction),
	},
	Indexes: [][]string{key("RangeRecordId"), key("AddressSpaceRecordId", "IpAddress")},
}

var v2IPBlocks = &Table{
	Name: IPBlocksTable, Section: "3.1.1.1.4", Families: ipFamilies,
	Columns: join(
		recordID("RecordId"),
		withDefault(notNull(col("IsSubnet", Bool)), "0"),
		ref("AddressSpaceRecordId"), // used only by subnet rows
		ref("ParentBlockRecordId"),
		cols(Text, "AddressCategory", "Description", "EndIPAddress"),
		cols(Timestamp, "LastAssignedDate", "LastModifiedDate"),
		col("NetworkId", Text),
		col("NumberOfChildBlocks", Int32),
		col("Owner", Text),
		col("PrefixLength", Int32),
		col("RIRReceivedDate", Timestamp),
		cols(Text, "StartIPAddress", "SubnetMask", "UtilizationStatistics"),
	),
	PrimaryKey: key("RecordId"),
	ForeignKeys: []ForeignKey{
		fk("AddressSpaceRecordId", AddressSpaceTable, "RecordId", NoAction, NoAction),
		fk("ParentBlockRecordId", IPBlocksTable, "RecordId", NoAction, ""),
	},
	Indexes: [][]string{key("ParentBlockRecordId"), key("NetworkId", "PrefixLength")},
}

var v2DHCPReservation = &Table{
	Name: DHCPReservationTable, Section: "3.1.1.1.5", Families: ipFamilies,
	Columns: join(
		recordID("RecordId"),
		ref("ScopeRecordId"),
		ref("IPAddressRecordId"),
		cols(Text, "ReservationDescription", "ReservationName", "ReservationSyncStatus", "ReservationStatus",
			"DnsNameProtectionStatus", "DiscardDnsRecordOnLeaseDeletionStatus", "DnsUpdateType"),
		// IPv4 only.
		cols(Text, "DnsDisablePtrUpdate", "ServingClientsType", "ReservationClientId", "DnsNotRequestingClientsUpdateType"),
		// IPv6 only.
		col("Duid", Text),
		col("Iaid", Int64),
	),
	PrimaryKey: key("RecordId"),
	ForeignKeys: []ForeignKey{
		fk("ScopeRecordId", DHCPScopesTable, "RecordId", Cascade, ""),
		fk("IPAddressRecordId", IPAddressTable, "RecordId", NoAction, ""),
	},
	Indexes: [][]string{key("ScopeRecordId"), key("IPAddressRecordId")},
}

var v2AddressDNSForwardLookup = &Table{
	Name: AddressDNSForwardLookupTable, Section: "3.1.1.1.6", Families: ipFamilies,
	Columns: join(
		recordID("RecordId"),
		ref("AddressRecordId"), ref("DNSZoneRecordId"), ref("DNSServerRecordId"),
		col("DnsForwardSyncStatus", Text),
	),
	PrimaryKey: key("RecordId"),
	ForeignKeys: []ForeignKey{
		fk("AddressRecordId", IPAddressTable, "RecordId", NoAction, ""),
		fk("DNSZoneRecordId", DNSForwardLookupTable, "RecordId", Cascade, ""),
		fk("DNSServerRecordId", DNSServerForwardLookupZoneTable, "RecordId", SetNull, ""),
	},
	Indexes: [][]string{key("AddressRecordId")},
}

var v2AddressDNSReverseLookup = &Table{
	Name: AddressDNSReverseLookupTable, Section: "3.1.1.1.7", Families: ipFamilies,
	Columns: join(
		recordID("RecordId"),
		ref("AddressRecordId"), ref("DNSZoneRecordId"), ref("DNSServerRecordId"),
		col("DnsReverseSyncStatus", Text),
	),
	PrimaryKey: key("RecordId"),
	ForeignKeys: []ForeignKey{
		fk("AddressRecordId", IPAddressTable, "RecordId", NoAction, ""),
		fk("DNSZoneRecordId", DNSReverseLookupTable, "RecordId", Cascade, ""),
		// The spec names the forward server-zone table (sic); the column
		// forms DnsReverseLookupZoneServerId, a row of the reverse one.
		fk("DNSServerRecordId", DNSServerReverseLookupZoneTable, "RecordId", SetNull, ""),
	},
	Indexes: [][]string{key("AddressRecordId")},
}

// zoneSettings are the five zone columns v2 adds to both zone tables.
func zoneSettings() []Column {
	return join(
		col("IsSigned", Bool),
		col("IsDynamicUpdateEnabled", Text), // ipam:DnsDynamicUpdateSetting
		col("IsScavengeStaleRecordsEnabled", Bool),
		cols(Text, "NoRefreshInterval", "RefreshInterval"),
	)
}

var v2DNSForwardLookup = &Table{
	Name: DNSForwardLookupTable, Section: "3.1.1.1.8",
	Columns: join(
		recordID("RecordId"),
		col("Name", Text),
		ref("ParentId"),
		cols(Text, "ShortName", "ZoneOverallHealth"),
		col("ZoneOverallHealthLastUpdateTime", Timestamp),
		zoneSettings(),
	),
	PrimaryKey:  key("RecordId"),
	ForeignKeys: []ForeignKey{fk("ParentId", DNSForwardLookupTable, "RecordId", NoAction, "")},
}

var v2DNSReverseLookup = &Table{
	Name: DNSReverseLookupTable, Section: "3.1.1.1.9",
	Columns: join(
		recordID("RecordId"),
		cols(Text, "Name", "StartIP", "EndIP"),
		col("Prefix", Int32),
		col("IPType", Text),
		zoneSettings(),
	),
	PrimaryKey: key("RecordId"),
}

// serverZoneSettings are the hosting-server columns v2 adds to both
// server-zone tables (all but Zone State are the same in both).
func serverZoneSettings() []Column {
	return join(
		cols(Bool, "IsLastCollectedServer", "IsPreferredServer"),
		cols(Text, "DirectoryPartitionName", "ZoneFileName", "ReplicationScope", "NotifySecondaries",
			"NotifyServers", "SecureSecondaries", "SecondaryServers", "MasterServers"),
	)
}

var v2DNSServerForwardLookupZone = &Table{
	Name: DNSServerForwardLookupZoneTable, Section: "3.1.1.1.10",
	Columns: join(
		recordID("RecordId"),
		ref("ServerRecordId"), ref("DnsZoneId"),
		cols(Text, "ZoneType", "ZoneState", "ZoneConfiguration", "ZoneHealth"),
		col("ZoneHealthLastUpdateTime", Timestamp),
		serverZoneSettings(),
	),
	PrimaryKey: key("RecordId"),
	ForeignKeys: []ForeignKey{
		// The spec's target ADM_DNSServerRoleInfo is ADM_DnsServersTable.
		fk("ServerRecordId", DnsServersTable, "RecordId", Cascade, ""),
		fk("DnsZoneId", DNSForwardLookupTable, "RecordId", NoAction, ""),
	},
	Indexes: [][]string{key("DnsZoneId")},
}

var v2DNSServerReverseLookupZone = &Table{
	Name: DNSServerReverseLookupZoneTable, Section: "3.1.1.1.11",
	Columns: join(
		recordID("RecordId"),
		ref("ServerRecordId"), ref("DnsReverseZoneId"),
		cols(Text, "ZoneConfiguration", "ZoneType", "ZoneState"),
		serverZoneSettings(),
	),
	PrimaryKey: key("RecordId"),
	ForeignKeys: []ForeignKey{
		// The spec's target ADM_DNSServerRoleInfo is ADM_DnsServersTable.
		fk("ServerRecordId", DnsServersTable, "RecordId", Cascade, ""),
		fk("DnsReverseZoneId", DNSReverseLookupTable, "RecordId", NoAction, ""),
	},
	Indexes: [][]string{key("DnsReverseZoneId")},
}

var v2DNSResourceRecord = &Table{
	Name: DNSResourceRecordTable, Section: "3.1.1.1.12",
	Columns: join(
		recordID("RecordId"),
		ref("DnsForwardLookupZoneId"), ref("DnsReverseLookupZoneId"),
		ref("IPv4AddressId"), ref("IPv6AddressId"),
		cols(Text, "RecordName", "RecordClass", "RecordTTL"),
		col("RecordTimestamp", Timestamp),
		cols(Text, "IPAddress", "RecordType", "RecordHostName", "RecordData", "RecordFQDN"),
	),
	PrimaryKey: key("RecordId"),
	ForeignKeys: []ForeignKey{
		fk("DnsForwardLookupZoneId", DNSForwardLookupTable, "RecordId", NoAction, NoAction),
		fk("DnsReverseLookupZoneId", DNSReverseLookupTable, "RecordId", NoAction, NoAction),
		fk("IPv4AddressId", IPAddressTable, "RecordId", SetNull, Cascade),
		fk("IPv6AddressId", IPAddressTable, "RecordId", SetNull, Cascade),
	},
	Indexes: [][]string{key("DnsForwardLookupZoneId"), key("DnsReverseLookupZoneId")},
}

var v2DHCPScopes = &Table{
	Name: DHCPScopesTable, Section: "3.1.1.1.13", Families: ipFamilies,
	Columns: join(
		recordID("RecordId"),
		ref("DHCPServerRecordId"),
		ref("SuperscopeId"), // IPv4 only
		cols(Text, "Description", "DnsUpdateType", "DiscardDnsRecordOnLeaseDeletionStatus", "DnsNameProtectionStatus", "EndAddress"),
		col("NumberOfActiveLeases", Float64),
		col("PrefixLength", Int32),
		cols(Text, "ScopeId", "ScopeName", "StartAddress", "Status", "SubnetMask"),
		cols(Float64, "TotalNumberOfAddressesInScope", "TotalNumberOfExcludedAddressesInScope"),
		col("ExclusionRanges", Text),
		// IPv4 only.
		cols(Text, "BootpLeaseDuration", "BootpLeaseDurationType", "DnsNotRequestingClientsUpdateType",
			"LeaseDuration", "LeaseDurationType", "ServingClientsType"),
		col("SubnetDelay", Int64),
		cols(Text, "FailoverConfigSyncStatus", "AllowFilterState", "DenyFilterState", "EnablePolicyStatus"),
		// IPv6 only.
		cols(Text, "PreferredLeaseTime", "ValidLeaseTime", "PurgeInterval"),
		col("ScopePreference", Int32),
		cols(Text, "ScopeType", "StatelessClientInventoryLoggingStatus"),
	),
	PrimaryKey: key("RecordId"),
	ForeignKeys: []ForeignKey{
		fk("DHCPServerRecordId", DHCPServersTable, "RecordId", Cascade, ""),
		fk("SuperscopeId", DhcpSuperscopeTable, "RecordId", SetNull, Cascade),
	},
	Indexes: [][]string{key("DHCPServerRecordId")},
}

var v2CustomFields = &Table{
	Name: CustomFieldsTable, Section: "3.1.1.1.14",
	Columns: join(
		recordID("RecordId"),
		cols(Text, "BuiltinCustomFieldNumber", "Name", "Origin", "Type"),
	),
	PrimaryKey: key("RecordId"),
	Unique:     [][]string{key("Name")},
}

var v2CustomFieldValues = &Table{
	Name: CustomFieldValuesTable, Section: "3.1.1.1.15",
	Columns: join(
		recordID("RecordId"),
		ref("CustomFieldRecordId"),
		col("Value", Text),
		col("BuiltInCustomFieldValueId", Int64),
	),
	PrimaryKey:  key("RecordId"),
	ForeignKeys: []ForeignKey{fk("CustomFieldRecordId", CustomFieldsTable, "RecordId", Cascade, "")},
	Indexes:     [][]string{key("CustomFieldRecordId")},
}

var v2LogicalGroups = &Table{
	Name: LogicalGroupsTable, Section: "3.1.1.1.16",
	Columns: join(
		recordID("RecordId"),
		// Ordered [{RecordId, CustomFieldRecordId, CustomFieldName}] as JSON;
		// the store checks CustomFieldRecordId against ADM_CustomFieldsTable.
		col("Fields", Text),
		cols(Text, "Name", "Users", "BuiltinLogicalGroupNumber", "Origin"),
	),
	PrimaryKey: key("RecordId"),
}

var v2DHCPServers = &Table{
	Name: DHCPServersTable, Section: "3.1.1.1.17", Families: ipFamilies,
	Columns: join(
		recordID("RecordId"),
		ref("ServerRoleRecordId"),
		// Per-server lists, each entry with its own RecordId, as JSON.
		cols(Text, "OptionDefinitions", "VendorClasses", "UserClasses"),
		cols(Text, "AuditLogginStatus", "BackupPath", "DatabasePath", "DiscardDnsRecordOnLeaseDeletionStatus",
			"DnsNameProtectionStatus", "DnsRegistrationCredentialDomainName", "DnsRegistrationCredentialUserName", "DnsUpdateType"),
		cols(Float64, "NumberOfActiveLeases", "NumberOfAvailableAddresses"),
		col("NumberOfScopes", Int32),
		col("ServerVersion", Text),
		// IPv4 only.
		cols(Text, "DhcpDnsNotRequestingClientsUpdateType", "DnsDisableDynamicPtsUpdates", "PolicyActivationStatus",
			"AllowFilterState", "DenyFilterState"),
		// IPv6 only.
		cols(Text, "PurgeInterval", "StatelessStatus"),
	),
	PrimaryKey:  key("RecordId"),
	ForeignKeys: []ForeignKey{fk("ServerRoleRecordId", ServerRolesTable, "RecordId", Cascade, "")},
	Indexes:     [][]string{key("ServerRoleRecordId")},
}

var v2DhcpOptions = &Table{
	Name: DhcpOptionsTable, Section: "3.1.1.1.18", Families: ipFamilies,
	Columns: join(
		recordID("RecordId"),
		ref("ServerRecordId"), ref("ScopeRecordId"),
		// Entries of the server's OptionDefinitions / UserClasses lists
		// (JSON in ADM_DHCPServersTable), so no SQL foreign key.
		ref("OptionDefinitionRecordId"), ref("UserClassRecordId"),
		col("OptionReferenceType", Text),
		col("Values", Bytes),
		ref("ReservationId"), // the spec states no FK
		ref("PolicyId"),      // IPv4 only
	),
	PrimaryKey: key("RecordId"),
	ForeignKeys: []ForeignKey{
		fk("ServerRecordId", DHCPServersTable, "RecordId", Cascade, ""),
		fk("ScopeRecordId", DHCPScopesTable, "RecordId", Cascade, ""),
		fk("PolicyId", DhcpPolicyTable, "PolicyId", NoAction, NoAction),
	},
	Indexes: [][]string{key("ServerRecordId"), key("ScopeRecordId")},
}

var v2DnsServers = &Table{
	Name: DnsServersTable, Section: "3.1.1.1.19",
	Columns: join(
		// Not labelled a primary key by the spec, but three tables reference it.
		recordID("RecordId"),
		ref("ServerRoleRecordId"),
		col("ZoneHealthSummary", Text),
		col("ZoneHealthSummaryLastUpdateTime", Timestamp),
	),
	PrimaryKey:  key("RecordId"),
	ForeignKeys: []ForeignKey{fk("ServerRoleRecordId", ServerRolesTable, "RecordId", Cascade, "")},
}

var v2DnsZoneEvents = &Table{
	Name: DnsZoneEventsTable, Section: "3.1.1.1.20",
	Columns: join(
		recordID("RecordId"),
		ref("ServerZoneId"),
		col("EventId", Int64),
		cols(Text, "EventParametersString", "LoggedEventLevel"),
		col("LoggedOn", Timestamp),
		col("TaskCategory", Int32),
	),
	PrimaryKey:  key("RecordId"),
	ForeignKeys: []ForeignKey{fk("ServerZoneId", DNSServerForwardLookupZoneTable, "RecordId", Cascade, "")},
	Indexes:     [][]string{key("ServerZoneId")},
}

var v2ServerRoles = &Table{
	Name: ServerRolesTable, Section: "3.1.1.1.21",
	Columns: join(
		recordID("RecordId"),
		ref("ServerRecordID"),
		cols(Text, "AuditFileAccessStatus", "EventViewerAccessStatus"),
		col("LastRefreshTime", Timestamp),
		cols(Text, "RpcAccessStatus", "ServerRoleFlag"),
		col("ServerRoleInclusionStatus", Bool),
		col("ServiceStatus", Text),
		col("ServiceStatusModifiedTime", Timestamp),
	),
	PrimaryKey:  key("RecordId"),
	Unique:      [][]string{key("ServerRecordID", "ServerRoleFlag")},
	ForeignKeys: []ForeignKey{fk("ServerRecordID", ServersTable, "RecordId", Cascade, "")},
}

var v2Servers = &Table{
	Name: ServersTable, Section: "3.1.1.1.22",
	Columns: join(
		recordID("RecordId"),
		ref("ADDomainRecordId"),
		cols(Text, "ADDomain", "ConfigurationRetrievalFlag", "Description", "Domain", "ForestName", "IPAddresses"),
		col("LastModified", Timestamp),
		cols(Text, "ManagementStatus", "Name", "NewFlag", "OSName", "OSVersion", "Owner", "SamAccountName", "ServerGuid"),
	),
	PrimaryKey:  key("RecordId"),
	Unique:      [][]string{key("ServerGuid")},
	ForeignKeys: []ForeignKey{fk("ADDomainRecordId", DiscoveryConfigurationTable, "RecordId", Cascade, "")},
}

// utilizationTotals are the IPUtilization columns of both utilization tables.
func utilizationTotals() []Column {
	return cols(Float64, "TotalAssignedAddresses", "TotalAvailableAddresses", "TotalUtilizedAddresses")
}

var v2IPv4AddressRangeUtilization = &Table{
	Name: IPv4AddressRangeUtilizationTable, Section: "3.1.1.1.23",
	// No primary key in the spec: a time series, read by range and time.
	Columns: join(
		ref("RangeRecordId"),
		cols(Text, "StartIPAddress", "EndIPAddress"),
		col("PrefixLength", Int32),
		cols(Text, "ManagedBy", "ManagedByEntity"),
		col("Timestamp", Timestamp),
		ref("AddressSpaceRecordId"),
		utilizationTotals(),
	),
	ForeignKeys: []ForeignKey{
		fk("RangeRecordId", IPRangeTable, "RecordId", SetNull, ""),
		fk("AddressSpaceRecordId", AddressSpaceTable, "RecordId", NoAction, NoAction),
	},
	Indexes: [][]string{key("RangeRecordId", "Timestamp")},
}

var v2IPv4AddressBlockUtilization = &Table{
	Name: IPv4AddressBlockUtilizationTable, Section: "3.1.1.1.24",
	Columns: join(
		ref("BlockRecordId"),
		cols(Text, "StartIPAddress", "EndIPAddress"),
		col("PrefixLength", Int32),
		col("Timestamp", Timestamp),
		ref("AddressSpaceRecordId"),
		col("IsSubnet", Bool),
		utilizationTotals(),
	),
	ForeignKeys: []ForeignKey{
		fk("BlockRecordId", IPBlocksTable, "RecordId", SetNull, ""),
		fk("AddressSpaceRecordId", AddressSpaceTable, "RecordId", NoAction, NoAction),
	},
	Indexes: [][]string{key("BlockRecordId", "Timestamp")},
}

var v2IPAddressAudit = &Table{
	Name: IPAddressAuditTable, Section: "3.1.1.1.25",
	Columns: join(
		recordID("RecordId"),
		col("TimeOfEvent", Timestamp),
		cols(Text, "EventType", "UserName"),
		col("ClientId", Bytes),
		cols(Text, "IPAddress", "HostName", "DomainName", "SourceServerName", "ServerType"),
	),
	PrimaryKey: key("RecordId"),
	Indexes:    [][]string{key("IPAddress", "TimeOfEvent")},
}

var v2ConfigurationAudit = &Table{
	Name: ConfigurationAuditTable, Section: "3.1.1.1.26",
	Columns: join(
		recordID("RecordId"),
		col("EventDescription", Text),
		col("TimeOfEvent", Timestamp),
		col("EventID", Int32),
		cols(Text, "UserName", "UserDomainName", "ForestName", "ServerName", "ServerVersion", "ServerType"),
		col("Keywords", Bytes),
		cols(Int32, "TaskCategory", "Opcode"),
		col("EventParameters", Text),
	),
	PrimaryKey: key("RecordId"),
	Indexes:    [][]string{key("TimeOfEvent")},
}

var v2DiscoveryConfiguration = &Table{
	Name: DiscoveryConfigurationTable, Section: "3.1.1.1.27",
	Columns: join(
		// 32-bit in the spec; AutoIncrement renders the engine's id type.
		Column{Name: "RecordId", Type: Int32, NotNull: true, AutoIncrement: true},
		ref("ForestId"),
		cols(Text, "DiscoveryConfigurationStatus", "DiscoveryDomain"),
		cols(Bool, "DiscoverDhcpServers", "DiscoverDnsServers", "DiscoverDomainControllers"),
		col("DomainGuid", Text),
	),
	PrimaryKey:  key("RecordId"),
	ForeignKeys: []ForeignKey{fk("ForestId", IpamForestTable, "RecordId", Cascade, Cascade)},
}

var v2CommonProperties = &Table{
	Name: CommonProperties, Section: "3.1.1.1.28",
	// Name/value pairs: one row per property name (ipamd's reading of the ADM).
	Columns:    join(notNull(col("Name", Text)), col("Value", Text)),
	PrimaryKey: key("Name"),
}

var v2Tasks = &Table{
	Name: Tasks, Section: "3.1.1.1.29",
	Columns: join(
		// The spec gives no key; there is one row per IpamTaskType.
		notNull(col("TaskType", Text)),
		col("RecurrenceDuration", Text),
		cols(Timestamp, "LastRunTime", "NextRunTime"),
		cols(Text, "State", "Status", "Triggers"),
	),
	PrimaryKey: key("TaskType"),
}

var v2DhcpPolicy = &Table{
	Name: DhcpPolicyTable, Section: "3.1.1.1.30",
	Columns: join(
		recordID("PolicyId"),
		col("Level", Text),
		ref("Scope"),  // set when Level = scopeLevel
		ref("Server"), // set when Level = serverLevel
		cols(Text, "PolicyName", "PolicyDescription"),
		col("ProcessingOrder", Int64),
		col("State", Bool),
		cols(Text, "LeaseDurationType", "LeaseDuration", "DnsUpdateType", "DiscardDnsRecordOnLeaseDeletionStatus",
			"DnsNameProtectionStatus", "DnsNotRequestingClientUpdateType", "DnsUpdateTypeNotRequestingFromClients",
			"DnsDisablePtrUpdate", "DnsSuffix"),
	),
	PrimaryKey: key("PolicyId"),
	ForeignKeys: []ForeignKey{
		fk("Scope", DHCPScopesTable, "RecordId", NoAction, NoAction),
		fk("Server", DHCPServersTable, "RecordId", Cascade, Cascade),
	},
	Indexes: [][]string{key("Scope"), key("Server")},
}

var v2DhcpPolicyCondition = &Table{
	Name: DhcpPolicyConditionTable, Section: "3.1.1.1.31",
	Columns: join(
		recordID("PolicyConditionId"),
		ref("PolicyId"),
		cols(Text, "VendorClass", "UserClass", "ClientId", "MACAddress", "RelayAgentInfo", "RelayAgentRidInfo",
			"RelayAgentSidInfo", "RelayAgentCidInfo", "Operator"),
	),
	PrimaryKey: key("PolicyConditionId"),
	// The spec says ADM_DhcpPolicyTable.RecordId (sic): its key is PolicyId.
	ForeignKeys: []ForeignKey{fk("PolicyId", DhcpPolicyTable, "PolicyId", Cascade, Cascade)},
	Indexes:     [][]string{key("PolicyId")},
}

var v2DhcpPolicySubrange = &Table{
	Name: DhcpPolicySubrangeTable, Section: "3.1.1.1.32",
	Columns: join(
		recordID("RecordId"),
		ref("PolicyId"),
		cols(Text, "StartIPAddress", "EndIPAddress"),
	),
	PrimaryKey: key("RecordId"),
	// The spec says ADM_DhcpPolicyTable.RecordId (sic): its key is PolicyId.
	ForeignKeys: []ForeignKey{fk("PolicyId", DhcpPolicyTable, "PolicyId", Cascade, Cascade)},
	Indexes:     [][]string{key("PolicyId")},
}

var v2AddressSpace = &Table{
	Name: AddressSpaceTable, Section: "3.1.1.1.33", Families: []string{"Provider", "Customer"},
	Columns: join(
		recordID("RecordId"),
		col("AddressSpaceType", Text),
		withDefault(col("IsDefault", Bool), "0"), // Provider only
		ref("ProviderAddressSpaceRecordId"),      // Customer only
		cols(Text, "Name", "Description", "Owner"),
	),
	PrimaryKey:  key("RecordId"),
	ForeignKeys: []ForeignKey{fk("ProviderAddressSpaceRecordId", AddressSpaceTable, "RecordId", Cascade, Cascade)},
}

var v2Subnet = &Table{
	Name: SubnetTable, Section: "3.1.1.1.34", Families: ipFamilies,
	Columns: join(
		// Equals the RecordId of the subnet's ADM_IPBlocksTable row
		// (IsSubnet = 1): a 1:1 extension row, so not store-assigned.
		notNull(ref("RecordId")),
		col("Name", Text),
		cols(Bool, "IsOverlapping", "UseForUtilization"),
		col("VSId", Int32),
		col("VirtualizationType", Text),
	),
	PrimaryKey: key("RecordId"),
	// Not stated by the spec: the extension row lives and dies with its block row.
	ForeignKeys: []ForeignKey{fk("RecordId", IPBlocksTable, "RecordId", Cascade, "")},
}

var v2AdminOperationGroups = &Table{
	Name: AdminOperationGroupsTable, Section: "3.1.1.1.35",
	Columns:    join(notNull(col("OperationGroupId", Text)), col("OperationGroupName", Text)),
	PrimaryKey: key("OperationGroupId"),
}

var v2AdminOperations = &Table{
	Name: AdminOperationsTable, Section: "3.1.1.1.36",
	Columns: join(
		notNull(col("OperationId", Text)),
		col("OperationName", Text),
		col("OperationGroupId", Text),
		cols(Bool, "IsAdminRoleOnlyOperation", "IsNonRBACOperation", "IsAccessScopeAgnosticOperation"),
		// The security groups (ADM_IPAMSecurityGroups names or
		// "LocalAdministrator") as a JSON array.
		col("NonRBACAdminAccessRequirement", Text),
	),
	PrimaryKey:  key("OperationId"),
	ForeignKeys: []ForeignKey{fk("OperationGroupId", AdminOperationGroupsTable, "OperationGroupId", NoAction, "")},
}

var v2AdminOperationGroupHierarchy = &Table{
	Name: AdminOperationGroupHierarchyTable, Section: "3.1.1.1.37",
	Columns:    join(notNull(col("ParentOperationGroupId", Text)), notNull(col("ChildOperationGroupId", Text))),
	PrimaryKey: key("ParentOperationGroupId", "ChildOperationGroupId"),
	ForeignKeys: []ForeignKey{
		fk("ParentOperationGroupId", AdminOperationGroupsTable, "OperationGroupId", NoAction, ""),
		fk("ChildOperationGroupId", AdminOperationGroupsTable, "OperationGroupId", NoAction, ""),
	},
}

var v2RoleDefinition = &Table{
	Name: RoleDefinitionTable, Section: "3.1.1.1.38",
	// The ADM's Operations column is not stored: a role's operations are its
	// ADM_RoleOperationMapTable rows, which 3.1.1.1.39 fills from it; two
	// copies could drift apart.
	Columns: join(
		recordID("RoleId"),
		cols(Text, "Name", "Description"),
		withDefault(notNull(col("IsBuiltInRole", Bool)), "0"),
	),
	PrimaryKey: key("RoleId"),
	Unique:     [][]string{key("Name")},
}

var v2RoleOperationMap = &Table{
	Name: RoleOperationMapTable, Section: "3.1.1.1.39",
	Columns:    join(notNull(ref("RoleDefinitionId")), notNull(col("OperationId", Text))),
	PrimaryKey: key("RoleDefinitionId", "OperationId"),
	ForeignKeys: []ForeignKey{
		fk("RoleDefinitionId", RoleDefinitionTable, "RoleId", Cascade, Cascade),
		// Not stated by the spec: an operation id is one of the read-only catalogue's.
		fk("OperationId", AdminOperationsTable, "OperationId", NoAction, ""),
	},
}

var v2AccessScope = &Table{
	Name: AccessScopeTable, Section: "3.1.1.1.40",
	Columns: join(
		recordID("AccessScopeId"),
		// The protocol's 0 ("no parent", the Global scope) is stored as NULL
		// so the self-reference can be a real foreign key.
		ref("ParentAccessScopeId"),
		cols(Text, "Label", "Description", "FullScopePath"),
		withDefault(notNull(col("IsBuiltIn", Bool)), "0"),
	),
	PrimaryKey:  key("AccessScopeId"),
	Unique:      [][]string{key("ParentAccessScopeId", "Label")},
	ForeignKeys: []ForeignKey{fk("ParentAccessScopeId", AccessScopeTable, "AccessScopeId", NoAction, NoAction)},
}

var v2UserAccessPolicy = &Table{
	Name: UserAccessPolicyTable, Section: "3.1.1.1.41",
	Columns: join(
		recordID("PolicyId"),
		col("UserGroupSecurityIdentifierBytes", Bytes),
		col("IsUserAliasValid", Bool),
		col("UserAlias", Text),
		col("UserGroupId", Int64),
		cols(Text, "UserName", "Description"),
	),
	PrimaryKey: key("PolicyId"),
}

var v2PolicyMap = &Table{
	Name: PolicyMapTable, Section: "3.1.1.1.42",
	Columns:    join(notNull(ref("PolicyId")), notNull(ref("RoleId")), notNull(ref("AccessScopeId"))),
	PrimaryKey: key("PolicyId", "RoleId", "AccessScopeId"),
	ForeignKeys: []ForeignKey{
		// The spec's ADM_AccessPolicyTable is ADM_UserAccessPolicyTable.
		fk("PolicyId", UserAccessPolicyTable, "PolicyId", Cascade, ""),
		fk("RoleId", RoleDefinitionTable, "RoleId", Cascade, ""),
		fk("AccessScopeId", AccessScopeTable, "AccessScopeId", Cascade, ""),
	},
	Indexes: [][]string{key("AccessScopeId")},
}

var v2AccessScopeAssociation = &Table{
	Name: AccessScopeAssociationTable, Section: "3.1.1.1.43", Families: []string{"IPv4ASM", "IPv6ASM", "MSM"},
	Columns: join(
		recordID("AssociationId"),
		notNull(col("ObjectId", Int64)),
		notNull(col("ObjectType", Text)),
		ref("AccessScopeId"),
		ref("InheritanceId"), // own AssociationId when not inheriting
		withDefault(notNull(col("IsInheriting", Bool)), "0"),
	),
	PrimaryKey: key("AssociationId"),
	Unique:     [][]string{key("ObjectId", "ObjectType")},
	ForeignKeys: []ForeignKey{
		fk("AccessScopeId", AccessScopeTable, "AccessScopeId", NoAction, ""),
		fk("InheritanceId", AccessScopeAssociationTable, "AssociationId", NoAction, ""),
	},
	Indexes: [][]string{key("AccessScopeId"), key("InheritanceId")},
}

var v2DhcpFailoverRelation = &Table{
	Name: DhcpFailoverRelationTable, Section: "3.1.1.1.44",
	Columns: join(
		recordID("RecordId"),
		col("RelationshipName", Text),
		ref("Server1RecordId"), ref("Server2RecordId"),
		cols(Text, "Mode", "MCLT"),
		col("AutoStateTransition", Bool),
		col("StateSwitchInterval", Text),
		col("Server1Percentage", Int64),
		col("SharedSecretEnabled", Bool),
		col("SharedSecret", Bytes),
		cols(Text, "Server1State", "Server2State", "Server1Name", "Server2Name", "Server1PSName", "Server2PSName",
			"Server1IP", "Server2IP"),
	),
	PrimaryKey: key("RecordId"),
	Unique:     [][]string{key("RelationshipName", "Server1RecordId", "Server2RecordId")},
	ForeignKeys: []ForeignKey{
		// The spec's ADM_DhcpServerTable is ADM_DHCPServersTable.
		fk("Server1RecordId", DHCPServersTable, "RecordId", NoAction, ""),
		fk("Server2RecordId", DHCPServersTable, "RecordId", NoAction, ""),
	},
}

var v2DhcpScopeFailover = &Table{
	Name: DhcpScopeFailoverTable, Section: "3.1.1.1.45",
	Columns: join(
		recordID("RecordId"),
		ref("FailoverRelationId"), ref("ScopeId"),
	),
	PrimaryKey: key("RecordId"),
	ForeignKeys: []ForeignKey{
		fk("FailoverRelationId", DhcpFailoverRelationTable, "RecordId", Cascade, Cascade),
		fk("ScopeId", DHCPScopesTable, "RecordId", Cascade, Cascade),
	},
	Indexes: [][]string{key("FailoverRelationId"), key("ScopeId")},
}

var v2DhcpSuperscope = &Table{
	Name: DhcpSuperscopeTable, Section: "3.1.1.1.46",
	Columns: join(
		recordID("RecordId"),
		ref("Server"),
		col("Name", Text),
		col("PercentageUsed", Float64),
	),
	PrimaryKey: key("RecordId"),
	Unique:     [][]string{key("Server", "Name")},
	// The spec's ADM_DhcpServerTable is ADM_DHCPServersTable.
	ForeignKeys: []ForeignKey{fk("Server", DHCPServersTable, "RecordId", NoAction, "")},
}

var v2DatabaseConfiguration = &Table{
	Name: DatabaseConfigurationTable, Section: "3.1.1.1.47",
	Columns: join(
		extra(withDefault(notNull(col("SingletonId", Int32)), "1"),
			"the table has exactly one record (3.1.1.1.47); a constant key makes a second one impossible"),
		cols(Text, "DatabaseType", "DatabaseAuthenticationType"),
		// The credential's user name only, as JSON {"UserName": …}: the
		// password must never rest in the database it unlocks (ipamd keeps
		// it, if the operator allows, in the state directory).
		col("DatabaseCredential", Text),
		cols(Text, "DatabaseServerNameOrIP", "DatabaseName", "DatabasePath"),
		col("DatabasePort", Int64),
	),
	PrimaryKey: key("SingletonId"),
	Checks:     []string{`"SingletonId" = 1`},
}

var v2DhcpFilter = &Table{
	Name: DhcpFilterTable, Section: "3.1.1.1.48",
	Columns: join(
		recordID("FilterId"),
		notNull(ref("ServerId")),
		col("MacAddress", Text),
		col("FilterType", Bool), // TRUE = allow, FALSE = deny
	),
	PrimaryKey:  key("FilterId"),
	ForeignKeys: []ForeignKey{fk("ServerId", DHCPServersTable, "RecordId", Cascade, Cascade)},
	Indexes:     [][]string{key("ServerId")},
}

var v2IPRangeMultivaluedProperties = &Table{
	Name: IPRangeMultivaluedPropertiesTable, Section: "3.1.1.1.49", Families: ipFamilies,
	Columns: join(
		recordID("RecordId"),
		ref("RangeId"),
		col("PropertyId", Int32), // 1 DNS Server … 8 Reserved IP Range
		col("PropertyValue", Bytes),
	),
	PrimaryKey:  key("RecordId"),
	ForeignKeys: []ForeignKey{fk("RangeId", IPRangeTable, "RecordId", Cascade, Cascade)},
	Indexes:     [][]string{key("RangeId")},
}

var v2IPBlockMultivaluedProperties = &Table{
	Name: IPBlockMultivaluedPropertiesTable, Section: "3.1.1.1.50", Families: ipFamilies,
	Columns: join(
		recordID("RecordId"),
		ref("BlockId"),
		col("PropertyId", Int32), // 1 VLAN
		col("PropertyValue", Bytes),
	),
	PrimaryKey:  key("RecordId"),
	ForeignKeys: []ForeignKey{fk("BlockId", IPBlocksTable, "RecordId", Cascade, Cascade)},
	Indexes:     [][]string{key("BlockId")},
}

var v2MultiValueCustomFieldValueAssociation = &Table{
	Name: MultiValueCustomFieldValueAssociationTable, Section: "3.1.1.1.51",
	// No key in the spec; a link is a pair, so the pair is the key.
	Columns:    join(notNull(ref("CustomFieldValueId1")), notNull(ref("CustomFieldValueId2"))),
	PrimaryKey: key("CustomFieldValueId1", "CustomFieldValueId2"),
	ForeignKeys: []ForeignKey{
		fk("CustomFieldValueId1", CustomFieldValuesTable, "RecordId", Cascade, Cascade),
		fk("CustomFieldValueId2", CustomFieldValuesTable, "RecordId", Cascade, Cascade),
	},
	Indexes: [][]string{key("CustomFieldValueId2")},
}

var v2DNSConditionalForwarder = &Table{
	Name: DNSConditionalForwarderTable, Section: "3.1.1.1.52",
	Columns: join(
		recordID("RecordId"),
		col("Name", Text),
		ref("ServerRoleId"),
		col("ConditionalForwarderType", Text),
		col("ForwarderTimeout", Int64),
		cols(Text, "MasterServers", "DirectoryPartitionName", "ReplicationScope"),
	),
	PrimaryKey:  key("RecordId"),
	ForeignKeys: []ForeignKey{fk("ServerRoleId", DnsServersTable, "RecordId", Cascade, Cascade)},
}

var v2IpamForest = &Table{
	Name: IpamForestTable, Section: "3.1.1.1.53",
	Columns:    join(recordID("RecordId"), cols(Text, "Name", "RootDomainGuid")),
	PrimaryKey: key("RecordId"),
}
