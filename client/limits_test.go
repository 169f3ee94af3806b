package client

import (
	"net/netip"
	"testing"

	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/soap/xmlstream"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// TestClientReadsSessionStringRows: rows that are mostly nil members,
// their names session string ids, decode to more than 3× their bytes
// (close to the server-side default of 4, which a row type with longer
// nil members would pass); the client's session limits read every row of
// every message (the first with the string table, the next without).
func TestClientReadsSessionStringRows(t *testing.T) {
	var rows []ipam.AnyIpamObject
	for i := range 12 {
		rows = append(rows, &ipam.IPRangeRow{RecordID: int64(i), StartIPAddress: netip.MustParseAddr("10.0.0.1"),
			EndIPAddress: netip.MustParseAddr("10.0.0.2"), SubnetID: netip.MustParseAddr("10.0.0.0"), SubnetMask: netip.MustParseAddr("255.255.255.0")})
	}
	ipam.AssignIDs(rows)
	h := &soap.Header{Action: ipam.ActionEnumeratedRowsCallback}
	server := soap.NewCodec(soap.EncodingBinarySession, soap.Limits{})
	var msgs [][]byte
	for range 2 {
		p, err := server.Encode(nil, h, &ipam.EnumeratedRowsCallback{Data: rows})
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, p)
	}
	read := func(lim soap.Limits) error {
		c := soap.NewCodec(soap.EncodingBinarySession, lim)
		for _, p := range msgs {
			env, err := c.Decode(p)
			if err != nil {
				return err
			}
			var m ipam.EnumeratedRows
			if err := m.ReadBody(env.Body()); err != nil {
				return err
			}
			if len(m.Rows) != len(rows) {
				t.Fatalf("%d rows, want %d", len(m.Rows), len(rows))
			}
		}
		return nil
	}
	if err := read(soap.Limits{MaxExpansion: 3}); xmlstream.QuotaName(err) == "" {
		t.Fatalf("a bound of 3× read these rows (%v): the test proves nothing", err)
	}
	if err := read((&Client{}).sessionLimits()); err != nil {
		t.Fatal(err)
	}
}
