package main

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/hooklift/gowsdl"
)

// Options are the naming choices the WSDL cannot make.
type Options struct {
	// Package is the Go package name of the generated file.
	Package string
	// Source names the WSDL in the generated file's header.
	Source string
	// TrimPrefix is cut from port type names to name the callback clients
	// and action sets ("IIpamAsync": IIpamAsyncProvisionCallback ->
	// ProvisionCallbackClient). Several prefixes may be given, separated by
	// commas; the first one a name starts with is cut.
	TrimPrefix string
	// Roles names the CallbackActions field of a callback operation
	// (operation name -> field) where the names of a callback port type's
	// operations do not share the words the first one's do
	// (EnumeratedRowsCallback plays IIpamAsyncProvision's Checkpoint).
	Roles map[string]string
	// Handwritten lists complex types ("prefix:Local", prefixes of
	// wsdl:definitions) whose Go code is written by hand: the generated code
	// uses the type of the same name and its xsdType, readContent and
	// writeContent methods, and generates nothing for it.
	Handwritten []string
	// ClientOnly lists complex types ("prefix:Local") the WSDL declares for
	// its clients only: no message member may use them, and neither they nor
	// the types derived from them are generated (the family readers refuse
	// them as unknown types). The enumeration rows are such types: the
	// server writes them by hand, a client reads them generically.
	ClientOnly []string
	// NamespaceNames names the namespace constants: prefix (of
	// wsdl:definitions) -> suffix of "Namespace". The target namespace is
	// always "Namespace"; other namespaces default to the exported prefix.
	NamespaceNames map[string]string
}

// File is the template data: everything the generated file declares.
type File struct {
	Source, Package, Service string

	Namespaces  []*Const
	PortNames   []*Const
	Actions     []*Const
	Ports       []*Port
	Roles       []string // the fields of CallbackActions
	Enums       []*Enum
	Families    []*Family
	Structs     []*Struct // XSD complex types, in document order
	Collections []*Collection
	Messages    []*Struct // operation wrapper elements
	Parsers     []*Parser // the XSD built-in types in use

	helpers map[string]bool
	imports map[string]bool

	doc         *document
	opts        Options
	names       map[string]string // Go identifier -> what declares it
	nsConst     map[string]string // namespace URI -> constant
	handwritten map[qname]string  // -> Go type name
	clientOnly  map[qname]bool
	reach       map[qname]bool
	memberTypes map[qname]bool // types some member or item is declared with
	structs     map[qname]*Struct
	enums       map[qname]*Enum
	collections map[qname]*Collection
	families    map[qname]*Family
	messages    map[qname]*Struct
	parsers     map[string]*Parser
}

// Const is a named string constant.
type Const struct{ Name, Value, Doc string }

// Port is a WSDL port type.
type Port struct {
	Name, Const, Doc string
	Short            string // Name without Options.TrimPrefix
	UsingSession     bool
	Ops              []*Op // operations with an input: interface methods and dispatch entries
	Notifications    []*Op // output-only operations: what the server sends on the callback channel
	Callback         *Port // for a port type with notifications: the port type that receives them
	Server           *Port // for a callback port type: the port type whose notifications it receives
	Table            string
	Client           string // the callback client (on callback port types)
	ActionsFunc      string // the CallbackActions constructor (on port types with a callback)
}

// Op is a WSDL operation.
type Op struct {
	Name, WSDLName, Doc         string
	Action, Reply               *Const // Reply is nil for one-way operations and notifications
	In, Out                     *Struct
	IsInitiating, IsTerminating bool
	Role                        string   // for callback operations: the CallbackActions field
	Params                      []*Param // for callback operations: the wrapper's members
}

// Param is a parameter of a callback method: one member of the wrapper.
type Param struct{ Name, GoType, Field string }

// Enum is an xs:string enumeration.
type Enum struct {
	Name, Doc, Local, Space string
	Values                  []*Const
	ValidSet, Parse         string
}

// Family is a complex type with derived types: an interface every member
// type implements, read by xsi:type.
type Family struct {
	Name, Getter, Reader string
	Base                 *Struct
	Types                []*Struct // the types a value may have (the base unless abstract, then the derived ones)
}

// Struct is a complex type or an operation's wrapper element.
type Struct struct {
	Name, Doc                string
	Local, Space, SpaceConst string   // the XSD type (or, for a wrapper, element) name
	UsedBy                   []string // for a wrapper: the operation messages it is
	Base                     *Struct
	Fields                   []*Member // declared by this type
	All                      []*Member // the base's members, then Fields: the XSD sequence
	Family                   *Family   // when the type has derived types
	Abstract                 bool
	Message                  bool
}

// Required returns the members that must be present.
func (s *Struct) Required() []*Member {
	var out []*Member
	for _, m := range s.All {
		if !m.Optional {
			out = append(out, m)
		}
	}
	return out
}

// Collection is a complex type of one repeated element (a DataContract
// collection, "ArrayOf…"): a Go slice.
type Collection struct {
	Name, GoType, Reader, Writer string
	Item                         *Member
}

// Parser reads one XSD built-in type.
type Parser struct {
	Func, GoType, Kind, XSD string
	Bits                    int
}

// Member is an element of a sequence: a struct field or a collection item.
type Member struct {
	Local, SpaceConst, GoName, GoType, Doc string
	X                                      string // the Go expression of the value ("v.Base.Field", "item")
	Path                                   string // the field path below the receiver
	Index                                  int
	Nillable, Optional                     bool
	Deref                                  bool   // X is a pointer to a simple value
	Nilable                                bool   // the Go type has a nil (pointer, slice, interface)
	Read                                   string // the call reading it after its start element
	writeFmt                               string // the call writing it, %s = the value
	NilCase                                string // "nil" (write i:nil), "omit", "error" or "" (cannot be nil)
	OmitZero                               bool   // an optional enumeration: "" is absent
}

