package nbfx

import (
	"bytes"
	"unicode/utf8"
)

// WriterSession is the sending side of one direction's [MC-NBFSE] string
// table. A Writer with a session refers to the strings already in it by
// their odd ids; while it collects (Writer.CollectSessionStrings), an
// element or attribute name or a namespace that is in neither dictionary
// is added, and the strings added while a message is written go out in
// that message's StringTable (AppendStringTable). This is how WCF writes
// the names of its data contracts: each once per connection, then as an
// id of one or two bytes (docs/protocol.md, "Binary session encoding").
//
// The table is bounded in bytes (counted as the reader counts them: the
// MB31 length and the UTF-8 of each string, DefaultMaxSessionBytes, WCF's
// default MaxSessionSize, so a WCF peer with default quotas reads it) and
// in strings. Once a string does not fit the session is full and adds
// nothing more, so a name is written the same way for the rest of the
// connection (a repeated run of records stays valid: see Remember).
//
// Strings are never removed once sent; those added for a message that is
// not sent are taken back with Rollback.
type WriterSession struct {
	ids      map[string]uint32 // session strings (odd ids) and static ones used (even)
	static   int               // static strings in ids
	n        int               // session strings, committed and pending
	bytes    int
	maxBytes int
	maxCount int
	full     bool

	pending   []string // added since the last Commit, in id order
	pendBytes int
	pendFull  bool // full was set since the last Commit

	memo     map[any][]byte
	pendMemo []any // keys of memo, and runKeys of runs
	runs     map[string][]byte
	runBytes int
	// runHits and runMisses count RememberedRun's answers (RemembersRuns).
	runHits, runMisses int

	members *memberCache // records of member names (member.go)
}

// DefaultMaxSessionStrings bounds the strings of one outbound session
// table (a row type has about 90 names).
const DefaultMaxSessionStrings = 256

// maxMemo bounds the runs a session remembers (the row writers have a
// handful).
const maxMemo = 64

// maxRuns and maxRunBytes bound the runs a session remembers by their
// content (RememberRun: the custom field values of rows, a few hundred
// distinct ones in a store), keys included.
const (
	maxRuns     = 1024
	maxRunBytes = 128 << 10
)

// runTrial is how many runs a session looks up in vain before it
// stops looking them up unless at least as many were found.
const runTrial = 1024

// runKey is a key of runs in pendMemo.
type runKey string

// NewWriterSession returns an empty outbound table of at most maxBytes
// (<= 0: DefaultMaxSessionBytes) and maxCount strings (<= 0:
// DefaultMaxSessionStrings).
func NewWriterSession(maxBytes, maxCount int) *WriterSession {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxSessionBytes
	}
	if maxCount <= 0 {
		maxCount = DefaultMaxSessionStrings
	}
	return &WriterSession{maxBytes: maxBytes, maxCount: maxCount}
}

// lookup returns the dictionary id of str: its static id (even; the
// session remembers it, so a name costs one map lookup) or its session id
// (odd); with add set, a string in neither is added when it fits.
func (s *WriterSession) lookup(str string, add bool) (uint32, bool) {
	if id, ok := s.ids[str]; ok {
		return id, true
	}
	if s.ids == nil {
		s.ids = make(map[string]uint32)
	}
	if id, ok := staticIDs[str]; ok {
		if s.static < maxStaticRemembered {
			s.ids[str] = id
			s.static++
		}
		return id, true
	}
	if !add || s.full || str == "" || !utf8.ValidString(str) {
		return 0, false
	}
	cost := mb31Len(uint32(len(str))) + len(str)
	if s.bytes+cost > s.maxBytes || s.n >= s.maxCount {
		s.full, s.pendFull = true, true
		return 0, false
	}
	id := uint32(2*s.n + 1)
	s.ids[str] = id
	s.n++
	s.bytes += cost
	s.pendBytes += cost
	s.pending = append(s.pending, str)
	return id, true
}

// maxStaticRemembered bounds the static dictionary strings a session
// remembers beside its own.
const maxStaticRemembered = 256

// Len is the number of strings in the table, pending ones included.
func (s *WriterSession) Len() int { return s.n }

// Bytes is the table's size as the reader counts it, pending strings included.
func (s *WriterSession) Bytes() int { return s.bytes }

// AppendStringTable appends the StringTable of the message being written:
// the strings added since the last Commit (00 when there are none).
func (s *WriterSession) AppendStringTable(b []byte) []byte {
	b = appendMB31(b, uint32(s.pendBytes))
	for _, str := range s.pending {
		b = appendString(b, str)
	}
	return b
}

// Commit marks the pending strings (and remembered runs) as sent.
func (s *WriterSession) Commit() {
	clear(s.pending)
	s.pending, s.pendBytes, s.pendFull = s.pending[:0], 0, false
	clear(s.pendMemo)
	s.pendMemo = s.pendMemo[:0]
	if s.members != nil {
		s.members.pend = s.members.pend[:0]
	}
}

// Rollback takes back what was added since the last Commit: the message
// that carried it was not sent.
func (s *WriterSession) Rollback() {
	for _, str := range s.pending {
		delete(s.ids, str)
	}
	s.n -= len(s.pending)
	s.bytes -= s.pendBytes
	if s.pendFull {
		s.full = false
	}
	for _, k := range s.pendMemo {
		s.forgetMemo(k)
	}
	s.members.forget(0)
	s.Commit()
}

