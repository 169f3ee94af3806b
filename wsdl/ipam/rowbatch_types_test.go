package ipam_test

import (
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// randomTypedRows are rows of every type besides addresses and ranges —
// blocks, subnets, address spaces, custom fields, logical groups, group
// nodes (with ancestors), custom field associations, servers — with
// members set or nil at random, texts of any length up to long, mixed
// with a few address rows and nil rows: the row types whose simple
// members also go through the RowEncoder (newRowWriter).
func randomTypedRows(r *rand.Rand, n, long int) []ipam.AnyIpamObject {
	text := func() string {
		const alphabet = "abcXYZ019 -._<>&\"'é€"
		b := make([]rune, 0, long)
		for range r.IntN(long + 1) {
			b = append(b, []rune(alphabet[r.IntN(len(alphabet)):])[0])
		}
		return string(b)
	}
	str := func() *string {
		if r.IntN(3) == 0 {
			return nil
		}
		s := text()
		return &s
	}
	when := func() *time.Time {
		if r.IntN(2) == 0 {
			return nil
		}
		t := time.Date(2000+r.IntN(30), time.Month(1+r.IntN(12)), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60), r.IntN(1e9)/100*100, time.UTC)
		return &t
	}
	addr := func(v6 bool) netip.Addr {
		if r.IntN(10) == 0 {
			return netip.Addr{}
		}
		if v6 {
			var b [16]byte
			for i := range b {
				b[i] = byte(r.Uint32())
			}
			return netip.AddrFrom16(b)
		}
		return netip.AddrFrom4([4]byte{byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32())})
	}
	id := func() *int64 {
		if r.IntN(3) == 0 {
			return nil
		}
		v := r.Int64N(1 << 40)
		return &v
	}
	pick := func(names ...string) string { return names[r.IntN(len(names))] }
	value := func() *ipam.CustomFieldValue {
		if r.IntN(6) == 0 {
			return nil
		}
		return &ipam.CustomFieldValue{BuiltInCustomFieldValueID: r.Int64N(20), ParentCustomFieldName: text(),
			ParentCustomFieldNumber: r.Int32N(30), ParentCustomFieldRecordID: r.Int64N(1e6), RecordID: r.Int64(), Value: text()}
	}
	cfvs := func() []*ipam.CustomFieldValue {
		vs := make([]*ipam.CustomFieldValue, r.IntN(4))
		for i := range vs {
			if vs[i] = value(); vs[i] == nil {
				vs[i] = &ipam.CustomFieldValue{Value: text()}
			}
		}
		return vs
	}
	util := func() *ipam.IPUtilization {
		if r.IntN(2) == 0 {
			return nil
		}
		return &ipam.IPUtilization{IsValid: r.IntN(2) == 0, TotalAssignedAddresses: float64(r.IntN(1e6)),
			TotalAvailableAddresses: r.Float64() * 1e9, TotalUtilized: float64(r.IntN(300))}
	}
	customField := func() *ipam.CustomFieldRow {
		if r.IntN(5) == 0 {
			return nil
		}
		f := &ipam.CustomFieldRow{BuiltInCustomFieldNumber: pick("", "None", "ManagedBy", "AssignmentType"), Name: str(),
			Origin: pick("", "BuiltIn", "Custom"), RecordID: r.Int64N(1e6), Type: pick("", "MultiValued", "FreeForm")}
		if r.IntN(3) > 0 {
			f.Values = cfvs()
		}
		return f
	}
	var node func(depth int) *ipam.LogicalGroupNode
	node = func(depth int) *ipam.LogicalGroupNode {
		v6 := r.IntN(2) == 0
		g := &ipam.LogicalGroupNode{Type: pick("", "Range", "Subnet", "IPAddress", "ManagedServer"), IPv6: v6,
			CustomFieldRecordID: id(), LogicalGroupRecordID: id(), NodeCustomFieldValueID: id(), NodeLevel: id(), NodeValue: str(),
			AddressSpaceRecordID: r.Int64N(9), UtilizationStatistics: util()}
		if depth > 0 && r.IntN(4) > 0 {
			g.AncestorNodes = make([]*ipam.LogicalGroupNode, 1+r.IntN(3))
			for i := range g.AncestorNodes {
				if r.IntN(6) > 0 {
					g.AncestorNodes[i] = node(depth - 1)
				}
			}
		}
		return g
	}
	rows := make([]ipam.AnyIpamObject, n)
	for i := range rows {
		v6 := r.IntN(4) == 0
		switch r.IntN(12) {
		case 0:
			rows[i] = nil
		case 1, 2:
			b := &ipam.IPBlockRow{AccessScopeID: r.Int64N(9), AddressCategory: pick("", "Public", "Private"), AddressSpaceRecordID: r.Int64N(5),
				CustomFieldValues: cfvs(), Description: str(), EndIPAddress: addr(v6), IsInheritedAccessScope: r.IntN(2) == 0,
				LastAssignedDate: when(), LastModifiedDate: when(), NetworkID: addr(v6), NumberOfChildBlocks: r.Int32N(40), Owner: str(),
				ParentIPBlockRecordID: id(), PrefixLength: r.Int32N(129), RIRReceivedDate: when(), RecordID: r.Int64(),
				StartIPAddress: addr(v6), SubnetMask: addr(false), UtilizationStatistics: util()}
			if r.IntN(2) == 0 {
				b.Subnet = &ipam.IPSubnetMembers{CustomerAddressSpaceName: str(), IsOverlapping: r.IntN(2) == 0, Name: str(),
					ProviderAddressSpaceName: str(), UseForUtilization: r.IntN(2) == 0, VSID: r.Int32(),
					VirtualizationType: pick("", "NonVirtualized", "Provider", "Customer")}
				if r.IntN(2) == 0 {
					b.Subnet.VLANID = []int32{r.Int32N(4096), r.Int32N(4096)}[:r.IntN(3)]
				}
			}
			rows[i] = b
		case 3:
			rows[i] = &ipam.AddressSpaceRow{AccessScopeID: r.Int64N(9), Customer: r.IntN(2) == 0, CustomFieldValues: cfvs(),
				Description: str(), IPv4Utilization: util(), IPv6Utilization: util(), IsInheritedAccessScope: r.IntN(2) == 0,
				Name: str(), Owner: str(), RecordID: r.Int64(), IsDefault: r.IntN(2) == 0, ProviderAddressSpaceName: str(),
				ProviderAddressSpaceRecordID: r.Int64N(1e6)}
		case 4:
			if f := customField(); f != nil {
				rows[i] = f
			}
		case 5:
			g := &ipam.LogicalGroupRow{Type: pick("Range", "IPAddress", "ManagedServer", "Subnet"), IPv6: v6,
				BuiltInLogicalGroupNumber: pick("", "None", "ManagedBy"), Name: str(), Origin: pick("", "BuiltIn", "Custom"),
				RecordID: r.Int64(), Users: pick("", "None", "Ipam"), UtilizationStatistics: util()}
			for range r.IntN(4) {
				g.Fields = append(g.Fields, ipam.GroupField{CustomFieldName: str(), CustomFieldRecordID: r.Int64N(1e6), RecordID: r.Int64N(1e6)})
			}
			rows[i] = g
		case 6:
			rows[i] = node(2)
		case 7:
			a := &ipam.CustomFieldAssociationRow{CustomField1: customField(), CustomField2: customField()}
			if r.IntN(4) > 0 {
				a.Pairs = make([][2]*ipam.CustomFieldValue, r.IntN(4))
				for k := range a.Pairs {
					a.Pairs[k] = [2]*ipam.CustomFieldValue{value(), value()}
				}
			}
			rows[i] = a
		case 8, 9:
			s := &ipam.ServerInfoRow{ADDomain: str(), ADDomainRecordID: r.Int32N(50), ConfigurationRetrievalFlag: pick("", "None", "Completed"),
				Description: str(), Domain: str(), ForestName: str(), LastModified: when(), ManagementStatus: pick("", "Managed", "Unspecified"),
				Name: str(), NewFlag: pick("", "None", "New"), OSName: str(), OSVersion: pick("", "6.3", "10.0"), Owner: str(),
				RecordID: r.Int64(), SamAccountName: str(), ServerGuid: str()}
			if r.IntN(3) > 0 {
				s.IPAddresses = []netip.Addr{addr(false), addr(true)}[:r.IntN(3)]
			}
			if r.IntN(2) == 0 {
				s.ServerCustomDataCollection = cfvs()
			}
			if r.IntN(3) > 0 {
				for range r.IntN(3) {
					s.ServerRoleCollection = append(s.ServerRoleCollection, &ipam.ServerRoleRow{AuditFileAccessStatus: pick("", "None"),
						EventViewerAccessStatus: pick("", "None"), LastRefreshTime: when(), RecordID: r.Int64N(1e6), RpcAccessStatus: pick("", "None"),
						ServerRoleFlag: pick("", "Dhcp", "Dns", "Dc", "Nps"), ServerRoleInclusionStatus: r.IntN(2) == 0,
						ServiceStatus: pick("", "Running", "Stopped"), ServiceStatusModifiedTime: when()})
				}
			}
			rows[i] = s
		default:
			rows[i] = &ipam.IPAddressRow{AccessScopeID: r.Int64N(9), Address: addr(v6), AddressAssignment: "Static", AddressCategory: "Private",
				RecordID: r.Int64(), DeviceName: str(), Notes: str(), AssignedDate: when(), CustomFieldValues: cfvs()}
		}
	}
	return rows
}

