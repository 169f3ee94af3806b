package convert

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ipamd/ipamd/store/schema"
)

// multivalued is step 6: the side tables, and each v1 default gateway as a
// Gateway Address (PropertyId 3) value, its text as UTF-8 bytes.
func multivalued(ctx context.Context, c *conv, tx *sql.Tx) error {
	if err := createTables(schema.IPRangeMultivaluedPropertiesTable, schema.IPBlockMultivaluedPropertiesTable)(ctx, c, tx); err != nil {
		return err
	}
	bytes := `CAST("DefaultGateway" AS BLOB)`
	if c.d == schema.PostgreSQL {
		bytes = `convert_to("DefaultGateway", 'UTF8')`
	}
	_, err := c.exec(ctx, tx, `INSERT INTO "ADM_IPRangeMultivaluedPropertiesTable" ("Family", "RecordId", "RangeId", "PropertyId", "PropertyValue")
		SELECT "Family", ROW_NUMBER() OVER (ORDER BY "RecordId"), "RecordId", 3, `+bytes+`
		FROM "ADM_IPRangeTable" WHERE "DefaultGateway" IS NOT NULL AND "DefaultGateway" <> ''`)
	return err
}

// customFields is step 9: the built-in custom fields, values and logical
// groups v2 added (schema.BuiltinCustomFields / BuiltinLogicalGroups with
// AddedInV2), numbered after the store's own rows.
func customFields(ctx context.Context, c *conv, tx *sql.Tx) error {
	// 9.1 A user field with a name v2 gives a built-in one moves aside,
	// and v1's Region becomes RegionLegacy.
	var names []any
	var marks []string
	for _, f := range schema.BuiltinCustomFields {
		if f.AddedInV2 {
			names = append(names, f.Name)
			marks = append(marks, "?")
		}
	}
	if _, err := c.exec(ctx, tx, `UPDATE "ADM_CustomFieldsTable" SET "Name" = "Name" || ' (custom)'
		WHERE "Origin" <> 'Builtin' AND "Name" IN (`+strings.Join(marks, ", ")+`)`, names...); err != nil {
		return err
	}
	legacy, ok := schema.BuiltinCustomFieldByLiteral(schema.FieldRegionLegacy)
	if !ok {
		return fmt.Errorf("no built-in field %s", schema.FieldRegionLegacy)
	}
	if _, err := c.exec(ctx, tx, `UPDATE "ADM_CustomFieldsTable" SET "Name" = ?, "BuiltinCustomFieldNumber" = ?
		WHERE "BuiltinCustomFieldNumber" = ? AND "Origin" = 'Builtin'`, legacy.Name, legacy.Literal, schema.FieldRegion); err != nil {
		return err
	}
	// 9.2 The new fields and their values.
	for _, f := range schema.BuiltinCustomFields {
		if !f.AddedInV2 {
			continue
		}
		var id int64
		if err := c.queryRow(ctx, tx, `SELECT COALESCE(MAX("RecordId"), 0) + 1 FROM "ADM_CustomFieldsTable"`, nil, &id); err != nil {
			return err
		}
		if _, err := c.exec(ctx, tx, `INSERT INTO "ADM_CustomFieldsTable" ("RecordId", "BuiltinCustomFieldNumber", "Name", "Origin", "Type")
			VALUES (?, ?, ?, 'Builtin', 'Multivalued')`, id, f.Literal, f.Name); err != nil {
			return err
		}
		for i, v := range f.Values {
			if _, err := c.exec(ctx, tx, `INSERT INTO "ADM_CustomFieldValuesTable" ("RecordId", "CustomFieldRecordId", "Value", "BuiltInCustomFieldValueId")
				SELECT COALESCE(MAX("RecordId"), 0) + 1, ?, ?, ? FROM "ADM_CustomFieldValuesTable"`, id, v, i+1); err != nil {
				return err
			}
		}
	}
	// 9.3 The new logical groups (VirtualizedProviderAddressSpace).
	for _, g := range schema.BuiltinLogicalGroups {
		if !g.AddedInV2 {
			continue
		}
		var fields []schema.LogicalGroupField
		for i, lit := range g.Fields {
			f := schema.LogicalGroupField{RecordId: int64(i + 1)}
			if err := c.queryRow(ctx, tx, `SELECT "RecordId", "Name" FROM "ADM_CustomFieldsTable" WHERE "BuiltinCustomFieldNumber" = ? AND "Origin" = 'Builtin'`,
				[]any{lit}, &f.CustomFieldRecordId, &f.CustomFieldName); err != nil {
				return fmt.Errorf("logical group %s: built-in field %s: %w", g.Name, lit, err)
			}
			fields = append(fields, f)
		}
		js, err := json.Marshal(fields)
		if err != nil {
			return err
		}
		if _, err := c.exec(ctx, tx, `INSERT INTO "ADM_LogicalGroupsTable" ("RecordId", "Fields", "Name", "Users", "BuiltinLogicalGroupNumber", "Origin")
			SELECT COALESCE(MAX("RecordId"), 0) + 1, ?, ?, ?, ?, 'Builtin' FROM "ADM_LogicalGroupsTable"`,
			string(js), g.Name, schema.LogicalGroupUsers, g.Literal); err != nil {
			return err
		}
	}
	// 9.4
	return createTables(schema.MultiValueCustomFieldValueAssociationTable)(ctx, c, tx)
}

