package wsdl

import (
	"bytes"
	"net/netip"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/ipamd/ipamd/soap/textxml"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// sampleRows is one row of every row type ipamd sends in
// EnumeratedRowsCallback.data, with every member that may be set set, and
// the nil forms beside them. A new row type belongs here: TestRowTypesDeclared
// and TestXSDAcceptsRowsIpamdWrites then hold it to the WSDL.
func sampleRows() []ipam.AnyIpamObject {
	str := func(s string) *string { return &s }
	id := func(n int64) *int64 { return &n }
	now := time.Date(2026, 12, 6, 18, 30, 0, 123456700, time.UTC)
	iaid := uint32(7)
	cfvs := func() []*ipam.CustomFieldValue {
		return []*ipam.CustomFieldValue{
			{BuiltInCustomFieldValueID: 1, ParentCustomFieldName: "Managed by", ParentCustomFieldNumber: 8, ParentCustomFieldRecordID: 8, RecordID: 30, Value: "IPAM"},
			{ParentCustomFieldName: "Notes", ParentCustomFieldRecordID: 40, RecordID: 0, Value: "free <text> & more"},
		}
	}
	util := func() *ipam.IPUtilization {
		return &ipam.IPUtilization{IsValid: true, TotalAssignedAddresses: 254, TotalAvailableAddresses: 254, TotalUtilized: 3}
	}
	v4, v6 := netip.MustParseAddr("10.1.2.0"), netip.MustParseAddr("2001:db8::")
	field := func() *ipam.CustomFieldRow {
		return &ipam.CustomFieldRow{BuiltInCustomFieldNumber: "ManagedBy", Name: str("Managed by"), Origin: "BuiltIn", RecordID: 8, Type: "Multivalued", Values: cfvs()}
	}
	freeField := func() *ipam.CustomFieldRow {
		return &ipam.CustomFieldRow{Name: str("Notes"), Origin: "External", RecordID: 40, Type: "Freeform"}
	}
	rows := []ipam.AnyIpamObject{
		&ipam.IPRangeRow{AccessScopeID: 1, AddressAssignment: "Static", AddressCategory: "Private", AddressSpaceRecordID: 1,
			ConnectionSpecificDNSSuffix: str("corp.example"), CustomFieldValues: cfvs(), CustomerAddressSpaceName: str("tenant"),
			DNSServers: []string{"10.0.0.53"}, DNSSuffixes: []string{"example"}, Description: str("d"), DhcpScopeName: str("s"),
			DhcpServerGUID: str("6f1b6a3e-0000-4000-8000-000000000001"), DhcpServerName: str("dhcp1"),
			StartIPAddress: v4, EndIPAddress: netip.MustParseAddr("10.1.2.255"), IsInheritedAccessScope: true, IsOverlapping: true,
			LastAssignedDate: &now, LastChangeDate: &now, LastReclaimRuntime: &now, NumberOfChildAddresses: 3, Owner: str("o"),
			ParentIPBlockRecordID: id(5), PrefixLength: 24, ProviderAddressSpaceName: str("Default"), RangeOverlapState: "Overlapping",
			RecordID: 9, ScopeRecordID: id(2), SubnetID: v4, SubnetMask: netip.MustParseAddr("255.255.255.0"), UseForUtilization: true,
			UtilizationCalculationType: "Auto", UtilizationEventLogStatus: "Optimal", UtilizationStatistics: util(),
			VirtualizationType: "NonVirtualized", WINSServers: []string{"10.0.0.5"}},
		&ipam.IPRangeRow{StartIPAddress: v6, EndIPAddress: netip.MustParseAddr("2001:db8::ffff"), PrefixLength: 64, RecordID: 10,
			UtilizationStatistics: util()},
		&ipam.IPRangeRow{StartIPAddress: v4}, // every nillable member nil
		&ipam.IPAddressRow{AccessScopeID: 1, Address: netip.MustParseAddr("10.1.2.3"), AddressAssignment: "Static", AddressCategory: "Private",
			AddressSpaceRecordID: 1, AssetTag: str("a"), AssignedDate: &now, ChangedDate: &now, CreatedFromDNSResourceRecord: true,
			CustomFieldValues: cfvs(), CustomerAddressSpaceName: str("tenant"), DeviceName: str("host"), ExpiryAndAlertEventLoggingStatus: "Active",
			ExpiryDate: &now, InWarningPeriod: true, IsDuplicate: true, IsExpired: true, MacAddress: []byte{0, 0x15, 0x5d, 1, 2, 3},
			Notes: str("n"), OSName: str("os"), OSVersion: str("1"), Owner: str("o"), ParentIPRangeStartIP: v4,
			ParentIPRangeEndIP: netip.MustParseAddr("10.1.2.255"), ParentIPRangeRecordID: id(9), ProviderAddressSpaceName: str("Default"),
			RecordID: 11, SerialNumber: str("sn"), VirtualizationType: "Fabric", ClientID: str("c"), ReservationType: "Both"},
		&ipam.IPAddressRow{Address: netip.MustParseAddr("2001:db8::3"), RecordID: 12, Duid: str("00-01"), Iaid: &iaid},
		&ipam.IPAddressRow{Address: netip.MustParseAddr("10.1.2.4")},
		&ipam.IPBlockRow{AccessScopeID: 1, AddressCategory: "Private", AddressSpaceRecordID: 1, CustomFieldValues: cfvs(), Description: str("b"),
			StartIPAddress: netip.MustParseAddr("10.0.0.0"), EndIPAddress: netip.MustParseAddr("10.255.255.255"), IsInheritedAccessScope: true,
			LastAssignedDate: &now, LastModifiedDate: &now, NetworkID: netip.MustParseAddr("10.0.0.0"), NumberOfChildBlocks: 2, Owner: str("o"),
			ParentIPBlockRecordID: id(1), PrefixLength: 8, RIRReceivedDate: &now, RecordID: 2, SubnetMask: netip.MustParseAddr("255.0.0.0"),
			UtilizationStatistics: util()},
		&ipam.IPBlockRow{StartIPAddress: v6, EndIPAddress: netip.MustParseAddr("2001:db8::ffff:ffff"), PrefixLength: 32, RecordID: 3},
		&ipam.IPBlockRow{StartIPAddress: v4, RecordID: 5, Subnet: &ipam.IPSubnetMembers{CustomerAddressSpaceName: str("tenant"), IsOverlapping: true,
			Name: str("s"), ProviderAddressSpaceName: str("Default"), UseForUtilization: true, VLANID: []int32{10, 20}, VSID: 4, VirtualizationType: "Virtual"}},
		&ipam.IPBlockRow{StartIPAddress: v6, RecordID: 6, Subnet: &ipam.IPSubnetMembers{}},
		&ipam.AddressSpaceRow{AccessScopeID: 1, CustomFieldValues: cfvs(), Description: str("d"), IPv4Utilization: util(), IPv6Utilization: util(),
			IsInheritedAccessScope: true, Name: str("DefaultIPAddressSpace"), Owner: str("o"), RecordID: 1, IsDefault: true},
		&ipam.AddressSpaceRow{Customer: true, Name: str("tenant"), RecordID: 2, ProviderAddressSpaceName: str("DefaultIPAddressSpace"), ProviderAddressSpaceRecordID: 1},
		field(), freeField(),
		&ipam.LogicalGroupRow{Type: "Range", BuiltInLogicalGroupNumber: "ManagedBy", Name: str("Managed by"), Origin: "BuiltIn", RecordID: 2,
			Users: "IPAddressSpaceManagement", Fields: []ipam.GroupField{{CustomFieldName: str("Managed by"), CustomFieldRecordID: 8, RecordID: 1},
				{CustomFieldRecordID: 9, RecordID: 2}}, UtilizationStatistics: util()},
		&ipam.LogicalGroupRow{Type: "Range", IPv6: true, RecordID: 3},
		&ipam.LogicalGroupRow{Type: "IPAddress", Users: "IPAddressSpaceManagement", Fields: []ipam.GroupField{}},
		&ipam.LogicalGroupRow{Type: "IPAddress", IPv6: true},
		&ipam.LogicalGroupRow{Type: "ManagedServer", Users: "ServerManagement"},
		&ipam.LogicalGroupRow{Type: "ManagedServer", IPv6: true},
		&ipam.LogicalGroupRow{Type: "Subnet", Origin: "External"},
		&ipam.LogicalGroupRow{Type: "Subnet", IPv6: true},
		&ipam.CustomFieldAssociationRow{CustomField1: field(), CustomField2: freeField(),
			Pairs: [][2]*ipam.CustomFieldValue{{cfvs()[0], cfvs()[1]}, {cfvs()[0], nil}}},
		&ipam.CustomFieldAssociationRow{},
	}
	// The eight LogicalGroupNode types: roots, and children carrying
	// their ancestors.
	for _, typ := range []string{"Range", "IPAddress", "ManagedServer", "Subnet"} {
		for _, v6 := range []bool{false, true} {
			group, field, value, level := int64(2), int64(9), int64(284), int64(2)
			rows = append(rows, &ipam.LogicalGroupNode{Type: typ, IPv6: v6, CustomFieldRecordID: &field, LogicalGroupRecordID: &group,
				NodeCustomFieldValueID: &value, NodeLevel: &level, NodeValue: str("Local"), AddressSpaceRecordID: 1, UtilizationStatistics: util(),
				AncestorNodes: []*ipam.LogicalGroupNode{{Type: typ, IPv6: v6, NodeValue: str("IPAM")}}},
				&ipam.LogicalGroupNode{Type: typ, IPv6: v6})
		}
	}
	rows = append(rows, serverInfoSamples()...) // rows_servers_xsd_test.go
	return rows
}

// writeRows writes an EnumeratedRowsCallback body carrying rows, as the
// server sends it (z:Ids assigned), in the text encoding.
func writeRows(t *testing.T, rows []ipam.AnyIpamObject) []byte {
	t.Helper()
	ipam.AssignIDs(rows)
	w := textxml.NewWriter(nil)
	if err := (&ipam.EnumeratedRowsCallback{Data: rows}).WriteBody(w); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w.Bytes()
}

// xsiTypes returns every i:type an XML document carries, resolved against
// the namespaces in scope where it appears.
func xsiTypes(t *testing.T, doc []byte) []qname {
	t.Helper()
	d := etree.NewDocument()
	if err := d.ReadFromBytes(doc); err != nil {
		t.Fatalf("the rows are not XML: %v", err)
	}
	var out []qname
	var walk func(e *etree.Element)
	walk = func(e *etree.Element) {
		for _, a := range e.Attr {
			if a.Key == "type" && a.NamespaceURI() == "http://www.w3.org/2001/XMLSchema-instance" {
				prefix, local, ok := strings.Cut(a.Value, ":")
				if !ok {
					prefix, local = "", a.Value
				}
				out = append(out, qname{lookupNS(e, prefix), local})
			}
		}
		for _, c := range e.ChildElements() {
			walk(c)
		}
	}
	walk(d.Root())
	return out
}

// lookupNS resolves a prefix ("" the default namespace) at e.
func lookupNS(e *etree.Element, prefix string) string {
	for ; e != nil; e = e.Parent() {
		for _, a := range e.Attr {
			if (prefix == "" && a.Space == "" && a.Key == "xmlns") || (prefix != "" && a.Space == "xmlns" && a.Key == prefix) {
				return a.Value
			}
		}
	}
	return ""
}

// TestRowTypesDeclared: every i:type ipamd writes into an
// EnumeratedRowsCallback is a complex type the WSDL declares, derived from
// ArrayOfIpamObject's item type IpamObject, so a client built from the WSDL
// knows it. The spec's example 4.3 rows are held to the same. Rule E9.
func TestRowTypesDeclared(t *testing.T) {
	p := parseWSDL(t, Document())
	derivesFromIpamObject := func(q qname) bool {
		for range 16 {
			if q == (qname{nsIpam, "IpamObject"}) {
				return true
			}
			ct := p.schemaChild(q.Space, "complexType", q.Local)
			if ct == nil {
				return false
			}
			_, base := contentOf(t, ct)
			if base == nil {
				return false
			}
			q = *base
		}
		return false
	}
	example, err := os.ReadFile("ipam/testdata/example-4.3-EnumeratedRowsCallback.xml")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[qname]bool{}
	for _, doc := range [][]byte{writeRows(t, sampleRows()), example} {
		for _, q := range xsiTypes(t, doc) {
			seen[q] = true
		}
	}
	var names []string
	for q := range seen {
		names = append(names, q.Local)
		if p.schemaChild(q.Space, "complexType", q.Local) == nil {
			t.Errorf("i:type %s is not declared in the WSDL", q)
			continue
		}
		if !derivesFromIpamObject(q) {
			t.Errorf("i:type %s does not derive from ipam:IpamObject", q)
		}
	}
	sort.Strings(names)
	// The sample covers every row type (and the utilization types).
	want := []string{"CustomField", "CustomerAddressSpace", "IPv4Block", "IPv4Range", "IPv4Subnet", "IPv4Utilization",
		"IPv6Block", "IPv6Range", "IPv6Subnet", "IPv6Utilization", "IpamIPv4Address", "IpamIPv6Address", "ProviderAddressSpace",
		"IPv4RangeLogicalGroup", "IPv6RangeLogicalGroup", "IpamIPv4AddressLogicalGroup", "IpamIPv6AddressLogicalGroup",
		"ActiveServerV4LogicalGroup", "ActiveServerV6LogicalGroup", "IPv4SubnetLogicalGroup", "IPv6SubnetLogicalGroup",
		"CustomFieldAssociation"}
	for _, w := range want {
		if !seen[qname{nsIpam, w}] {
			t.Errorf("the sample rows write no i:type %s (have %v)", w, names)
		}
	}
}

// TestXSDAcceptsRowsIpamdWrites: an EnumeratedRowsCallback with every row
// type, members set and nil, validates against the WSDL's schemas, and so
// does the spec's example 4.3 body: the declared row types are the ones on
// the wire, member for member and in order. Rule E9.
func TestXSDAcceptsRowsIpamdWrites(t *testing.T) {
	v := newXSDValidator(t)
	rows := sampleRows()
	for i, r := range rows {
		doc := writeRows(t, []ipam.AnyIpamObject{r})
		if out, ok := v.validate(t, "rows.xml", doc); !ok {
			t.Errorf("row %d (%T) as ipamd writes it does not validate:\n%s\n%s", i, r, bytes.TrimSpace(doc), out)
		}
	}
	if out, ok := v.validate(t, "rows-all.xml", writeRows(t, rows)); !ok {
		t.Errorf("the rows in one message do not validate:\n%s", out)
	}
	env := etree.NewDocument()
	if err := env.ReadFromFile("ipam/testdata/example-4.3-EnumeratedRowsCallback.xml"); err != nil {
		t.Fatal(err)
	}
	body := env.FindElement("//EnumeratedRowsCallback")
	if body == nil {
		t.Fatal("example 4.3: no EnumeratedRowsCallback")
	}
	// The body alone: carry the envelope's namespace declarations.
	for e := body.Parent(); e != nil; e = e.Parent() {
		for _, a := range e.Attr {
			if a.Space == "xmlns" && body.SelectAttr("xmlns:"+a.Key) == nil {
				body.CreateAttr("xmlns:"+a.Key, a.Value)
			}
		}
	}
	doc := etree.NewDocument()
	doc.SetRoot(body.Copy())
	b, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	if out, ok := v.validate(t, "example-4.3.xml", b); !ok {
		t.Errorf("the spec's example 4.3 rows do not validate:\n%s", out)
	}
}

// TestXSDRejectsUndeclaredRowType: the validation has teeth for rows too.
func TestXSDRejectsUndeclaredRowType(t *testing.T) {
	v := newXSDValidator(t)
	doc := writeRows(t, []ipam.AnyIpamObject{&ipam.CustomFieldRow{Name: func(s string) *string { return &s }("x")}})
	bad := bytes.Replace(doc, []byte(`i:type="CustomField"`), []byte(`i:type="NoSuchRow"`), 1)
	if bytes.Equal(bad, doc) {
		t.Fatalf("no i:type to replace in\n%s", doc)
	}
	if out, ok := v.validate(t, "bad-row.xml", bad); ok || !strings.Contains(out, "NoSuchRow") {
		t.Errorf("a row of an undeclared type: valid=%v\n%s", ok, out)
	}
	swapped := bytes.Replace(doc, []byte(`<Origin>`), []byte(`<Origin>X`), 1)
	if out, ok := v.validate(t, "bad-member.xml", swapped); ok {
		t.Errorf("a row with a bad enumeration value validates:\n%s", out)
	}
}
