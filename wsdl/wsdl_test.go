package wsdl

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

// serverPorts are the dispatch tables ipamd serves.
var serverPorts = []*ipam.PortType{ipam.IIpamAsyncProvisionPort, ipam.IIpamAsyncSchemaConversionPort, ipam.IIpamEnumeratorPort}

// callbackPortOf maps a server port type to its callback port type.
var callbackPortOf = map[string]string{
	ipam.PortIIpamAsyncProvision:        ipam.PortIIpamAsyncProvisionCallback,
	ipam.PortIIpamAsyncSchemaConversion: ipam.PortIIpamAsyncSchemaCallback,
	ipam.PortIIpamEnumerator:            ipam.PortIIpamEnumeratorCallback,
}

func callbackActionSets(port string) (service, callback ipam.CallbackActions) {
	if port == ipam.PortIIpamAsyncProvision {
		return ipam.ProvisionCallbackActions(ipam.CallbackActionsService), ipam.ProvisionCallbackActions(ipam.CallbackActionsCallback)
	}
	if port == ipam.PortIIpamEnumerator {
		return ipam.EnumeratorCallbackActions(ipam.CallbackActionsService), ipam.EnumeratorCallbackActions(ipam.CallbackActionsCallback)
	}
	return ipam.SchemaConversionCallbackActions(ipam.CallbackActionsService), ipam.SchemaConversionCallbackActions(ipam.CallbackActionsCallback)
}

func TestDocumentIsACopy(t *testing.T) {
	a := Document()
	a[0] = 'X'
	if Document()[0] == 'X' {
		t.Fatal("Document returns the embedded slice")
	}
}

// TestFlattened: one document, schemas inline, no external locations.
func TestFlattened(t *testing.T) {
	p := parseWSDL(t, Document())
	for _, e := range p.Doc.FindElements("//*") {
		switch {
		case e.NamespaceURI() == NamespaceWSDL && e.Tag == "import":
			t.Errorf("wsdl:import present")
		case e.NamespaceURI() == nsXSD && (e.Tag == "include" || e.Tag == "redefine"):
			t.Errorf("xs:%s present", e.Tag)
		case e.NamespaceURI() == nsXSD && e.Tag == "import" && e.SelectAttr("schemaLocation") != nil:
			t.Errorf("xs:import of %s has a schemaLocation", e.SelectAttrValue("namespace", ""))
		}
	}
	for _, ns := range []string{nsIpam, nsIpam1, nsSys, nsSer, nsSerArr, nsSysSock, nsSysNet} {
		if p.Schemas[ns] == nil {
			t.Errorf("no xs:schema for %s", ns)
		}
	}
	if len(p.Schemas) != 7 {
		t.Errorf("%d schemas, want 7", len(p.Schemas))
	}
	// Every namespace a schema imports is one of the inline schemas.
	for tns, s := range p.Schemas {
		for _, imp := range children(s, nsXSD, "import") {
			if ns := imp.SelectAttrValue("namespace", ""); p.Schemas[ns] == nil {
				t.Errorf("schema %s imports %s, which is not inline", tns, ns)
			}
		}
	}
}

