package convert

import (
	"context"
	"database/sql"

	"github.com/ipamd/ipamd/store/schema"
)

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
