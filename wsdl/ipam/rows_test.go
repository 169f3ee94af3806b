package ipam_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"net/netip"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/soap/xmlstream"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// canonicalBody lists the body's content of a text SOAP message as
// namespace-resolved tokens: "S {ns}local {ns}attr=value…" (attributes
// sorted, xmlns declarations left out: where a prefix is declared is the
// writer's choice), "T text" for non-blank text, "E". Text-XML and binary
// encodings of the same infoset give the same list.
func canonicalBody(t *testing.T, doc []byte) []string {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	var out []string
	depth, inBody := 0, false
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch v := tok.(type) {
		case xml.StartElement:
			depth++
			if !inBody {
				inBody = v.Name.Local == "Body" && v.Name.Space == soap.NSEnvelope
				if inBody {
					depth = 0
				}
				continue
			}
			var attrs []string
			for _, a := range v.Attr {
				if a.Name.Space == "xmlns" || a.Name.Local == "xmlns" {
					continue
				}
				attrs = append(attrs, "{"+a.Name.Space+"}"+a.Name.Local+"="+a.Value)
			}
			sort.Strings(attrs)
			out = append(out, strings.TrimSpace("S {"+v.Name.Space+"}"+v.Name.Local+" "+strings.Join(attrs, " ")))
		case xml.EndElement:
			depth--
			if inBody && depth < 0 {
				return out
			}
			if inBody {
				out = append(out, "E")
			}
		case xml.CharData:
			if s := strings.TrimSpace(string(v)); inBody && s != "" {
				out = append(out, "T "+s)
			}
		}
	}
	return out
}

// canonicalStream is canonicalBody for a decoded message's body reader.
func canonicalStream(t *testing.T, r xmlstream.Reader) []string {
	t.Helper()
	var out []string
	depth := 0
	for {
		n, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		switch n.Kind {
		case xmlstream.EOF:
			return out
		case xmlstream.StartElement:
			depth++
			var attrs []string
			for _, a := range n.Attrs {
				attrs = append(attrs, "{"+a.Name.Space+"}"+a.Name.Local+"="+a.Value)
			}
			sort.Strings(attrs)
			out = append(out, strings.TrimSpace("S {"+n.Name.Space+"}"+n.Name.Local+" "+strings.Join(attrs, " ")))
		case xmlstream.EndElement:
			depth--
			if depth < 0 {
				return out
			}
			out = append(out, "E")
		case xmlstream.Text:
			if s := strings.TrimSpace(n.Text); s != "" {
				if len(out) > 0 && strings.HasPrefix(out[len(out)-1], "T ") {
					out[len(out)-1] += s // adjacent text records
					continue
				}
				out = append(out, "T "+s)
			}
		}
	}
}

// exampleRange is the IPv4Range of the spec's example 4.3, as ipamd builds
// it from a store.
func exampleRange() *ipam.IPRangeRow {
	changed := time.Date(2013, 6, 6, 10, 21, 3, 665462400, ipam.Unspecified)
	return &ipam.IPRangeRow{
		AccessScopeID: 1, AddressAssignment: "Dynamic", AddressCategory: "Private", AddressSpaceRecordID: 1,
		CustomFieldValues: []*ipam.CustomFieldValue{
			{BuiltInCustomFieldValueID: 2, ParentCustomFieldName: "Managed by Service", ParentCustomFieldNumber: 8,
				ParentCustomFieldRecordID: 9, RecordID: 329, Value: "MS DHCP"},
			{BuiltInCustomFieldValueID: 0, ParentCustomFieldName: "Service Instance", ParentCustomFieldNumber: 9,
				ParentCustomFieldRecordID: 10, RecordID: 441555, Value: "rguptsrvtest2.drguptsrvtest3.ipamtest.idc.local"},
		},
		Description:            ptr(""),
		DhcpScopeName:          ptr("test"),
		DhcpServerGUID:         ptr("4562f61c-b373-46de-af73-32fb8a58e893"),
		DhcpServerName:         ptr("rguptsrvtest2.drguptsrvtest3.ipamtest.idc.local"),
		EndIPAddress:           netip.MustParseAddr("10.10.0.100"),
		IsInheritedAccessScope: true, LastChangeDate: &changed,
		ParentIPBlockRecordID: ptr(int64(151126)), PrefixLength: 8,
		ProviderAddressSpaceName: ptr("Default IP Address Space"), RangeOverlapState: "NotOverlapping",
		RecordID: 262164, ScopeRecordID: ptr(int64(262142)),
		StartIPAddress: netip.MustParseAddr("10.10.0.1"), SubnetID: netip.MustParseAddr("10.0.0.0"),
		SubnetMask: netip.MustParseAddr("255.0.0.0"), UseForUtilization: true,
		UtilizationCalculationType: "Auto", UtilizationEventLogStatus: "Under",
		UtilizationStatistics: &ipam.IPUtilization{IsValid: true, TotalAssignedAddresses: 100, TotalAvailableAddresses: 100},
		VirtualizationType:    "NonVirtualized",
	}
}

