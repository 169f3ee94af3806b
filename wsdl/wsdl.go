// Package wsdl serves ipamd's WSDL: one flattened WSDL 1.1 document
// (ipam.wsdl) describing IIpamAsyncProvision and IIpamAsyncSchemaConversion,
// their callback operations and port types, the XSD of every type they use,
// SOAP 1.2 bindings for net.tcp and HTTP with WCF-style WS-Policy, and a
// service "IpamService" whose port addresses the server fills in.
//
// The contract itself (actions, types, dispatch) lives in wsdl/ipam; the
// tests of this package keep the two, and the Mono interop client's C#
// contract, in step.
package wsdl

import (
	_ "embed"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/beevik/etree"
)

//go:embed ipam.wsdl
var document []byte

// Transports a service port can use, as keys of ForEndpoints' maps. They are
// the listen URI schemes (config.TransportNetTCP, config.TransportHTTP).
const (
	TransportNetTCP = "net.tcp"
	TransportHTTP   = "http"
)

// Namespaces the document uses for bindings and ports.
const (
	NamespaceWSDL   = "http://schemas.xmlsoap.org/wsdl/"
	NamespaceSOAP12 = "http://schemas.xmlsoap.org/wsdl/soap12/"
	NamespaceWSA10  = "http://www.w3.org/2005/08/addressing"

	// SOAP 1.2 binding transport URIs: [MS-NMFTB] 2.1 for net.tcp, WSDL 1.1
	// SOAP binding HTTP for http.
	TransportURINetTCP = "http://schemas.microsoft.com/soap/tcp"
	TransportURIHTTP   = "http://schemas.xmlsoap.org/soap/http"
)

// Port type names of the service ports (as in wsdl/ipam; repeated here so the
// package needs nothing but the document).
const (
	portProvision        = "IIpamAsyncProvision"
	portSchemaConversion = "IIpamAsyncSchemaConversion"
	portEnumerator       = "IIpamEnumerator"
)

var transportOf = map[string]string{
	TransportURINetTCP: TransportNetTCP,
	TransportURIHTTP:   TransportHTTP,
}

// Document returns the WSDL as embedded, with placeholder port addresses.
// The caller owns the returned slice.
func Document() []byte {
	return append([]byte(nil), document...)
}

// ForEndpoints returns the WSDL with the service ports' addresses set to the
// given endpoint URIs. Each map is keyed by transport (TransportNetTCP,
// TransportHTTP) and holds the endpoint URI of that port type on that
// transport, e.g. provision["net.tcp"] = "net.tcp://host:48885/ipam/IIpamAsyncProvision".
// Ports of a transport without an address are removed; everything else
// (prefixes, comments, order, indentation) is kept as it is in the document.
// An unknown transport, or a URI whose scheme does not fit its transport, is
// an error.
func ForEndpoints(provision, schemaConversion map[string]string) ([]byte, error) {
	return ForPortEndpoints(map[string]map[string]string{
		portProvision:        provision,
		portSchemaConversion: schemaConversion,
	})
}

// ForPortEndpoints is ForEndpoints for any of the service's port types:
// byPortType maps a port type name (IIpamAsyncProvision,
// IIpamAsyncSchemaConversion, IIpamEnumerator) to its endpoints by transport.
// Ports of a port type that is not in the map are removed.
func ForPortEndpoints(byPortType map[string]map[string]string) ([]byte, error) {
	for _, pt := range []string{portProvision, portSchemaConversion, portEnumerator} {
		m := byPortType[pt]
		for _, tr := range sortedKeys(m) {
			if err := checkAddress(tr, m[tr]); err != nil {
				return nil, fmt.Errorf("wsdl: %s endpoint: %w", pt, err)
			}
		}
	}

	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(document); err != nil {
		return nil, fmt.Errorf("wsdl: embedded document: %w", err)
	}
	defs := doc.Root()
	bindings := map[string]*etree.Element{}
	for _, b := range children(defs, NamespaceWSDL, "binding") {
		bindings[b.SelectAttrValue("name", "")] = b
	}
	for _, svc := range children(defs, NamespaceWSDL, "service") {
		for _, port := range children(svc, NamespaceWSDL, "port") {
			b := bindings[localPart(port.SelectAttrValue("binding", ""))]
			if b == nil {
				return nil, fmt.Errorf("wsdl: port %q: no binding %q", port.SelectAttrValue("name", ""), port.SelectAttrValue("binding", ""))
			}
			portType := localPart(b.SelectAttrValue("type", ""))
			transport := ""
			if sb := child(b, NamespaceSOAP12, "binding"); sb != nil {
				transport = transportOf[sb.SelectAttrValue("transport", "")]
			}
			addr, ok := byPortType[portType][transport]
			if !ok || transport == "" {
				removeWithIndent(svc, port)
				continue
			}
			setAddress(port, addr)
		}
	}
	return doc.WriteToBytes()
}

func checkAddress(transport, addr string) error {
	var schemes []string
	switch transport {
	case TransportNetTCP:
		schemes = []string{"net.tcp"}
	case TransportHTTP:
		schemes = []string{"http", "https"}
	default:
		return fmt.Errorf("unknown transport %q (want %s or %s)", transport, TransportNetTCP, TransportHTTP)
	}
	u, err := url.Parse(addr)
	if err != nil {
		return fmt.Errorf("%s address %q: %w", transport, addr, err)
	}
	for _, s := range schemes {
		if u.Scheme == s && u.Host != "" {
			return nil
		}
	}
	return fmt.Errorf("%s address %q: must be an absolute %s:// URI", transport, addr, schemes[0])
}

// setAddress sets soap12:address/@location and the WS-Addressing endpoint
// reference's Address of a port.
func setAddress(port *etree.Element, addr string) {
	if a := child(port, NamespaceSOAP12, "address"); a != nil {
		a.CreateAttr("location", addr)
	}
	if epr := child(port, NamespaceWSA10, "EndpointReference"); epr != nil {
		if a := child(epr, NamespaceWSA10, "Address"); a != nil {
			a.SetText(addr)
		}
	}
}

// removeWithIndent removes e from parent together with the whitespace that
// precedes it, so no blank line is left behind.
func removeWithIndent(parent, e *etree.Element) {
	i := e.Index()
	if i > 0 {
		if cd, ok := parent.Child[i-1].(*etree.CharData); ok && strings.TrimSpace(cd.Data) == "" {
			parent.RemoveChildAt(i - 1)
		}
	}
	parent.RemoveChild(e)
}

// children returns e's child elements named {space}local, matched by
// namespace URI (the document's prefixes are not assumed).
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

// localPart returns the local part of a QName attribute value.
func localPart(qname string) string {
	if i := strings.LastIndexByte(qname, ':'); i >= 0 {
		return qname[i+1:]
	}
	return qname
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
