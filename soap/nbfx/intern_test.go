package nbfx

import (
	"strconv"
	"sync"
	"testing"

	"github.com/ipamd/ipamd/soap/xmlstream"
)

// TestNameTableBounded: made-up names fill the shared table only up to its
// bounds; later ones are refused (interned per Reader instead), and
// lookups from many goroutines see every name that was added.
func TestNameTableBounded(t *testing.T) {
	tab := nameTable{maxNames: 64, maxBytes: 1 << 10}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 64 {
				s := "n" + strconv.Itoa(g) + "_" + strconv.Itoa(i)
				if tab.add(s) {
					if got, ok := tab.lookup([]byte(s)); !ok || got != s {
						t.Errorf("lookup(%q) = %q, %v after add", s, got, ok)
					}
				}
			}
		})
	}
	wg.Wait()
	m := tab.m.Load()
	if len(*m) != 64 || tab.bytes > 1<<10 {
		t.Errorf("table holds %d names, %d bytes; bounds 64, 1024", len(*m), tab.bytes)
	}
	if tab.add("one-more") {
		t.Error("a full table accepted a name")
	}
	long := string(make([]byte, maxInternedLen+1))
	empty := nameTable{maxNames: 64, maxBytes: 1 << 10}
	if empty.add(long) {
		t.Error("a name longer than maxInternedLen was shared")
	}
}

// TestSharedNamesAcrossReaders: a name one reader met is shared with the
// next.
func TestSharedNamesAcrossReaders(t *testing.T) {
	w := NewWriter(nil)
	if err := w.StartElement("p", "LongElementNameForInterning", "urn:example:interning"); err != nil {
		t.Fatal(err)
	}
	if err := w.EndElement(); err != nil {
		t.Fatal(err)
	}
	doc := w.Bytes()
	read := func() {
		r := NewReader(doc, nil, ReaderOptions{})
		for range 10 {
			if n, err := r.Next(); err != nil || n.Kind == xmlstream.EOF {
				return
			}
		}
	}
	read()
	if _, ok := sharedNames.lookup([]byte("LongElementNameForInterning")); !ok {
		t.Error("name not shared after the first reader")
	}
}
