package ipam

import (
	"bytes"
	"reflect"
	"sync"
)

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
	fw := m.re
	if fw == nil || m.err != nil {
		f.write(m)
		return
	}
	for _, u := range f.uses {
		if !fw.InScope(u[0], u[1]) {
			f.write(m)
			return
		}
	}
	if fw.Remembers() {
		f.writeSession(m, fw)
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

// writeSession writes f for a writer whose bytes depend on its connection
// (nbfx.Writer with an NBFSE session: names are session ids): the run is
// remembered per connection, not per writer type.
func (f *fragment) writeSession(m *rowWriter, fw RowEncoder) {
	if b, ok := fw.Remembered(f); ok {
		m.set(fw.Repeat(b, len(b)))
		return
	}
	from := fw.Offset()
	f.write(m)
	if m.err == nil {
		fw.Remember(f, bytes.Clone(fw.Encoded(from)))
	}
}
