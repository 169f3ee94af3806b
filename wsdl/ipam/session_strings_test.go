package ipam_test

import (
	"bytes"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/soap/nbfx"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// sessionRows are rows of both families, with and without custom field
// values, and the example's range.
func sessionRows(first int64) []ipam.AnyIpamObject {
	str := func(s string) *string { return &s }
	at := time.Date(2013, 6, 3, 9, 0, 1, 0, time.UTC)
	cfv := func(id int64) *ipam.CustomFieldValue {
		return &ipam.CustomFieldValue{BuiltInCustomFieldValueID: 9, ParentCustomFieldName: "Device type", ParentCustomFieldRecordID: 7, RecordID: id, Value: "Terminal server"}
	}
	rows := []ipam.AnyIpamObject{
		&ipam.IPAddressRow{AccessScopeID: 1, Address: netip.MustParseAddr("10.0.0.10"), AssignedDate: &at, Owner: str("netops"),
			CustomFieldValues: []*ipam.CustomFieldValue{cfv(first), cfv(first + 1)}, MacAddress: []byte{0, 0x15, 0x5d, 0, 0, 1},
			ParentIPRangeStartIP: netip.MustParseAddr("10.0.0.1"), ParentIPRangeEndIP: netip.MustParseAddr("10.0.0.254"), RecordID: first},
		&ipam.IPAddressRow{AccessScopeID: 1, Address: netip.MustParseAddr("2001:db8::1"), CustomFieldValues: []*ipam.CustomFieldValue{}, RecordID: first + 2},
		&ipam.IPAddressRow{AccessScopeID: 1, Address: netip.MustParseAddr("10.0.0.11"), CustomFieldValues: []*ipam.CustomFieldValue{cfv(first + 3)}, RecordID: first + 3},
		exampleRange(),
	}
	ipam.AssignIDs(rows)
	return rows
}

// TestFragmentsRepeatTheirBytesInSession: on a connection with an NBFSE
// session table, the constant runs a row writer repeats (remembered per
// connection: their names are that connection's session ids) give the
// bytes the members written one by one on a second connection give,
// message after message.
func TestFragmentsRepeatTheirBytesInSession(t *testing.T) {
	withRuns, oneByOne := nbfx.NewWriterSession(0, 0), nbfx.NewWriterSession(0, 0)
	for i := range 4 {
		body := &ipam.EnumeratedRowsCallback{Data: sessionRows(int64(10 * i))}
		w := nbfx.NewWriter(nil)
		w.SetSession(withRuns)
		w.CollectSessionStrings(true)
		if err := body.WriteBody(w); err != nil {
			t.Fatal(err)
		}
		m := nbfx.NewWriter(nil)
		m.SetSession(oneByOne)
		m.CollectSessionStrings(true)
		if err := body.WriteBody(memberWriter{m}); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(w.Bytes(), m.Bytes()) || !bytes.Equal(withRuns.AppendStringTable(nil), oneByOne.AppendStringTable(nil)) {
			t.Fatalf("message %d: %d bytes with runs, %d member by member", i, len(w.Bytes()), len(m.Bytes()))
		}
		withRuns.Commit()
		oneByOne.Commit()
	}
}

// TestEnumeratedRowsSessionStrings: EnumeratedRowsCallback messages on one
// binary session connection carry their names once, in the first
// message's string table; every message decodes (on the reading side's
// table) to the infoset the text encoding gives, and the later messages
// are less than half the size of the same rows without the table.
// Rule T16.
func TestEnumeratedRowsSessionStrings(t *testing.T) {
	h := &soap.Header{Action: ipam.ActionEnumeratedRowsCallback, To: "http://www.w3.org/2005/08/addressing/anonymous"}
	send, recv := soap.NewCodec(soap.EncodingBinarySession, soap.Limits{}), soap.NewCodec(soap.EncodingBinarySession, soap.Limits{})
	plain, err := soap.NewCodec(soap.EncodingBinary, soap.Limits{}).Encode(nil, h, &ipam.EnumeratedRowsCallback{Data: sessionRows(100)})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		rows := sessionRows(int64(100 * (i + 1)))
		p, err := send.Encode(nil, h, &ipam.EnumeratedRowsCallback{Data: rows})
		if err != nil {
			t.Fatal(err)
		}
		text, err := soap.NewCodec(soap.EncodingText, soap.Limits{}).Encode(nil, h, &ipam.EnumeratedRowsCallback{Data: rows})
		if err != nil {
			t.Fatal(err)
		}
		tenv, err := soap.NewCodec(soap.EncodingText, soap.Limits{}).Decode(text)
		if err != nil {
			t.Fatal(err)
		}
		want := canonicalStream(t, tenv.Body())
		env, err := recv.Decode(p)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if got := canonicalStream(t, env.Body()); !slices.Equal(got, want) {
			t.Fatalf("message %d:\n%s", i, diffLines(got, want))
		}
		switch {
		case i == 0 && p[0] == 0:
			t.Errorf("the first message has an empty string table")
		case i > 0 && p[0] != 0:
			t.Errorf("message %d adds strings again (table % x…)", i, p[:4])
		case i > 0 && 2*len(p) >= len(plain)+1:
			t.Errorf("message %d: %d bytes, %d without the session table", i, len(p), len(plain)+1)
		}
		t.Logf("message %d: %d bytes (%d without the session table, %d as text)", i, len(p), len(plain)+1, len(text))
	}
}

// TestSessionStringsTakenBackWhenNotSent: a rows message over the message
// size limit is not sent, so the strings it added are taken back: the
// next message carries them, and the reader, which never saw the first,
// reads it.
// Rule T16.
func TestSessionStringsTakenBackWhenNotSent(t *testing.T) {
	h := &soap.Header{Action: ipam.ActionEnumeratedRowsCallback}
	send, recv := soap.NewCodec(soap.EncodingBinarySession, soap.Limits{MaxMessageBytes: 4096}), soap.NewCodec(soap.EncodingBinarySession, soap.Limits{})
	big := append(append(sessionRows(1), sessionRows(20)...), sessionRows(40)...)
	ipam.AssignIDs(big)
	if _, err := send.Encode(nil, h, &ipam.EnumeratedRowsCallback{Data: big}); err == nil {
		t.Fatal("a message over the limit was encoded")
	}
	p, err := send.Encode(nil, h, &ipam.EnumeratedRowsCallback{Data: sessionRows(1)[:1]})
	if err != nil {
		t.Fatal(err)
	}
	env, err := recv.Decode(p)
	if err != nil {
		t.Fatal(err)
	}
	var m ipam.EnumeratedRows
	if err := m.ReadBody(env.Body()); err != nil || len(m.Rows) != 1 || m.Rows[0].Get("RecordId") != "1" {
		t.Fatalf("rows %+v, %v", m.Rows, err)
	}
}
