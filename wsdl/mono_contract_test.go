package wsdl

import (
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// The Mono interop client's C# declares the same contract as WCF attributes;
// a WCF stack would generate this WSDL from it. These tests read it with
// regular expressions (no C# toolchain needed) and check both directions.
// monoClient and monoEnumClient are the Mono WCF clients' contracts: the two
// async port types, and IIpamEnumerator.
const (
	monoClient     = "../test/interop/mono/ipamclient.cs"
	monoEnumClient = "../test/interop/mono/enumclient.cs"
)

type csOp struct {
	Name       string
	Return     string
	Params     []csParam
	OneWay     bool
	Initiating bool
	Faults     []string
}

type csParam struct{ Type, Name string }

type csInterface struct {
	Name, Callback string
	Service        bool // [ServiceContract]
	Session        bool // SessionMode.Required
	Ops            []csOp
}

type csMember struct {
	Type, Name string
	Required   bool
}

type csClass struct {
	Name, Base string
	Members    []csMember
	KnownTypes []string
}

type csContract struct {
	Interfaces map[string]*csInterface
	Classes    map[string]*csClass
	Enums      map[string][]string
	Exceptions []string // [Serializable] classes deriving from System.Exception
}

var (
	reInterface  = regexp.MustCompile(`(?s)((?:\[[^\n]*\]\s*)*)public interface (\w+)\s*\{(.*?)\n\t\}`)
	reCallback   = regexp.MustCompile(`CallbackContract\s*=\s*typeof\s*\(\s*(\w+)\s*\)`)
	reOperation  = regexp.MustCompile(`(?s)\[OperationContract\s*(?:\(([^)]*)\))?\]\s*((?:\[[^\]]*\]\s*)*)([\w\[\]]+)\s+(\w+)\s*\(([^)]*)\)\s*;`)
	reFault      = regexp.MustCompile(`FaultContract\s*\(\s*typeof\s*\(\s*(\w+)\s*\)`)
	reClass      = regexp.MustCompile(`(?s)\[DataContract\s*(?:\([^)]*\))?\]\s*((?:\[[^\n]*\]\s*)*)public class (\w+)(?:\s*:\s*(\w+))?\s*\{(.*?)\n\t\}`)
	reKnownType  = regexp.MustCompile(`KnownType\s*\(\s*typeof\s*\(\s*(\w+)\s*\)`)
	reDataMember = regexp.MustCompile(`\[DataMember\s*(?:\(([^)]*)\))?\]\s*public\s+([\w\[\]]+)\s+(\w+)\s*;`)
	reEnum       = regexp.MustCompile(`(?s)\[DataContract\s*(?:\([^)]*\))?\]\s*public enum (\w+)\s*\{(.*?)\}`)
	reEnumMember = regexp.MustCompile(`\[EnumMember\]\s*(\w+)`)
	reException  = regexp.MustCompile(`\[Serializable\][^{]*?public class (\w+)\s*:\s*Exception\b`)
	reComment    = regexp.MustCompile(`(?m)//.*$`)
)

// parseCSharp reads the contracts of files (monoClient first: the checks
// below that the reading found something are about it).
func parseCSharp(t *testing.T, files ...string) *csContract {
	t.Helper()
	var src []byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src = append(append(src, b...), '\n')
	}
	text := reComment.ReplaceAllString(string(src), "")
	c := &csContract{Interfaces: map[string]*csInterface{}, Classes: map[string]*csClass{}, Enums: map[string][]string{}}
	for _, m := range reInterface.FindAllStringSubmatch(text, -1) {
		attrs, name, body := m[1], m[2], m[3]
		in := &csInterface{Name: name, Service: strings.Contains(attrs, "[ServiceContract"),
			Session: strings.Contains(attrs, "SessionMode.Required")}
		if cb := reCallback.FindStringSubmatch(attrs); cb != nil {
			in.Callback = cb[1]
		}
		for _, om := range reOperation.FindAllStringSubmatch(body, -1) {
			op := csOp{Name: om[4], Return: om[3],
				OneWay:     regexp.MustCompile(`IsOneWay\s*=\s*true`).MatchString(om[1]),
				Initiating: !regexp.MustCompile(`IsInitiating\s*=\s*false`).MatchString(om[1])}
			for _, f := range reFault.FindAllStringSubmatch(om[2], -1) {
				op.Faults = append(op.Faults, f[1])
			}
			for _, p := range strings.Split(om[5], ",") {
				if f := strings.Fields(p); len(f) == 2 {
					op.Params = append(op.Params, csParam{f[0], f[1]})
				} else if len(f) != 0 {
					t.Fatalf("%s.%s: cannot read parameter %q", name, op.Name, p)
				}
			}
			in.Ops = append(in.Ops, op)
		}
		c.Interfaces[name] = in
	}
	for _, m := range reClass.FindAllStringSubmatch(text, -1) {
		cl := &csClass{Name: m[2], Base: m[3]}
		for _, k := range reKnownType.FindAllStringSubmatch(m[1], -1) {
			cl.KnownTypes = append(cl.KnownTypes, k[1])
		}
		for _, dm := range reDataMember.FindAllStringSubmatch(m[4], -1) {
			cl.Members = append(cl.Members, csMember{Type: dm[2], Name: dm[3],
				Required: regexp.MustCompile(`IsRequired\s*=\s*true`).MatchString(dm[1])})
		}
		c.Classes[cl.Name] = cl
	}
	for _, m := range reEnum.FindAllStringSubmatch(text, -1) {
		for _, em := range reEnumMember.FindAllStringSubmatch(m[2], -1) {
			c.Enums[m[1]] = append(c.Enums[m[1]], em[1])
		}
	}
	for _, m := range reException.FindAllStringSubmatch(text, -1) {
		c.Exceptions = append(c.Exceptions, m[1])
	}
	// The reading must have found the contract, not silently nothing.
	for _, name := range []string{"IIpamAsyncProvision", "IIpamAsyncProvisionCallback", "IIpamAsyncSchemaConversion", "IIpamAsyncSchemaCallback"} {
		if in := c.Interfaces[name]; in == nil || len(in.Ops) == 0 {
			t.Fatalf("%s: interface %s not found or without operations", monoClient, name)
		}
	}
	if len(c.Classes) < 8 || len(c.Enums) < 4 || len(c.Exceptions) == 0 {
		t.Fatalf("%s: found %d data contracts, %d enums, %d exceptions: the regular expressions no longer match",
			monoClient, len(c.Classes), len(c.Enums), len(c.Exceptions))
	}
	return c
}

