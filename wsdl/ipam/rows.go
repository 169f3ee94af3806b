package ipam

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/ipamd/ipamd/soap/xmlstream"
)

// The rows IIpamEnumerator sends in EnumeratedRowsCallback.data (MS-IPAMM2
// 2.2.4.301 IPRange, 2.2.4.257 IpamIPAddress and their IPv4/IPv6 types).
// They are written by hand, not generated: the WSDL declares them for its
// clients (ipamgen -clientonly; docs/protocol.md, "Rows on the wire"), and
// they are written the way
// WCF's DataContractSerializer writes them, the spec's example 4.3 being the
// reference (wsdl/ipam/testdata/enumeration-4.3-rows.xml):
//
//   - each row is an <IpamObject i:type="IPv4Range"> item of ArrayOfIpamObject;
//   - every IpamObject-derived value carries z:Id="iN", numbered in document
//     order from i1 in each message (AssignIDs);
//   - base members first (ModifiedProperties, SetProperties), then the
//     type's members in ordinal order, the IPv4/IPv6 type's last;
//   - sysnet:IPAddress is .NET's System.Net.IPAddress: m_Address holds an
//     IPv4 address as the little-endian integer of its network-order bytes,
//     m_Numbers the eight 16-bit groups of an IPv6 address.
//
// Rows are write-only on the server; a client reads them generically
// (GenericRow).

// Unspecified is the location of a dateTime written without offset, as .NET
// writes a DateTime of kind Unspecified. Times in time.UTC are written with
// "Z"; others are converted to UTC.
var Unspecified = time.FixedZone("Unspecified", 0)

// CustomFieldValue (2.2.4.85) is one custom field value of a row; the row
// writes it as CustomFieldValues and again as PartialCustomFieldValues.
type CustomFieldValue struct {
	ID                        int // z:Id, set by AssignIDs
	BuiltInCustomFieldValueID int64
	ParentCustomFieldName     string
	ParentCustomFieldNumber   int32
	ParentCustomFieldRecordID int64
	RecordID                  int64
	Value                     string
}

// IPUtilization (2.2.4.? IPv4Utilization / IPv6Utilization) is a range's
// utilization statistics.
type IPUtilization struct {
	ID                                                             int // z:Id, set by AssignIDs
	IsValid                                                        bool
	TotalAssignedAddresses, TotalAvailableAddresses, TotalUtilized float64
}

// IPRangeRow is an IPv4Range or IPv6Range (by the family of StartIPAddress).
type IPRangeRow struct {
	ID                          int // z:Id, set by AssignIDs
	AccessScopeID               int64
	AddressAssignment           string // AddressAssignment name
	AddressCategory             string // AddressCategory name
	AddressSpaceRecordID        int64
	ConnectionSpecificDNSSuffix *string
	CustomFieldValues           []*CustomFieldValue
	CustomerAddressSpaceName    *string
	DNSServers, DNSSuffixes     []string
	Description                 *string
	DhcpScopeName               *string
	DhcpServerGUID              *string
	DhcpServerName              *string
	EndIPAddress                netip.Addr
	IsInheritedAccessScope      bool
	IsOverlapping               bool
	LastAssignedDate            *time.Time
	LastChangeDate              *time.Time
	LastReclaimRuntime          *time.Time
	NumberOfChildAddresses      int32
	Owner                       *string
	ParentIPBlockRecordID       *int64
	PrefixLength                int32
	ProviderAddressSpaceName    *string
	RangeOverlapState           string
	RecordID                    int64
	ScopeRecordID               *int64
	StartIPAddress              netip.Addr
	SubnetID, SubnetMask        netip.Addr
	UseForUtilization           bool
	UtilizationCalculationType  string
	UtilizationEventLogStatus   string
	UtilizationStatistics       *IPUtilization
	VirtualizationType          string
	WINSServers                 []string // IPv4Range only
}

// IPAddressRow is an IpamIPv4Address or IpamIPv6Address (by the family of
// Address).
type IPAddressRow struct {
	ID                               int // z:Id, set by AssignIDs
	AccessScopeID                    int64
	Address                          netip.Addr
	AddressAssignment                string
	AddressCategory                  string
	AddressSpaceRecordID             int64
	AssetTag                         *string
	AssignedDate, ChangedDate        *time.Time
	CreatedFromDNSResourceRecord     bool
	CustomFieldValues                []*CustomFieldValue
	CustomerAddressSpaceName         *string
	DeviceName                       *string
	ExpiryAndAlertEventLoggingStatus string // IPAddressExpiryStatus name
	ExpiryDate                       *time.Time
	InWarningPeriod, IsDuplicate     bool
	IsExpired                        bool
	MacAddress                       []byte // MACAddress.Address (base64Binary); nil is i:nil
	Notes, OSName, OSVersion, Owner  *string
	ParentIPRangeStartIP             netip.Addr
	ParentIPRangeEndIP               netip.Addr
	ParentIPRangeRecordID            *int64
	ProviderAddressSpaceName         *string
	RecordID                         int64
	SerialNumber                     *string
	VirtualizationType               string
	// IpamIPv4Address
	ClientID        *string
	ReservationType string // DhcpServingClientsType name
	// IpamIPv6Address
	Duid *string
	Iaid *uint32
}

