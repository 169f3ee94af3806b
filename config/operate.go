package config

import (
	"errors"
	"net"
	"strconv"
	"time"
)

// Admin configures the admin HTTP listener: metrics, health, readiness, the
// log level and (opt-in) the profiler. It is a separate listener so that
// scraping and probing never compete with SOAP clients for connections and
// can be firewalled on their own.
type Admin struct {
	// Listen is HOST:PORT; "" disables the admin listener.
	Listen string
	// Pprof serves net/http/pprof under /debug/pprof/.
	Pprof bool
	// AllowRemote allows a non-loopback Listen (warned at every start).
	AllowRemote bool
	// AllowedHosts are names, besides the bound address and loopback
	// names, that a request's Host may carry.
	AllowedHosts []string
	// TokenFile holds the bearer token that PUT /log/level needs to go
	// above warn; "" = no token, so never above warn.
	TokenFile string
	// MaxConnections and MaxConnectionsPerAddress cap the listener's open
	// connections, in total and per client address.
	MaxConnections           int
	MaxConnectionsPerAddress int
}

// Shutdown configures the graceful stop (SIGTERM, service stop).
type Shutdown struct {
	// DrainTimeout bounds how long running provisioning and conversion may
	// go on after the stop was asked for, before they are cancelled.
	DrainTimeout time.Duration
}

// checkAdminListen accepts "" or HOST:PORT with a numeric port; an empty
// host (":9485") means every interface, which is allowed but not the
// default.
func checkAdminListen(s string) error {
	if s == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return errors.New(`must be HOST:PORT such as 127.0.0.1:9485 or [::1]:9485, or "" to disable`)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return errors.New("port must be between 1 and 65535 (or 0 for an OS-chosen port)")
	}
	if host != "" && net.ParseIP(host) == nil && !validHostname(host) {
		return errors.New("invalid host " + strconv.Quote(host))
	}
	return nil
}

func init() {
	crossChecks = append(crossChecks, func(c *Config) []*Error {
		if e := checkAdminApart(c); e != nil {
			return []*Error{e}
		}
		return nil
	})
}

// checkAdminApart refuses an admin listener on the address of a SOAP
// listener: one of the two would fail to bind at start-up, and the message
// is clearer here.
func checkAdminApart(c *Config) *Error {
	if c.Admin.Listen == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(c.Admin.Listen)
	if err != nil || port == "0" {
		return nil
	}
	for i, s := range c.Listen {
		l, err := ParseListenURI(s)
		if err != nil || strconv.Itoa(l.Port) != port {
			continue
		}
		if l.Host == host || host == "" || isUnspecified(host) || isUnspecified(l.Host) {
			return &Error{Key: "admin.listen", Value: quoteRaw(c.Admin.Listen),
				Err: errors.New("overlaps listen[" + strconv.Itoa(i) + "] " + s + ": use another port")}
		}
	}
	return nil
}

func isUnspecified(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsUnspecified()
}

// Set parses v, written as in an environment variable (lists
// comma-separated), into the setting's field of c. It does not validate.
func (s Setting) Set(c *Config, v string) error { return s.parse(c, splitValue(&s, v)) }
