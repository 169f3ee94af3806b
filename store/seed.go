package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/ipamd/ipamd/store/schema"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// Seed data: the rows ipam-adm.md says provisioning creates ("Rows created
// at provisioning"). Values are the spec's English names; enumerations are
// stored as their XSD literal.

// commonPropertyDefaults are ADM_CommonProperties' provisioning values
// (3.1.1.1.28) other than the security groups.
var commonPropertyDefaults = [][2]string{
	{"MaximumUtilizationThreshold", "80"},
	{"MinimumUtilizationThreshold", "20"},
	{"ExpiryAlertThreshold", "10"},
	{"IpamExpiryLoggingPeriodicity", "Once"},
	{"IPAuditTrackingFeature", "1"},
}

// builtinCustomField is a row of ADM_CustomFieldsTable created at
// provisioning; RecordId = Number.
type builtinCustomField struct {
	Number  int
	Literal string // BuiltInCustomField (2.2.5.5)
	Name    string
	Values  []string // BuiltInCustomFieldValueId = position + 1
}

// builtinCustomFields (3.1.1.1.14, values 3.1.1.1.15). Country/Region gets
// the ISO 3166 names, numbered in alphabetical order (the spec gives no ids).
var builtinCustomFields = []builtinCustomField{
	{1, "Rir", "RIR", []string{"AFRINIC", "APNIC", "ARIN", "LACNIC", "RIPE"}},
	{2, "RegionLegacy", "RegionLegacy", []string{"Asia", "Caribbean", "Central America", "Eastern Europe", "European Union",
		"Middle East", "North America", "Oceania", "South America"}},
	{3, "CountryOrRegion", "Country/Region", isoCountries},
	{4, "TypeOfNetworks", "Type of networks", nil},
	{5, "ADSite", "AD site", nil},
	{6, "MicrosoftServerRole", "Microsoft server role", nil},
	{7, "DeviceType", "Device type", []string{"Firewall", "Host", "Load balancer", "Microsoft Servers", "Non-Microsoft servers",
		"Printer", "Routers", "Switch", "Terminal server", "VM", "VM Manager", "VOIP Gateway", "WAN optimizer", "Wireless AP",
		"Wireless controller"}},
	{8, "ManagedBy", "Managed by", []string{"IPAM", "MS DHCP", "Non-MS DHCP", "VM Manager", "Others"}},
	{9, "ManagedByEntity", "Managed by entity", []string{"Localhost"}},
	{10, "IPAddressState", "IP Address State", []string{"In-Use", "Reserved", "Inactive"}},
	{11, "IPAddressPoolName", "IP Pool Name", nil},
	{12, "LogicalNetwork", "Logical Network", nil},
	{13, "DnsSuffix", "DNS Suffix", nil},
	{14, "NetworkSite", "Network Site", nil},
	{15, "VMNetwork", "VM Network", nil},
	{16, "Tenant", "Tenant", nil},
	{17, "Isolation", "Isolation Method", []string{"NVGRE", "VLAN", "VXLAN", "IPRewrite"}},
	{18, "Region", "Region", nil},
}

// builtinLogicalGroups (3.1.1.1.16): name, BuiltInLogicalGroup literal
// (the spec numbers them 1–3; NetworkDevices is our spelling of the first)
// and the custom fields of the hierarchy, by BuiltinCustomFieldNumber.
var builtinLogicalGroups = []struct {
	Name, Literal string
	Fields        []int
}{
	{"Network devices", "NetworkDevices", []int{7}},
	{"Managed by", "ManagedBy", []int{8, 9}},
	{"VirtualizedProviderAddressSpace", "VirtualizedProviderAddressSpace", []int{12, 14}},
}

// taskTypes are the IpamTaskType values, one ADM_Tasks row each
// (ipam-adm.md 3.1.1.1.29 [INFERENCE]).
var taskTypes = []string{"Discovery", "Utilization", "Audit", "Configuration", "ServerAvailability", "Monitoring", "Expiry", "DnsConfiguration"}

