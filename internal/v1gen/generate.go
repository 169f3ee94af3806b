// Package v1gen writes realistic IPAM data stores in the v1 layout (Windows
// Server 2012, IPAM 6.2; schema.V1) for the schema conversion's tests and
// benchmarks: v1 provisioning seed data, then an address space of blocks,
// ranges with their subnets, addresses with custom-field values, DHCP and
// DNS servers with scopes, zones, reservations, utilization history and
// audit rows, all with consistent keys. The same Options give the same store,
// row for row.
package v1gen

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/ipamd/ipamd/store/schema"
)

// Options says what to generate.
type Options struct {
	// Addresses is the number of IP address rows (≥ 0).
	Addresses int
	// Seed picks the store: equal seeds give equal stores.
	Seed uint64
	// Progress, when set, is told how many addresses are written so far.
	Progress func(addresses int64)
}

// Stats counts what Generate wrote.
type Stats struct {
	Blocks, Ranges, Subnets, Addresses, Associations, Scopes, Reservations int64
}

// ErrNotEmpty is returned when the database already holds an IPAM store.
var ErrNotEmpty = errors.New("v1gen: database already holds an IPAM store")

// base is the generated store's clock: every timestamp is an offset from it,
// so stores are reproducible.
var base = time.Date(2013, 6, 3, 9, 0, 0, 0, time.UTC)

// addressesPerTx bounds a transaction of the bulk load.
const addressesPerTx = 100_000

// Generate creates the v1 schema in the empty database db and fills it.
func Generate(ctx context.Context, db *sql.DB, d schema.Dialect, opts Options) (Stats, error) {
	if opts.Addresses < 0 {
		return Stats{}, fmt.Errorf("v1gen: negative address count %d", opts.Addresses)
	}
	g := &gen{d: d, opts: opts, rng: rand.New(rand.NewPCG(opts.Seed, 0x1ba5e)), db: db}
	if err := g.run(ctx); err != nil {
		return g.stats, err
	}
	return g.stats, nil
}

type gen struct {
	d     schema.Dialect
	opts  Options
	rng   *rand.Rand
	db    *sql.DB
	stats Stats

	blocks []block
	// value record ids of the built-in fields, by field record id and value position.
	values map[int][]int64
	// DHCP: server rows (record ids) per family, scope ids handed out.
	dhcpServers map[string][]int64
	nextScope   int64
	// DNS forward zone id for address registrations.
	forwardZone, serverZone int64
}

type block struct {
	id     int64
	family string
	prefix netip.Prefix
}

func (g *gen) run(ctx context.Context) error {
	if err := g.inTx(ctx, g.createSchema); err != nil {
		return err
	}
	if err := g.inTx(ctx, g.seed); err != nil {
		return err
	}
	if err := g.inTx(ctx, g.infrastructure); err != nil {
		return err
	}
	if err := g.inTx(ctx, g.makeBlocks); err != nil {
		return err
	}
	if err := g.addressSpace(ctx); err != nil {
		return err
	}
	if g.d == schema.PostgreSQL {
		return g.inTx(ctx, g.advanceSequences)
	}
	return nil
}

func (g *gen) inTx(ctx context.Context, f func(context.Context, *sql.Tx) error) error {
	tx, err := g.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("v1gen: %w", err)
	}
	if err := f(ctx, tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("v1gen: commit: %w", err)
	}
	return nil
}

func (g *gen) createSchema(ctx context.Context, tx *sql.Tx) error {
	var n int
	q := "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'ADM_CommonProperties'"
	if g.d == schema.PostgreSQL {
		q = "SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'ADM_CommonProperties'"
	}
	if err := tx.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return fmt.Errorf("v1gen: %w", err)
	}
	if n > 0 {
		return ErrNotEmpty
	}
	for _, t := range schema.V1.Tables {
		stmts := append([]string{g.d.CreateTable(t)}, g.d.CreateIndexes(t)...)
		for _, s := range stmts {
			if _, err := tx.ExecContext(ctx, s); err != nil {
				return fmt.Errorf("v1gen: create %s: %w", t.Name, err)
			}
		}
	}
	return nil
}

