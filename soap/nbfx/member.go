package nbfx

import (
	"unicode/utf8"
	"unsafe"
)

// Members from kept records: the rows of an enumeration are made of simple
// members — <Name>text</Name> and <Name i:nil="true"/> in the default
// namespace — about a hundred per row, the same names in every row. Member
// and NilMember write them from the name's records kept per connection
// (per session: the records use its session ids) instead of looking the
// name up, binding and checking it each time (docs/performance.md,
// "Encoding straight into the batch"). The bytes are those StartElement,
// Text (Attr) and EndElement write.

// memberCacheSize is the number of slots per table: the names are found by
// the address of the name's string (the row writers pass constants) with
// linear probing, and a table keeps at most memberCacheKeep of them (a name
// past that is written from a record made each time). Direct-mapped slots
// let names that shared one evict each other row after row: about one
// record made per address row of a store (docs/performance.md, "Encoding:
// kept records, attributes, the row writer").
const (
	memberCacheSize = 512
	memberCacheKeep = memberCacheSize * 3 / 4
)

// memberCache keeps, per name, the start record (Member) or the whole
// element (NilMember).
type memberCache struct {
	starts, nils memberTable
	pend         []int32 // entries set since the last Commit: (index<<1 | nil)
}

type memberTable struct {
	slots [memberCacheSize]memberRecord
	n     int
}

type memberRecord struct {
	name string // kept to compare by address (and so its memory stays)
	rec  []byte
}

func memberSlot(s string) int {
	p := uint64(uintptr(unsafe.Pointer(unsafe.StringData(s))))
	return int((p * 0x9E3779B97F4A7C15) >> (64 - 9))
}

func (c *memberCache) table(isNil bool) *memberTable {
	if isNil {
		return &c.nils
	}
	return &c.starts
}

// get returns the record kept for name (the same string, by address).
func (c *memberCache) get(name string, isNil bool) []byte {
	t := c.table(isNil)
	for i := memberSlot(name); ; i = (i + 1) & (memberCacheSize - 1) {
		e := &t.slots[i]
		if e.rec == nil {
			return nil
		}
		if len(e.name) == len(name) && unsafe.StringData(e.name) == unsafe.StringData(name) {
			return e.rec
		}
	}
}

// put keeps rec for name in the first free slot from its own. Entries are
// never moved or replaced, so taking back the newest ones (forget) leaves
// the table as it was before they were put.
func (c *memberCache) put(name string, isNil bool, rec []byte, pending bool) {
	t := c.table(isNil)
	if t.n >= memberCacheKeep {
		return
	}
	i := memberSlot(name)
	for t.slots[i].rec != nil {
		i = (i + 1) & (memberCacheSize - 1)
	}
	t.slots[i] = memberRecord{name: name, rec: rec}
	t.n++
	if pending {
		k := int32(i << 1)
		if isNil {
			k |= 1
		}
		c.pend = append(c.pend, k)
	}
}

// forget drops the entries set after the first n pending ones: they may
// use session strings being taken back.
func (c *memberCache) forget(n int) {
	if c == nil || n > len(c.pend) {
		return
	}
	for _, k := range c.pend[n:] {
		t := c.table(k&1 == 1)
		t.slots[k>>1] = memberRecord{}
		t.n--
	}
	c.pend = c.pend[:n]
}

func (c *memberCache) pending() int {
	if c == nil {
		return 0
	}
	return len(c.pend)
}

// members is the cache for w's names: its session's, or (without a
// session, static ids and inline names only) its own.
func (w *Writer) members() *memberCache {
	if w.sess != nil {
		if w.sess.members == nil {
			w.sess.members = new(memberCache)
		}
		return w.sess.members
	}
	if w.ownMembers == nil {
		w.ownMembers = new(memberCache)
	}
	return w.ownMembers
}

// memberRecord returns the start record of <local> (isNil false) or the
// whole element <local i:nil="true"/>, kept or made; nil when it cannot be
// written from a record here (the default namespace is not space, or i is
// not bound to XML Schema instance, or local is not a name).
func (w *Writer) memberRecord(local, space string, isNil bool) []byte {
	c := w.members()
	if rec := c.get(local, isNil); rec != nil {
		return rec
	}
	if !w.InScope("", space) || (isNil && !w.InScope("i", xsiNamespace)) {
		return nil
	}
	id, dict := w.dictID(local)
	if !dict && checkName("element", local) != nil {
		return nil
	}
	rec := appendNameRecord(nil, 0x40, 0x41, 0x42, 0x43, 0x44, 0x5E, "", local, id, dict)
	if isNil {
		aid, adict := w.dictID("nil")
		rec = appendNameRecord(rec, 0x04, 0x05, 0x06, 0x07, 0x0C, 0x26, "i", "nil", aid, adict)
		rec = append(rec, 0x86, 0x01) // TrueText, EndElement
	}
	// An inline name of a session writer that does not collect would be
	// a session id once it collects: not kept.
	if dict || w.collect || w.sess == nil {
		c.put(local, isNil, rec, w.sess != nil)
	}
	return rec
}