// xsdTypeOf maps a C# member type to the XSD type DataContractSerializer
// uses for it.
func xsdTypeOf(cs string) qname {
	switch cs {
	case "bool":
		return qname{nsXSD, "boolean"}
	case "string":
		return qname{nsXSD, "string"}
	case "int":
		return qname{nsXSD, "int"}
	case "uint":
		return qname{nsXSD, "unsignedInt"}
	case "byte[]":
		return qname{nsXSD, "base64Binary"}
	case "string[]":
		return qname{nsSerArr, "ArrayOfstring"}
	case "IpamException", "IIpamRemotingModule":
		return qname{nsIpam1, cs}
	}
	if elem, ok := strings.CutSuffix(cs, "[]"); ok {
		return qname{nsIpam, "ArrayOf" + elem}
	}
	return qname{nsIpam, cs}
}

// TestMonoContractOperations: the WSDL's port types are exactly the C#
// service contracts with their callback contracts, operation by operation.
func TestMonoContractOperations(t *testing.T) {
	p := parseWSDL(t, Document())
	c := parseCSharp(t, monoClient, monoEnumClient)

	covered := map[string]bool{} // portType.operation seen in the C#
	for _, in := range c.Interfaces {
		pt := p.PortTypes[in.Name]
		if pt == nil {
			t.Errorf("C# contract %s has no portType", in.Name)
			continue
		}
		if in.Service {
			if got, want := pt.Session == "true", in.Session; got != want {
				t.Errorf("portType %s: msc:usingSession=%q, C# SessionMode.Required=%v", in.Name, pt.Session, want)
			}
			cb := c.Interfaces[in.Callback]
			if cb == nil {
				t.Errorf("C# contract %s: callback contract %q not found", in.Name, in.Callback)
				continue
			}
			// Client-invoked operations.
			for _, op := range in.Ops {
				covered[in.Name+"."+op.Name] = true
				w := pt.Ops[op.Name]
				if w == nil {
					t.Errorf("portType %s lacks C# operation %s", in.Name, op.Name)
					continue
				}
				if w.Input == "" || (w.Output == "") != op.OneWay {
					t.Errorf("%s.%s: WSDL input=%q output=%q, C# IsOneWay=%v", in.Name, op.Name, w.Input, w.Output, op.OneWay)
				}
				if want := map[bool]string{true: "true", false: "false"}[op.Initiating]; w.Initiating != want {
					t.Errorf("%s.%s: msc:isInitiating=%q, C# IsInitiating=%v", in.Name, op.Name, w.Initiating, op.Initiating)
				}
				if want := nsIpam + "/" + in.Name + "/" + op.Name; w.Input != want {
					t.Errorf("%s.%s: action %s, WCF derives %s", in.Name, op.Name, w.Input, want)
				}
				checkParams(t, p, op.Name, op.Params)
				if !op.OneWay {
					if op.Return != "void" {
						t.Errorf("%s.%s: C# returns %s; extend this test", in.Name, op.Name, op.Return)
					}
					checkParams(t, p, op.Name+"Response", nil)
				}
				for _, f := range op.Faults {
					if p.schemaChild(xsdTypeOf(f).Space, "element", f) == nil {
						t.Errorf("%s.%s: fault detail %s has no global element", in.Name, op.Name, f)
					}
				}
			}
			// Callback operations are output-only operations of the service port type.
			for _, op := range cb.Ops {
				covered[in.Name+"."+op.Name] = true
				w := pt.Ops[op.Name]
				if w == nil {
					t.Errorf("portType %s lacks callback operation %s", in.Name, op.Name)
					continue
				}
				if !op.OneWay || w.Input != "" || w.Output != nsIpam+"/"+in.Name+"/"+op.Name {
					t.Errorf("%s.%s: want a one-way callback as output-only operation with action %s/%s/%s; WSDL input=%q output=%q",
						in.Name, op.Name, nsIpam, in.Name, op.Name, w.Input, w.Output)
				}
			}
			continue
		}
		// A callback contract is also declared as a port type of its own.
		if pt.Session != "" {
			t.Errorf("callback portType %s carries msc:usingSession", in.Name)
		}
		for _, op := range in.Ops {
			covered[in.Name+"."+op.Name] = true
			w := pt.Ops[op.Name]
			if w == nil {
				t.Errorf("portType %s lacks C# operation %s", in.Name, op.Name)
				continue
			}
			if !op.OneWay || w.Output != "" || w.Input != nsIpam+"/"+in.Name+"/"+op.Name {
				t.Errorf("%s.%s: want one-way input with action %s/%s/%s; got input=%q output=%q",
					in.Name, op.Name, nsIpam, in.Name, op.Name, w.Input, w.Output)
			}
			checkParams(t, p, op.Name, op.Params)
		}
	}
	// Vice versa: every WSDL operation is declared in the C#.
	for _, pt := range p.PortTypes {
		if c.Interfaces[pt.Name] == nil {
			t.Errorf("portType %s has no C# contract", pt.Name)
		}
		for _, op := range pt.Ops {
			if !covered[pt.Name+"."+op.Name] {
				t.Errorf("portType operation %s.%s is not in the C# contracts", pt.Name, op.Name)
			}
		}
	}
}