// TestEnumeratedRowsGolden: the row of the spec's example 4.3, written by
// ipamd in both encodings, is the example's body element for element,
// attribute for attribute (z:Id numbering, i:type, member order, the
// little-endian m_Address of sysnet:IPAddress, nil and empty members).
// Rule E6.
func TestEnumeratedRowsGolden(t *testing.T) {
	want := canonicalBody(t, readFile(t, "testdata/example-4.3-EnumeratedRowsCallback.xml"))
	for _, enc := range []soap.Encoding{soap.EncodingText, soap.EncodingBinarySession} {
		rows := []ipam.AnyIpamObject{exampleRange()}
		ipam.AssignIDs(rows)
		msg := &ipam.EnumeratedRowsCallback{Data: rows}
		p, err := soap.NewCodec(enc, soap.Limits{}).Encode(nil, &soap.Header{Action: ipam.ActionEnumeratedRowsCallback, To: "http://www.w3.org/2005/08/addressing/anonymous"}, msg)
		if err != nil {
			t.Fatal(err)
		}
		env, err := soap.NewCodec(enc, soap.Limits{}).Decode(p)
		if err != nil {
			t.Fatal(err)
		}
		got := canonicalStream(t, env.Body())
		if !slices.Equal(got, want) {
			t.Errorf("%v: the row differs from example 4.3:\n%s", enc, diffLines(got, want))
		}
	}
}

// TestEnumerationMessagesGolden: the other messages of example 4.3 decode
// into the values ipamd expects and encode back to the same body.
func TestEnumerationMessagesGolden(t *testing.T) {
	for _, tc := range []struct {
		file string
		msg  interface {
			ReadBody(xmlstream.Reader) error
			WriteBody(xmlstream.Writer) error
		}
		check func(t *testing.T, m any)
	}{
		{"InitializeEnumeration", &ipam.InitializeEnumeration{}, func(t *testing.T, m any) {
			p, ok := m.(*ipam.InitializeEnumeration).Parameters.(*ipam.IPRangeByAddressSpaceAndVirtualizationTypeParameters)
			if !ok || p.ObjectType != ipam.EnumerationObjectTypeIPRange || p.AddressFamily != ipam.AddressFamilyInterNetwork ||
				p.AddressSpaceRecordID != 1 || p.VirtualizationType != nil || p.FetchAllData || p.IncludeCustomFieldValues {
				t.Errorf("parameters %#v", m.(*ipam.InitializeEnumeration).Parameters)
			}
		}},
		{"InitializeEnumerationResponse", &ipam.InitializeEnumerationResponse{}, nil},
		{"StartEnumeration", &ipam.StartEnumeration{}, nil},
		{"NotifyEnumerationStart", &ipam.NotifyEnumerationStart{}, nil},
		{"NotifyEnumerationComplete", &ipam.NotifyEnumerationComplete{}, func(t *testing.T, m any) {
			if c := m.(*ipam.NotifyEnumerationComplete); c.Result != nil || c.Exception != nil {
				t.Errorf("%#v", c)
			}
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			doc := readFile(t, "testdata/example-4.3-"+tc.file+".xml")
			env, err := soap.NewCodec(soap.EncodingText, soap.Limits{}).Decode(doc)
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.msg.ReadBody(env.Body()); err != nil {
				t.Fatal(err)
			}
			if tc.check != nil {
				tc.check(t, tc.msg)
			}
			p, err := soap.NewCodec(soap.EncodingText, soap.Limits{}).Encode(nil, &soap.Header{Action: "urn:x"}, tc.msg)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := canonicalBody(t, p), canonicalBody(t, doc); !slices.Equal(got, want) {
				t.Errorf("re-encoded body differs:\n%s", diffLines(got, want))
			}
		})
	}
}

