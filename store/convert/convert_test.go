package convert_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ipamd/ipamd/internal/v1gen"
	"github.com/ipamd/ipamd/store/convert"
	"github.com/ipamd/ipamd/store/schema"
	"github.com/ipamd/ipamd/store/storetest"
)

// TestMain fails on goroutines left behind, such as a detector a stopped
// conversion did not end.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// store is a test database with what a child process needs to reopen it.
type store struct {
	db     *sql.DB
	d      schema.Dialect
	driver string
	dsn    string
}

func openStore(tb testing.TB, d schema.Dialect) *store {
	tb.Helper()
	s := &store{d: d}
	switch d {
	case schema.SQLite:
		s.driver, s.dsn = "sqlite", schema.SQLiteDSN(storetest.NewSQLitePath(tb))
	case schema.PostgreSQL:
		s.driver, s.dsn = "pgx", storetest.NewPostgresDB(tb).DSN()
	}
	db, err := sql.Open(s.driver, s.dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	s.db = db
	return s
}

// legacyStore is a generated v1 store.
func legacyStore(tb testing.TB, d schema.Dialect, addresses int) *store {
	tb.Helper()
	s := openStore(tb, d)
	if _, err := v1gen.Generate(context.Background(), s.db, d, v1gen.Options{Addresses: addresses, Seed: 42}); err != nil {
		tb.Fatalf("generate: %v", err)
	}
	return s
}

var clock = func() time.Time { return time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC) }

func forEngines(t *testing.T, f func(t *testing.T, d schema.Dialect)) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) { f(t, e.Dialect) })
	}
}

// Rule C7. (docs/protocol.md)
func TestConvert(t *testing.T) {
	forEngines(t, func(t *testing.T, d schema.Dialect) {
		ctx := context.Background()
		s := legacyStore(t, d, 4000)
		req, from, to, err := convert.Required(ctx, s.db, d)
		if err != nil || !req || from != schema.V1Version || to != schema.V2.Version {
			t.Fatalf("Required before = %v %q %q %v", req, from, to, err)
		}
		before := snapshot(t, s)
		var calls atomic.Int64
		opts := convert.Options{Now: clock, BatchSize: 700, Progress: func(string, int64, int64) { calls.Add(1) }}
		if err := convert.Run(ctx, s.db, d, opts); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if calls.Load() == 0 {
			t.Error("Progress was never called")
		}
		if req, from, _, err := convert.Required(ctx, s.db, d); err != nil || req || from != schema.V2.Version {
			t.Fatalf("Required after = %v %q %v", req, from, err)
		}
		if err := convert.Run(ctx, s.db, d, opts); !errors.Is(err, convert.ErrNotRequired) {
			t.Errorf("second Run: %v, want ErrNotRequired", err)
		}
		checkStructure(t, s)
		checkData(t, s, before)
	})
}

// checkStructure compares the converted store's catalog with a fresh V2's.
func checkStructure(t *testing.T, s *store) {
	t.Helper()
	ctx := context.Background()
	got, err := convert.Inspect(ctx, s.db, s.d)
	if err != nil {
		t.Fatal(err)
	}
	want, err := convert.Expected(ctx, s.db, s.d, schema.V2)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != 53 {
		t.Fatalf("expected catalog has %d tables", len(want))
	}
	for _, d := range convert.Diff(got, want) {
		t.Errorf("structure: %s", d)
	}
}

// before is what checkData compares the converted store with.
type before struct {
	ranges    map[int64]rangeRow
	addresses int64
	v1Dump    map[string]string // table → digest of its v1 columns
}

type rangeRow struct {
	family, subnetID string
	prefix           int64
}

func snapshot(t *testing.T, s *store) before {
	t.Helper()
	b := before{ranges: map[int64]rangeRow{}, v1Dump: map[string]string{}}
	rows, err := s.db.Query(`SELECT "RecordId", "Family", "SubnetId", "PrefixLength" FROM "ADM_IPRangeTable"`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var r rangeRow
		if err := rows.Scan(&id, &r.family, &r.subnetID, &r.prefix); err != nil {
			t.Fatal(err)
		}
		b.ranges[id] = r
	}
	rows.Close()
	b.addresses = count(t, s, `SELECT COUNT(*) FROM "ADM_IPAddressTable"`)
	// Tables whose v1 rows conversion must leave alone (as far as v1 saw them).
	for _, tb := range []string{schema.IPAddressTable, schema.DHCPScopesTable, schema.DHCPReservationTable, schema.ServersTable,
		schema.DNSForwardLookupTable, schema.AddressDNSForwardLookupTable, schema.IPv4AddressRangeUtilizationTable} {
		b.v1Dump[tb] = digest(t, s, tb, v1Columns(tb))
	}
	return b
}

