package nbfx

import "github.com/ipamd/ipamd/soap/xmlstream"

// sharedNames interns inline names, prefixes and namespaces for every
// Reader of the process. The names of one service's messages are the same
// in every session (element names, "a", "s", the contract namespaces), so
// a table per Reader allocated each of them again per session — most of a
// new session's decoding allocations. The table is bounded in entries and
// bytes; once a client's made-up names have filled it, the rest are
// interned per Reader (Reader.names), so filling it costs performance,
// never memory beyond the bound.
var sharedNames = xmlstream.NewInterner(maxSharedNames, maxSharedNameBytes, maxInternedLen)

const (
	maxSharedNames     = 2048
	maxSharedNameBytes = 64 << 10
)