// Remembered returns the records remembered under key for this session.
func (s *WriterSession) Remembered(key any) ([]byte, bool) {
	b, ok := s.memo[key]
	return b, ok
}

// Remember keeps b, records a Writer with this session wrote, under key:
// their session ids stay valid for the whole connection, and as the
// session adds nothing once full, writing the same records again would
// give the same bytes. At most maxMemo runs are kept.
func (s *WriterSession) Remember(key any, b []byte) {
	if len(s.memo) >= maxMemo {
		return
	}
	if s.memo == nil {
		s.memo = make(map[any][]byte)
	}
	if _, ok := s.memo[key]; ok {
		return
	}
	s.memo[key] = b
	s.pendMemo = append(s.pendMemo, key)
}

func mb31Len(v uint32) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// SetSession makes w write with s (nil: the static dictionary only); it
// stays set across Reset. CollectSessionStrings is off.
func (w *Writer) SetSession(s *WriterSession) {
	w.sess, w.collect = s, false
}

// Session is w's outbound table, or nil.
func (w *Writer) Session() *WriterSession { return w.sess }

// CollectSessionStrings turns on or off the adding of new names and
// namespaces to the session and returns the previous setting. Only the
// writers of repeated data (enumeration rows) turn it on, so the other
// messages keep their bytes; names already in the session are used by
// id either way. Without a session it does nothing.
func (w *Writer) CollectSessionStrings(on bool) bool {
	prev := w.collect
	w.collect = on && w.sess != nil
	return prev
}

// dictID is the dictionary id of s: static (even), else the session's (odd).
func (w *Writer) dictID(s string) (uint32, bool) {
	if w.sess != nil {
		return w.sess.lookup(s, w.collect)
	}
	id, ok := staticIDs[s]
	return id, ok
}

// Remembers reports whether w keeps repeated runs per session (its bytes
// may use session ids, so a run written on one connection is not valid
// on another): see Remembered and Remember.
func (w *Writer) Remembers() bool { return w.sess != nil }

// Remembered returns a run remembered under key on w's session.
func (w *Writer) Remembered(key any) ([]byte, bool) {
	if w.sess == nil {
		return nil, false
	}
	return w.sess.Remembered(key)
}

// Remember keeps a run w wrote on w's session (see WriterSession.Remember).
func (w *Writer) Remember(key any, b []byte) {
	if w.sess != nil {
		w.sess.Remember(key, b)
	}
}

// RemembersRuns reports whether w remembers runs by content
// (RememberRun) and they pay: a connection whose runs are not found again
// (each value different) stops building keys for them after runTrial
// lookups, unless as many were found as not.
func (w *Writer) RemembersRuns() bool {
	return w.sess != nil && (w.sess.runMisses < runTrial || w.sess.runHits >= w.sess.runMisses)
}

// RememberedRun returns the run remembered under key by RememberRun on w's
// session.
func (w *Writer) RememberedRun(key []byte) ([]byte, bool) {
	if w.sess == nil {
		return nil, false
	}
	b, ok := w.sess.runs[string(key)]
	if ok {
		w.sess.runHits++
	} else {
		w.sess.runMisses++
	}
	return b, ok
}

// RememberRun keeps a copy of b, records w wrote, on w's session under
// key, a content the caller made of what b encodes (Remember keys a run
// by the identity of what wrote it). At most maxRuns runs of maxRunBytes
// in all are kept; the first under a key stays.
func (w *Writer) RememberRun(key, b []byte) {
	s := w.sess
	if s == nil || len(s.runs) >= maxRuns || s.runBytes+len(key)+len(b) > maxRunBytes {
		return
	}
	if _, ok := s.runs[string(key)]; ok {
		return
	}
	if s.runs == nil {
		s.runs = make(map[string][]byte)
	}
	k := string(key)
	s.runs[k] = bytes.Clone(b)
	s.runBytes += len(k) + len(b)
	s.pendMemo = append(s.pendMemo, runKey(k))
}

// forgetMemo takes back a run remembered since the last Commit.
func (s *WriterSession) forgetMemo(k any) {
	if rk, ok := k.(runKey); ok {
		s.runBytes -= len(rk) + len(s.runs[string(rk)])
		delete(s.runs, string(rk))
		return
	}
	delete(s.memo, k)
}

// Pending reports whether strings were added since the last Commit.
func (s *WriterSession) Pending() bool { return len(s.pending) > 0 }

// ReplaceStringTable replaces the empty StringTable (the one byte 00) at
// msg[at] with the pending strings' table.
func (s *WriterSession) ReplaceStringTable(msg []byte, at int) []byte {
	var tmp [8]byte
	head := appendMB31(tmp[:0], uint32(s.pendBytes))
	grow := len(head) - 1 + s.pendBytes
	msg = append(msg, make([]byte, grow)...)
	copy(msg[at+1+grow:], msg[at+1:len(msg)-grow])
	b := append(msg[:at], head...)
	for _, str := range s.pending {
		b = appendString(b, str)
	}
	return msg
}
