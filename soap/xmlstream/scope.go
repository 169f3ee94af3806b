package xmlstream

import (
	"errors"
	"fmt"
)

// Reserved namespaces of XML itself.
const (
	NSXML   = "http://www.w3.org/XML/1998/namespace"
	NSXMLNS = "http://www.w3.org/2000/xmlns/"
)

// ErrWriterMisuse is wrapped by WriterScope errors: calls that would produce
// XML with the wrong namespaces, a duplicate attribute or a rebound prefix.
var ErrWriterMisuse = errors.New("invalid XML writer call")

type binding struct{ prefix, uri string }

// WriterScope is the namespace bookkeeping every Writer implementation
// shares: which prefixes are bound in scope, which prefixes the open start
// tag's names already use, and its attributes. The encoding-specific writer
// asks it what to declare and writes the declarations in its own form.
type WriterScope struct {
	ns    []binding // declarations in scope, innermost last
	marks []int     // len(ns) at each open element
	used  []binding // prefixes the open start tag's names use
	attrs []binding // (space, local) of the open start tag's attributes
}

// Reset forgets everything, keeping the memory.
func (s *WriterScope) Reset() {
	clear(s.ns)
	s.ns, s.marks, s.used, s.attrs = s.ns[:0], s.marks[:0], s.used[:0], s.attrs[:0]
}

// Depth is the number of open elements.
func (s *WriterScope) Depth() int { return len(s.marks) }

// Lookup resolves prefix in scope; "xml" is always bound.
func (s *WriterScope) Lookup(prefix string) (string, bool) {
	for i := len(s.ns) - 1; i >= 0; i-- {
		if s.ns[i].prefix == prefix {
			return s.ns[i].uri, true
		}
	}
	if prefix == "xml" {
		return NSXML, true
	}
	return "", false
}

func misuse(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrWriterMisuse}, args...)...)
}

// StartElement opens an element named prefix:local in space and reports
// whether prefix must be declared on it (the scope records the declaration).
func (s *WriterScope) StartElement(prefix, local, space string) (declare bool, err error) {
	switch {
	case prefix == "xmlns":
		return false, misuse("<%s>: element prefix xmlns", local)
	case prefix == "xml" && space != NSXML:
		return false, misuse("<%s>: prefix xml bound to %q", local, space)
	case prefix != "" && space == "":
		return false, misuse("<%s:%s>: a prefix needs a namespace", prefix, local)
	}
	s.marks = append(s.marks, len(s.ns))
	s.used, s.attrs = s.used[:0], s.attrs[:0]
	s.used = append(s.used, binding{prefix, space})
	if prefix == "xml" {
		return false, nil
	}
	if cur, _ := s.Lookup(prefix); cur != space {
		s.ns = append(s.ns, binding{prefix, space})
		return true, nil
	}
	return false, nil
}

// Attr checks an attribute of the open start tag and reports the namespace
// it is in (xml: attributes may be given with space "") and whether its
// prefix must be declared first.
func (s *WriterScope) Attr(prefix, local, space string) (resolved string, declare bool, err error) {
	switch {
	case prefix == "xmlns" || (prefix == "" && local == "xmlns"):
		return "", false, misuse("attribute %q: use XmlnsAttr for namespace declarations", local)
	case prefix == "xml":
		if space == "" {
			space = NSXML
		} else if space != NSXML {
			return "", false, misuse("attribute xml:%s in namespace %q", local, space)
		}
	case prefix == "" && space != "":
		return "", false, misuse("attribute %q in %q needs a prefix", local, space)
	case prefix != "" && space == "":
		return "", false, misuse("attribute %s:%s needs a namespace", prefix, local)
	}
	for _, a := range s.attrs {
		if a.prefix == space && a.uri == local {
			return "", false, misuse("duplicate attribute %q", local)
		}
	}
	if prefix != "" && prefix != "xml" {
		if declare, err = s.bind(prefix, space, true); err != nil {
			return "", false, err
		}
		s.used = append(s.used, binding{prefix, space})
	}
	s.attrs = append(s.attrs, binding{space, local})
	return space, declare, nil
}

// Xmlns checks an explicit declaration on the open start tag and reports
// whether it must be written (a repeat of one already there is not).
func (s *WriterScope) Xmlns(prefix, space string) (declare bool, err error) {
	switch {
	case prefix == "xmlns" || space == NSXMLNS:
		return false, misuse("xmlns prefix and namespace cannot be declared")
	case prefix == "xml" || space == NSXML:
		if prefix == "xml" && space == NSXML {
			return false, nil
		}
		return false, misuse("prefix xml is bound to %q only", NSXML)
	case prefix != "" && space == "":
		return false, misuse("prefix %q cannot be bound to the empty namespace", prefix)
	}
	return s.bind(prefix, space, false)
}

