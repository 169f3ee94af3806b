package hostcheck

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

// FuzzCheck: whatever Host and Origin a request carries, an accepted one
// names the listener — a configured name, the address the connection
// reached, or (on a loopback listener) a loopback address or localhost —
// and its Origin, if any, is such a host on the request's port.
func FuzzCheck(f *testing.F) {
	f.Add("127.0.0.1:8080", "", true)
	f.Add("ipam.example", "https://ipam.example", false)
	f.Add("evil.example:8080", "http://evil.example:8080", true)
	f.Add("[::1]:8080", "null", true)
	f.Add("LOCALHOST.:8080", "http://localhost:8080", true)
	f.Add("127.0.0.1.nip.io", "", true)
	p := New([]string{"ipam.example"})
	f.Fuzz(func(t *testing.T, host, origin string, loopback bool) {
		local := netip.MustParseAddr("192.0.2.10")
		if loopback {
			local = netip.MustParseAddr("127.0.0.1")
		}
		r := httptest.NewRequest(http.MethodPost, "/ep", nil)
		r.Host = host
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		r = r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, &net.TCPAddr{IP: local.AsSlice(), Port: 8080}))
		why := p.Check(r, "x")
		if why != "" {
			if len(why) > 600 {
				t.Fatalf("reason of %d bytes", len(why))
			}
			return
		}
		h, port := splitHost(host)
		if !names(h, local) {
			t.Fatalf("accepted Host %q on %s", host, local)
		}
		if origin == "" {
			return
		}
		i := strings.Index(origin, "://")
		if i < 0 {
			t.Fatalf("accepted Origin %q without a scheme", origin)
		}
		oh, oport := splitHost(strings.TrimSuffix(origin[i+3:], "/"))
		if !names(oh, local) {
			t.Fatalf("accepted Origin %q on %s", origin, local)
		}
		if oport != "" && port != "" && oport != port {
			t.Fatalf("accepted Origin %q for Host %q: other port", origin, host)
		}
	})
}

// names is the oracle's own statement of "names the listener".
func names(host string, local netip.Addr) bool {
	h := strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if h == "ipam.example" {
		return true
	}
	if ip, err := netip.ParseAddr(h); err == nil {
		ip = ip.Unmap()
		return ip == local || ip.IsLoopback() && local.IsLoopback()
	}
	return h == "localhost" && local.IsLoopback()
}
