package ipam_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/soap/xmlstream"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// randomRows are address and range rows of both families with members
// set or nil at random, 0–4 custom field values, texts of any length up
// to long (ASCII, escapes, non-ASCII), and now and then a nil row or a
// block row.
func randomRows(r *rand.Rand, n, long int) []ipam.AnyIpamObject {
	text := func() string {
		const alphabet = "abcXYZ019 -._<>&\"'é€"
		var b strings.Builder
		for range r.IntN(long + 1) {
			s := alphabet[r.IntN(len(alphabet)):]
			c := []rune(s)[0]
			b.WriteRune(c)
		}
		return b.String()
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
		if v6 {
			var b [16]byte
			for i := range b {
				b[i] = byte(r.Uint32())
			}
			return netip.AddrFrom16(b)
		}
		return netip.AddrFrom4([4]byte{byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32())})
	}
	// Half the values are copies of a few, as a store's rows share the
	// values of its fields: a connection writes those once and then
	// repeats their records (rowWriter.valueRun).
	var shared [3]ipam.CustomFieldValue
	for i := range shared {
		shared[i] = ipam.CustomFieldValue{BuiltInCustomFieldValueID: r.Int64N(20), ParentCustomFieldName: text(),
			ParentCustomFieldNumber: r.Int32N(30), ParentCustomFieldRecordID: r.Int64N(1e6), RecordID: r.Int64(), Value: text()}
	}
	cfvs := func() []*ipam.CustomFieldValue {
		vs := make([]*ipam.CustomFieldValue, r.IntN(5))
		for i := range vs {
			if r.IntN(2) == 0 {
				c := shared[r.IntN(len(shared))]
				vs[i] = &c
				continue
			}
			vs[i] = &ipam.CustomFieldValue{BuiltInCustomFieldValueID: r.Int64N(20), ParentCustomFieldName: text(),
				ParentCustomFieldNumber: r.Int32N(30), ParentCustomFieldRecordID: r.Int64N(1e6), RecordID: r.Int64(), Value: text()}
		}
		return vs
	}
	id := func() *int64 {
		if r.IntN(2) == 0 {
			return nil
		}
		v := r.Int64()
		return &v
	}
	rows := make([]ipam.AnyIpamObject, n)
	for i := range rows {
		v6 := r.IntN(4) == 0
		switch k := r.IntN(20); {
		case k == 0:
			rows[i] = nil
		case k == 1:
			rows[i] = &ipam.IPBlockRow{StartIPAddress: addr(v6), EndIPAddress: addr(v6), NetworkID: addr(v6), RecordID: r.Int64(),
				Description: str(), CustomFieldValues: cfvs(), PrefixLength: r.Int32N(129)}
		case k < 5:
			rows[i] = &ipam.IPRangeRow{StartIPAddress: addr(v6), EndIPAddress: addr(v6), SubnetID: addr(v6), SubnetMask: addr(false),
				AccessScopeID: r.Int64N(9), RecordID: r.Int64(), Description: str(), DhcpScopeName: str(), Owner: str(),
				CustomFieldValues: cfvs(), LastChangeDate: when(), ParentIPBlockRecordID: id(), ScopeRecordID: id(),
				IsOverlapping: r.IntN(2) == 0, UseForUtilization: r.IntN(2) == 0, DNSServers: []string{text()},
				UtilizationStatistics: &ipam.IPUtilization{IsValid: true, TotalAssignedAddresses: float64(r.IntN(300))}}
		default:
			a := &ipam.IPAddressRow{AccessScopeID: r.Int64N(9), Address: addr(v6), AddressAssignment: "Static", AddressCategory: "Private",
				AddressSpaceRecordID: r.Int64N(5), AssetTag: str(), AssignedDate: when(), ChangedDate: when(),
				CreatedFromDNSResourceRecord: r.IntN(2) == 0, CustomFieldValues: cfvs(), DeviceName: str(), ExpiryDate: when(),
				IsDuplicate: r.IntN(2) == 0, Notes: str(), OSName: str(), Owner: str(), ParentIPRangeStartIP: addr(v6),
				ParentIPRangeEndIP: addr(v6), ParentIPRangeRecordID: id(), RecordID: r.Int64(), SerialNumber: str(), ClientID: str()}
			if r.IntN(2) == 0 {
				a.MacAddress = []byte(text())
			}
			if v6 && r.IntN(2) == 0 {
				iaid := r.Uint32()
				a.Iaid, a.Duid = &iaid, str()
			}
			rows[i] = a
		}
	}
	return rows
}

