package ipam_test

import (
	"testing"

	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

const filterHead = `<InitializeEnumeration` + ns + ` xmlns:b="http://schemas.datacontract.org/2004/07/System" xmlns:d="http://www.w3.org/2001/XMLSchema" xmlns:n="http://schemas.datacontract.org/2004/07/System.Net">`

// TestRangeAddressFilterInfoDecode: the FilterInfo criteria of
// IPRangeByFilterEnumerationParameters and
// IpamIPAddressByFilterEnumerationParameters as a WCF client sends them:
// each tuple in its own element name, values typed as XSD, IPAM and
// sysnet:IPAddress values, i:nil; a tuple of another ByFilter type in the
// list is not one of its criteria (skipped, as any unknown element).
func TestRangeAddressFilterInfoDecode(t *testing.T) {
	params := func(typ, object, items string) string {
		return filterHead + `<parameters i:type="` + typ + `"><FetchAllData>false</FetchAllData><IncludeCustomFieldValues>false</IncludeCustomFieldValues>` +
			`<ObjectType>` + object + `</ObjectType><AddressFamily>InterNetwork</AddressFamily><FilterInfo>` + items + `</FilterInfo></parameters></InitializeEnumeration>`
	}
	tuple := func(name, key, value string) string {
		return `<b:` + name + `><b:m_Item1>` + key + `</b:m_Item1>` + value + `</b:` + name + `>`
	}
	const rt, at = "TupleOfGetIPRangeFilteranyType2zwQHvQz", "TupleOfGetIpamIPAddressFilteranyType2zwQHvQz"
	ipv4 := `<b:m_Item2 i:type="n:IPAddress"><n:m_Address>16779786</n:m_Address><n:m_Family>InterNetwork</n:m_Family></b:m_Item2>`

	var req ipam.InitializeEnumeration
	if err := decodeText(t, params("IPRangeByFilterEnumerationParameters", "IPRange",
		tuple(rt, "StartIP", ipv4)+tuple(rt, "AddressSpaceId", `<b:m_Item2 i:type="d:long">1</b:m_Item2>`)+
			tuple(at, "IpAddress", ipv4)+tuple(rt, "AddressCategory", `<b:m_Item2 i:type="AddressCategory">Private</b:m_Item2>`)+
			tuple(rt, "Unmapped", `<b:m_Item2 i:nil="true"/>`)), &req); err != nil {
		t.Fatal(err)
	}
	r, ok := req.Parameters.(*ipam.IPRangeByFilterEnumerationParameters)
	if !ok {
		t.Fatalf("parameters %T", req.Parameters)
	}
	var got []string
	for _, c := range r.FilterInfo {
		v := "<nil>"
		if c.Value != nil {
			v = *c.Value
		}
		got = append(got, c.Key+"="+v+" "+c.ValueType)
	}
	want := []string{
		"StartIP=10.10.0.1 {http://schemas.datacontract.org/2004/07/System.Net}IPAddress",
		"AddressSpaceId=1 {http://www.w3.org/2001/XMLSchema}long",
		"AddressCategory=Private {http://Microsoft.Windows.Ipam}AddressCategory",
		"Unmapped=<nil> ",
	}
	if len(got) != len(want) {
		t.Fatalf("criteria %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("criterion %d: %q, want %q", i, got[i], want[i])
		}
	}

	req = ipam.InitializeEnumeration{}
	if err := decodeText(t, params("IpamIPAddressByFilterEnumerationParameters", "IPAddress",
		tuple(at, "IpAddress", ipv4)+tuple(at, "ManagedByService", `<b:m_Item2 i:type="d:string">DHCP</b:m_Item2>`)), &req); err != nil {
		t.Fatal(err)
	}
	a, ok := req.Parameters.(*ipam.IpamIPAddressByFilterEnumerationParameters)
	if !ok {
		t.Fatalf("parameters %T", req.Parameters)
	}
	if len(a.FilterInfo) != 2 || a.FilterInfo[0].Key != "IpAddress" || *a.FilterInfo[0].Value != "10.10.0.1" ||
		a.FilterInfo[1].Key != "ManagedByService" || *a.FilterInfo[1].Value != "DHCP" {
		t.Errorf("address criteria %+v", a.FilterInfo)
	}
}

// FuzzRangeFilterInfo feeds the IPRangeByFilter FilterInfo reader
// arbitrary criteria: it never panics, and what it reads writes back and
// reads again the same (keys and values).
func FuzzRangeFilterInfo(f *testing.F) {
	f.Add(`<b:TupleOfGetIPRangeFilteranyType2zwQHvQz><b:m_Item1>StartIP</b:m_Item1><b:m_Item2 i:type="d:string">10.0.0.1</b:m_Item2></b:TupleOfGetIPRangeFilteranyType2zwQHvQz>`)
	f.Add(`<b:TupleOfGetIPRangeFilteranyType2zwQHvQz><b:m_Item1>EndIP</b:m_Item1><b:m_Item2 i:type="n:IPAddress"><n:m_Numbers><a:unsignedShort xmlns:a="http://schemas.microsoft.com/2003/10/Serialization/Arrays">1</a:unsignedShort></n:m_Numbers><n:m_Family>InterNetworkV6</n:m_Family></b:m_Item2></b:TupleOfGetIPRangeFilteranyType2zwQHvQz>`)
	f.Add(`<b:TupleOfGetIPRangeFilteranyType2zwQHvQz><b:m_Item1>Unmapped</b:m_Item1><b:m_Item2 i:nil="true"/></b:TupleOfGetIPRangeFilteranyType2zwQHvQz>`)
	f.Fuzz(func(t *testing.T, items string) {
		doc := filterHead + `<parameters i:type="IPRangeByFilterEnumerationParameters"><FetchAllData>false</FetchAllData><IncludeCustomFieldValues>false</IncludeCustomFieldValues>` +
			`<ObjectType>IPRange</ObjectType><FilterInfo>` + items + `</FilterInfo></parameters></InitializeEnumeration>`
		var req ipam.InitializeEnumeration
		if err := decodeText(t, doc, &req); err != nil {
			return
		}
		p, ok := req.Parameters.(*ipam.IPRangeByFilterEnumerationParameters)
		if !ok {
			t.Fatalf("parameters %T", req.Parameters)
		}
		again, ok := readBack(t, &req)
		if !ok {
			return // a text the writer refuses (e.g. a control character)
		}
		q := again.Parameters.(*ipam.IPRangeByFilterEnumerationParameters)
		if len(q.FilterInfo) != len(p.FilterInfo) {
			t.Fatalf("%d criteria, then %d", len(p.FilterInfo), len(q.FilterInfo))
		}
		for i, c := range p.FilterInfo {
			d := q.FilterInfo[i]
			if (c == nil) != (d == nil) {
				t.Fatalf("criterion %d: %v, then %v", i, c, d)
			}
			if c == nil {
				continue
			}
			if c.Key != d.Key || (c.Value == nil) != (d.Value == nil) || (c.Value != nil && *c.Value != *d.Value) {
				t.Fatalf("criterion %d: %+v, then %+v", i, c.FilterCriterion, d.FilterCriterion)
			}
		}
	})
}

// TestGenericNodeCollections: a client reading rows generically gets a
// node's AncestorNodes and a group's Fields as lists, also when they hold
// one item (a path of two levels, a group of one field), in both
// encodings: what `ipamd enumerate` prints as a node's Path.
func TestGenericNodeCollections(t *testing.T) {
	id := func(n int64) *int64 { return &n }
	name := "Managed by"
	rows := []ipam.AnyIpamObject{
		&ipam.LogicalGroupNode{Type: "Range", LogicalGroupRecordID: id(1), CustomFieldRecordID: id(9), NodeCustomFieldValueID: id(31),
			AncestorNodes: []*ipam.LogicalGroupNode{{Type: "Range", LogicalGroupRecordID: id(1), CustomFieldRecordID: id(8), NodeCustomFieldValueID: id(30)}}},
		&ipam.LogicalGroupRow{Type: "Range", RecordID: 1, Fields: []ipam.GroupField{{CustomFieldName: &name, CustomFieldRecordID: 8, RecordID: 1}}},
	}
	for _, enc := range []soap.Encoding{soap.EncodingText, soap.EncodingBinarySession} {
		ipam.AssignIDs(rows)
		p, err := soap.NewCodec(enc, soap.Limits{}).Encode(nil, &soap.Header{Action: ipam.ActionEnumeratedRowsCallback}, &ipam.EnumeratedRowsCallback{Data: rows})
		if err != nil {
			t.Fatal(err)
		}
		env, err := soap.NewCodec(enc, soap.Limits{}).Decode(p)
		if err != nil {
			t.Fatal(err)
		}
		var m ipam.EnumeratedRows
		if err := m.ReadBody(env.Body()); err != nil {
			t.Fatalf("%v: %v", enc, err)
		}
		if len(m.Rows) != 2 {
			t.Fatalf("%v: %d rows", enc, len(m.Rows))
		}
		ancestors, ok := m.Rows[0].Get("AncestorNodes").([]any)
		if !ok || len(ancestors) != 1 {
			t.Fatalf("%v: AncestorNodes %#v, want a list of one", enc, m.Rows[0].Get("AncestorNodes"))
		}
		if a, ok := ancestors[0].(*ipam.GenericRow); !ok || a.Get("NodeCustomFieldValueId") != "30" {
			t.Errorf("%v: ancestor %#v", enc, ancestors[0])
		}
		if fields, ok := m.Rows[1].Get("Fields").([]any); !ok || len(fields) != 1 {
			t.Errorf("%v: Fields %#v, want a list of one", enc, m.Rows[1].Get("Fields"))
		}
	}
}
