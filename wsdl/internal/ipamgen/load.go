package main

import (
	"encoding/xml"
	"errors"
	"fmt"
	"strings"

	"github.com/beevik/etree"
	"github.com/hooklift/gowsdl"
)

// Namespaces the loader reads.
const (
	nsWSDL   = "http://schemas.xmlsoap.org/wsdl/"
	nsSOAP11 = "http://schemas.xmlsoap.org/wsdl/soap/"
	nsSOAP12 = "http://schemas.xmlsoap.org/wsdl/soap12/"
	nsWSAW   = "http://www.w3.org/2006/05/addressing/wsdl"
	nsWSAM   = "http://www.w3.org/2007/05/addressing/metadata"
	nsMSC    = "http://schemas.microsoft.com/ws/2005/12/wsdl/contract"
	nsXSD    = "http://www.w3.org/2001/XMLSchema"
)

// errUnsupported is wrapped by every error about a WSDL or XSD construct the
// generator does not handle, as opposed to a document that is wrong.
var errUnsupported = errors.New("not supported by ipamgen")

type qname struct{ Space, Local string }

func (q qname) String() string { return "{" + q.Space + "}" + q.Local }

// document is the WSDL as the generator sees it: gowsdl's parse of
// messages, port types and schemas, completed with what gowsdl does not
// read (wsaw:Action, the msc: session attributes, SOAP 1.2 bindings).
type document struct {
	defs     *gowsdl.WSDL
	tns      string
	messages map[string]*gowsdl.WSDLMessage // by local name (all in tns)
	ports    []*portType

	complexTypes map[qname]declared[gowsdl.XSDComplexType]
	simpleTypes  map[qname]declared[gowsdl.XSDSimpleType]
	elements     map[qname]declared[gowsdl.XSDElement]
	// schemaNamespaces lists the schemas' target namespaces in document order.
	schemaNamespaces []string
}

// declared is a global XSD declaration with the schema it appears in (for
// its target namespace, elementFormDefault and prefix bindings).
type declared[T any] struct {
	decl   *T
	schema *gowsdl.XSDSchema
}

type portType struct {
	Name         string
	Doc          string
	UsingSession bool
	Ops          []*operation
}

type operation struct {
	Name                        string
	Doc                         string
	Input, Output               *opMessage // nil when the operation has none
	IsInitiating, IsTerminating bool
}

type opMessage struct {
	Action  string
	Element qname // the message's single part (document/literal wrapped)
}

