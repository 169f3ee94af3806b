// Package postman builds ipamd's Postman collection (Postman Collection
// v2.1, ipamd.postman_collection.json) from the message files of the SoapUI
// project (test/soapui/messages), so the two cannot drift: the requests
// are the SoapUI files with their property expansions turned into Postman
// variables, and the replies' and callbacks' expected actions and
// addresses are read from the expected files. `go generate ./test/postman`
// writes the collection; TestCollectionUpToDate fails when it is stale.
//
// postman_test.go runs the collection with newman (npm, pinned by
// package-lock.json) against a real ipamd, with a callback listener the
// test starts: the collection's "Receive callbacks" requests ask that
// listener what ipamd POSTed to the session's a:ReplyTo.
package postman

//go:generate go run ./gen -o ipamd.postman_collection.json

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/ipamd/ipamd/test/soapui"
)

// Collection variables. The test sets them with newman's --env-var; the
// defaults are the addresses of the SoapUI project's README, for running
// the collection by hand.
const (
	VarProvisionEndpoint  = "provisionEndpoint"
	VarConversionEndpoint = "conversionEndpoint"
	// VarCallbackBase is the callback listener's base URL; each flow's
	// a:ReplyTo is VarCallbackBase/<flow name>.
	VarCallbackBase = "callbackBase"
	// VarMessageID is the a:MessageID (after urn:uuid:) of the request
	// being sent: a pre-request script draws it, the test script checks
	// a:RelatesTo against it.
	VarMessageID = "messageId"
	// VarReferenceParameters holds the SOAP header blocks a reply asked
	// the client to send back (WS-Addressing reference parameters: header
	// blocks with a:IsReferenceParameter="true" and the children of any
	// a:ReferenceParameters), captured by Initialize's test script and
	// inserted into the Start request's header. Empty when there are none.
	VarReferenceParameters = "ipamdReferenceParameters"
	// VarHTTPSessionHeaders holds, as JSON, the reply's HTTP headers whose
	// name mentions a session, sent back on Start.
	VarHTTPSessionHeaders = "ipamdSessionHeaders"
)

type collection struct {
	Info     info       `json:"info"`
	Variable []variable `json:"variable"`
	Item     []item     `json:"item"`
}