func v1Columns(table string) []string {
	var out []string
	t := schema.V1.Table(table)
	if t.Families != nil {
		out = append(out, schema.FamilyColumn)
	}
	for _, c := range t.Columns {
		out = append(out, c.Name)
	}
	return out
}

func count(t *testing.T, s *store, query string, args ...any) int64 {
	t.Helper()
	if s.d == schema.PostgreSQL {
		for i := 1; strings.Contains(query, "?"); i++ {
			query = strings.Replace(query, "?", fmt.Sprintf("$%d", i), 1)
		}
	}
	var n int64
	if err := s.db.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func checkData(t *testing.T, s *store, b before) {
	t.Helper()
	for tb, want := range b.v1Dump {
		if got := digest(t, s, tb, v1Columns(tb)); got != want {
			t.Errorf("%s: v1 columns changed by the conversion", tb)
		}
	}
	// Every v1 range has a parent subnet with its network and prefix, in
	// address space 1.
	rows, err := s.db.Query(`SELECT r."RecordId", b."Family", b."NetworkId", b."PrefixLength", b."IsSubnet", b."AddressSpaceRecordId", r."AddressSpaceRecordId"
		FROM "ADM_IPRangeTable" r JOIN "ADM_IPBlocksTable" b ON b."RecordId" = r."ParentIPBlockRecordId"`)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var (
			id, prefix, bas, ras int64
			family, network      string
			isSubnet             bool
		)
		if err := rows.Scan(&id, &family, &network, &prefix, &isSubnet, &bas, &ras); err != nil {
			t.Fatal(err)
		}
		n++
		r := b.ranges[id]
		if !isSubnet || family != r.family || network != r.subnetID || prefix != r.prefix || bas != 1 || ras != 1 {
			t.Errorf("range %d (%+v): parent %s %s/%d subnet=%v as=%d, range as=%d", id, r, family, network, prefix, isSubnet, bas, ras)
		}
	}
	rows.Close()
	if n != len(b.ranges) {
		t.Errorf("%d of %d ranges have a parent", n, len(b.ranges))
	}
	for q, want := range map[string]int64{
		`SELECT COUNT(*) FROM "ADM_IPAddressTable"`: b.addresses,
		`SELECT COUNT(*) FROM "ADM_IPAddressTable" WHERE "AddressSpaceRecordId" = 1 AND "VirtualizationType" = 'NonVirtualized'`: b.addresses,
		`SELECT COUNT(*) FROM "ADM_IPRangeTable"`: int64(len(b.ranges)),
		// One subnet row per distinct (family, subnet), each with its extension row.
		`SELECT COUNT(*) FROM "ADM_IPBlocksTable" b JOIN "ADM_SubnetTable" s ON s."RecordId" = b."RecordId"`: distinctSubnets(b.ranges),
		`SELECT COUNT(*) FROM "ADM_IPBlocksTable" WHERE "IsSubnet" = ? AND "AddressSpaceRecordId" = 1`:       distinctSubnets(b.ranges),
		// Custom fields: #2 renamed, #14–18 added, the user's Tenant moved aside.
		`SELECT COUNT(*) FROM "ADM_CustomFieldsTable" WHERE "RecordId" = 2 AND "Name" = 'RegionLegacy'`:                                                                1,
		`SELECT COUNT(*) FROM "ADM_CustomFieldsTable" WHERE "Origin" = 'Builtin'`:                                                                                      18,
		`SELECT COUNT(*) FROM "ADM_CustomFieldsTable" WHERE "Origin" = 'Builtin' AND "Name" IN ('Network Site', 'VM Network', 'Tenant', 'Isolation Method', 'Region')`: 5,
		`SELECT COUNT(*) FROM "ADM_CustomFieldsTable" WHERE "Name" = 'Tenant (custom)'`:                                                                                1,
		`SELECT COUNT(*) FROM "ADM_CustomFieldValuesTable" v JOIN "ADM_CustomFieldsTable" f ON f."RecordId" = v."CustomFieldRecordId"
			WHERE f."Name" = 'Isolation Method' AND v."Value" IN ('NVGRE', 'VLAN', 'VXLAN', 'IPRewrite')`: 4,
		`SELECT COUNT(*) FROM "ADM_LogicalGroupsTable" WHERE "Name" = 'VirtualizedProviderAddressSpace'`: 1,
		// Every address and range has exactly one Managed by and one Managed by entity.
		`SELECT COUNT(*) FROM (SELECT a."RecordId" FROM "ADM_IPAddressTable" a JOIN "ADM_CustomFieldValuesAssociationTable" x
			ON x."ObjectType" = 'IPAddress' AND x."UsedById" = a."RecordId" AND x."CustomFieldId" IN (8, 9)
			GROUP BY a."RecordId" HAVING COUNT(*) = 2 AND COUNT(DISTINCT x."CustomFieldId") = 2) s`: b.addresses,
		`SELECT COUNT(*) FROM "ADM_CommonProperties" WHERE "Name" = 'DatabaseSchemaVersion' AND "Value" = '` + schema.V2.Version + `'`: 1,
		`SELECT COUNT(*) FROM "ADM_CommonProperties" WHERE "Name" = 'IPAuditTrackingFeature' AND "Value" = '1'`:                        1,
		`SELECT COUNT(*) FROM "ADM_AddressSpaceTable" WHERE "RecordId" = 1 AND "IsDefault" = ?`:                                        1,
		`SELECT COUNT(*) FROM "ADM_AdminOperationsTable"`:                                                                              110,
		// The spec's 45 groups and the two its operations name besides.
		`SELECT COUNT(*) FROM "ADM_AdminOperationGroupsTable"`:                     47,
		`SELECT COUNT(*) FROM "ADM_Tasks"`:                                         8,
		`SELECT COUNT(*) FROM "ADM_RoleDefinitionTable" WHERE "IsBuiltInRole" = ?`: 9,
		// One association per ASM / MSM object.
		`SELECT COUNT(*) FROM "ADM_AccessScopeAssociationTable"`: count(t, s, `SELECT (SELECT COUNT(*) FROM "ADM_IPBlocksTable") +
			(SELECT COUNT(*) FROM "ADM_IPRangeTable") + (SELECT COUNT(*) FROM "ADM_DHCPServersTable") + (SELECT COUNT(*) FROM "ADM_DHCPScopesTable") +
			(SELECT COUNT(*) FROM "ADM_DNSForwardLookupTable") + (SELECT COUNT(*) FROM "ADM_DNSReverseLookupTable") + 1`),
		// Roots are not inheriting and point at themselves...
		`SELECT COUNT(*) FROM "ADM_AccessScopeAssociationTable" WHERE "IsInheriting" = ? AND "InheritanceId" = "AssociationId" AND "AccessScopeId" = 1`: 1 +
			count(t, s, `SELECT COUNT(*) FROM "ADM_DHCPServersTable"`) + count(t, s, `SELECT COUNT(*) FROM "ADM_DNSForwardLookupTable"`) +
			count(t, s, `SELECT COUNT(*) FROM "ADM_DNSReverseLookupTable"`),
		// ...every range inherits through its subnet from the address space...
		`SELECT COUNT(*) FROM "ADM_AccessScopeAssociationTable" r
			JOIN "ADM_IPRangeTable" rg ON rg."RecordId" = r."ObjectId"
			JOIN "ADM_AccessScopeAssociationTable" p ON p."ObjectId" = rg."ParentIPBlockRecordId" AND p."ObjectType" LIKE '%Subnet'
			JOIN "ADM_AccessScopeAssociationTable" root ON root."AssociationId" = r."InheritanceId"
			WHERE r."ObjectType" LIKE '%Range' AND r."IsInheriting" = ? AND r."InheritanceId" = p."InheritanceId" AND root."ObjectType" = 'AddressSpace'`: int64(len(b.ranges)),
		// ...and every scope from its server.
		`SELECT COUNT(*) FROM "ADM_AccessScopeAssociationTable" sc JOIN "ADM_DHCPScopesTable" s ON s."RecordId" = sc."ObjectId"
			JOIN "ADM_AccessScopeAssociationTable" sv ON sv."ObjectId" = s."DHCPServerRecordId" AND sv."ObjectType" LIKE 'DHCPServer%'
			WHERE sc."ObjectType" LIKE 'DHCPScope%' AND sc."InheritanceId" = sv."AssociationId"`: count(t, s, `SELECT COUNT(*) FROM "ADM_DHCPScopesTable"`),
	} {
		var args []any
		if strings.Contains(q, "?") {
			args = []any{true}
			if q == `SELECT COUNT(*) FROM "ADM_AccessScopeAssociationTable" WHERE "IsInheriting" = ? AND "InheritanceId" = "AssociationId" AND "AccessScopeId" = 1` {
				args = []any{false}
			}
		}
		if got := count(t, s, q, args...); got != want {
			t.Errorf("%s\n= %d, want %d", q, got, want)
		}
	}
}

