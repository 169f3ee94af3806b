package nbfx

import (
	"unicode/utf8"

	"github.com/ipamd/ipamd/soap/xmlstream"
)

// DefaultMaxSessionBytes is WCF's default MaxSessionSize: the bytes a peer may
// add to one direction's session string table (MB31 length + UTF-8 per string).
const DefaultMaxSessionBytes = 2048

// ReaderSession is the receiving side of one direction's [MC-NBFSE] string
// table: the strings a peer sent in the StringTable of earlier and current
// msbinsession1 payloads, addressed by odd dictionary ids 1, 3, 5, ...
type ReaderSession struct {
	strs  []string
	bytes int
	max   int
}

// NewReaderSession returns an empty table limited to maxBytes (<= 0 means
// DefaultMaxSessionBytes).
func NewReaderSession(maxBytes int) *ReaderSession {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxSessionBytes
	}
	return &ReaderSession{max: maxBytes}
}

// ReadStringTable parses the StringTable (MB31 size, then MB31-prefixed UTF-8
// strings) at the start of an msbinsession1 payload, adds its strings to the
// session and returns the number of bytes consumed. On error nothing is added.
func (s *ReaderSession) ReadStringTable(payload []byte) (int, error) {
	size, n := readMB31(payload)
	if n <= 0 {
		return 0, malformed(0, "string table size")
	}
	if uint64(size) > uint64(len(payload)-n) {
		return 0, malformed(0, "string table size %d exceeds payload (%d bytes left)", size, len(payload)-n)
	}
	end := n + int(size)
	oldLen, oldBytes := len(s.strs), s.bytes
	pos := n
	for pos < end {
		l, m := readMB31(payload[pos:end])
		if m <= 0 {
			s.strs, s.bytes = s.strs[:oldLen], oldBytes
			return 0, malformed(pos, "string table entry length")
		}
		if uint64(l) > uint64(end-pos-m) {
			s.strs, s.bytes = s.strs[:oldLen], oldBytes
			return 0, malformed(pos, "string table entry of %d bytes overruns the table", l)
		}
		b := payload[pos+m : pos+m+int(l)]
		s.bytes += m + int(l)
		if s.bytes > s.max {
			s.strs, s.bytes = s.strs[:oldLen], oldBytes
			return 0, quotaErr(xmlstream.QuotaMaxSessionSize, s.max, pos, "the session string table")
		}
		if !utf8.Valid(b) {
			s.strs, s.bytes = s.strs[:oldLen], oldBytes
			return 0, malformed(pos+m, "string table entry is not UTF-8")
		}
		s.strs = append(s.strs, string(b))
		pos += m + int(l)
	}
	return end, nil
}

// Lookup returns the session string with the given odd wire id.
func (s *ReaderSession) Lookup(id uint32) (string, bool) {
	if s == nil || id&1 == 0 {
		return "", false
	}
	i := id / 2
	if i >= uint32(len(s.strs)) {
		return "", false
	}
	return s.strs[i], true
}

// Reset empties the table (a new connection preamble).
func (s *ReaderSession) Reset() {
	clear(s.strs)
	s.strs = s.strs[:0]
	s.bytes = 0
}