// accessScopes is step 10: one association per ASM / MSM object, parents
// before children (CreateAssociationEntry 3.1.1.1.43.2.3). A root object
// (the address space, DHCP servers, DNS zones) is in the Global scope and
// inherits nothing (InheritanceId = its own AssociationId); every other
// object inherits its parent's scope, and its InheritanceId is the
// association the scope comes from [INFERENCE].
func accessScopes(ctx context.Context, c *conv, tx *sql.Tx) error {
	if err := createTables(schema.AccessScopeAssociationTable)(ctx, c, tx); err != nil {
		return err
	}
	f, t := c.boolLit(false), c.boolLit(true)
	next := `(SELECT COALESCE(MAX("AssociationId"), 0) FROM "ADM_AccessScopeAssociationTable") + ROW_NUMBER() OVER (ORDER BY o."RecordId")`
	root := func(family, objectType, from string) string {
		return `INSERT INTO "ADM_AccessScopeAssociationTable" ("Family", "AssociationId", "ObjectId", "ObjectType", "AccessScopeId", "InheritanceId", "IsInheriting")
			SELECT ` + family + `, ` + next + `, o."RecordId", ` + objectType + `, 1, ` + next + `, ` + f + ` FROM ` + from
	}
	famCase := func(kind, col string) string {
		return `CASE ` + col + ` WHEN 'IPv6' THEN '` + objectTypes[kind]["IPv6"] + `' ELSE '` + objectTypes[kind]["IPv4"] + `' END`
	}
	asm := `CASE o."Family" WHEN 'IPv6' THEN 'IPv6ASM' ELSE 'IPv4ASM' END`
	// inherit inserts objects whose parent (parentCol, of parentType) has
	// an association and who have none yet.
	inherit := func(from, objectType, parentCol, parentType, family string) string {
		return `INSERT INTO "ADM_AccessScopeAssociationTable" ("Family", "AssociationId", "ObjectId", "ObjectType", "AccessScopeId", "InheritanceId", "IsInheriting")
			SELECT ` + family + `, ` + next + `, o."RecordId", ` + objectType + `, p."AccessScopeId", p."InheritanceId", ` + t + `
			FROM ` + from + ` JOIN "ADM_AccessScopeAssociationTable" p ON p."ObjectId" = ` + parentCol + ` AND p."ObjectType" = ` + parentType + `
			WHERE NOT EXISTS (SELECT 1 FROM "ADM_AccessScopeAssociationTable" x WHERE x."ObjectId" = o."RecordId" AND x."ObjectType" = ` + objectType + `)`
	}
	blockType := `CASE WHEN o."IsSubnet" = ` + t + ` THEN ` + famCase("subnet", `o."Family"`) + ` ELSE ` + famCase("block", `o."Family"`) + ` END`
	stmts := []string{
		// The default address space (the only one a converted store has).
		root(`'IPv4ASM'`, `'AddressSpace'`, `"ADM_AddressSpaceTable" o`),
		// Top-level blocks and subnets inherit from the address space.
		inherit(`"ADM_IPBlocksTable" o`, blockType, `o."AddressSpaceRecordId"`, `'AddressSpace'`, asm) + ` AND o."ParentBlockRecordId" IS NULL`,
	}
	for _, s := range stmts {
		if _, err := c.exec(ctx, tx, s); err != nil {
			return err
		}
	}
	// Blocks and subnets below them, one level a round.
	parentType := `CASE p2."Family" WHEN 'IPv6' THEN '` + objectTypes["block"]["IPv6"] + `' ELSE '` + objectTypes["block"]["IPv4"] + `' END`
	for {
		res, err := c.exec(ctx, tx, `INSERT INTO "ADM_AccessScopeAssociationTable" ("Family", "AssociationId", "ObjectId", "ObjectType", "AccessScopeId", "InheritanceId", "IsInheriting")
			SELECT `+asm+`, `+next+`, o."RecordId", `+blockType+`, p."AccessScopeId", p."InheritanceId", `+t+`
			FROM "ADM_IPBlocksTable" o JOIN "ADM_IPBlocksTable" p2 ON p2."RecordId" = o."ParentBlockRecordId"
			JOIN "ADM_AccessScopeAssociationTable" p ON p."ObjectId" = p2."RecordId" AND p."ObjectType" = `+parentType+`
			WHERE NOT EXISTS (SELECT 1 FROM "ADM_AccessScopeAssociationTable" x WHERE x."ObjectId" = o."RecordId" AND x."ObjectType" = `+blockType+`)`)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			break
		}
	}
	for _, s := range []string{
		// Ranges inherit from their subnet.
		inherit(`"ADM_IPRangeTable" o`, famCase("range", `o."Family"`), `o."ParentIPBlockRecordId"`, famCase("subnet", `o."Family"`), asm),
		// DHCP servers are roots; scopes inherit from their server.
		root(`'MSM'`, famCase("dhcpServer", `o."Family"`), `"ADM_DHCPServersTable" o`),
		inherit(`"ADM_DHCPScopesTable" o`, famCase("dhcpScope", `o."Family"`), `o."DHCPServerRecordId"`, famCase("dhcpServer", `o."Family"`), `'MSM'`),
		// DNS zones are roots.
		root(`'MSM'`, `'DNSForwardLookupZone'`, `"ADM_DNSForwardLookupTable" o`),
		root(`'MSM'`, `'DNSReverseLookupZone'`, `"ADM_DNSReverseLookupTable" o`),
	} {
		if _, err := c.exec(ctx, tx, s); err != nil {
			return err
		}
	}
	// Every ASM / MSM object must have its row.
	var missing int64
	if err := c.queryRow(ctx, tx, `SELECT
		(SELECT COUNT(*) FROM "ADM_IPBlocksTable") + (SELECT COUNT(*) FROM "ADM_IPRangeTable") + (SELECT COUNT(*) FROM "ADM_DHCPServersTable")
		+ (SELECT COUNT(*) FROM "ADM_DHCPScopesTable") + (SELECT COUNT(*) FROM "ADM_DNSForwardLookupTable")
		+ (SELECT COUNT(*) FROM "ADM_DNSReverseLookupTable") + (SELECT COUNT(*) FROM "ADM_AddressSpaceTable")
		- (SELECT COUNT(*) FROM "ADM_AccessScopeAssociationTable")`, nil, &missing); err != nil {
		return err
	}
	if missing != 0 {
		return fmt.Errorf("%d objects are left without an access scope association (a parent without one?)", missing)
	}
	return nil
}

// settings is step 11: the common properties and tasks v2 has that the
// store lacks (IPAuditTrackingFeature, the DnsConfiguration task).
func settings(ctx context.Context, c *conv, tx *sql.Tx) error {
	for _, kv := range schema.CommonPropertyDefaults {
		if _, err := c.exec(ctx, tx, `INSERT INTO "ADM_CommonProperties" ("Name", "Value") SELECT ?, ?
			WHERE NOT EXISTS (SELECT 1 FROM "ADM_CommonProperties" WHERE "Name" = ?)`, kv[0], kv[1], kv[0]); err != nil {
			return err
		}
	}
	for _, tt := range schema.TaskTypes {
		if _, err := c.exec(ctx, tx, `INSERT INTO "ADM_Tasks" ("TaskType", "RecurrenceDuration", "State", "Status")
			SELECT ?, 'PT6H', 'Ready', NULL WHERE NOT EXISTS (SELECT 1 FROM "ADM_Tasks" WHERE "TaskType" = ?)`, tt, tt); err != nil {
			return err
		}
	}
	return nil
}
