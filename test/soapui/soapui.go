// Package soapui holds ipamd's SoapUI project (ipamd-soapui-project.xml,
// with its Groovy helper golden.groovy) and the message files under
// messages/ that the project and the Go interop tests share: the requests a
// client sends (messages/requests) and the replies and Notify… callbacks it
// must receive (messages/expected), all SOAP 1.2 with WS-Addressing 1.0.
//
// The files are templates in SoapUI's property-expansion syntax, so SoapUI
// sends them unchanged and the Go tests send exactly what SoapUI would:
//
//	${#Project#Name}              the project property Name (endpoints, callback URL)
//	${=java.util.UUID.randomUUID()}  a fresh random UUID (a:MessageID)
//
// The expected files add one convention of their own, read by Compare here
// and by golden.groovy in SoapUI: an attribute value or a leaf element's text
// that is exactly "*" matches any non-empty value (a:RelatesTo, the session
// id). Everything else must match; see Compare for the rules.
//
// This package exists for tests; nothing in the daemon imports it.
package soapui

import (
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/beevik/etree"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

//go:embed ipamd-soapui-project.xml golden.groovy messages
var files embed.FS

// Names of the files and directories of this package.
const (
	ProjectFile  = "ipamd-soapui-project.xml"
	GroovyHelper = "golden.groovy"
	MessagesDir  = "messages"
)

// Project properties the message templates expand.
const (
	PropProvisionEndpoint  = "ProvisionEndpoint"
	PropConversionEndpoint = "ConversionEndpoint"
	PropCallbackURL        = "CallbackUrl"
	// PropSessionID is the session id (ss:SessionId) the Initialize reply
	// carries; the Start request sends it back. The project's Initialize
	// steps set it from the reply.
	PropSessionID = "SessionId"
)

// Namespaces of the envelopes.
const (
	NSSoap12     = "http://www.w3.org/2003/05/soap-envelope"
	NSSoap11     = "http://schemas.xmlsoap.org/soap/envelope/"
	NSAddressing = "http://www.w3.org/2005/08/addressing"
	NSSession    = "urn:ipamd:2026:session" // the callbacks' session reference parameter
	nsXSI        = "http://www.w3.org/2001/XMLSchema-instance"
)

// Wildcard in an expected file matches any non-empty value.
const Wildcard = "*"

// Flow is one full session of a port type: Initialize (two-way), Start
// (one-way, 202), then Notify…Start, one or more Notify…Checkpoint and
// Notify…Complete POSTed to the client's a:ReplyTo. The file fields are paths
// inside this package (ReadFile); TestCase is the SoapUI TestCase that runs
// the flow.
type Flow struct {
	Name             string // short name: "provision", "conversion"
	TestCase         string
	PortType         string // ipam.PortIIpamAsyncProvision, …
	EndpointProperty string // the project property holding the endpoint URL

	Initialize, Start                string // requests
	InitializeResponse               string // expected reply to Initialize
	Started, Checkpoint, Completed   string // expected callbacks
	CallbackInterface, PortInterface string // SoapUI interface (WSDL binding) names

	// The actions the files carry: the requests', the reply's and (ipamd's
	// default callbacks.action_style, "service") the callbacks'.
	InitializeAction, StartAction, ReplyAction string
	Callbacks                                  ipam.CallbackActions
}

// Flows are the two port types' full sessions. Provisioning needs a fresh
// (unprovisioned) ipamd; schema conversion needs one started with
// --dev-require-conversion.
var Flows = []Flow{
	{
		Name:               "provision",
		TestCase:           "Provisioning",
		PortType:           ipam.PortIIpamAsyncProvision,
		EndpointProperty:   PropProvisionEndpoint,
		Initialize:         "messages/requests/InitializeAsyncProvisioning.xml",
		Start:              "messages/requests/StartAsyncProvisioning.xml",
		InitializeResponse: "messages/expected/InitializeAsyncProvisioningResponse.xml",
		Started:            "messages/expected/NotifyAsyncProvisionStart.xml",
		Checkpoint:         "messages/expected/NotifyAsyncProvisionCheckpoint.xml",
		Completed:          "messages/expected/NotifyAsyncProvisionComplete.xml",
		PortInterface:      "HttpBinding_IIpamAsyncProvision",
		CallbackInterface:  "HttpBinding_IIpamAsyncProvisionCallback",
		InitializeAction:   ipam.ActionInitializeAsyncProvisioning,
		StartAction:        ipam.ActionStartAsyncProvisioning,
		ReplyAction:        ipam.ActionInitializeAsyncProvisioningResponse,
		Callbacks:          ipam.ProvisionCallbackActions(ipam.CallbackActionsService),
	},
	{
		Name:               "conversion",
		TestCase:           "SchemaConversion",
		PortType:           ipam.PortIIpamAsyncSchemaConversion,
		EndpointProperty:   PropConversionEndpoint,
		Initialize:         "messages/requests/InitializeAsyncSchemaConversion.xml",
		Start:              "messages/requests/StartAsyncSchemaConversion.xml",
		InitializeResponse: "messages/expected/InitializeAsyncSchemaConversionResponse.xml",
		Started:            "messages/expected/NotifyAsyncSchemaConversionStart.xml",
		Checkpoint:         "messages/expected/NotifyAsyncSchemaConversionCheckpoint.xml",
		Completed:          "messages/expected/NotifyAsyncSchemaConversionComplete.xml",
		PortInterface:      "HttpBinding_IIpamAsyncSchemaConversion",
		CallbackInterface:  "HttpBinding_IIpamAsyncSchemaCallback",
		InitializeAction:   ipam.ActionInitializeAsyncSchemaConversion,
		StartAction:        ipam.ActionStartAsyncSchemaConversion,
		ReplyAction:        ipam.ActionInitializeAsyncSchemaConversionResponse,
		Callbacks:          ipam.SchemaConversionCallbackActions(ipam.CallbackActionsService),
	},
}

// ReadFile returns a file of this package (ProjectFile, GroovyHelper or a
// path under messages/).
func ReadFile(name string) ([]byte, error) {
	b, err := files.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("soapui: %w", err)
	}
	return b, nil
}