func distinctSubnets(ranges map[int64]rangeRow) int64 {
	m := map[string]bool{}
	for _, r := range ranges {
		m[fmt.Sprintf("%s %s/%d", r.family, r.subnetID, r.prefix)] = true
	}
	return int64(len(m))
}

// digest hashes a table's rows (the named columns, sorted rows).
func digest(t *testing.T, s *store, table string, cols []string) string {
	t.Helper()
	var qc []string
	for _, c := range cols {
		qc = append(qc, schema.Quote(c))
	}
	rows, err := s.db.Query("SELECT " + strings.Join(qc, ", ") + " FROM " + schema.Quote(table))
	if err != nil {
		t.Fatalf("dump %s: %v", table, err)
	}
	defer rows.Close()
	var lines []string
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, v := range vals {
			b.WriteString(normalize(v))
			b.WriteByte('\x1f')
		}
		lines = append(lines, b.String())
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Strings(lines)
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l))
		h.Write([]byte{'\n'})
	}
	return fmt.Sprintf("%d rows %s", len(lines), hex.EncodeToString(h.Sum(nil))[:16])
}

// normalize spells a scanned value the same way on both drivers.
func normalize(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case []byte:
		return hex.EncodeToString(x)
	case bool:
		if x {
			return "1"
		}
		return "0"
	}
	return fmt.Sprint(v)
}

