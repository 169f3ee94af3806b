package nbfx

import (
	"sync"
	"sync/atomic"
)

// sharedNames interns inline names, prefixes and namespaces for every
// Reader of the process. The names of one service's messages are the same
// in every session (element names, "a", "s", the contract namespaces), so
// a table per Reader allocated each of them again per session — most of a
// new session's decoding allocations (issue 16). Lookups read an immutable
// map without locking; a new name copies it (rare after the first
// sessions). The table is bounded in entries and bytes; once a client's
// made-up names have filled it, the rest are interned per Reader as
// before, so filling it costs performance, never memory beyond the bound.
var sharedNames = nameTable{maxNames: maxSharedNames, maxBytes: maxSharedNameBytes}

const (
	maxSharedNames     = 2048
	maxSharedNameBytes = 64 << 10
)

type nameTable struct {
	maxNames, maxBytes int
	m                  atomic.Pointer[map[string]string]
	mu                 sync.Mutex // serialises add
	bytes              int        // guarded by mu
}

// lookup returns the interned copy of b.
func (t *nameTable) lookup(b []byte) (string, bool) {
	m := t.m.Load()
	if m == nil {
		return "", false
	}
	s, ok := (*m)[string(b)]
	return s, ok
}

// add interns s unless the table is full; it reports whether s is in it.
func (t *nameTable) add(s string) bool {
	if len(s) > maxInternedLen {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.m.Load()
	n := 0
	if old != nil {
		if _, ok := (*old)[s]; ok {
			return true
		}
		n = len(*old)
	}
	if n >= t.maxNames || t.bytes+len(s) > t.maxBytes {
		return false
	}
	m := make(map[string]string, n+1)
	if old != nil {
		for k, v := range *old {
			m[k] = v
		}
	}
	m[s] = s
	t.m.Store(&m)
	t.bytes += len(s)
	return true
}