// Write returns the call that writes the member's (non-nil) value.
func (m *Member) Write() string {
	v := m.X
	if m.Deref {
		v = "*" + v
	}
	return fmt.Sprintf(m.writeFmt, v)
}

// Uses reports whether the generated code calls the named runtime helper.
func (f *File) Uses(helper string) bool { return f.helpers[helper] }

// Imports returns the standard library packages the code needs, sorted.
func (f *File) Imports() []string {
	var out []string
	for p := range f.imports {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

func (f *File) use(helpers ...string) {
	for _, h := range helpers {
		f.helpers[h] = true
	}
}

func (f *File) claim(name, what string) error {
	if prev, ok := f.names[name]; ok {
		return fmt.Errorf("the Go name %s for %s is already taken by %s", name, what, prev)
	}
	f.names[name] = what
	return nil
}

// reservedNames are the identifiers the templates declare themselves.
var reservedNames = []string{
	"Namespace", "NamespaceXSD", "NamespaceXSI", "ErrInvalidMessage", "BodyWriter", "Send", "Operation",
	"PortType", "CallbackActions", "invoke", "invalid", "xsdValue", "readWrapper", "readValue", "readPointer",
	"readNillable", "readComplex", "checkXSIType", "writeText", "writeNil", "writeElement", "writeXSIType",
	"orFirst", "errNil", "missing",
}

// build turns the document into the template data.
func build(d *document, opts Options) (*File, error) {
	f := &File{
		Source:      opts.Source,
		Package:     opts.Package,
		Service:     d.defs.Name,
		helpers:     map[string]bool{},
		imports:     map[string]bool{"errors": true, "fmt": true},
		doc:         d,
		opts:        opts,
		names:       map[string]string{},
		nsConst:     map[string]string{},
		handwritten: map[qname]string{},
		clientOnly:  map[qname]bool{},
		reach:       map[qname]bool{},
		memberTypes: map[qname]bool{},
		structs:     map[qname]*Struct{},
		enums:       map[qname]*Enum{},
		collections: map[qname]*Collection{},
		families:    map[qname]*Family{},
		messages:    map[qname]*Struct{},
		parsers:     map[string]*Parser{},
	}
	if f.Service == "" {
		f.Service = "service"
	}
	for _, n := range reservedNames {
		f.names[n] = "the generated runtime"
	}
	steps := []func() error{f.namespaces, f.handwrittenTypes, f.reachable, f.declareTypes, f.fillTypes, f.ports}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	for _, p := range f.parsers {
		f.Parsers = append(f.Parsers, p)
		switch p.Kind {
		case "bool":
			f.imports["strings"] = true
		case "int", "uint":
			f.imports["strings"], f.imports["strconv"] = true, true
		case "bytes":
			f.imports["strings"], f.imports["encoding/base64"] = true, true
		}
	}
	if f.Uses("readComplex") || len(f.Families) > 0 || len(f.Collections) > 0 {
		f.use("readNil")
	}
	if f.Uses("readComplex") || f.Uses("writeElement") || len(f.Families) > 0 {
		f.use("xsdValue")
	}
	sort.Slice(f.Parsers, func(i, j int) bool { return f.Parsers[i].Func < f.Parsers[j].Func })
	return f, nil
}

// namespaces names a constant for the target namespace and every schema's.
func (f *File) namespaces() error {
	d := f.doc
	f.nsConst[d.tns] = "Namespace"
	f.Namespaces = append(f.Namespaces, &Const{Name: "Namespace", Value: d.tns,
		Doc: "Namespace is the target namespace of " + f.Service + ": its port types, messages and actions."})
	prefixes := make([]string, 0, len(d.defs.Xmlns))
	for p := range d.defs.Xmlns {
		prefixes = append(prefixes, p)
	}
	sort.Strings(prefixes)
	for _, ns := range d.schemaNamespaces {
		if _, done := f.nsConst[ns]; done {
			continue
		}
		var bound []string
		for _, p := range prefixes {
			if d.defs.Xmlns[p] == ns {
				bound = append(bound, p)
			}
		}
		if len(bound) == 0 {
			return fmt.Errorf("schema namespace %s has no prefix on wsdl:definitions to name its constant", ns)
		}
		suffix := exported(bound[0])
		for _, p := range bound {
			if s, ok := f.opts.NamespaceNames[p]; ok {
				suffix = s
				break
			}
		}
		name := "Namespace" + suffix
		if err := f.claim(name, "namespace "+ns); err != nil {
			return err
		}
		f.nsConst[ns] = name
		f.Namespaces = append(f.Namespaces, &Const{Name: name, Value: ns,
			Doc: fmt.Sprintf("%s is the namespace of the schema prefixed %s in the WSDL.", name, strings.Join(bound, ", "))})
	}
	for p := range f.opts.NamespaceNames {
		if _, ok := d.defs.Xmlns[p]; !ok {
			return fmt.Errorf("namespace name for prefix %q: the prefix is not declared on wsdl:definitions", p)
		}
	}
	return nil
}

func (f *File) handwrittenTypes() error {
	for _, h := range f.opts.Handwritten {
		q, err := resolve(f.doc.defs.Xmlns, h)
		if err != nil {
			return fmt.Errorf("hand-written type %s: %w", h, err)
		}
		if _, ok := f.doc.complexTypes[q]; !ok {
			return fmt.Errorf("hand-written type %s: no complexType %s in the WSDL", h, q)
		}
		name := exported(q.Local)
		f.handwritten[q] = name
		if err := f.claim(name, "the hand-written type "+q.String()); err != nil {
			return err
		}
	}
	for _, c := range f.opts.ClientOnly {
		q, err := resolve(f.doc.defs.Xmlns, c)
		if err != nil {
			return fmt.Errorf("client-only type %s: %w", c, err)
		}
		if _, ok := f.doc.complexTypes[q]; !ok {
			return fmt.Errorf("client-only type %s: no complexType %s in the WSDL", c, q)
		}
		if _, hw := f.handwritten[q]; hw {
			return fmt.Errorf("client-only type %s is also hand-written", c)
		}
		f.clientOnly[q] = true
	}
	return nil
}

// underClientOnly reports whether q or one of its bases is client-only.
func (f *File) underClientOnly(q qname) (bool, error) {
	for range 64 {
		if f.clientOnly[q] {
			return true, nil
		}
		ct, ok := f.doc.complexTypes[q]
		if !ok || ct.decl.ComplexContent.Extension.Base == "" {
			return false, nil
		}
		bq, err := resolve(ct.schema.Xmlns, ct.decl.ComplexContent.Extension.Base)
		if err != nil {
			return false, fmt.Errorf("complexType %s: %w", q, err)
		}
		q = bq
	}
	return false, fmt.Errorf("complexType %s: derivation chain too long", q)
}

// underHandwritten reports whether one of q's bases is hand-written: the
// hand-written code reads the derived types of its family itself.
func (f *File) underHandwritten(q qname) (bool, error) {
	for range 64 {
		ct, ok := f.doc.complexTypes[q]
		if !ok || ct.decl.ComplexContent.Extension.Base == "" {
			return false, nil
		}
		bq, err := resolve(ct.schema.Xmlns, ct.decl.ComplexContent.Extension.Base)
		if err != nil {
			return false, fmt.Errorf("complexType %s: %w", q, err)
		}
		if _, hw := f.handwritten[bq]; hw {
			return true, nil
		}
		q = bq
	}
	return false, fmt.Errorf("complexType %s: derivation chain too long", q)
}

// wrappers returns the wrapper elements of every operation message, in
// port type and operation order, each once.
func (f *File) wrappers() []qname {
	var out []qname
	seen := map[qname]bool{}
	for _, p := range f.doc.ports {
		for _, o := range p.Ops {
			for _, m := range []*opMessage{o.Input, o.Output} {
				if m != nil && !seen[m.Element] {
					seen[m.Element] = true
					out = append(out, m.Element)
				}
			}
		}
	}
	return out
}

// reachable collects the types the messages use: member types, their
// bases, and every type derived from a member type (xsi:type may name it).
func (f *File) reachable() error {
	var visit func(q qname, from string) error
	visit = func(q qname, from string) error {
		if f.reach[q] || q.Space == nsXSD {
			if q.Space == nsXSD {
				if _, ok := builtins[q.Local]; !ok {
					return fmt.Errorf("%s: XSD type %s: %w", from, q.Local, errUnsupported)
				}
			}
			return nil
		}
		if f.clientOnly[q] {
			return fmt.Errorf("%s uses the client-only type %s", from, q)
		}
		f.reach[q] = true
		if _, ok := f.handwritten[q]; ok {
			return nil // opaque: its members are the hand-written code's business
		}
		if st, ok := f.doc.simpleTypes[q]; ok {
			base := st.decl.Restriction.Base
			if base == "" {
				return fmt.Errorf("simpleType %s: only restrictions: %w", q, errUnsupported)
			}
			bq, err := resolve(st.schema.Xmlns, base)
			if err != nil {
				return fmt.Errorf("simpleType %s: %w", q, err)
			}
			return visit(bq, "simpleType "+q.String())
		}
		ct, ok := f.doc.complexTypes[q]
		if !ok {
			return fmt.Errorf("%s: type %s is not declared", from, q)
		}
		base, members, err := contentOf(ct)
		if err != nil {
			return fmt.Errorf("complexType %s: %w", q, err)
		}
		if base != "" {
			bq, err := resolve(ct.schema.Xmlns, base)
			if err != nil {
				return fmt.Errorf("complexType %s: %w", q, err)
			}
			if _, hw := f.handwritten[bq]; hw {
				return fmt.Errorf("complexType %s extends the hand-written %s: %w", q, bq, errUnsupported)
			}
			if err := visit(bq, "complexType "+q.String()); err != nil {
				return err
			}
		}
		for _, m := range members {
			if err := f.visitMember(visit, m, ct.schema, "complexType "+q.String()); err != nil {
				return err
			}
		}
		return nil
	}
	for _, w := range f.wrappers() {
		el := f.doc.elements[w]
		if el.decl.ComplexType == nil {
			return fmt.Errorf("element %s: an operation's wrapper element must declare an anonymous complexType: %w", w, errUnsupported)
		}
		base, members, err := contentOf(declared[gowsdl.XSDComplexType]{el.decl.ComplexType, el.schema})
		if err != nil {
			return fmt.Errorf("element %s: %w", w, err)
		}
		if base != "" {
			return fmt.Errorf("element %s: a wrapper with a base type: %w", w, errUnsupported)
		}
		for _, m := range members {
			if err := f.visitMember(visit, m, el.schema, "element "+w.String()); err != nil {
				return err
			}
		}
	}
	// Derived types of member types, until no more are found.
	polymorphic := func(q qname) (bool, error) {
		for range 64 {
			if f.memberTypes[q] {
				return true, nil
			}
			ct, ok := f.doc.complexTypes[q]
			if !ok || ct.decl.ComplexContent.Extension.Base == "" {
				return false, nil
			}
			bq, err := resolve(ct.schema.Xmlns, ct.decl.ComplexContent.Extension.Base)
			if err != nil {
				return false, fmt.Errorf("complexType %s: %w", q, err)
			}
			q = bq
		}
		return false, fmt.Errorf("complexType %s: derivation chain too long", q)
	}
	for changed := true; changed; {
		changed = false
		for _, ns := range f.doc.schemaNamespaces {
			for _, s := range f.doc.defs.Types.Schemas {
				if s.TargetNamespace != ns {
					continue
				}
				for _, ct := range s.ComplexTypes {
					q := qname{ns, ct.Name}
					if f.reach[q] {
						continue
					}
					if _, hw := f.handwritten[q]; hw {
						continue
					}
					if ct.ComplexContent.Extension.Base == "" {
						continue
					}
					if co, err := f.underClientOnly(q); err != nil {
						return err
					} else if co {
						continue
					}
					if hw, err := f.underHandwritten(q); err != nil {
						return err
					} else if hw {
						continue // a hand-written family reads its own derived types
					}
					bq, err := resolve(s.Xmlns, ct.ComplexContent.Extension.Base)
					if err != nil {
						return fmt.Errorf("complexType %s: %w", q, err)
					}
					if poly, err := polymorphic(bq); err != nil {
						return err
					} else if poly {
						if err := visit(q, "derived type"); err != nil {
							return err
						}
						changed = true
					}
				}
			}
		}
	}
	return nil
}

func (f *File) visitMember(visit func(qname, string) error, m *gowsdl.XSDElement, s *gowsdl.XSDSchema, from string) error {
	if err := checkElement(m); err != nil {
		return fmt.Errorf("%s: %w", from, err)
	}
	q, err := resolve(s.Xmlns, m.Type)
	if err != nil {
		return fmt.Errorf("%s member %s: %w", from, m.Name, err)
	}
	f.memberTypes[q] = true
	return visit(q, from+" member "+m.Name)
}

// contentOf returns a complex type's base (a QName, "" for none) and the
// elements of its sequence, refusing what the generated code cannot
// represent. Optional attributes (IpamObject's ser:Id and ser:Ref, which
// only DataContractSerializer's reference preservation uses) are ignored.
func contentOf(ct declared[gowsdl.XSDComplexType]) (string, []*gowsdl.XSDElement, error) {
	c := ct.decl
	ext := c.ComplexContent.Extension
	switch {
	case c.Mixed:
		return "", nil, fmt.Errorf("mixed content: %w", errUnsupported)
	case len(c.Choice) > 0 || len(c.SequenceChoice) > 0 || len(ext.Choice) > 0:
		return "", nil, fmt.Errorf("xs:choice: %w", errUnsupported)
	case len(c.All) > 0:
		return "", nil, fmt.Errorf("xs:all: %w", errUnsupported)
	case c.SimpleContent.Extension.Base != "":
		return "", nil, fmt.Errorf("simpleContent: %w", errUnsupported)
	case len(c.Any) > 0:
		return "", nil, fmt.Errorf("xs:any: %w (declare the type hand-written)", errUnsupported)
	}
	for _, a := range append(slices.Clone(c.Attributes), ext.Attributes...) {
		if a.Use == "required" {
			return "", nil, fmt.Errorf("required attribute %s%s: %w", a.Name, a.Ref, errUnsupported)
		}
	}
	if ext.Base != "" {
		members := make([]*gowsdl.XSDElement, len(ext.Sequence))
		for i := range ext.Sequence {
			members[i] = &ext.Sequence[i]
		}
		return ext.Base, members, nil
	}
	return "", c.Sequence, nil
}

func checkElement(m *gowsdl.XSDElement) error {
	switch {
	case m.Ref != "":
		return fmt.Errorf("element ref=%q: %w", m.Ref, errUnsupported)
	case m.Type == "":
		return fmt.Errorf("element %s without a type attribute (anonymous types): %w", m.Name, errUnsupported)
	case len(m.Groups) > 0:
		return fmt.Errorf("element %s: xs:group: %w", m.Name, errUnsupported)
	}
	switch m.MinOccurs {
	case "", "0", "1":
	default:
		return fmt.Errorf("element %s: minOccurs=%q: %w", m.Name, m.MinOccurs, errUnsupported)
	}
	return nil
}

func repeated(m *gowsdl.XSDElement) bool { return m.MaxOccurs != "" && m.MaxOccurs != "1" }

// declareTypes creates the Go types of every reachable declaration, in
// document order, so members can refer to any of them.
func (f *File) declareTypes() error {
	for _, ns := range f.doc.schemaNamespaces {
		for _, s := range f.doc.defs.Types.Schemas {
			if s.TargetNamespace != ns {
				continue
			}
			for _, st := range s.SimpleType {
				q := qname{ns, st.Name}
				if !f.reach[q] || len(st.Restriction.Enumeration) == 0 {
					continue
				}
				if err := f.declareEnum(q, st, s); err != nil {
					return err
				}
			}
			for _, ct := range s.ComplexTypes {
				q := qname{ns, ct.Name}
				if _, hw := f.handwritten[q]; !f.reach[q] || hw {
					continue
				}
				if err := f.declareComplex(q, ct, s); err != nil {
					return err
				}
			}
		}
	}
	// Bases and families, now that every struct exists.
	for _, ns := range f.doc.schemaNamespaces {
		for _, s := range f.doc.defs.Types.Schemas {
			for _, ct := range s.ComplexTypes {
				st := f.structs[qname{ns, ct.Name}]
				if s.TargetNamespace != ns || st == nil || ct.ComplexContent.Extension.Base == "" {
					continue
				}
				bq, _ := resolve(s.Xmlns, ct.ComplexContent.Extension.Base) // resolved in reachable
				base := f.structs[bq]
				if base == nil {
					return fmt.Errorf("complexType %s extends %s, which is not a complex type with a sequence: %w", st.Local, bq, errUnsupported)
				}
				st.Base = base
			}
		}
	}
	for _, st := range f.Structs {
		var derived []*Struct
		for _, o := range f.Structs {
			for b := o.Base; b != nil; b = b.Base {
				if b == st {
					derived = append(derived, o)
					break
				}
			}
		}
		if len(derived) == 0 || !f.memberTypes[qname{st.Space, st.Local}] {
			continue
		}
		fam := &Family{Name: "Any" + st.Name, Getter: "Get" + st.Name, Reader: "readAny" + st.Name, Base: st}
		if !st.Abstract {
			fam.Types = append(fam.Types, st)
		}
		for _, d := range derived {
			if !d.Abstract {
				fam.Types = append(fam.Types, d)
			}
		}
		for _, n := range []string{fam.Name, fam.Getter, fam.Reader} {
			if err := f.claim(n, "the family of "+st.Name); err != nil {
				return err
			}
		}
		st.Family = fam
		f.Families = append(f.Families, fam)
		for q, s := range f.structs {
			if s == st {
				f.families[q] = fam
			}
		}
	}
	return nil
}

func (f *File) declareEnum(q qname, st *gowsdl.XSDSimpleType, s *gowsdl.XSDSchema) error {
	bq, err := resolve(s.Xmlns, st.Restriction.Base)
	if err != nil {
		return fmt.Errorf("simpleType %s: %w", q, err)
	}
	if b, ok := builtins[bq.Local]; bq.Space != nsXSD || !ok || b.Kind != "string" {
		return fmt.Errorf("simpleType %s: enumeration of %s: %w", q, bq, errUnsupported)
	}
	e := &Enum{Name: exported(q.Local), Local: q.Local, Space: q.Space, Doc: strings.TrimSpace(st.Doc)}
	e.ValidSet = unexported(e.Name) + "Values"
	e.Parse = "parse" + e.Name
	for _, n := range []string{e.Name, e.ValidSet, e.Parse} {
		if err := f.claim(n, "simpleType "+q.String()); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	for _, v := range st.Restriction.Enumeration {
		if seen[v.Value] {
			return fmt.Errorf("simpleType %s: value %q listed twice", q, v.Value)
		}
		seen[v.Value] = true
		c := &Const{Name: e.Name + exported(v.Value), Value: v.Value, Doc: strings.TrimSpace(v.Doc)}
		if err := f.claim(c.Name, fmt.Sprintf("value %q of %s", v.Value, q)); err != nil {
			return err
		}
		e.Values = append(e.Values, c)
	}
	f.enums[q] = e
	f.Enums = append(f.Enums, e)
	return nil
}

func (f *File) declareComplex(q qname, ct *gowsdl.XSDComplexType, s *gowsdl.XSDSchema) error {
	base, members, err := contentOf(declared[gowsdl.XSDComplexType]{ct, s})
	if err != nil {
		return fmt.Errorf("complexType %s: %w", q, err)
	}
	if base == "" && len(members) == 1 && repeated(members[0]) {
		c := &Collection{Name: exported(q.Local)}
		c.Reader, c.Writer = "read"+c.Name, "write"+c.Name
		for _, n := range []string{c.Reader, c.Writer} {
			if err := f.claim(n, "collection "+q.String()); err != nil {
				return err
			}
		}
		f.collections[q] = c
		f.Collections = append(f.Collections, c)
		return nil
	}
	for _, m := range members {
		if repeated(m) {
			return fmt.Errorf("complexType %s member %s: maxOccurs=%q outside a collection type: %w", q, m.Name, m.MaxOccurs, errUnsupported)
		}
	}
	st := &Struct{Name: exported(q.Local), Local: q.Local, Space: q.Space, SpaceConst: f.nsConst[q.Space], Abstract: ct.Abstract}
	if err := f.claim(st.Name, "complexType "+q.String()); err != nil {
		return err
	}
	f.structs[q] = st
	f.Structs = append(f.Structs, st)
	return nil
}

// fillTypes gives the structs, collections and wrappers their members.
func (f *File) fillTypes() error {
	for q, st := range f.structs {
		ct := f.doc.complexTypes[q]
		_, members, _ := contentOf(ct) // checked in declareComplex
		for _, m := range members {
			mem, err := f.member(m, ct.schema)
			if err != nil {
				return fmt.Errorf("complexType %s: %w", q, err)
			}
			st.Fields = append(st.Fields, mem)
		}
	}
	for q, c := range f.collections {
		ct := f.doc.complexTypes[q]
		_, members, _ := contentOf(ct)
		item, err := f.member(members[0], ct.schema)
		if err != nil {
			return fmt.Errorf("complexType %s: %w", q, err)
		}
		item.X, item.Path, item.Optional = "item", "", false // every item present is written
		f.setNilCase(item)
		c.Item = item
		c.GoType = "[]" + item.GoType
	}
	for _, w := range f.wrappers() {
		el := f.doc.elements[w]
		st := &Struct{Name: exported(w.Local), Local: w.Local, Space: w.Space, SpaceConst: f.nsConst[w.Space], Message: true,
			Doc: strings.TrimSpace(el.decl.Doc)}
		if err := f.claim(st.Name, "element "+w.String()); err != nil {
			return err
		}
		_, members, _ := contentOf(declared[gowsdl.XSDComplexType]{el.decl.ComplexType, el.schema})
		for _, m := range members {
			if repeated(m) {
				return fmt.Errorf("element %s member %s: maxOccurs=%q: %w", w, m.Name, m.MaxOccurs, errUnsupported)
			}
			mem, err := f.member(m, el.schema)
			if err != nil {
				return fmt.Errorf("element %s: %w", w, err)
			}
			st.Fields = append(st.Fields, mem)
		}
		f.messages[w] = st
		f.Messages = append(f.Messages, st)
	}
	for _, st := range append(slices.Clone(f.Structs), f.Messages...) {
		st.All = flatten(st)
		seen := map[string]string{}
		for i, m := range st.All {
			m.Index = i
			key := m.SpaceConst + " " + m.Local
			if prev, dup := seen[key]; dup {
				return fmt.Errorf("%s: member %s is declared by %s and again: %w", st.Name, m.Local, prev, errUnsupported)
			}
			seen[key] = st.Name
		}
		fields := map[string]bool{}
		for b := st.Base; b != nil; b = b.Base {
			fields[b.Name] = true
		}
		for _, m := range st.Fields {
			if fields[m.GoName] {
				return fmt.Errorf("%s: member %s collides with an embedded base type's name", st.Name, m.GoName)
			}
			fields[m.GoName] = true
		}
	}
	if len(f.Structs) > 0 || len(f.Messages) > 0 {
		f.use("errNil")
	}
	return nil
}

// flatten returns the members of st and its bases in sequence order, as
// seen from a value of st (paths through the embedded bases).
func flatten(st *Struct) []*Member {
	var out []*Member
	if st.Base != nil {
		for _, m := range flatten(st.Base) {
			c := *m
			c.Path = st.Base.Name + "." + m.Path
			c.X = "v." + c.Path
			out = append(out, &c)
		}
	}
	for _, m := range st.Fields {
		c := *m
		out = append(out, &c)
	}
	return out
}

// builtins are the XSD built-in types the generated code reads and writes.
var builtins = map[string]Parser{
	"string":           {Func: "parseString", GoType: "string", Kind: "string", XSD: "string"},
	"normalizedString": {Func: "parseString", GoType: "string", Kind: "string", XSD: "string"},
	"token":            {Func: "parseString", GoType: "string", Kind: "string", XSD: "string"},
	"anyURI":           {Func: "parseString", GoType: "string", Kind: "string", XSD: "string"},
	"ID":               {Func: "parseString", GoType: "string", Kind: "string", XSD: "string"},
	"IDREF":            {Func: "parseString", GoType: "string", Kind: "string", XSD: "string"},
	"boolean":          {Func: "parseBoolean", GoType: "bool", Kind: "bool", XSD: "boolean"},
	"byte":             {Func: "parseByte", GoType: "int8", Kind: "int", Bits: 8, XSD: "byte"},
	"short":            {Func: "parseShort", GoType: "int16", Kind: "int", Bits: 16, XSD: "short"},
	"int":              {Func: "parseInt", GoType: "int32", Kind: "int", Bits: 32, XSD: "int"},
	"long":             {Func: "parseLong", GoType: "int64", Kind: "int", Bits: 64, XSD: "long"},
	"unsignedByte":     {Func: "parseUnsignedByte", GoType: "uint8", Kind: "uint", Bits: 8, XSD: "unsignedByte"},
	"unsignedShort":    {Func: "parseUnsignedShort", GoType: "uint16", Kind: "uint", Bits: 16, XSD: "unsignedShort"},
	"unsignedInt":      {Func: "parseUnsignedInt", GoType: "uint32", Kind: "uint", Bits: 32, XSD: "unsignedInt"},
	"unsignedLong":     {Func: "parseUnsignedLong", GoType: "uint64", Kind: "uint", Bits: 64, XSD: "unsignedLong"},
	"base64Binary":     {Func: "parseBase64Binary", GoType: "[]byte", Kind: "bytes", XSD: "base64Binary"},
}

// simpleBase follows simpleType restrictions without enumerations to the
// built-in type they restrict (facets other than enumerations are not
// checked by the generated code).
func (f *File) simpleBase(q qname) (qname, error) {
	for range 32 {
		st, ok := f.doc.simpleTypes[q]
		if !ok || f.enums[q] != nil {
			return q, nil
		}
		bq, err := resolve(st.schema.Xmlns, st.decl.Restriction.Base)
		if err != nil {
			return q, err
		}
		q = bq
	}
	return q, fmt.Errorf("simpleType %s: restriction chain too long", q)
}

// member models one element of a sequence.
func (f *File) member(el *gowsdl.XSDElement, s *gowsdl.XSDSchema) (*Member, error) {
	m := &Member{
		Local:    el.Name,
		GoName:   exported(el.Name),
		Doc:      strings.TrimSpace(el.Doc),
		Nillable: el.Nillable,
		Optional: el.MinOccurs == "0",
	}
	m.Path, m.X = m.GoName, "v."+m.GoName
	if s.ElementFormDefault == "qualified" {
		m.SpaceConst = f.nsConst[s.TargetNamespace]
	} else {
		m.SpaceConst = `""`
	}
	q, err := resolve(s.Xmlns, el.Type)
	if err != nil {
		return nil, fmt.Errorf("member %s: %w", el.Name, err)
	}
	if q, err = f.simpleBase(q); err != nil {
		return nil, fmt.Errorf("member %s: %w", el.Name, err)
	}
	local := fmt.Sprintf("%q", m.Local)
	nillable := fmt.Sprint(m.Nillable)
	switch {
	case q.Space == nsXSD:
		b := builtins[q.Local]
		p := b
		f.parsers[p.Func] = &p
		m.GoType = b.GoType
		switch {
		case m.Nillable && b.Kind == "bytes":
			m.Read = fmt.Sprintf("readNillable(r, n, %s)", b.Func)
			f.use("readNillable")
		case m.Nillable:
			m.GoType, m.Deref = "*"+b.GoType, true
			m.Read = fmt.Sprintf("readPointer(r, n, %s)", b.Func)
			f.use("readPointer")
		default:
			m.Read = fmt.Sprintf("readValue(r, n, %s)", b.Func)
			f.use("readValue")
		}
		var text string
		switch b.Kind {
		case "string":
			text = "%s"
		case "bool":
			text, f.imports["strconv"] = "strconv.FormatBool(%s)", true
		case "int":
			text, f.imports["strconv"] = "strconv.FormatInt(int64(%s), 10)", true
		case "uint":
			text, f.imports["strconv"] = "strconv.FormatUint(uint64(%s), 10)", true
		case "bytes":
			text, f.imports["encoding/base64"] = "base64.StdEncoding.EncodeToString(%s)", true
		}
		m.writeFmt = fmt.Sprintf("writeText(w, %s, %s, %s)", local, m.SpaceConst, text)
		f.use("writeText")
	case f.enums[q] != nil:
		e := f.enums[q]
		m.GoType = e.Name
		text := "string(%s)"
		switch {
		case m.Nillable:
			m.GoType, m.Deref = "*"+e.Name, true
			m.Read = fmt.Sprintf("readPointer(r, n, %s)", e.Parse)
			f.use("readPointer")
		case m.Optional:
			m.OmitZero = true
			m.Read = fmt.Sprintf("readValue(r, n, %s)", e.Parse)
			f.use("readValue")
		default:
			// A required enumeration member with the zero value is written
			// as the first value: .NET's default for the enum.
			text = "string(orFirst(%s, " + e.Values[0].Name + "))"
			m.Read = fmt.Sprintf("readValue(r, n, %s)", e.Parse)
			f.use("readValue", "orFirst")
		}
		m.writeFmt = fmt.Sprintf("writeText(w, %s, %s, %s)", local, m.SpaceConst, text)
		f.use("writeText")
	case f.collections[q] != nil:
		c := f.collections[q]
		m.GoType = "" // set once the item type is known (fillTypes)
		m.Read = fmt.Sprintf("%s(r, n, %s)", c.Reader, nillable)
		m.writeFmt = fmt.Sprintf("%s(w, %s, %s, %%s)", c.Writer, local, m.SpaceConst)
		ct := f.doc.complexTypes[q]
		_, members, _ := contentOf(ct)
		item, err := f.member(members[0], ct.schema)
		if err != nil {
			return nil, fmt.Errorf("member %s: %w", el.Name, err)
		}
		m.GoType = "[]" + item.GoType
	default:
		var goType, declSpace, declLocal string
		switch {
		case f.families[q] != nil:
			fam := f.families[q]
			goType = fam.Name
			m.Read = fmt.Sprintf("%s(r, n, %s)", fam.Reader, nillable)
		case f.structs[q] != nil:
			goType = "*" + f.structs[q].Name
			m.Read = fmt.Sprintf("readComplex[%s](r, n, %s)", f.structs[q].Name, nillable)
			f.use("readComplex")
		case f.handwritten[q] != "":
			goType = "*" + f.handwritten[q]
			m.Read = fmt.Sprintf("readComplex[%s](r, n, %s)", f.handwritten[q], nillable)
			f.use("readComplex")
		default:
			return nil, fmt.Errorf("member %s: type %s: %w", el.Name, q, errUnsupported)
		}
		declSpace, declLocal = f.nsConst[q.Space], q.Local
		m.GoType = goType
		m.writeFmt = fmt.Sprintf("writeElement(w, %s, %s, %%s, %s, %q)", local, m.SpaceConst, declSpace, declLocal)
		f.use("writeElement")
	}
	m.Nilable = m.Deref || strings.HasPrefix(m.GoType, "[]") || strings.HasPrefix(m.GoType, "*") || f.families[q] != nil
	f.setNilCase(m)
	return m, nil
}

func (f *File) setNilCase(m *Member) {
	m.NilCase = nilCase(m)
	switch m.NilCase {
	case "nil":
		f.use("writeNil")
	case "error":
		f.use("missing")
	}
}

// nilCase says what writing a member whose Go value is nil does: i:nil for
// a nillable member, nothing for an optional one, an error for a required
// one. A base64Binary member that is neither is written empty.
func nilCase(m *Member) string {
	if !m.Nilable {
		return ""
	}
	switch {
	case m.Nillable:
		return "nil"
	case m.Optional:
		return "omit"
	case m.GoType == "[]byte":
		return ""
	default:
		return "error"
	}
}

// ports models the port types: interfaces, dispatch tables, callbacks.
func (f *File) ports() error {
	byName := map[string]*Port{}
	for _, pt := range f.doc.ports {
		p := &Port{Name: exported(pt.Name), Doc: pt.Doc, UsingSession: pt.UsingSession,
			Short: exported(trimFirst(pt.Name, f.opts.TrimPrefix))}
		p.Const = "Port" + p.Name
		if err := f.claim(p.Const, "port type "+pt.Name); err != nil {
			return err
		}
		f.PortNames = append(f.PortNames, &Const{Name: p.Const, Value: pt.Name})
		for _, o := range pt.Ops {
			op := &Op{Name: exported(o.Name), WSDLName: o.Name, Doc: o.Doc, IsInitiating: o.IsInitiating, IsTerminating: o.IsTerminating}
			if o.Input != nil {
				op.In = f.messages[o.Input.Element]
				if o.Output != nil {
					op.Out = f.messages[o.Output.Element]
				}
				p.Ops = append(p.Ops, op)
			} else {
				op.Out = f.messages[o.Output.Element]
				p.Notifications = append(p.Notifications, op)
			}
		}
		byName[pt.Name] = p
		f.Ports = append(f.Ports, p)
	}
	// Pair each port type that sends notifications with the port type that
	// receives them: input-only operations of the same names.
	for _, p := range f.Ports {
		if len(p.Notifications) == 0 {
			continue
		}
		var want []string
		for _, n := range p.Notifications {
			want = append(want, n.Name)
		}
		slices.Sort(want)
		for _, c := range f.Ports {
			if c == p || len(c.Notifications) > 0 || len(c.Ops) != len(want) {
				continue
			}
			var got []string
			oneWay := true
			for _, o := range c.Ops {
				got = append(got, o.Name)
				oneWay = oneWay && o.Out == nil
			}
			slices.Sort(got)
			if !oneWay || !slices.Equal(got, want) {
				continue
			}
			if p.Callback != nil {
				return fmt.Errorf("port type %s: both %s and %s receive its notifications", p.Name, p.Callback.Name, c.Name)
			}
			if c.Server != nil {
				return fmt.Errorf("port type %s receives the notifications of both %s and %s", c.Name, c.Server.Name, p.Name)
			}
			p.Callback, c.Server = c, p
		}
		if p.Callback == nil {
			return fmt.Errorf("port type %s: no callback port type has input-only operations %v: %w", p.Name, want, errUnsupported)
		}
	}
	// Actions.
	for _, pt := range f.doc.ports {
		p := byName[pt.Name]
		ops := map[string]*operation{}
		for _, o := range pt.Ops {
			ops[exported(o.Name)] = o
		}
		prefix := "Action"
		if p.Server != nil {
			prefix += p.Short
		}
		for _, op := range append(slices.Clone(p.Ops), p.Notifications...) {
			o := ops[op.Name]
			if op.In != nil {
				op.In.UsedBy = append(op.In.UsedBy, fmt.Sprintf("%s.%s (input)", pt.Name, o.Name))
			}
			if op.Out != nil {
				op.Out.UsedBy = append(op.Out.UsedBy, fmt.Sprintf("%s.%s (output)", pt.Name, o.Name))
			}
			if o.Input != nil {
				op.Action = &Const{Name: prefix + op.Name, Value: o.Input.Action}
				if o.Output != nil {
					op.Reply = &Const{Name: prefix + op.Name + "Response", Value: o.Output.Action}
				}
			} else {
				op.Action = &Const{Name: prefix + op.Name, Value: o.Output.Action}
			}
			for _, c := range []*Const{op.Action, op.Reply} {
				if c == nil {
					continue
				}
				if err := f.claim(c.Name, "an action of "+pt.Name+"."+o.Name); err != nil {
					return err
				}
				f.Actions = append(f.Actions, c)
			}
		}
		actions := map[string]string{}
		for _, op := range p.Ops {
			if prev, dup := actions[op.Action.Value]; dup {
				return fmt.Errorf("port type %s: operations %s and %s have the same action %s", p.Name, prev, op.Name, op.Action.Value)
			}
			actions[op.Action.Value] = op.Name
		}
	}
	// Interfaces, tables, callback clients.
	for _, p := range f.Ports {
		if len(p.Ops) > 0 {
			p.Table = p.Name + "Port"
			for _, n := range []string{p.Name, p.Table} {
				if err := f.claim(n, "port type "+p.Name); err != nil {
					return err
				}
			}
			f.imports["context"] = true
			f.use("ports")
		}
		if p.Server == nil {
			continue
		}
		p.Client = p.Short + "Client"
		p.Server.ActionsFunc = p.Server.Short + "CallbackActions"
		for _, n := range []string{p.Client, p.Server.ActionsFunc} {
			if err := f.claim(n, "the callbacks of "+p.Server.Name); err != nil {
				return err
			}
		}
		var names []string
		for _, op := range p.Ops {
			names = append(names, op.Name)
			params := map[string]bool{}
			for _, m := range op.In.Fields {
				prm := &Param{Name: unexported(m.Local), GoType: m.GoType, Field: m.GoName}
				if params[prm.Name] {
					return fmt.Errorf("%s.%s: two parameters named %s", p.Name, op.Name, prm.Name)
				}
				params[prm.Name] = true
				op.Params = append(op.Params, prm)
			}
		}
		roles := stripCommonWords(names)
		for i, n := range names {
			if r, ok := f.opts.Roles[n]; ok {
				roles[i] = r
			}
		}
		for i, op := range p.Ops {
			op.Role = roles[i]
		}
		if f.Roles == nil {
			f.Roles = roles
		} else if !sameSet(f.Roles, roles) {
			return fmt.Errorf("the callbacks of %s (%v) and of an earlier port type (%v) differ: CallbackActions has one shape: %w",
				p.Server.Name, roles, f.Roles, errUnsupported)
		}
		// The notifications of the server port type carry the same roles.
		for _, n := range p.Server.Notifications {
			for _, op := range p.Ops {
				if op.Name == n.Name {
					n.Role = op.Role
					n.Params = op.Params
				}
			}
		}
	}
	if f.Roles != nil {
		f.use("callbacks")
	}
	return nil
}

// trimFirst cuts the first of the comma-separated prefixes name starts with.
func trimFirst(name, prefixes string) string {
	for _, p := range strings.Split(prefixes, ",") {
		if p != "" && strings.HasPrefix(name, p) {
			return strings.TrimPrefix(name, p)
		}
	}
	return name
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
