package soapui_test

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/ipamd/ipamd/test/soapui"
	"github.com/ipamd/ipamd/wsdl"
)

// The SoapUI project cannot be run here (SoapUI is not installable), so
// these tests prove what can be proven without it: the project parses, its
// requests ARE the message files byte for byte, its WS-A settings say what
// the files say, every interface and operation it names exists in ipamd's
// WSDL with the same action, its MockService takes every callback at the
// CallbackUrl, and every message file is used.

const nsCon = "http://eviware.com/soapui/config"

type project struct {
	root  *etree.Element
	props map[string]string
}

func loadProject(t *testing.T) *project {
	t.Helper()
	b, err := soapui.ReadFile(soapui.ProjectFile)
	if err != nil {
		t.Fatal(err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(b); err != nil {
		t.Fatalf("%s does not parse: %v", soapui.ProjectFile, err)
	}
	root := doc.Root()
	if root == nil || root.Tag != "soapui-project" || root.NamespaceURI() != nsCon {
		t.Fatalf("%s: root is not con:soapui-project", soapui.ProjectFile)
	}
	p := &project{root: root, props: map[string]string{}}
	for _, pr := range children(root, "properties") {
		for _, e := range children(pr, "property") {
			p.props[childText(e, "name")] = childText(e, "value")
		}
	}
	return p
}

// children are e's child elements in the SoapUI namespace called local.
func children(e *etree.Element, local string) []*etree.Element {
	var out []*etree.Element
	for _, c := range e.ChildElements() {
		if c.Tag == local && c.NamespaceURI() == nsCon {
			out = append(out, c)
		}
	}
	return out
}

func child(e *etree.Element, local string) *etree.Element {
	if c := children(e, local); len(c) > 0 {
		return c[0]
	}
	return nil
}

func childText(e *etree.Element, local string) string {
	if c := child(e, local); c != nil {
		return c.Text()
	}
	return ""
}

func byName(es []*etree.Element, name string) *etree.Element {
	for _, e := range es {
		if e.SelectAttrValue("name", "") == name {
			return e
		}
	}
	return nil
}

func TestProjectProperties(t *testing.T) {
	p := loadProject(t)
	for _, name := range []string{soapui.PropProvisionEndpoint, soapui.PropConversionEndpoint, soapui.PropCallbackURL, "WsdlUrl", "CallbackTimeoutSeconds"} {
		if p.props[name] == "" {
			t.Errorf("project property %s is missing or empty", name)
		}
	}
	for _, name := range []string{soapui.PropProvisionEndpoint, soapui.PropConversionEndpoint, soapui.PropCallbackURL, "WsdlUrl"} {
		u, err := url.Parse(p.props[name])
		if err != nil || u.Scheme != "http" || u.Host == "" {
			t.Errorf("project property %s = %q is not an http URL", name, p.props[name])
		}
	}
	if n, err := strconv.Atoi(p.props["CallbackTimeoutSeconds"]); err != nil || n <= 0 {
		t.Errorf("CallbackTimeoutSeconds = %q, want a positive number", p.props["CallbackTimeoutSeconds"])
	}
	// The two default endpoints are two daemons: provisioning needs a fresh
	// one, conversion one started with --dev-require-conversion.
	pu, _ := url.Parse(p.props[soapui.PropProvisionEndpoint])
	cu, _ := url.Parse(p.props[soapui.PropConversionEndpoint])
	if pu != nil && cu != nil && pu.Host == cu.Host {
		t.Errorf("ProvisionEndpoint and ConversionEndpoint share %s; the flows need two ipamd instances", pu.Host)
	}
	if p.root.SelectAttrValue("resourceRoot", "") != "${projectDir}" {
		t.Errorf(`resourceRoot = %q, want "${projectDir}" (the scripts read files beside the project)`, p.root.SelectAttrValue("resourceRoot", ""))
	}
}

// wsdlBindings maps binding name → operation name → soapAction.
func wsdlBindings(t *testing.T) map[string]map[string]string {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(wsdl.Document()); err != nil {
		t.Fatalf("WSDL: %v", err)
	}
	out := map[string]map[string]string{}
	for _, b := range doc.Root().ChildElements() {
		if b.Tag != "binding" {
			continue
		}
		ops := map[string]string{}
		for _, op := range b.ChildElements() {
			if op.Tag != "operation" {
				continue
			}
			for _, so := range op.ChildElements() {
				if so.Tag == "operation" {
					ops[op.SelectAttrValue("name", "")] = so.SelectAttrValue("soapAction", "")
				}
			}
		}
		out[b.SelectAttrValue("name", "")] = ops
	}
	return out
}

func TestInterfacesAreWSDLBindings(t *testing.T) {
	p := loadProject(t)
	bindings := wsdlBindings(t)
	ifaces := children(p.root, "interface")
	want := map[string]bool{}
	for _, f := range soapui.Flows {
		want[f.PortInterface], want[f.CallbackInterface] = true, true
	}
	if len(ifaces) != len(want) {
		t.Errorf("%d interfaces, want %d (the HTTP port and callback bindings)", len(ifaces), len(want))
	}
	for _, in := range ifaces {
		name := in.SelectAttrValue("name", "")
		t.Run(name, func(t *testing.T) {
			if !want[name] {
				t.Errorf("interface %s is not one the flows use", name)
			}
			if got, w := in.SelectAttrValue("bindingName", ""), "{http://Microsoft.Windows.Ipam}"+name; got != w {
				t.Errorf("bindingName = %q, want %q", got, w)
			}
			if in.SelectAttrValue("soapVersion", "") != "1_2" {
				t.Errorf("soapVersion = %q, want 1_2 (the WSDL's bindings are SOAP 1.2)", in.SelectAttrValue("soapVersion", ""))
			}
			// anonymous="required" would make SoapUI replace a:ReplyTo with
			// the anonymous address, which ipamd refuses.
			if in.SelectAttrValue("anonymous", "") != "optional" {
				t.Errorf(`anonymous = %q, want "optional"`, in.SelectAttrValue("anonymous", ""))
			}
			if in.SelectAttrValue("definition", "") != "${#Project#WsdlUrl}" {
				t.Errorf("definition = %q, want ${#Project#WsdlUrl}", in.SelectAttrValue("definition", ""))
			}
			ops, ok := bindings[name]
			if !ok {
				t.Fatalf("the WSDL has no binding %s", name)
			}
			seen := map[string]bool{}
			for _, op := range children(in, "operation") {
				opName := op.SelectAttrValue("name", "")
				seen[opName] = true
				action, ok := ops[opName]
				if !ok {
					t.Errorf("operation %s is not in the WSDL binding", opName)
					continue
				}
				if got := op.SelectAttrValue("action", ""); got != action {
					t.Errorf("operation %s: action %q, WSDL soapAction %q", opName, got, action)
				}
			}
			for opName := range ops {
				if !seen[opName] {
					t.Errorf("WSDL operation %s is missing from the interface", opName)
				}
			}
		})
	}
}

// requestStep returns the request step for op in tc, and its request config.
func requestStep(t *testing.T, tc *etree.Element, op string) (step, req *etree.Element) {
	t.Helper()
	for _, s := range children(tc, "testStep") {
		if s.SelectAttrValue("type", "") != "request" {
			continue
		}
		cfg := child(s, "config")
		if cfg != nil && childText(cfg, "operation") == op {
			return s, child(cfg, "request")
		}
	}
	t.Fatalf("TestCase %s has no request step for %s", tc.SelectAttrValue("name", ""), op)
	return nil, nil
}

// fileHeaders reads the WS-A headers of a request file (unexpanded).
func fileHeaders(t *testing.T, name string) (action, replyTo, to string) {
	t.Helper()
	b, err := soapui.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	env, err := soapui.ParseEnvelope(b)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	action, _ = soapui.HeaderText(env, soapui.NSAddressing, "Action")
	to, _ = soapui.HeaderText(env, soapui.NSAddressing, "To")
	if rt := env.FindElement("./Header/ReplyTo/Address"); rt != nil {
		replyTo = strings.TrimSpace(rt.Text())
	}
	return action, replyTo, to
}

func TestRequestStepsAreTheMessageFiles(t *testing.T) {
	p := loadProject(t)
	suites := children(p.root, "testSuite")
	if len(suites) != 1 {
		t.Fatalf("%d TestSuites, want 1", len(suites))
	}
	cases := children(suites[0], "testCase")
	if len(cases) != len(soapui.Flows) {
		t.Errorf("%d TestCases, want %d", len(cases), len(soapui.Flows))
	}
	bindings := wsdlBindings(t)
	for _, f := range soapui.Flows {
		t.Run(f.TestCase, func(t *testing.T) {
			tc := byName(cases, f.TestCase)
			if tc == nil {
				t.Fatalf("no TestCase %q", f.TestCase)
			}
			for _, r := range []struct {
				file, action string
				oneWay       bool
			}{{f.Initialize, f.InitializeAction, false}, {f.Start, f.StartAction, true}} {
				op := r.action[strings.LastIndexByte(r.action, '/')+1:]
				_, req := requestStep(t, tc, op)
				want, err := soapui.ReadFile(r.file)
				if err != nil {
					t.Fatal(err)
				}
				// The embedded request is the file without its final newline.
				if got := child(req, "request").Text(); got != strings.TrimSuffix(string(want), "\n") {
					t.Errorf("%s: the request embedded in the project is not %s; copy the file into its CDATA section", op, r.file)
				}
				if got, w := childText(req, "endpoint"), "${#Project#"+f.EndpointProperty+"}"; got != w {
					t.Errorf("%s: endpoint %q, want %q", op, got, w)
				}
				if req.SelectAttrValue("useWsAddressing", "") != "true" {
					t.Errorf("%s: WS-Addressing is not enabled (useWsAddressing)", op)
				}
				action, replyTo, to := fileHeaders(t, r.file)
				if action != r.action {
					t.Errorf("%s: a:Action %q, want %q", r.file, action, r.action)
				}
				if w := bindings[f.PortInterface][op]; action != w {
					t.Errorf("%s: a:Action %q, but the WSDL's soapAction is %q", r.file, action, w)
				}
				if w := "${#Project#" + soapui.PropCallbackURL + "}"; replyTo != w {
					t.Errorf("%s: a:ReplyTo %q, want %q", r.file, replyTo, w)
				}
				if w := "${#Project#" + f.EndpointProperty + "}"; to != w {
					t.Errorf("%s: a:To %q, want %q", r.file, to, w)
				}
				// SoapUI's WS-A settings must produce the same headers should it
				// override the file's (its "override existing headers" option).
				wsa := child(req, "wsaConfig")
				if wsa == nil {
					t.Fatalf("%s: no wsaConfig", op)
				}
				for attr, w := range map[string]string{
					"version": "200508", "action": action, "replyTo": replyTo, "to": to,
					"generateMessageId": "true", "addDefaultAction": "false", "addDefaultTo": "false",
				} {
					if got := wsa.SelectAttrValue(attr, ""); got != w {
						t.Errorf("%s: wsaConfig %s=%q, want %q", op, attr, got, w)
					}
				}
				var asserts []string
				for _, a := range children(req, "assertion") {
					asserts = append(asserts, a.SelectAttrValue("type", "")+":"+strings.TrimSpace(plainText(child(a, "configuration"), "codes")))
				}
				wantStatus := "Valid HTTP Status Codes:200"
				if r.oneWay {
					wantStatus = "Valid HTTP Status Codes:202"
				}
				if !slices.Contains(asserts, wantStatus) {
					t.Errorf("%s: assertions %q lack %q", op, asserts, wantStatus)
				}
			}
		})
	}
}

// plainText is the text of e's first unqualified child called local: the
// settings inside a step's or assertion's configuration have no namespace
// (<script>, <scriptText>, <codes>).
func plainText(e *etree.Element, local string) string {
	if e == nil {
		return ""
	}
	for _, c := range e.ChildElements() {
		if c.Tag == local && c.NamespaceURI() == "" {
			return c.Text()
		}
	}
	return ""
}

// scriptOf is a Groovy step's script.
func scriptOf(step *etree.Element) string { return plainText(child(step, "config"), "script") }

func TestTestCasesCheckTheExpectedFiles(t *testing.T) {
	p := loadProject(t)
	cases := children(children(p.root, "testSuite")[0], "testCase")
	for _, f := range soapui.Flows {
		t.Run(f.TestCase, func(t *testing.T) {
			tc := byName(cases, f.TestCase)
			if tc == nil {
				t.Fatalf("no TestCase %q", f.TestCase)
			}
			props := map[string]string{}
			for _, pr := range children(child(tc, "properties"), "property") {
				props[childText(pr, "name")] = childText(pr, "value")
			}
			for name, want := range map[string]string{
				"ExpectedResponse":   f.InitializeResponse,
				"ExpectedStart":      f.Started,
				"ExpectedCheckpoint": f.Checkpoint,
				"ExpectedComplete":   f.Completed,
			} {
				if props[name] != want {
					t.Errorf("TestCase property %s = %q, want %q", name, props[name], want)
				}
			}
			// The steps: Initialize, Start, then the Groovy step that waits for
			// and checks the callbacks with golden.groovy.
			steps := children(tc, "testStep")
			if len(steps) != 3 || steps[2].SelectAttrValue("type", "") != "groovy" {
				t.Fatalf("want 3 steps (Initialize, Start, a groovy check), got %d", len(steps))
			}
			script := scriptOf(steps[2])
			for _, want := range []string{"golden.groovy", "awaitComplete", "checkCallbacks", "ExpectedStart", "ExpectedCheckpoint", "ExpectedComplete", "IpamCallbacks"} {
				if !strings.Contains(script, want) {
					t.Errorf("the callback check step does not mention %q", want)
				}
			}
			_, req := requestStep(t, tc, f.InitializeAction[strings.LastIndexByte(f.InitializeAction, '/')+1:])
			var replyCheck string
			for _, a := range children(req, "assertion") {
				if a.SelectAttrValue("type", "") == "GroovyScriptAssertion" {
					replyCheck = plainText(child(a, "configuration"), "scriptText")
				}
			}
			for _, want := range []string{"golden.groovy", "ExpectedResponse", "compare", "checkRelatesTo"} {
				if !strings.Contains(replyCheck, want) {
					t.Errorf("the Initialize reply assertion does not mention %q", want)
				}
			}
			if !strings.Contains(childText(tc, "setupScript"), "IpamCallbacks") {
				t.Errorf("the setup script does not start the IpamCallbacks MockService")
			}
			if !strings.Contains(childText(tc, "tearDownScript"), "stop()") {
				t.Errorf("the tear-down script does not stop the MockService")
			}
		})
	}
}

func TestMockServiceTakesEveryCallback(t *testing.T) {
	p := loadProject(t)
	mocks := children(p.root, "mockService")
	if len(mocks) != 1 {
		t.Fatalf("%d MockServices, want 1", len(mocks))
	}
	m := mocks[0]
	if m.SelectAttrValue("name", "") != "IpamCallbacks" {
		t.Errorf("MockService name %q, want IpamCallbacks (the scripts look it up by name)", m.SelectAttrValue("name", ""))
	}
	cb, err := url.Parse(p.props[soapui.PropCallbackURL])
	if err != nil {
		t.Fatal(err)
	}
	if got := m.SelectAttrValue("host", "") + ":" + m.SelectAttrValue("port", "") + m.SelectAttrValue("path", ""); got != cb.Host+cb.Path {
		t.Errorf("MockService listens at %s, but CallbackUrl is %s", got, cb)
	}
	if !strings.Contains(childText(m, "onRequestScript"), "ipamdCallbacks") || !strings.Contains(childText(m, "startScript"), "ipamdCallbacks") {
		t.Errorf("the MockService scripts do not keep the ipamdCallbacks record the check steps read")
	}
	bindings := wsdlBindings(t)
	got := map[string]bool{}
	for _, op := range children(m, "mockOperation") {
		key := op.SelectAttrValue("interface", "") + "/" + op.SelectAttrValue("operation", "")
		got[key] = true
		resp := children(op, "response")
		if len(resp) != 1 || resp[0].SelectAttrValue("httpResponseStatus", "") != "202" {
			t.Errorf("%s: want one response with HTTP status 202", key)
		}
	}
	for _, f := range soapui.Flows {
		ops := bindings[f.CallbackInterface]
		if len(ops) != 3 {
			t.Errorf("WSDL binding %s has %d operations, want 3", f.CallbackInterface, len(ops))
		}
		for op := range ops {
			if !got[f.CallbackInterface+"/"+op] {
				t.Errorf("no mock operation for %s/%s", f.CallbackInterface, op)
			}
		}
	}
}

func TestEveryMessageFileIsUsed(t *testing.T) {
	files, err := soapui.MessageFiles()
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, f := range soapui.Flows {
		for _, n := range []string{f.Initialize, f.Start, f.InitializeResponse, f.Started, f.Checkpoint, f.Completed} {
			used[n] = true
		}
	}
	if len(files) != len(used) {
		t.Errorf("%d message files, the flows use %d", len(files), len(used))
	}
	for _, name := range files {
		if !used[name] {
			t.Errorf("%s is not used by any flow (and so not by the project)", name)
		}
	}
}

// Every message expands with the project's properties alone, and says what
// the flows and ipamd's defaults say.
func TestMessageFiles(t *testing.T) {
	p := loadProject(t)
	for _, f := range soapui.Flows {
		for _, m := range []struct {
			file, action string
			request      bool
		}{
			{f.Initialize, f.InitializeAction, true},
			{f.Start, f.StartAction, true},
			{f.InitializeResponse, f.ReplyAction, false},
			{f.Started, f.Callbacks.Start, false},
			{f.Checkpoint, f.Callbacks.Checkpoint, false},
			{f.Completed, f.Callbacks.Complete, false},
		} {
			t.Run(m.file, func(t *testing.T) {
				tmpl, err := soapui.ReadFile(m.file)
				if err != nil {
					t.Fatal(err)
				}
				msg, err := soapui.Expand(tmpl, p.props)
				if err != nil {
					t.Fatalf("expanding with the project properties: %v", err)
				}
				env, err := soapui.ParseEnvelope(msg)
				if err != nil {
					t.Fatal(err)
				}
				if env.NamespaceURI() != soapui.NSSoap12 || env.Tag != "Envelope" {
					t.Errorf("root {%s}%s, want a SOAP 1.2 Envelope", env.NamespaceURI(), env.Tag)
				}
				if a, _ := soapui.HeaderText(env, soapui.NSAddressing, "Action"); a != m.action {
					t.Errorf("a:Action %q, want %q", a, m.action)
				}
				if body := soapui.BodyElement(env); body == nil || body.Tag != m.action[strings.LastIndexByte(m.action, '/')+1:] {
					t.Errorf("the body element does not match the action's operation")
				}
				if _, ok := soapui.HeaderText(env, soapui.NSAddressing, "MessageID"); ok != m.request {
					t.Errorf("a:MessageID present = %v, want %v (requests carry one, ipamd's replies and callbacks do not)", ok, m.request)
				}
				for _, e := range soapui.Expansions(tmpl) {
					if m.request {
						continue
					}
					// Expected files only name project properties.
					if !strings.HasPrefix(e, "#Project#") {
						t.Errorf("expected files may only use ${#Project#…}, got ${%s}", e)
					}
				}
			})
		}
	}
}