// MessageFiles lists every file under messages/, sorted.
func MessageFiles() ([]string, error) {
	var out []string
	err := fs.WalkDir(files, MessagesDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("soapui: listing %s: %w", MessagesDir, err)
	}
	return out, nil
}

// ErrExpansion is wrapped by Expand's errors.
var ErrExpansion = errors.New("property expansion")

// Expand replaces the SoapUI property expansions of a template: ${#Project#Name}
// with props[Name] and ${=java.util.UUID.randomUUID()} with a fresh UUID. Any
// other expansion, an undefined property or an unterminated "${" is an error,
// so a template cannot use something the Go tests would send differently
// from SoapUI.
func Expand(tmpl []byte, props map[string]string) ([]byte, error) {
	var out strings.Builder
	rest := string(tmpl)
	for {
		i := strings.Index(rest, "${")
		if i < 0 {
			out.WriteString(rest)
			return []byte(out.String()), nil
		}
		out.WriteString(rest[:i])
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return nil, fmt.Errorf("%w: unterminated %q", ErrExpansion, truncate(rest[i:]))
		}
		expr := rest[i+2 : i+j]
		rest = rest[i+j+1:]
		v, err := expand(expr, props)
		if err != nil {
			return nil, err
		}
		out.WriteString(v)
	}
}

// UUIDExpansion is the script expansion for a random UUID.
const UUIDExpansion = "=java.util.UUID.randomUUID()"

func expand(expr string, props map[string]string) (string, error) {
	if expr == UUIDExpansion {
		return newUUID(), nil
	}
	if name, ok := strings.CutPrefix(expr, "#Project#"); ok {
		v, ok := props[name]
		if !ok {
			return "", fmt.Errorf("%w: project property %q is not defined", ErrExpansion, name)
		}
		return v, nil
	}
	return "", fmt.Errorf("%w: ${%s} is not supported (use ${#Project#Name} or ${%s})", ErrExpansion, expr, UUIDExpansion)
}

