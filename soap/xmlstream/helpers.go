package xmlstream

import (
	"errors"
	"fmt"
	"strings"
)

// NSXSI is the XML Schema instance namespace (xsi:type, xsi:nil).
const NSXSI = "http://www.w3.org/2001/XMLSchema-instance"

// ErrElementInText is wrapped (with ErrMalformed) by ReadText when a child
// element appears where only text may; the reader is then left just after
// that child's StartElement.
var ErrElementInText = errors.New("element inside text-only content")

// ErrTextTooLong is returned by ReadTextMax for content beyond its limit;
// the reader is then left inside the element.
var ErrTextTooLong = errors.New("text content too long")

// ReadText is called right after a StartElement: it returns the element's
// character content and consumes its EndElement. A child element is an error:
// the caller expected a simple-typed value. The Readers bound an element's
// text (MaxStringContentLength), so neither does ReadText.
func ReadText(r Reader) (string, error) { return ReadTextMax(r, 0) }

// ReadTextMax is ReadText that fails with ErrTextTooLong, before joining
// text nodes, when the content would exceed limit bytes (0 = no limit).
func ReadTextMax(r Reader, limit int) (string, error) {
	var (
		first string
		sb    strings.Builder
		parts int
	)
	for {
		n, err := r.Next()
		if err != nil {
			return "", err
		}
		switch n.Kind {
		case Text:
			if limit > 0 {
				have := len(first)
				if parts > 1 {
					have = sb.Len()
				}
				if have+len(n.Text) > limit {
					return "", ErrTextTooLong
				}
			}
			if parts == 0 {
				first = n.Text
			} else {
				if parts == 1 {
					sb.WriteString(first)
				}
				sb.WriteString(n.Text)
			}
			parts++
		case EndElement:
			if parts > 1 {
				return sb.String(), nil
			}
			return first, nil
		case StartElement:
			return "", fmt.Errorf("<%s> inside a simple value: %w: %w", n.Name.Local, ErrElementInText, ErrMalformed)
		default:
			return "", fmt.Errorf("%w: unexpected end of document in a simple value", ErrMalformed)
		}
	}
}

// Skip consumes the rest of the element whose StartElement was just read,
// including its EndElement.
func Skip(r Reader) error {
	depth := 1
	for depth > 0 {
		n, err := r.Next()
		if err != nil {
			return err
		}
		switch n.Kind {
		case StartElement:
			depth++
		case EndElement:
			depth--
		case EOF:
			return fmt.Errorf("%w: unexpected end of document", ErrMalformed)
		}
	}
	return nil
}

// IsNil reports whether a StartElement carries xsi:nil="true".
func IsNil(n *Node) bool {
	v, ok := n.Attr(NSXSI, "nil")
	if !ok {
		return false
	}
	switch strings.TrimSpace(v) {
	case "true", "1":
		return true
	}
	return false
}

// XSIType resolves the xsi:type QName of a StartElement against the reader's
// namespace scope. An unprefixed value resolves to the default namespace, as
// DataContractSerializer writes it (i:type="IpamProvisioningEnumerationParameters").
func XSIType(r Reader, n *Node) (space, local string, ok bool, err error) {
	v, present := n.Attr(NSXSI, "type")
	if !present {
		return "", "", false, nil
	}
	prefix, local := "", v
	if i := strings.IndexByte(v, ':'); i >= 0 {
		prefix, local = v[:i], v[i+1:]
	}
	if local == "" {
		return "", "", false, fmt.Errorf("%w: empty xsi:type", ErrMalformed)
	}
	space, bound := r.LookupNamespace(prefix)
	if !bound && prefix != "" {
		return "", "", false, fmt.Errorf("%w: xsi:type prefix %q is not declared", ErrMalformed, prefix)
	}
	return space, local, true, nil
}

// NextStart skips text and returns the next StartElement inside the current
// element, or nil when the current element's EndElement was consumed.
func NextStart(r Reader) (*Node, error) {
	for {
		n, err := r.Next()
		if err != nil {
			return nil, err
		}
		switch n.Kind {
		case StartElement:
			return n, nil
		case EndElement:
			return nil, nil
		case EOF:
			return nil, fmt.Errorf("%w: unexpected end of document", ErrMalformed)
		}
	}
}
