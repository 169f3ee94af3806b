package textxml

import (
	"errors"
	"testing"

	"github.com/ipamd/ipamd/soap/xmlstream"
)

// FuzzReader checks that the Reader never panics, classifies every error as
// malformed input or a quota, and that whatever it accepts survives a
// Writer round trip with the same infoset.
func FuzzReader(f *testing.F) {
	for _, d := range seedDocs {
		f.Add([]byte(d))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		opts := Options{MaxDepth: 32, MaxAttributes: 16, MaxStringBytes: 4096}
		r := NewReader(data, opts)
		first, err := dump(r)
		if err != nil {
			if !errors.Is(err, xmlstream.ErrMalformed) && !errors.Is(err, xmlstream.ErrQuota) {
				t.Fatalf("error of unknown class: %v", err)
			}
			return
		}
		r.Reset(data)
		w := NewWriter(nil)
		if err := copyDoc(r, w); err != nil {
			t.Fatalf("re-encode accepted document: %v\n%s", err, first)
		}
		second, err := dump(NewReader(w.Bytes(), opts))
		if err != nil {
			t.Fatalf("re-read: %v\n%s", err, w.Bytes())
		}
		if first != second {
			t.Fatalf("round trip differs:\n%s\n---\n%s\n(%s)", first, second, w.Bytes())
		}
	})
}
