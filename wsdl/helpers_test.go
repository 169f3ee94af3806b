package wsdl

import (
	"strings"
	"testing"

	"github.com/beevik/etree"
)

// Namespaces the tests resolve QNames against.
const (
	nsXSD     = "http://www.w3.org/2001/XMLSchema"
	nsIpam    = "http://Microsoft.Windows.Ipam"
	nsIpam1   = "http://schemas.datacontract.org/2004/07/Microsoft.Windows.Ipam"
	nsSys     = "http://schemas.datacontract.org/2004/07/System"
	nsSer     = "http://schemas.microsoft.com/2003/10/Serialization/"
	nsSerArr  = "http://schemas.microsoft.com/2003/10/Serialization/Arrays"
	nsSysSock = "http://schemas.datacontract.org/2004/07/System.Net.Sockets"
	nsSysNet  = "http://schemas.datacontract.org/2004/07/System.Net"
	nsWSAW    = "http://www.w3.org/2006/05/addressing/wsdl"
	nsMSC     = "http://schemas.microsoft.com/ws/2005/12/wsdl/contract"
	nsWSP     = "http://schemas.xmlsoap.org/ws/2004/09/policy"
	nsWSU     = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
	nsMSB     = "http://schemas.microsoft.com/ws/06/2004/mspolicy/netbinary1"
	nsCDP     = "http://schemas.microsoft.com/net/2006/06/duplex"
	nsOneWay  = "http://schemas.microsoft.com/ws/2005/05/routing/policy"
	nsXMLNS   = "xmlns"
	msgInput  = "input"
	msgOutput = "output"
)

// qname is a resolved QName.
type qname struct{ Space, Local string }

func (q qname) String() string { return "{" + q.Space + "}" + q.Local }

// wsdlOp is one operation of a portType as the tests see it.
type wsdlOp struct {
	Name                        string
	Input, Output               string // wsaw:Action, "" when the message is absent
	InputMessage, OutputMessage qname
	Initiating, Terminating     string // msc:isInitiating / msc:isTerminating ("" when absent)
	El                          *etree.Element
}

type wsdlPortType struct {
	Name    string
	Session string // msc:usingSession ("" when absent)
	Ops     map[string]*wsdlOp
	Order   []string
	El      *etree.Element
}

// parsedWSDL is the document with indexes the tests need.
type parsedWSDL struct {
	Doc       *etree.Document
	Defs      *etree.Element
	PortTypes map[string]*wsdlPortType
	Messages  map[string]*etree.Element
	Bindings  map[string]*etree.Element
	Schemas   map[string]*etree.Element // by targetNamespace
}

func parseWSDL(t *testing.T, doc []byte) *parsedWSDL {
	t.Helper()
	d := etree.NewDocument()
	if err := d.ReadFromBytes(doc); err != nil {
		t.Fatalf("WSDL does not parse: %v", err)
	}
	p := &parsedWSDL{Doc: d, Defs: d.Root(), PortTypes: map[string]*wsdlPortType{},
		Messages: map[string]*etree.Element{}, Bindings: map[string]*etree.Element{}, Schemas: map[string]*etree.Element{}}
	if p.Defs == nil || p.Defs.Tag != "definitions" || p.Defs.NamespaceURI() != NamespaceWSDL {
		t.Fatalf("root is not wsdl:definitions")
	}
	if tns := p.Defs.SelectAttrValue("targetNamespace", ""); tns != nsIpam {
		t.Fatalf("targetNamespace = %q", tns)
	}
	for _, m := range children(p.Defs, NamespaceWSDL, "message") {
		p.Messages[m.SelectAttrValue("name", "")] = m
	}
	for _, b := range children(p.Defs, NamespaceWSDL, "binding") {
		p.Bindings[b.SelectAttrValue("name", "")] = b
	}
	for _, pt := range children(p.Defs, NamespaceWSDL, "portType") {
		wp := &wsdlPortType{Name: pt.SelectAttrValue("name", ""), Session: attrNS(pt, nsMSC, "usingSession"),
			Ops: map[string]*wsdlOp{}, El: pt}
		for _, o := range children(pt, NamespaceWSDL, "operation") {
			op := &wsdlOp{Name: o.SelectAttrValue("name", ""), El: o,
				Initiating: attrNS(o, nsMSC, "isInitiating"), Terminating: attrNS(o, nsMSC, "isTerminating")}
			if in := child(o, NamespaceWSDL, msgInput); in != nil {
				op.Input = attrNS(in, nsWSAW, "Action")
				op.InputMessage = resolveQName(t, in, in.SelectAttrValue("message", ""))
			}
			if out := child(o, NamespaceWSDL, msgOutput); out != nil {
				op.Output = attrNS(out, nsWSAW, "Action")
				op.OutputMessage = resolveQName(t, out, out.SelectAttrValue("message", ""))
			}
			if _, dup := wp.Ops[op.Name]; dup {
				t.Errorf("portType %s: operation %s declared twice", wp.Name, op.Name)
			}
			wp.Ops[op.Name] = op
			wp.Order = append(wp.Order, op.Name)
		}
		p.PortTypes[wp.Name] = wp
	}
	if types := child(p.Defs, NamespaceWSDL, "types"); types != nil {
		for _, s := range children(types, nsXSD, "schema") {
			tns := s.SelectAttrValue("targetNamespace", "")
			if _, dup := p.Schemas[tns]; dup {
				t.Errorf("two xs:schema elements for namespace %q", tns)
			}
			p.Schemas[tns] = s
		}
	}
	return p
}