// dump digests every table of the store.
func dump(t *testing.T, s *store) map[string]string {
	t.Helper()
	cat, err := convert.Inspect(context.Background(), s.db, s.d)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for name, ti := range cat {
		var cols []string
		for c := range ti.Columns {
			cols = append(cols, c)
		}
		sort.Strings(cols)
		out[name] = digest(t, s, name, cols)
	}
	return out
}

func compareDumps(t *testing.T, got, want map[string]string) {
	t.Helper()
	for name, w := range want {
		if g := got[name]; g != w {
			t.Errorf("%s: %s, want %s", name, g, w)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("unexpected table %s", name)
		}
	}
}

// reference converts a fresh copy of the generated store without
// interruption and dumps it.
func reference(t *testing.T, d schema.Dialect, addresses int) map[string]string {
	t.Helper()
	s := legacyStore(t, d, addresses)
	if err := convert.Run(context.Background(), s.db, d, convert.Options{Now: clock, BatchSize: 300}); err != nil {
		t.Fatalf("reference Run: %v", err)
	}
	return dump(t, s)
}

// managedByExceptions lists, in order, the addresses that break the
// upgrade rule step 4 fixes: not exactly one Managed by and one Managed by
// entity value.
func managedByExceptions(t *testing.T, s *store) []int64 {
	t.Helper()
	rows, err := s.db.Query(`SELECT a."RecordId" FROM "ADM_IPAddressTable" a LEFT JOIN (
			SELECT x."UsedById" AS id, SUM(CASE WHEN f."BuiltinCustomFieldNumber" = 'ManagedBy' THEN 1 ELSE 0 END) AS mb,
				SUM(CASE WHEN f."BuiltinCustomFieldNumber" = 'ManagedByEntity' THEN 1 ELSE 0 END) AS mbe
			FROM "ADM_CustomFieldValuesAssociationTable" x JOIN "ADM_CustomFieldsTable" f ON f."RecordId" = x."CustomFieldId"
			WHERE x."ObjectType" = 'IPAddress' GROUP BY x."UsedById") g ON g.id = a."RecordId"
		WHERE g.id IS NULL OR g.mb <> 1 OR g.mbe <> 1 ORDER BY a."RecordId"`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkBatchConsistency checks that the address step's batches are whole:
// addresses up to the recorded progress are converted, the rest are not.
// v1 are the store's managedByExceptions before the conversion: those
// above the mark must still be there, those below it fixed.
func checkBatchConsistency(t *testing.T, s *store, v1 []int64) {
	t.Helper()
	var last int64
	err := s.db.QueryRow(`SELECT last_record_id FROM ipamd_conversion_progress WHERE step = '4 backfill addresses'`).Scan(&last)
	if errors.Is(err, sql.ErrNoRows) {
		return // not reached yet
	}
	if err != nil {
		if strings.Contains(err.Error(), "ipamd_conversion_progress") {
			return // finished: the table is gone
		}
		t.Fatal(err)
	}
	var want []int64
	for _, id := range v1 {
		if id > last {
			want = append(want, id)
		}
	}
	if got := managedByExceptions(t, s); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("progress mark %d: addresses breaking the Managed by rule are %v, want %v", last, got, want)
	}
	// Step 3's defaults converted every address's new columns at once.
	if n := count(t, s, `SELECT COUNT(*) FROM "ADM_IPAddressTable" WHERE "VirtualizationType" IS NULL OR "IsCreatedFromDNS" IS NULL`); n != 0 {
		t.Errorf("%d addresses without VirtualizationType or IsCreatedFromDNS after step 3", n)
	}
}

// TestResumeAfterCancel cancels the conversion at several points; every
// stop leaves whole batches, and the resumed result equals an uninterrupted
// conversion's, row for row.
func TestResumeAfterCancel(t *testing.T) {
	forEngines(t, func(t *testing.T, d schema.Dialect) {
		const n = 3000
		want := reference(t, d, n)
		s := legacyStore(t, d, n)
		v1 := managedByExceptions(t, s)
		if len(v1) == 0 {
			t.Fatal("the generated store has no address breaking the Managed by rule")
		}
		stops := 0
		// The first Progress call comes before the conversion has written
		// anything (its clock included: a run stopped there leaves the clock
		// to the next), so the stops start at the second.
		for stopAfter := int64(2); ; stopAfter += 3 {
			ctx, cancel := context.WithCancel(context.Background())
			var calls atomic.Int64
			err := convert.Run(ctx, s.db, d, convert.Options{Now: func() time.Time { return clock().Add(time.Hour * time.Duration(stops)) },
				BatchSize: 300, Progress: func(string, int64, int64) {
					if calls.Add(1) == stopAfter {
						cancel()
					}
				}})
			cancel()
			if err == nil {
				break
			}
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Run stopped after %d progress calls: %v", stopAfter, err)
			}
			stops++
			if req, _, _, err := convert.Required(context.Background(), s.db, d); err != nil || !req {
				t.Fatalf("after a stop Required = %v, %v", req, err)
			}
			checkBatchConsistency(t, s, v1)
		}
		if stops < 5 {
			t.Errorf("only %d stops: the test did not interrupt the conversion enough", stops)
		}
		t.Logf("%d stops", stops)
		checkStructure(t, s)
		compareDumps(t, dump(t, s), want)
	})
}

