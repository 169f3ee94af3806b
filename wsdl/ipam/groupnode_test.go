package ipam_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ipamd/ipamd/soap/textxml"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

const nodeBase = `<FetchAllData>false</FetchAllData><IncludeCustomFieldValues>false</IncludeCustomFieldValues><ObjectType>LogicalGroupNode</ObjectType>`

// nodeDoc is an InitializeEnumeration of LogicalGroupNodeChildren with the
// parent node's content.
func nodeDoc(typ, content string) string {
	return `<InitializeEnumeration` + ns + `><parameters i:type="LogicalGroupNodeChildrenEnumerationParameters">` + nodeBase +
		`<ParentLogicalGroupNode i:type="` + typ + `">` + content + `</ParentLogicalGroupNode></parameters></InitializeEnumeration>`
}

// TestLogicalGroupNodeDecode: the LogicalGroup and LogicalGroupNode members
// of the node parameter types as a client sends them (a derived i:type,
// base members first, ancestors of their own derived type): the family and
// the ids are read; an i:type outside the family, too many ancestors, a
// member twice and a RecordId that is no xsd:long are refused as a broken
// message.
func TestLogicalGroupNodeDecode(t *testing.T) {
	root := `<InitializeEnumeration` + ns + `><parameters i:type="LogicalGroupNodeRootEnumerationParameters">` + nodeBase +
		`<LogicalGroup i:type="IPv6RangeLogicalGroup"><ModifiedProperties i:nil="true"/><SetProperties i:nil="true"/>` +
		`<BuiltInLogicalGroupNumber>ManagedBy</BuiltInLogicalGroupNumber><Fields><LogicalGroupField><CustomFieldName>Managed by</CustomFieldName>` +
		`<CustomFieldRecordId>8</CustomFieldRecordId><RecordId>1</RecordId></LogicalGroupField></Fields><Name>Managed by</Name>` +
		`<Origin>BuiltIn</Origin><RecordId>2</RecordId><Users>IPAddressSpaceManagement</Users><UtilizationStatistics i:nil="true"/></LogicalGroup>` +
		`<LogicalGroupType>Range</LogicalGroupType></parameters></InitializeEnumeration>`
	var req ipam.InitializeEnumeration
	if err := decodeText(t, root, &req); err != nil {
		t.Fatal(err)
	}
	p, ok := req.Parameters.(*ipam.LogicalGroupNodeRootEnumerationParameters)
	if !ok || p.LogicalGroup == nil || p.LogicalGroup.Type != "Range" || !p.LogicalGroup.IPv6 || p.LogicalGroup.RecordID == nil || *p.LogicalGroup.RecordID != 2 {
		t.Fatalf("root parameters %+v", req.Parameters)
	}
	child := nodeDoc("IPv4SubnetLogicalGroupNode", `<ModifiedProperties i:nil="true"/><SetProperties i:nil="true"/><AncestorNodes>`+
		`<LogicalGroupNode i:type="IPv4SubnetLogicalGroupNode"><AncestorNodes i:nil="true"/><CustomFieldRecordId>8</CustomFieldRecordId>`+
		`<NodeCustomFieldValueId>279</NodeCustomFieldValueId><NodeValue>IPAM</NodeValue></LogicalGroupNode></AncestorNodes>`+
		`<CustomFieldRecordId>9</CustomFieldRecordId><LogicalGroupRecordId>2</LogicalGroupRecordId><NodeCustomFieldValueId>284</NodeCustomFieldValueId>`+
		`<NodeLevel>2</NodeLevel><NodeValue>Local</NodeValue><AddressSpaceRecordId>1</AddressSpaceRecordId><UtilizationStatistics i:nil="true"/>`)
	if err := decodeText(t, child, &req); err != nil {
		t.Fatal(err)
	}
	n := req.Parameters.(*ipam.LogicalGroupNodeChildrenEnumerationParameters).ParentLogicalGroupNode
	if n == nil || n.Type != "Subnet" || n.IPv6 || *n.CustomFieldRecordID != 9 || *n.LogicalGroupRecordID != 2 || *n.NodeCustomFieldValueID != 284 ||
		*n.NodeLevel != 2 || *n.NodeValue != "Local" || n.AddressSpaceRecordID != 1 || len(n.AncestorNodes) != 1 ||
		*n.AncestorNodes[0].NodeCustomFieldValueID != 279 || n.AncestorNodes[0].Type != "Subnet" {
		t.Fatalf("parent node %+v", n)
	}
	ancestor := `<LogicalGroupNode i:type="IPv4RangeLogicalGroupNode"><CustomFieldRecordId>8</CustomFieldRecordId></LogicalGroupNode>`
	for name, doc := range map[string]string{
		"i:type outside the family": nodeDoc("IPv4RangeLogicalGroup", ``),
		"ancestor outside the family": nodeDoc("IPv4RangeLogicalGroupNode",
			`<AncestorNodes><LogicalGroupNode i:type="IPBlock"/></AncestorNodes>`),
		"too many ancestors": nodeDoc("IPv4RangeLogicalGroupNode",
			`<AncestorNodes>`+strings.Repeat(ancestor, ipam.MaxAncestorNodes+1)+`</AncestorNodes>`),
		"member twice":    nodeDoc("IPv4RangeLogicalGroupNode", `<NodeLevel>1</NodeLevel><NodeLevel>1</NodeLevel>`),
		"not an xsd:long": nodeDoc("IPv4RangeLogicalGroupNode", `<LogicalGroupRecordId>`+strings.Repeat("9", 40)+`</LogicalGroupRecordId>`),
		"group RecordId twice": `<InitializeEnumeration` + ns + `><parameters i:type="LogicalGroupNodeRootEnumerationParameters">` + nodeBase +
			`<LogicalGroup i:type="IPv4RangeLogicalGroup"><RecordId>1</RecordId><RecordId>2</RecordId></LogicalGroup></parameters></InitializeEnumeration>`,
	} {
		if err := decodeText(t, doc, &req); err == nil {
			t.Errorf("%s: read", name)
		}
	}
	// As many ancestors as a group has levels is read.
	if err := decodeText(t, nodeDoc("IPv4RangeLogicalGroupNode", `<AncestorNodes>`+strings.Repeat(ancestor, ipam.MaxAncestorNodes)+`</AncestorNodes>`), &req); err != nil {
		t.Errorf("%d ancestors: %v", ipam.MaxAncestorNodes, err)
	}
}