var (
	_ AnyIpamObject = (*IPRangeRow)(nil)
	_ AnyIpamObject = (*IPAddressRow)(nil)
)

// GetIpamObject implements AnyIpamObject.
func (v *IPRangeRow) GetIpamObject() *IpamObject { return &IpamObject{} }

// GetIpamObject implements AnyIpamObject.
func (v *IPAddressRow) GetIpamObject() *IpamObject { return &IpamObject{} }

func (v *IPRangeRow) xsdType() (space, local string) {
	if v.StartIPAddress.Is6() {
		return Namespace, "IPv6Range"
	}
	return Namespace, "IPv4Range"
}

func (v *IPAddressRow) xsdType() (space, local string) {
	if v.Address.Is6() {
		return Namespace, "IpamIPv6Address"
	}
	return Namespace, "IpamIPv4Address"
}

func (v *IPRangeRow) readContent(r xmlstream.Reader) error {
	return invalid("IPRangeRow is written by the server only")
}

func (v *IPAddressRow) readContent(r xmlstream.Reader) error {
	return invalid("IPAddressRow is written by the server only")
}

// AssignIDs numbers the rows of one message and the IpamObject values they
// hold (z:Id), in document order from i1.
func AssignIDs(rows []AnyIpamObject) {
	n := 0
	next := func() int { n++; return n }
	for _, r := range rows {
		assignRowIDs(r, next)
	}
}

// assignRowIDs numbers one row and the IpamObject values it holds with
// next, in document order.
func assignRowIDs(r AnyIpamObject, next func() int) {
	cfvs := func(vs []*CustomFieldValue) {
		for _, c := range vs {
			if c != nil {
				c.ID = next()
			}
		}
	}
	switch v := r.(type) {
	case *IPRangeRow:
		v.ID = next()
		cfvs(v.CustomFieldValues)
		if v.UtilizationStatistics != nil {
			v.UtilizationStatistics.ID = next()
		}
	case *IPAddressRow:
		v.ID = next()
		cfvs(v.CustomFieldValues)
	case interface{ assignIDs(func() int) }: // the rows of rows_blocks.go
		v.assignIDs(next)
	}
}

// rowWriter writes members, remembering the first error.
type rowWriter struct {
	w   xmlstream.Writer
	err error
	// re is w when it is a RowEncoder (newRowWriter): the runs of members
	// go through it. members: its simple members do too (the row's
	// bindings are those its kept records assume). runs: it remembers the
	// runs of custom field values by their content on the connection.
	re      RowEncoder
	members bool
	runs    bool
	num     [40]byte // a number or date formatted for re (scratch)
	key     []byte   // the scratch of the runs' keys
}

// set records err when there is one: storing a nil error after each
// member would cost a write barrier while the collector runs (most of an
// enumeration's time).
func (m *rowWriter) set(err error) {
	if err != nil {
		m.err = err
	}
}

// rowWriters reuses the writers of rows (newRowWriter, release): one per
// row was an allocation per row of an enumeration.
var rowWriters = sync.Pool{New: func() any { return new(rowWriter) }}

// release returns m to rowWriters; m is not used after.
func (m *rowWriter) release() {
	*m = rowWriter{key: m.key[:0]}
	rowWriters.Put(m)
}

// newRowWriter returns the writer of one row's members, inside the row's
// element.
//
// The writer comes from a pool: a row writer that calls release when it
// is done lends it back (the address and range rows).
func newRowWriter(w xmlstream.Writer) *rowWriter {
	m := rowWriters.Get().(*rowWriter)
	m.w = w
	if re, ok := w.(RowEncoder); ok {
		m.re = re
		m.members = re.InScope("", Namespace) && re.InScope("i", NamespaceXSI)
		m.runs = m.members && re.RemembersRuns()
	}
	return m
}

func (m *rowWriter) text(local, value string) {
	if m.err != nil {
		return
	}
	if m.members {
		m.set(m.re.Member(local, Namespace, value))
		return
	}
	m.set(writeText(m.w, local, Namespace, value))
}

func (m *rowWriter) nilMember(local string) {
	if m.err != nil {
		return
	}
	if m.members {
		m.set(m.re.NilMember(local, Namespace))
		return
	}
	m.set(writeNil(m.w, local, Namespace))
}

