package convert

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/netip"
	"reflect"
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

// afExpr is a compound IP table's Family as an AddressFamily literal.
const afExpr = `CASE "Family" WHEN 'IPv6' THEN 'InterNetworkV6' ELSE 'InterNetwork' END`

// fixManagedBy applies the ObjectsWithoutMBandSI / ObjectsWithMultipleMBandSI
// default fixes (docs/data-model.md#conversion-steps, step 0; ipamd's choice) to the objectType objects
// of table with lo < RecordId <= hi: an object without a value of field
// gets value def; of several values the oldest (lowest RecordId) stays.
func (c *conv) fixManagedBy(ctx context.Context, tx *sql.Tx, objectType, table string, field, def, lo, hi int64) error {
	_, err := c.exec(ctx, tx, `INSERT INTO "ADM_CustomFieldValuesAssociationTable"
		("RecordId", "ObjectType", "Af", "UsedById", "CustomFieldId", "CustomFieldValueId")
		SELECT (SELECT COALESCE(MAX("RecordId"), 0) FROM "ADM_CustomFieldValuesAssociationTable") + ROW_NUMBER() OVER (ORDER BY o."RecordId"),
			?, `+strings.ReplaceAll(afExpr, `"Family"`, `o."Family"`)+`, o."RecordId", ?, ?
		FROM `+q(table)+` o
		WHERE o."RecordId" > ? AND o."RecordId" <= ? AND NOT EXISTS (SELECT 1 FROM "ADM_CustomFieldValuesAssociationTable" x
			WHERE x."ObjectType" = ? AND x."UsedById" = o."RecordId" AND x."CustomFieldId" = ?
			AND x."UsedById" > ? AND x."UsedById" <= ?)`, // lets a hash anti-join read only the batch's rows
		objectType, field, def, lo, hi, objectType, field, lo, hi)
	if err != nil {
		return err
	}
	_, err = c.exec(ctx, tx, `DELETE FROM "ADM_CustomFieldValuesAssociationTable"
		WHERE "ObjectType" = ? AND "CustomFieldId" = ? AND "UsedById" > ? AND "UsedById" <= ?
		AND "RecordId" > (SELECT MIN(x."RecordId") FROM "ADM_CustomFieldValuesAssociationTable" x
			WHERE x."ObjectType" = ? AND x."CustomFieldId" = ? AND x."UsedById" = "ADM_CustomFieldValuesAssociationTable"."UsedById")`,
		objectType, field, lo, hi, objectType, field)
	return err
}

const maxID = int64(1) << 62