// TestDispatchTablesInWSDL: every operation of wsdl/ipam's dispatch tables is
// in the WSDL with the same actions, and the WSDL has no action the tables
// lack.
func TestDispatchTablesInWSDL(t *testing.T) {
	p := parseWSDL(t, Document())
	known := map[string]bool{}
	for _, port := range serverPorts {
		pt := p.PortTypes[port.Name]
		if pt == nil {
			t.Errorf("no portType %s", port.Name)
			continue
		}
		for action, op := range port.Operations {
			known[op.Action] = true
			if action != op.Action {
				t.Errorf("%s: table key %s != Action %s", port.Name, action, op.Action)
			}
			w := pt.Ops[op.Name]
			if w == nil {
				t.Errorf("%s: operation %s missing from the WSDL", port.Name, op.Name)
				continue
			}
			if w.Input != op.Action {
				t.Errorf("%s.%s: input action %q, table %q", port.Name, op.Name, w.Input, op.Action)
			}
			if w.Output != op.ReplyAction {
				t.Errorf("%s.%s: output action %q, table reply action %q", port.Name, op.Name, w.Output, op.ReplyAction)
			}
			if op.ReplyAction != "" {
				known[op.ReplyAction] = true
			}
		}
		cbPort := p.PortTypes[callbackPortOf[port.Name]]
		if cbPort == nil {
			t.Errorf("no callback portType %s", callbackPortOf[port.Name])
			continue
		}
		service, callback := callbackActionSets(port.Name)
		for action, name := range port.CallbackOperations {
			known[action] = true
			if !slices.Contains(actionsOf(service), action) && !slices.Contains(actionsOf(callback), action) {
				t.Errorf("%s: callback action %s is in neither CallbackActions set", port.Name, action)
			}
			var w *wsdlOp
			if slices.Contains(actionsOf(service), action) {
				// Output-only operation of the server port type.
				if w = pt.Ops[name]; w != nil && (w.Output != action || w.Input != "") {
					t.Errorf("%s.%s: want output-only with action %s, got input %q output %q", pt.Name, name, action, w.Input, w.Output)
				}
			} else {
				// Input operation of the callback port type.
				if w = cbPort.Ops[name]; w != nil && (w.Input != action || w.Output != "") {
					t.Errorf("%s.%s: want input-only with action %s, got input %q output %q", cbPort.Name, name, action, w.Input, w.Output)
				}
			}
			if w == nil {
				t.Errorf("%s: callback operation %s (%s) missing from the WSDL", port.Name, name, action)
			}
		}
		for _, a := range append(actionsOf(service), actionsOf(callback)...) {
			if _, ok := port.CallbackOperations[a]; !ok {
				t.Errorf("%s: CallbackActions value %s is not in CallbackOperations", port.Name, a)
			}
		}
	}
	// Vice versa: every action in the WSDL is one the tables know.
	n := 0
	for _, pt := range p.PortTypes {
		for _, op := range pt.Ops {
			for _, a := range []string{op.Input, op.Output} {
				if a == "" {
					continue
				}
				n++
				if !known[a] {
					t.Errorf("%s.%s: WSDL action %s is in no dispatch table", pt.Name, op.Name, a)
				}
			}
		}
	}
	if n != len(known) {
		t.Errorf("WSDL has %d actions, the tables %d", n, len(known))
	}
}

func actionsOf(a ipam.CallbackActions) []string { return []string{a.Start, a.Checkpoint, a.Complete} }

// TestPortTypesAsSpecified: msc:* attributes, message and element names of
// MS-IPAMM2 section 6.
func TestPortTypesAsSpecified(t *testing.T) {
	p := parseWSDL(t, Document())
	if len(p.PortTypes) != 6 {
		t.Errorf("%d portTypes, want 6", len(p.PortTypes))
	}
	usedMessages := map[string]bool{}
	for _, pt := range p.PortTypes {
		_, server := callbackPortOf[pt.Name]
		if want := map[bool]string{true: "true", false: ""}[server]; pt.Session != want {
			t.Errorf("portType %s: msc:usingSession=%q, want %q", pt.Name, pt.Session, want)
		}
		for _, op := range pt.Ops {
			if server && (op.Initiating != "true" || op.Terminating != "false") {
				t.Errorf("%s.%s: msc:isInitiating=%q msc:isTerminating=%q, want true/false", pt.Name, op.Name, op.Initiating, op.Terminating)
			}
			if !server && (op.Initiating != "" || op.Terminating != "") {
				t.Errorf("%s.%s: callback operation carries msc attributes", pt.Name, op.Name)
			}
			for _, m := range []struct {
				action, suffix string
				msg            qname
				dir            string
			}{{op.Input, "_InputMessage", op.InputMessage, msgInput}, {op.Output, "", op.OutputMessage, msgOutput}} {
				if m.action == "" {
					continue
				}
				if want := nsIpam + "/" + pt.Name + "/" + op.Name; !strings.HasPrefix(m.action, want) {
					t.Errorf("%s.%s %s: action %s does not start with %s", pt.Name, op.Name, m.dir, m.action, want)
				}
				suffix := m.suffix
				element := op.Name
				if m.dir == msgOutput {
					if op.Input != "" {
						suffix, element = "_OutputMessage", op.Name+"Response"
					} else {
						suffix = "_OutputCallbackMessage"
					}
				}
				wantMsg := pt.Name + "_" + op.Name + suffix
				if m.msg != (qname{nsIpam, wantMsg}) {
					t.Errorf("%s.%s %s: message %s, want ipam:%s", pt.Name, op.Name, m.dir, m.msg, wantMsg)
				}
				usedMessages[m.msg.Local] = true
				msg := p.Messages[m.msg.Local]
				if msg == nil {
					t.Errorf("message %s not declared", m.msg.Local)
					continue
				}
				parts := children(msg, NamespaceWSDL, "part")
				if len(parts) != 1 || parts[0].SelectAttrValue("name", "") != "parameters" {
					t.Errorf("message %s: want one part named parameters", m.msg.Local)
					continue
				}
				if el := resolveQName(t, parts[0], parts[0].SelectAttrValue("element", "")); el != (qname{nsIpam, element}) {
					t.Errorf("message %s: element %s, want ipam:%s", m.msg.Local, el, element)
				}
				if p.schemaChild(nsIpam, "element", element) == nil {
					t.Errorf("element ipam:%s not declared", element)
				}
			}
		}
	}
	for name := range p.Messages {
		if !usedMessages[name] {
			t.Errorf("message %s is not used by any portType", name)
		}
	}
	if len(p.Messages) != 29 {
		t.Errorf("%d messages, the spec has 29", len(p.Messages))
	}
}