func (m *rowWriter) str(local string, v *string) {
	if v == nil {
		m.nilMember(local)
		return
	}
	m.text(local, *v)
}

func (m *rowWriter) long(local string, v int64) {
	if m.members && m.err == nil {
		m.text(local, m.scratch(strconv.AppendInt(m.num[:0], v, 10)))
		return
	}
	m.text(local, strconv.FormatInt(v, 10))
}

func (m *rowWriter) longPtr(local string, v *int64) {
	if v == nil {
		m.nilMember(local)
		return
	}
	m.long(local, *v)
}

func (m *rowWriter) boolean(local string, v bool) { m.text(local, strconv.FormatBool(v)) }

func (m *rowWriter) double(local string, v float64) {
	m.text(local, strconv.FormatFloat(v, 'G', -1, 64))
}

func (m *rowWriter) dateTime(local string, v *time.Time) {
	if v == nil {
		m.nilMember(local)
		return
	}
	if m.members && m.err == nil {
		m.text(local, m.scratch(appendDateTime(m.num[:0], *v)))
		return
	}
	m.text(local, FormatDateTime(*v))
}

func (m *rowWriter) enum(local, v, first string) {
	if v == "" {
		v = first
	}
	m.text(local, v)
}

// textP writes <prefix:local>value</prefix:local>; the prefix is declared
// on an enclosing element (xmlnsAttr), as DataContractSerializer does, so
// the items of a collection do not each declare their namespace.
func (m *rowWriter) textP(prefix, local, space, value string) {
	m.startP(prefix, local, space)
	if m.err == nil {
		m.set(m.w.Text(value))
	}
	m.end()
}

func (m *rowWriter) startP(prefix, local, space string) {
	if m.err == nil {
		m.set(m.w.StartElement(prefix, local, space))
	}
}

func (m *rowWriter) xmlns(prefix, space string) {
	if m.err == nil {
		m.set(m.w.XmlnsAttr(prefix, space))
	}
}

func (m *rowWriter) start(local, space string) {
	if m.err == nil {
		m.set(m.w.StartElement("", local, space))
	}
}

func (m *rowWriter) end() {
	if m.err == nil {
		m.set(m.w.EndElement())
	}
}

func (m *rowWriter) attr(prefix, local, space, value string) {
	if m.err == nil {
		m.set(m.w.Attr(prefix, local, space, value))
	}
}

func (m *rowWriter) id(n int) {
	if n > 0 {
		if m.members && m.err == nil {
			v := m.scratch(strconv.AppendInt(append(m.num[:0], 'i'), int64(n), 10))
			m.set(m.re.MemberAttr("z", "Id", NamespaceSerialization, v))
			return
		}
		m.attr("z", "Id", NamespaceSerialization, "i"+strconv.Itoa(n))
	}
}

// strings writes an serarr:ArrayOfstring; nil is written empty (the rows of
// the example do so for their multivalued properties).
func (m *rowWriter) strings(local string, items []string) {
	m.start(local, Namespace)
	m.xmlns("b", NamespaceArrays)
	for _, s := range items {
		m.textP("b", "string", NamespaceArrays, s)
	}
	m.end()
}

// empty writes an empty collection.
func (m *rowWriter) empty(local string) {
	m.start(local, Namespace)
	m.end()
}

// ipAddress writes a sysnet:IPAddress; the zero Addr is i:nil.
func (m *rowWriter) ipAddress(local string, a netip.Addr) {
	if !a.IsValid() {
		m.nilMember(local)
		return
	}
	if (a.Is4() || a.Is4In6()) && m.members && m.err == nil {
		b := a.Unmap().As4()
		m.ipv4Address(local, m.scratch(strconv.AppendInt(m.num[:0], int64(binary.LittleEndian.Uint32(b[:])), 10)))
		return
	}
	m.start(local, Namespace)
	var address int64
	var numbers [8]uint16
	family := "InterNetwork"
	var scope int64
	if a.Is4() || a.Is4In6() {
		b := a.Unmap().As4()
		address = int64(binary.LittleEndian.Uint32(b[:]))
	} else {
		family = "InterNetworkV6"
		b := a.As16()
		for i := range numbers {
			numbers[i] = binary.BigEndian.Uint16(b[2*i:])
		}
		if z := a.Zone(); z != "" {
			scope, _ = strconv.ParseInt(z, 10, 64)
		}
	}
	m.xmlns("b", NamespaceSystemNet)
	if m.members && m.err == nil {
		m.textP("b", "m_Address", NamespaceSystemNet, m.scratch(strconv.AppendInt(m.num[:0], address, 10)))
	} else {
		m.textP("b", "m_Address", NamespaceSystemNet, strconv.FormatInt(address, 10))
	}
	if family == "InterNetwork" {
		ipv4Rest.writeTo(m)
		m.end()
		return
	}
	m.ipAddressRest(family, numbers, scope)
	m.end()
}