const xsiNamespace = "http://www.w3.org/2001/XMLSchema-instance"

// Member writes the element <local>text</local> in the default namespace,
// which must be space (and stay so wherever the same local is written
// again: as with Repeat, a kept record is not checked against the scope).
func (w *Writer) Member(local, space, text string) error {
	if w.err != nil {
		return w.err
	}
	rec := w.memberRecord(local, space, false)
	if rec == nil || w.scope.Depth() == 0 {
		if err := w.StartElement("", local, space); err != nil {
			return err
		}
		if err := w.Text(text); err != nil {
			return err
		}
		return w.EndElement()
	}
	if !validText(text) {
		return w.fail("text is not UTF-8")
	}
	// One store of w.buf (a pointer: a write barrier while the collector
	// runs, which the store's garbage keeps it doing).
	b := append(w.buf, rec...)
	at := len(b)
	b, ok := appendTextRecord(b, text)
	if !ok {
		return w.fail("text of %d bytes", len(text))
	}
	b[at] |= 1 // …TextWithEndElement
	w.buf = b
	w.lastText, w.open = -1, false
	return nil
}

// NilMember writes <local i:nil="true"/> in the default namespace, which
// must be space, with i bound to XML Schema instance (see Member).
func (w *Writer) NilMember(local, space string) error {
	if w.err != nil {
		return w.err
	}
	rec := w.memberRecord(local, space, true)
	if rec == nil || w.scope.Depth() == 0 {
		if err := w.StartElement("", local, space); err != nil {
			return err
		}
		if err := w.Attr("i", "nil", xsiNamespace, "true"); err != nil {
			return err
		}
		return w.EndElement()
	}
	w.buf = append(w.buf, rec...)
	w.lastText, w.open = -1, false
	return nil
}

// attrName is the name record of an attribute whose local name is a static
// dictionary string: the same bytes on every connection.
type attrName struct {
	prefix, local string // local compared by address
	rec           []byte
}

// MemberAttr writes the attribute prefix:local="value" on the open start
// tag as Attr does; when local is a static dictionary string (z:Id,
// i:type) its name record is kept per Writer by the address of local and
// the name is neither checked nor looked up again (the row writers write a
// few such attributes per row, docs/performance.md, "Encoding: kept
// records, attributes, the row writer"). The scope is still checked and
// bound as by Attr.
func (w *Writer) MemberAttr(prefix, local, space, value string) error {
	if w.err != nil {
		return w.err
	}
	if !w.open {
		return w.fail("attribute %q after content", local)
	}
	var rec []byte
	for i := range w.attrNames {
		a := &w.attrNames[i]
		if a.prefix == prefix && len(a.local) == len(local) && unsafe.StringData(a.local) == unsafe.StringData(local) {
			rec = a.rec
			break
		}
	}
	if rec == nil {
		id, static := staticIDs[local]
		if !static || len(w.attrNames) >= maxAttrNames {
			return w.Attr(prefix, local, space, value)
		}
		rec = appendNameRecord(nil, 0x04, 0x05, 0x06, 0x07, 0x0C, 0x26, prefix, local, id, true)
		w.attrNames = append(w.attrNames, attrName{prefix: prefix, local: local, rec: rec})
	}
	if err := w.bindAttr(prefix, local, space, value); err != nil {
		return err
	}
	w.buf = append(w.buf, rec...)
	return w.text(value)
}

// maxAttrNames bounds the attribute names a Writer keeps.
const maxAttrNames = 8

// validText is utf8.ValidString, with the short ASCII text of most members
// (numbers, dates, names) checked inline.
func validText(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return utf8.ValidString(s[i:])
		}
	}
	return true
}

// RepeatText appends head, text as the text record that ends the element
// head opened last (as Text then EndElement write it), and tail: together
// balanced records this Writer encoded before, as Repeat takes them, with
// a hole for one member's text (the m_Address of a row's IPv4 addresses,
// docs/performance.md, "Encoding: kept records, attributes, the row
// writer"). head and tail are not checked.
func (w *Writer) RepeatText(head []byte, text string, tail []byte) error {
	if w.err != nil {
		return w.err
	}
	if w.scope.Depth() == 0 {
		return w.fail("repeated records outside the document element")
	}
	if !validText(text) {
		return w.fail("text is not UTF-8")
	}
	b := append(w.buf, head...)
	at := len(b)
	b, ok := appendTextRecord(b, text)
	if !ok {
		return w.fail("text of %d bytes", len(text))
	}
	b[at] |= 1 // …TextWithEndElement
	w.buf = append(b, tail...)
	w.open = false
	w.lastText = -1
	return nil
}
