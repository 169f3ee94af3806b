// Package httpinterop_test drives a real ipamd (built from ./cmd/ipamd and
// run as a child process) over its SOAP-over-HTTP endpoint with the SoapUI
// project's message files (test/soapui): the requests are sent as SoapUI
// would send them, and the replies and the Notify… callbacks ipamd POSTs to
// a Go listener are compared with the expected files, for both port types,
// in SOAP 1.2 and SOAP 1.1. It also covers the transport's answers to bad
// input and the fate of a session whose callback URL is dead.
package httpinterop_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"go.uber.org/goleak"

	daemon "github.com/ipamd/ipamd/internal/daemontest"
	"github.com/ipamd/ipamd/test/soapui"
)

func TestMain(m *testing.M) {
	// goleak's Cleanup replaces its os.Exit: remove the ipamd build, then exit.
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		daemon.Cleanup()
		os.Exit(code)
	}))
}

const (
	requestTimeout  = 30 * time.Second // one HTTP request to ipamd
	callbackTimeout = 30 * time.Second // Start → Notify…Complete
)

// soapVersion is how a SOAP version travels over HTTP.
type soapVersion struct {
	name      string
	mediaType string
	convert   func([]byte) []byte // the shared SOAP 1.2 files → this version
	setAction func(http.Header, string)
	// actionOf returns the action the HTTP headers of a callback carry.
	actionOf func(http.Header) (string, error)
}

var (
	soap12 = soapVersion{
		name:      "soap12",
		mediaType: "application/soap+xml",
		convert:   func(b []byte) []byte { return b },
		setAction: func(h http.Header, action string) {
			h.Set("Content-Type", `application/soap+xml; charset=utf-8; action="`+action+`"`)
		},
		actionOf: func(h http.Header) (string, error) {
			_, params, err := mime.ParseMediaType(h.Get("Content-Type"))
			if err != nil {
				return "", err
			}
			return params["action"], nil
		},
	}
	soap11 = soapVersion{
		name:      "soap11",
		mediaType: "text/xml",
		convert:   soapui.ToSOAP11,
		setAction: func(h http.Header, action string) {
			h.Set("Content-Type", "text/xml; charset=utf-8")
			h.Set("SOAPAction", `"`+action+`"`)
		},
		actionOf: func(h http.Header) (string, error) {
			v := h.Get("SOAPAction")
			if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
				return "", fmt.Errorf("SOAPAction %q is not a quoted string", v)
			}
			return v[1 : len(v)-1], nil
		},
	}
)

// newClient is an HTTP client without keep-alive, so no idle connection
// outlives the test (goleak).
func newClient(t *testing.T) *http.Client {
	tr := &http.Transport{DisableKeepAlives: true, Proxy: nil}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: requestTimeout}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends one request and reads the whole answer.
func do(t *testing.T, hc *http.Client, method, url string, header http.Header, body []byte) response {
	t.Helper()
	return doReader(t, hc, method, url, header, bytes.NewReader(body))
}

