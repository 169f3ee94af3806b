package schema

import (
	"fmt"
	"regexp"
	"testing"
)

// TestV2Tables checks V2 against MS-IPAMM2 3.1.1.1: the 53 tables of
// 3.1.1.1.1 – 3.1.1.1.53, each once, with the name the index gives it.
func TestV2Tables(t *testing.T) {
	if got := len(V2.Tables); got != 53 {
		t.Fatalf("V2 has %d tables, want 53", got)
	}
	bySection := map[string]*Table{}
	byName := map[string]bool{}
	for _, tbl := range V2.Tables {
		if bySection[tbl.Section] != nil {
			t.Errorf("section %s twice: %s and %s", tbl.Section, bySection[tbl.Section].Name, tbl.Name)
		}
		bySection[tbl.Section] = tbl
		if byName[tbl.Name] {
			t.Errorf("table %s twice", tbl.Name)
		}
		byName[tbl.Name] = true
	}
	for n, name := range v2NamesInSpecOrder {
		sec := fmt.Sprintf("3.1.1.1.%d", n+1)
		if tbl := bySection[sec]; tbl == nil {
			t.Errorf("no table for %s (%s)", sec, name)
		} else if tbl.Name != name {
			t.Errorf("%s is %s, want %s", sec, tbl.Name, name)
		}
	}
	if V2.Version != V2Version || !regexp.MustCompile(`^\d+\.\d+\.\d+\.\d+$`).MatchString(V2.Version) {
		t.Errorf("V2.Version = %q, want a.b.c.d", V2.Version)
	}
}

// v2NamesInSpecOrder is the 53 tables in MS-IPAMM2 section order
// (docs/data-model.md#v2-tables).
var v2NamesInSpecOrder = []string{
	"ADM_IPRangeTable", "ADM_CustomFieldValuesAssociationTable", "ADM_IPAddressTable", "ADM_IPBlocksTable",
	"ADM_DHCPReservationTable", "ADM_AddressDNSForwardLookupTable", "ADM_AddressDNSReverseLookupTable",
	"ADM_DNSForwardLookupTable", "ADM_DNSReverseLookupTable", "ADM_DNSServerForwardLookupZoneTable",
	"ADM_DNSServerReverseLookupZoneTable", "ADM_DNSResourceRecordTable", "ADM_DHCPScopesTable",
	"ADM_CustomFieldsTable", "ADM_CustomFieldValuesTable", "ADM_LogicalGroupsTable", "ADM_DHCPServersTable",
	"ADM_DhcpOptionsTable", "ADM_DnsServersTable", "ADM_DnsZoneEventsTable", "ADM_ServerRolesTable",
	"ADM_ServersTable", "ADM_IPv4AddressRangeUtilizationTable", "ADM_IPv4AddressBlockUtilizationTable",
	"ADM_IPAddressAuditTable", "ADM_ConfigurationAuditTable", "ADM_DiscoveryConfigurationTable",
	"ADM_CommonProperties", "ADM_Tasks", "ADM_DhcpPolicyTable", "ADM_DhcpPolicyConditionTable",
	"ADM_DhcpPolicySubrangeTable", "ADM_AddressSpaceTable", "ADM_SubnetTable", "ADM_AdminOperationGroupsTable",
	"ADM_AdminOperationsTable", "ADM_AdminOperationGroupHierarchyTable", "ADM_RoleDefinitionTable",
	"ADM_RoleOperationMapTable", "ADM_AccessScopeTable", "ADM_UserAccessPolicyTable", "ADM_PolicyMapTable",
	"ADM_AccessScopeAssociationTable", "ADM_DhcpFailoverRelationTable", "ADM_DhcpScopeFailoverTable",
	"ADM_DhcpSuperscopeTable", "ADM_DatabaseConfigurationTable", "ADM_DhcpFilterTable",
	"ADM_IPRangeMultivaluedPropertiesTable", "ADM_IPBlockMultivaluedPropertiesTable",
	"ADM_MultiValueCustomFieldValueAssociationTable", "ADM_DNSConditionalForwarderTable", "ADM_IpamForestTable",
}

// TestV2Consistent checks what the engines would only report one at a time
// (or, for PostgreSQL's 63-byte identifiers, silently truncate): every key
// names real columns, every foreign key targets an earlier table's primary
// or unique key, extra columns say why.
func TestV2Consistent(t *testing.T) {
	for _, err := range CheckSchema(V2) {
		t.Error(err)
	}
}

// Spot checks of decisions the v2 ADM forces (docs/data-model.md).
func TestV2Decisions(t *testing.T) {
	for _, tc := range []struct {
		table, column string
		check         func(*Column) bool
		want          string
	}{
		{IPRangeTable, "ParentIPBlockRecordId", func(c *Column) bool { return c.NotNull }, "NOT NULL (MUST NOT be NULL in v2)"},
		{IPRangeTable, "SubnetId", func(c *Column) bool { return c.Extra && c.Why != "" }, "an Extra column with a reason"},
		{IPRangeTable, "ManagedByValue", func(c *Column) bool { return c == nil }, "absent (computed, not stored)"},
		{IPBlocksTable, "IsSubnet", func(c *Column) bool { return c.Type == Bool && c.NotNull }, "a NOT NULL Bool"},
		{DNSServerForwardLookupZoneTable, "ZoneState", func(c *Column) bool { return c != nil }, `present ("Zone State" without the space)`},
		{DHCPScopesTable, "NumberOfActiveLeases", func(c *Column) bool { return c.Type == Float64 }, "Float64 (xsd:double)"},
		{DatabaseConfigurationTable, "DatabaseCredential", func(c *Column) bool { return c.Type == Text }, "Text (user name only)"},
	} {
		c := V2.Table(tc.table).Column(tc.column)
		if !func() (ok bool) {
			defer func() {
				if recover() != nil {
					ok = false
				}
			}()
			return tc.check(c)
		}() {
			t.Errorf("%s.%s: want %s", tc.table, tc.column, tc.want)
		}
	}
	for _, tbl := range []struct {
		name     string
		families []string
	}{
		{IPRangeTable, ipFamilies}, {AddressSpaceTable, []string{"Provider", "Customer"}},
		{AccessScopeAssociationTable, []string{"IPv4ASM", "IPv6ASM", "MSM"}}, {CustomFieldsTable, nil},
	} {
		if got := V2.Table(tbl.name).Families; fmt.Sprint(got) != fmt.Sprint(tbl.families) {
			t.Errorf("%s families = %v, want %v", tbl.name, got, tbl.families)
		}
	}
}
