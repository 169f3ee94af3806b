package ipam_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ipamd/ipamd/soap/textxml"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

const dataBase = `<FetchAllData>false</FetchAllData><IncludeCustomFieldValues>false</IncludeCustomFieldValues><ObjectType>LogicalGroupData</ObjectType>`

// dataDoc is an InitializeEnumeration of LogicalGroupDataForLogicalGroupNode
// with the Filter's content (as a WCF client writes a Dictionary<int,
// object>: serarr entries, each value with its own i:type).
func dataDoc(filter string) string {
	return `<InitializeEnumeration` + ns + `><parameters i:type="LogicalGroupDataForLogicalGroupNodeEnumerationParameters">` + dataBase +
		`<Filter xmlns:b="http://schemas.microsoft.com/2003/10/Serialization/Arrays">` + filter + `</Filter>` +
		`<LogicalGroupNode i:type="ActiveServerV4LogicalGroupNode"><CustomFieldRecordId>9</CustomFieldRecordId><LogicalGroupRecordId>4</LogicalGroupRecordId>` +
		`<NodeCustomFieldValueId>284</NodeCustomFieldValueId></LogicalGroupNode></parameters></InitializeEnumeration>`
}

// TestGroupDataDecode: the three LogicalGroupData parameter types as a
// client sends them: the node or group (its i:type and ids), the
// LogicalGroupType and the Filter entries (an int key, a value with its
// own i:type, i:nil or a sysnet:IPAddress); an entry without a key, with a
// key twice or a key that is no int is a broken message.
func TestGroupDataDecode(t *testing.T) {
	var req ipam.InitializeEnumeration
	doc := dataDoc(`<b:KeyValueOfintanyType><b:Key>1</b:Key><b:Value i:type="c:string" xmlns:c="http://www.w3.org/2001/XMLSchema">Dhcp</b:Value></b:KeyValueOfintanyType>` +
		`<b:KeyValueOfintanyType><b:Key>-2</b:Key><b:Value i:nil="true"/></b:KeyValueOfintanyType>` +
		`<b:KeyValueOfintanyType><b:Key>3</b:Key><b:Value i:type="d:IPAddress" xmlns:d="http://schemas.datacontract.org/2004/07/System.Net">` +
		`<d:m_Address>16779786</d:m_Address><d:m_Family>InterNetwork</d:m_Family><d:m_HashCode>0</d:m_HashCode><d:m_Numbers i:nil="true"/><d:m_ScopeId>0</d:m_ScopeId></b:Value></b:KeyValueOfintanyType>`)
	if err := decodeText(t, doc, &req); err != nil {
		t.Fatal(err)
	}
	p, ok := req.Parameters.(*ipam.LogicalGroupDataForLogicalGroupNodeEnumerationParameters)
	if !ok || p.LogicalGroupNode == nil || p.LogicalGroupNode.Type != "ManagedServer" || *p.LogicalGroupNode.LogicalGroupRecordID != 4 {
		t.Fatalf("parameters %+v", req.Parameters)
	}
	if got, want := describeFilter(p.Filter, true), `[1="Dhcp" {http://www.w3.org/2001/XMLSchema}string -2=nil 3="10.10.0.1" {http://schemas.datacontract.org/2004/07/System.Net}IPAddress]`; got != want {
		t.Errorf("Filter %s, want %s", got, want)
	}
	for _, tc := range []struct {
		typ, group string
	}{
		{"LogicalGroupDataForRootAlternateItemsEnumerationParameters", "IpamIPv6AddressLogicalGroup"},
		{"LogicalGroupDataUnmappedItemsEnumerationParameters", "IPv4SubnetLogicalGroup"},
	} {
		doc := `<InitializeEnumeration` + ns + `><parameters i:type="` + tc.typ + `">` + dataBase + `<Filter i:nil="true"/>` +
			`<LogicalGroup i:type="` + tc.group + `"><RecordId>7</RecordId></LogicalGroup><LogicalGroupType>Subnet</LogicalGroupType></parameters></InitializeEnumeration>`
		if err := decodeText(t, doc, &req); err != nil {
			t.Fatalf("%s: %v", tc.typ, err)
		}
		var (
			g      *ipam.LogicalGroup
			lt     ipam.LogicalGroupType
			filter []*ipam.KeyValueOfintanyType
		)
		switch v := req.Parameters.(type) {
		case *ipam.LogicalGroupDataForRootAlternateItemsEnumerationParameters:
			g, lt, filter = v.LogicalGroup, v.LogicalGroupType, v.Filter
		case *ipam.LogicalGroupDataUnmappedItemsEnumerationParameters:
			g, lt, filter = v.LogicalGroup, v.LogicalGroupType, v.Filter
		default:
			t.Fatalf("%s: %T", tc.typ, v)
		}
		if g == nil || g.RecordID == nil || *g.RecordID != 7 || lt != ipam.LogicalGroupTypeSubnet || filter != nil {
			t.Errorf("%s: %+v %s %v", tc.typ, g, lt, filter)
		}
	}
	for name, filter := range map[string]string{
		"no key":           `<b:KeyValueOfintanyType><b:Value i:nil="true"/></b:KeyValueOfintanyType>`,
		"key twice":        `<b:KeyValueOfintanyType><b:Key>1</b:Key><b:Key>2</b:Key></b:KeyValueOfintanyType>`,
		"value twice":      `<b:KeyValueOfintanyType><b:Key>1</b:Key><b:Value>a</b:Value><b:Value>b</b:Value></b:KeyValueOfintanyType>`,
		"key not an int":   `<b:KeyValueOfintanyType><b:Key>` + strings.Repeat("9", 12) + `</b:Key></b:KeyValueOfintanyType>`,
		"key not a number": `<b:KeyValueOfintanyType><b:Key>Role</b:Key></b:KeyValueOfintanyType>`,
	} {
		if err := decodeText(t, dataDoc(filter), &req); err == nil {
			t.Errorf("%s: read", name)
		}
	}
}