// doReader is do with the body as a reader (a *bytes.Reader sets the
// Content-Length, others are sent chunked).
func doReader(t *testing.T, hc *http.Client, method, url string, header http.Header, body io.Reader) response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if h := header.Get("Host"); h != "" {
		req.Host = h // net/http sends req.Host, not a Host header
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", method, url, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// post sends a SOAP message with its action in the version's HTTP headers.
func post(t *testing.T, hc *http.Client, url string, v soapVersion, msg []byte) response {
	t.Helper()
	action := headerOf(t, msg, soapui.NSAddressing, "Action")
	h := http.Header{}
	v.setAction(h, action)
	return do(t, hc, http.MethodPost, url, h, msg)
}

// message reads a message file, expands it with props and converts it to v.
func message(t *testing.T, name string, props map[string]string, v soapVersion) []byte {
	t.Helper()
	tmpl, err := soapui.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := soapui.Expand(tmpl, props)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v.convert(msg)
}

// headerOf returns a header block's text; the test fails when it is absent.
func headerOf(t *testing.T, msg []byte, space, local string) string {
	t.Helper()
	env, err := soapui.ParseEnvelope(msg)
	if err != nil {
		t.Fatalf("parsing a message: %v\n%s", err, msg)
	}
	v, ok := soapui.HeaderText(env, space, local)
	if !ok {
		t.Fatalf("the message has no {%s}%s header\n%s", space, local, msg)
	}
	return v
}

// sessionOf stores the session id a reply carries in props (for the Start
// request's ${#Project#SessionId}) and returns it.
func sessionOf(t *testing.T, reply []byte, props map[string]string) string {
	t.Helper()
	id := headerOf(t, reply, soapui.NSSession, "SessionId")
	props[soapui.PropSessionID] = id
	return id
}

// inSession adds the session id header block to a request that has none
// (the Initialize files): a second Initialize in the same session.
func inSession(msg []byte, id string) []byte {
	block := `<ss:SessionId xmlns:ss="` + soapui.NSSession + `" xmlns:a="` + soapui.NSAddressing + `" a:IsReferenceParameter="true">` + id + `</ss:SessionId>`
	return bytes.Replace(msg, []byte("</s:Header>"), []byte(block+"</s:Header>"), 1)
}

// callback is one POST ipamd made to a sink.
type callback struct {
	path   string
	header http.Header
	body   []byte
}

// kind is "Start", "Checkpoint" or "Complete" for a Notify… callback, else
// the body element's name.
func (c callback) kind() string {
	env, err := soapui.ParseEnvelope(c.body)
	if err != nil {
		return "(unparsable)"
	}
	b := soapui.BodyElement(env)
	if b == nil {
		return "(no body element)"
	}
	for _, k := range []string{"Start", "Checkpoint", "Complete"} {
		if strings.HasPrefix(b.Tag, "Notify") && strings.HasSuffix(b.Tag, k) {
			return k
		}
	}
	return b.Tag
}

// sink is a client's callback listener: it records every POST and answers
// 202 Accepted.
type sink struct {
	srv *httptest.Server
	ch  chan callback
}

func newSink(t *testing.T) *sink { return newSinkOn(t, nil) }

// newSinkOn serves the sink on ln (nil: a new loopback listener).
func newSinkOn(t *testing.T, ln net.Listener) *sink {
	s := &sink{ch: make(chan callback, 256)}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		select {
		case s.ch <- callback{path: r.URL.Path, header: r.Header.Clone(), body: body}:
		default:
			t.Errorf("callback sink overflow: more than %d callbacks", cap(s.ch))
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	if ln != nil {
		s.srv.Listener.Close()
		s.srv.Listener = ln
	}
	s.srv.Start()
	t.Cleanup(s.srv.Close)
	return s
}

// url is the callback URL (a:ReplyTo) for path under this sink.
func (s *sink) url(path string) string { return s.srv.URL + path }

// awaitComplete collects callbacks until a Notify…Complete arrives.
func (s *sink) awaitComplete(t *testing.T, timeout time.Duration) []callback {
	t.Helper()
	var got []callback
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		select {
		case c := <-s.ch:
			got = append(got, c)
			if c.kind() == "Complete" {
				return got
			}
		case <-timer.C:
			kinds := make([]string, len(got))
			for i, c := range got {
				kinds[i] = c.kind()
			}
			t.Fatalf("no Notify…Complete within %v; received %v", timeout, kinds)
			return nil
		}
	}
}

// fault is a SOAP fault's parts, version-neutral.
type fault struct {
	version string   // soapui.NSSoap12 or soapui.NSSoap11
	codes   []string // resolved QNames "{ns}local": 1.2 Value then Subcode Values; 1.1 faultcode
	reason  string
	detail  *etree.Element // s:Detail / detail, nil if absent
	header  *etree.Element // s:Header, nil if absent
}

// parseFault parses an answer that must be a SOAP fault.
func parseFault(body []byte) (*fault, error) {
	env, err := soapui.ParseEnvelope(body)
	if err != nil {
		return nil, err
	}
	f := &fault{version: env.NamespaceURI()}
	if env.Tag != "Envelope" || (f.version != soapui.NSSoap12 && f.version != soapui.NSSoap11) {
		return nil, fmt.Errorf("root {%s}%s is not a SOAP envelope", f.version, env.Tag)
	}
	var fe *etree.Element
	for _, c := range env.ChildElements() {
		switch c.Tag {
		case "Header":
			f.header = c
		case "Body":
			if b := c.ChildElements(); len(b) == 1 && b[0].Tag == "Fault" && b[0].NamespaceURI() == f.version {
				fe = b[0]
			}
		}
	}
	if fe == nil {
		return nil, fmt.Errorf("the body is not one s:Fault")
	}
	if f.version == soapui.NSSoap12 {
		for code := fe.SelectElement("Code"); code != nil; code = code.SelectElement("Subcode") {
			if v := code.SelectElement("Value"); v != nil {
				f.codes = append(f.codes, resolveQName(v, strings.TrimSpace(v.Text())))
			}
		}
		if r := fe.FindElement("Reason/Text"); r != nil {
			f.reason = r.Text()
		}
		f.detail = fe.SelectElement("Detail")
	} else {
		if c := fe.SelectElement("faultcode"); c != nil {
			f.codes = []string{resolveQName(c, strings.TrimSpace(c.Text()))}
		}
		if r := fe.SelectElement("faultstring"); r != nil {
			f.reason = r.Text()
		}
		f.detail = fe.SelectElement("detail")
	}
	if len(f.codes) == 0 {
		return nil, fmt.Errorf("the fault has no code")
	}
	return f, nil
}

// resolveQName turns a "p:local" text of e into "{ns}local".
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
	return "{?" + prefix + "}" + local
}

// detailElement returns the child of the fault detail with that name.
func (f *fault) detailElement(space, local string) *etree.Element {
	if f.detail == nil {
		return nil
	}
	for _, c := range f.detail.ChildElements() {
		if c.NamespaceURI() == space && c.Tag == local {
			return c
		}
	}
	return nil
}
