package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// Transports a listen URI can name.
const (
	TransportNetTCP = "net.tcp"
	TransportHTTP   = "http"
)

// ListenURI is a parsed listen setting.
type ListenURI struct {
	Transport string // TransportNetTCP or TransportHTTP
	Host      string // host name or IP, without IPv6 brackets
	Port      int    // 0 = let the OS choose
	// Security is the ?security= query of a net.tcp URI (SecurityNone,
	// SecurityTLS, SecurityNegotiate), "" when absent: Config.ListenerSecurity then applies
	// security.mode.
	Security string
}

// Loopback reports whether the listener binds a loopback address only: an
// IP literal in 127.0.0.0/8 or ::1, or the name "localhost" (which
// resolves to loopback by RFC 6761). Other names count as non-loopback:
// what they resolve to can change after the check.
func (l ListenURI) Loopback() bool {
	if strings.EqualFold(strings.TrimSuffix(l.Host, "."), "localhost") {
		return true
	}
	a, err := netip.ParseAddr(l.Host)
	return err == nil && a.IsLoopback()
}

// ListenerSecurity is the effective transport security of a listener:
// http:// listeners have none; a net.tcp URI's ?security= query overrides
// security.mode.
func (c *Config) ListenerSecurity(l ListenURI) string {
	switch {
	case l.Transport == TransportHTTP:
		return SecurityNone
	case l.Security != "":
		return l.Security
	}
	return c.Security.Mode
}

// Addr returns HOST:PORT for net.Listen.
func (l ListenURI) Addr() string { return net.JoinHostPort(l.Host, strconv.Itoa(l.Port)) }

// Endpoint returns the endpoint URI for path on this listener, with
// hostport (e.g. the bound address) in place of the configured one when
// it is not empty.
func (l ListenURI) Endpoint(hostport, path string) string {
	if hostport == "" {
		hostport = l.Addr()
	}
	return l.Transport + "://" + hostport + path
}

func (l ListenURI) String() string { return l.Endpoint("", "") }

// ParseListenURI parses a listen URI: scheme net.tcp or http, a host and a
// port, no path (a lone "/" is tolerated), fragment or user info. The only
// query is security=none|tls|negotiate on net.tcp URIs: per-listener settings ride
// on the URI so that the listen list stays one flat list in YAML, env and
// flags.
func ParseListenURI(s string) (ListenURI, error) {
	if !strings.Contains(s, "://") {
		return ListenURI{}, errors.New("missing scheme: must be of the form net.tcp://HOST:PORT")
	}
	u, err := url.Parse(s)
	if err != nil {
		return ListenURI{}, fmt.Errorf("not a URI: %v", errors.Unwrap(err))
	}
	var l ListenURI
	switch u.Scheme {
	case TransportNetTCP, TransportHTTP:
		l.Transport = u.Scheme
	case "":
		return l, errors.New("missing scheme: write net.tcp://HOST:PORT or http://HOST:PORT")
	default:
		return l, fmt.Errorf("unsupported scheme %q: must be net.tcp or http", u.Scheme)
	}
	if u.Opaque != "" {
		return l, fmt.Errorf("must be of the form %s://HOST:PORT", l.Transport)
	}
	if u.User != nil {
		return l, errors.New("must not contain user info")
	}
	if u.Fragment != "" || u.RawFragment != "" {
		return l, errors.New("must not have a fragment")
	}
	if err := l.parseQuery(u); err != nil {
		return l, err
	}
	if u.Path != "" && u.Path != "/" {
		return l, errors.New("must not have a path (endpoint paths are set by endpoints.*)")
	}
	l.Host = u.Hostname()
	if l.Host == "" {
		return l, errors.New("missing host (use 0.0.0.0 or [::] for all interfaces)")
	}
	if strings.Contains(l.Host, ":") {
		if _, err := netip.ParseAddr(l.Host); err != nil || !strings.HasPrefix(u.Host, "[") {
			return l, errors.New("invalid host: an IPv6 address must be in brackets, e.g. net.tcp://[::1]:48885")
		}
	} else if !validHostname(l.Host) {
		return l, fmt.Errorf("invalid host %q", l.Host)
	}
	port := u.Port()
	if port == "" {
		return l, errors.New("missing port (e.g. :48885)")
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return l, errors.New("port must be between 1 and 65535 (or 0 for an OS-chosen port)")
	}
	l.Port = n
	return l, nil
}

// parseQuery reads the per-listener settings of the URI query.
func (l *ListenURI) parseQuery(u *url.URL) error {
	if u.RawQuery == "" {
		if u.ForceQuery {
			return errors.New("empty query")
		}
		return nil
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return fmt.Errorf("invalid query: %v", err)
	}
	for k, v := range q {
		if k != "security" {
			return fmt.Errorf("unknown query parameter %q (only security=none|tls|negotiate)", k)
		}
		if len(v) != 1 {
			return errors.New("security given more than once")
		}
		switch v[0] {
		case SecurityNone, SecurityTLS, SecurityNegotiate:
		default:
			return fmt.Errorf("security=%q: must be none, tls or negotiate", v[0])
		}
		if l.Transport != TransportNetTCP && v[0] != SecurityNone {
			return fmt.Errorf("security=%s applies to net.tcp listeners only", v[0])
		}
		l.Security = v[0]
	}
	return nil
}

// ListenURIs parses every Listen entry.
func (c *Config) ListenURIs() ([]ListenURI, error) {
	out := make([]ListenURI, 0, len(c.Listen))
	for i, s := range c.Listen {
		l, err := ParseListenURI(s)
		if err != nil {
			return nil, &Error{Key: fmt.Sprintf("listen[%d]", i), Value: quoteRaw(s), Err: err}
		}
		out = append(out, l)
	}
	return out, nil
}

// validHostname accepts DNS names and IPv4 literals (letters, digits, '-',
// '_' and '.'; labels 1..63 bytes).
func validHostname(h string) bool {
	if len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}
