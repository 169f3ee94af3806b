package convert

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/ipamd/ipamd/store/schema"
)

// steps are docs/data-model.md#conversion-steps' steps 0–13 in order. Where the order differs
// from the text it is because a step needs another's columns: the upgrade
// rule fixes for addresses (0.2) run in step 4's address batches, after
// step 3 added the columns those batches also fill.
var steps = []step{
	{name: "0 validate: Managed by / Managed by entity of ranges", tx: validateRanges},
	{name: "1 create independent tables", tx: createTables(schema.IpamForestTable, schema.AddressSpaceTable, schema.AccessScopeTable,
		schema.AdminOperationGroupsTable, schema.AdminOperationsTable, schema.AdminOperationGroupHierarchyTable,
		schema.RoleDefinitionTable, schema.RoleOperationMapTable, schema.UserAccessPolicyTable, schema.PolicyMapTable,
		schema.DatabaseConfigurationTable)},
	{name: "2 seed address space, access scope, RBAC catalogue, database, forest", tx: seedNewTables},
	{name: "3 add columns", tx: addColumns},
	{name: "4 backfill ranges, blocks, utilization, discovery", tx: backfillSmall},
	{name: "4 backfill addresses", table: schema.IPAddressTable, start: startAddresses},
	{name: "5 create subnets and re-parent ranges", table: schema.IPRangeTable, prepare: createTables(schema.SubnetTable),
		start: startSubnets},
	{name: "5 count child blocks", tx: countChildBlocks},
	{name: "6 multivalued range and block properties", tx: multivalued},
	{name: "7 DHCP tables", tx: createTables(schema.DhcpSuperscopeTable, schema.DhcpPolicyTable, schema.DhcpPolicyConditionTable,
		schema.DhcpPolicySubrangeTable, schema.DhcpFailoverRelationTable, schema.DhcpScopeFailoverTable, schema.DhcpFilterTable)},
	{name: "8 DNS tables", tx: createTables(schema.DNSResourceRecordTable, schema.DNSConditionalForwarderTable)},
	{name: "9 custom fields and logical groups", tx: customFields},
	{name: "10 access scope associations", tx: accessScopes},
	{name: "11 common properties and tasks", tx: settings},
	{name: "12 tighten constraints", own: tighten},
	{name: "13 finish", own: finish},
}

var q = schema.Quote

// createTables creates V2 tables with their indexes.
func createTables(names ...string) func(ctx context.Context, c *conv, tx *sql.Tx) error {
	return func(ctx context.Context, c *conv, tx *sql.Tx) error {
		for _, n := range names {
			t := schema.V2.Table(n)
			if t == nil {
				return fmt.Errorf("no v2 table %s", n)
			}
			for _, s := range createStatements(c.d, t, t.Name) {
				if _, err := c.exec(ctx, tx, s); err != nil {
					return err
				}
			}
		}
		return nil
	}
}

func (c *conv) boolLit(b bool) string {
	switch {
	case c.d == schema.PostgreSQL && b:
		return "TRUE"
	case c.d == schema.PostgreSQL:
		return "FALSE"
	case b:
		return "1"
	}
	return "0"
}

// scanRows runs query and calls f for each row.
func (c *conv) scanRows(ctx context.Context, q querier, query string, args []any, f func(*sql.Rows) error) error {
	rows, err := q.QueryContext(ctx, rebind(c.d, query), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := f(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// insertRows runs head + one tuple per row (joined by commas) + tail, a
// few hundred rows to a statement (well under both engines' limits on
// bound parameters).
func (c *conv) insertRows(ctx context.Context, tx *sql.Tx, head, tuple, tail string, rows [][]any) error {
	for chunk := range slices.Chunk(rows, 500) {
		tuples := make([]string, len(chunk))
		var args []any
		for i, r := range chunk {
			tuples[i] = tuple
			args = append(args, r...)
		}
		if _, err := c.exec(ctx, tx, head+strings.Join(tuples, ", ")+tail, args...); err != nil {
			return err
		}
	}
	return nil
}
