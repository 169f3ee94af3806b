package server

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os/user"
	"strings"

	"github.com/ipamd/ipamd/config"
	"github.com/ipamd/ipamd/duplex/security"
	"github.com/ipamd/ipamd/services"
)

// localPolicy is security.local_identity and security.local_administrators
// as the authorizer needs them: nil for trust (every caller of a listener
// without security is an administrator), else the daemon's own account and
// the configured accounts and groups, group names resolved to gids (SIDs on
// Windows). A group name that does not resolve is an error. New resolves
// it once; its settings need a restart, so a reload keeps that policy.
func localPolicy(cfg *config.Config) (*services.LocalPolicy, error) {
	if cfg.Security.LocalIdentity == config.LocalIdentityTrust {
		return nil, nil
	}
	p := &services.LocalPolicy{}
	if u, err := user.Current(); err == nil {
		p.Service = u.Uid
	}
	for _, e := range cfg.Security.LocalAdministrators {
		switch kind, n, _ := strings.Cut(e, ":"); {
		case kind == "uid" && n != "":
			p.Users = append(p.Users, n)
		case kind == "gid" && n != "":
			p.Groups = append(p.Groups, n)
		case strings.HasPrefix(e, "S-1-"):
			p.Users = append(p.Users, e)
			p.Groups = append(p.Groups, e)
		default:
			g, err := user.LookupGroup(e)
			if err != nil {
				return nil, fmt.Errorf("security.local_administrators: group %q: %w", e, err)
			}
			p.Groups = append(p.Groups, g.Gid)
		}
	}
	return p, nil
}

// peerLookup is how callers of listeners without security are identified:
// nil for security.local_identity trust.
func peerLookup(cfg *config.Config) security.PeerLookup {
	if cfg.Security.LocalIdentity == config.LocalIdentityTrust {
		return nil
	}
	return security.LookupPeer
}

// identifyConn names the caller of a net.tcp connection without an upgrade;
// the account is looked up when an operation first needs it (the
// connection is open then: the request came over it).
func identifyConn(lookup security.PeerLookup) func(net.Conn) *security.Identity {
	return func(c net.Conn) *security.Identity {
		return security.NewLocalIdentity(addrPort(c.RemoteAddr()), addrPort(c.LocalAddr()), lookup)
	}
}

// identifyRequest names the caller of an HTTP request that starts a
// session, looking the account up now, while the request's connection is
// surely open (the session's later requests may come over others).
func identifyRequest(lookup security.PeerLookup) func(*http.Request) *security.Identity {
	return func(r *http.Request) *security.Identity {
		client, _ := netip.ParseAddrPort(r.RemoteAddr)
		var server netip.AddrPort
		if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
			server = addrPort(a)
		}
		id := security.NewLocalIdentity(client, server, lookup)
		_, _ = id.LocalAccount()
		return id
	}
}

func addrPort(a net.Addr) netip.AddrPort {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.AddrPort()
	}
	ap, _ := netip.ParseAddrPort(a.String())
	return ap
}
