package ipam

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/ipamd/ipamd/soap/xmlstream"
)

// The FilterInfo items of the ByFilter parameter types (MS-IPAMM2 2.2.4.271
// IpamIPSubnetByFilterEnumerationParameters, 2.2.4.8
// AddressSpaceByFilterEnumerationParameters): a Tuple<key, object> whose
// m_Item2 is xsd:anyType, which the generator does not read, so these two
// are written by hand (ipamgen -handwritten). The value's type is its own
// i:type; the spec names none per key (docs/protocol.md, "ByFilter
// parameter types"), so the tuple keeps the type and the value's text, and
// the service decides what a key accepts.

// FilterCriterion is one FilterInfo item: Key (m_Item1, a GetIPSubnetFilter
// or GetAddressSpaceFilter name) and the value m_Item2.
type FilterCriterion struct {
	Key string
	// Value is m_Item2's text; for a sysnet:IPAddress value, the address
	// in its text form. Nil: i:nil.
	Value *string
	// ValueType is m_Item2's i:type ({namespace}local); "" when it has none.
	ValueType string
	// Unsupported: m_Item2 is a complex value of another type than
	// sysnet:IPAddress; it was skipped, and the criterion cannot be met.
	Unsupported bool
}

// TupleOfGetIPSubnetFilteranyType2zwQHvQz is a criterion of
// IpamIPSubnetByFilterEnumerationParameters.FilterInfo.
type TupleOfGetIPSubnetFilteranyType2zwQHvQz struct{ FilterCriterion }

// TupleOfGetAddressSpaceFilteranyType2zwQHvQz is a criterion of
// AddressSpaceByFilterEnumerationParameters.FilterInfo.
type TupleOfGetAddressSpaceFilteranyType2zwQHvQz struct{ FilterCriterion }

func (*TupleOfGetIPSubnetFilteranyType2zwQHvQz) xsdType() (space, local string) {
	return NamespaceSystem, "TupleOfGetIPSubnetFilteranyType2zwQHvQz"
}

func (*TupleOfGetAddressSpaceFilteranyType2zwQHvQz) xsdType() (space, local string) {
	return NamespaceSystem, "TupleOfGetAddressSpaceFilteranyType2zwQHvQz"
}

func (v *TupleOfGetIPSubnetFilteranyType2zwQHvQz) readContent(r xmlstream.Reader) error {
	return v.FilterCriterion.read(r)
}

func (v *TupleOfGetAddressSpaceFilteranyType2zwQHvQz) readContent(r xmlstream.Reader) error {
	return v.FilterCriterion.read(r)
}

func (v *TupleOfGetIPSubnetFilteranyType2zwQHvQz) writeContent(w xmlstream.Writer) error {
	return v.FilterCriterion.write(w)
}

func (v *TupleOfGetAddressSpaceFilteranyType2zwQHvQz) writeContent(w xmlstream.Writer) error {
	return v.FilterCriterion.write(w)
}

// The namespaces of the value types a criterion reads as text.
var filterTextSpaces = map[string]bool{
	"http://www.w3.org/2001/XMLSchema": true,
	Namespace:                          true, // enumerations (IPAddressSpaceType, ...)
	NamespaceSerialization:             true, // ser:guid, ser:char, ...
}

func (c *FilterCriterion) read(r xmlstream.Reader) error {
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
		case n.Name.Local == "m_Item1" && n.Name.Space == NamespaceSystem:
			if seen[0] {
				return invalid("filter criterion: <m_Item1> appears twice")
			}
			seen[0] = true
			if c.Key, err = xmlstream.ReadText(r); err != nil {
				return fmt.Errorf("<m_Item1>: %w", err)
			}
			c.Key = strings.TrimSpace(c.Key)
		case n.Name.Local == "m_Item2" && n.Name.Space == NamespaceSystem:
			if seen[1] {
				return invalid("filter criterion: <m_Item2> appears twice")
			}
			seen[1] = true
			if err := c.readValue(r, n); err != nil {
				return fmt.Errorf("<m_Item2>: %w", err)
			}
		default:
			if err := xmlstream.Skip(r); err != nil {
				return err
			}
		}
	}
	if !seen[0] {
		return invalid("filter criterion: <m_Item1> is missing")
	}
	return nil
}

