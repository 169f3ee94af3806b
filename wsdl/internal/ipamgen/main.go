// Command ipamgen generates a Go contract package from a WSDL 1.1 document:
// the XSD types the operations carry, with streaming readers and writers on
// soap/xmlstream (no encoding/xml, no reflection), the port type interfaces,
// the callback clients and the Action dispatch tables the session layer
// uses. It is run by go generate in wsdl/ipam:
//
//	ipamgen -wsdl ../ipam.wsdl -out zz_generated.go [-trim IIpamAsync,IIpam]
//	        [-role EnumeratedRowsCallback=Checkpoint]
//	        [-handwritten ipam1:IpamException] [-clientonly ipam:IPRange]
//	        [-ns ipam1=DataContract]
//
// The WSDL is read with github.com/hooklift/gowsdl's parser types
// (gowsdl.WSDL, XSDSchema, …), the way gowsdl itself reads it; what gowsdl
// does not model — wsaw:Action on inputs and outputs, the msc: session
// attributes, SOAP 1.2 bindings — is read from the same document with etree.
// gowsdl's own code generator is not used: its client stubs cannot express
// SOAP 1.2, WS-Addressing actions, one-way operations, duplex callbacks or
// xsi:type polymorphism.
//
// The templates are in templates/ (embedded). What the generator supports
// and how it maps XSD to Go is documented on Options and in the templates;
// anything else is refused with an error wrapping errUnsupported, never
// silently dropped.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "ipamgen:", err)
		os.Exit(1)
	}
}

// listFlag collects a repeated flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("ipamgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	in := fs.String("wsdl", "", "the WSDL 1.1 document (flattened: no wsdl:import, no schemaLocation)")
	out := fs.String("out", "", "the Go file to write")
	pkg := fs.String("pkg", os.Getenv("GOPACKAGE"), "the Go package name (default: $GOPACKAGE, set by go generate)")
	trim := fs.String("trim", "I", "prefixes (comma-separated, first match) cut from port type names to name callback clients and action sets")
	var handwritten, clientOnly, namespaces, roles listFlag
	fs.Var(&roles, "role", "Operation=Field: the CallbackActions field of a callback operation whose name does not say it (repeatable)")
	fs.Var(&handwritten, "handwritten", "a complexType (prefix:Local) whose Go code is hand-written (repeatable)")
	fs.Var(&clientOnly, "clientonly", "a complexType (prefix:Local) declared for clients only: neither it nor its derived types are generated (repeatable)")
	fs.Var(&namespaces, "ns", "prefix=Suffix: name the constant of a schema namespace Namespace<Suffix> (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *in == "" || *out == "" || *pkg == "" {
		fs.Usage()
		return errors.New("-wsdl, -out and -pkg (or $GOPACKAGE) are required")
	}
	opts := Options{Package: *pkg, Source: filepath.Base(*in), TrimPrefix: *trim, Handwritten: handwritten,
		ClientOnly:     clientOnly,
		NamespaceNames: map[string]string{}, Roles: map[string]string{}}
	for _, r := range roles {
		op, field, ok := strings.Cut(r, "=")
		if !ok || op == "" || exported(field) != field {
			return fmt.Errorf("-role %q: want Operation=Field with Field an exported Go identifier", r)
		}
		opts.Roles[op] = field
	}
	for _, n := range namespaces {
		prefix, suffix, ok := strings.Cut(n, "=")
		if !ok || prefix == "" || suffix == "" || exported(suffix) != suffix {
			return fmt.Errorf("-ns %q: want prefix=Suffix with Suffix an exported Go identifier", n)
		}
		opts.NamespaceNames[prefix] = suffix
	}
	src, err := os.ReadFile(*in)
	if err != nil {
		return err
	}
	code, err := Generate(src, opts)
	if err != nil {
		return fmt.Errorf("%s: %w", *in, err)
	}
	return os.WriteFile(*out, code, 0o644)
}
