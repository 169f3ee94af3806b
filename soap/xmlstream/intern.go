package xmlstream

import (
	"sync"
	"sync/atomic"
)

// Interner is a process-wide table of strings a Reader hands out again and
// again: element and attribute names, prefixes, namespace URIs and short
// attribute values, which are the same in every session of a service. A
// Reader asks it for the string of some input bytes instead of allocating
// one per message. Lookups read an immutable map without locking; adding
// copies the map (rare once the first sessions have been read). The table
// is bounded in entries, bytes and string length: once a client's made-up
// strings have filled it, Intern allocates as if there were no table, so
// filling it costs performance, never memory beyond the bound.
type Interner struct {
	maxStrings, maxBytes, maxLen int
	m                            atomic.Pointer[map[string]string]
	mu                           sync.Mutex // serialises add
	bytes                        int        // guarded by mu
}

// NewInterner returns a table of at most maxStrings strings of at most
// maxLen bytes each, maxBytes in all.
func NewInterner(maxStrings, maxBytes, maxLen int) *Interner {
	return &Interner{maxStrings: maxStrings, maxBytes: maxBytes, maxLen: maxLen}
}

// Lookup returns the interned string equal to b, without allocating.
func (t *Interner) Lookup(b []byte) (string, bool) {
	m := t.m.Load()
	if m == nil {
		return "", false
	}
	s, ok := (*m)[string(b)]
	return s, ok
}

// Intern returns a string equal to b: the table's copy, or a new string
// (added to the table while it has room).
func (t *Interner) Intern(b []byte) string {
	if s, ok := t.Lookup(b); ok {
		return s
	}
	s := string(b)
	t.Add(s)
	return s
}

// Add puts s into the table unless it is full or s is longer than the
// table's maxLen; it reports whether s is in the table. A caller that keeps
// its own fallback table (nbfx's per-reader names) uses the answer.
func (t *Interner) Add(s string) bool {
	if len(s) > t.maxLen {
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
	if n >= t.maxStrings || t.bytes+len(s) > t.maxBytes {
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

// Len is the number of strings in the table.
func (t *Interner) Len() int {
	if m := t.m.Load(); m != nil {
		return len(*m)
	}
	return 0
}
