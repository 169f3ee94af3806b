//go:build !linux && !windows

package security

import (
	"fmt"
	"net/netip"
	"runtime"
)

// LookupPeer is not available on this system: set security.local_identity
// to trust to run a listener without security here.
func LookupPeer(client, server netip.AddrPort) (*LocalAccount, error) {
	return nil, fmt.Errorf("%w: not supported on %s", ErrNoLocalAccount, runtime.GOOS)
}