// TestBindings: one SOAP 1.2 document/literal binding per port type and
// transport, soapAction = wsaw:Action, WCF-style policies.
func TestBindings(t *testing.T) {
	p := parseWSDL(t, Document())
	policies := map[string]*etree.Element{}
	for _, pol := range children(p.Defs, nsWSP, "Policy") {
		policies["#"+attrNS(pol, nsWSU, "Id")] = pol
	}
	perPortType := map[string]map[string]bool{}
	for name, b := range p.Bindings {
		ptName := resolveQName(t, b, b.SelectAttrValue("type", ""))
		pt := p.PortTypes[ptName.Local]
		if ptName.Space != nsIpam || pt == nil {
			t.Errorf("binding %s: unknown portType %s", name, ptName)
			continue
		}
		sb := child(b, NamespaceSOAP12, "binding")
		if sb == nil {
			t.Errorf("binding %s: no soap12:binding", name)
			continue
		}
		if style := sb.SelectAttrValue("style", "document"); style != "document" {
			t.Errorf("binding %s: style %s", name, style)
		}
		transport := transportOf[sb.SelectAttrValue("transport", "")]
		if transport == "" {
			t.Errorf("binding %s: transport %q", name, sb.SelectAttrValue("transport", ""))
			continue
		}
		if perPortType[pt.Name] == nil {
			perPortType[pt.Name] = map[string]bool{}
		}
		if perPortType[pt.Name][transport] {
			t.Errorf("portType %s has two %s bindings", pt.Name, transport)
		}
		perPortType[pt.Name][transport] = true

		// Policy: referenced, addressing always, binary encoding on net.tcp only.
		ref := child(b, nsWSP, "PolicyReference")
		if ref == nil {
			t.Errorf("binding %s: no wsp:PolicyReference", name)
		} else if pol := policies[ref.SelectAttrValue("URI", "")]; pol == nil {
			t.Errorf("binding %s: policy %s not found", name, ref.SelectAttrValue("URI", ""))
		} else {
			has := func(space, local string) bool {
				for _, e := range pol.FindElements(".//*") {
					if e.Tag == local && e.NamespaceURI() == space {
						return true
					}
				}
				return false
			}
			if !has(nsWSAW, "UsingAddressing") {
				t.Errorf("binding %s: policy lacks wsaw:UsingAddressing", name)
			}
			if got, want := has(nsMSB, "BinaryEncoding"), transport == TransportNetTCP; got != want {
				t.Errorf("binding %s (%s): msb:BinaryEncoding present=%v", name, transport, got)
			}
			if transport == TransportHTTP && (!has(nsCDP, "CompositeDuplex") || !has(nsOneWay, "OneWay")) {
				t.Errorf("binding %s: HTTP policy lacks composite duplex / one-way", name)
			}
		}

		ops := children(b, NamespaceWSDL, "operation")
		if len(ops) != len(pt.Ops) {
			t.Errorf("binding %s: %d operations, portType %d", name, len(ops), len(pt.Ops))
		}
		for _, bo := range ops {
			opName := bo.SelectAttrValue("name", "")
			op := pt.Ops[opName]
			if op == nil {
				t.Errorf("binding %s: operation %s not in portType", name, opName)
				continue
			}
			so := child(bo, NamespaceSOAP12, "operation")
			wantAction := op.Input
			if wantAction == "" {
				wantAction = op.Output
			}
			if so == nil || so.SelectAttrValue("soapAction", "") != wantAction || so.SelectAttrValue("style", "") != "document" {
				t.Errorf("binding %s.%s: want soap12:operation soapAction=%q style=document", name, opName, wantAction)
			}
			for dir, action := range map[string]string{msgInput: op.Input, msgOutput: op.Output} {
				m := child(bo, NamespaceWSDL, dir)
				if (m != nil) != (action != "") {
					t.Errorf("binding %s.%s: %s present=%v, portType has it=%v", name, opName, dir, m != nil, action != "")
					continue
				}
				if m != nil {
					if body := child(m, NamespaceSOAP12, "body"); body == nil || body.SelectAttrValue("use", "") != "literal" {
						t.Errorf("binding %s.%s %s: want soap12:body use=literal", name, opName, dir)
					}
				}
			}
		}
	}
	for name := range p.PortTypes {
		if !perPortType[name][TransportNetTCP] || !perPortType[name][TransportHTTP] {
			t.Errorf("portType %s: bindings for %v, want net.tcp and http", name, perPortType[name])
		}
	}
}

