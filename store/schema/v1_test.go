package schema_test

import (
	"context"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/ipamd/ipamd/store/schema"
	"github.com/ipamd/ipamd/store/storetest"
)

// v1Columns is MS-IPAMM's own column list per v1 table (3.1.1.1.x of the
// v1 spec, computed columns left out, "Zone State" without its space), plus the
// Extra columns ipamd keeps. V1 is derived from V2; this list is the
// independent check that the derivation lands on the v1 spec.
var v1Columns = map[string][]string{
	"ADM_IPRangeTable": {"RecordId", "ParentIPBlockRecordId", "ScopeRecordId", "AddressAssignment", "AddressCategory",
		"EndIPAddress", "IsOverlapping", "LastAssignedDate", "LastChangeDate", "LastReclaimRuntime", "NumberOfChildAddresses",
		"Owner", "PrefixLength", "StartIPAddress", "UtilizationCalculationType", "UtilizationEventLogStatus",
		"UtilizationStatistics", "SubnetId", "SubnetMask", "Description", "DefaultGateway"},
	"ADM_CustomFieldValuesAssociationTable": {"RecordId", "ObjectType", "Af", "UsedById", "CustomFieldId", "CustomFieldValueId", "Value"},
	"ADM_IPAddressTable": {"RecordId", "RangeRecordId", "AddressAssignment", "AddressCategory", "AssignedDate", "ChangedDate",
		"ExpiryDate", "ExpiryAlertStatus", "AssetTag", "IpAddress", "IsDuplicate", "MacAddress", "Notes", "OSName", "OSVersion",
		"Owner", "SerialNumber", "DeviceName", "ReservationType", "Duid", "Iaid"},
	"ADM_IPBlocksTable": {"RecordId", "ParentBlockRecordId", "AddressCategory", "Description", "EndIPAddress", "LastAssignedDate",
		"NetworkId", "NumberOfChildBlocks", "Owner", "PrefixLength", "RIRReceivedDate", "StartIPAddress", "SubnetMask",
		"UtilizationStatistics"},
	"ADM_DHCPReservationTable":         {"RecordId", "ScopeRecordId", "IPAddressRecordId", "ReservationDescription", "ReservationName", "ReservationSyncStatus"},
	"ADM_AddressDNSForwardLookupTable": {"RecordId", "AddressRecordId", "DNSZoneRecordId", "DNSServerRecordId", "DnsForwardSyncStatus"},
	"ADM_AddressDNSReverseLookupTable": {"RecordId", "AddressRecordId", "DNSZoneRecordId", "DNSServerRecordId", "DnsReverseSyncStatus"},
	"ADM_DNSForwardLookupTable":        {"RecordId", "Name", "ParentId", "ShortName", "ZoneOverallHealth", "ZoneOverallHealthLastUpdateTime"},
	"ADM_DNSReverseLookupTable":        {"RecordId", "Name", "StartIP", "EndIP", "Prefix", "IPType"},
	"ADM_DNSServerForwardLookupZoneTable": {"RecordId", "ServerRecordId", "DnsZoneId", "ZoneType", "ZoneConfiguration", "ZoneHealth",
		"ZoneHealthLastUpdateTime"},
	"ADM_DNSServerReverseLookupZoneTable": {"RecordId", "ServerRecordId", "DnsReverseZoneId", "ZoneConfiguration", "ZoneType"},
	"ADM_DHCPScopesTable": {"RecordId", "DHCPServerRecordId", "Description", "DnsUpdateType", "DiscardDnsRecordOnLeaseDeletionStatus",
		"DnsNameProtectionStatus", "EndAddress", "NumberOfActiveLeases", "PrefixLength", "ScopeId", "ScopeName", "StartAddress",
		"Status", "SubnetMask", "TotalNumberOfAddressesInScope", "TotalNumberOfExcludedAddressesInScope", "ExclusionRanges",
		"BootpLeaseDuration", "BootpLeaseDurationType", "DnsNotRequestingClientsUpdateType", "LeaseDuration", "LeaseDurationType",
		"ServingClientsType", "SubnetDelay", "PreferredLeaseTime", "ValidLeaseTime", "PurgeInterval", "ScopePreference", "ScopeType",
		"StatelessClientInventoryLoggingStatus"},
	"ADM_CustomFieldsTable":      {"RecordId", "BuiltinCustomFieldNumber", "Name", "Origin", "Type"},
	"ADM_CustomFieldValuesTable": {"RecordId", "CustomFieldRecordId", "Value", "BuiltInCustomFieldValueId"},
	"ADM_LogicalGroupsTable":     {"RecordId", "Fields", "Name", "Users", "BuiltinLogicalGroupNumber", "Origin"},
	"ADM_DHCPServersTable": {"RecordId", "ServerRoleRecordId", "OptionDefinitions", "VendorClasses", "UserClasses", "AuditLogginStatus",
		"BackupPath", "DatabasePath", "DiscardDnsRecordOnLeaseDeletionStatus", "DnsNameProtectionStatus",
		"DnsRegistrationCredentialDomainName", "DnsRegistrationCredentialUserName", "DnsUpdateType", "NumberOfActiveLeases",
		"NumberOfAvailableAddresses", "NumberOfScopes", "ServerVersion", "DhcpDnsNotRequestingClientsUpdateType", "PurgeInterval",
		"StatelessStatus"},
	"ADM_DhcpOptionsTable": {"RecordId", "ServerRecordId", "ScopeRecordId", "OptionDefinitionRecordId", "UserClassRecordId",
		"OptionReferenceType", "Values"},
	"ADM_DnsServersTable":    {"RecordId", "ServerRoleRecordId", "ZoneHealthSummary", "ZoneHealthSummaryLastUpdateTime"},
	"ADM_DnsZoneEventsTable": {"RecordId", "ServerZoneId", "EventId", "EventParametersString", "LoggedEventLevel", "LoggedOn", "TaskCategory"},
	"ADM_ServerRolesTable": {"RecordId", "ServerRecordID", "AuditFileAccessStatus", "EventViewerAccessStatus", "LastRefreshTime",
		"RpcAccessStatus", "ServerRoleFlag", "ServerRoleInclusionStatus", "ServiceStatus", "ServiceStatusModifiedTime"},
	"ADM_ServersTable": {"RecordId", "ADDomainRecordId", "ADDomain", "ConfigurationRetrievalFlag", "Description", "Domain",
		"IPAddresses", "LastModified", "ManagementStatus", "Name", "NewFlag", "OSName", "OSVersion", "Owner", "SamAccountName",
		"ServerGuid"},
	"ADM_IPv4AddressRangeUtilizationTable": {"RangeRecordId", "StartIPAddress", "EndIPAddress", "PrefixLength", "ManagedBy",
		"ManagedByEntity", "Timestamp", "TotalAssignedAddresses", "TotalAvailableAddresses", "TotalUtilizedAddresses"},
	"ADM_IPv4AddressBlockUtilizationTable": {"BlockRecordId", "StartIPAddress", "EndIPAddress", "PrefixLength", "Timestamp",
		"TotalAssignedAddresses", "TotalAvailableAddresses", "TotalUtilizedAddresses"},
	"ADM_IPAddressAuditTable": {"RecordId", "TimeOfEvent", "EventType", "UserName", "ClientId", "IPAddress", "HostName",
		"DomainName", "SourceServerName", "ServerType"},
	"ADM_ConfigurationAuditTable": {"RecordId", "EventDescription", "TimeOfEvent", "EventID", "UserName", "UserDomainName",
		"ServerName", "ServerVersion", "ServerType", "Keywords", "TaskCategory", "Opcode", "EventParameters"},
	"ADM_DiscoveryConfigurationTable": {"RecordId", "DiscoveryConfigurationStatus", "DiscoveryDomain", "DiscoverDhcpServers",
		"DiscoverDnsServers", "DiscoverDomainControllers", "DomainGuid"},
	"ADM_CommonProperties": {"Name", "Value"},
	// The spec gives ADM_Tasks no key; TaskType is its key in both versions.
	"ADM_Tasks": {"TaskType", "RecurrenceDuration", "LastRunTime", "NextRunTime", "State", "Status", "Triggers"},
}

