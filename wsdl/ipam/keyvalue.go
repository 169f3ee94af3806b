package ipam

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ipamd/ipamd/soap/xmlstream"
)

// KeyValueOfintanyType is one entry of the Filter of the LogicalGroupData
// parameter types (MS-IPAMM2 2.2.4.333-.335; serarr:ArrayOfKeyValueOfintanyType,
// a .NET Dictionary<int, object>): Key is the int key (a
// ServerInfoGetServerFilter value by number), Value the object, which
// carries its own i:type. The generator does not read xsd:anyType, so the
// entry is written by hand (ipamgen -handwritten); its value is read as
// FilterCriterion reads a FilterInfo value (filter.go), and the service
// decides what a key accepts (docs/protocol.md, "LogicalGroupData").
type KeyValueOfintanyType struct {
	Key int32
	// Value is the entry's value as FilterCriterion reads it (its Key
	// member unused).
	Value FilterCriterion
}

func (*KeyValueOfintanyType) xsdType() (space, local string) {
	return NamespaceArrays, "KeyValueOfintanyType"
}

func (v *KeyValueOfintanyType) readContent(r xmlstream.Reader) error {
	var seen [2]bool
	for {
		n, err := xmlstream.NextStart(r)
		if err != nil {
			return err
		}
		if n == nil {
			break
		}
		switch {
		case n.Name.Local == "Key" && n.Name.Space == NamespaceArrays:
			if seen[0] {
				return invalid("filter entry: <Key> appears twice")
			}
			seen[0] = true
			s, err := xmlstream.ReadText(r)
			if err != nil {
				return fmt.Errorf("<Key>: %w", err)
			}
			k, err := strconv.ParseInt(strings.TrimSpace(s), 10, 32)
			if err != nil {
				return invalid("filter entry: <Key> is not an int")
			}
			v.Key = int32(k)
		case n.Name.Local == "Value" && n.Name.Space == NamespaceArrays:
			if seen[1] {
				return invalid("filter entry: <Value> appears twice")
			}
			seen[1] = true
			if err := v.Value.readValue(r, n); err != nil {
				return fmt.Errorf("<Value>: %w", err)
			}
		default:
			if err := xmlstream.Skip(r); err != nil {
				return err
			}
		}
	}
	if !seen[0] {
		return invalid("filter entry: <Key> is missing")
	}
	return nil
}

// writeContent writes the entry as a client sends it: the value typed
// xsd:string (its ValueType, when it names an XSD type), or i:nil.
func (v *KeyValueOfintanyType) writeContent(w xmlstream.Writer) error {
	if err := writeText(w, "Key", NamespaceArrays, strconv.FormatInt(int64(v.Key), 10)); err != nil {
		return err
	}
	c := v.Value
	if c.Value == nil {
		return writeNil(w, "Value", NamespaceArrays)
	}
	local := "string"
	if l, ok := strings.CutPrefix(c.ValueType, "{"+NamespaceXSD+"}"); ok {
		local = l
	}
	m := &rowWriter{w: w}
	m.startP("", "Value", NamespaceArrays)
	m.xmlns("d", NamespaceXSD)
	m.attr("i", "type", NamespaceXSI, "d:"+local)
	if m.err == nil {
		m.err = w.Text(*c.Value)
	}
	m.end()
	return m.err
}