// TestLogicalGroupNodeRoundTrip: the node parameter types written as a
// client writes them (client package) read back the same, each of the
// eight node types by its i:type.
func TestLogicalGroupNodeRoundTrip(t *testing.T) {
	for _, typ := range []string{"Range", "IPAddress", "ManagedServer", "Subnet"} {
		for _, v6 := range []bool{false, true} {
			field, group, value, level, parentValue := int64(9), int64(2), int64(284), int64(2), int64(279)
			name := "Local"
			in := &ipam.InitializeEnumeration{Parameters: &ipam.LogicalGroupNodeChildrenEnumerationParameters{
				EnumerationParametersBase: ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeLogicalGroupNode},
				ParentLogicalGroupNode: &ipam.LogicalGroupNode{Type: typ, IPv6: v6, CustomFieldRecordID: &field, LogicalGroupRecordID: &group,
					NodeCustomFieldValueID: &value, NodeLevel: &level, NodeValue: &name, AddressSpaceRecordID: 3,
					AncestorNodes: []*ipam.LogicalGroupNode{{Type: typ, IPv6: v6, NodeCustomFieldValueID: &parentValue}}},
			}}
			w := textxml.NewWriter(nil)
			if err := in.WriteBody(w); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			var out ipam.InitializeEnumeration
			if err := decodeText(t, string(w.Bytes()), &out); err != nil {
				t.Fatalf("%s v6=%v: %v\n%s", typ, v6, err, w.Bytes())
			}
			n := out.Parameters.(*ipam.LogicalGroupNodeChildrenEnumerationParameters).ParentLogicalGroupNode
			want := fmt.Sprint(typ, v6, field, group, value, level, name, len(in.Parameters.(*ipam.LogicalGroupNodeChildrenEnumerationParameters).ParentLogicalGroupNode.AncestorNodes), parentValue)
			got := fmt.Sprint(n.Type, n.IPv6, *n.CustomFieldRecordID, *n.LogicalGroupRecordID, *n.NodeCustomFieldValueID, *n.NodeLevel, *n.NodeValue, len(n.AncestorNodes), *n.AncestorNodes[0].NodeCustomFieldValueID)
			if got != want {
				t.Errorf("%s v6=%v: %s, want %s\n%s", typ, v6, got, want, w.Bytes())
			}
			if (typ == "Subnet") != (n.AddressSpaceRecordID == 3) {
				t.Errorf("%s: AddressSpaceRecordId %d", typ, n.AddressSpaceRecordID)
			}
		}
	}
}

