package ipam_test

import (
	"testing"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

// TestServerInfoFilterDecode: ServerInfoEnumerationParameters.Filter as a
// WCF client sends a Dictionary<int, object> (serarr:KeyValueOfintanyType
// items, each value with its own i:type) is read entry by entry; a DHCP
// reservation parameter type of the ipam1 namespace and a DNS type without
// declared members are read as their types, their members skipped; an
// entry without Key or with a Key that is not an int is a broken message.
func TestServerInfoFilterDecode(t *testing.T) {
	const head = `<InitializeEnumeration` + ns + ` xmlns:a="http://schemas.microsoft.com/2003/10/Serialization/Arrays" xmlns:d="http://www.w3.org/2001/XMLSchema">` +
		`<parameters i:type="ServerInfoEnumerationParameters"><FetchAllData>false</FetchAllData><IncludeCustomFieldValues>false</IncludeCustomFieldValues>` +
		`<ObjectType>ServerInfo</ObjectType><Filter>`
	const tail = `</Filter></parameters></InitializeEnumeration>`
	doc := head + `<a:KeyValueOfintanyType><a:Key>2</a:Key><a:Value i:type="d:string">dhcp1</a:Value></a:KeyValueOfintanyType>` +
		`<a:KeyValueOfintanyType><a:Key>0</a:Key><a:Value i:nil="true"/></a:KeyValueOfintanyType>` + tail
	var req ipam.InitializeEnumeration
	if err := decodeText(t, doc, &req); err != nil {
		t.Fatal(err)
	}
	p, ok := req.Parameters.(*ipam.ServerInfoEnumerationParameters)
	if !ok {
		t.Fatalf("parameters %T", req.Parameters)
	}
	if len(p.Filter) != 2 || p.Filter[0].Key != 2 || p.Filter[0].Value.Value == nil || *p.Filter[0].Value.Value != "dhcp1" ||
		p.Filter[1].Key != 0 || p.Filter[1].Value.Value != nil {
		t.Fatalf("filter %+v %+v", p.Filter[0], p.Filter[1])
	}

	for _, tc := range []struct{ typ, prefix string }{
		{"DhcpReservationAllEnumerationParameters", `xmlns:r="http://schemas.datacontract.org/2004/07/Microsoft.Windows.Ipam" i:type="r:`},
		{"DnsZoneEnumerationParameters", `i:type="`},
	} {
		doc := `<InitializeEnumeration` + ns + `><parameters ` + tc.prefix + tc.typ + `"><FetchAllData>false</FetchAllData>` +
			`<IncludeCustomFieldValues>false</IncludeCustomFieldValues><ObjectType>DhcpReservation</ObjectType>` +
			`<AddressFamily>InterNetwork</AddressFamily><Filter i:nil="true"/></parameters></InitializeEnumeration>`
		var req ipam.InitializeEnumeration
		if err := decodeText(t, doc, &req); err != nil {
			t.Fatalf("%s: %v", tc.typ, err)
		}
		if got := req.Parameters.GetEnumerationParametersBase().ObjectType; got != ipam.EnumerationObjectTypeDhcpReservation {
			t.Errorf("%s: ObjectType %s", tc.typ, got)
		}
	}

	for _, bad := range []string{
		`<a:KeyValueOfintanyType><a:Value i:type="d:string">x</a:Value></a:KeyValueOfintanyType>`,
		`<a:KeyValueOfintanyType><a:Key>two</a:Key></a:KeyValueOfintanyType>`,
		`<a:KeyValueOfintanyType><a:Key>1</a:Key><a:Key>2</a:Key></a:KeyValueOfintanyType>`,
	} {
		var req ipam.InitializeEnumeration
		if err := decodeText(t, head+bad+tail, &req); err == nil {
			t.Errorf("%s: read, want a broken message", bad)
		}
	}
}

// FuzzServerInfoFilter feeds the Filter reader of
// ServerInfoEnumerationParameters arbitrary entries: it never panics, and
// what it reads writes back and reads again the same (keys and values).
func FuzzServerInfoFilter(f *testing.F) {
	f.Add(`<a:KeyValueOfintanyType><a:Key>2</a:Key><a:Value i:type="d:string">dhcp1</a:Value></a:KeyValueOfintanyType>`)
	f.Add(`<a:KeyValueOfintanyType><a:Key>-1</a:Key><a:Value i:nil="true"/></a:KeyValueOfintanyType>`)
	f.Add(`<a:KeyValueOfintanyType><a:Key>1</a:Key><a:Value i:type="n:IPAddress"><n:m_Address>1</n:m_Address><n:m_Family>InterNetwork</n:m_Family></a:Value></a:KeyValueOfintanyType>`)
	f.Fuzz(func(t *testing.T, items string) {
		doc := `<InitializeEnumeration` + ns + ` xmlns:a="http://schemas.microsoft.com/2003/10/Serialization/Arrays" xmlns:d="http://www.w3.org/2001/XMLSchema" xmlns:n="http://schemas.datacontract.org/2004/07/System.Net">` +
			`<parameters i:type="ServerInfoEnumerationParameters"><FetchAllData>false</FetchAllData><IncludeCustomFieldValues>false</IncludeCustomFieldValues>` +
			`<ObjectType>ServerInfo</ObjectType><Filter>` + items + `</Filter></parameters></InitializeEnumeration>`
		var req ipam.InitializeEnumeration
		if err := decodeText(t, doc, &req); err != nil {
			return
		}
		p, ok := req.Parameters.(*ipam.ServerInfoEnumerationParameters)
		if !ok {
			t.Fatalf("parameters %T", req.Parameters)
		}
		again, ok := readBack(t, &req)
		if !ok {
			return // a text the writer refuses (e.g. a control character)
		}
		q := again.Parameters.(*ipam.ServerInfoEnumerationParameters)
		if len(q.Filter) != len(p.Filter) {
			t.Fatalf("%d entries, then %d", len(p.Filter), len(q.Filter))
		}
		for i, c := range p.Filter {
			d := q.Filter[i]
			if (c == nil) != (d == nil) {
				t.Fatalf("entry %d: %v, then %v", i, c, d)
			}
			if c == nil {
				continue
			}
			if c.Key != d.Key || (c.Value.Value == nil) != (d.Value.Value == nil) || (c.Value.Value != nil && *c.Value.Value != *d.Value.Value) {
				t.Fatalf("entry %d: %+v, then %+v", i, c, d)
			}
		}
	})
}