// ipv4Key is the memo key of the IPv4 sysnet:IPAddress member local: the
// address of local's bytes (a pointer: no allocation as an interface; the
// run keeps local's length to tell apart a name that shares them).
type ipv4Key byte

func ipv4KeyOf(local string) *ipv4Key { return (*ipv4Key)(unsafe.StringData(local)) }

// ipv4Address writes the IPv4 sysnet:IPAddress member local, whose
// m_Address is address: the first time on a connection member by member,
// remembering the bytes before and after the text; then from them (the
// element declares its own b prefix, so its bytes depend only on the
// default namespace, which newRowWriter checked, and on the connection's
// session strings, which the memo follows as it does the fragments').
// It was a quarter of an address row's encoding (docs/performance.md,
// "Encoding: kept records, attributes, the row writer").
func (m *rowWriter) ipv4Address(local, address string) {
	re := m.re
	if re == nil || !re.Remembers() {
		m.start(local, Namespace)
		m.xmlns("b", NamespaceSystemNet)
		m.textP("b", "m_Address", NamespaceSystemNet, address)
		ipv4Rest.writeTo(m)
		m.end()
		return
	}
	key := ipv4KeyOf(local)
	if b, ok := re.Remembered(key); ok && int(binary.LittleEndian.Uint32(b[4:])) == len(local) {
		head, tail := splitIPv4Run(b)
		m.set(re.RepeatText(head, address, tail))
		return
	} else if ok { // another name on the same bytes: not kept
		key = nil
	}
	from := re.Offset()
	m.start(local, Namespace)
	m.xmlns("b", NamespaceSystemNet)
	m.startP("b", "m_Address", NamespaceSystemNet)
	headEnd := re.Offset()
	if m.err == nil {
		m.set(m.w.Text(address))
	}
	m.end()
	textEnd := re.Offset()
	ipv4Rest.writeTo(m)
	m.end()
	if m.err == nil && key != nil && local != "" {
		enc := re.Encoded(from)
		run := make([]byte, 0, 8+len(enc)-(textEnd-headEnd))
		run = binary.LittleEndian.AppendUint32(run, uint32(headEnd-from))
		run = binary.LittleEndian.AppendUint32(run, uint32(len(local)))
		run = append(run, enc[:headEnd-from]...)
		run = append(run, enc[textEnd-from:]...)
		re.Remember(key, run)
	}
}

// splitIPv4Run splits a run ipv4Address remembered: the length of the
// head, the length of local, the head, the tail.
func splitIPv4Run(b []byte) (head, tail []byte) {
	n := int(binary.LittleEndian.Uint32(b))
	return b[8 : 8+n], b[8+n:]
}

// ipv4Rest is what follows m_Address in every IPv4 sysnet:IPAddress.
var ipv4Rest = &fragment{uses: [][2]string{{"b", NamespaceSystemNet}}, write: func(m *rowWriter) {
	m.ipAddressRest("InterNetwork", [8]uint16{}, 0)
}}

func (m *rowWriter) ipAddressRest(family string, numbers [8]uint16, scope int64) {
	m.textP("b", "m_Family", NamespaceSystemNet, family)
	m.textP("b", "m_HashCode", NamespaceSystemNet, "0")
	m.startP("b", "m_Numbers", NamespaceSystemNet)
	m.xmlns("c", NamespaceArrays)
	for _, n := range numbers {
		m.textP("c", "unsignedShort", NamespaceArrays, strconv.FormatUint(uint64(n), 10))
	}
	m.end()
	m.textP("b", "m_ScopeId", NamespaceSystemNet, strconv.FormatInt(scope, 10))
}

// baseMembers writes BaseIpamObject's members of a row: nil, as the
// example's rows have them.
func (m *rowWriter) baseMembers() {
	m.nilMember("ModifiedProperties")
	m.nilMember("SetProperties")
}

// setCustomFieldMembers are what the example's CustomFieldValues list as
// modified and set.
var setCustomFieldMembers = []string{"ParentCustomFieldRecordId", "ParentCustomFieldName", "ParentCustomFieldNumber", "Value"}

// customFieldValueLists are the base members of every CustomFieldValue.
var customFieldValueLists = &fragment{uses: [][2]string{{"", Namespace}}, write: func(m *rowWriter) {
	m.strings("ModifiedProperties", setCustomFieldMembers)
	m.strings("SetProperties", setCustomFieldMembers)
}}

func (m *rowWriter) customFieldValues(vs []*CustomFieldValue) {
	m.start("CustomFieldValues", Namespace)
	for _, c := range vs {
		m.start("CustomFieldValue", Namespace)
		m.id(c.ID)
		m.valueRun('F', c, (*rowWriter).setValueMembers)
		m.end()
	}
	m.end()
}