// TestService: IpamService has the six client-facing ports.
func TestService(t *testing.T) {
	p := parseWSDL(t, Document())
	svcs := children(p.Defs, NamespaceWSDL, "service")
	if len(svcs) != 1 || svcs[0].SelectAttrValue("name", "") != "IpamService" {
		t.Fatalf("want one wsdl:service IpamService")
	}
	got := portsOf(t, p, svcs[0])
	want := []string{ // placeholders
		"IIpamAsyncProvision http http://localhost:8080/ipam/IIpamAsyncProvision",
		"IIpamAsyncProvision net.tcp net.tcp://localhost:48885/ipam/IIpamAsyncProvision",
		"IIpamAsyncSchemaConversion http http://localhost:8080/ipam/IIpamAsyncSchemaConversion",
		"IIpamAsyncSchemaConversion net.tcp net.tcp://localhost:48885/ipam/IIpamAsyncSchemaConversion",
		"IIpamEnumerator http http://localhost:8080/ipam/IIpamEnumerator",
		"IIpamEnumerator net.tcp net.tcp://localhost:48885/ipam/IIpamEnumerator",
	}
	if !slices.Equal(got, want) {
		t.Errorf("ports:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// portsOf lists a service's ports as "portType transport address", sorted,
// checking that soap12:address and the endpoint reference agree.
func portsOf(t *testing.T, p *parsedWSDL, svc *etree.Element) []string {
	t.Helper()
	var out []string
	for _, port := range children(svc, NamespaceWSDL, "port") {
		bq := resolveQName(t, port, port.SelectAttrValue("binding", ""))
		b := p.Bindings[bq.Local]
		if b == nil {
			t.Errorf("port %s: binding %s not found", port.SelectAttrValue("name", ""), bq)
			continue
		}
		if port.SelectAttrValue("name", "") != bq.Local {
			t.Errorf("port %s: name differs from its binding %s", port.SelectAttrValue("name", ""), bq.Local)
		}
		pt := resolveQName(t, b, b.SelectAttrValue("type", "")).Local
		tr := transportOf[child(b, NamespaceSOAP12, "binding").SelectAttrValue("transport", "")]
		addr := child(port, NamespaceSOAP12, "address")
		if addr == nil {
			t.Errorf("port %s: no soap12:address", bq.Local)
			continue
		}
		loc := addr.SelectAttrValue("location", "")
		if epr := child(port, NamespaceWSA10, "EndpointReference"); epr == nil {
			t.Errorf("port %s: no wsa10:EndpointReference", bq.Local)
		} else if a := child(epr, NamespaceWSA10, "Address"); a == nil || a.Text() != loc {
			t.Errorf("port %s: EndpointReference Address differs from %s", bq.Local, loc)
		}
		out = append(out, pt+" "+tr+" "+loc)
	}
	sort.Strings(out)
	return out
}

// TestExceptionIDsDeclared: IpamExceptionId lists every id wsdl/ipam
// declares (read from exception.go, so new ids can't be forgotten).
func TestExceptionIDsDeclared(t *testing.T) {
	p := parseWSDL(t, Document())
	st := p.schemaChild(nsIpam1, "simpleType", "IpamExceptionId")
	if st == nil {
		t.Fatal("ipam1:IpamExceptionId not declared")
	}
	if r := child(st, nsXSD, "restriction"); r == nil || resolveQName(t, r, r.SelectAttrValue("base", "")) != (qname{nsXSD, "string"}) {
		t.Error("IpamExceptionId is not an xs:string restriction")
	}
	values := enumValues(st)
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "ipam/exception.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Values) != len(vs.Names) {
			return true
		}
		for i, v := range vs.Values {
			lit, ok := v.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				continue
			}
			s, _ := strconv.Unquote(lit.Value)
			if s == vs.Names[i].Name {
				ids = append(ids, s)
			}
		}
		return true
	})
	if len(ids) < 10 {
		t.Fatalf("found only %d IpamExceptionId constants in exception.go: %v", len(ids), ids)
	}
	for _, id := range ids {
		if !slices.Contains(values, id) {
			t.Errorf("IpamExceptionId lacks %s", id)
		}
	}
	// And the one the generic path uses (services/adm.Exception's fallback).
	if !slices.Contains(values, ipam.IpamApiGenericErrorOccurred) {
		t.Error("IpamExceptionId lacks the generic id")
	}
}

