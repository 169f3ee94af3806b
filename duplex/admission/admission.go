// Package admission decides whether a new connection (or HTTP session) is
// served at all, before any of its bytes are parsed and before it has
// authenticated: a cap on the total, and a cap per client address, so that
// one address cannot take every slot. It is the first thing each
// listener applies: net.tcp (duplex/nmf), SOAP over HTTP (duplex/soaphttp)
// and the admin listener; docs/security.md lists the budgets and their
// defaults.
//
// Addresses are counted by IPv4 address and by IPv6 /64 prefix: one host
// commonly holds a whole /64, so counting IPv6 addresses singly would let it
// multiply its share 2^64 times.
package admission

import (
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
)

// Reason is why a connection was refused, or Admitted.
type Reason uint8

// Verdicts of Limiter.Acquire.
const (
	Admitted Reason = iota
	// TooMany: the total cap is reached.
	TooMany
	// TooManyFromAddress: the client's address (or IPv6 /64) holds its cap.
	TooManyFromAddress
)

func (r Reason) String() string {
	switch r {
	case Admitted:
		return "admitted"
	case TooMany:
		return "total_limit"
	case TooManyFromAddress:
		return "address_limit"
	}
	return "unknown"
}

// Key is the unit an address is counted under: the IPv4 address, or the
// IPv6 /64. ok is false for addresses that are not IP (a pipe in a test):
// those count against the total only.
func Key(addr net.Addr) (k netip.Prefix, ok bool) {
	var ap netip.AddrPort
	switch a := addr.(type) {
	case *net.TCPAddr:
		ap = a.AddrPort()
	case nil:
		return netip.Prefix{}, false
	default:
		var err error
		if ap, err = netip.ParseAddrPort(addr.String()); err != nil {
			return netip.Prefix{}, false
		}
	}
	ip := ap.Addr().Unmap()
	if !ip.IsValid() {
		return netip.Prefix{}, false
	}
	bits := 32
	if ip.Is6() {
		bits = 64
	}
	k, err := ip.Prefix(bits)
	return k, err == nil
}

// Limiter counts admitted connections in total and per address. Its zero
// value is not usable; use New. Safe for concurrent use.
type Limiter struct {
	mu        sync.Mutex
	total     int // 0 = no total cap
	perAddr   int // 0 = no per-address cap
	n         int
	byAddress map[netip.Prefix]int

	refusedTotal   atomic.Uint64
	refusedAddress atomic.Uint64
}

// New returns a limiter admitting at most total connections, at most
// perAddress from one address; 0 lifts a cap.
func New(total, perAddress int) *Limiter {
	return &Limiter{total: max(total, 0), perAddr: max(perAddress, 0), byAddress: map[netip.Prefix]int{}}
}

// SetLimits changes the caps (a configuration reload). Connections admitted
// already stay; new ones are refused until the counts fall below the caps.
func (l *Limiter) SetLimits(total, perAddress int) {
	l.mu.Lock()
	l.total, l.perAddr = max(total, 0), max(perAddress, 0)
	l.mu.Unlock()
}

// Ticket is one admitted connection's slot; Release frees it.
type Ticket struct {
	l     *Limiter
	key   netip.Prefix
	keyed bool
}

// Acquire admits one connection from addr, or says why not. An admitted
// connection's Ticket must be released exactly once.
func (l *Limiter) Acquire(addr net.Addr) (Ticket, Reason) {
	k, keyed := Key(addr)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.total > 0 && l.n >= l.total {
		l.refusedTotal.Add(1)
		return Ticket{}, TooMany
	}
	if keyed && l.perAddr > 0 && l.byAddress[k] >= l.perAddr {
		l.refusedAddress.Add(1)
		return Ticket{}, TooManyFromAddress
	}
	l.n++
	if keyed {
		l.byAddress[k]++
	}
	return Ticket{l: l, key: k, keyed: keyed}, Admitted
}

// Release frees the slot. Releasing a zero Ticket does nothing.
func (t Ticket) Release() {
	l := t.l
	if l == nil {
		return
	}
	l.mu.Lock()
	l.n--
	if t.keyed {
		if c := l.byAddress[t.key] - 1; c > 0 {
			l.byAddress[t.key] = c
		} else {
			delete(l.byAddress, t.key)
		}
	}
	l.mu.Unlock()
}

// Stats are a limiter's counters.
type Stats struct {
	Active         int    // connections admitted and not yet released
	Addresses      int    // distinct address keys among them
	RefusedTotal   uint64 // refused because the total cap was reached
	RefusedAddress uint64 // refused because the address held its cap
}

// Stats returns the current counters.
func (l *Limiter) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return Stats{Active: l.n, Addresses: len(l.byAddress),
		RefusedTotal: l.refusedTotal.Load(), RefusedAddress: l.refusedAddress.Load()}
}
