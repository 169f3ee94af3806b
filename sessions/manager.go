package sessions

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"

	"go.uber.org/zap"

	"github.com/ipamd/ipamd/duplex/nmf"
	"github.com/ipamd/ipamd/duplex/soaphttp"
	"github.com/ipamd/ipamd/soap"
)

// Endpoint serves one port type at one path under every listen URI.
type Endpoint struct {
	Path    string
	Binding *Binding
}

// Manager owns the sessions of all endpoints: it routes a framing session to
// its port type by the Via in the preamble and counts what runs.
type Manager struct {
	opts      Options
	endpoints map[string]*portHandler // by lower-cased path
	active    atomic.Int64
}

// NewManager returns a Manager serving the endpoints.
func NewManager(opts Options, endpoints ...Endpoint) (*Manager, error) {
	m := &Manager{opts: opts.withDefaults(), endpoints: map[string]*portHandler{}}
	for _, ep := range endpoints {
		key := normPath(ep.Path)
		if _, dup := m.endpoints[key]; dup {
			return nil, fmt.Errorf("sessions: two endpoints at path %q", ep.Path)
		}
		h := &portHandler{m: m, binding: ep.Binding}
		h.http = &httpPortHandler{h}
		m.endpoints[key] = h
	}
	return m, nil
}

// Active is the number of running sessions.
func (m *Manager) Active() int64 { return m.active.Load() }

func normPath(p string) string {
	p = strings.ToLower(p)
	if len(p) > 1 {
		p = strings.TrimRight(p, "/")
	}
	return p
}

// Route implements nmf.Router: the Via's path selects the port type (the host
// part is not compared: clients may reach the server under any name), and
// the endpoint takes the binary session, binary and SOAP 1.2 text encodings.
func (m *Manager) Route(p *nmf.Preamble) (nmf.SessionHandler, error) {
	u, err := url.Parse(p.Via)
	if err != nil {
		return nil, &nmf.FaultError{URI: nmf.FaultEndpointNotFound, Err: fmt.Errorf("via %q: %w", p.Via, err)}
	}
	h := m.endpoints[normPath(u.Path)]
	if h == nil {
		return nil, &nmf.FaultError{URI: nmf.FaultEndpointNotFound, Err: fmt.Errorf("no endpoint at %q", u.Path)}
	}
	if _, ok := soapEncoding(p.Encoding); !ok {
		return nil, &nmf.FaultError{URI: nmf.FaultContentTypeInvalid,
			Err: fmt.Errorf("encoding 0x%02x (%q) is not supported", byte(p.Encoding), p.ContentType)}
	}
	return h, nil
}

func soapEncoding(e nmf.Encoding) (soap.Encoding, bool) {
	switch e {
	case nmf.EncodingBinarySession:
		return soap.EncodingBinarySession, true
	case nmf.EncodingBinary:
		return soap.EncodingBinary, true
	case nmf.EncodingSOAP12UTF8:
		return soap.EncodingText, true
	}
	return 0, false
}

type portHandler struct {
	m       *Manager
	binding *Binding
	http    *httpPortHandler
}

// RouteHTTP implements soaphttp.Router: the request path selects the port
// type, as the Via does on net.tcp.
func (m *Manager) RouteHTTP(path string) (soaphttp.SessionHandler, bool) {
	h := m.endpoints[normPath(path)]
	if h == nil {
		return nil, false
	}
	return h.http, true
}

// httpPortHandler serves a port type's HTTP sessions.
type httpPortHandler struct{ *portHandler }

// ServeSession implements soaphttp.SessionHandler.
func (h *httpPortHandler) ServeSession(ctx context.Context, hs *soaphttp.Session) error {
	opts := h.m.opts
	opts.Logger = opts.Logger.With(zap.String("reply_to", hs.ReplyTo()), zap.String("http_session_id", hs.ID()))
	s := newSession(ctx, h.binding, hs, hs.Encoding(), opts, nil)
	h.m.active.Add(1)
	defer h.m.active.Add(-1)
	return s.Serve()
}

// ServeSession implements nmf.SessionHandler.
func (h *portHandler) ServeSession(ctx context.Context, ns *nmf.Session) error {
	enc, _ := soapEncoding(ns.Preamble().Encoding)
	opts := h.m.opts
	opts.Logger = opts.Logger.With(zap.String("via", ns.Preamble().Via))
	s := newSession(ctx, h.binding, ns, enc, opts, ns.Preamble().Identity)
	h.m.active.Add(1)
	defer h.m.active.Add(-1)
	// errClose (a fatal fault was answered) goes up as an error too, so the
	// framing layer closes the connection instead of offering it for reuse.
	return s.Serve()
}