func validateRanges(ctx context.Context, c *conv, tx *sql.Tx) error {
	if err := c.fixManagedBy(ctx, tx, "IPRange", schema.IPRangeTable, c.managedBy, c.ipam, 0, maxID); err != nil {
		return err
	}
	return c.fixManagedBy(ctx, tx, "IPRange", schema.IPRangeTable, c.managedByEntity, c.localhost, 0, maxID)
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

// colDef renders an ADD COLUMN definition of t2's column col: type and
// default, never NOT NULL (step 12 tightens). On SQLite a column that is a
// one-column foreign key in v2 gets its REFERENCES clause here (allowed
// with a non-NULL default because enforcement is off on the conversion's
// connection), so a table whose only constraint change is that key needs
// no rebuild in step 12.
func (c *conv) colDef(t2 *schema.Table, col schema.Column) string {
	s := q(col.Name) + " " + c.d.SQLType(col.Type)
	if col.Default != "" {
		def := col.Default
		if col.Type == schema.Bool && c.d == schema.PostgreSQL {
			def = map[string]string{"0": "FALSE", "1": "TRUE"}[def]
		}
		s += " DEFAULT " + def
	}
	if c.d == schema.SQLite {
		for _, fk := range t2.ForeignKeys {
			if len(fk.Columns) != 1 || fk.Columns[0] != col.Name {
				continue
			}
			s += " REFERENCES " + q(fk.RefTable) + " (" + q(fk.RefColumns[0]) + ")"
			if fk.OnDelete != "" {
				s += " ON DELETE " + string(fk.OnDelete)
			}
			if fk.OnUpdate != "" {
				s += " ON UPDATE " + string(fk.OnUpdate)
			}
		}
	}
	return s
}

// addColumns is step 3: every column v2 has and v1 lacks, nullable. A v2
// default (AddressSpaceRecordId 1, IsSubnet 0, an address's
// VirtualizationType NonVirtualized and IsCreatedFromDNS false) fills the
// existing rows at once on both engines without writing them: SQLite reads
// a column a row lacks through its default, PostgreSQL (11 and later) keeps
// a constant default as the value of the rows that existed when it was
// added. The addresses' new columns are thereby converted here, in one
// transaction, without a pass over the table.
func addColumns(ctx context.Context, c *conv, tx *sql.Tx) error {
	for _, t1 := range schema.V1.Tables {
		t2 := schema.V2.Table(t1.Name)
		for _, col := range t2.Columns {
			if t1.Column(col.Name) != nil {
				continue
			}
			if _, err := c.exec(ctx, tx, "ALTER TABLE "+q(t1.Name)+" ADD COLUMN "+c.colDef(t2, col)); err != nil {
				return err
			}
		}
	}
	return nil
}

// backfillSmall is step 4 for the tables that are small next to addresses.
func backfillSmall(ctx context.Context, c *conv, tx *sql.Tx) error {
	f, t := c.boolLit(false), c.boolLit(true)
	for _, s := range []string{
		// Ranges: AddressSpaceRecordId came with its default.
		`UPDATE "ADM_IPRangeTable" SET "VirtualizationType" = 'NonVirtualized', "IsUnmappedFromReverseZone" = ` + f + `,
			"UseForUtilization" = CASE WHEN "IsOverlapping" = ` + t + ` THEN ` + f + ` ELSE ` + t + ` END`,
		// v1 blocks are blocks (IsSubnet came with its default 0).
		`UPDATE "ADM_IPBlocksTable" SET "AddressSpaceRecordId" = 1`,
		`UPDATE "ADM_IPv4AddressRangeUtilizationTable" SET "AddressSpaceRecordId" = 1`,
		`UPDATE "ADM_IPv4AddressBlockUtilizationTable" SET "AddressSpaceRecordId" = 1, "IsSubnet" = ` + f,
		`UPDATE "ADM_DiscoveryConfigurationTable" SET "ForestId" = 1`,
		`UPDATE "ADM_ServersTable" SET "ForestName" = (SELECT "Name" FROM "ADM_IpamForestTable" WHERE "RecordId" = 1)`,
		`UPDATE "ADM_ConfigurationAuditTable" SET "ForestName" = (SELECT "Name" FROM "ADM_IpamForestTable" WHERE "RecordId" = 1)`,
	} {
		if _, err := c.exec(ctx, tx, s); err != nil {
			return err
		}
	}
	return nil
}

// startAddresses is step 4 for addresses: the upgrade-rule fixes of step
// 0.2 for them (their new columns were filled by step 3's defaults, see
// addColumns). A batch fixes its addresses' Managed by / Managed by entity
// values. Finding the addresses to fix is the costlier half of a batch: a
// detector does it ahead of the batches on a second connection where it
// can have one (startDetector).
func startAddresses(ctx context.Context, c *conv, from, to int64) (batchFunc, func(), error) {
	find := func(ctx context.Context, tx *sql.Tx, lo, hi int64) ([]misfit, error) {
		return c.findMisfits(ctx, tx, lo, hi)
	}
	stop := func() {}
	if det := c.startDetector(ctx, from, to); det != nil {
		find, stop = det.take, det.stop
	}
	return func(ctx context.Context, tx *sql.Tx, lo, hi int64) (int64, error) {
		m, err := find(ctx, tx, lo, hi)
		if err != nil {
			return 0, fmt.Errorf("find addresses to fix: %w", err)
		}
		if err := c.fixMisfits(ctx, tx, m); err != nil {
			return 0, err
		}
		var n int64
		err = c.queryRow(ctx, tx, `SELECT COUNT(*) FROM "ADM_IPAddressTable" WHERE "RecordId" > ? AND "RecordId" <= ?`, []any{lo, hi}, &n)
		return n, err
	}, stop, nil
}

// misfit is an address breaking the upgrade rule ObjectsWithoutMBandSI /
// ObjectsWithMultipleMBandSI: how many Managed by and Managed by entity
// values it has, and its AddressFamily.
type misfit struct {
	id, mb, mbe int64
	af          string
}

// findMisfits finds the addresses with lo < RecordId <= hi that break the
// rule, in RecordId order, on q (the batch's transaction or the detector's
// connection): two passes over the range's rows (its associations grouped
// by address, in the order of their (ObjectType, UsedById) index; the set
// difference of its addresses and associated ids) and a look-up of the
// few found. (One query joining the grouped associations to the addresses
// costs SQLite twice as much: it materialises and indexes every group; a
// NOT EXISTS probe per address costs three times the EXCEPT.)
func (c *conv) findMisfits(ctx context.Context, q querier, lo, hi int64) ([]misfit, error) {
	type counts struct{ mb, mbe int64 }
	found := map[int64]counts{}
	var ids []int64
	err := c.scanRows(ctx, q, `SELECT "UsedById", SUM(CASE WHEN "CustomFieldId" = ? THEN 1 ELSE 0 END) AS mb,
			SUM(CASE WHEN "CustomFieldId" = ? THEN 1 ELSE 0 END) AS mbe
		FROM "ADM_CustomFieldValuesAssociationTable"
		WHERE "ObjectType" = 'IPAddress' AND "UsedById" > ? AND "UsedById" <= ?
		GROUP BY "UsedById" HAVING SUM(CASE WHEN "CustomFieldId" = ? THEN 1 ELSE 0 END) <> 1
			OR SUM(CASE WHEN "CustomFieldId" = ? THEN 1 ELSE 0 END) <> 1`,
		[]any{c.managedBy, c.managedByEntity, lo, hi, c.managedBy, c.managedByEntity}, func(r *sql.Rows) error {
			var id int64
			var n counts
			if err := r.Scan(&id, &n.mb, &n.mbe); err != nil {
				return err
			}
			found[id] = n
			ids = append(ids, id)
			return nil
		})
	if err != nil {
		return nil, err
	}
	// The addresses without any association.
	err = c.scanRows(ctx, q, `SELECT "RecordId" FROM "ADM_IPAddressTable" WHERE "RecordId" > ? AND "RecordId" <= ?
		EXCEPT SELECT "UsedById" FROM "ADM_CustomFieldValuesAssociationTable" WHERE "ObjectType" = 'IPAddress' AND "UsedById" > ? AND "UsedById" <= ?`,
		[]any{lo, hi, lo, hi}, func(r *sql.Rows) error {
			var id int64
			if err := r.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
			return nil
		})
	if err != nil {
		return nil, err
	}
	// Which of these are addresses (an association of a deleted address is
	// no object's), and their families.
	family := map[int64]string{}
	for chunk := range slices.Chunk(ids, 500) {
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		err := c.scanRows(ctx, q, `SELECT "RecordId", `+afExpr+` FROM "ADM_IPAddressTable" WHERE "RecordId" IN (?`+strings.Repeat(", ?", len(chunk)-1)+`)`,
			args, func(r *sql.Rows) error {
				var id int64
				var af string
				if err := r.Scan(&id, &af); err != nil {
					return err
				}
				family[id] = af
				return nil
			})
		if err != nil {
			return nil, err
		}
	}
	slices.Sort(ids)
	var out []misfit
	for _, id := range ids {
		if af, ok := family[id]; ok {
			n := found[id]
			out = append(out, misfit{id, n.mb, n.mbe, af})
		}
	}
	return out, nil
}

// fixMisfits writes the fixes for m (in RecordId order): a missing value
// gets a record id after the table's highest, in (address, Managed by
// before Managed by entity) order; of several values the oldest (lowest
// RecordId) stays.
func (c *conv) fixMisfits(ctx context.Context, tx *sql.Tx, m []misfit) error {
	type add struct {
		id         int64
		af         string
		field, val int64
	}
	var adds []add
	dups := map[int64][]any{} // field → addresses with several values
	for _, a := range m {
		for _, f := range []struct{ n, field, def int64 }{{a.mb, c.managedBy, c.ipam}, {a.mbe, c.managedByEntity, c.localhost}} {
			switch {
			case f.n == 0:
				adds = append(adds, add{a.id, a.af, f.field, f.def})
			case f.n > 1:
				dups[f.field] = append(dups[f.field], a.id)
			}
		}
	}
	if len(adds) > 0 {
		var next int64
		if err := c.queryRow(ctx, tx, `SELECT COALESCE(MAX("RecordId"), 0) FROM "ADM_CustomFieldValuesAssociationTable"`, nil, &next); err != nil {
			return err
		}
		rows := make([][]any, len(adds))
		for i, a := range adds {
			rows[i] = []any{next + int64(i) + 1, a.af, a.id, a.field, a.val}
		}
		if err := c.insertRows(ctx, tx, `INSERT INTO "ADM_CustomFieldValuesAssociationTable"
			("RecordId", "ObjectType", "Af", "UsedById", "CustomFieldId", "CustomFieldValueId") VALUES `,
			"(?, 'IPAddress', ?, ?, ?, ?)", "", rows); err != nil {
			return err
		}
	}
	for _, field := range []int64{c.managedBy, c.managedByEntity} {
		for chunk := range slices.Chunk(dups[field], 500) {
			args := append([]any{field}, chunk...)
			args = append(args, field)
			if _, err := c.exec(ctx, tx, `DELETE FROM "ADM_CustomFieldValuesAssociationTable"
				WHERE "ObjectType" = 'IPAddress' AND "CustomFieldId" = ? AND "UsedById" IN (?`+strings.Repeat(", ?", len(chunk)-1)+`)
				AND "RecordId" > (SELECT MIN(x."RecordId") FROM "ADM_CustomFieldValuesAssociationTable" x
					WHERE x."ObjectType" = 'IPAddress' AND x."CustomFieldId" = ? AND x."UsedById" = "ADM_CustomFieldValuesAssociationTable"."UsedById")`,
				args...); err != nil {
				return err
			}
		}
	}
	return nil
}

// blockRow is a block or subnet as step 5 needs it.
type blockRow struct {
	id     int64
	family string
	prefix netip.Prefix
}

// startSubnets loads the v1 blocks and the subnets made so far, then
// returns the batch that gives each range its subnet (step 5 of
// docs/data-model.md#conversion-steps): the IsSubnet row with the range's network and prefix in address space
// 1, created when missing with the most specific v1 block as parent.
func startSubnets(ctx context.Context, c *conv, _, _ int64) (batchFunc, func(), error) {
	rows, err := c.conn.QueryContext(ctx, `SELECT "RecordId", "Family", "NetworkId", "PrefixLength", "IsSubnet" FROM "ADM_IPBlocksTable" ORDER BY "RecordId"`)
	if err != nil {
		return nil, nil, err
	}
	var blocks []blockRow
	subnets := map[string]int64{}
	var nextID int64
	for rows.Next() {
		var (
			b       blockRow
			network sql.NullString
			bits    sql.NullInt64
			isSub   bool
		)
		if err := rows.Scan(&b.id, &b.family, &network, &bits, &isSub); err != nil {
			rows.Close()
			return nil, nil, err
		}
		nextID = max(nextID, b.id)
		a, err := netip.ParseAddr(network.String)
		if err != nil || !bits.Valid {
			continue // a block without a network cannot contain a subnet
		}
		b.prefix = netip.PrefixFrom(a, int(bits.Int64)).Masked()
		if isSub {
			subnets[b.family+" "+b.prefix.String()] = b.id
		} else {
			blocks = append(blocks, b)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	f, t := c.boolLit(false), c.boolLit(true)
	return func(ctx context.Context, tx *sql.Tx, lo, hi int64) (int64, error) {
		type rng struct {
			id                                            int64
			family                                        string
			subnetID, mask, start, category, owner, descr sql.NullString
			bits                                          sql.NullInt64
		}
		rows, err := tx.QueryContext(ctx, rebind(c.d, `SELECT "RecordId", "Family", "SubnetId", "SubnetMask", "PrefixLength", "StartIPAddress",
			"AddressCategory", "Owner", "Description" FROM "ADM_IPRangeTable" WHERE "RecordId" > ? AND "RecordId" <= ? ORDER BY "RecordId"`), lo, hi)
		if err != nil {
			return 0, err
		}
		var rs []rng
		for rows.Next() {
			var r rng
			if err := rows.Scan(&r.id, &r.family, &r.subnetID, &r.mask, &r.bits, &r.start, &r.category, &r.owner, &r.descr); err != nil {
				rows.Close()
				return 0, err
			}
			rs = append(rs, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, err
		}
		// Subnets this batch creates are remembered only when it commits.
		// The rows are written a few hundred to a statement: a store has
		// one range per few dozen addresses, too many for a round trip each.
		made := map[string]int64{}
		id := nextID
		var blockRows, subnetRows, parents [][]any
		for _, r := range rs {
			p, err := rangeSubnet(r.subnetID.String, r.start.String, r.bits)
			if err != nil {
				return 0, fmt.Errorf("range %d: %w", r.id, err)
			}
			key := r.family + " " + p.String()
			sid, ok := subnets[key]
			if !ok {
				sid, ok = made[key]
			}
			if !ok {
				id++
				sid = id
				made[key] = sid
				var parent any
				if pb := mostSpecific(blocks, r.family, p); pb != 0 {
					parent = pb
				}
				var mask any
				if r.family == "IPv4" {
					mask = maskString(p)
				} else if r.mask.Valid {
					mask = r.mask.String
				}
				blockRows = append(blockRows, []any{r.family, sid, parent, r.category, "created by schema conversion for range " + fmt.Sprint(r.id),
					lastAddress(p).String(), c.now, p.Addr().String(), r.owner, p.Bits(), p.Addr().String(), mask})
				subnetRows = append(subnetRows, []any{r.family, sid, p.String()})
			}
			parents = append(parents, []any{r.id, sid})
		}
		if err := c.insertRows(ctx, tx, `INSERT INTO "ADM_IPBlocksTable" ("Family", "RecordId", "IsSubnet", "AddressSpaceRecordId",
			"ParentBlockRecordId", "AddressCategory", "Description", "EndIPAddress", "LastModifiedDate", "NetworkId",
			"NumberOfChildBlocks", "Owner", "PrefixLength", "StartIPAddress", "SubnetMask") VALUES `,
			"(?, ?, "+t+", 1, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)", "", blockRows); err != nil {
			return 0, err
		}
		if err := c.insertRows(ctx, tx, `INSERT INTO "ADM_SubnetTable" ("Family", "RecordId", "Name", "IsOverlapping",
			"UseForUtilization", "VSId", "VirtualizationType") VALUES `, "(?, ?, ?, "+f+", "+t+", 0, 'NonVirtualized')", "", subnetRows); err != nil {
			return 0, err
		}
		if err := c.insertRows(ctx, tx, `UPDATE "ADM_IPRangeTable" SET "ParentIPBlockRecordId" = v.column2 FROM (VALUES `,
			"(CAST(? AS BIGINT), CAST(? AS BIGINT))", `) AS v WHERE "ADM_IPRangeTable"."RecordId" = v.column1`, parents); err != nil {
			return 0, err
		}
		// The caller commits right after; a failed commit ends the run,
		// and the next run reloads from the database.
		for k, v := range made {
			subnets[k] = v
		}
		nextID = id
		return int64(len(rs)), nil
	}, func() {}, nil
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

// rangeSubnet is a range's subnet: its SubnetId with PrefixLength, or,
// where v1 kept no valid SubnetId (RangeToValidSubnetValidationRule's
// default fix), the prefix around its start address.
func rangeSubnet(subnetID, start string, bits sql.NullInt64) (netip.Prefix, error) {
	if !bits.Valid {
		return netip.Prefix{}, fmt.Errorf("no PrefixLength")
	}
	a, err := netip.ParseAddr(subnetID)
	if err != nil {
		if a, err = netip.ParseAddr(start); err != nil {
			return netip.Prefix{}, fmt.Errorf("neither SubnetId %q nor StartIPAddress %q is an address", subnetID, start)
		}
	}
	p, err := a.Prefix(int(bits.Int64))
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("prefix /%d of %s: %w", bits.Int64, a, err)
	}
	return p, nil
}

// mostSpecific is CalculateParentForIPBlock for v1 blocks: the longest
// block of the family containing p, or 0.
func mostSpecific(blocks []blockRow, family string, p netip.Prefix) int64 {
	var best int64
	bits := -1
	for _, b := range blocks {
		if b.family == family && b.prefix.Bits() <= p.Bits() && b.prefix.Contains(p.Addr()) && b.prefix.Bits() > bits {
			best, bits = b.id, b.prefix.Bits()
		}
	}
	return best
}

func lastAddress(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().AsSlice()
	for i := range a {
		for b := 0; b < 8; b++ {
			if i*8+b >= p.Bits() {
				a[i] |= 0x80 >> b
			}
		}
	}
	out, _ := netip.AddrFromSlice(a)
	return out
}

func maskString(p netip.Prefix) string {
	var m [4]byte
	for i := 0; i < p.Bits(); i++ {
		m[i/8] |= 0x80 >> (i % 8)
	}
	return netip.AddrFrom4(m).String()
}

func countChildBlocks(ctx context.Context, c *conv, tx *sql.Tx) error {
	_, err := c.exec(ctx, tx, `UPDATE "ADM_IPBlocksTable" SET "NumberOfChildBlocks" =
		(SELECT COUNT(*) FROM "ADM_IPBlocksTable" ch WHERE ch."ParentBlockRecordId" = "ADM_IPBlocksTable"."RecordId")`)
	return err
}

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

// fkCheckTables are the tables whose foreign keys step 13 checks on
// SQLite: those whose definition v2 changed or added (rebuilt, altered or
// created by the conversion) and those referencing one of them. A table
// both versions define alike, all of whose parents are alike too, keeps
// rows the conversion did not re-parent; what the conversion adds there
// (Managed by values) references the rows lookups found. That leaves out
// the custom field value associations, two rows an address, the largest
// table of a store.
func fkCheckTables() []string {
	changed := map[string]bool{}
	for _, t2 := range schema.V2.Tables {
		t1 := schema.V1.Table(t2.Name)
		changed[t2.Name] = t1 == nil || !reflect.DeepEqual(t1.Columns, t2.Columns) || !reflect.DeepEqual(t1.ForeignKeys, t2.ForeignKeys)
	}
	var out []string
	for _, t := range schema.V2.Tables {
		check := changed[t.Name]
		for _, fk := range t.ForeignKeys {
			check = check || changed[fk.RefTable]
		}
		if check {
			out = append(out, t.Name)
		}
	}
	return out
}

// foreignKeyCheck is PRAGMA foreign_key_check of one table, at most ten
// violations described.
func foreignKeyCheck(ctx context.Context, tx *sql.Tx, table string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, "PRAGMA foreign_key_check("+q(table)+")")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var bad []string
	for rows.Next() && len(bad) < 10 {
		var (
			tbl, parent string
			rowid       sql.NullInt64
			fkid        int
		)
		if err := rows.Scan(&tbl, &rowid, &parent, &fkid); err != nil {
			return nil, err
		}
		bad = append(bad, fmt.Sprintf("%s row %d → %s", tbl, rowid.Int64, parent))
	}
	return bad, rows.Err()
}

// finish is step 13: the version, the sequences, a last consistency check
// and the end of the progress table, in one transaction.
func finish(ctx context.Context, c *conv, name string) error {
	return c.inTx(ctx, func(tx *sql.Tx) error {
		if c.d == schema.SQLite {
			var bad []string
			for _, t := range fkCheckTables() {
				if len(bad) >= 10 {
					break
				}
				b, err := foreignKeyCheck(ctx, tx, t)
				if err != nil {
					return err
				}
				bad = append(bad, b...)
			}
			if len(bad) > 0 {
				return fmt.Errorf("foreign key violations after conversion: %s", strings.Join(bad, "; "))
			}
		} else {
			for _, t := range schema.V2.Tables {
				for _, col := range t.Columns {
					if !col.AutoIncrement {
						continue
					}
					if _, err := c.exec(ctx, tx, fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%s', '%s'), COALESCE(MAX(%s), 0) + 1, false) FROM %s`,
						q(t.Name), col.Name, q(col.Name), q(t.Name))); err != nil {
						return err
					}
				}
			}
		}
		if _, err := c.exec(ctx, tx, `UPDATE "ADM_CommonProperties" SET "Value" = ? WHERE "Name" = 'DatabaseSchemaVersion'`, schema.V2.Version); err != nil {
			return err
		}
		if _, err := c.exec(ctx, tx, `INSERT INTO "ADM_CommonProperties" ("Name", "Value") SELECT 'DatabaseSchemaVersion', ?
			WHERE NOT EXISTS (SELECT 1 FROM "ADM_CommonProperties" WHERE "Name" = 'DatabaseSchemaVersion')`, schema.V2.Version); err != nil {
			return err
		}
		_, err := c.exec(ctx, tx, "DROP TABLE "+progressTable)
		c.report(name, 0, 0)
		return err
	})
}
