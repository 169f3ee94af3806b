package client

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ipamd/ipamd/services"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// TestEnumerateServersOverNetTCP: over net.tcp (binary session encoding)
// through the framing's listener, ServerInfoEnumerationParameters brings
// the servers of a converted v1 store as ServerInfo rows, one for one, and
// refuses a Filter entry at Initialize (IpamApiInvalidParameter); and
// every DHCP, DNS and audit parameter type (sent with the i:type the WSDL
// declares, the reservation types in the ipam1 namespace) ends with
// NotifyEnumerationComplete without rows: no exception where the table it
// selects from is empty, IpamApiInvalidEnumeration where it holds rows, as
// the test's own look at the store says. Rules E21, E22.
func TestEnumerateServersOverNetTCP(t *testing.T) {
	s := convertedSQLite(t, 100)
	uri := startEnumerator(t, s, 8<<10)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	db := s.DB()
	enumerate := func(params ipam.AnyEnumerationParametersBase) ([]*ipam.GenericRow, error) {
		t.Helper()
		c := &Client{}
		conn, err := c.Dial(ctx, uri)
		if err != nil {
			t.Fatal(err)
		}
		var got []*ipam.GenericRow
		_, err = c.Enumerate(ctx, conn, params, func(rows []*ipam.GenericRow) error {
			got = append(got, rows...)
			return nil
		}, nil)
		return got, err
	}

	var want []string
	rows, err := db.QueryContext(ctx, `SELECT "RecordId", "Name", "ServerGuid" FROM "ADM_ServersTable" ORDER BY "RecordId"`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var name, guid string
		if err := rows.Scan(&id, &name, &guid); err != nil {
			t.Fatal(err)
		}
		want = append(want, fmt.Sprintf("ServerInfo %d %s %s", id, name, guid))
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := enumerate(&ipam.ServerInfoEnumerationParameters{
		EnumerationParametersBase: ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeServerInfo}})
	if err != nil {
		t.Fatal(err)
	}
	var gotKeys []string
	for _, r := range got {
		gotKeys = append(gotKeys, fmt.Sprintf("%s %v %v %v", r.Type, r.Get("RecordId"), r.Get("Name"), r.Get("ServerGuid")))
	}
	if len(want) == 0 || !slices.Equal(gotKeys, want) {
		t.Errorf("servers %q, the store %q", gotKeys, want)
	}

	// A Filter entry is refused at Initialize, its key quoted as a number
	// only (the value, the client's text, is not echoed).
	long := strings.Repeat("x", 4000)
	_, err = enumerate(&ipam.ServerInfoEnumerationParameters{
		EnumerationParametersBase: ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeServerInfo},
		Filter:                    []*ipam.KeyValueOfintanyType{{Key: 7, Value: ipam.FilterCriterion{Value: &long}}}})
	var re *RemoteError
	if !errors.As(err, &re) || re.Exception == nil || re.Exception.ExceptionID != ipam.IpamApiInvalidParameter ||
		!strings.Contains(re.Exception.Message, "key 7") || strings.Contains(re.Exception.Message, "xxxx") {
		t.Errorf("a Filter entry: %v, want IpamApiInvalidParameter naming key 7 without its value", err)
	}

	names := make([]string, 0, len(services.DataCollectionTypes))
	for n := range services.DataCollectionTypes {
		names = append(names, n)
	}
	sort.Strings(names)
	outcomes := map[bool]int{}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			dt := services.DataCollectionTypes[name]
			p := dt.New()
			p.GetEnumerationParametersBase().ObjectType = dt.Object
			var one int
			err := db.QueryRowContext(ctx, `SELECT 1 FROM "`+dt.Tables[0]+`" LIMIT 1`).Scan(&one)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				t.Fatal(err)
			}
			empty := errors.Is(err, sql.ErrNoRows)
			outcomes[empty]++
			got, err := enumerate(p)
			if len(got) != 0 {
				t.Errorf("%d rows, want none", len(got))
			}
			var re *RemoteError
			switch {
			case empty && err != nil:
				t.Errorf("%s is empty: %v, want an empty enumeration", dt.Tables[0], err)
			case !empty && (!errors.As(err, &re) || re.Exception == nil || re.Exception.ExceptionID != ipam.IpamApiInvalidEnumeration):
				t.Errorf("%s holds rows: %v, want IpamApiInvalidEnumeration", dt.Tables[0], err)
			}
		})
	}
	if outcomes[true] == 0 || outcomes[false] == 0 {
		t.Errorf("the store gave only one outcome (empty: %d, rows: %d)", outcomes[true], outcomes[false])
	}
}
