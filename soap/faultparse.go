package soap

import (
	"fmt"
	"strings"

	"github.com/ipamd/ipamd/soap/textxml"
	"github.com/ipamd/ipamd/soap/xmlstream"
)

// ReadFault parses an s:Fault from a body reader: the next node (after
// whitespace) must be the s:Fault StartElement; it reads through its end
// tag. It returns the fault and the s:Detail content re-encoded as text
// XML (nil without a detail); Fault.Detail replays that content. Nested
// subcodes below Subsubcode are ignored.
func ReadFault(r xmlstream.Reader) (*Fault, []byte, error) {
	n, err := nextNonSpace(r)
	if err != nil {
		return nil, nil, fmt.Errorf("soap: read fault: %w", err)
	}
	if n.Kind != xmlstream.StartElement || n.Name.Space != NSEnvelope || n.Name.Local != "Fault" {
		return nil, nil, fmt.Errorf("soap: read fault: got %s %q, want s:Fault: %w", n.Kind, n.Name.Local, ErrEnvelope)
	}
	f := &Fault{}
	var detail []byte
	var haveCode, haveReason bool
	for {
		n, err := nextNonSpace(r)
		if err != nil {
			return nil, nil, fmt.Errorf("soap: read fault: %w", err)
		}
		if n.Kind == xmlstream.EndElement {
			break
		}
		if n.Kind != xmlstream.StartElement || n.Name.Space != NSEnvelope {
			return nil, nil, fmt.Errorf("soap: read fault: unexpected %s %q: %w", n.Kind, n.Name.Local, ErrEnvelope)
		}
		switch n.Name.Local {
		case "Code":
			if err := readFaultCode(r, f, 0); err != nil {
				return nil, nil, fmt.Errorf("soap: read fault code: %w", err)
			}
			haveCode = true
		case "Reason":
			if err := readFaultReason(r, f); err != nil {
				return nil, nil, fmt.Errorf("soap: read fault reason: %w", err)
			}
			haveReason = true
		case "Detail":
			if detail, err = readDetail(r); err != nil {
				return nil, nil, fmt.Errorf("soap: read fault detail: %w", err)
			}
			if detail != nil {
				f.Detail = RawXML(detail)
			}
		default: // s:Node, s:Role
			if err := xmlstream.Skip(r); err != nil {
				return nil, nil, fmt.Errorf("soap: read fault: %w", err)
			}
		}
	}
	if !haveCode || !haveReason {
		return nil, nil, fmt.Errorf("soap: read fault: s:Code or s:Reason missing: %w", ErrEnvelope)
	}
	return f, detail, nil
}

func nextNonSpace(r xmlstream.Reader) (*xmlstream.Node, error) {
	for {
		n, err := r.Next()
		if err != nil {
			return nil, err
		}
		if n.Kind == xmlstream.Text && isSpace(n.Text) {
			continue
		}
		if n.Kind == xmlstream.EOF {
			return nil, fmt.Errorf("unexpected end of document: %w", xmlstream.ErrMalformed)
		}
		return n, nil
	}
}

// readFaultCode reads the content of s:Code (level 0) or s:Subcode.
func readFaultCode(r xmlstream.Reader, f *Fault, level int) error {
	haveValue := false
	for {
		n, err := nextNonSpace(r)
		if err != nil {
			return err
		}
		if n.Kind == xmlstream.EndElement {
			if !haveValue {
				return fmt.Errorf("s:Value missing: %w", ErrEnvelope)
			}
			return nil
		}
		if n.Kind != xmlstream.StartElement || n.Name.Space != NSEnvelope {
			return fmt.Errorf("unexpected %s %q: %w", n.Kind, n.Name.Local, ErrEnvelope)
		}
		switch n.Name.Local {
		case "Value":
			v, err := xmlstream.ReadText(r)
			if err != nil {
				return err
			}
			space, local, ok := resolveQName(r, strings.TrimSpace(v))
			if !ok {
				return fmt.Errorf("fault code %q: unbound prefix: %w", v, ErrEnvelope)
			}
			switch level {
			case 0:
				if space != NSEnvelope {
					return fmt.Errorf("fault code {%s}%s is not a SOAP 1.2 code: %w", space, local, ErrEnvelope)
				}
				f.Code = local
			case 1:
				f.SubcodeSpace, f.Subcode = space, local
			case 2:
				if space == f.SubcodeSpace {
					f.Subsubcode = local
				}
			}
			haveValue = true
		case "Subcode":
			if err := readFaultCode(r, f, level+1); err != nil {
				return err
			}
		default:
			if err := xmlstream.Skip(r); err != nil {
				return err
			}
		}
	}
}

// readFaultReason keeps the first s:Text, or the first English one.
func readFaultReason(r xmlstream.Reader, f *Fault) error {
	found := false
	for {
		n, err := nextNonSpace(r)
		if err != nil {
			return err
		}
		if n.Kind == xmlstream.EndElement {
			return nil
		}
		if n.Kind != xmlstream.StartElement {
			return fmt.Errorf("unexpected %s: %w", n.Kind, ErrEnvelope)
		}
		if n.Name.Space != NSEnvelope || n.Name.Local != "Text" {
			if err := xmlstream.Skip(r); err != nil {
				return err
			}
			continue
		}
		lang, _ := n.Attr(NSXML, "lang")
		text, err := xmlstream.ReadText(r)
		if err != nil {
			return err
		}
		english := strings.HasPrefix(strings.ToLower(lang), "en")
		if !found || (english && !strings.HasPrefix(strings.ToLower(f.Lang), "en")) {
			f.Reason, f.Lang, found = text, lang, true
		}
	}
}

// readDetail re-encodes the elements inside s:Detail as text XML.
func readDetail(r xmlstream.Reader) ([]byte, error) {
	var out []byte
	w := textxml.NewWriter(nil)
	for {
		n, err := nextNonSpace(r)
		if err != nil {
			return nil, err
		}
		switch n.Kind {
		case xmlstream.EndElement:
			return out, nil
		case xmlstream.Text:
			return nil, fmt.Errorf("text directly inside s:Detail: %w", ErrEnvelope)
		}
		w.Reset(out)
		if err := CopyElement(w, r, n); err != nil {
			return nil, err
		}
		if err := w.Close(); err != nil {
			return nil, err
		}
		out = w.Bytes()
	}
}

// resolveQName splits a QName value and resolves its prefix in the scope of
// the last StartElement of r (an unprefixed name takes the default
// namespace).
func resolveQName(r xmlstream.Reader, v string) (space, local string, ok bool) {
	prefix, local, found := strings.Cut(v, ":")
	if !found {
		prefix, local = "", v
	}
	if local == "" {
		return "", "", false
	}
	space, ok = r.LookupNamespace(prefix)
	switch {
	case ok:
		return space, local, true
	case prefix == "":
		return "", local, true
	}
	return "", "", false
}