// Fixed record ids the spec names or other seed rows refer to.
const (
	defaultAddressSpaceID = 1 // "1, which maps to Default Provider Address Space"
	globalAccessScopeID   = 1 // Global (3.1.1.1.40)
)

// seed writes every seed row in tx.
func (s *Store) seed(ctx context.Context, tx *sql.Tx, p ProvisionParams) error {
	w := &seeder{ctx: ctx, tx: tx, d: s.dialect}
	steps := []struct {
		table string
		rbac  bool
		f     func() error
	}{
		{schema.CommonProperties, false, func() error { return w.commonProperties(p) }},
		{schema.DatabaseConfigurationTable, false, func() error { return w.databaseConfiguration(s.cfg) }},
		{schema.AddressSpaceTable, false, w.addressSpace},
		{schema.CustomFieldsTable, false, w.customFields},
		{schema.LogicalGroupsTable, false, w.logicalGroups},
		{schema.Tasks, false, w.tasks},
		{schema.AdminOperationGroupsTable, true, w.operationCatalogue},
		{schema.RoleDefinitionTable, true, w.roles},
		{schema.AccessScopeTable, true, w.accessScope},
		{"identity sequences", false, w.fixSequences},
	}
	for _, st := range steps {
		if err := s.step("seed "+st.table, st.rbac, st.f); err != nil {
			return err
		}
	}
	return nil
}

type seeder struct {
	ctx context.Context
	tx  *sql.Tx
	d   schema.Dialect
}

// insert inserts one row per args entry into table's cols with one
// prepared statement.
func (w *seeder) insert(table string, cols []string, rows ...[]any) error {
	ph := make([]string, len(cols))
	q := make([]string, len(cols))
	for i, c := range cols {
		ph[i] = w.d.Placeholder(i + 1)
		q[i] = schema.Quote(c)
	}
	stmt, err := w.tx.PrepareContext(w.ctx, "INSERT INTO "+schema.Quote(table)+" ("+strings.Join(q, ", ")+") VALUES ("+strings.Join(ph, ", ")+")")
	if err != nil {
		return fmt.Errorf("prepare insert into %s: %w", table, err)
	}
	defer stmt.Close()
	for _, r := range rows {
		if _, err := stmt.ExecContext(w.ctx, r...); err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
	}
	return nil
}

func provisioningMode(m ipam.ProvisioningMethod) string {
	if m == ipam.ProvisioningMethodAutomatic {
		return "Automatic"
	}
	return "Manual"
}

func (w *seeder) commonProperties(p ProvisionParams) error {
	var rows [][]any
	for _, kv := range commonPropertyDefaults {
		rows = append(rows, []any{kv[0], kv[1]})
	}
	for _, g := range securityGroupProperties {
		rows = append(rows, []any{g[0], g[1]})
	}
	rows = append(rows,
		[]any{"ProvisioningMode", provisioningMode(p.ProvisioningMethod)},
		[]any{"IpamConfiguredDate", p.Now.UTC().Format(time.RFC3339Nano)},
		[]any{propSchemaVersion, schema.V2Version},
	)
	if p.GpoPrefix != nil {
		rows = append(rows, []any{"GpoPrefix", *p.GpoPrefix})
	}
	return w.insert(schema.CommonProperties, []string{"Name", "Value"}, rows...)
}