// advanceSequences moves PostgreSQL's identity sequences past the record
// ids the generator chose itself.
func (g *gen) advanceSequences(ctx context.Context, tx *sql.Tx) error {
	for _, t := range schema.V1.Tables {
		for _, c := range t.Columns {
			if !c.AutoIncrement {
				continue
			}
			q := fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%s', '%s'), COALESCE(MAX(%s), 0) + 1, false) FROM %s`,
				schema.Quote(t.Name), c.Name, schema.Quote(c.Name), schema.Quote(t.Name))
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("v1gen: sequence of %s: %w", t.Name, err)
			}
		}
	}
	return nil
}

func (g *gen) seed(ctx context.Context, tx *sql.Tx) error {
	cp := newBulk(g.d, schema.CommonProperties, "Name", "Value")
	for _, p := range commonProperties {
		if err := cp.add(ctx, tx, p[0], p[1]); err != nil {
			return err
		}
	}
	for _, p := range [][2]string{
		{"IpamConfiguredDate", base.Format(time.RFC3339)},
		{"LastDiscoveryTaskRuntime", base.Add(24 * time.Hour).Format(time.RFC3339)},
		// What ipamd records for a 2012 store (schema.V1Version); a store
		// Windows wrote has no such row.
		{"DatabaseSchemaVersion", schema.V1Version},
	} {
		if err := cp.add(ctx, tx, p[0], p[1]); err != nil {
			return err
		}
	}
	if err := cp.flush(ctx, tx); err != nil {
		return err
	}
	fields := newBulk(g.d, schema.CustomFieldsTable, "RecordId", "BuiltinCustomFieldNumber", "Name", "Origin", "Type")
	values := newBulk(g.d, schema.CustomFieldValuesTable, "RecordId", "CustomFieldRecordId", "Value", "BuiltInCustomFieldValueId")
	g.values = map[int][]int64{}
	var vid int64
	for i, f := range builtinFields {
		id := i + 1
		if err := fields.add(ctx, tx, id, f.number, f.name, "Builtin", "Multivalued"); err != nil {
			return err
		}
		for j, v := range f.values {
			vid++
			g.values[id] = append(g.values[id], vid)
			if err := values.add(ctx, tx, vid, id, v, j+1); err != nil {
				return err
			}
		}
	}
	// Two user fields: a free-form one, and one whose name v2 takes for a
	// built-in field (conversion step 9.1 must rename it first).
	if err := fields.add(ctx, tx, len(builtinFields)+1, "None", "Building", "Custom", "Freeform"); err != nil {
		return err
	}
	if err := fields.add(ctx, tx, len(builtinFields)+2, "None", "Tenant", "Custom", "Freeform"); err != nil {
		return err
	}
	if err := fields.flush(ctx, tx); err != nil {
		return err
	}
	if err := values.flush(ctx, tx); err != nil {
		return err
	}
	lg := newBulk(g.d, schema.LogicalGroupsTable, "RecordId", "Fields", "Name", "Users", "BuiltinLogicalGroupNumber", "Origin")
	var fid int
	for i, l := range logicalGroups {
		type field struct {
			RecordId            int
			CustomFieldRecordId int
			CustomFieldName     string
		}
		var fs []field
		for _, f := range l.fields {
			fid++
			fs = append(fs, field{fid, f, builtinFields[f-1].name})
		}
		js, _ := json.Marshal(fs)
		if err := lg.add(ctx, tx, i+1, string(js), l.name, "IPAddressSpaceManagement", l.number, "Builtin"); err != nil {
			return err
		}
	}
	if err := lg.flush(ctx, tx); err != nil {
		return err
	}
	tasks := newBulk(g.d, schema.Tasks, "TaskType", "RecurrenceDuration", "LastRunTime", "NextRunTime", "State", "Status", "Triggers")
	for i, tt := range taskTypes {
		last := base.Add(time.Duration(i) * time.Hour)
		if err := tasks.add(ctx, tx, tt, "PT6H", last, last.Add(6*time.Hour), "Ready", "Success", nil); err != nil {
			return err
		}
	}
	return tasks.flush(ctx, tx)
}