// TestResumeAfterKill runs the conversion in a child process, kills it
// with SIGKILL in the middle of the address batches, and resumes.
//
// Rule C7. (docs/protocol.md)
func TestResumeAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	forEngines(t, func(t *testing.T, d schema.Dialect) {
		const n = 20000
		want := reference(t, d, n)
		s := legacyStore(t, d, n)
		v1 := managedByExceptions(t, s)
		cmd := exec.Command(os.Args[0], "-test.run=^TestConvertChild$")
		cmd.Env = append(os.Environ(), "IPAMD_CONVERT_CHILD="+s.driver+"|"+s.dsn)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		killed := false
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			var done int64
			if strings.HasPrefix(line, "progress 4 backfill addresses ") {
				fmt.Sscanf(line[len("progress 4 backfill addresses "):], "%d", &done)
				if done >= n/3 {
					_ = cmd.Process.Signal(syscall.SIGKILL)
					killed = true
					break
				}
			}
		}
		_ = cmd.Wait()
		if !killed {
			t.Fatal("the child finished before it could be killed")
		}
		checkBatchConsistency(t, s, v1)
		if req, _, _, err := convert.Required(context.Background(), s.db, d); err != nil || !req {
			t.Fatalf("after the kill Required = %v, %v", req, err)
		}
		if err := convert.Run(context.Background(), s.db, d, convert.Options{Now: clock, BatchSize: 300}); err != nil {
			t.Fatalf("resume: %v", err)
		}
		checkStructure(t, s)
		compareDumps(t, dump(t, s), want)
	})
}

