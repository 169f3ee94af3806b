package schema

import "slices"

// V1Version is the DatabaseSchemaVersion ("a.b.c.d") ipamd gives a store in
// the v1 layout, the Windows Server 2012 IPAM server's. MS-IPAMM defines no
// schema version at all (docs/data-model.md#schema-versions: v1 has no
// ADM_IPAMSchemaVersion and calls the "is conversion required" check implementation-dependent);
// the only number either spec gives a 2012 IPAM server is GetIpamVersion's
// 6.2 (product notes <4> / <80>), so a v1 store is 6.2 with patch and
// service-pack level 0. It sorts below V2Version, which is what the
// conversion check compares. A v1 store written by Windows has no
// DatabaseSchemaVersion row; convert.Required recognises the layout then.
const V1Version = "6.2.0.0"

// V1 is the IPAM data store of MS-IPAMM (Windows Server 2012, IPAM 6.2): its
// 28 tables (docs/data-model.md#v1-tables) in creation order. Every v1 table
// is also a v2 table with the same name, and v2 only adds (nothing is
// removed; all changes are additions or constraint changes), so each v1
// table is written as its v2 table less what v2 added. That keeps a column
// both versions have identical in both, which is what lets the conversion
// alter tables in place; schema_test checks every v1 table's columns
// against the v1 spec's own column list.
var V1 = &Schema{Version: V1Version, Tables: v1Tables()}

// v1Changes says, per table, what v2 added (dropped here) and what else v1
// had differently. Tables not listed are unchanged
// (docs/data-model.md#column-changes: v2 6, 7, 14, 15, 16, 19, 20, 21, 25, 28, 29 keep their columns).
var v1Changes = map[string]struct {
	section string   // the v1 section number
	drop    []string // columns v2 added
	edit    func(*Table)
}{
	IPRangeTable: {"3.1.1.1.1", []string{"AddressSpaceRecordId", "UseForUtilization", "ConnectionSpecificDNSSuffix",
		"VirtualizationType", "IsUnmappedFromReverseZone", "WINSServers"}, func(t *Table) {
		// v1: "on delete set null", set only if a containing block exists.
		c := t.Column("ParentIPBlockRecordId")
		c.NotNull = false
		for i := range t.ForeignKeys {
			if t.ForeignKeys[i].Columns[0] == "ParentIPBlockRecordId" {
				t.ForeignKeys[i].OnDelete, t.ForeignKeys[i].OnUpdate = SetNull, ""
			}
		}
		t.Columns = append(t.Columns, extra(col("DefaultGateway", Text),
			"v1 IPRange.DefaultGateway has no ADM column; v2 keeps gateways in ADM_IPRangeMultivaluedPropertiesTable "+
				"(PropertyId 3), where conversion step 6 moves it"))
	}},
	CustomFieldValuesAssociationTable: {"3.1.1.1.2", nil, nil},
	IPAddressTable:                    {"3.1.1.1.3", []string{"AddressSpaceRecordId", "VirtualizationType", "IsCreatedFromDNS"}, nil},
	IPBlocksTable:                     {"3.1.1.1.4", []string{"IsSubnet", "AddressSpaceRecordId", "LastModifiedDate"}, nil},
	DHCPReservationTable: {"3.1.1.1.5", []string{"ReservationStatus", "DnsNameProtectionStatus",
		"DiscardDnsRecordOnLeaseDeletionStatus", "DnsUpdateType", "DnsDisablePtrUpdate", "ServingClientsType",
		"ReservationClientId", "DnsNotRequestingClientsUpdateType", "Duid", "Iaid"}, nil},
	AddressDNSForwardLookupTable:    {"3.1.1.1.6", nil, nil},
	AddressDNSReverseLookupTable:    {"3.1.1.1.7", nil, nil},
	DNSForwardLookupTable:           {"3.1.1.1.8", zoneSettingNames, nil},
	DNSReverseLookupTable:           {"3.1.1.1.9", zoneSettingNames, nil},
	DNSServerForwardLookupZoneTable: {"3.1.1.1.10", append([]string{"ZoneState"}, serverZoneSettingNames...), nil},
	DNSServerReverseLookupZoneTable: {"3.1.1.1.11", append([]string{"ZoneState"}, serverZoneSettingNames...), nil},
	DHCPScopesTable: {"3.1.1.1.12", []string{"SuperscopeId", "FailoverConfigSyncStatus", "AllowFilterState",
		"DenyFilterState", "EnablePolicyStatus"}, nil},
	CustomFieldsTable:      {"3.1.1.1.13", nil, nil},
	CustomFieldValuesTable: {"3.1.1.1.14", nil, nil},
	LogicalGroupsTable:     {"3.1.1.1.15", nil, nil},
	DHCPServersTable: {"3.1.1.1.16", []string{"DnsDisableDynamicPtsUpdates", "PolicyActivationStatus",
		"AllowFilterState", "DenyFilterState"}, nil},
	DhcpOptionsTable:                 {"3.1.1.1.17", []string{"ReservationId", "PolicyId"}, nil},
	DnsServersTable:                  {"3.1.1.1.18", nil, nil},
	DnsZoneEventsTable:               {"3.1.1.1.19", nil, nil},
	ServerRolesTable:                 {"3.1.1.1.20", nil, nil},
	ServersTable:                     {"3.1.1.1.21", []string{"ForestName"}, nil},
	IPv4AddressRangeUtilizationTable: {"3.1.1.1.22", []string{"AddressSpaceRecordId"}, nil},
	IPv4AddressBlockUtilizationTable: {"3.1.1.1.23", []string{"AddressSpaceRecordId", "IsSubnet"}, nil},
	IPAddressAuditTable:              {"3.1.1.1.24", nil, nil},
	ConfigurationAuditTable:          {"3.1.1.1.25", []string{"ForestName"}, nil},
	DiscoveryConfigurationTable:      {"3.1.1.1.26", []string{"ForestId"}, nil},
	CommonProperties:                 {"3.1.1.1.27", nil, nil},
	Tasks:                            {"3.1.1.1.28", nil, nil},
}