// Expansions lists the distinct expansions (the text between "${" and "}")
// a template uses, in order of first use.
func Expansions(tmpl []byte) []string {
	var out []string
	seen := map[string]bool{}
	rest := string(tmpl)
	for {
		i := strings.Index(rest, "${")
		if i < 0 {
			return out
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return out
		}
		e := rest[i+2 : i+j]
		if !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
		rest = rest[i+j+1:]
	}
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// ToSOAP11 rewrites a SOAP 1.2 message of this package as SOAP 1.1: only the
// envelope namespace differs (the messages use no SOAP 1.2-only construct;
// s:mustUnderstand="1" is valid in both).
func ToSOAP11(msg []byte) []byte {
	return []byte(strings.ReplaceAll(string(msg), NSSoap12, NSSoap11))
}

// MismatchError lists where an actual message differs from the expected one.
type MismatchError struct {
	Diffs []string // one line per difference: path and what differs
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("message differs from the expected one:\n  %s", strings.Join(e.Diffs, "\n  "))
}

// Compare checks actual against an expanded expected message, the way
// golden.groovy does in SoapUI:
//   - elements match by namespace URI and local name, children in order;
//   - attributes match as a set by namespace URI and local name, namespace
//     declarations aside; xsi:type values compare as resolved QNames;
//   - a leaf element's text is compared trimmed; whitespace between child
//     elements is ignored, other text beside child elements is a difference;
//   - Wildcard ("*") as an expected value matches any non-empty value.
//
// It returns a *MismatchError listing the differences, or an error when a
// document does not parse.
func Compare(expected, actual []byte) error {
	exp, err := parseRoot(expected)
	if err != nil {
		return fmt.Errorf("expected message: %w", err)
	}
	act, err := parseRoot(actual)
	if err != nil {
		return fmt.Errorf("actual message: %w", err)
	}
	var diffs []string
	compareElement("", exp, act, &diffs)
	if len(diffs) > 0 {
		return &MismatchError{Diffs: diffs}
	}
	return nil
}

// ParseEnvelope parses a message and returns its root element.
func ParseEnvelope(msg []byte) (*etree.Element, error) { return parseRoot(msg) }

func parseRoot(b []byte) (*etree.Element, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(b); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	root := doc.Root()
	if root == nil {
		return nil, errors.New("parse: no root element")
	}
	return root, nil
}

const maxDiffs = 20

func compareElement(parent string, exp, act *etree.Element, diffs *[]string) {
	p := parent + "/" + exp.FullTag()
	if exp.NamespaceURI() != act.NamespaceURI() || exp.Tag != act.Tag {
		addDiff(diffs, "%s: element {%s}%s, want {%s}%s", p, act.NamespaceURI(), act.Tag, exp.NamespaceURI(), exp.Tag)
		return
	}
	compareAttrs(p, exp, act, diffs)

	ek, ak := exp.ChildElements(), act.ChildElements()
	if len(ek) == 0 && len(ak) == 0 {
		compareValue(p+"/text()", strings.TrimSpace(exp.Text()), strings.TrimSpace(act.Text()), diffs)
		return
	}
	for _, side := range []struct {
		name string
		e    *etree.Element
	}{{"expected", exp}, {"actual", act}} {
		if t := mixedText(side.e); t != "" {
			addDiff(diffs, "%s: %s has text %q beside child elements", p, side.name, truncate(t))
		}
	}
	for i := 0; i < len(ek) && i < len(ak); i++ {
		compareElement(p, ek[i], ak[i], diffs)
	}
	for _, extra := range ak[min(len(ek), len(ak)):] {
		addDiff(diffs, "%s: unexpected child {%s}%s", p, extra.NamespaceURI(), extra.Tag)
	}
	for _, missing := range ek[min(len(ek), len(ak)):] {
		addDiff(diffs, "%s: missing child {%s}%s", p, missing.NamespaceURI(), missing.Tag)
	}
}

// mixedText is the non-space character data directly inside e.
func mixedText(e *etree.Element) string {
	var b strings.Builder
	for _, t := range e.Child {
		if cd, ok := t.(*etree.CharData); ok {
			b.WriteString(cd.Data)
		}
	}
	return strings.TrimSpace(b.String())
}

type attrKey struct{ space, local string }

func attrs(e *etree.Element) map[attrKey]string {
	m := map[attrKey]string{}
	for _, a := range e.Attr {
		if a.Space == "xmlns" || (a.Space == "" && a.Key == "xmlns") {
			continue
		}
		k := attrKey{a.NamespaceURI(), a.Key}
		v := a.Value
		if k == (attrKey{nsXSI, "type"}) {
			v = resolveQName(e, v)
		}
		m[k] = v
	}
	return m
}

func compareAttrs(p string, exp, act *etree.Element, diffs *[]string) {
	em, am := attrs(exp), attrs(act)
	for k, ev := range em {
		av, ok := am[k]
		if !ok {
			addDiff(diffs, "%s/@{%s}%s: missing", p, k.space, k.local)
			continue
		}
		compareValue(fmt.Sprintf("%s/@{%s}%s", p, k.space, k.local), ev, av, diffs)
	}
	for k := range am {
		if _, ok := em[k]; !ok {
			addDiff(diffs, "%s/@{%s}%s: unexpected attribute", p, k.space, k.local)
		}
	}
}

func compareValue(p, exp, act string, diffs *[]string) {
	if exp == Wildcard {
		if act == "" {
			addDiff(diffs, "%s: empty, want any value", p)
		}
		return
	}
	if exp != act {
		addDiff(diffs, "%s: %q, want %q", p, truncate(act), truncate(exp))
	}
}

// resolveQName turns "p:local" into "{ns}local" with e's in-scope namespaces.
func resolveQName(e *etree.Element, v string) string {
	prefix, local, ok := strings.Cut(v, ":")
	if !ok {
		prefix, local = "", v
	}
	for el := e; el != nil; el = el.Parent() {
		for _, a := range el.Attr {
			if (prefix == "" && a.Space == "" && a.Key == "xmlns") || (prefix != "" && a.Space == "xmlns" && a.Key == prefix) {
				return "{" + a.Value + "}" + local
			}
		}
	}
	return "{}" + local
}

func addDiff(diffs *[]string, format string, args ...any) {
	if len(*diffs) < maxDiffs {
		*diffs = append(*diffs, fmt.Sprintf(format, args...))
	}
}

// HeaderText returns the trimmed text of the first SOAP header block with
// the given namespace and local name, and whether there is one.
func HeaderText(env *etree.Element, space, local string) (string, bool) {
	for _, h := range env.ChildElements() {
		if h.Tag != "Header" {
			continue
		}
		for _, b := range h.ChildElements() {
			if b.NamespaceURI() == space && b.Tag == local {
				return strings.TrimSpace(b.Text()), true
			}
		}
	}
	return "", false
}

// BodyElement returns the first element of the SOAP Body.
func BodyElement(env *etree.Element) *etree.Element {
	for _, b := range env.ChildElements() {
		if b.Tag == "Body" {
			if c := b.ChildElements(); len(c) > 0 {
				return c[0]
			}
		}
	}
	return nil
}
