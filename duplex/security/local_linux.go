package security

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/user"
	"strconv"
	"strings"
	"sync"
	"time"
)

// procTCPFiles are the kernel's TCP socket tables of this process's
// network namespace, IPv4 and IPv6 (an IPv6 socket talking to 127.0.0.1
// appears in tcp6 with ::ffff:127.0.0.1). Through /proc/self: systemd's
// ProcSubset=pid hides /proc/net but not the process's own directory.
var procTCPFiles = []string{"/proc/self/net/tcp", "/proc/self/net/tcp6"}

// overflowUID is the uid the kernel reports for an account not mapped into
// the reader's user namespace (systemd PrivateUsers=, a container): it
// names nobody in particular and is never an answer.
var overflowUID = sync.OnceValue(func() uint32 {
	b, err := os.ReadFile("/proc/sys/kernel/overflowuid")
	if err == nil {
		if u, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 32); err == nil {
			return uint32(u)
		}
	}
	return 65534
})

// maxProcTCPLines bounds one table scan (one line per socket).
const maxProcTCPLines = 1 << 20

// LookupPeer finds the owner of the client end of a loopback connection:
// the ESTABLISHED socket whose local address is the client's and whose
// remote address is the server's carries the uid of the process that
// opened it. The kernel is asked through sock_diag (an exact lookup,
// local_diag_linux.go), else /proc/net/tcp and /proc/net/tcp6 are read.
// The groups are the account's (/etc/group via os/user), not the process's
// own supplementary groups, which neither shows.
func LookupPeer(client, server netip.AddrPort) (*LocalAccount, error) {
	uid, err := diagSocketOwner(client, server)
	if errors.Is(err, errDiagUnavailable) {
		uid, err = findSocketOwner(procTCPFiles, client, server)
	}
	if err != nil {
		return nil, err
	}
	if uid == overflowUID() {
		return nil, fmt.Errorf("%w: the owner is not mapped into this process's user namespace (uid %d): run the daemon without a private user namespace (systemd PrivateUsers=) or set security.local_identity to trust", ErrNoLocalAccount, uid)
	}
	return cachedUnixAccount(uid), nil
}

// accounts caches lookupUnixAccount: a busy client starts many sessions,
// and the user database (NSS) costs more than the socket lookup. An entry
// lives accountTTL, so a changed group membership counts within that time.
var accounts = struct {
	sync.Mutex
	m map[uint32]cachedAccount
}{m: map[uint32]cachedAccount{}}

type cachedAccount struct {
	acct *LocalAccount // shared: never modified
	at   time.Time
}

const (
	accountTTL        = 30 * time.Second
	maxCachedAccounts = 1024
)

// cachedUnixAccount is lookupUnixAccount through the cache.
func cachedUnixAccount(uid uint32) *LocalAccount {
	now := time.Now()
	accounts.Lock()
	c, ok := accounts.m[uid]
	accounts.Unlock()
	if ok && now.Sub(c.at) < accountTTL {
		return c.acct
	}
	acct := lookupUnixAccount(uid)
	accounts.Lock()
	if len(accounts.m) >= maxCachedAccounts {
		clear(accounts.m)
	}
	accounts.m[uid] = cachedAccount{acct: acct, at: now}
	accounts.Unlock()
	return acct
}

// lookupUnixAccount looks up a uid's name and groups; an account without a
// passwd entry keeps its uid alone.
func lookupUnixAccount(uid uint32) *LocalAccount {
	u, err := user.LookupId(strconv.FormatUint(uint64(uid), 10))
	if err != nil {
		return UnixAccount(uid, "", nil)
	}
	gids, err := u.GroupIds()
	if err != nil {
		gids = []string{u.Gid}
	}
	return UnixAccount(uid, u.Username, gids)
}

func findSocketOwner(files []string, client, server netip.AddrPort) (uint32, error) {
	var firstErr error
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		uid, found, err := scanProcTCP(f, client, server)
		f.Close()
		if err != nil {
			return 0, fmt.Errorf("%w: %s: %w", ErrNoLocalAccount, name, err)
		}
		if found {
			return uid, nil
		}
	}
	if firstErr != nil {
		return 0, fmt.Errorf("%w: %w", ErrNoLocalAccount, firstErr)
	}
	return 0, fmt.Errorf("%w: no established socket %s → %s", ErrNoLocalAccount, client, server)
}

// tcpEstablished is TCP_ESTABLISHED in the st column. Only a live socket
// counts: a TIME_WAIT entry (the client closed) shows uid 0 and no inode.
const tcpEstablished = "01"

// scanProcTCP reads one /proc/net/tcp{,6} table:
//
//	sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …
//	0: 0100007F:BB8E 0100007F:1F90 01 00000000:00000000 00:00000000 00000000 1001 0 123456 …
//
// Addresses are the kernel's 32-bit words in host byte order, printed in
// hex, then ":" and the port in hex.
func scanProcTCP(r io.Reader, client, server netip.AddrPort) (uid uint32, found bool, err error) {
	client = netip.AddrPortFrom(client.Addr().Unmap(), client.Port())
	server = netip.AddrPortFrom(server.Addr().Unmap(), server.Port())
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 512), 4096)
	for n := 0; sc.Scan(); n++ {
		if n == 0 {
			continue // the header line
		}
		if n > maxProcTCPLines {
			return 0, false, fmt.Errorf("more than %d sockets", maxProcTCPLines)
		}
		f := strings.Fields(sc.Text())
		if len(f) < 10 || f[3] != tcpEstablished || f[9] == "0" {
			continue
		}
		local, err1 := parseProcAddr(f[1])
		remote, err2 := parseProcAddr(f[2])
		if err1 != nil || err2 != nil || local != client || remote != server {
			continue
		}
		u, err := strconv.ParseUint(f[7], 10, 32)
		if err != nil {
			return 0, false, fmt.Errorf("uid %q: %w", f[7], err)
		}
		return uint32(u), true, nil
	}
	return 0, false, sc.Err()
}

// parseProcAddr parses "0100007F:1F90" or the 32-digit IPv6 form.
func parseProcAddr(s string) (netip.AddrPort, error) {
	addrHex, portHex, ok := strings.Cut(s, ":")
	if !ok || len(portHex) != 4 || (len(addrHex) != 8 && len(addrHex) != 32) {
		return netip.AddrPort{}, fmt.Errorf("address %q", s)
	}
	port, err := strconv.ParseUint(portHex, 16, 16)
	if err != nil {
		return netip.AddrPort{}, err
	}
	raw, err := hex.DecodeString(addrHex)
	if err != nil {
		return netip.AddrPort{}, err
	}
	// Each 32-bit word was printed as a number in host byte order: turn it
	// back into the bytes the kernel holds.
	b := make([]byte, len(raw))
	for i := 0; i < len(raw); i += 4 {
		binary.NativeEndian.PutUint32(b[i:], binary.BigEndian.Uint32(raw[i:]))
	}
	a, _ := netip.AddrFromSlice(b)
	return netip.AddrPortFrom(a.Unmap(), uint16(port)), nil
}