// setValueMembers writes the members of a CustomFieldValue set on an
// object after its z:Id.
func (m *rowWriter) setValueMembers(c *CustomFieldValue) {
	customFieldValueLists.writeTo(m)
	m.valueMembers(c)
}

// valueMembers writes a CustomFieldValue's own members, after its base
// members.
func (m *rowWriter) valueMembers(c *CustomFieldValue) {
	m.long("BuiltInCustomFieldValueId", c.BuiltInCustomFieldValueID)
	m.text("ParentCustomFieldName", c.ParentCustomFieldName)
	m.long("ParentCustomFieldNumber", int64(c.ParentCustomFieldNumber))
	m.long("ParentCustomFieldRecordId", c.ParentCustomFieldRecordID)
	m.long("RecordId", c.RecordID)
	m.text("Value", c.Value)
}

func (m *rowWriter) partialCustomFieldValues(vs []*CustomFieldValue) {
	m.start("PartialCustomFieldValues", Namespace)
	for _, c := range vs {
		m.valueRun('P', c, (*rowWriter).customFieldPartialValue)
	}
	m.end()
}

func (m *rowWriter) customFieldPartialValue(c *CustomFieldValue) {
	m.start("CustomFieldPartialValue", Namespace)
	m.long("ParentCustomFieldId", c.ParentCustomFieldRecordID)
	m.text("Value", c.Value)
	m.long("ValueId", c.RecordID)
	m.end()
}

// maxValueRunKey bounds the key of a custom field value's run: a value
// with a longer name and text is written member by member.
const maxValueRunKey = 512

// valueRun writes whole elements of c with write, the same records for
// the same members of c on a connection: the first time member by
// member, remembering the records under c's members, then as those
// records (the custom field values were almost half an address row's
// encoding: a store has a few hundred distinct ones, each on thousands of
// rows; docs/performance.md, "Enumeration"). The records depend on c's
// members, the session's strings (the memo follows them as it does the
// fragments') and the bindings in scope, which are those newRowWriter and
// the lists' fragment check; kind tells apart the runs of one value.
func (m *rowWriter) valueRun(kind byte, c *CustomFieldValue, write func(*rowWriter, *CustomFieldValue)) {
	if !m.runs || m.err != nil || len(c.ParentCustomFieldName)+len(c.Value) > maxValueRunKey {
		write(m, c)
		return
	}
	key := append(m.key[:0], kind)
	key = binary.LittleEndian.AppendUint64(key, uint64(c.BuiltInCustomFieldValueID))
	key = binary.LittleEndian.AppendUint64(key, uint64(c.ParentCustomFieldRecordID))
	key = binary.LittleEndian.AppendUint64(key, uint64(c.RecordID))
	key = binary.LittleEndian.AppendUint32(key, uint32(c.ParentCustomFieldNumber))
	key = binary.AppendUvarint(key, uint64(len(c.ParentCustomFieldName)))
	key = append(append(key, c.ParentCustomFieldName...), c.Value...)
	m.key = key
	if b, ok := m.re.RememberedRun(key); ok {
		m.set(m.re.Repeat(b, len(b)))
		return
	}
	from := m.re.Offset()
	write(m, c)
	if m.err == nil {
		m.re.RememberRun(key, m.re.Encoded(from))
	}
}