// memberBody writes an EnumeratedRowsCallback member by member (its
// writer's RowEncoder and BoundedWriter methods hidden): the oracle.
type memberBody struct{ *ipam.EnumeratedRowsCallback }

func (b memberBody) WriteBody(w xmlstream.Writer) error {
	return b.EnumeratedRowsCallback.WriteBody(memberWriter{w})
}

// sendAll writes rows as a rows batcher does, message after message on
// one connection's codec, and the same messages member by member on a
// second connection's codec: the bytes must be equal, every message at
// most bound bytes, and every row sent once, in order.
func sendAll(t testing.TB, enc soap.Encoding, rows []ipam.AnyIpamObject, bound int) (msgs int) {
	t.Helper()
	fast, slow := soap.NewCodec(enc, soap.Limits{}), soap.NewCodec(enc, soap.Limits{})
	h := &soap.Header{Action: ipam.ActionEnumeratedRowsCallback, To: soap.AddressAnonymous}
	batch := &ipam.RowBatch{MaxBytes: bound}
	held := 0
	var buf []byte
	for sent := 0; sent < len(rows); {
		// Hold a few more rows than fit, as the batcher does.
		held = min(len(rows), max(held, sent+1+len(rows)%7))
		batch.Rows = rows[sent:held]
		out, err := fast.Encode(buf[:0], h, batch)
		if err != nil {
			t.Fatalf("%v: message %d: %v", enc, msgs, err)
		}
		buf = out
		k := batch.Written
		if k < 1 || k > held-sent || len(out) > bound {
			t.Fatalf("%v: message %d: %d of %d rows, %d bytes, bound %d", enc, msgs, k, held-sent, len(out), bound)
		}
		want := make([]ipam.AnyIpamObject, k)
		copy(want, rows[sent:sent+k])
		ipam.AssignIDs(want)
		ref, err := slow.Encode(nil, h, memberBody{&ipam.EnumeratedRowsCallback{Data: want}})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, ref) {
			t.Fatalf("%v: message %d (%d rows): %d bytes written straight, %d member by member", enc, msgs, k, len(out), len(ref))
		}
		sent += k
		msgs++
		if held == sent {
			held = min(len(rows), sent+2*k)
		}
	}
	return msgs
}

var batchEncodings = []soap.Encoding{soap.EncodingBinarySession, soap.EncodingBinary, soap.EncodingText}

// TestRowBatchEqualsMemberWriter: rows written straight into their
// message and cut at the bound give, message for message, the bytes of
// the same rows written member by member as an EnumeratedRowsCallback
// (binary session with its string table, binary, text), no message is
// larger than the bound, and every row goes out once, in order. Rule E5.
func TestRowBatchEqualsMemberWriter(t *testing.T) {
	for seed := range uint64(6) {
		r := rand.New(rand.NewPCG(seed, 19))
		rows := randomRows(r, 300, 40)
		for _, enc := range batchEncodings {
			for _, bound := range []int{16 << 10, 32 << 10, 64 << 10} {
				if msgs := sendAll(t, enc, rows, bound); msgs < 2 {
					t.Errorf("%v, bound %d: %d messages", enc, bound, msgs)
				}
			}
		}
	}
}

// FuzzRowBatch is TestRowBatchEqualsMemberWriter on rows the fuzzer's
// seed makes, under bounds from tight (a row or two a message) to loose.
func FuzzRowBatch(f *testing.F) {
	f.Add(uint64(1), uint16(4000), uint8(40), uint8(30))
	f.Add(uint64(7), uint16(9000), uint8(200), uint8(10))
	f.Fuzz(func(t *testing.T, seed uint64, bound uint16, long, n uint8) {
		r := rand.New(rand.NewPCG(seed, 5))
		// At most 6 rows an input: with long members enough for several
		// messages at the smallest bounds, and fast enough for CI's 100,000
		// inputs.
		rows := randomRows(r, int(n%6)+1, int(long))
		for _, enc := range batchEncodings {
			b := 8<<10 + int(bound)
			single := &ipam.RowBatch{MaxBytes: b}
			fits := true
			for _, row := range rows {
				single.Rows = []ipam.AnyIpamObject{row}
				if _, err := soap.NewCodec(enc, soap.Limits{MaxMessageBytes: 1 << 20}).Encode(nil, &soap.Header{Action: ipam.ActionEnumeratedRowsCallback, To: soap.AddressAnonymous}, single); err != nil {
					fits = false
				}
			}
			if fits {
				sendAll(t, enc, rows, b)
			}
		}
	})
}

