package xmlstream

import (
	"errors"
	"testing"
)

func TestWriterScope(t *testing.T) {
	var s WriterScope
	steps := []struct {
		name    string
		do      func() (bool, error)
		declare bool
		err     bool
	}{
		{"root declares its default namespace", func() (bool, error) { return s.StartElement("", "Envelope", "urn:s") }, true, false},
		{"attribute prefix gets declared", func() (bool, error) { _, d, err := s.Attr("i", "nil", NSXSI); return d, err }, true, false},
		{"duplicate attribute", func() (bool, error) { _, d, err := s.Attr("i", "nil", NSXSI); return d, err }, false, true},
		{"rebinding a used prefix", func() (bool, error) { return s.Xmlns("i", "urn:other") }, false, true},
		{"repeat declaration is a no-op", func() (bool, error) { return s.Xmlns("i", NSXSI) }, false, false},
		{"child in scope needs no declaration", func() (bool, error) { return s.StartElement("", "Body", "urn:s") }, false, false},
		{"child rebinding default namespace", func() (bool, error) { return s.StartElement("", "x", "") }, true, false},
		{"xml prefix only for its namespace", func() (bool, error) { return s.StartElement("xml", "x", "urn:x") }, false, true},
		{"prefix without namespace", func() (bool, error) { return s.StartElement("p", "x", "") }, false, true},
		{"unprefixed attribute in a namespace", func() (bool, error) { _, d, err := s.Attr("", "a", "urn:a"); return d, err }, false, true},
		{"xmlns as attribute", func() (bool, error) { _, d, err := s.Attr("xmlns", "p", ""); return d, err }, false, true},
	}
	for _, st := range steps {
		d, err := st.do()
		if (err != nil) != st.err || d != st.declare {
			t.Fatalf("%s: declare=%v err=%v, want declare=%v err=%v", st.name, d, err, st.declare, st.err)
		}
		if err != nil && !errors.Is(err, ErrWriterMisuse) {
			t.Fatalf("%s: %v does not wrap ErrWriterMisuse", st.name, err)
		}
	}
	if ns, ok := s.Lookup(""); !ok || ns != "" {
		t.Fatalf("default namespace in <x> = %q,%v", ns, ok)
	}
	s.EndElement() // x
	if ns, _ := s.Lookup(""); ns != "urn:s" {
		t.Fatalf("after </x> default namespace = %q, want urn:s", ns)
	}
	s.EndElement() // Body
	s.EndElement() // Envelope
	if s.Depth() != 0 {
		t.Fatalf("depth %d", s.Depth())
	}
	if _, ok := s.Lookup("i"); ok {
		t.Fatal("prefix i still bound after the root closed")
	}
}

func TestReadTextAndSkip(t *testing.T) {
	r := &sliceReader{nodes: []Node{
		{Kind: StartElement, Name: Name{Local: "a"}},
		{Kind: Text, Text: "x"}, {Kind: Text, Text: "y"},
		{Kind: EndElement, Name: Name{Local: "a"}},
		{Kind: StartElement, Name: Name{Local: "b"}},
		{Kind: StartElement, Name: Name{Local: "c"}},
		{Kind: EndElement}, {Kind: EndElement},
		{Kind: EOF},
	}}
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if v, err := ReadText(r); err != nil || v != "xy" {
		t.Fatalf("ReadText = %q, %v", v, err)
	}
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadText(r); !errors.Is(err, ErrElementInText) || !errors.Is(err, ErrMalformed) {
		t.Fatalf("nested element: %v", err)
	}
	for range 2 { // rest of c, then rest of b
		if err := Skip(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := Skip(r); !errors.Is(err, ErrMalformed) {
		t.Fatalf("Skip past EOF: %v", err)
	}
}

type sliceReader struct {
	nodes []Node
	i     int
}

func (r *sliceReader) Next() (*Node, error) {
	n := &r.nodes[r.i]
	if r.i < len(r.nodes)-1 {
		r.i++
	}
	return n, nil
}
func (r *sliceReader) LookupNamespace(string) (string, bool) { return "", false }
func (r *sliceReader) Depth() int                            { return 0 }

func TestReaderScope(t *testing.T) {
	var s ReaderScope
	if ns, ok := s.Lookup(""); !ok || ns != "" {
		t.Fatalf("undeclared default namespace = %q,%v; want no namespace, bound", ns, ok)
	}
	root := s.Mark()
	if err := s.Declare(root, "a", "urn:a"); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][2]string{{"a", "urn:b"}, {"xmlns", "urn:x"}, {"xml", "urn:x"}, {"p", ""}, {"q", NSXMLNS}} {
		if err := s.Declare(root, bad[0], bad[1]); !errors.Is(err, ErrMalformed) {
			t.Errorf("Declare(%q, %q) = %v, want ErrMalformed", bad[0], bad[1], err)
		}
	}
	child := s.Mark()
	if err := s.Declare(child, "a", "urn:inner"); err != nil {
		t.Fatalf("redeclaring on a child: %v", err)
	}
	if ns, _ := s.Lookup("a"); ns != "urn:inner" {
		t.Fatalf("inner a = %q", ns)
	}
	s.Pop(child)
	if ns, _ := s.Lookup("a"); ns != "urn:a" {
		t.Fatalf("after Pop a = %q", ns)
	}
	if _, ok := s.Lookup("zz"); ok {
		t.Fatal("undeclared prefix resolved")
	}
}
