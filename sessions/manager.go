package sessions

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
)

// Endpoint serves one port type at one path under every listen URI.
type Endpoint struct {
	Path    string
	Binding *Binding
}

// Manager owns the sessions of all endpoints: it finds a port type by the
// path a transport names (Port), counts what runs, and drives the
// sessions' part of a graceful stop (Drain, Wait, CancelWork).
type Manager struct {
	// opts is swapped by Reconfigure; a session keeps the options it
	// started with.
	opts      atomic.Pointer[Options]
	endpoints map[string]*Port // by lower-cased path
	active    atomic.Int64

	// The registry of live sessions, for the graceful stop. Touched once
	// when a session starts and once when it ends, never per message.
	mu       sync.Mutex
	live     map[*Session]struct{}
	draining bool
	idle     chan struct{} // closed once draining and no session is left
}

// NewManager returns a Manager serving the endpoints.
func NewManager(opts Options, endpoints ...Endpoint) (*Manager, error) {
	opts = opts.withDefaults()
	m := &Manager{endpoints: map[string]*Port{}, live: map[*Session]struct{}{}, idle: make(chan struct{})}
	m.opts.Store(&opts)
	for _, ep := range endpoints {
		key := normPath(ep.Path)
		if _, dup := m.endpoints[key]; dup {
			return nil, fmt.Errorf("sessions: two endpoints at path %q", ep.Path)
		}
		p := &Port{m: m, binding: ep.Binding, obs: opts.Observer.Port(ep.Binding.Port.Name)}
		p.onQuota = p.obs.QuotaExceeded // once: a method value allocates
		m.endpoints[key] = p
	}
	return m, nil
}

// Active is the number of running sessions.
func (m *Manager) Active() int64 { return m.active.Load() }

// Reconfigure applies new session options (inactivity interval, keepalive
// grace count, limits, write timeout) to the sessions started from now on.
// Logger and Observer stay those given to NewManager.
func (m *Manager) Reconfigure(opts Options) {
	opts = opts.withDefaults()
	cur := m.opts.Load()
	opts.Logger, opts.Observer = cur.Logger, cur.Observer
	m.opts.Store(&opts)
}

// Options are the options new sessions get (what NewManager and the last
// Reconfigure set).
func (m *Manager) Options() Options { return *m.opts.Load() }

// Drain starts the sessions' part of a graceful stop: idle sessions (no work
// started) are closed and refuse Initialize and Start, sessions whose work
// runs go on until their Notify…Complete. Sessions that start later (the
// transports refuse new ones, but one may be past that check) are drained
// as they start. Drain returns at once; Wait waits for the sessions to end.
func (m *Manager) Drain() {
	m.mu.Lock()
	if m.draining {
		m.mu.Unlock()
		return
	}
	m.draining = true
	live := m.snapshotLocked()
	if len(m.live) == 0 {
		close(m.idle)
	}
	m.mu.Unlock()
	for _, s := range live {
		go s.drain() // each may wait for a reply being written
	}
}

// Draining reports whether Drain was called.
func (m *Manager) Draining() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.draining
}

// Wait returns nil once Drain was called and every session has ended, or
// ctx's error when ctx ends first.
func (m *Manager) Wait(ctx context.Context) error {
	select { // done beats an expired ctx (a zero drain timeout with nothing to drain)
	case <-m.idle:
		return nil
	default:
	}
	select {
	case <-m.idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// CancelWork cancels the provisioning or conversion work of every session
// with cause (ErrShuttingDown when nil). The work stops at its next safe
// point and its session reports the failure in Notify…Complete, then
// closes. It returns the number of sessions whose work was running.
func (m *Manager) CancelWork(cause error) int {
	if cause == nil {
		cause = ErrShuttingDown
	}
	m.mu.Lock()
	live := m.snapshotLocked()
	m.mu.Unlock()
	told := 0
	for _, s := range live {
		if st := s.State(); st == Started || st == InProgress {
			told++
		}
		s.stopWork(cause)
	}
	return told
}

// SessionsByState counts the live sessions per state (for logs at shutdown).
func (m *Manager) SessionsByState() map[State]int {
	m.mu.Lock()
	live := m.snapshotLocked()
	m.mu.Unlock()
	out := map[State]int{}
	for _, s := range live {
		out[s.State()]++
	}
	return out
}

func (m *Manager) snapshotLocked() []*Session {
	out := make([]*Session, 0, len(m.live))
	for s := range m.live {
		out = append(out, s)
	}
	return out
}

// serve registers s, runs it and unregisters it.
func (m *Manager) serve(s *Session) error {
	m.mu.Lock()
	m.live[s] = struct{}{}
	draining := m.draining
	m.mu.Unlock()
	m.active.Add(1)
	defer func() {
		m.active.Add(-1)
		m.mu.Lock()
		delete(m.live, s)
		if m.draining && len(m.live) == 0 {
			select {
			case <-m.idle:
			default:
				close(m.idle)
			}
		}
		m.mu.Unlock()
	}()
	if draining {
		// Closes it before its first message: the client sees End (net.tcp)
		// or its request is answered 202 and the session ends (HTTP).
		go s.drain()
	}
	return s.Serve()
}

func normPath(p string) string {
	p = strings.ToLower(p)
	if len(p) > 1 {
		p = strings.TrimRight(p, "/")
	}
	return p
}

// Port returns the port type served at path (a net.tcp Via's path, an
// HTTP request's: the host part is not compared, clients may reach the
// server under any name), or nil.
func (m *Manager) Port(path string) *Port { return m.endpoints[normPath(path)] }

// Port is one endpoint: a port type and its service. A transport binding
// runs each of its sessions with Serve.
type Port struct {
	m       *Manager
	binding *Binding
	obs     PortObserver
	onQuota func(quota string) // obs.QuotaExceeded
}

// Options are the options a new session of p gets: the Manager's current
// ones, with the decoder limits reporting quotas to p's observer. A binding
// builds its Transport from them (decoder limits, write timeout) and passes
// them to Serve, with Logger enriched as it likes.
func (p *Port) Options() Options {
	opts := *p.m.opts.Load()
	if opts.Limits.OnQuota == nil {
		opts.Limits.OnQuota = p.onQuota
	}
	return opts
}

// Serve runs one session of p on t until the client ends it (nil), the
// transport fails, or a fatal fault closed it (an error, so that a framing
// layer closes the connection instead of offering it for reuse).
func (p *Port) Serve(ctx context.Context, t Transport, opts Options) error {
	return p.m.serve(p.newSession(ctx, t, opts))
}

func (p *Port) newSession(ctx context.Context, t Transport, opts Options) *Session {
	s := newSession(ctx, p.binding, t, opts)
	s.obs = p.obs
	return s
}