func (v *IPRangeRow) writeContent(w xmlstream.Writer) error {
	m := newRowWriter(w)
	defer m.release()
	m.id(v.ID)
	m.baseMembers()
	m.long("AccessScopeId", v.AccessScopeID)
	m.enum("AddressAssignment", v.AddressAssignment, "None")
	m.enum("AddressCategory", v.AddressCategory, "None")
	m.long("AddressSpaceRecordId", v.AddressSpaceRecordID)
	m.str("ConnectionSpecificDNSSuffix", v.ConnectionSpecificDNSSuffix)
	m.customFieldValues(v.CustomFieldValues)
	m.str("CustomerAddressSpaceName", v.CustomerAddressSpaceName)
	m.strings("DNSServers", v.DNSServers)
	m.strings("DNSSuffixes", v.DNSSuffixes)
	m.str("Description", v.Description)
	m.str("DhcpScopeName", v.DhcpScopeName)
	m.str("DhcpServerGuid", v.DhcpServerGUID)
	m.str("DhcpServerName", v.DhcpServerName)
	m.ipAddress("EndIPAddress", v.EndIPAddress)
	m.empty("ExclusionRanges")
	m.empty("Gateways")
	m.boolean("IsInheritedAccessScope", v.IsInheritedAccessScope)
	m.boolean("IsOverlapping", v.IsOverlapping)
	m.dateTime("LastAssignedDate", v.LastAssignedDate)
	m.dateTime("LastChangeDate", v.LastChangeDate)
	m.dateTime("LastReclaimRuntime", v.LastReclaimRuntime)
	// MappedReverseLookupZone (minOccurs 0) is omitted, as in the example.
	m.long("NumberOfChildAddresses", int64(v.NumberOfChildAddresses))
	m.str("Owner", v.Owner)
	m.longPtr("ParentIPBlockRecordId", v.ParentIPBlockRecordID)
	m.partialCustomFieldValues(v.CustomFieldValues)
	m.long("PrefixLength", int64(v.PrefixLength))
	m.str("ProviderAddressSpaceName", v.ProviderAddressSpaceName)
	m.enum("RangeOverlapState", v.RangeOverlapState, "NotOverlapping")
	m.long("RecordId", v.RecordID)
	m.empty("ReservedIPRanges")
	m.empty("ReservedIPs")
	m.longPtr("ScopeRecordId", v.ScopeRecordID)
	m.ipAddress("StartIPAddress", v.StartIPAddress)
	m.ipAddress("SubnetId", v.SubnetID)
	m.ipAddress("SubnetMask", v.SubnetMask)
	m.boolean("UseForUtilization", v.UseForUtilization)
	m.enum("UtilizationCalculationType", v.UtilizationCalculationType, "None")
	m.enum("UtilizationEventLogStatus", v.UtilizationEventLogStatus, "None")
	if u := v.UtilizationStatistics; u == nil {
		m.nilMember("UtilizationStatistics")
	} else {
		m.start("UtilizationStatistics", Namespace)
		m.id(u.ID)
		typ := "IPv4Utilization"
		if v.StartIPAddress.Is6() {
			typ = "IPv6Utilization"
		}
		m.attr("i", "type", NamespaceXSI, typ)
		m.nilMember("EndTime")
		m.boolean("IsValid", u.IsValid)
		m.nilMember("StartTime")
		m.double("TotalAssignedAddresses", u.TotalAssignedAddresses)
		m.double("TotalAvailableAddresses", u.TotalAvailableAddresses)
		m.double("TotalUtilizedAddresses", u.TotalUtilized)
		if v.StartIPAddress.Is6() {
			m.double("TotalStatefulAddresses", 0)
		}
		m.end()
	}
	m.empty("VIPRanges")
	m.empty("VIPs")
	m.enum("VirtualizationType", v.VirtualizationType, "NonVirtualized")
	if !v.StartIPAddress.Is6() {
		m.strings("WINSServers", v.WINSServers)
	}
	return m.err
}

func (v *IPAddressRow) writeContent(w xmlstream.Writer) error {
	m := newRowWriter(w)
	defer m.release()
	m.id(v.ID)
	m.baseMembers()
	m.long("AccessScopeId", v.AccessScopeID)
	m.ipAddress("Address", v.Address)
	m.enum("AddressAssignment", v.AddressAssignment, "None")
	m.enum("AddressCategory", v.AddressCategory, "None")
	m.long("AddressSpaceRecordId", v.AddressSpaceRecordID)
	m.str("AssetTag", v.AssetTag)
	m.dateTime("AssignedDate", v.AssignedDate)
	m.dateTime("ChangedDate", v.ChangedDate)
	m.boolean("CreatedFromDnsResourceRecord", v.CreatedFromDNSResourceRecord)
	m.customFieldValues(v.CustomFieldValues)
	m.str("CustomerAddressSpaceName", v.CustomerAddressSpaceName)
	m.str("DeviceName", v.DeviceName)
	// DHCP, DNS and reservation members: nil, no data collection fills
	// them (docs/data-model.md, "Enumerated rows").
	addressDHCPAndDNS.writeTo(m)
	m.enum("ExpiryAndAlertEventLoggingStatus", v.ExpiryAndAlertEventLoggingStatus, "None")
	m.dateTime("ExpiryDate", v.ExpiryDate)
	m.boolean("InWarningPeriod", v.InWarningPeriod)
	m.boolean("IsDuplicate", v.IsDuplicate)
	m.boolean("IsExpired", v.IsExpired)
	if v.MacAddress == nil {
		m.nilMember("MacAddress")
	} else {
		m.start("MacAddress", Namespace)
		if m.members && m.err == nil && base64.StdEncoding.EncodedLen(len(v.MacAddress)) <= len(m.num) {
			m.text("Address", m.scratch(base64.StdEncoding.AppendEncode(m.num[:0], v.MacAddress)))
		} else {
			m.text("Address", base64.StdEncoding.EncodeToString(v.MacAddress))
		}
		m.end()
	}
	m.str("Notes", v.Notes)
	m.str("OSName", v.OSName)
	m.str("OSVersion", v.OSVersion)
	m.str("Owner", v.Owner)
	m.ipAddress("ParentIPRangeEndIP", v.ParentIPRangeEndIP)
	m.longPtr("ParentIPRangeRecordId", v.ParentIPRangeRecordID)
	m.ipAddress("ParentIPRangeStartIP", v.ParentIPRangeStartIP)
	m.partialCustomFieldValues(v.CustomFieldValues)
	m.str("ProviderAddressSpaceName", v.ProviderAddressSpaceName)
	m.long("RecordId", v.RecordID)
	addressReservation.writeTo(m)
	m.str("SerialNumber", v.SerialNumber)
	m.enum("VirtualizationType", v.VirtualizationType, "NonVirtualized")
	if v.Address.Is6() {
		m.str("Duid", v.Duid)
		if v.Iaid == nil {
			m.nilMember("Iaid")
		} else {
			m.text("Iaid", strconv.FormatUint(uint64(*v.Iaid), 10))
		}
	} else {
		m.str("ClientID", v.ClientID)
		m.enum("ReservationType", v.ReservationType, "Dhcp")
	}
	return m.err
}