// infrastructure writes the discovered servers: a domain, two DHCP servers
// (one serving both families), a DNS server with forward and reverse zones,
// a few audit rows.
func (g *gen) infrastructure(ctx context.Context, tx *sql.Tx) error {
	exec := func(q string, args ...any) error {
		_, err := tx.ExecContext(ctx, g.rebind(q), args...)
		if err != nil {
			return fmt.Errorf("v1gen: %s: %w", q[:min(len(q), 60)], err)
		}
		return nil
	}
	if err := exec(`INSERT INTO "ADM_DiscoveryConfigurationTable" ("RecordId", "DiscoveryConfigurationStatus", "DiscoveryDomain",
		"DiscoverDhcpServers", "DiscoverDnsServers", "DiscoverDomainControllers", "DomainGuid") VALUES (1, 'Configured', 'contoso.com', ?, ?, ?, '6f1c4f0e-3c6a-4b8e-9f3e-2a1d0c5b7e91')`,
		true, true, true); err != nil {
		return err
	}
	servers := []struct {
		name, role, ip string
	}{{"dhcp1.contoso.com", "Dhcp", "10.0.0.10"}, {"dhcp2.contoso.com", "Dhcp", "10.0.0.11"}, {"dns1.contoso.com", "Dns", "10.0.0.53"}}
	for i, s := range servers {
		id := i + 1
		ips, _ := json.Marshal([]string{s.ip})
		if err := exec(`INSERT INTO "ADM_ServersTable" ("RecordId", "ADDomainRecordId", "ADDomain", "ConfigurationRetrievalFlag",
			"Description", "Domain", "IPAddresses", "LastModified", "ManagementStatus", "Name", "NewFlag", "OSName", "OSVersion",
			"Owner", "SamAccountName", "ServerGuid") VALUES (?, 1, 'contoso.com', 'Complete', ?, 'contoso.com', ?, ?, 'Managed', ?, 'None',
			'Windows Server 2012 Datacenter', '6.2', 'netops', ?, ?)`,
			id, "discovered "+s.role+" server", string(ips), base, s.name, fmt.Sprintf("SRV%d$", id),
			fmt.Sprintf("00000000-0000-4000-8000-%012d", id)); err != nil {
			return err
		}
		if err := exec(`INSERT INTO "ADM_ServerRolesTable" ("RecordId", "ServerRecordID", "AuditFileAccessStatus", "EventViewerAccessStatus",
			"LastRefreshTime", "RpcAccessStatus", "ServerRoleFlag", "ServerRoleInclusionStatus", "ServiceStatus", "ServiceStatusModifiedTime")
			VALUES (?, ?, 'Unblocked', 'Unblocked', ?, 'Unblocked', ?, ?, 'Running', ?)`,
			id, id, base, s.role, true, base); err != nil {
			return err
		}
	}
	g.dhcpServers = map[string][]int64{}
	for i, s := range []struct {
		role   int64
		family string
	}{{1, "IPv4"}, {1, "IPv6"}, {2, "IPv4"}} {
		id := int64(i + 1)
		g.dhcpServers[s.family] = append(g.dhcpServers[s.family], id)
		if err := exec(`INSERT INTO "ADM_DHCPServersTable" ("Family", "RecordId", "ServerRoleRecordId", "OptionDefinitions", "VendorClasses",
			"UserClasses", "AuditLogginStatus", "BackupPath", "DatabasePath", "DnsUpdateType", "NumberOfActiveLeases",
			"NumberOfAvailableAddresses", "NumberOfScopes", "ServerVersion")
			VALUES (?, ?, ?, '[{"RecordId":1,"OptionId":3,"Name":"Router","OptionType":"IPv4Address"}]', '[]', '[]', 'Enabled',
			'C:\Windows\system32\dhcp\backup', 'C:\Windows\system32\dhcp', 'UpdateOnRequest', 0, 0, 0, '{"MajorVersion":6,"MinorVersion":2}')`,
			s.family, id, s.role); err != nil {
			return err
		}
		if err := exec(`INSERT INTO "ADM_DhcpOptionsTable" ("Family", "RecordId", "ServerRecordId", "OptionDefinitionRecordId",
			"OptionReferenceType", "Values") VALUES (?, ?, ?, 1, 'Server', ?)`, s.family, id, id, []byte("10.0.0.1")); err != nil {
			return err
		}
	}
	if err := exec(`INSERT INTO "ADM_DnsServersTable" ("RecordId", "ServerRoleRecordId", "ZoneHealthSummary", "ZoneHealthSummaryLastUpdateTime")
		VALUES (1, 3, 'Healthy', ?)`, base); err != nil {
		return err
	}
	if err := exec(`INSERT INTO "ADM_DNSForwardLookupTable" ("RecordId", "Name", "ParentId", "ShortName", "ZoneOverallHealth",
		"ZoneOverallHealthLastUpdateTime") VALUES (1, 'contoso.com', NULL, 'contoso.com', 'Healthy', ?),
		(2, 'corp.contoso.com', 1, 'corp', 'Healthy', ?)`, base, base); err != nil {
		return err
	}
	g.forwardZone = 2
	if err := exec(`INSERT INTO "ADM_DNSReverseLookupTable" ("RecordId", "Name", "StartIP", "EndIP", "Prefix", "IPType")
		VALUES (1, '10.in-addr.arpa', '10.0.0.0', '10.255.255.255', 8, 'InterNetwork')`); err != nil {
		return err
	}
	if err := exec(`INSERT INTO "ADM_DNSServerForwardLookupZoneTable" ("RecordId", "ServerRecordId", "DnsZoneId", "ZoneType",
		"ZoneConfiguration", "ZoneHealth", "ZoneHealthLastUpdateTime") VALUES (1, 1, 1, 'Primary', 'ADIntegrated', 'Healthy', ?),
		(2, 1, 2, 'Primary', 'ADIntegrated', 'Healthy', ?)`, base, base); err != nil {
		return err
	}
	g.serverZone = 2
	if err := exec(`INSERT INTO "ADM_DNSServerReverseLookupZoneTable" ("RecordId", "ServerRecordId", "DnsReverseZoneId",
		"ZoneConfiguration", "ZoneType") VALUES (1, 1, 1, 'ADIntegrated', 'Primary')`); err != nil {
		return err
	}
	if err := exec(`INSERT INTO "ADM_DnsZoneEventsTable" ("RecordId", "ServerZoneId", "EventId", "EventParametersString",
		"LoggedEventLevel", "LoggedOn", "TaskCategory") VALUES (1, 1, 4515, 'contoso.com', 'Warning', ?, 0)`, base); err != nil {
		return err
	}
	if err := exec(`INSERT INTO "ADM_ConfigurationAuditTable" ("RecordId", "EventDescription", "TimeOfEvent", "EventID", "UserName",
		"UserDomainName", "ServerName", "ServerVersion", "ServerType", "Keywords", "TaskCategory", "Opcode", "EventParameters")
		VALUES (1, 'Scope created', ?, 20097, 'admin', 'CONTOSO', 'dhcp1.contoso.com', '6.2', 'Dhcp', ?, 0, 0, 'scope')`,
		base, []byte{0, 0, 0, 0, 0, 0, 0, 0x80}); err != nil {
		return err
	}
	return exec(`INSERT INTO "ADM_IPAddressAuditTable" ("RecordId", "TimeOfEvent", "EventType", "UserName", "ClientId", "IPAddress",
		"HostName", "DomainName", "SourceServerName", "ServerType") VALUES (1, ?, 'DhcpLease', NULL, ?, '10.0.0.20', 'pc-0001',
		'contoso.com', 'dhcp1.contoso.com', 'Dhcp')`, base, []byte{0x00, 0x15, 0x5d, 0x01, 0x02, 0x03})
}

// rebind turns ? placeholders into the dialect's.
func (g *gen) rebind(q string) string {
	if g.d != schema.PostgreSQL {
		return q
	}
	out := make([]byte, 0, len(q)+16)
	n := 0
	inStr := false
	for i := 0; i < len(q); i++ {
		c := q[i]
		if c == '\'' {
			inStr = !inStr
		}
		if c == '?' && !inStr {
			n++
			out = append(out, g.d.Placeholder(n)...)
			continue
		}
		out = append(out, c)
	}
	return string(out)
}