func (c *FilterCriterion) readValue(r xmlstream.Reader, n *xmlstream.Node) error {
	space, local, typed, err := xmlstream.XSIType(r, n)
	if err != nil {
		return err
	}
	if typed {
		c.ValueType = "{" + space + "}" + local
	}
	if xmlstream.IsNil(n) {
		return xmlstream.Skip(r)
	}
	switch {
	case typed && space == NamespaceSystemNet && local == "IPAddress":
		a, err := readIPAddress(r)
		if err != nil {
			return err
		}
		s := a.String()
		c.Value = &s
		return nil
	case !typed || filterTextSpaces[space]:
		s, err := xmlstream.ReadText(r)
		if err != nil {
			return err
		}
		c.Value = &s
		return nil
	}
	c.Unsupported = true
	return xmlstream.Skip(r)
}

// readIPAddress reads the members of a sysnet:IPAddress (rows.go writes
// them): m_Address for IPv4, m_Numbers for IPv6.
func readIPAddress(r xmlstream.Reader) (netip.Addr, error) {
	var (
		address int64
		family  string
		numbers []uint16
	)
	for {
		n, err := xmlstream.NextStart(r)
		if err != nil {
			return netip.Addr{}, err
		}
		if n == nil {
			break
		}
		switch {
		case n.Name.Local == "m_Address":
			s, err := xmlstream.ReadText(r)
			if err != nil {
				return netip.Addr{}, err
			}
			if address, err = strconv.ParseInt(strings.TrimSpace(s), 10, 64); err != nil || address < 0 || address > 1<<32-1 {
				return netip.Addr{}, invalid("sysnet:IPAddress: m_Address is not an IPv4 address")
			}
		case n.Name.Local == "m_Family":
			if family, err = xmlstream.ReadText(r); err != nil {
				return netip.Addr{}, err
			}
		case n.Name.Local == "m_Numbers" && !xmlstream.IsNil(n):
			for {
				m, err := xmlstream.NextStart(r)
				if err != nil {
					return netip.Addr{}, err
				}
				if m == nil {
					break
				}
				s, err := xmlstream.ReadText(r)
				if err != nil {
					return netip.Addr{}, err
				}
				u, err := strconv.ParseUint(strings.TrimSpace(s), 10, 16)
				if err != nil || len(numbers) == 8 {
					return netip.Addr{}, invalid("sysnet:IPAddress: m_Numbers holds more than eight 16-bit numbers")
				}
				numbers = append(numbers, uint16(u))
			}
		default:
			if err := xmlstream.Skip(r); err != nil {
				return netip.Addr{}, err
			}
		}
	}
	switch strings.TrimSpace(family) {
	case "InterNetwork":
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], uint32(address))
		return netip.AddrFrom4(b), nil
	case "InterNetworkV6":
		var b [16]byte
		for i, u := range numbers {
			binary.BigEndian.PutUint16(b[2*i:], u)
		}
		return netip.AddrFrom16(b), nil
	}
	return netip.Addr{}, invalid("sysnet:IPAddress: m_Family must be InterNetwork or InterNetworkV6")
}

// write writes the criterion as a client sends it: the value typed
// xsd:string (its ValueType, when it names an XSD type).
func (c *FilterCriterion) write(w xmlstream.Writer) error {
	if err := writeText(w, "m_Item1", NamespaceSystem, c.Key); err != nil {
		return err
	}
	if c.Value == nil {
		return writeNil(w, "m_Item2", NamespaceSystem)
	}
	local := "string"
	if l, ok := strings.CutPrefix(c.ValueType, "{http://www.w3.org/2001/XMLSchema}"); ok {
		local = l
	}
	m := &rowWriter{w: w}
	m.startP("", "m_Item2", NamespaceSystem)
	m.xmlns("d", "http://www.w3.org/2001/XMLSchema")
	m.attr("i", "type", NamespaceXSI, "d:"+local)
	if m.err == nil {
		m.err = w.Text(*c.Value)
	}
	m.end()
	return m.err
}
