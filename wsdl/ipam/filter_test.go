package ipam_test

import (
	"errors"
	"testing"

	"github.com/ipamd/ipamd/soap/textxml"
	"github.com/ipamd/ipamd/soap/xmlstream"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// TestFilterInfoDecode: the FilterInfo criteria of the ByFilter parameter
// types as a WCF client sends them (each value with its own i:type): text
// values of XSD and IPAM types, a sysnet:IPAddress (IPv4 and IPv6), i:nil,
// a complex value of another type (kept as unsupported, not a broken
// message), and what is refused as a broken message.
func TestFilterInfoDecode(t *testing.T) {
	const head = `<InitializeEnumeration` + ns + ` xmlns:b="http://schemas.datacontract.org/2004/07/System" xmlns:d="http://www.w3.org/2001/XMLSchema" xmlns:n="http://schemas.datacontract.org/2004/07/System.Net">` +
		`<parameters i:type="IpamIPSubnetByFilterEnumerationParameters"><FetchAllData>false</FetchAllData><IncludeCustomFieldValues>false</IncludeCustomFieldValues>` +
		`<ObjectType>IPSubnet</ObjectType><AddressFamily>InterNetwork</AddressFamily><FilterInfo>`
	const tail = `</FilterInfo></parameters></InitializeEnumeration>`
	tuple := func(key, value string) string {
		return `<b:TupleOfGetIPSubnetFilteranyType2zwQHvQz><b:m_Item1>` + key + `</b:m_Item1>` + value + `</b:TupleOfGetIPSubnetFilteranyType2zwQHvQz>`
	}
	ipv4 := `<b:m_Item2 i:type="n:IPAddress"><n:m_Address>16779786</n:m_Address><n:m_Family>InterNetwork</n:m_Family><n:m_HashCode>0</n:m_HashCode>` +
		`<n:m_Numbers xmlns:a="http://schemas.microsoft.com/2003/10/Serialization/Arrays"><a:unsignedShort>0</a:unsignedShort></n:m_Numbers><n:m_ScopeId>0</n:m_ScopeId></b:m_Item2>`
	ipv6 := `<b:m_Item2 i:type="n:IPAddress"><n:m_Address>0</n:m_Address><n:m_Family>InterNetworkV6</n:m_Family>` +
		`<n:m_Numbers xmlns:a="http://schemas.microsoft.com/2003/10/Serialization/Arrays"><a:unsignedShort>8193</a:unsignedShort><a:unsignedShort>3512</a:unsignedShort></n:m_Numbers></b:m_Item2>`
	doc := head + tuple("AddressSpaceName", `<b:m_Item2 i:type="d:string">Default</b:m_Item2>`) +
		tuple("PrefixLength", `<b:m_Item2 i:type="d:int">24</b:m_Item2>`) +
		tuple("VirtualizationType", `<b:m_Item2 i:type="IPVirtualizationType">Fabric Virtual</b:m_Item2>`) +
		tuple("NetworkId", ipv4) + tuple("NetworkId", ipv6) +
		tuple("LogicalNetwork", `<b:m_Item2 i:nil="true"/>`) +
		tuple("EmptySubnets", `<b:m_Item2 i:type="n:Other"><n:x>1</n:x></b:m_Item2>`) + tail
	var req ipam.InitializeEnumeration
	if err := decodeText(t, doc, &req); err != nil {
		t.Fatal(err)
	}
	p, ok := req.Parameters.(*ipam.IpamIPSubnetByFilterEnumerationParameters)
	if !ok {
		t.Fatalf("parameters %T", req.Parameters)
	}
	want := []struct {
		key, value, typ string
		unsupported     bool
	}{
		{"AddressSpaceName", "Default", "{http://www.w3.org/2001/XMLSchema}string", false},
		{"PrefixLength", "24", "{http://www.w3.org/2001/XMLSchema}int", false},
		{"VirtualizationType", "Fabric Virtual", "{http://Microsoft.Windows.Ipam}IPVirtualizationType", false},
		{"NetworkId", "10.10.0.1", "{http://schemas.datacontract.org/2004/07/System.Net}IPAddress", false},
		{"NetworkId", "2001:db8::", "{http://schemas.datacontract.org/2004/07/System.Net}IPAddress", false},
		{"LogicalNetwork", "<nil>", "", false},
		{"EmptySubnets", "<nil>", "{http://schemas.datacontract.org/2004/07/System.Net}Other", true},
	}
	if len(p.FilterInfo) != len(want) {
		t.Fatalf("%d criteria, want %d", len(p.FilterInfo), len(want))
	}
	for i, w := range want {
		c := p.FilterInfo[i].FilterCriterion
		v := "<nil>"
		if c.Value != nil {
			v = *c.Value
		}
		if c.Key != w.key || v != w.value || c.ValueType != w.typ || c.Unsupported != w.unsupported {
			t.Errorf("criterion %d: %+v (value %q), want %+v", i, c, v, w)
		}
	}
	for name, bad := range map[string]string{
		"no key":              head + `<b:TupleOfGetIPSubnetFilteranyType2zwQHvQz><b:m_Item2>x</b:m_Item2></b:TupleOfGetIPSubnetFilteranyType2zwQHvQz>` + tail,
		"two keys":            head + `<b:TupleOfGetIPSubnetFilteranyType2zwQHvQz><b:m_Item1>a</b:m_Item1><b:m_Item1>b</b:m_Item1></b:TupleOfGetIPSubnetFilteranyType2zwQHvQz>` + tail,
		"bad IPv4 address":    head + tuple("NetworkId", `<b:m_Item2 i:type="n:IPAddress"><n:m_Address>-1</n:m_Address><n:m_Family>InterNetwork</n:m_Family></b:m_Item2>`) + tail,
		"nine IPv6 numbers":   head + tuple("NetworkId", `<b:m_Item2 i:type="n:IPAddress"><n:m_Family>InterNetworkV6</n:m_Family><n:m_Numbers>`+nine()+`</n:m_Numbers></b:m_Item2>`) + tail,
		"no address family":   head + tuple("NetworkId", `<b:m_Item2 i:type="n:IPAddress"><n:m_Address>1</n:m_Address></b:m_Item2>`) + tail,
		"element in a string": head + tuple("AddressSpaceName", `<b:m_Item2 i:type="d:string"><x/></b:m_Item2>`) + tail,
	} {
		var req ipam.InitializeEnumeration
		if err := decodeText(t, bad, &req); err == nil {
			t.Errorf("%s: decoded", name)
		} else if !errors.Is(err, ipam.ErrInvalidMessage) && !errors.Is(err, xmlstream.ErrMalformed) {
			t.Errorf("%s: %v, want a broken message", name, err)
		}
	}
}

func nine() string {
	s := ""
	for range 9 {
		s += `<a:unsignedShort xmlns:a="http://schemas.microsoft.com/2003/10/Serialization/Arrays">1</a:unsignedShort>`
	}
	return s
}

// TestFilterInfoRoundTrip: a criterion written as a client sends it reads
// back the same.
func TestFilterInfoRoundTrip(t *testing.T) {
	v := "Provider"
	in := &ipam.InitializeEnumeration{Parameters: &ipam.AddressSpaceByFilterEnumerationParameters{
		EnumerationParametersBase: ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeAddressSpace},
		FilterInfo: []*ipam.TupleOfGetAddressSpaceFilteranyType2zwQHvQz{
			{FilterCriterion: ipam.FilterCriterion{Key: "IPAddressSpaceType", Value: &v}},
			{FilterCriterion: ipam.FilterCriterion{Key: "MappingProviderAddressSpaceName"}},
		}}}
	w := textxml.NewWriter(nil)
	if err := in.WriteBody(w); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var out ipam.InitializeEnumeration
	if err := decodeText(t, string(w.Bytes()), &out); err != nil {
		t.Fatalf("%v\n%s", err, w.Bytes())
	}
	got := out.Parameters.(*ipam.AddressSpaceByFilterEnumerationParameters).FilterInfo
	if len(got) != 2 || got[0].Key != "IPAddressSpaceType" || *got[0].Value != "Provider" ||
		got[0].ValueType != "{http://www.w3.org/2001/XMLSchema}string" || got[1].Value != nil {
		t.Errorf("round trip: %+v %+v\n%s", got[0], got[1], w.Bytes())
	}
}

