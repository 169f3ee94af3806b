package services

import (
	"slices"
	"sort"
	"testing"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

// TestRowQueryForServers: ServerInfoEnumerationParameters reads every server
// (no Filter, or an empty one) and refuses a Filter key; each of the 37
// DHCP, DNS and audit parameter types selects DataCollectionRows of its
// table, and is IpamApiInvalidEnumeration under another ObjectType. Rule E22.
func TestRowQueryForServers(t *testing.T) {
	si := ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeServerInfo}
	for _, tc := range []struct {
		name string
		p    ipam.AnyEnumerationParametersBase
		exc  string
	}{
		{"every server", &ipam.ServerInfoEnumerationParameters{EnumerationParametersBase: si}, ""},
		{"empty filter", &ipam.ServerInfoEnumerationParameters{EnumerationParametersBase: si, Filter: []*ipam.KeyValueOfintanyType{}}, ""},
		{"a filter key", &ipam.ServerInfoEnumerationParameters{EnumerationParametersBase: si, Filter: []*ipam.KeyValueOfintanyType{{Key: 1}}},
			ipam.IpamApiInvalidParameter},
		{"other object type", &ipam.ServerInfoEnumerationParameters{
			EnumerationParametersBase: ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeDhcpServer}}, ipam.IpamApiInvalidEnumeration},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, exc := RowQueryFor(tc.p)
			switch {
			case tc.exc == "" && exc != nil:
				t.Fatalf("refused: %v", exc)
			case tc.exc != "" && (exc == nil || exc.ExceptionID != tc.exc):
				t.Fatalf("got %v, want %s", exc, tc.exc)
			case tc.exc == "" && q.Kind != ServerInfoRows:
				t.Fatalf("kind %d, want ServerInfoRows", q.Kind)
			}
		})
	}

	names := make([]string, 0, len(DataCollectionTypes))
	for n := range DataCollectionTypes {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) != 37 {
		t.Errorf("%d DHCP, DNS and audit types, want the logic table's 37", len(names))
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			dt := DataCollectionTypes[name]
			p := dt.New()
			if typeName(p) != name {
				t.Fatalf("the entry makes a %s", typeName(p))
			}
			if len(dt.Tables) != 1 {
				t.Fatalf("tables %v, want the one it selects from", dt.Tables)
			}
			p.GetEnumerationParametersBase().ObjectType = dt.Object
			q, exc := RowQueryFor(p)
			if exc != nil {
				t.Fatalf("refused: %v", exc)
			}
			if q.Kind != DataCollectionRows || !slices.Equal(q.Tables, dt.Tables) {
				t.Errorf("query %+v, want DataCollectionRows of %v", q, dt.Tables)
			}
			p.GetEnumerationParametersBase().ObjectType = ipam.EnumerationObjectTypeIPRange
			if _, exc := RowQueryFor(p); exc == nil || exc.ExceptionID != ipam.IpamApiInvalidEnumeration {
				t.Errorf("ObjectType IPRange: %v, want IpamApiInvalidEnumeration", exc)
			}
		})
	}
}
