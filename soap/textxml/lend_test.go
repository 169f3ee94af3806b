package textxml

import (
	"errors"
	"testing"

	"github.com/ipamd/ipamd/soap/xmlstream"
)

// TestReaderForget: a Reader handed to another connection (soap.Codec's
// pool) keeps nothing of the first: not its document, not its large
// buffers; SetOptions gives it the new connection's quotas.
func TestReaderForget(t *testing.T) {
	doc := []byte(`<a xmlns="urn:x" b="1"><a><a/></a></a>`)
	r := NewReader(doc, Options{})
	if err := drain(r); err != nil {
		t.Fatal(err)
	}
	r.text = make([]byte, 0, 2*maxKeptBuffer)
	r.value = make([]byte, 0, 2*maxKeptBuffer)
	r.attrs = make([]xmlstream.Attr, 1, 2*maxKeptSlots)
	r.scope.Grow(2 * maxKeptSlots)
	r.Forget()
	if r.s.doc != nil || r.text != nil || r.value != nil || cap(r.attrs) > maxKeptSlots {
		t.Fatalf("Forget kept state: doc %d bytes, text %d, value %d, attrs %d",
			len(r.s.doc), cap(r.text), cap(r.value), cap(r.attrs))
	}
	for _, a := range r.attrBuf {
		if a != (xmlstream.Attr{}) {
			t.Fatalf("Forget kept an attribute: %+v", a)
		}
	}
	r.SetOptions(Options{MaxDepth: 2})
	r.Reset(doc)
	if err := drain(r); !errors.Is(err, xmlstream.ErrQuota) {
		t.Fatalf("MaxDepth 2: %v", err)
	}
	r.SetOptions(Options{})
	r.Reset(doc)
	if err := drain(r); err != nil {
		t.Fatalf("default options: %v", err)
	}
}

// drain reads r to its end: nil at the document's end, or the error.
func drain(r *Reader) error {
	for {
		n, err := r.Next()
		if err != nil {
			return err
		}
		if n.Kind == xmlstream.EOF {
			return nil
		}
	}
}
