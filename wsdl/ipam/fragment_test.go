package ipam_test

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"github.com/ipamd/ipamd/soap/nbfx"
	"github.com/ipamd/ipamd/soap/xmlstream"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// memberWriter hides a writer's RowEncoder methods: rows written to it
// are written member by member.
type memberWriter struct{ xmlstream.Writer }

// TestFragmentsRepeatTheirBytes: the constant runs of members a row
// writer repeats from their first encoding (ipam.RowEncoder) give the
// bytes the members written one by one give, for rows of both families,
// with and without custom field values, the first time and after.
func TestFragmentsRepeatTheirBytes(t *testing.T) {
	str := func(s string) *string { return &s }
	at := time.Date(2013, 6, 3, 9, 0, 1, 0, time.UTC)
	cfv := func(id int64) *ipam.CustomFieldValue {
		return &ipam.CustomFieldValue{BuiltInCustomFieldValueID: 9, ParentCustomFieldName: "Device type", ParentCustomFieldRecordID: 7, RecordID: id, Value: "Terminal server"}
	}
	rows := []ipam.AnyIpamObject{
		&ipam.IPAddressRow{AccessScopeID: 1, Address: netip.MustParseAddr("10.0.0.10"), AssignedDate: &at, Owner: str("netops"),
			CustomFieldValues: []*ipam.CustomFieldValue{cfv(1), cfv(2)}, MacAddress: []byte{0, 0x15, 0x5d, 0, 0, 1},
			ParentIPRangeStartIP: netip.MustParseAddr("10.0.0.1"), ParentIPRangeEndIP: netip.MustParseAddr("10.0.0.254"), RecordID: 1},
		&ipam.IPAddressRow{AccessScopeID: 1, Address: netip.MustParseAddr("2001:db8::1"), CustomFieldValues: []*ipam.CustomFieldValue{}, RecordID: 2},
		&ipam.IPAddressRow{AccessScopeID: 1, Address: netip.MustParseAddr("10.0.0.11"), CustomFieldValues: []*ipam.CustomFieldValue{cfv(3)}, RecordID: 3},
		&ipam.IPRangeRow{StartIPAddress: netip.MustParseAddr("10.0.0.1"), EndIPAddress: netip.MustParseAddr("10.0.0.254"),
			SubnetID: netip.MustParseAddr("10.0.0.0"), SubnetMask: netip.MustParseAddr("255.255.255.0"),
			CustomFieldValues: []*ipam.CustomFieldValue{cfv(4)}, RecordID: 4},
	}
	ipam.AssignIDs(rows)
	write := func(w xmlstream.Writer) {
		t.Helper()
		body := &ipam.EnumeratedRowsCallback{Data: rows}
		if err := body.WriteBody(w); err != nil {
			t.Fatal(err)
		}
	}
	plain := nbfx.NewWriter(nil)
	write(memberWriter{plain})
	want := plain.Bytes()
	for i := range 3 {
		w := nbfx.NewWriter(nil)
		var _ ipam.RowEncoder = w
		write(w)
		if !bytes.Equal(w.Bytes(), want) {
			t.Fatalf("pass %d: %d bytes with fragments, %d member by member", i, len(w.Bytes()), len(want))
		}
	}
}