type info struct {
	PostmanID   string `json:"_postman_id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Schema      string `json:"schema"`
}

type variable struct {
	Key   string `json:"key"`
	Value string `json:"value"`
	Type  string `json:"type"`
}

type item struct {
	Name        string  `json:"name"`
	Description string  `json:"description,omitempty"`
	Item        []item  `json:"item,omitempty"`
	Event       []event `json:"event,omitempty"`
	Request     *req    `json:"request,omitempty"`
}

type event struct {
	Listen string `json:"listen"`
	Script script `json:"script"`
}

type script struct {
	Type string   `json:"type"`
	Exec []string `json:"exec"`
}

type req struct {
	Method string   `json:"method"`
	Header []header `json:"header"`
	Body   *body    `json:"body,omitempty"`
	URL    string   `json:"url"`
}

type header struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type body struct {
	Mode string `json:"mode"`
	Raw  string `json:"raw"`
}

const soap12ContentType = "application/soap+xml; charset=utf-8"

// toPostman turns a SoapUI message file into a Postman request body: the
// project properties become collection variables, the random UUID the
// message id variable. soapui.Expand rejects anything else.
func toPostman(file string, callbackURL string) (string, error) {
	b, err := soapui.ReadFile(file)
	if err != nil {
		return "", err
	}
	b = bytes.ReplaceAll(b, []byte("${"+soapui.UUIDExpansion+"}"), []byte("{{"+VarMessageID+"}}"))
	// The SoapUI Start files send the session id back as
	// ${#Project#SessionId}; the collection sends back every reference
	// parameter of the Initialize reply instead ({{ipamdReferenceParameters}}),
	// the session id among them, as a generic WS-Addressing client does.
	b = sessionIDBlockRe.ReplaceAll(b, nil)
	out, err := soapui.Expand(b, map[string]string{
		soapui.PropProvisionEndpoint:  "{{" + VarProvisionEndpoint + "}}",
		soapui.PropConversionEndpoint: "{{" + VarConversionEndpoint + "}}",
		soapui.PropCallbackURL:        callbackURL,
	})
	if err != nil {
		return "", fmt.Errorf("%s: %w", file, err)
	}
	return string(out), nil
}

var sessionIDBlockRe = regexp.MustCompile(`\s*<ss:SessionId[^>]*>\$\{#Project#` + soapui.PropSessionID + `\}</ss:SessionId>`)

var actionRe = regexp.MustCompile(`<a:Action[^>]*>([^<]+)</a:Action>`)
var toRe = regexp.MustCompile(`<a:To[^>]*>([^<]+)</a:To>`)

// headerValue reads a:Action or a:To of an expected file.
func headerValue(file string, re *regexp.Regexp) (string, error) {
	b, err := soapui.ReadFile(file)
	if err != nil {
		return "", err
	}
	m := re.FindSubmatch(b)
	if m == nil {
		return "", fmt.Errorf("%s: no %s", file, re)
	}
	return strings.TrimSpace(string(m[1])), nil
}

// Build returns the collection's JSON.
func Build() ([]byte, error) {
	c := collection{
		Info: info{
			PostmanID: "5b0c6a55-9d7e-4f51-8a8e-1f2a4f9b0c31",
			Name:      "ipamd SOAP over HTTP (MS-IPAMM2)",
			Description: "Both MS-IPAMM2 port types over SOAP 1.2/HTTP with WS-Addressing callbacks, and bad input. " +
				"Generated from test/soapui/messages by `go generate ./test/postman`; do not edit. " +
				"Set provisionEndpoint, conversionEndpoint (a daemon started with --dev-require-conversion) and callbackBase " +
				"(a listener that records POSTed callbacks and answers GET <callbackBase>/<flow>?wait=Complete with {\"callbacks\": [bodies]}; " +
				"test/postman/postman_test.go runs one).",
			Schema: "https://schema.getpostman.com/json/collection/v2.1.0/collection.json",
		},
		Variable: []variable{
			{VarProvisionEndpoint, "http://127.0.0.1:8080/ipam/IIpamAsyncProvision", "string"},
			{VarConversionEndpoint, "http://127.0.0.1:8081/ipam/IIpamAsyncSchemaConversion", "string"},
			{VarCallbackBase, "http://127.0.0.1:8089/ipamd/callbacks", "string"},
			{VarReferenceParameters, "", "string"},
			{VarHTTPSessionHeaders, "[]", "string"},
		},
	}
	for _, f := range soapui.Flows {
		it, err := flowItem(f)
		if err != nil {
			return nil, err
		}
		c.Item = append(c.Item, it)
	}
	bad, err := badInputItem()
	if err != nil {
		return nil, err
	}
	c.Item = append(c.Item, bad)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "\t")
	if err := enc.Encode(c); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func lines(s string) []string { return strings.Split(strings.TrimPrefix(s, "\n"), "\n") }

func soapPost(name, endpointVar, raw string, pre, test string) item {
	it := item{
		Name: name,
		Request: &req{
			Method: "POST",
			Header: []header{{"Content-Type", soap12ContentType}},
			Body:   &body{Mode: "raw", Raw: raw},
			URL:    "{{" + endpointVar + "}}",
		},
	}
	if pre != "" {
		it.Event = append(it.Event, event{"prerequest", script{"text/javascript", lines(pre)}})
	}
	if test != "" {
		it.Event = append(it.Event, event{"test", script{"text/javascript", lines(test)}})
	}
	return it
}

// jsHelpers are the test scripts' XML readers: a header's or element's
// text by local name (any prefix), enough for the flat SOAP headers here.
const jsHelpers = `
const text = (xml, local) => { const m = xml.match(new RegExp('<(?:[\\w.-]+:)?' + local + '(?:\\s[^>]*)?>([^<]*)</(?:[\\w.-]+:)?' + local + '>')); return m ? m[1].trim() : null; };
const has = (xml, local) => new RegExp('<(?:[\\w.-]+:)?' + local + '[\\s/>]').test(xml);
`

// newMessageID is the pre-request script of a request carrying {{messageId}}.
const newMessageID = `
pm.variables.set('` + VarMessageID + `', pm.variables.replaceIn('{{$guid}}'));
`

// captureReferenceParameters keeps what the Initialize reply asks the
// client to send back, for the Start request: SOAP header blocks marked
// a:IsReferenceParameter="true" and the children of a:ReferenceParameters
// (marked so when sent, WS-Addressing 1.0 SOAP Binding 2.4), each with the
// namespace declarations its prefixes need from the reply's envelope; and
// HTTP headers whose name mentions a session.
const captureReferenceParameters = `
const decls = {};
for (const m of reply.matchAll(/xmlns:([\w.-]+)="([^"]*)"/g)) { decls[m[1]] = decls[m[1]] || m[2]; }
const withDecls = (el) => {
	const open = el.match(/^<[^>]*>/)[0];
	let add = '';
	for (const m of el.matchAll(/<\/?([\w.-]+):|\s([\w.-]+):[\w.-]+=/g)) {
		const p = m[1] || m[2];
		if (p && p !== 'xmlns' && decls[p] !== undefined && !open.includes('xmlns:' + p + '=') && !add.includes('xmlns:' + p + '=')) { add += ' xmlns:' + p + '="' + decls[p] + '"'; }
	}
	return el.replace(/^(<[\w.:-]+)/, '$1' + add);
};
const blocks = [];
const elementRe = /<([\w.-]+:)?([\w.-]+)(\s[^>]*?)?(\/>|>[\s\S]*?<\/\1\2>)/g;
const hdr = (reply.match(/<(?:[\w.-]+:)?Header(?:\s[^>]*)?>([\s\S]*?)<\/(?:[\w.-]+:)?Header>/) || [])[1] || '';
for (const m of hdr.matchAll(elementRe)) {
	if (/IsReferenceParameter="(true|1)"/.test(m[3] || '')) { blocks.push(withDecls(m[0])); }
}
for (const rp of reply.matchAll(/<(?:[\w.-]+:)?ReferenceParameters(?:\s[^>]*)?>([\s\S]*?)<\/(?:[\w.-]+:)?ReferenceParameters>/g)) {
	for (const m of rp[1].matchAll(elementRe)) {
		blocks.push(withDecls(m[0]).replace(/^(<[\w.:-]+)/, '$1 xmlns:wsa10="http://www.w3.org/2005/08/addressing" wsa10:IsReferenceParameter="true"'));
	}
}
pm.collectionVariables.set('` + VarReferenceParameters + `', blocks.join(''));
const sessionHeaders = pm.response.headers.filter(h => /session/i.test(h.key)).map(h => ({ key: h.key, value: h.value }));
pm.collectionVariables.set('` + VarHTTPSessionHeaders + `', JSON.stringify(sessionHeaders));
if (blocks.length || sessionHeaders.length) { console.log('sending back', blocks.length, 'reference parameter(s) and', sessionHeaders.length, 'HTTP header(s)'); }
`

// sendReferenceParameters is Start's pre-request script: the HTTP headers
// captured from the Initialize reply (the SOAP ones are in the body's
// {{ipamdReferenceParameters}}).
const sendReferenceParameters = `
for (const h of JSON.parse(pm.collectionVariables.get('` + VarHTTPSessionHeaders + `') || '[]')) { pm.request.headers.upsert({ key: h.key, value: h.value }); }
`

func flowItem(f soapui.Flow) (item, error) {
	callbackURL := "{{" + VarCallbackBase + "}}/" + f.Name
	endpointVar := map[string]string{
		soapui.PropProvisionEndpoint: VarProvisionEndpoint, soapui.PropConversionEndpoint: VarConversionEndpoint,
	}[f.EndpointProperty]
	initBody, err := toPostman(f.Initialize, callbackURL)
	if err != nil {
		return item{}, err
	}
	startBody, err := toPostman(f.Start, callbackURL)
	if err != nil {
		return item{}, err
	}
	// Reference parameters from the Initialize reply go back as header blocks.
	if !strings.Contains(startBody, "</s:Header>") {
		return item{}, fmt.Errorf("%s: no </s:Header> to put the reference parameters before", f.Start)
	}
	startBody = strings.Replace(startBody, "</s:Header>", "{{"+VarReferenceParameters+"}}</s:Header>", 1)

	replyAction, err := headerValue(f.InitializeResponse, actionRe)
	if err != nil {
		return item{}, err
	}
	replyTo, err := headerValue(f.InitializeResponse, toRe)
	if err != nil {
		return item{}, err
	}
	var cbActions []string
	for _, file := range []string{f.Started, f.Checkpoint, f.Completed} {
		a, err := headerValue(file, actionRe)
		if err != nil {
			return item{}, err
		}
		cbActions = append(cbActions, a)
	}
	replyElement := replyAction[strings.LastIndexByte(replyAction, '/')+1:]

	initTest := jsHelpers + `
const reply = pm.response.text();
pm.test('Initialize: HTTP 200', () => pm.response.to.have.status(200));
pm.test('Initialize: SOAP 1.2 reply', () => pm.expect(pm.response.headers.get('Content-Type')).to.match(/^application\/soap\+xml/));
pm.test('Initialize: a:Action is the reply action', () => pm.expect(text(reply, 'Action')).to.eql(` + jsString(replyAction) + `));
pm.test('Initialize: a:RelatesTo is the request a:MessageID', () => pm.expect(text(reply, 'RelatesTo')).to.eql('urn:uuid:' + pm.variables.get('` + VarMessageID + `')));
pm.test('Initialize: a:To is anonymous', () => pm.expect(text(reply, 'To')).to.eql(` + jsString(replyTo) + `));
pm.test('Initialize: the body is ` + replyElement + `, no fault', () => { pm.expect(has(reply, ` + jsString(replyElement) + `)).to.be.true; pm.expect(has(reply, 'Fault')).to.be.false; });
` + captureReferenceParameters

	startTest := `
pm.test('Start: HTTP 202 Accepted, no body (one-way)', () => { pm.response.to.have.status(202); pm.expect(pm.response.text()).to.eql(''); });
`
	receiveTest := jsHelpers + `
const got = pm.response.json().callbacks || [];
const actions = got.map(b => text(b, 'Action'));
const want = ` + jsString(cbActions[0]) + `, wantCheckpoint = ` + jsString(cbActions[1]) + `, wantComplete = ` + jsString(cbActions[2]) + `;
pm.test('callbacks: Notify Start, Checkpoint (one or more), Complete in order', () => {
	pm.expect(actions.length, JSON.stringify(actions)).to.be.at.least(3);
	pm.expect(actions[0]).to.eql(want);
	actions.slice(1, -1).forEach(a => pm.expect(a).to.eql(wantCheckpoint));
	pm.expect(actions[actions.length - 1]).to.eql(wantComplete);
});
pm.test('callbacks: each a:To is the session a:ReplyTo', () => got.forEach(b => pm.expect(text(b, 'To')).to.eql(pm.variables.replaceIn('` + callbackURL + `'))));
pm.test('callbacks: one session id, sent as a reference parameter', () => {
	const ids = got.map(b => text(b, 'SessionId'));
	pm.expect(ids[0]).to.be.a('string').and.not.empty;
	ids.forEach(id => pm.expect(id).to.eql(ids[0]));
	got.forEach(b => pm.expect(b).to.match(/SessionId[^>]*IsReferenceParameter="true"/));
});
pm.test('callbacks: Complete reports success (no exception)', () => {
	const complete = got[got.length - 1] || '';
	pm.expect(complete).to.match(/<(?:[\w.-]+:)?exception[^>]*nil="true"/);
	pm.expect(has(complete, 'Fault')).to.be.false;
});
pm.test('callbacks: no SOAP 1.1 envelope', () => got.forEach(b => pm.expect(b).to.include('http://www.w3.org/2003/05/soap-envelope')));
`
	receive := item{
		Name: "Receive callbacks",
		Request: &req{
			Method: "GET",
			Header: []header{},
			URL:    callbackURL + "?wait=Complete",
		},
		Event: []event{{"test", script{"text/javascript", lines(receiveTest)}}},
	}
	return item{
		Name: f.TestCase,
		Description: fmt.Sprintf("%s: Initialize (two-way), Start (one-way, 202), then the Notify callbacks ipamd POSTs to the a:ReplyTo (%s). From %s and %s.",
			f.PortType, callbackURL, f.Initialize, f.Start),
		Item: []item{
			soapPost(strings.TrimSuffix(lastPath(f.Initialize), ".xml"), endpointVar, initBody, newMessageID, initTest),
			soapPost(strings.TrimSuffix(lastPath(f.Start), ".xml"), endpointVar, startBody, newMessageID+sendReferenceParameters, startTest),
			receive,
		},
	}, nil
}

func lastPath(p string) string { return p[strings.LastIndexByte(p, '/')+1:] }

// badInput is one request of the "Bad input" folder: a variation of the
// provisioning Initialize file and the fault ipamd must answer with (the
// table in duplex/soaphttp/doc.go; test/interop/http checks the same
// cases and more in Go).
type badInput struct {
	name        string
	method      string
	contentType string
	pre         string // extra pre-request script
	body        func(init string) (string, error)
	status      int
	subcodes    []string // local names of the fault's subcode values
	ipamDetail  bool     // the detail holds an IpamException
	extra       string   // extra test script lines
}

func replaceOnce(s, old, new string) (string, error) {
	if !strings.Contains(s, old) {
		return "", fmt.Errorf("%q not in the Initialize file", old)
	}
	return strings.Replace(s, old, new, 1), nil
}

var replyToRe = regexp.MustCompile(`(?s)\s*<a:ReplyTo>.*?</a:ReplyTo>`)

var badInputs = []badInput{
	{
		name: "wrong content type", contentType: "application/json",
		status: 415, ipamDetail: true,
	},
	{
		name: "malformed XML",
		body: func(string) (string, error) {
			return `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header><<</s:Header>`, nil
		},
		status: 400, ipamDetail: true,
	},
	{
		name: "unknown action",
		body: func(init string) (string, error) {
			return replaceOnce(init, "/IIpamAsyncProvision/InitializeAsyncProvisioning<", "/IIpamAsyncProvision/NoSuchOperation<")
		},
		status: 400, subcodes: []string{"ActionNotSupported"},
		extra: `pm.test('fault detail names the action (a:ProblemAction)', () => pm.expect(reply).to.match(/ProblemAction[\s\S]*NoSuchOperation/));`,
	},
	{
		name: "missing a:ReplyTo",
		body: func(init string) (string, error) {
			if !replyToRe.MatchString(init) {
				return "", fmt.Errorf("no a:ReplyTo in the Initialize file")
			}
			return replyToRe.ReplaceAllString(init, ""), nil
		},
		status: 400, subcodes: []string{"MessageAddressingHeaderRequired"}, ipamDetail: true,
	},
	{
		name: "a:ReplyTo outside the allowed networks",
		body: func(init string) (string, error) {
			return replaceOnce(init, "{{"+VarCallbackBase+"}}/provision", "http://192.0.2.10:8080/callbacks")
		},
		status: 400, subcodes: []string{"InvalidAddressingHeader", "InvalidAddress"}, ipamDetail: true,
	},
	{
		name:   "unknown path",
		pre:    `pm.request.url = pm.variables.get('` + VarProvisionEndpoint + `').replace(/\/[^\/]*$/, '/NoSuchEndpoint');`,
		status: 404, subcodes: []string{"EndpointUnavailable"}, ipamDetail: true,
	},
	{
		name: "GET without ?wsdl", method: "GET",
		status: 405, ipamDetail: true,
		extra: `pm.test('Allow: POST, GET', () => pm.expect(pm.response.headers.get('Allow')).to.eql('POST, GET'));`,
	},
}

func badInputItem() (item, error) {
	f := soapui.Flows[0]
	init, err := toPostman(f.Initialize, "{{"+VarCallbackBase+"}}/provision")
	if err != nil {
		return item{}, err
	}
	folder := item{
		Name: "Bad input",
		Description: "Each request is wrong in one way; ipamd answers a SOAP 1.2 fault with the status of " +
			"duplex/soaphttp/doc.go's table, and (for the faults the transport answers itself) an IpamException detail.",
	}
	for _, b := range badInputs {
		raw := init
		if b.body != nil {
			if raw, err = b.body(init); err != nil {
				return item{}, fmt.Errorf("bad input %q: %w", b.name, err)
			}
		}
		ct := soap12ContentType
		if b.contentType != "" {
			ct = b.contentType
		}
		var subcodes []string
		for _, s := range b.subcodes {
			subcodes = append(subcodes, jsString(s))
		}
		test := jsHelpers + `
const reply = pm.response.text();
const values = [...reply.matchAll(/<(?:[\w.-]+:)?Value(?:\s[^>]*)?>([^<]*)<\/(?:[\w.-]+:)?Value>/g)].map(m => m[1].trim().replace(/^[\w.-]+:/, ''));
pm.test('HTTP ` + fmt.Sprint(b.status) + `', () => pm.response.to.have.status(` + fmt.Sprint(b.status) + `));
pm.test('a SOAP 1.2 fault', () => { pm.expect(pm.response.headers.get('Content-Type')).to.match(/^application\/soap\+xml/); pm.expect(reply).to.include('http://www.w3.org/2003/05/soap-envelope'); pm.expect(has(reply, 'Fault')).to.be.true; });
pm.test('fault code Sender` + strings.Join(append([]string{""}, b.subcodes...), ", ") + `', () => pm.expect(values).to.eql(['Sender'` + strings.Join(append([]string{""}, subcodes...), ", ") + `]));
`
		if b.ipamDetail {
			test += `pm.test('the detail is an IpamException', () => pm.expect(has(reply, 'IpamException')).to.be.true);
`
		}
		test += b.extra + "\n"
		method := "POST"
		if b.method != "" {
			method = b.method
		}
		it := item{Name: b.name, Request: &req{Method: method, Header: []header{{"Content-Type", ct}}, URL: "{{" + VarProvisionEndpoint + "}}"}}
		if method == "POST" {
			it.Request.Body = &body{Mode: "raw", Raw: raw}
		} else {
			it.Request.Header = []header{}
		}
		pre := newMessageID + b.pre
		it.Event = []event{{"prerequest", script{"text/javascript", lines(pre)}}, {"test", script{"text/javascript", lines(test)}}}
		folder.Item = append(folder.Item, it)
	}
	wsdlTest := `
const wsdl = pm.response.text();
pm.test('?wsdl: HTTP 200, XML', () => { pm.response.to.have.status(200); pm.expect(pm.response.headers.get('Content-Type')).to.match(/xml/); });
pm.test('?wsdl: both port types and their callback contracts', () => ['IIpamAsyncProvision', 'IIpamAsyncSchemaConversion'].forEach(p => pm.expect(wsdl).to.match(new RegExp('portType[^>]*name="' + p + '"'))));
pm.test('?wsdl: the endpoint address is the URL asked', () => pm.expect(wsdl).to.include('location="' + pm.variables.get('` + VarProvisionEndpoint + `') + '"'));
`
	folder.Item = append(folder.Item, item{
		Name:    "WSDL",
		Request: &req{Method: "GET", Header: []header{}, URL: "{{" + VarProvisionEndpoint + "}}?wsdl"},
		Event:   []event{{"test", script{"text/javascript", lines(wsdlTest)}}},
	})
	return folder, nil
}