// TestXSDAsSpecified spot-checks the spec's shapes that are easy to get
// wrong: required members, nillability, the inheritance chain, ser: attributes.
func TestXSDAsSpecified(t *testing.T) {
	p := parseWSDL(t, Document())
	bases := map[string]qname{
		"IpamProvisioningEnumerationParameters": {nsIpam, "EnumerationParametersBase"},
		"IpamProvisioningSetting":               {nsIpam, "IpamObject"},
		"IpamDatabaseConfiguration":             {nsIpam, "BaseIpamObject"},
		"IpamCredential":                        {nsIpam, "BaseIpamObject"},
		"BaseIpamObject":                        {nsIpam, "IpamObject"},
		"IpamSchemaVersion":                     {nsIpam, "BaseIpamObject"},
		"IpamExceptionData":                     {nsIpam, "IpamObject"},
	}
	for name, want := range bases {
		ct := p.schemaChild(nsIpam, "complexType", name)
		if ct == nil {
			t.Errorf("complexType ipam:%s missing", name)
			continue
		}
		if _, base := contentOf(t, ct); base == nil || *base != want {
			t.Errorf("ipam:%s extends %v, want %s", name, base, want)
		}
	}
	epb, _ := contentOf(t, p.schemaChild(nsIpam, "complexType", "EnumerationParametersBase"))
	for _, m := range epb {
		if m.Optional || m.Nillable {
			t.Errorf("EnumerationParametersBase.%s must be required and not nillable", m.Name)
		}
	}
	obj := p.schemaChild(nsIpam, "complexType", "IpamObject")
	var refs []qname
	for _, a := range children(obj, nsXSD, "attribute") {
		refs = append(refs, resolveQName(t, a, a.SelectAttrValue("ref", "")))
	}
	if !slices.Equal(refs, []qname{{nsSer, "Id"}, {nsSer, "Ref"}}) {
		t.Errorf("IpamObject attributes %v, want ser:Id ser:Ref", refs)
	}
	for _, a := range []string{"Id", "Ref", "FactoryType"} {
		if p.schemaChild(nsSer, "attribute", a) == nil {
			t.Errorf("ser:%s not declared", a)
		}
	}
	exc := p.schemaChild(nsIpam1, "complexType", "IpamException")
	if _, base := contentOf(t, exc); base == nil || *base != (qname{nsSys, "Exception"}) {
		t.Errorf("ipam1:IpamException extends %v, want sys:Exception", base)
	}
	arr, _ := contentOf(t, p.schemaChild(nsSerArr, "complexType", "ArrayOfstring"))
	if len(arr) != 1 || arr[0].Name != "string" || arr[0].Type != (qname{nsXSD, "string"}) {
		t.Errorf("serarr:ArrayOfstring = %+v", arr)
	}
	for _, op := range []string{"NotifyAsyncProvisionComplete", "NotifyAsyncSchemaConversionComplete"} {
		m, _ := p.wrapperMembers(t, op)
		want := []xsdMember{{"result", qname{nsIpam, "IpamObject"}, true, true}, {"exception", qname{nsIpam1, "IpamException"}, true, true}}
		if !slices.Equal(m, want) {
			t.Errorf("%s members %+v, want %+v", op, m, want)
		}
	}
}

