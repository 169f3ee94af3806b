package client

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/ipamd/ipamd/duplex/nmf"
	"github.com/ipamd/ipamd/internal/v1gen"
	"github.com/ipamd/ipamd/services"
	"github.com/ipamd/ipamd/sessions"
	"github.com/ipamd/ipamd/sessions/bind"
	"github.com/ipamd/ipamd/store"
	"github.com/ipamd/ipamd/store/convert"
	"github.com/ipamd/ipamd/store/schema"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

const enumeratorPath = "/ipam/IIpamEnumerator"

// convertedSQLite is an embedded store holding a converted v1 store of
// about addresses addresses.
func convertedSQLite(tb testing.TB, addresses int) *store.Store {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "ipam.db")
	db, err := sql.Open("sqlite", schema.SQLiteDSN(path))
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	if _, err := v1gen.Generate(ctx, db, schema.SQLite, v1gen.Options{Addresses: addresses, Seed: 11}); err != nil {
		tb.Fatal(err)
	}
	if err := convert.Run(ctx, db, schema.SQLite, convert.Options{Now: time.Now}); err != nil {
		tb.Fatal(err)
	}
	if err := db.Close(); err != nil {
		tb.Fatal(err)
	}
	s, err := store.Open(ctx, store.Config{Type: ipam.IpamDatabaseTypeWindowsInternalDatabase, Path: path}, store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// startEnumerator serves IIpamEnumerator on loopback net.tcp from s.
func startEnumerator(tb testing.TB, s *store.Store, maxBatch int) (uri string) {
	tb.Helper()
	adm := services.NewMemory(true, false) // provisioned, no conversion required: the gating lets it through
	enum := &services.Enumerator{Store: adm, Rows: s, MaxBatchBytes: maxBatch}
	mgr, err := sessions.NewManager(sessions.Options{Logger: zap.NewNop()},
		sessions.Endpoint{Path: enumeratorPath, Binding: sessions.EnumeratorBinding(enum.NewSession, ipam.CallbackActionsService)})
	if err != nil {
		tb.Fatal(err)
	}
	srv := nmf.NewServer(nmf.Options{Logger: zap.NewNop(), CloseTimeout: 2 * time.Second}, bind.NetTCP(mgr))
	return "net.tcp://" + serve(tb, srv) + enumeratorPath
}

func addressParams(v6 bool) ipam.AnyEnumerationParametersBase {
	af := ipam.AddressFamilyInterNetwork
	if v6 {
		af = ipam.AddressFamilyInterNetworkV6
	}
	return &ipam.IpamIPAddressRootAddressesEnumerationParameters{
		EnumerationParametersBase: ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeIPAddress},
		AddressFamily:             af}
}

// TestEnumerateOverNetTCP: the addresses and ranges of a converted v1 store
// come over net.tcp (binary session encoding), in batches each under the
// bound, row for row as the store holds them. Rules E5, E8.
func TestEnumerateOverNetTCP(t *testing.T) {
	s := convertedSQLite(t, 2000)
	const maxBatch = 8 << 10
	uri := startEnumerator(t, s, maxBatch)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, tc := range []struct {
		name   string
		params ipam.AnyEnumerationParametersBase
		query  string
		member string
	}{
		{"IPv4 addresses", addressParams(false), `SELECT "RecordId", "IpAddress" FROM "ADM_IPAddressTable" WHERE "Family" = 'IPv4' ORDER BY "RecordId"`, "Address"},
		{"IPv6 addresses", addressParams(true), `SELECT "RecordId", "IpAddress" FROM "ADM_IPAddressTable" WHERE "Family" = 'IPv6' ORDER BY "RecordId"`, "Address"},
		{"IPv4 ranges", &ipam.IPRangeByAddressSpaceAndVirtualizationTypeParameters{
			EnumerationParametersBase: ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeIPRange},
			AddressFamily:             ipam.AddressFamilyInterNetwork, AddressSpaceRecordID: 1},
			`SELECT "RecordId", "StartIPAddress" FROM "ADM_IPRangeTable" WHERE "Family" = 'IPv4' AND "AddressSpaceRecordId" = 1 ORDER BY "RecordId"`, "StartIPAddress"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			type row struct{ id, addr string }
			var want []row
			rs, err := s.DB().QueryContext(ctx, tc.query)
			if err != nil {
				t.Fatal(err)
			}
			for rs.Next() {
				var r row
				if err := rs.Scan(&r.id, &r.addr); err != nil {
					t.Fatal(err)
				}
				r.addr = ipam.ParseIPAddressText(r.addr).String()
				want = append(want, r)
			}
			rs.Close()
			if len(want) == 0 {
				t.Fatal("the store has no such rows")
			}
			c := &Client{}
			conn, err := c.Dial(ctx, uri)
			if err != nil {
				t.Fatal(err)
			}
			var got []row
			res, err := c.Enumerate(ctx, conn, tc.params, func(rows []*ipam.GenericRow) error {
				for _, r := range rows {
					id, _ := r.Get("RecordId").(string)
					addr, _ := r.Get(tc.member).(string)
					got = append(got, row{id, addr})
				}
				return nil
			}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) || res.Rows != int64(len(want)) {
				t.Fatalf("%d rows (result says %d), the store has %d", len(got), res.Rows, len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("row %d: %+v, store %+v", i, got[i], want[i])
				}
			}
			if res.Checkpoints < 2 && len(want) > 100 {
				t.Errorf("%d rows in %d messages: not batched", len(want), res.Checkpoints)
			}
		})
	}
}