// The columns v2 adds to both zone tables and both server-zone tables
// (docs/data-model.md#column-changes).
var (
	zoneSettingNames       = []string{"IsSigned", "IsDynamicUpdateEnabled", "IsScavengeStaleRecordsEnabled", "NoRefreshInterval", "RefreshInterval"}
	serverZoneSettingNames = []string{"IsLastCollectedServer", "IsPreferredServer", "DirectoryPartitionName", "ZoneFileName",
		"ReplicationScope", "NotifySecondaries", "NotifyServers", "SecureSecondaries", "SecondaryServers", "MasterServers"}
)

// v1Tables derives the v1 tables from V2, in V2's creation order (v1's
// foreign keys are a subset of v2's, so that order still works).
func v1Tables() []*Table {
	var out []*Table
	for _, t2 := range V2.Tables {
		ch, ok := v1Changes[t2.Name]
		if !ok {
			continue
		}
		t := withoutColumns(t2, ch.drop)
		t.Section = ch.section
		if ch.edit != nil {
			ch.edit(t)
		}
		out = append(out, t)
	}
	return out
}

// withoutColumns is a deep copy of t less the named columns and every key,
// foreign key, index and check that uses one of them.
func withoutColumns(t *Table, drop []string) *Table {
	gone := func(names []string) bool {
		for _, n := range names {
			if slices.Contains(drop, n) {
				return true
			}
		}
		return false
	}
	c := &Table{Name: t.Name, Section: t.Section, Families: slices.Clone(t.Families), PrimaryKey: slices.Clone(t.PrimaryKey),
		Checks: slices.Clone(t.Checks)}
	for _, col := range t.Columns {
		if !slices.Contains(drop, col.Name) {
			c.Columns = append(c.Columns, col)
		}
	}
	for _, u := range t.Unique {
		if !gone(u) {
			c.Unique = append(c.Unique, slices.Clone(u))
		}
	}
	for _, fk := range t.ForeignKeys {
		if !gone(fk.Columns) {
			fk.Columns, fk.RefColumns = slices.Clone(fk.Columns), slices.Clone(fk.RefColumns)
			c.ForeignKeys = append(c.ForeignKeys, fk)
		}
	}
	for _, ix := range t.Indexes {
		if !gone(ix) {
			c.Indexes = append(c.Indexes, slices.Clone(ix))
		}
	}
	return c
}