// load parses a WSDL 1.1 document.
func load(src []byte) (*document, error) {
	// gowsdl's parser: the way gowsdl itself reads a WSDL (GoWSDL.unmarshal).
	defs := new(gowsdl.WSDL)
	if err := xml.Unmarshal(src, defs); err != nil {
		return nil, fmt.Errorf("parse WSDL: %w", err)
	}
	// etree for what gowsdl drops.
	tree := etree.NewDocument()
	if err := tree.ReadFromBytes(src); err != nil {
		return nil, fmt.Errorf("parse WSDL: %w", err)
	}
	root := tree.Root()
	if root == nil || root.Tag != "definitions" || root.NamespaceURI() != nsWSDL {
		return nil, errors.New("not a WSDL 1.1 document: the root element is not wsdl:definitions")
	}
	if len(defs.Imports) > 0 {
		return nil, fmt.Errorf("wsdl:import of %s: %w (flatten the WSDL)", defs.Imports[0].Location, errUnsupported)
	}
	d := &document{
		defs:         defs,
		tns:          defs.TargetNamespace,
		messages:     map[string]*gowsdl.WSDLMessage{},
		complexTypes: map[qname]declared[gowsdl.XSDComplexType]{},
		simpleTypes:  map[qname]declared[gowsdl.XSDSimpleType]{},
		elements:     map[qname]declared[gowsdl.XSDElement]{},
	}
	if d.tns == "" {
		return nil, errors.New("wsdl:definitions has no targetNamespace")
	}
	if err := d.indexSchemas(); err != nil {
		return nil, err
	}
	for _, m := range defs.Messages {
		if d.messages[m.Name] != nil {
			return nil, fmt.Errorf("message %s declared twice", m.Name)
		}
		d.messages[m.Name] = m
	}
	if err := d.loadPortTypes(root); err != nil {
		return nil, err
	}
	if err := d.checkBindings(root); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *document) indexSchemas() error {
	seen := map[string]bool{}
	for _, s := range d.defs.Types.Schemas {
		tns := s.TargetNamespace
		if tns == "" {
			return fmt.Errorf("xs:schema without targetNamespace: %w", errUnsupported)
		}
		if len(s.Includes) > 0 {
			return fmt.Errorf("xs:include in schema %s: %w (flatten the WSDL)", tns, errUnsupported)
		}
		for _, imp := range s.Imports {
			if imp.SchemaLocation != "" {
				return fmt.Errorf("xs:import of %s with schemaLocation: %w (flatten the WSDL)", imp.Namespace, errUnsupported)
			}
		}
		if !seen[tns] {
			seen[tns] = true
			d.schemaNamespaces = append(d.schemaNamespaces, tns)
		}
		for _, ct := range s.ComplexTypes {
			q := qname{tns, ct.Name}
			if _, dup := d.complexTypes[q]; dup {
				return fmt.Errorf("complexType %s declared twice", q)
			}
			d.complexTypes[q] = declared[gowsdl.XSDComplexType]{ct, s}
		}
		for _, st := range s.SimpleType {
			q := qname{tns, st.Name}
			if _, dup := d.simpleTypes[q]; dup {
				return fmt.Errorf("simpleType %s declared twice", q)
			}
			d.simpleTypes[q] = declared[gowsdl.XSDSimpleType]{st, s}
		}
		for _, el := range s.Elements {
			q := qname{tns, el.Name}
			if _, dup := d.elements[q]; dup {
				return fmt.Errorf("element %s declared twice", q)
			}
			d.elements[q] = declared[gowsdl.XSDElement]{el, s}
		}
	}
	return nil
}

// resolve turns a prefixed QName attribute value into a qname with the
// prefix bindings gowsdl recorded. gowsdl keeps the xmlns:p declarations of
// wsdl:definitions and xs:schema but not a default namespace, so an
// unprefixed QName is refused rather than guessed.
func resolve(xmlns map[string]string, v string) (qname, error) {
	prefix, local, ok := strings.Cut(strings.TrimSpace(v), ":")
	if !ok {
		return qname{}, fmt.Errorf("QName %q has no prefix: %w (gowsdl drops default namespace declarations)", v, errUnsupported)
	}
	space, bound := xmlns[prefix]
	if !bound {
		return qname{}, fmt.Errorf("QName %q: prefix %q is not declared on wsdl:definitions or xs:schema", v, prefix)
	}
	return qname{space, local}, nil
}

func (d *document) loadPortTypes(root *etree.Element) error {
	trees := map[string]*etree.Element{}
	for _, e := range children(root, nsWSDL, "portType") {
		trees[e.SelectAttrValue("name", "")] = e
	}
	for _, pt := range d.defs.PortTypes {
		e := trees[pt.Name]
		if e == nil {
			return fmt.Errorf("portType %s: not found in the document tree", pt.Name)
		}
		session, err := boolAttr(e, nsMSC, "usingSession", false)
		if err != nil {
			return fmt.Errorf("portType %s: %w", pt.Name, err)
		}
		p := &portType{Name: pt.Name, Doc: strings.TrimSpace(pt.Doc), UsingSession: session}
		opTrees := map[string]*etree.Element{}
		for _, oe := range children(e, nsWSDL, "operation") {
			opTrees[oe.SelectAttrValue("name", "")] = oe
		}
		for _, o := range pt.Operations {
			op, err := d.loadOperation(pt.Name, o, opTrees[o.Name])
			if err != nil {
				return fmt.Errorf("portType %s operation %s: %w", pt.Name, o.Name, err)
			}
			p.Ops = append(p.Ops, op)
		}
		d.ports = append(d.ports, p)
	}
	return nil
}