// checkParams compares a wrapper element's members with C# parameters.
func checkParams(t *testing.T, p *parsedWSDL, element string, params []csParam) {
	t.Helper()
	members, ok := p.wrapperMembers(t, element)
	if !ok {
		t.Errorf("no wrapper element ipam:%s", element)
		return
	}
	var got, want []string
	for _, m := range members {
		got = append(got, m.Name+" "+m.Type.String())
	}
	for _, prm := range params {
		want = append(want, prm.Name+" "+xsdTypeOf(prm.Type).String())
	}
	if !slices.Equal(got, want) {
		t.Errorf("ipam:%s members %v, C# parameters %v", element, got, want)
	}
}

// TestMonoDataContracts: every C# data contract, data member, enum value and
// known type is in the XSD with the same name, type, base and optionality.
func TestMonoDataContracts(t *testing.T) {
	p := parseWSDL(t, Document())
	c := parseCSharp(t, monoClient)
	names := make([]string, 0, len(c.Classes))
	for n := range c.Classes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		cl := c.Classes[name]
		ct := p.schemaChild(nsIpam, "complexType", name)
		if ct == nil {
			t.Errorf("C# data contract %s: no complexType ipam:%s", name, name)
			continue
		}
		if p.schemaChild(nsIpam, "element", name) == nil {
			t.Errorf("C# data contract %s: no global element ipam:%s", name, name)
		}
		members, base := contentOf(t, ct)
		switch {
		case cl.Base == "" && base != nil:
			t.Errorf("ipam:%s extends %s, the C# class has no base", name, base)
		case cl.Base != "" && (base == nil || *base != xsdTypeOf(cl.Base)):
			t.Errorf("ipam:%s extends %v, the C# class %s", name, base, cl.Base)
		}
		var got, want []string
		for _, m := range members {
			got = append(got, m.Name+" "+m.Type.String()+map[bool]string{true: " optional", false: " required"}[m.Optional])
		}
		for i, m := range cl.Members {
			typ := xsdTypeOf(m.Type)
			// A C# string reads any string enumeration (the client declares
			// IpamExceptionData.ExceptionId so, for the 800+ names).
			if i < len(members) && typ == (qname{nsXSD, "string"}) && p.isStringEnum(t, members[i].Type) {
				typ = members[i].Type
			}
			want = append(want, m.Name+" "+typ.String()+map[bool]string{true: " required", false: " optional"}[m.Required])
		}
		if !slices.Equal(got, want) {
			t.Errorf("ipam:%s members\n  %v\nC# data members\n  %v", name, got, want)
		}
		for _, k := range cl.KnownTypes {
			if p.schemaChild(nsIpam, "complexType", k) == nil {
				t.Errorf("%s: known type %s has no complexType", name, k)
			}
		}
	}
	for name, values := range c.Enums {
		st := p.schemaChild(nsIpam, "simpleType", name)
		if st == nil {
			t.Errorf("C# enum %s: no simpleType ipam:%s", name, name)
			continue
		}
		if got := enumValues(st); !slices.Equal(got, values) {
			t.Errorf("ipam:%s values %v, C# %v", name, got, values)
		}
	}
	for _, name := range c.Exceptions {
		ct := p.schemaChild(nsIpam1, "complexType", name)
		if ct == nil {
			t.Errorf("C# exception %s: no complexType ipam1:%s", name, name)
			continue
		}
		if _, base := contentOf(t, ct); base == nil || *base != (qname{nsSys, "Exception"}) {
			t.Errorf("ipam1:%s extends %v, want sys:Exception", name, base)
		}
	}
}

// isStringEnum reports whether q names a simple type restricting xs:string.
func (p *parsedWSDL) isStringEnum(t *testing.T, q qname) bool {
	st := p.schemaChild(q.Space, "simpleType", q.Local)
	if st == nil {
		return false
	}
	r := child(st, nsXSD, "restriction")
	return r != nil && resolveQName(t, r, r.SelectAttrValue("base", "")) == (qname{nsXSD, "string"})
}
