package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/ipamd/ipamd/services"
	"github.com/ipamd/ipamd/store/schema"
	"github.com/ipamd/ipamd/store/storetest"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// serverOf is what TestEnumerateServerInfoMatchStore compares of a server:
// RecordId, name, GUID, its addresses, custom field values and roles as
// text.
type serverOf struct {
	id                    int64
	name, guid, addresses string
	customs               string
	roles                 string // the roles' RecordId:ServerRoleFlag, in RecordId order
}

// TestEnumerateServerInfoMatchStore: ServerInfoEnumerationParameters reads
// every server of a converted v1 store (its three discovered servers) and
// one added here with an IPv4 and an IPv6 address, a custom field value and
// two roles, one for one with a query of the test's own, in RecordId order,
// each with its roles; and
// ServerInfoRows builds the rows of the ids asked for only. Both engines.
// Rule E21.
func TestEnumerateServerInfoMatchStore(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			s := convertedStore(t, e.Dialect, 20)
			ctx := context.Background()
			p := s.dialect.Placeholder
			one := func(query string, args ...any) int64 {
				t.Helper()
				var n int64
				if err := s.db.QueryRow(query, args...).Scan(&n); err != nil {
					t.Fatalf("%s: %v", query, err)
				}
				return n
			}
			next := one(`SELECT COALESCE(MAX("RecordId"), 0) + 1 FROM "ADM_ServersTable"`)
			if _, err := s.db.Exec(`INSERT INTO "ADM_ServersTable" ("RecordId", "ADDomainRecordId", "ADDomain", "ConfigurationRetrievalFlag",
				"IPAddresses", "ManagementStatus", "Name", "NewFlag", "OSVersion", "ServerGuid")
				VALUES (`+p(1)+`, 1, 'contoso.com', 'Complete', '["10.9.9.9", "2001:db8::9"]', 'Unmanaged', 'added.contoso.com', 'New', '10.0',
				'11111111-2222-4333-8444-555555555555')`, next); err != nil {
				t.Fatalf("add a server: %v", err)
			}
			field := one(`SELECT MIN("RecordId") FROM "ADM_CustomFieldsTable"`)
			if _, err := s.db.Exec(`INSERT INTO "ADM_CustomFieldValuesAssociationTable" ("RecordId", "ObjectType", "Af", "UsedById", "CustomFieldId", "Value")
				VALUES (`+p(1)+`, 'ServerInfo', 'Unspecified', `+p(2)+`, `+p(3)+`, 'rack 4')`,
				one(`SELECT COALESCE(MAX("RecordId"), 0) + 1 FROM "ADM_CustomFieldValuesAssociationTable"`), next, field); err != nil {
				t.Fatalf("associate a value: %v", err)
			}

			role := one(`SELECT COALESCE(MAX("RecordId"), 0) + 1 FROM "ADM_ServerRolesTable"`)
			for i, flag := range []string{"Dns", "Dhcp"} {
				if _, err := s.db.Exec(`INSERT INTO "ADM_ServerRolesTable" ("RecordId", "ServerRecordID", "ServerRoleFlag", "ServerRoleInclusionStatus",
					"ServiceStatus") VALUES (`+p(1)+`, `+p(2)+`, `+p(3)+`, `+p(4)+`, 'Stopped')`, role+int64(i), next, flag, i == 0); err != nil {
					t.Fatalf("add a role: %v", err)
				}
			}

			// The test's own reading.
			roles := map[int64][]string{}
			rrows, err := s.db.Query(`SELECT "ServerRecordID", "RecordId", "ServerRoleFlag" FROM "ADM_ServerRolesTable" ORDER BY "RecordId"`)
			if err != nil {
				t.Fatal(err)
			}
			for rrows.Next() {
				var server, id int64
				var flag string
				if err := rrows.Scan(&server, &id, &flag); err != nil {
					t.Fatal(err)
				}
				roles[server] = append(roles[server], fmt.Sprintf("%d:%s", id, flag))
			}
			if err := rrows.Close(); err != nil {
				t.Fatal(err)
			}
			var want []serverOf
			rows, err := s.db.Query(`SELECT sv."RecordId", sv."Name", sv."ServerGuid", COALESCE(sv."IPAddresses", ''),
				(SELECT COUNT(*) FROM "ADM_CustomFieldValuesAssociationTable" c WHERE c."ObjectType" = 'ServerInfo' AND c."UsedById" = sv."RecordId")
				FROM "ADM_ServersTable" sv ORDER BY sv."RecordId"`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var (
					w       serverOf
					addrs   string
					customs int
				)
				if err := rows.Scan(&w.id, &w.name, &w.guid, &addrs, &customs); err != nil {
					t.Fatal(err)
				}
				w.addresses = strings.NewReplacer(`"`, "", "[", "", "]", "", " ", "").Replace(addrs)
				w.customs = fmt.Sprint(customs)
				w.roles = strings.Join(roles[w.id], ",")
				want = append(want, w)
			}
			if err := rows.Close(); err != nil {
				t.Fatal(err)
			}
			if len(want) < 4 {
				t.Fatalf("the store has %d servers; the test needs the converted ones and its own", len(want))
			}

			read := func(q RowQuery, ids []int64) []serverOf {
				t.Helper()
				var got []serverOf
				emit := func(o ipam.AnyIpamObject) error {
					v, ok := o.(*ipam.ServerInfoRow)
					if !ok {
						return fmt.Errorf("row of type %T", o)
					}
					var as, rs []string
					for _, a := range v.IPAddresses {
						as = append(as, a.String())
					}
					if v.ServerRoleCollection == nil {
						return fmt.Errorf("server %d: ServerRoleCollection nil, want a collection", v.RecordID)
					}
					for _, r := range v.ServerRoleCollection {
						rs = append(rs, fmt.Sprintf("%d:%s", r.RecordID, r.ServerRoleFlag))
					}
					got = append(got, serverOf{id: v.RecordID, name: deref(v.Name), guid: deref(v.ServerGuid),
						addresses: strings.Join(as, ","), customs: fmt.Sprint(len(v.ServerCustomDataCollection)),
						roles: strings.Join(rs, ",")})
					if v.RecordID == next {
						if len(v.ServerCustomDataCollection) != 1 || v.ServerCustomDataCollection[0].Value != "rack 4" ||
							v.ServerCustomDataCollection[0].ParentCustomFieldRecordID != field {
							return fmt.Errorf("server %d: custom field values %+v", next, v.ServerCustomDataCollection)
						}
						if r := v.ServerRoleCollection; len(r) != 2 || !r[0].ServerRoleInclusionStatus || r[1].ServerRoleInclusionStatus || r[0].ServiceStatus != "Stopped" {
							return fmt.Errorf("server %d: roles %+v %+v", next, r[0], r[1])
						}
						if v.ManagementStatus != "Unmanaged" || v.NewFlag != "New" || v.OSVersion != "10.0" || v.ConfigurationRetrievalFlag != "Complete" {
							return fmt.Errorf("server %d: %+v", next, v)
						}
					}
					return nil
				}
				if ids != nil {
					tx, err := s.db.BeginTx(ctx, nil)
					if err != nil {
						t.Fatal(err)
					}
					defer func() { _ = tx.Rollback() }()
					if err := s.ServerInfoRows(ctx, tx, ids, emit); err != nil {
						t.Fatal(err)
					}
					return got
				}
				if err := s.EnumerateRows(ctx, q, emit); err != nil {
					t.Fatal(err)
				}
				return got
			}
			q, exc := services.RowQueryFor(&ipam.ServerInfoEnumerationParameters{
				EnumerationParametersBase: ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeServerInfo}})
			if exc != nil {
				t.Fatal(exc)
			}
			if got := read(*q, nil); !slices.Equal(got, want) {
				t.Errorf("ServerInfo rows:\n got %+v\nwant %+v", got, want)
			}
			// By id: the last and the first server, and an id no server has.
			ids := []int64{next, want[0].id, next + 1000}
			sub := []serverOf{want[0], want[len(want)-1]}
			if got := read(RowQuery{}, ids); !slices.Equal(got, sub) {
				t.Errorf("ServerInfoRows(%v):\n got %+v\nwant %+v", ids, got, sub)
			}
			if got := read(RowQuery{}, []int64{}); len(got) != 0 {
				t.Errorf("ServerInfoRows(no id) = %+v, want none", got)
			}
		})
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// TestEnumerateDataCollectionTypes: each of the 37 DHCP, DNS and audit
// parameter types is an empty enumeration when the table it selects from
// exists and holds no row, and IpamApiInvalidEnumeration (no row) when it
// holds rows (a converted v1 store has DHCP scopes, servers, reservations,
// DNS servers and zones) or when the store lacks the table (dropped here).
// Which applies is decided by the test's own look at the tables. Both
// engines. Rule E22.
func TestEnumerateDataCollectionTypes(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			s := convertedStore(t, e.Dialect, 20)
			ctx := context.Background()
			dropped := schema.DhcpFilterTable
			drop := `DROP TABLE "` + dropped + `"`
			if e.Dialect == schema.PostgreSQL {
				drop += " CASCADE"
			}
			if _, err := s.db.Exec(drop); err != nil {
				t.Fatal(err)
			}
			names := make([]string, 0, len(services.DataCollectionTypes))
			for n := range services.DataCollectionTypes {
				names = append(names, n)
			}
			sort.Strings(names)
			outcomes := map[string]int{}
			for _, name := range names {
				dt := services.DataCollectionTypes[name]
				p := dt.New()
				p.GetEnumerationParametersBase().ObjectType = dt.Object
				q, exc := services.RowQueryFor(p)
				if exc != nil {
					t.Fatalf("%s: %v", name, exc)
				}
				// The test's own look: does the table exist, does it hold rows?
				want := "empty"
				for _, table := range dt.Tables {
					if table == dropped {
						want = "missing"
						break
					}
					var one int
					err := s.db.QueryRow(`SELECT 1 FROM ` + schema.Quote(table) + ` LIMIT 1`).Scan(&one)
					if err == nil {
						want = "rows"
					} else if !errors.Is(err, sql.ErrNoRows) {
						t.Fatalf("%s: %v", table, err)
					}
				}
				outcomes[want]++
				n := 0
				err := s.EnumerateRows(ctx, *q, func(ipam.AnyIpamObject) error { n++; return nil })
				if n != 0 {
					t.Errorf("%s: %d rows, want none", name, n)
				}
				var ie *ipam.IpamException
				switch {
				case want == "empty" && err != nil:
					t.Errorf("%s (%v empty): %v, want an empty enumeration", name, dt.Tables, err)
				case want != "empty" && (!errors.As(err, &ie) || ie.ExceptionID != ipam.IpamApiInvalidEnumeration):
					t.Errorf("%s (%v %s): %v, want IpamApiInvalidEnumeration", name, dt.Tables, want, err)
				}
			}
			// The store must exercise every outcome, or the test proves less
			// than it says.
			for _, o := range []string{"empty", "rows", "missing"} {
				if outcomes[o] == 0 {
					t.Errorf("no parameter type met a table that is %s (%v)", o, outcomes)
				}
			}
		})
	}
}