func (d *document) loadOperation(port string, o *gowsdl.WSDLOperation, e *etree.Element) (*operation, error) {
	if e == nil {
		return nil, errors.New("not found in the document tree")
	}
	if len(o.Faults) > 0 {
		return nil, fmt.Errorf("wsdl:fault %s: %w", o.Faults[0].Name, errUnsupported)
	}
	op := &operation{Name: o.Name, Doc: strings.TrimSpace(o.Doc)}
	var err error
	// WCF's defaults: an operation starts a session, and does not end it.
	if op.IsInitiating, err = boolAttr(e, nsMSC, "isInitiating", true); err != nil {
		return nil, err
	}
	if op.IsTerminating, err = boolAttr(e, nsMSC, "isTerminating", false); err != nil {
		return nil, err
	}
	for _, dir := range []struct {
		name    string
		message string
		into    **opMessage
	}{{"input", o.Input.Message, &op.Input}, {"output", o.Output.Message, &op.Output}} {
		me := child(e, nsWSDL, dir.name)
		if me == nil {
			continue
		}
		action := attrNS(me, nsWSAW, "Action")
		if action == "" {
			action = attrNS(me, nsWSAM, "Action")
		}
		if action == "" {
			return nil, fmt.Errorf("%s has no wsaw:Action (ipamgen dispatches by explicit actions)", dir.name)
		}
		el, err := d.messageElement(dir.message)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", dir.name, err)
		}
		*dir.into = &opMessage{Action: action, Element: el}
	}
	if op.Input == nil && op.Output == nil {
		return nil, errors.New("neither input nor output")
	}
	return op, nil
}

// messageElement returns the element of a document/literal wrapped message:
// exactly one part, declared by element.
func (d *document) messageElement(ref string) (qname, error) {
	q, err := resolve(d.defs.Xmlns, ref)
	if err != nil {
		return qname{}, err
	}
	if q.Space != d.tns {
		return qname{}, fmt.Errorf("message %s is not in the target namespace", q)
	}
	m := d.messages[q.Local]
	if m == nil {
		return qname{}, fmt.Errorf("message %s not declared", q)
	}
	if len(m.Parts) != 1 || m.Parts[0].Element == "" {
		return qname{}, fmt.Errorf("message %s: want one part declared by element (document/literal wrapped): %w", m.Name, errUnsupported)
	}
	el, err := resolve(d.defs.Xmlns, m.Parts[0].Element)
	if err != nil {
		return qname{}, fmt.Errorf("message %s: %w", m.Name, err)
	}
	if _, ok := d.elements[el]; !ok {
		return qname{}, fmt.Errorf("message %s: element %s not declared", m.Name, el)
	}
	return el, nil
}