// TestIPAddressEncoding: sysnet:IPAddress of IPv4 (little-endian
// m_Address) and IPv6 (m_Numbers), and z:Id numbering restarting per message.
func TestIPAddressEncoding(t *testing.T) {
	v6 := &ipam.IPAddressRow{Address: netip.MustParseAddr("2001:db8::1"), RecordID: 5,
		CustomFieldValues: []*ipam.CustomFieldValue{{Value: "x"}}}
	v4 := &ipam.IPAddressRow{Address: netip.MustParseAddr("10.10.0.1"), RecordID: 6}
	for round := 0; round < 2; round++ {
		rows := []ipam.AnyIpamObject{v6, v4}
		ipam.AssignIDs(rows)
		p, err := soap.NewCodec(soap.EncodingText, soap.Limits{}).Encode(nil, &soap.Header{Action: "urn:x"}, &ipam.EnumeratedRowsCallback{Data: rows})
		if err != nil {
			t.Fatal(err)
		}
		body := strings.Join(canonicalBody(t, p), "\n")
		for _, want := range []string{
			"S {http://Microsoft.Windows.Ipam}IpamObject {http://schemas.microsoft.com/2003/10/Serialization/}Id=i1 {http://www.w3.org/2001/XMLSchema-instance}type=IpamIPv6Address",
			"S {http://Microsoft.Windows.Ipam}CustomFieldValue {http://schemas.microsoft.com/2003/10/Serialization/}Id=i2",
			"S {http://Microsoft.Windows.Ipam}IpamObject {http://schemas.microsoft.com/2003/10/Serialization/}Id=i3 {http://www.w3.org/2001/XMLSchema-instance}type=IpamIPv4Address",
			"T 16779786", // 10.10.0.1
			"T 8193\nE\nS {http://schemas.microsoft.com/2003/10/Serialization/Arrays}unsignedShort\nT 3512", // 2001:db8
		} {
			if !strings.Contains(body, want) {
				t.Errorf("round %d: body lacks %q", round, want)
			}
		}
	}
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func diffLines(got, want []string) string {
	var b strings.Builder
	for i := 0; i < max(len(got), len(want)); i++ {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			b.WriteString("  line " + itoa(i) + ":\n    got  " + g + "\n    want " + w + "\n")
			if b.Len() > 4000 {
				break
			}
		}
	}
	return b.String()
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestGoldenIsNotEmpty guards the comparison above against an empty list.
func TestGoldenIsNotEmpty(t *testing.T) {
	if n := len(canonicalBody(t, readFile(t, "testdata/example-4.3-EnumeratedRowsCallback.xml"))); n < 300 {
		t.Errorf("example body has %d tokens", n)
	}
}

// TestGenericRowsReadExample: a client that knows no row type reads the
// example's row, with its addresses in text form.
func TestGenericRowsReadExample(t *testing.T) {
	env, err := soap.NewCodec(soap.EncodingText, soap.Limits{}).Decode(readFile(t, "testdata/example-4.3-EnumeratedRowsCallback.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var m ipam.EnumeratedRows
	if err := m.ReadBody(env.Body()); err != nil {
		t.Fatal(err)
	}
	if len(m.Rows) != 1 {
		t.Fatalf("%d rows", len(m.Rows))
	}
	r := m.Rows[0]
	for name, want := range map[string]any{"StartIPAddress": "10.10.0.1", "EndIPAddress": "10.10.0.100", "SubnetMask": "255.0.0.0",
		"RecordId": "262164", "Owner": nil, "DhcpScopeName": "test"} {
		if got := r.Get(name); got != want {
			t.Errorf("%s = %#v, want %#v", name, got, want)
		}
	}
	if r.Type != "IPv4Range" {
		t.Errorf("type %q", r.Type)
	}
	if cf, _ := r.Get("CustomFieldValues").([]any); len(cf) != 2 {
		t.Errorf("CustomFieldValues %#v", r.Get("CustomFieldValues"))
	}
	v6 := []ipam.AnyIpamObject{&ipam.IPAddressRow{Address: netip.MustParseAddr("2001:db8::7"), RecordID: 1}}
	p, err := soap.NewCodec(soap.EncodingBinarySession, soap.Limits{}).Encode(nil, &soap.Header{Action: "urn:x"}, &ipam.EnumeratedRowsCallback{Data: v6})
	if err != nil {
		t.Fatal(err)
	}
	env, err = soap.NewCodec(soap.EncodingBinarySession, soap.Limits{}).Decode(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.ReadBody(env.Body()); err != nil {
		t.Fatal(err)
	}
	if len(m.Rows) != 1 || m.Rows[0].Get("Address") != "2001:db8::7" || m.Rows[0].Type != "IpamIPv6Address" {
		t.Errorf("IPv6 row %+v", m.Rows)
	}
}
