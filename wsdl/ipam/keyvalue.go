package ipam

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ipamd/ipamd/soap/xmlstream"
)

// KeyValueOfintanyType is one entry of a serarr:ArrayOfKeyValueOfintanyType,
// .NET's Dictionary<int, object> as DataContractSerializer writes it: the
// Filter of ServerInfoEnumerationParameters (MS-IPAMM2 2.2.4.385), keyed by
// ServerInfoGetServerFilter values. Its Value is xsd:anyType, which the
// generator does not read, so the entry is read by hand (ipamgen
// -handwritten); the value is kept as a FilterInfo criterion's is (text, or
// the address of a sysnet:IPAddress) and the service decides what a key
// accepts.
type KeyValueOfintanyType struct {
	Key int32
	// Value is the entry's value: its text and i:type (Value.Key unused).
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
				return invalid("KeyValueOfintanyType: <Key> appears twice")
			}
			seen[0] = true
			s, err := xmlstream.ReadText(r)
			if err != nil {
				return fmt.Errorf("<Key>: %w", err)
			}
			k, err := strconv.ParseInt(strings.TrimSpace(s), 10, 32)
			if err != nil {
				return invalid("KeyValueOfintanyType: <Key> is not an int")
			}
			v.Key = int32(k)
		case n.Name.Local == "Value" && n.Name.Space == NamespaceArrays:
			if seen[1] {
				return invalid("KeyValueOfintanyType: <Value> appears twice")
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
		return invalid("KeyValueOfintanyType: <Key> is missing")
	}
	return nil
}

// writeContent writes the entry as a client sends it: the value typed
// xsd:string (or its ValueType, when that names an XSD type).
func (v *KeyValueOfintanyType) writeContent(w xmlstream.Writer) error {
	if err := writeText(w, "Key", NamespaceArrays, strconv.FormatInt(int64(v.Key), 10)); err != nil {
		return err
	}
	if v.Value.Value == nil {
		return writeNil(w, "Value", NamespaceArrays)
	}
	local := "string"
	if l, ok := strings.CutPrefix(v.Value.ValueType, "{http://www.w3.org/2001/XMLSchema}"); ok {
		local = l
	}
	m := &rowWriter{w: w}
	m.startP("", "Value", NamespaceArrays)
	m.xmlns("d", "http://www.w3.org/2001/XMLSchema")
	m.attr("i", "type", NamespaceXSI, "d:"+local)
	if m.err == nil {
		m.err = w.Text(*v.Value.Value)
	}
	m.end()
	return m.err
}