// checkBindings reads the SOAP bindings (gowsdl knows SOAP 1.1 only) and
// checks that each is SOAP 1.2 document/literal with soapAction equal to the
// port type's wsaw:Action: the generated dispatch is by action, so a binding
// promising another one would be a lie.
func (d *document) checkBindings(root *etree.Element) error {
	ports := map[string]*portType{}
	for _, p := range d.ports {
		ports[p.Name] = p
	}
	for _, b := range children(root, nsWSDL, "binding") {
		name := b.SelectAttrValue("name", "")
		if child(b, nsSOAP11, "binding") != nil {
			return fmt.Errorf("binding %s: SOAP 1.1: %w (the contract is SOAP 1.2)", name, errUnsupported)
		}
		sb := child(b, nsSOAP12, "binding")
		if sb == nil {
			continue // not a SOAP binding: nothing the generated code depends on
		}
		if style := sb.SelectAttrValue("style", "document"); style != "document" {
			return fmt.Errorf("binding %s: style %q: %w", name, style, errUnsupported)
		}
		tq, err := resolveIn(b, b.SelectAttrValue("type", ""))
		if err != nil {
			return fmt.Errorf("binding %s: %w", name, err)
		}
		pt := ports[tq.Local]
		if tq.Space != d.tns || pt == nil {
			return fmt.Errorf("binding %s: unknown portType %s", name, tq)
		}
		ops := map[string]*operation{}
		for _, o := range pt.Ops {
			ops[o.Name] = o
		}
		for _, bo := range children(b, nsWSDL, "operation") {
			opName := bo.SelectAttrValue("name", "")
			op := ops[opName]
			if op == nil {
				return fmt.Errorf("binding %s: operation %s is not in portType %s", name, opName, pt.Name)
			}
			want := ""
			if op.Input != nil {
				want = op.Input.Action
			} else {
				want = op.Output.Action
			}
			so := child(bo, nsSOAP12, "operation")
			if so == nil {
				return fmt.Errorf("binding %s operation %s: no soap12:operation", name, opName)
			}
			if got := so.SelectAttrValue("soapAction", ""); got != want {
				return fmt.Errorf("binding %s operation %s: soapAction %q, but the portType's wsaw:Action is %q", name, opName, got, want)
			}
			if style := so.SelectAttrValue("style", "document"); style != "document" {
				return fmt.Errorf("binding %s operation %s: style %q: %w", name, opName, style, errUnsupported)
			}
			for _, dir := range []string{"input", "output"} {
				m := child(bo, nsWSDL, dir)
				has := (dir == "input" && op.Input != nil) || (dir == "output" && op.Output != nil)
				if (m != nil) != has {
					return fmt.Errorf("binding %s operation %s: %s present=%v, portType has it=%v", name, opName, dir, m != nil, has)
				}
				if m == nil {
					continue
				}
				if body := child(m, nsSOAP12, "body"); body == nil || body.SelectAttrValue("use", "") != "literal" {
					return fmt.Errorf("binding %s operation %s %s: want soap12:body use=\"literal\": %w", name, opName, dir, errUnsupported)
				}
			}
		}
	}
	return nil
}

// children returns e's child elements named {space}local.
func children(e *etree.Element, space, local string) []*etree.Element {
	var out []*etree.Element
	for _, c := range e.ChildElements() {
		if c.Tag == local && c.NamespaceURI() == space {
			out = append(out, c)
		}
	}
	return out
}

func child(e *etree.Element, space, local string) *etree.Element {
	if c := children(e, space, local); len(c) > 0 {
		return c[0]
	}
	return nil
}

// attrNS returns the value of the attribute {space}local, or "".
func attrNS(e *etree.Element, space, local string) string {
	for i := range e.Attr {
		if a := &e.Attr[i]; a.Key == local && a.Space != "" && a.NamespaceURI() == space {
			return a.Value
		}
	}
	return ""
}

func boolAttr(e *etree.Element, space, local string, dflt bool) (bool, error) {
	switch v := strings.TrimSpace(attrNS(e, space, local)); v {
	case "":
		return dflt, nil
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	default:
		return false, fmt.Errorf("attribute %s=%q is not an xs:boolean", local, v)
	}
}

// resolveIn resolves a QName attribute value in e's scope.
func resolveIn(e *etree.Element, v string) (qname, error) {
	prefix, local, ok := strings.Cut(v, ":")
	if !ok {
		prefix, local = "", v
	}
	for s := e; s != nil; s = s.Parent() {
		for _, a := range s.Attr {
			if (prefix == "" && a.Space == "" && a.Key == "xmlns") || (prefix != "" && a.Space == "xmlns" && a.Key == prefix) {
				return qname{a.Value, local}, nil
			}
		}
	}
	return qname{}, fmt.Errorf("QName %q: prefix %q is not declared", v, prefix)
}
