package config

import (
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// HTTP configures the SOAP/HTTP listeners beyond their limits.
type HTTP struct {
	// AllowedHosts are names, besides the address a connection reached
	// (and loopback names on a loopback listener), that a request's Host
	// and Origin may carry.
	AllowedHosts []string
}

// Local identity of callers on listeners without transport security.
const (
	// LocalIdentityOS: a loopback caller is the operating-system account
	// that owns its socket; only administrators of the host, the daemon's
	// own account and security.local_administrators are IPAM
	// administrators.
	LocalIdentityOS = "os"
	// LocalIdentityTrust: every caller of a listener without security is
	// an administrator (containers where socket owners cannot be read).
	LocalIdentityTrust = "trust"
)

// checkAllowedHost accepts a DNS name or an IP literal ([v6] or bare),
// without a port: a Host header's port is the listener's, not a name's.
func checkAllowedHost(s string) error {
	h := strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	if _, err := netip.ParseAddr(h); err == nil {
		return nil
	}
	if h == "" || !validHostname(h) {
		return errors.New("must be a host name or IP address without a port")
	}
	return nil
}

// checkLocalAdministrator accepts a group name, uid:N, gid:N or a SID
// (Windows).
func checkLocalAdministrator(s string) error {
	if kind, n, ok := strings.Cut(s, ":"); ok && (kind == "uid" || kind == "gid") {
		if _, err := strconv.ParseUint(n, 10, 32); err != nil {
			return errors.New(kind + ": must be followed by a number")
		}
		return nil
	}
	if strings.HasPrefix(s, "S-") {
		if !sidRe.MatchString(s) {
			return errors.New("not a valid SID (S-1-<authority>-<sub>…)")
		}
		return nil
	}
	if s == "" || strings.TrimSpace(s) != s || strings.ContainsAny(s, ":/\\\x00") {
		return errors.New("must be a group name, uid:N, gid:N or a SID")
	}
	return nil
}

func init() {
	crossChecks = append(crossChecks, checkAdminRemote)
}

// checkAdminRemote keeps the admin listener on loopback unless
// admin.allow_remote says otherwise: it has no authentication but the
// /log/level token.
func checkAdminRemote(c *Config) []*Error {
	if c.Admin.Listen == "" || c.Admin.AllowRemote {
		return nil
	}
	host, _, err := net.SplitHostPort(c.Admin.Listen)
	if err != nil {
		return nil // reported by admin.listen itself
	}
	if AdminLoopback(host) {
		return nil
	}
	return []*Error{{Key: "admin.listen", Value: quoteRaw(c.Admin.Listen), Source: c.origin["admin.listen"],
		Err: errors.New("the admin listener must bind a loopback address (127.0.0.1, [::1], localhost); set admin.allow_remote to serve it on another address")}}
}

// AdminLoopback reports whether an admin.listen host binds loopback only.
func AdminLoopback(host string) bool {
	return ListenURI{Host: host}.Loopback()
}