// addressDHCPAndDNS and addressReservation are the members of an address
// row that no data collection fills (docs/data-model.md, "Enumerated
// rows"): the same in every row.
var (
	addressDHCPAndDNS = &fragment{uses: [][2]string{{"", Namespace}, {"i", NamespaceXSI}}, write: func(m *rowWriter) {
		m.nilMember("DhcpScopeDescription")
		m.nilMember("DhcpScopeId")
		m.nilMember("DhcpScopeName")
		m.nilMember("DhcpScopeSubnetId")
		m.nilMember("DnsForwardLookupZoneDnsServerId")
		m.nilMember("DnsForwardLookupZoneServerName")
		m.text("DnsForwardSyncStatus", "NotAttempted")
		m.nilMember("DnsReverseLookupZoneDnsServerId")
		m.nilMember("DnsReverseLookupZoneId")
		m.nilMember("DnsReverseLookupZoneName")
		m.nilMember("DnsReverseLookupZonePrefix")
		m.nilMember("DnsReverseLookupZoneServerName")
		m.text("DnsReverseSyncStatus", "NotAttempted")
		m.nilMember("DnsZoneId")
		m.nilMember("DnsZoneName")
	}}
	addressReservation = &fragment{uses: [][2]string{{"", Namespace}, {"i", NamespaceXSI}}, write: func(m *rowWriter) {
		m.nilMember("ReservationDescription")
		m.nilMember("ReservationName")
		m.nilMember("ReservationRecordId")
		m.nilMember("ReservationServerName")
		m.text("ReservationSyncStatus", "NotAttempted")
	}}
)

// FormatDateTime writes t as DataContractSerializer writes a DateTime: up
// to seven fraction digits without trailing zeros, "Z" for UTC, no offset
// for the Unspecified location.
func FormatDateTime(t time.Time) string {
	unspecified := t.Location() == Unspecified
	if !unspecified {
		t = t.UTC()
	}
	s := t.Format("2006-01-02T15:04:05.9999999")
	if !unspecified {
		s += "Z"
	}
	return s
}

// ParseIPAddressText reads an address as the store keeps it (its text
// form); "" is the zero Addr (written i:nil).
func ParseIPAddressText(s string) netip.Addr {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return netip.Addr{}
	}
	return a
}

// WriteItem writes one row as an item of ArrayOfIpamObject (an
// <IpamObject> element with its i:type), e.g. to measure it.
func WriteItem(w xmlstream.Writer, row AnyIpamObject) error {
	return writeElement(w, "IpamObject", Namespace, row, Namespace, "IpamObject")
}

// GenericRow is an enumerated row as a client reads it without knowing its
// type: its i:type and its members in document order. A member's value is
// nil (i:nil), a string (simple content; a sysnet:IPAddress becomes its
// text form), a []any (a collection) or a *GenericRow (a nested object).
type GenericRow struct {
	Type    string
	Members []GenericMember
}

// GenericMember is one member of a GenericRow.
type GenericMember struct {
	Name  string
	Value any
}

// Get returns the value of the member name, or nil.
func (r *GenericRow) Get(name string) any {
	for _, m := range r.Members {
		if m.Name == name {
			return m.Value
		}
	}
	return nil
}

// EnumeratedRows is the body of EnumeratedRowsCallback as a client reads
// it: rows of any type (GenericRow), where the generated
// EnumeratedRowsCallback knows only the types of the contract.
type EnumeratedRows struct {
	Rows []*GenericRow
}