// TestEnumerateRefusals: parameters the server cannot serve are faults and
// the session stays usable for a valid Initialize (3.5.1.1). Rule E7.
func TestEnumerateRefusals(t *testing.T) {
	s := convertedSQLite(t, 300)
	uri := startEnumerator(t, s, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := &Client{}
	conn, err := c.Dial(ctx, uri)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := c.NewSession(conn, Enumeration)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close(ctx)
	for _, tc := range []struct {
		params ipam.AnyEnumerationParametersBase
		id     string
	}{
		{nil, ipam.IpamApiInvalidParameter},
		{&ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeDhcpScope}, ipam.IpamApiInvalidEnumeration},
		{&ipam.IpamIPAddressRootAddressesEnumerationParameters{
			EnumerationParametersBase: ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeIPRange},
			AddressFamily:             ipam.AddressFamilyInterNetwork}, ipam.IpamApiInvalidEnumeration},
		{&ipam.IpamIPAddressByRangeIdEnumerationParameters{
			EnumerationParametersBase: ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeIPAddress},
			AddressFamily:             ipam.AddressFamilyInterNetwork}, ipam.IpamApiInvalidParameter},
		{&ipam.IpamIPAddressRootAddressesEnumerationParameters{
			EnumerationParametersBase: ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeIPAddress}},
			ipam.IpamApiInvalidAddressFamily},
	} {
		var re *RemoteError
		if err := sess.Initialize(ctx, tc.params); !errors.As(err, &re) || re.Exception == nil || re.Exception.ExceptionID != tc.id {
			t.Errorf("%T: %v, want %s", tc.params, err, tc.id)
		}
	}
	n := 0
	sess.OnRows = func(rows []*ipam.GenericRow) error { n += len(rows); return nil }
	if err := sess.Initialize(ctx, addressParams(false)); err != nil {
		t.Fatal(err)
	}
	if err := sess.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := sess.Wait(ctx, nil); err != nil || n == 0 {
		t.Fatalf("after the refusals: %v, %d rows", err, n)
	}
}

// BenchmarkEnumerateAddresses: rows per second of an enumeration of every
// IPv4 address of a converted v1 store over net.tcp, binary session
// encoding, client and server in this process.
func BenchmarkEnumerateAddresses(b *testing.B) {
	s := convertedSQLite(b, 100000)
	uri := startEnumerator(b, s, 0)
	ctx := context.Background()
	c := &Client{}
	var rows int64
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		conn, err := c.Dial(ctx, uri)
		if err != nil {
			b.Fatal(err)
		}
		res, err := c.Enumerate(ctx, conn, addressParams(false), func([]*ipam.GenericRow) error { return nil }, nil)
		if err != nil {
			b.Fatal(err)
		}
		rows += res.Rows
	}
	b.ReportMetric(float64(rows)/time.Since(start).Seconds(), "rows/s")
}