// TestRowBatchAllRowTypesEqualMemberWriter is TestRowBatchEqualsMemberWriter
// over every other row type: blocks, subnets, address spaces, custom
// fields, logical groups, group nodes, custom field associations and
// servers written straight into their message (their simple members from
// the connection's kept records) give, message for message, the bytes of
// the same rows written member by member, on every encoding. Rule E5.
func TestRowBatchAllRowTypesEqualMemberWriter(t *testing.T) {
	for seed := range uint64(6) {
		r := rand.New(rand.NewPCG(seed, 23))
		rows := randomTypedRows(r, 300, 40)
		for _, enc := range batchEncodings {
			for _, bound := range []int{16 << 10, 64 << 10} {
				if msgs := sendAll(t, enc, rows, bound); msgs < 2 {
					t.Errorf("%v, bound %d: %d messages", enc, bound, msgs)
				}
			}
		}
	}
}

// FuzzRowBatchAllRowTypes is FuzzRowBatch over randomTypedRows.
func FuzzRowBatchAllRowTypes(f *testing.F) {
	f.Add(uint64(1), uint16(4000), uint8(40), uint8(30))
	f.Add(uint64(9), uint16(9000), uint8(200), uint8(10))
	f.Fuzz(func(t *testing.T, seed uint64, bound uint16, long, n uint8) {
		// At most 6 rows an input (FuzzRowBatch says why).
		rows := randomTypedRows(rand.New(rand.NewPCG(seed, 11)), int(n%6)+1, int(long))
		for _, enc := range batchEncodings {
			if b := 16<<10 + int(bound); rowsFit(enc, rows, b) {
				sendAll(t, enc, rows, b)
			}
		}
	})
}

// rowsFit reports whether each row alone makes a message of at most bound
// bytes (a larger one is a RowTooLargeError, not a difference).
func rowsFit(enc soap.Encoding, rows []ipam.AnyIpamObject, bound int) bool {
	h := &soap.Header{Action: ipam.ActionEnumeratedRowsCallback, To: soap.AddressAnonymous}
	for _, row := range rows {
		single := &ipam.RowBatch{MaxBytes: bound, Rows: []ipam.AnyIpamObject{row}}
		if _, err := soap.NewCodec(enc, soap.Limits{MaxMessageBytes: 1 << 20}).Encode(nil, h, single); err != nil {
			return false
		}
	}
	return true
}
