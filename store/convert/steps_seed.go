package convert

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/ipamd/ipamd/store/schema"
)

func seedNewTables(ctx context.Context, c *conv, tx *sql.Tx) error {
	ins := func(query string, args ...any) error {
		_, err := c.exec(ctx, tx, query, args...)
		return err
	}
	// 2.1 The Default Provider Address Space, id 1; every v1 object is in it.
	as := schema.DefaultAddressSpace
	if err := ins(`INSERT INTO "ADM_AddressSpaceTable" ("Family", "RecordId", "AddressSpaceType", "IsDefault", "Name", "Description", "Owner")
		VALUES (?, ?, ?, ?, ?, ?, NULL)`, as.Family, as.RecordID, as.AddressSpaceType, as.IsDefault, as.Name, as.Description); err != nil {
		return err
	}
	// 2.2 The Global access scope.
	g := schema.GlobalAccessScope
	if err := ins(`INSERT INTO "ADM_AccessScopeTable" ("AccessScopeId", "ParentAccessScopeId", "Label", "Description", "FullScopePath", "IsBuiltIn")
		VALUES (?, NULL, ?, ?, ?, ?)`, g.ID, g.Label, g.Description, g.FullScopePath, g.IsBuiltIn); err != nil {
		return err
	}
	// 2.3 The read-only RBAC catalogue and the built-in roles.
	for _, g := range schema.OperationGroups {
		if err := ins(`INSERT INTO "ADM_AdminOperationGroupsTable" ("OperationGroupId", "OperationGroupName") VALUES (?, ?)`, g.ID, g.Name); err != nil {
			return err
		}
	}
	for _, h := range schema.OperationGroupHierarchy {
		for _, ch := range h.Children {
			if err := ins(`INSERT INTO "ADM_AdminOperationGroupHierarchyTable" ("ParentOperationGroupId", "ChildOperationGroupId") VALUES (?, ?)`,
				h.Parent, ch); err != nil {
				return err
			}
		}
	}
	for _, o := range schema.AdminOperations {
		req, err := json.Marshal(o.Requirements())
		if err != nil {
			return err
		}
		if err := ins(`INSERT INTO "ADM_AdminOperationsTable" ("OperationId", "OperationName", "OperationGroupId", "IsAdminRoleOnlyOperation",
			"IsNonRBACOperation", "IsAccessScopeAgnosticOperation", "NonRBACAdminAccessRequirement") VALUES (?, ?, ?, ?, ?, ?, ?)`,
			o.ID, o.Name, o.Group, o.AdminRoleOnly, o.NonRBAC, o.AccessScopeAgnostic, string(req)); err != nil {
			return err
		}
	}
	for i, r := range schema.BuiltinRoles {
		id := int64(i + 1)
		if err := ins(`INSERT INTO "ADM_RoleDefinitionTable" ("RoleId", "Name", "Description", "IsBuiltInRole") VALUES (?, ?, ?, ?)`,
			id, r.Name, r.Description(), true); err != nil {
			return err
		}
		for _, op := range r.Operations() {
			if err := ins(`INSERT INTO "ADM_RoleOperationMapTable" ("RoleDefinitionId", "OperationId") VALUES (?, ?)`, id, op); err != nil {
				return err
			}
		}
	}
	// 2.4 The database being converted.
	db := c.opts.Database
	if db == nil {
		db = &DatabaseConfiguration{DatabaseType: "WindowsInternalDatabase", DatabaseAuthenticationType: "WindowsAuthentication"}
		if c.d == schema.PostgreSQL {
			db = &DatabaseConfiguration{DatabaseType: "MSSQLServer", DatabaseAuthenticationType: "SQLAuthentication"}
		}
	}
	var cred any
	if db.CredentialUserName != "" {
		js, _ := json.Marshal(map[string]string{"UserName": db.CredentialUserName})
		cred = string(js)
	}
	if err := ins(`INSERT INTO "ADM_DatabaseConfigurationTable" ("SingletonId", "DatabaseType", "DatabaseAuthenticationType",
		"DatabaseCredential", "DatabaseServerNameOrIP", "DatabaseName", "DatabasePath", "DatabasePort") VALUES (1, ?, ?, ?, ?, ?, ?, ?)`,
		db.DatabaseType, db.DatabaseAuthenticationType, cred, nullIfEmpty(db.DatabaseServerNameOrIP), nullIfEmpty(db.DatabaseName),
		nullIfEmpty(db.DatabasePath), db.DatabasePort); err != nil {
		return err
	}
	// 2.5 The IPAM server's forest: named after the discovery domain
	// [INFERENCE]; v1 stored no forest.
	return ins(`INSERT INTO "ADM_IpamForestTable" ("RecordId", "Name", "RootDomainGuid")
		SELECT 1, COALESCE(MIN("DiscoveryDomain"), 'localdomain'), MIN("DomainGuid") FROM "ADM_DiscoveryConfigurationTable"`)
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
