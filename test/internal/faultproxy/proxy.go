// Package faultproxy is a TCP proxy for tests that sits between ipamd and
// its database (or any loopback peer) and injects the network faults that
// happen in production: a cut (every connection closed, new ones refused
// until restored), a black hole (bytes are accepted and never forwarded,
// no FIN or RST: what a partition or a hung peer looks like to the
// sender), added latency, and a reset after N bytes of one direction.
//
// It listens on 127.0.0.1 only. Faults apply to the connections open when
// they are set and to those accepted later; Restore ends them. Close stops
// everything and waits for the proxy's goroutines.
package faultproxy

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Proxy forwards connections on Addr to a target address.
type Proxy struct {
	ln     net.Listener
	target string

	mu      sync.Mutex
	conns   map[*pair]struct{}
	cut     bool          // refuse new connections (accept and close at once)
	hole    chan struct{} // non-nil while black-holing; closed by Restore
	latency time.Duration
	resetAt int64 // reset connections once this many upstream bytes passed (0: never)

	accepted atomic.Int64
	wg       sync.WaitGroup
	closed   chan struct{}
}

// pair is one proxied connection.
type pair struct {
	client, server net.Conn
	up             atomic.Int64 // bytes client → server forwarded
	once           sync.Once
	done           chan struct{} // closed by close
}

func (p *pair) close(reset bool) {
	p.once.Do(func() {
		close(p.done)
		if reset {
			abort(p.client)
			abort(p.server)
		}
		_ = p.client.Close()
		_ = p.server.Close()
	})
}

// abort makes Close send an RST instead of a FIN.
func abort(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
}

// New starts a proxy to target on an OS-chosen loopback port.
func New(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target, conns: map[*pair]struct{}{}, closed: make(chan struct{})}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// Addr is the proxy's listening address (host:port).
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Port is the proxy's listening port.
func (p *Proxy) Port() int { return p.ln.Addr().(*net.TCPAddr).Port }

// Accepted counts the connections accepted so far (refused ones included).
func (p *Proxy) Accepted() int64 { return p.accepted.Load() }

// Open counts the connections being forwarded now.
func (p *Proxy) Open() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}

// Cut closes every open connection with an RST and refuses new ones
// (accepted, then reset at once) until Restore: the database went away.
func (p *Proxy) Cut() {
	p.mu.Lock()
	p.cut = true
	conns := p.takeLocked()
	p.mu.Unlock()
	for _, c := range conns {
		c.close(true)
	}
}

// BlackHole stops forwarding in both directions on open and new
// connections without closing them: writes are accepted by the proxy's
// socket and go nowhere, reads never return. Restore resumes forwarding of
// what is held.
func (p *Proxy) BlackHole() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.hole == nil {
		p.hole = make(chan struct{})
	}
}

// SetLatency delays every forwarded chunk by d (0: none).
func (p *Proxy) SetLatency(d time.Duration) {
	p.mu.Lock()
	p.latency = d
	p.mu.Unlock()
}

// ResetAfter resets each connection (RST both ways) once n more bytes
// from client to server have been forwarded on it, counted from now for
// open connections and from the start for new ones (n <= 0: never).
func (p *Proxy) ResetAfter(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n <= 0 {
		p.resetAt = 0
		return
	}
	p.resetAt = n
	for c := range p.conns {
		c.up.Store(0)
	}
}

// ResetAll resets every open connection now; new ones are still accepted.
func (p *Proxy) ResetAll() {
	p.mu.Lock()
	conns := p.takeLocked()
	p.mu.Unlock()
	for _, c := range conns {
		c.close(true)
	}
}

// Restore ends every fault: new connections are forwarded again, held
// bytes of black-holed connections flow, latency and resets are off.
func (p *Proxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = false
	p.latency = 0
	p.resetAt = 0
	if p.hole != nil {
		close(p.hole)
		p.hole = nil
	}
}

// Close stops the proxy, closes every connection and waits for its
// goroutines.
func (p *Proxy) Close() error {
	err := p.ln.Close()
	close(p.closed)
	p.mu.Lock()
	conns := p.takeLocked()
	p.mu.Unlock()
	for _, c := range conns {
		c.close(false)
	}
	p.wg.Wait()
	return err
}

func (p *Proxy) takeLocked() []*pair {
	out := make([]*pair, 0, len(p.conns))
	for c := range p.conns {
		out = append(out, c)
		delete(p.conns, c)
	}
	return out
}

func (p *Proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.accepted.Add(1)
		p.mu.Lock()
		cut := p.cut
		p.mu.Unlock()
		if cut {
			abort(c)
			_ = c.Close()
			continue
		}
		p.wg.Add(1)
		go p.handle(c)
	}
}

func (p *Proxy) handle(client net.Conn) {
	defer p.wg.Done()
	d := net.Dialer{Timeout: 5 * time.Second}
	server, err := d.Dial("tcp", p.target)
	if err != nil {
		abort(client)
		_ = client.Close()
		return
	}
	c := &pair{client: client, server: server, done: make(chan struct{})}
	p.mu.Lock()
	select {
	case <-p.closed:
		p.mu.Unlock()
		c.close(false)
		return
	default:
	}
	p.conns[c] = struct{}{}
	p.mu.Unlock()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); p.pipe(c, client, server, true) }()
	go func() { defer wg.Done(); p.pipe(c, server, client, false) }()
	wg.Wait()
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

// pipe copies src to dst chunk by chunk, applying the faults in force
// before each chunk is written. A closed side closes both (with a FIN, as
// the peer did).
func (p *Proxy) pipe(c *pair, src, dst net.Conn, up bool) {
	defer c.close(false)
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !p.forward(c, dst, buf[:n], up) {
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				c.close(true)
			}
			return
		}
	}
}

// forward writes b to dst unless a fault says otherwise; false ends the
// connection.
func (p *Proxy) forward(c *pair, dst net.Conn, b []byte, up bool) bool {
	p.mu.Lock()
	hole, latency, resetAt := p.hole, p.latency, p.resetAt
	p.mu.Unlock()
	if hole != nil {
		select { // held until Restore, Close or the pair is closed
		case <-hole:
		case <-c.done:
			return false
		case <-p.closed:
			return false
		}
	}
	if latency > 0 {
		select {
		case <-time.After(latency):
		case <-c.done:
			return false
		case <-p.closed:
			return false
		}
	}
	if up && resetAt > 0 {
		sent := c.up.Load()
		if room := resetAt - sent; room < int64(len(b)) {
			if room > 0 {
				_, _ = dst.Write(b[:room])
			}
			c.close(true)
			return false
		}
	}
	if _, err := dst.Write(b); err != nil {
		return false
	}
	if up {
		c.up.Add(int64(len(b)))
	}
	return true
}
