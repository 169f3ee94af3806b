package textxml

import (
	"errors"
	"testing"

	"github.com/ipamd/ipamd/internal/attack"
	"github.com/ipamd/ipamd/soap/xmlstream"
)

// quotaOracle checks what the Reader yields against its quotas,
// independently of the Reader: depth, one element's text (text nodes
// between two tags together), one attribute value, one start tag, and the
// decoded size of the document — names, attribute values and text — which
// for text XML cannot exceed the input (entities and character references
// only shrink), so any growth is an expansion path.
type quotaOracle struct {
	xmlstream.Reader
	t       *testing.T
	opts    Options
	inBytes int
	decoded int
	run     int
}

func (o *quotaOracle) Next() (*xmlstream.Node, error) {
	n, err := o.Reader.Next()
	if err != nil {
		return n, err
	}
	switch n.Kind {
	case xmlstream.StartElement:
		o.run = 0
		if d := o.Reader.Depth(); d > o.opts.MaxDepth {
			o.t.Fatalf("depth %d exceeds MaxDepth %d", d, o.opts.MaxDepth)
		}
		tag := len(n.Name.Prefix) + len(n.Name.Local)
		for _, a := range n.Attrs {
			if len(a.Value) > o.opts.MaxStringBytes {
				o.t.Fatalf("attribute value of %d bytes exceeds %d", len(a.Value), o.opts.MaxStringBytes)
			}
			tag += len(a.Name.Prefix) + len(a.Name.Local) + len(a.Value)
		}
		if tag > o.opts.MaxBytesPerRead {
			o.t.Fatalf("start tag of %d bytes exceeds MaxBytesPerRead %d", tag, o.opts.MaxBytesPerRead)
		}
		o.decoded += tag
	case xmlstream.EndElement:
		o.run = 0
	case xmlstream.Text:
		o.run += len(n.Text)
		if o.run > o.opts.MaxStringBytes {
			o.t.Fatalf("element text of %d bytes exceeds %d", o.run, o.opts.MaxStringBytes)
		}
		o.decoded += len(n.Text)
	}
	if o.decoded > o.inBytes {
		o.t.Fatalf("%d input bytes decoded to %d", o.inBytes, o.decoded)
	}
	return n, nil
}

// FuzzReader checks that the Reader never panics, classifies every error as
// malformed input or a quota, and that whatever it accepts survives a
// Writer round trip with the same infoset.
func FuzzReader(f *testing.F) {
	for _, d := range seedDocs {
		f.Add([]byte(d))
	}
	f.Add(attack.TextDeep(40))
	f.Add(attack.TextCommentSplit(5000))
	f.Add(attack.TextLongString(5000))
	f.Fuzz(func(t *testing.T, data []byte) {
		opts := Options{MaxDepth: 32, MaxAttributes: 16, MaxStringBytes: 4096, MaxBytesPerRead: 4096}
		r := NewReader(data, opts)
		first, err := dump(&quotaOracle{Reader: r, t: t, opts: opts, inBytes: len(data)})
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