// FuzzFilterInfo feeds the FilterInfo reader arbitrary criteria: it never
// panics, and what it reads writes back and reads again the same (keys and
// values).
func FuzzFilterInfo(f *testing.F) {
	f.Add(`<b:TupleOfGetAddressSpaceFilteranyType2zwQHvQz><b:m_Item1>IPAddressSpaceType</b:m_Item1><b:m_Item2 i:type="d:string">Provider</b:m_Item2></b:TupleOfGetAddressSpaceFilteranyType2zwQHvQz>`)
	f.Add(`<b:TupleOfGetAddressSpaceFilteranyType2zwQHvQz><b:m_Item1>x</b:m_Item1><b:m_Item2 i:type="n:IPAddress"><n:m_Address>1</n:m_Address><n:m_Family>InterNetwork</n:m_Family></b:m_Item2></b:TupleOfGetAddressSpaceFilteranyType2zwQHvQz>`)
	f.Add(`<b:TupleOfGetAddressSpaceFilteranyType2zwQHvQz><b:m_Item1>k</b:m_Item1><b:m_Item2 i:nil="true"/></b:TupleOfGetAddressSpaceFilteranyType2zwQHvQz>`)
	f.Fuzz(func(t *testing.T, items string) {
		doc := `<InitializeEnumeration` + ns + ` xmlns:b="http://schemas.datacontract.org/2004/07/System" xmlns:d="http://www.w3.org/2001/XMLSchema" xmlns:n="http://schemas.datacontract.org/2004/07/System.Net">` +
			`<parameters i:type="AddressSpaceByFilterEnumerationParameters"><FetchAllData>false</FetchAllData><IncludeCustomFieldValues>false</IncludeCustomFieldValues>` +
			`<ObjectType>AddressSpace</ObjectType><FilterInfo>` + items + `</FilterInfo></parameters></InitializeEnumeration>`
		var req ipam.InitializeEnumeration
		if err := decodeText(t, doc, &req); err != nil {
			return
		}
		p, ok := req.Parameters.(*ipam.AddressSpaceByFilterEnumerationParameters)
		if !ok {
			t.Fatalf("parameters %T", req.Parameters)
		}
		again, ok := readBack(t, &req)
		if !ok {
			return // a text the writer refuses (e.g. a control character)
		}
		q := again.Parameters.(*ipam.AddressSpaceByFilterEnumerationParameters)
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
