package ipam

import (
	"bytes"
	"reflect"
	"sync"

	"github.com/ipamd/ipamd/soap/xmlstream"
)

// FragmentWriter is a Writer that can repeat a run of members it wrote
// before instead of writing them again: rows carry runs that are the same
// in every row (the ModifiedProperties and SetProperties lists of each
// custom field value, the constant part of an IPv4 sysnet:IPAddress, the
// DHCP, DNS and reservation members no data collection fills), and
// writing them member by member was most of the cost of an enumeration
// (docs/performance.md, "Enumeration"). The binary writer (nbfx.Writer)
// implements it; a writer that does not is written to member by member.
type FragmentWriter interface {
	xmlstream.Writer
	// Offset is how much was written so far.
	Offset() int
	// Encoded returns what was written since offset from; nil for a
	// writer that only measures (then Repeat is given nil and the size).
	Encoded(from int) []byte
	// Repeat writes again what Encoded returned (n bytes).
	Repeat(b []byte, n int) error
	// InScope reports whether prefix is bound to space here.
	InScope(prefix, space string) bool
}

// fragment is one constant run of members, remembered per writer type
// the first time it is written in scope (the bytes assume the bindings
// its uses list; a writer where they differ writes it member by member).
type fragment struct {
	uses  [][2]string // prefix, namespace
	write func(m *rowWriter)
	once  sync.Map // reflect.Type of the writer → *encodedFragment
}

type encodedFragment struct {
	b []byte
	n int
}

func (f *fragment) writeTo(m *rowWriter) {
	fw, ok := m.w.(FragmentWriter)
	if !ok || m.err != nil {
		f.write(m)
		return
	}
	for _, u := range f.uses {
		if !fw.InScope(u[0], u[1]) {
			f.write(m)
			return
		}
	}
	if sm, ok := fw.(sessionMemo); ok && sm.Remembers() {
		f.writeSession(m, fw, sm)
		return
	}
	key := reflect.TypeOf(fw)
	if e, ok := f.once.Load(key); ok {
		e := e.(*encodedFragment)
		m.set(fw.Repeat(e.b, e.n))
		return
	}
	from := fw.Offset()
	f.write(m)
	if m.err == nil {
		f.once.LoadOrStore(key, &encodedFragment{b: bytes.Clone(fw.Encoded(from)), n: fw.Offset() - from})
	}
}

// sessionMemo is a FragmentWriter whose bytes depend on its connection
// (nbfx.Writer with an NBFSE session: names are session ids): a run is
// remembered per connection, not per writer type.
type sessionMemo interface {
	Remembers() bool
	Remembered(key any) ([]byte, bool)
	Remember(key any, b []byte)
}

func (f *fragment) writeSession(m *rowWriter, fw FragmentWriter, sm sessionMemo) {
	if b, ok := sm.Remembered(f); ok {
		m.set(fw.Repeat(b, len(b)))
		return
	}
	from := fw.Offset()
	f.write(m)
	if m.err == nil {
		sm.Remember(f, bytes.Clone(fw.Encoded(from)))
	}
}
