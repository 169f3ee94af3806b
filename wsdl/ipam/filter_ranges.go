package ipam

import "github.com/ipamd/ipamd/soap/xmlstream"

// The FilterInfo items of IPRangeByFilterEnumerationParameters (2.2.4.306)
// and IpamIPAddressByFilterEnumerationParameters (2.2.4.262): read and
// written as the subnet and address space criteria are (filter.go).

// TupleOfGetIPRangeFilteranyType2zwQHvQz is a criterion of
// IPRangeByFilterEnumerationParameters.FilterInfo (m_Item1 a
// GetIPRangeFilter name).
type TupleOfGetIPRangeFilteranyType2zwQHvQz struct{ FilterCriterion }

// TupleOfGetIpamIPAddressFilteranyType2zwQHvQz is a criterion of
// IpamIPAddressByFilterEnumerationParameters.FilterInfo (m_Item1 a
// GetIpamIPAddressFilter name).
type TupleOfGetIpamIPAddressFilteranyType2zwQHvQz struct{ FilterCriterion }

func (*TupleOfGetIPRangeFilteranyType2zwQHvQz) xsdType() (space, local string) {
	return NamespaceSystem, "TupleOfGetIPRangeFilteranyType2zwQHvQz"
}

func (*TupleOfGetIpamIPAddressFilteranyType2zwQHvQz) xsdType() (space, local string) {
	return NamespaceSystem, "TupleOfGetIpamIPAddressFilteranyType2zwQHvQz"
}

func (v *TupleOfGetIPRangeFilteranyType2zwQHvQz) readContent(r xmlstream.Reader) error {
	return v.FilterCriterion.read(r)
}

func (v *TupleOfGetIpamIPAddressFilteranyType2zwQHvQz) readContent(r xmlstream.Reader) error {
	return v.FilterCriterion.read(r)
}

func (v *TupleOfGetIPRangeFilteranyType2zwQHvQz) writeContent(w xmlstream.Writer) error {
	return v.FilterCriterion.write(w)
}

func (v *TupleOfGetIpamIPAddressFilteranyType2zwQHvQz) writeContent(w xmlstream.Writer) error {
	return v.FilterCriterion.write(w)
}