// TestRowBatchRowTooLarge: a row that alone makes the message larger than
// the bound is a *RowTooLargeError and nothing is sent; with other rows
// before it, those go and it waits (to fail alone in the next message).
func TestRowBatchRowTooLarge(t *testing.T) {
	huge := strings.Repeat("n", 20000)
	small := &ipam.IPAddressRow{Address: netip.MustParseAddr("10.0.0.1"), RecordID: 1}
	big := &ipam.IPAddressRow{Address: netip.MustParseAddr("10.0.0.2"), RecordID: 2, Notes: &huge}
	for _, enc := range batchEncodings {
		c := soap.NewCodec(enc, soap.Limits{})
		h := &soap.Header{Action: ipam.ActionEnumeratedRowsCallback, To: soap.AddressAnonymous}
		b := &ipam.RowBatch{MaxBytes: 16 << 10, Rows: []ipam.AnyIpamObject{small, big}}
		out, err := c.Encode(nil, h, b)
		if err != nil || b.Written != 1 || len(out) > 16<<10 {
			t.Fatalf("%v: %v, %d rows", enc, err, b.Written)
		}
		b.Rows = b.Rows[1:]
		_, err = c.Encode(nil, h, b)
		var tooLarge *ipam.RowTooLargeError
		if !errors.As(err, &tooLarge) || tooLarge.Size <= 16<<10 || tooLarge.Type != "IpamIPv4Address" {
			t.Fatalf("%v: a row of %d bytes: %v", enc, len(huge), err)
		}
	}
}

// TestRowBatchRewindTakesBackStrings: a row of a type not sent before
// adds its names to the binary session's string table; when it does not
// fit and is taken back, so are its names (and the runs remembered with
// them), for every bound of a sweep that cuts before, inside and after
// each new type.
func TestRowBatchRewindTakesBackStrings(t *testing.T) {
	mixed := func() []ipam.AnyIpamObject {
		rows := sessionRows(1)[:3]
		rows = append(rows, exampleRange())
		rows = append(rows, sessionRows(20)[:3]...)
		rows = append(rows, blockRows()...)
		return append(rows, sessionRows(40)...)
	}
	for _, enc := range batchEncodings {
		least := 0 // the largest row alone
		for _, row := range mixed() {
			p, err := soap.NewCodec(enc, soap.Limits{}).Encode(nil, &soap.Header{Action: ipam.ActionEnumeratedRowsCallback, To: soap.AddressAnonymous},
				&ipam.RowBatch{Rows: []ipam.AnyIpamObject{row}})
			if err != nil {
				t.Fatal(err)
			}
			least = max(least, len(p))
		}
		for bound := least; bound < 4*least; bound += 37 {
			sendAll(t, enc, mixed(), bound)
		}
	}
}

// TestRowBatchBoundIsExact: a message of exactly the bound takes its
// rows; one byte less and the last row waits (the writers' MessageSize
// counts the envelope, the string table and the end records to come).
func TestRowBatchBoundIsExact(t *testing.T) {
	for _, enc := range batchEncodings {
		two := func() []ipam.AnyIpamObject { return []ipam.AnyIpamObject{sessionRows(1)[0], sessionRows(1)[0]} }
		want := two()
		ipam.AssignIDs(want)
		h := &soap.Header{Action: ipam.ActionEnumeratedRowsCallback, To: soap.AddressAnonymous}
		ref, err := soap.NewCodec(enc, soap.Limits{}).Encode(nil, h, &ipam.EnumeratedRowsCallback{Data: want})
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct{ bound, rows int }{{len(ref), 2}, {len(ref) - 1, 1}} {
			b := &ipam.RowBatch{MaxBytes: tc.bound, Rows: two()}
			out, err := soap.NewCodec(enc, soap.Limits{}).Encode(nil, h, b)
			if err != nil || b.Written != tc.rows || len(out) > tc.bound {
				t.Errorf("%v: bound %d (two rows: %d bytes): %v, %d rows in %d bytes", enc, tc.bound, len(ref), err, b.Written, len(out))
			}
		}
	}
}