// TestGroupDataRoundTrip: the LogicalGroupData parameter types written as
// a client writes them read back the same, Filter entries included.
func TestGroupDataRoundTrip(t *testing.T) {
	id, field, value := int64(4), int64(9), int64(284)
	text := "Dns"
	base := ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeLogicalGroupData}
	filter := []*ipam.KeyValueOfintanyType{{Key: 2, Value: ipam.FilterCriterion{Value: &text, ValueType: "{http://www.w3.org/2001/XMLSchema}string"}}, {Key: 5}}
	for _, p := range []ipam.AnyEnumerationParametersBase{
		&ipam.LogicalGroupDataForLogicalGroupNodeEnumerationParameters{EnumerationParametersBase: base, Filter: filter,
			LogicalGroupNode: &ipam.LogicalGroupNode{Type: "ManagedServer", IPv6: true, LogicalGroupRecordID: &id, CustomFieldRecordID: &field, NodeCustomFieldValueID: &value}},
		&ipam.LogicalGroupDataForRootAlternateItemsEnumerationParameters{EnumerationParametersBase: base, Filter: filter,
			LogicalGroup: &ipam.LogicalGroup{Type: "Range", RecordID: &id}, LogicalGroupType: ipam.LogicalGroupTypeRange},
		&ipam.LogicalGroupDataUnmappedItemsEnumerationParameters{EnumerationParametersBase: base,
			LogicalGroup: &ipam.LogicalGroup{Type: "IPAddress", IPv6: true, RecordID: &id}, LogicalGroupType: ipam.LogicalGroupTypeIPAddress},
	} {
		w := textxml.NewWriter(nil)
		if err := (&ipam.InitializeEnumeration{Parameters: p}).WriteBody(w); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		var out ipam.InitializeEnumeration
		if err := decodeText(t, string(w.Bytes()), &out); err != nil {
			t.Fatalf("%T: %v\n%s", p, err, w.Bytes())
		}
		if got, want := describeData(out.Parameters), describeData(p); got != want {
			t.Errorf("%s, want %s\n%s", got, want, w.Bytes())
		}
	}
}