// FuzzLogicalGroupNode feeds the LogicalGroupNode reader arbitrary
// content under an arbitrary i:type: it never panics, keeps no more than
// MaxAncestorNodes ancestors, and what it reads writes back and reads
// again the same.
func FuzzLogicalGroupNode(f *testing.F) {
	f.Add("IPv4RangeLogicalGroupNode", `<AncestorNodes><LogicalGroupNode i:type="IPv4RangeLogicalGroupNode"><CustomFieldRecordId>8</CustomFieldRecordId></LogicalGroupNode></AncestorNodes><CustomFieldRecordId>9</CustomFieldRecordId><LogicalGroupRecordId>2</LogicalGroupRecordId><NodeValue>x</NodeValue>`)
	f.Add("IPv6SubnetLogicalGroupNode", `<AddressSpaceRecordId>4</AddressSpaceRecordId><NodeLevel i:nil="true"/>`)
	f.Add("LogicalGroupNode", `<AncestorNodes i:nil="true"/>`)
	f.Add("IPv4RangeLogicalGroupNode", `<AddressSpaceRecordId>4</AddressSpaceRecordId>`)
	f.Fuzz(func(t *testing.T, typ, content string) {
		var req ipam.InitializeEnumeration
		if err := decodeText(t, nodeDoc(typ, content), &req); err != nil {
			return
		}
		p, ok := req.Parameters.(*ipam.LogicalGroupNodeChildrenEnumerationParameters)
		if !ok {
			t.Fatalf("parameters %T", req.Parameters)
		}
		if p.ParentLogicalGroupNode != nil && len(p.ParentLogicalGroupNode.AncestorNodes) > ipam.MaxAncestorNodes {
			t.Fatalf("%d ancestors kept", len(p.ParentLogicalGroupNode.AncestorNodes))
		}
		again, ok := readBack(t, &req)
		if !ok {
			return // a text the writer refuses (e.g. a control character)
		}
		a, b := p.ParentLogicalGroupNode, again.Parameters.(*ipam.LogicalGroupNodeChildrenEnumerationParameters).ParentLogicalGroupNode
		if describe(a) != describe(b) {
			t.Fatalf("%s, then %s", describe(a), describe(b))
		}
	})
}

func describe(n *ipam.LogicalGroupNode) string {
	if n == nil {
		return "nil"
	}
	s := func(p *int64) string {
		if p == nil {
			return "nil"
		}
		return fmt.Sprint(*p)
	}
	v := "nil"
	if n.NodeValue != nil {
		v = *n.NodeValue
	}
	out := fmt.Sprintf("%s/%v %s %s %s %s %q as=%d [", n.Type, n.IPv6, s(n.CustomFieldRecordID), s(n.LogicalGroupRecordID),
		s(n.NodeCustomFieldValueID), s(n.NodeLevel), v, n.AddressSpaceRecordID)
	for _, a := range n.AncestorNodes {
		a.AncestorNodes = nil
		out += describe(a) + " "
	}
	return out + "]"
}
