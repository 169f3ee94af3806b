// Package hostcheck keeps a local HTTP listener from being driven by web
// pages through DNS rebinding: a page whose name re-resolves to 127.0.0.1
// makes the browser send its requests to the listener, same-origin, with
// the page's name as Host. A Policy accepts only a Host that names the
// listener — the address the connection reached, a loopback name when that
// is loopback, or a configured name — and, when the request carries an
// Origin (every cross-origin browser POST does), only that same server on
// the port the request went to. Non-browser clients send their target as
// Host and no Origin, so they are unaffected.
package hostcheck

import (
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/ipamd/ipamd/soap/xmlstream"
)

// maxHostLen bounds the Host and Origin values looked at; longer ones are
// refused without being parsed.
const maxHostLen = 512

// Policy decides which Host and Origin values name the listener.
type Policy struct {
	allowed map[string]struct{} // lower case, no trailing dot, no brackets
}

// New returns the policy accepting names (host names or IP literals, no
// port) besides the listener's own address.
func New(names []string) Policy {
	p := Policy{allowed: make(map[string]struct{}, len(names))}
	for _, n := range names {
		p.allowed[normHost(n)] = struct{}{}
	}
	return p
}

// normHost lower-cases a host name and drops IPv6 brackets and a trailing
// dot ("LocalHost." → "localhost").
func normHost(h string) string {
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	return strings.TrimSuffix(strings.ToLower(h), ".")
}

// splitHost splits "host[:port]" (the Host header's form); port is "" when
// absent.
func splitHost(hostport string) (host, port string) {
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		return h, p
	}
	return hostport, ""
}

// namesListener reports whether host (without port) names the listener
// whose connection arrived at local (nil when unknown).
func (p Policy) namesListener(host string, local netip.Addr) bool {
	h := normHost(host)
	if h == "" {
		return false
	}
	if _, ok := p.allowed[h]; ok {
		return true
	}
	if ip, err := netip.ParseAddr(h); err == nil && ip.Zone() == "" {
		ip = ip.Unmap()
		if local.IsValid() && ip == local {
			return true
		}
		return ip.IsLoopback() && local.IsValid() && local.IsLoopback()
	}
	return h == "localhost" && local.IsValid() && local.IsLoopback()
}

// Check returns "" when r may be served, else the reason it may not (for
// the answer: it names the header and quotes at most 80 bytes of it). The
// listener's address is the request's http.LocalAddrContextKey; without
// one only the configured names are accepted.
func (p Policy) Check(r *http.Request, setting string) string {
	local := localAddr(r)
	if len(r.Host) > maxHostLen {
		return "The Host header is too long."
	}
	host, reqPort := splitHost(r.Host)
	if !p.namesListener(host, local) {
		return "The Host header " + quoteBounded(r.Host) + " does not name this server: requests must address it by its own address, a loopback name when it listens on loopback, or a name in " + setting + " (a protection against DNS rebinding)."
	}
	origins := r.Header.Values("Origin")
	if len(origins) == 0 {
		return ""
	}
	if len(origins) > 1 {
		return "The request carries more than one Origin header."
	}
	o := origins[0]
	if len(o) > maxHostLen {
		return "The Origin header is too long."
	}
	if p.sameOrigin(o, reqPort, local) {
		return ""
	}
	return "The request comes from the web origin " + quoteBounded(o) + ", which is not this server: cross-origin requests are refused (a protection against DNS rebinding and cross-site requests)."
}

// sameOrigin reports whether origin (scheme://host[:port]) names the
// listener on the port the request was sent to (reqPort, "" = the
// scheme's default).
func (p Policy) sameOrigin(origin, reqPort string, local netip.Addr) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return false // "null" and other opaque origins land here
	}
	def := ""
	switch strings.ToLower(u.Scheme) {
	case "http":
		def = "80"
	case "https":
		def = "443"
	default:
		return false
	}
	oport := u.Port()
	if oport == "" {
		oport = def
	}
	if reqPort == "" {
		reqPort = def
	}
	return oport == reqPort && p.namesListener(u.Hostname(), local)
}

// localAddr is the address the request's connection was accepted on
// (invalid when the request did not come through a listener).
func localAddr(r *http.Request) netip.Addr {
	a, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if a == nil {
		return netip.Addr{}
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap().WithZone("")
}

// quoteBounded quotes s for a fault reason, cut to 80 bytes as every echo
// of client text is (xmlstream.Truncate: at a character boundary, invalid
// UTF-8 replaced, the cut marked), control characters and quotes replaced.
func quoteBounded(s string) string {
	return "\"" + strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' {
			return '?'
		}
		return r
	}, xmlstream.Truncate(s, 80)) + "\""
}