func TestForEndpoints(t *testing.T) {
	const (
		tcpProv = "net.tcp://ipam.example.com:48885/ipam/IIpamAsyncProvision"
		tcpConv = "net.tcp://ipam.example.com:48885/ipam/IIpamAsyncSchemaConversion"
		httpP   = "http://[::1]:8080/ipam/IIpamAsyncProvision?a=1&b=2"
		httpC   = "https://ipam.example.com/ipam/IIpamAsyncSchemaConversion"
	)
	tests := []struct {
		name       string
		prov, conv map[string]string
		want       []string
	}{
		{"both transports",
			map[string]string{"net.tcp": tcpProv, "http": httpP}, map[string]string{"net.tcp": tcpConv, "http": httpC},
			[]string{"IIpamAsyncProvision http " + httpP, "IIpamAsyncProvision net.tcp " + tcpProv,
				"IIpamAsyncSchemaConversion http " + httpC, "IIpamAsyncSchemaConversion net.tcp " + tcpConv}},
		{"net.tcp only",
			map[string]string{"net.tcp": tcpProv}, map[string]string{"net.tcp": tcpConv},
			[]string{"IIpamAsyncProvision net.tcp " + tcpProv, "IIpamAsyncSchemaConversion net.tcp " + tcpConv}},
		{"mixed",
			map[string]string{"http": httpP}, map[string]string{"net.tcp": tcpConv},
			[]string{"IIpamAsyncProvision http " + httpP, "IIpamAsyncSchemaConversion net.tcp " + tcpConv}},
		{"none", nil, map[string]string{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := ForEndpoints(tt.prov, tt.conv)
			if err != nil {
				t.Fatal(err)
			}
			p := parseWSDL(t, out)
			svc := child(p.Defs, NamespaceWSDL, "service")
			if got := portsOf(t, p, svc); !slices.Equal(got, tt.want) {
				t.Errorf("ports:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			// Everything before the service is untouched, byte for byte.
			doc := Document()
			cut := bytes.Index(doc, []byte("<wsdl:service "))
			if cut < 0 || !bytes.Equal(out[:cut], doc[:cut]) {
				t.Error("ForEndpoints changed the document outside wsdl:service")
			}
			if bytes.Contains(out[cut:], []byte("\n\n")) || bytes.Contains(out[cut:], []byte("\n    \n")) {
				t.Errorf("blank lines left where ports were removed:\n%s", out[cut:])
			}
			// Same prefixes as the original.
			if !bytes.Contains(out, []byte(`<soap12:address location=`)) && len(tt.want) > 0 {
				t.Error("soap12: prefix not kept")
			}
		})
	}
}

func TestForEndpointsErrors(t *testing.T) {
	tests := []struct {
		prov, conv map[string]string
		want       string
	}{
		{map[string]string{"tcp": "net.tcp://h:1/p"}, nil, `unknown transport "tcp"`},
		{map[string]string{"net.tcp": "http://h:1/p"}, nil, "must be an absolute net.tcp:// URI"},
		{nil, map[string]string{"http": "net.tcp://h:1/p"}, "IIpamAsyncSchemaConversion endpoint: http address"},
		{map[string]string{"net.tcp": "/ipam/IIpamAsyncProvision"}, nil, "must be an absolute"},
		{map[string]string{"http": "http://h:1/%zz"}, nil, "invalid URL escape"},
	}
	for _, tt := range tests {
		_, err := ForEndpoints(tt.prov, tt.conv)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ForEndpoints(%v, %v) = %v, want error containing %q", tt.prov, tt.conv, err, tt.want)
		}
	}
}
