package nbfx

import (
	"testing"

	"github.com/ipamd/ipamd/soap/xmlstream"
)

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
	if _, ok := sharedNames.Lookup([]byte("LongElementNameForInterning")); !ok {
		t.Error("name not shared after the first reader")
	}
}