// attrNS returns the value of the attribute {space}local of e.
func attrNS(e *etree.Element, space, local string) string {
	for _, a := range e.Attr {
		if a.Key == local && a.Space != "" && a.NamespaceURI() == space {
			return a.Value
		}
	}
	return ""
}

// lookupPrefix resolves prefix ("" = default namespace) in e's scope.
func lookupPrefix(e *etree.Element, prefix string) (string, bool) {
	for ; e != nil; e = e.Parent() {
		for _, a := range e.Attr {
			if (prefix == "" && a.Space == "" && a.Key == nsXMLNS) || (prefix != "" && a.Space == nsXMLNS && a.Key == prefix) {
				return a.Value, true
			}
		}
	}
	return "", prefix == ""
}

// resolveQName resolves a QName-valued attribute of e.
func resolveQName(t *testing.T, e *etree.Element, v string) qname {
	t.Helper()
	prefix, local, ok := strings.Cut(v, ":")
	if !ok {
		prefix, local = "", v
	}
	space, found := lookupPrefix(e, prefix)
	if !found {
		t.Errorf("QName %q on <%s>: prefix %q not declared", v, e.FullTag(), prefix)
	}
	return qname{space, local}
}

// schemaChild returns the global declaration kind ("element",
// "complexType", "simpleType") named name in the schema of namespace ns.
func (p *parsedWSDL) schemaChild(ns, kind, name string) *etree.Element {
	s := p.Schemas[ns]
	if s == nil {
		return nil
	}
	for _, c := range children(s, nsXSD, kind) {
		if c.SelectAttrValue("name", "") == name {
			return c
		}
	}
	return nil
}

// xsdMember is one xs:element of a complex type's content.
type xsdMember struct {
	Name     string
	Type     qname
	Optional bool // minOccurs="0"
	Nillable bool
}

// contentOf returns a complex type's own sequence members and, when it
// extends another type, the base type's QName.
func contentOf(t *testing.T, ct *etree.Element) (members []xsdMember, base *qname) {
	t.Helper()
	seq := child(ct, nsXSD, "sequence")
	if cc := child(ct, nsXSD, "complexContent"); cc != nil {
		ext := child(cc, nsXSD, "extension")
		if ext == nil {
			t.Fatalf("complexType %s: complexContent without extension", ct.SelectAttrValue("name", ""))
		}
		b := resolveQName(t, ext, ext.SelectAttrValue("base", ""))
		base = &b
		seq = child(ext, nsXSD, "sequence")
	}
	if seq == nil {
		return nil, base
	}
	for _, e := range children(seq, nsXSD, "element") {
		members = append(members, xsdMember{
			Name:     e.SelectAttrValue("name", ""),
			Type:     resolveQName(t, e, e.SelectAttrValue("type", "")),
			Optional: e.SelectAttrValue("minOccurs", "1") == "0",
			Nillable: e.SelectAttrValue("nillable", "false") == "true",
		})
	}
	return members, base
}

// enumValues returns the xs:enumeration values of a simple type.
func enumValues(st *etree.Element) []string {
	var out []string
	if r := child(st, nsXSD, "restriction"); r != nil {
		for _, e := range children(r, nsXSD, "enumeration") {
			out = append(out, e.SelectAttrValue("value", ""))
		}
	}
	return out
}

// wrapperMembers returns the members of the anonymous complex type of a
// global wrapper element in the ipam namespace.
func (p *parsedWSDL) wrapperMembers(t *testing.T, name string) ([]xsdMember, bool) {
	t.Helper()
	el := p.schemaChild(nsIpam, "element", name)
	if el == nil {
		return nil, false
	}
	ct := child(el, nsXSD, "complexType")
	if ct == nil {
		t.Errorf("element %s has no anonymous complexType", name)
		return nil, true
	}
	m, _ := contentOf(t, ct)
	return m, true
}