// bind makes prefix denote space on the open start tag. It fails if that
// would change a name already written; onlyIfUnbound skips the declaration
// when an outer element already binds prefix to space.
func (s *WriterScope) bind(prefix, space string, onlyIfUnbound bool) (bool, error) {
	for _, u := range s.used {
		if u.prefix == prefix && u.uri != space {
			return false, misuse("prefix %q already denotes %q on this element", prefix, u.uri)
		}
	}
	for _, b := range s.ns[s.marks[len(s.marks)-1]:] {
		if b.prefix == prefix {
			if b.uri != space {
				return false, misuse("prefix %q already declared as %q on this element", prefix, b.uri)
			}
			return false, nil
		}
	}
	if onlyIfUnbound {
		if cur, ok := s.Lookup(prefix); ok && cur == space {
			return false, nil
		}
	}
	s.ns = append(s.ns, binding{prefix, space})
	return true, nil
}

// EndElement closes the innermost open element's scope.
func (s *WriterScope) EndElement() {
	mark := s.marks[len(s.marks)-1]
	clear(s.ns[mark:])
	s.ns = s.ns[:mark]
	s.marks = s.marks[:len(s.marks)-1]
}

// ReaderScope is the namespace scope every Reader implementation shares:
// the declarations of the open elements, innermost last. The reader records
// Mark() when an element starts, Declares its xmlns attributes, and Pops the
// mark when the element ends.
type ReaderScope struct {
	ns []binding
}

// Reset forgets every declaration, keeping the memory.
func (s *ReaderScope) Reset() {
	clear(s.ns)
	s.ns = s.ns[:0]
}

// Mark is the scope's position before an element's declarations.
func (s *ReaderScope) Mark() int { return len(s.ns) }

// Pop drops the declarations made since mark.
func (s *ReaderScope) Pop(mark int) {
	clear(s.ns[mark:])
	s.ns = s.ns[:mark]
}

// Lookup resolves prefix: "xml" and "xmlns" are always bound, and an
// undeclared default namespace is "no namespace".
func (s *ReaderScope) Lookup(prefix string) (string, bool) {
	for i := len(s.ns) - 1; i >= 0; i-- {
		if s.ns[i].prefix == prefix {
			return s.ns[i].uri, true
		}
	}
	switch prefix {
	case "xml":
		return NSXML, true
	case "xmlns":
		return NSXMLNS, true
	case "":
		return "", true
	}
	return "", false
}

// Declare binds prefix ("" = default) to uri on the element that started at
// mark. The error (wrapping ErrMalformed) says why the declaration is invalid.
func (s *ReaderScope) Declare(mark int, prefix, uri string) error {
	switch {
	case prefix == "xmlns" || uri == NSXMLNS:
		return fmt.Errorf("%w: the xmlns prefix and namespace cannot be declared", ErrMalformed)
	case (prefix == "xml") != (uri == NSXML):
		return fmt.Errorf("%w: prefix %q bound to %q", ErrMalformed, prefix, uri)
	case prefix != "" && uri == "":
		return fmt.Errorf("%w: prefix %q bound to the empty namespace", ErrMalformed, prefix)
	}
	for _, b := range s.ns[mark:] {
		if b.prefix == prefix {
			return fmt.Errorf("%w: prefix %q declared twice", ErrMalformed, prefix)
		}
	}
	s.ns = append(s.ns, binding{prefix, uri})
	return nil
}

// Grow makes room for depth open elements and decls declarations and
// attributes of one start tag in a single allocation, so that a writer
// made per connection does not grow its scope step by step on the first
// messages.
func (s *WriterScope) Grow(depth, decls int) {
	if cap(s.marks) < depth {
		s.marks = make([]int, len(s.marks), depth)
	}
	if cap(s.ns) >= decls {
		return
	}
	buf := make([]binding, 3*decls)
	s.ns = append(buf[:0:decls], s.ns...)
	s.used = append(buf[decls:decls:2*decls], s.used...)
	s.attrs = append(buf[2*decls:2*decls:3*decls], s.attrs...)
}

// Shrink drops the scope's memory when it holds room for more than decls
// declarations (a pooled reader must not pin what one message grew).
func (s *ReaderScope) Shrink(decls int) {
	if cap(s.ns) > decls {
		s.ns = nil
	}
}

// Grow makes room for decls declarations in scope.
func (s *ReaderScope) Grow(decls int) {
	if cap(s.ns) < decls {
		s.ns = append(make([]binding, 0, decls), s.ns...)
	}
}
