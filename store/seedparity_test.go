package store

import (
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ipamd/ipamd/internal/v1gen"
	"github.com/ipamd/ipamd/store/convert"
	"github.com/ipamd/ipamd/store/schema"
	"github.com/ipamd/ipamd/store/storetest"
)

// seedQueries select a v2 store's seed rows in a form that does not depend
// on store-assigned ids that legitimately differ (a converted store numbers
// the custom fields, values and logical groups v2 added after its own
// rows), and leave out user data the legacy generator adds (Origin Custom).
var seedQueries = []struct{ name, query string }{
	{"operation groups", `SELECT "OperationGroupId", "OperationGroupName" FROM "ADM_AdminOperationGroupsTable"`},
	{"operations", `SELECT "OperationId", "OperationName", "OperationGroupId", "IsAdminRoleOnlyOperation", "IsNonRBACOperation",
		"IsAccessScopeAgnosticOperation", "NonRBACAdminAccessRequirement" FROM "ADM_AdminOperationsTable"`},
	{"group hierarchy", `SELECT "ParentOperationGroupId", "ChildOperationGroupId" FROM "ADM_AdminOperationGroupHierarchyTable"`},
	{"roles", `SELECT "RoleId", "Name", "Description", "IsBuiltInRole" FROM "ADM_RoleDefinitionTable" WHERE "IsBuiltInRole"`},
	{"role operations", `SELECT r."Name", m."OperationId" FROM "ADM_RoleOperationMapTable" m
		JOIN "ADM_RoleDefinitionTable" r ON r."RoleId" = m."RoleDefinitionId" WHERE r."IsBuiltInRole"`},
	{"access scopes", `SELECT "AccessScopeId", COALESCE("ParentAccessScopeId", -1), "Label", "Description", "FullScopePath", "IsBuiltIn"
		FROM "ADM_AccessScopeTable" WHERE "IsBuiltIn"`},
	{"default address space", `SELECT "RecordId", "Family", "AddressSpaceType", "IsDefault", "Name", "Description", COALESCE("Owner", '')
		FROM "ADM_AddressSpaceTable" WHERE "IsDefault"`},
	{"default address space association", `SELECT "Family", "ObjectType", "AccessScopeId", "IsInheriting"
		FROM "ADM_AccessScopeAssociationTable" WHERE "ObjectType" = 'AddressSpace' AND "ObjectId" = 1`},
	{"built-in custom fields", `SELECT "BuiltinCustomFieldNumber", "Name", "Origin", "Type" FROM "ADM_CustomFieldsTable" WHERE "Origin" = 'Builtin'`},
	{"built-in custom field values", `SELECT f."BuiltinCustomFieldNumber", v."Value", v."BuiltInCustomFieldValueId"
		FROM "ADM_CustomFieldValuesTable" v JOIN "ADM_CustomFieldsTable" f ON f."RecordId" = v."CustomFieldRecordId"
		WHERE f."Origin" = 'Builtin' AND v."BuiltInCustomFieldValueId" IS NOT NULL`},
	{"built-in logical groups", `SELECT "Name", "Users", "BuiltinLogicalGroupNumber", "Origin" FROM "ADM_LogicalGroupsTable" WHERE "Origin" = 'Builtin'`},
}

// seedRows reads every seedQueries result as sorted text rows. Logical
// groups' Fields are compared separately (they hold record ids).
func seedRows(t *testing.T, db *sql.DB) map[string][]string {
	t.Helper()
	ctx := testCtx(t)
	out := map[string][]string{}
	for _, q := range seedQueries {
		rows, err := db.QueryContext(ctx, q.query)
		if err != nil {
			t.Fatalf("%s: %v", q.name, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatalf("%s: %v", q.name, err)
			}
			parts := make([]string, len(vals))
			for i, v := range vals {
				switch v := v.(type) {
				case []byte:
					parts[i] = string(v)
				case bool: // PostgreSQL; SQLite returns 0 / 1
					parts[i] = map[bool]string{false: "0", true: "1"}[v]
				default:
					parts[i] = fmt.Sprint(v)
				}
			}
			out[q.name] = append(out[q.name], strings.Join(parts, " | "))
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("%s: %v", q.name, err)
		}
		rows.Close()
		slices.Sort(out[q.name])
	}
	return out
}

// logicalGroupFields maps each built-in logical group to its hierarchy's
// field names, resolved through the store's own custom field ids.
func logicalGroupFields(t *testing.T, db *sql.DB) map[string]string {
	t.Helper()
	rows, err := db.QueryContext(testCtx(t), `SELECT g."Name", f."Name" FROM "ADM_LogicalGroupsTable" g, "ADM_CustomFieldsTable" f
		WHERE g."Origin" = 'Builtin' AND g."Fields" LIKE '%"CustomFieldRecordId":' || CAST(f."RecordId" AS TEXT) || ',"CustomFieldName":"' || f."Name" || '"%'
		ORDER BY g."Name", f."Name"`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var g, f string
		if err := rows.Scan(&g, &f); err != nil {
			t.Fatal(err)
		}
		out[g] += f + ";"
	}
	return out
}

// TestConvertedSeedMatchesProvisioned: a converted v1 store and a freshly
// provisioned store hold the same seed rows, on both engines.
func TestConvertedSeedMatchesProvisioned(t *testing.T) {
	forEngines(t, func(t *testing.T, e storetest.Engine) {
		ctx := testCtx(t)
		fresh := openStore(t, newConfig(t, e), Options{})
		if _, err := fresh.Provision(ctx, ProvisionParams{CreateNewSchema: true}); err != nil {
			t.Fatalf("Provision: %v", err)
		}

		var driver, dsn string
		if e.Dialect == schema.PostgreSQL {
			driver, dsn = "pgx", storetest.NewPostgresDB(t).DSN()
		} else {
			driver, dsn = "sqlite", schema.SQLiteDSN(storetest.NewSQLitePath(t))
		}
		db, err := sql.Open(driver, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		if _, err := v1gen.Generate(ctx, db, e.Dialect, v1gen.Options{Addresses: 200, Seed: 7}); err != nil {
			t.Fatalf("generate: %v", err)
		}
		if err := convert.Run(ctx, db, e.Dialect, convert.Options{}); err != nil {
			t.Fatalf("convert: %v", err)
		}

		want, got := seedRows(t, fresh.db), seedRows(t, db)
		for _, q := range seedQueries {
			if len(want[q.name]) == 0 {
				t.Errorf("%s: the provisioned store has none", q.name)
			}
			if !slices.Equal(got[q.name], want[q.name]) {
				t.Errorf("%s differ:\n%s", q.name, diffRows(want[q.name], got[q.name]))
			}
		}
		wf, gf := logicalGroupFields(t, fresh.db), logicalGroupFields(t, db)
		if len(wf) != len(schema.BuiltinLogicalGroups) || fmt.Sprint(wf) != fmt.Sprint(gf) {
			t.Errorf("logical group fields: provisioned %v, converted %v", wf, gf)
		}
	})
}

// diffRows lists the rows only one side has (at most 10 each).
func diffRows(want, got []string) string {
	var b strings.Builder
	only := func(label string, a, other []string) {
		n := 0
		for _, r := range a {
			if _, found := slices.BinarySearch(other, r); !found && n < 10 {
				fmt.Fprintf(&b, "  %s: %s\n", label, r)
				n++
			}
		}
	}
	only("only provisioned", want, got)
	only("only converted", got, want)
	return b.String()
}
