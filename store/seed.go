package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/ipamd/ipamd/services/progress"
	"github.com/ipamd/ipamd/store/schema"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// Seed data: the rows provisioning creates (docs/data-model.md#seed-data). Values are the spec's English names; enumerations are
// stored as their XSD literal.

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
		progress.Step(ctx, "seed "+st.table)
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
	// Rows seeded, for ipamd_work_rows_total: written in the provisioning
	// transaction, which commits them all or none.
	progress.AddRows(w.ctx, int64(len(rows)))
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
	for _, kv := range schema.CommonPropertyDefaults {
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
// store (DoProvisioningWithEnumerator 3.3.4.37 applies them either way),
// and IpamConfiguredDate: adopting is provisioning a server that was not
// configured, and StartAsyncProvisioning's step 2.6 sets the date then —
// the date the store was first configured elsewhere is not this server's.
// UPDATE-then-INSERT, because a v1 store's table need not have a key on Name.
func setDeployment(ctx context.Context, tx *sql.Tx, d schema.Dialect, p ProvisionParams) error {
	props := [][2]string{
		{"ProvisioningMode", provisioningMode(p.ProvisioningMethod)},
		{"IpamConfiguredDate", p.Now.UTC().Format(time.RFC3339Nano)},
	}
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

// addressSpace creates the Default Provider Address Space
// (schema.DefaultAddressSpace).
func (w *seeder) addressSpace() error {
	as := schema.DefaultAddressSpace
	return w.insert(schema.AddressSpaceTable,
		[]string{"RecordId", "Family", "AddressSpaceType", "IsDefault", "Name", "Description"},
		[]any{as.RecordID, as.Family, as.AddressSpaceType, as.IsDefault, as.Name, as.Description})
}

func (w *seeder) customFields() error {
	var fields, values [][]any
	for _, f := range schema.BuiltinCustomFields {
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

func (w *seeder) logicalGroups() error {
	var rows [][]any
	for _, g := range schema.BuiltinLogicalGroups {
		var fields []schema.LogicalGroupField
		for i, lit := range g.Fields {
			f, ok := schema.BuiltinCustomFieldByLiteral(lit)
			if !ok {
				return fmt.Errorf("logical group %s: no built-in custom field %s", g.Name, lit)
			}
			fields = append(fields, schema.LogicalGroupField{RecordId: int64(i + 1), CustomFieldRecordId: int64(f.Number), CustomFieldName: f.Name})
		}
		b, err := json.Marshal(fields)
		if err != nil {
			return err
		}
		rows = append(rows, []any{string(b), g.Name, schema.LogicalGroupUsers, g.Literal, "Builtin"})
	}
	return w.insert(schema.LogicalGroupsTable, []string{"Fields", "Name", "Users", "BuiltinLogicalGroupNumber", "Origin"}, rows...)
}

func (w *seeder) tasks() error {
	rows := make([][]any, len(schema.TaskTypes))
	for i, t := range schema.TaskTypes {
		rows[i] = []any{t}
	}
	return w.insert(schema.Tasks, []string{"TaskType"}, rows...)
}

// operationCatalogue writes the read-only catalogue (3.1.1.1.35 – 37).
func (w *seeder) operationCatalogue() error {
	groups := make([][]any, len(schema.OperationGroups))
	for i, g := range schema.OperationGroups {
		groups[i] = []any{g.ID, g.Name}
	}
	if err := w.insert(schema.AdminOperationGroupsTable, []string{"OperationGroupId", "OperationGroupName"}, groups...); err != nil {
		return err
	}
	ops := make([][]any, len(schema.AdminOperations))
	for i, o := range schema.AdminOperations {
		req, err := json.Marshal(o.Requirements())
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
	for _, h := range schema.OperationGroupHierarchy {
		for _, child := range h.Children {
			hier = append(hier, []any{h.Parent, child})
		}
	}
	return w.insert(schema.AdminOperationGroupHierarchyTable, []string{"ParentOperationGroupId", "ChildOperationGroupId"}, hier...)
}

// roles writes the built-in roles and their operations (3.1.1.1.38, 39).
func (w *seeder) roles() error {
	var roles, grants [][]any
	for i, r := range schema.BuiltinRoles {
		id := i + 1
		roles = append(roles, []any{id, r.Name, r.Description(), true})
		for _, op := range r.Operations() {
			grants = append(grants, []any{id, op})
		}
	}
	if err := w.insert(schema.RoleDefinitionTable, []string{"RoleId", "Name", "Description", "IsBuiltInRole"}, roles...); err != nil {
		return err
	}
	return w.insert(schema.RoleOperationMapTable, []string{"RoleDefinitionId", "OperationId"}, grants...)
}

// accessScope writes the Global scope (schema.GlobalAccessScope) and the
// default address space's association with it (not inheriting, so
// InheritanceId is its own AssociationId).
func (w *seeder) accessScope() error {
	g, as := schema.GlobalAccessScope, schema.DefaultAddressSpace
	if err := w.insert(schema.AccessScopeTable,
		[]string{"AccessScopeId", "ParentAccessScopeId", "Label", "Description", "FullScopePath", "IsBuiltIn"},
		[]any{g.ID, nil, g.Label, g.Description, g.FullScopePath, g.IsBuiltIn}); err != nil {
		return err
	}
	return w.insert(schema.AccessScopeAssociationTable,
		[]string{"AssociationId", "Family", "ObjectId", "ObjectType", "AccessScopeId", "InheritanceId", "IsInheriting"},
		[]any{1, as.AssociationFamily, as.RecordID, as.ObjectType, g.ID, 1, false})
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