// setDeployment writes ProvisioningMode and GpoPrefix into an adopted
// store (DoProvisioningWithEnumerator 3.3.4.37 applies them either way).
// UPDATE-then-INSERT, because a v1 store's table need not have a key on Name.
func setDeployment(ctx context.Context, tx *sql.Tx, d schema.Dialect, p ProvisionParams) error {
	props := [][2]string{{"ProvisioningMode", provisioningMode(p.ProvisioningMethod)}}
	if p.GpoPrefix != nil {
		props = append(props, [2]string{"GpoPrefix", *p.GpoPrefix})
	}
	for _, kv := range props {
		res, err := tx.ExecContext(ctx, `UPDATE "ADM_CommonProperties" SET "Value" = `+d.Placeholder(1)+` WHERE "Name" = `+d.Placeholder(2), kv[1], kv[0])
		if err != nil {
			return fmt.Errorf("update %s: %w", kv[0], err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO "ADM_CommonProperties" ("Name", "Value") VALUES (`+d.Placeholder(1)+`, `+d.Placeholder(2)+`)`, kv[0], kv[1]); err != nil {
			return fmt.Errorf("insert %s: %w", kv[0], err)
		}
	}
	return nil
}

func (w *seeder) databaseConfiguration(c Config) error {
	dc := c.IPAM()
	var cred any
	if dc.DatabaseCredential != nil {
		b, err := json.Marshal(map[string]string{"UserName": *dc.DatabaseCredential.UserName})
		if err != nil {
			return err
		}
		cred = string(b)
	}
	return w.insert(schema.DatabaseConfigurationTable,
		[]string{"DatabaseType", "DatabaseAuthenticationType", "DatabaseCredential", "DatabaseServerNameOrIP", "DatabaseName", "DatabasePath", "DatabasePort"},
		[]any{string(dc.DatabaseType), string(dc.DatabaseAuthenticationType), cred, dc.DatabaseServerNameOrIP, dc.DatabaseName, dc.DatabasePath, int64(dc.DatabasePort)})
}

// addressSpace creates the Default Provider Address Space (RecordId 1,
// IsDefault 1), which every non-virtualized block, subnet, range and
// address belongs to. Its name is the built-in one the IPAM cmdlets show
// ("Default").
func (w *seeder) addressSpace() error {
	return w.insert(schema.AddressSpaceTable,
		[]string{"RecordId", "Family", "AddressSpaceType", "IsDefault", "Name", "Description"},
		[]any{defaultAddressSpaceID, "Provider", "Provider", true, "Default", "Default Provider Address Space"})
}

func (w *seeder) customFields() error {
	var fields, values [][]any
	for _, f := range builtinCustomFields {
		fields = append(fields, []any{f.Number, f.Literal, f.Name, "Builtin", "Multivalued"})
		for i, v := range f.Values {
			values = append(values, []any{f.Number, v, i + 1})
		}
	}
	if err := w.insert(schema.CustomFieldsTable, []string{"RecordId", "BuiltinCustomFieldNumber", "Name", "Origin", "Type"}, fields...); err != nil {
		return err
	}
	return w.insert(schema.CustomFieldValuesTable, []string{"CustomFieldRecordId", "Value", "BuiltInCustomFieldValueId"}, values...)
}

// logicalGroupField is one entry of ADM_LogicalGroupsTable.Fields.
type logicalGroupField struct {
	RecordId            int64
	CustomFieldRecordId int64
	CustomFieldName     string
}

func (w *seeder) logicalGroups() error {
	name := map[int]string{}
	for _, f := range builtinCustomFields {
		name[f.Number] = f.Name
	}
	var rows [][]any
	for _, g := range builtinLogicalGroups {
		var fields []logicalGroupField
		for i, n := range g.Fields {
			fields = append(fields, logicalGroupField{RecordId: int64(i + 1), CustomFieldRecordId: int64(n), CustomFieldName: name[n]})
		}
		b, err := json.Marshal(fields)
		if err != nil {
			return err
		}
		rows = append(rows, []any{string(b), g.Name, "IPAddressSpaceManagement", g.Literal, "Builtin"})
	}
	return w.insert(schema.LogicalGroupsTable, []string{"Fields", "Name", "Users", "BuiltinLogicalGroupNumber", "Origin"}, rows...)
}

func (w *seeder) tasks() error {
	rows := make([][]any, len(taskTypes))
	for i, t := range taskTypes {
		rows[i] = []any{t}
	}
	return w.insert(schema.Tasks, []string{"TaskType"}, rows...)
}

// operationCatalogue writes the read-only catalogue (3.1.1.1.35 – 37).
func (w *seeder) operationCatalogue() error {
	groups := make([][]any, len(operationGroups))
	for i, g := range operationGroups {
		groups[i] = []any{g[0], g[1]}
	}
	if err := w.insert(schema.AdminOperationGroupsTable, []string{"OperationGroupId", "OperationGroupName"}, groups...); err != nil {
		return err
	}
	ops := make([][]any, len(adminOperations))
	for i, o := range adminOperations {
		req, err := json.Marshal(strings.Split(o.Requirement, " / "))
		if err != nil {
			return err
		}
		ops[i] = []any{o.ID, o.Name, o.Group, o.AdminRoleOnly, o.NonRBAC, o.AccessScopeAgnostic, string(req)}
	}
	if err := w.insert(schema.AdminOperationsTable,
		[]string{"OperationId", "OperationName", "OperationGroupId", "IsAdminRoleOnlyOperation", "IsNonRBACOperation",
			"IsAccessScopeAgnosticOperation", "NonRBACAdminAccessRequirement"}, ops...); err != nil {
		return err
	}
	var hier [][]any
	for _, parent := range []string{"DnsRecordOperations", "OtherRecordOperations"} {
		for _, child := range operationGroupHierarchy[parent] {
			hier = append(hier, []any{parent, child})
		}
	}
	return w.insert(schema.AdminOperationGroupHierarchyTable, []string{"ParentOperationGroupId", "ChildOperationGroupId"}, hier...)
}

// roles writes the built-in roles and their operations (3.1.1.1.38, 39).
func (w *seeder) roles() error {
	var roles, grants [][]any
	for i, r := range builtinRoles {
		id := i + 1
		roles = append(roles, []any{id, r.Name, r.Name + " (built-in role)", true})
		for _, op := range roleOperations(r) {
			grants = append(grants, []any{id, op})
		}
	}
	if err := w.insert(schema.RoleDefinitionTable, []string{"RoleId", "Name", "Description", "IsBuiltInRole"}, roles...); err != nil {
		return err
	}
	return w.insert(schema.RoleOperationMapTable, []string{"RoleDefinitionId", "OperationId"}, grants...)
}

// accessScope writes the Global scope (3.1.1.1.40; its parent, 0 in the
// protocol, is NULL) and the default address space's association with it
// (not inheriting, so InheritanceId is its own AssociationId). An address
// space spans both families, but the association table has no
// family-neutral ASM part; it is filed under IPv4ASM [INFERENCE].
func (w *seeder) accessScope() error {
	if err := w.insert(schema.AccessScopeTable,
		[]string{"AccessScopeId", "ParentAccessScopeId", "Label", "Description", "FullScopePath", "IsBuiltIn"},
		[]any{globalAccessScopeID, nil, "Global", "Global access scope to which all objects belong", `\Global`, true}); err != nil {
		return err
	}
	return w.insert(schema.AccessScopeAssociationTable,
		[]string{"AssociationId", "Family", "ObjectId", "ObjectType", "AccessScopeId", "InheritanceId", "IsInheriting"},
		[]any{1, "IPv4ASM", defaultAddressSpaceID, "AddressSpace", globalAccessScopeID, 1, false})
}

// fixSequences moves PostgreSQL's identity sequences past the ids the seed
// rows set explicitly, so the next store-assigned id does not collide.
// SQLite's AUTOINCREMENT already continues after the largest id.
func (w *seeder) fixSequences() error {
	if w.d != schema.PostgreSQL {
		return nil
	}
	for _, t := range schema.V2.Tables {
		for _, c := range t.Columns {
			if !c.AutoIncrement {
				continue
			}
			q := fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%s', '%s'), COALESCE((SELECT max(%s) FROM %s), 0) + 1, false)`,
				schema.Quote(t.Name), c.Name, schema.Quote(c.Name), schema.Quote(t.Name))
			if _, err := w.tx.ExecContext(w.ctx, q); err != nil {
				return fmt.Errorf("%s.%s: %w", t.Name, c.Name, err)
			}
		}
	}
	return nil
}