// collectionItems are the item element names of the collections rows hold.
var collectionItems = map[string]bool{"string": true, "unsignedShort": true, "CustomFieldValue": true,
	"CustomFieldPartialValue": true, "IpamObject": true, "TupleOfstringstring": true, "DhcpExclusionRange": true,
	"GatewayAddress": true, "int": true, "LogicalGroupNode": true, "LogicalGroupField": true}

// ReadBody reads <EnumeratedRowsCallback><data>…</data></EnumeratedRowsCallback>.
func (v *EnumeratedRows) ReadBody(r xmlstream.Reader) error {
	if err := readWrapper(r, "EnumeratedRowsCallback", Namespace); err != nil {
		return err
	}
	v.Rows = nil
	for {
		n, err := xmlstream.NextStart(r)
		if err != nil {
			return err
		}
		if n == nil {
			return nil
		}
		if n.Name.Local != "data" || xmlstream.IsNil(n) {
			if err := xmlstream.Skip(r); err != nil {
				return err
			}
			continue
		}
		for {
			item, err := xmlstream.NextStart(r)
			if err != nil {
				return err
			}
			if item == nil {
				break
			}
			if xmlstream.IsNil(item) {
				v.Rows = append(v.Rows, nil)
				if err := xmlstream.Skip(r); err != nil {
					return err
				}
				continue
			}
			_, local, _, err := xmlstream.XSIType(r, item)
			if err != nil {
				return err
			}
			row := &GenericRow{Type: local}
			if err := readGenericMembers(r, row); err != nil {
				return fmt.Errorf("row %d: %w", len(v.Rows), err)
			}
			v.Rows = append(v.Rows, row)
		}
	}
}

// readGenericMembers reads the members of the element just started, and
// its end.
func readGenericMembers(r xmlstream.Reader, row *GenericRow) error {
	for {
		n, err := xmlstream.NextStart(r)
		if err != nil {
			return err
		}
		if n == nil {
			return nil
		}
		name := n.Name.Local
		val, err := readGenericValue(r, n)
		if err != nil {
			return fmt.Errorf("<%s>: %w", name, err)
		}
		row.Members = append(row.Members, GenericMember{Name: name, Value: val})
	}
}

// readGenericValue reads the element n just started.
func readGenericValue(r xmlstream.Reader, n *xmlstream.Node) (any, error) {
	if xmlstream.IsNil(n) {
		return nil, xmlstream.Skip(r)
	}
	_, typ, _, err := xmlstream.XSIType(r, n)
	if err != nil {
		return nil, err
	}
	var (
		text     strings.Builder
		children []GenericMember
	)
read:
	for {
		c, err := r.Next()
		if err != nil {
			return nil, err
		}
		switch c.Kind {
		case xmlstream.Text:
			text.WriteString(c.Text)
			continue
		case xmlstream.StartElement:
			name, space := c.Name.Local, c.Name.Space
			v, err := readGenericValue(r, c)
			if err != nil {
				return nil, err
			}
			if space == NamespaceSystemNet {
				name = "sysnet:" + name
			}
			children = append(children, GenericMember{Name: name, Value: v})
			continue
		case xmlstream.EOF:
			return nil, fmt.Errorf("%w: unexpected end", xmlstream.ErrMalformed)
		}
		break read // EndElement
	}
	if len(children) == 0 {
		return text.String(), nil
	}
	if a, ok := ipAddressOf(children); ok {
		return a, nil
	}
	list := collectionItems[children[0].Name]
	for _, c := range children[1:] {
		list = list && c.Name == children[0].Name
	}
	if list {
		items := make([]any, len(children))
		for i, c := range children {
			items[i] = c.Value
		}
		return items, nil
	}
	return &GenericRow{Type: typ, Members: children}, nil
}

// ipAddressOf reads the members of a sysnet:IPAddress as its text form.
func ipAddressOf(m []GenericMember) (string, bool) {
	get := func(name string) any {
		for _, x := range m {
			if x.Name == "sysnet:"+name {
				return x.Value
			}
		}
		return nil
	}
	family, _ := get("m_Family").(string)
	switch family {
	case "InterNetwork":
		s, _ := get("m_Address").(string)
		v, err := strconv.ParseUint(strings.TrimSpace(s), 10, 32)
		if err != nil {
			return "", false
		}
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], uint32(v))
		return netip.AddrFrom4(b).String(), true
	case "InterNetworkV6":
		nums, _ := get("m_Numbers").([]any)
		if len(nums) != 8 {
			return "", false
		}
		var b [16]byte
		for i, x := range nums {
			s, _ := x.(string)
			v, err := strconv.ParseUint(strings.TrimSpace(s), 10, 16)
			if err != nil {
				return "", false
			}
			binary.BigEndian.PutUint16(b[2*i:], uint16(v))
		}
		return netip.AddrFrom16(b).String(), true
	}
	return "", false
}