func TestV1Tables(t *testing.T) {
	if got := len(schema.V1.Tables); got != 28 {
		t.Errorf("V1 has %d tables, want 28", got)
	}
	if len(v1Columns) != 28 {
		t.Fatalf("test table lists %d tables", len(v1Columns))
	}
	seen := map[string]bool{}
	for _, tb := range schema.V1.Tables {
		seen[tb.Name] = true
		want, ok := v1Columns[tb.Name]
		if !ok {
			t.Errorf("V1 has %s, which is not a v1 table", tb.Name)
			continue
		}
		var got []string
		for _, c := range tb.Columns {
			got = append(got, c.Name)
		}
		g, w := slices.Clone(got), slices.Clone(want)
		sort.Strings(g)
		sort.Strings(w)
		if !slices.Equal(g, w) {
			t.Errorf("%s columns:\n got %v\nwant %v", tb.Name, got, want)
		}
		// A column both versions have is the same column: conversion alters
		// tables in place.
		t2 := schema.V2.Table(tb.Name)
		for _, c := range tb.Columns {
			c2 := t2.Column(c.Name)
			if c2 == nil {
				if !c.Extra {
					t.Errorf("%s.%s is not in V2 and not marked Extra", tb.Name, c.Name)
				}
				continue
			}
			if c.Type != c2.Type {
				t.Errorf("%s.%s: type %v in V1, %v in V2", tb.Name, c.Name, c.Type, c2.Type)
			}
		}
	}
	for name := range v1Columns {
		if !seen[name] {
			t.Errorf("V1 lacks %s", name)
		}
	}
	if r := schema.V1.Table("ADM_IPRangeTable").Column("ParentIPBlockRecordId"); r.NotNull {
		t.Error("v1 ranges may have no parent block (ParentIPBlockRecordId nullable)")
	}
	if r := schema.V2.Table("ADM_IPRangeTable").Column("ParentIPBlockRecordId"); !r.NotNull {
		t.Error("deriving V1 changed V2's ParentIPBlockRecordId")
	}
	if !versionLess(schema.V1.Version, schema.V2.Version) {
		t.Errorf("V1.Version %q does not sort below V2.Version %q", schema.V1.Version, schema.V2.Version)
	}
}

// versionLess compares "a.b.c.d" versions part by part.
func versionLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := range pa {
		x, _ := strconv.Atoi(pa[i])
		y, _ := strconv.Atoi(pb[i])
		if x != y {
			return x < y
		}
	}
	return false
}

// TestV1Creates creates the v1 schema on each engine, in its declared order
// with foreign keys enforced.
func TestV1Creates(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			db := storetest.OpenDB(t, e.Dialect)
			ctx := context.Background()
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = tx.Rollback() }()
			for _, tb := range schema.V1.Tables {
				if _, err := tx.ExecContext(ctx, e.Dialect.CreateTable(tb)); err != nil {
					t.Fatalf("%s: %v\n%s", tb.Name, err, e.Dialect.CreateTable(tb))
				}
				for _, ix := range e.Dialect.CreateIndexes(tb) {
					if _, err := tx.ExecContext(ctx, ix); err != nil {
						t.Fatalf("%s: %v", ix, err)
					}
				}
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