// TestConvertChild is the child of TestResumeAfterKill: it converts the
// store named by IPAMD_CONVERT_CHILD, reporting progress on stdout, slowly
// enough to be killed in the middle.
func TestConvertChild(t *testing.T) {
	spec := os.Getenv("IPAMD_CONVERT_CHILD")
	if spec == "" {
		t.Skip("only run as TestResumeAfterKill's child")
	}
	driver, dsn, _ := strings.Cut(spec, "|")
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	d := schema.SQLite
	if driver == "pgx" {
		d = schema.PostgreSQL
	}
	err = convert.Run(context.Background(), db, d, convert.Options{Now: clock, BatchSize: 300, Progress: func(step string, done, total int64) {
		fmt.Printf("progress %s %d %d\n", step, done, total)
		time.Sleep(5 * time.Millisecond)
	}})
	if err != nil {
		t.Fatal(err)
	}
}

// TestProgressCadence checks that Progress is never silent for longer than
// a 1 s checkpoint interval allows, through every step (single long
// statements included: the heartbeat repeats the last report).
func TestProgressCadence(t *testing.T) {
	forEngines(t, func(t *testing.T, d schema.Dialect) {
		s := legacyStore(t, d, 20000)
		var (
			last    = time.Now()
			maxGap  time.Duration
			maxStep string
			calls   int
		)
		err := convert.Run(context.Background(), s.db, d, convert.Options{Now: clock, Progress: func(step string, _, _ int64) {
			// Never called concurrently: no lock needed.
			if g := time.Since(last); g > maxGap {
				maxGap, maxStep = g, step
			}
			last = time.Now()
			calls++
		}})
		if err != nil {
			t.Fatal(err)
		}
		if maxGap > time.Second {
			t.Errorf("Progress was silent for %s (in %q)", maxGap, maxStep)
		}
		if calls < len(convert.StepNames()) {
			t.Errorf("%d Progress calls for %d steps", calls, len(convert.StepNames()))
		}
		t.Logf("%d calls, longest gap %s in %q", calls, maxGap, maxStep)
	})
}

// TestConvertPoolSizes converts through pools of one connection (the
// address batches find the addresses to fix themselves) and two (a
// detector with one worker): the result is the same, row for row, as the
// reference conversion's through an unbounded pool (a detector with
// detectWorkers workers searching spans in turn).
func TestConvertPoolSizes(t *testing.T) {
	for _, conns := range []int{1, 2} {
		t.Run(fmt.Sprintf("max-open-%d", conns), func(t *testing.T) {
			forEngines(t, func(t *testing.T, d schema.Dialect) {
				const n = 3000
				want := reference(t, d, n)
				s := legacyStore(t, d, n)
				s.db.SetMaxOpenConns(conns)
				if err := convert.Run(context.Background(), s.db, d, convert.Options{Now: clock, BatchSize: 300}); err != nil {
					t.Fatalf("Run: %v", err)
				}
				s.db.SetMaxOpenConns(0)
				checkStructure(t, s)
				compareDumps(t, dump(t, s), want)
			})
		})
	}
}

// TestFenceRollsBackTheBatch refuses the fence (as a lease taken over by
// another owner does) at several points: the refused transaction commits
// nothing, the run ends with the fence's error, and a later run resumes to
// the same rows as an uninterrupted conversion.
func TestFenceRollsBackTheBatch(t *testing.T) {
	forEngines(t, func(t *testing.T, d schema.Dialect) {
		const n = 2000
		want := reference(t, d, n)
		s := legacyStore(t, d, n)
		v1 := managedByExceptions(t, s)
		errFenced := errors.New("lease lost: another owner holds generation 2")
		refusals := 0
		for allow := int64(1); ; allow += 3 {
			var calls atomic.Int64
			err := convert.Run(context.Background(), s.db, d, convert.Options{Now: clock, BatchSize: 300,
				Fence: func(ctx context.Context, tx *sql.Tx) error {
					if calls.Add(1) > allow {
						return errFenced
					}
					return nil
				}})
			if err == nil {
				break
			}
			var step *convert.StepError
			if !errors.Is(err, errFenced) || !errors.As(err, &step) {
				t.Fatalf("Run fenced after %d commits: %v, want a StepError wrapping the fence's error", allow, err)
			}
			refusals++
			if req, _, _, err := convert.Required(context.Background(), s.db, d); err != nil || !req {
				t.Fatalf("after a refused commit Required = %v, %v", req, err)
			}
			checkBatchConsistency(t, s, v1)
		}
		if refusals < 4 {
			t.Errorf("only %d refusals: the fence did not interrupt the conversion enough", refusals)
		}
		checkStructure(t, s)
		compareDumps(t, dump(t, s), want)
	})
}