// FuzzGroupDataFilter feeds the Filter reader arbitrary entries: it never
// panics, and what it reads writes back and reads again the same.
func FuzzGroupDataFilter(f *testing.F) {
	f.Add(`<b:KeyValueOfintanyType><b:Key>1</b:Key><b:Value i:type="c:string" xmlns:c="http://www.w3.org/2001/XMLSchema">Dhcp</b:Value></b:KeyValueOfintanyType>`)
	f.Add(`<b:KeyValueOfintanyType><b:Key>-2</b:Key><b:Value i:nil="true"/></b:KeyValueOfintanyType><b:KeyValueOfintanyType><b:Key>0</b:Key></b:KeyValueOfintanyType>`)
	f.Add(`<b:KeyValueOfintanyType><b:Key>3</b:Key><b:Value i:type="d:IPAddress" xmlns:d="http://schemas.datacontract.org/2004/07/System.Net"><d:m_Address>1</d:m_Address><d:m_Family>InterNetwork</d:m_Family></b:Value></b:KeyValueOfintanyType>`)
	f.Add(`<b:KeyValueOfintanyType><b:Key>4</b:Key><b:Value i:type="d:Other" xmlns:d="urn:x"><d:a>1</d:a></b:Value></b:KeyValueOfintanyType>`)
	f.Fuzz(func(t *testing.T, filter string) {
		var req ipam.InitializeEnumeration
		if err := decodeText(t, dataDoc(filter), &req); err != nil {
			return
		}
		again, ok := readBack(t, &req)
		if !ok {
			return // a text the writer refuses (e.g. a control character)
		}
		if a, b := describeData(req.Parameters), describeData(again.Parameters); a != b {
			t.Fatalf("%s, then %s", a, b)
		}
	})
}

// describeFilter prints the entries: key and value (or nil), and with
// withType the value's type. The type does not survive a round trip: the
// writer types every value xsd:string, and an unsupported value (or i:nil)
// is written as i:nil.
func describeFilter(filter []*ipam.KeyValueOfintanyType, withType bool) string {
	if filter == nil {
		return "nil"
	}
	out := "["
	for i, e := range filter {
		if i > 0 {
			out += " "
		}
		if e == nil {
			out += "<nil>"
			continue
		}
		if e.Value.Value == nil {
			out += fmt.Sprintf("%d=nil", e.Key)
			continue
		}
		out += fmt.Sprintf("%d=%q", e.Key, *e.Value.Value)
		if withType {
			out += " " + e.Value.ValueType
		}
	}
	return out + "]"
}

func describeData(p ipam.AnyEnumerationParametersBase) string {
	switch v := p.(type) {
	case *ipam.LogicalGroupDataForLogicalGroupNodeEnumerationParameters:
		return "node " + describe(v.LogicalGroupNode) + " " + describeFilter(v.Filter, false)
	case *ipam.LogicalGroupDataForRootAlternateItemsEnumerationParameters:
		return fmt.Sprintf("group %+v %s %s", describeGroup(v.LogicalGroup), v.LogicalGroupType, describeFilter(v.Filter, false))
	case *ipam.LogicalGroupDataUnmappedItemsEnumerationParameters:
		return fmt.Sprintf("unmapped %+v %s %s", describeGroup(v.LogicalGroup), v.LogicalGroupType, describeFilter(v.Filter, false))
	}
	return fmt.Sprintf("%T", p)
}

func describeGroup(g *ipam.LogicalGroup) string {
	if g == nil {
		return "nil"
	}
	id := "nil"
	if g.RecordID != nil {
		id = fmt.Sprint(*g.RecordID)
	}
	return fmt.Sprintf("%s/%v %s", g.Type, g.IPv6, id)
}
