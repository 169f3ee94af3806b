package services

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// sliceRows is a RowSource over rows held in memory.
type sliceRows []ipam.AnyIpamObject

func (s sliceRows) EnumerateRows(ctx context.Context, _ RowQuery, emit func(ipam.AnyIpamObject) error) error {
	for _, r := range s {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := emit(r); err != nil {
			return err
		}
	}
	return nil
}

// recordingCallback encodes every EnumeratedRowsCallback as the session
// would (binary and text) and keeps the sizes.
type recordingCallback struct {
	t                 *testing.T
	started, complete int
	rows              int
	maxText, maxBin   int
	exc               *ipam.IpamException
}

func (c *recordingCallback) NotifyEnumerationStart(context.Context) error { c.started++; return nil }

func (c *recordingCallback) EnumeratedRowsCallback(_ context.Context, data []ipam.AnyIpamObject) error {
	for enc, max := range map[soap.Encoding]*int{soap.EncodingText: &c.maxText, soap.EncodingBinarySession: &c.maxBin} {
		p, err := soap.NewCodec(enc, soap.Limits{}).Encode(nil, &soap.Header{Action: ipam.ActionEnumeratedRowsCallback,
			To: "http://www.w3.org/2005/08/addressing/anonymous"}, &ipam.EnumeratedRowsCallback{Data: data})
		if err != nil {
			c.t.Fatal(err)
		}
		*max = maxInt(*max, len(p))
	}
	c.rows += len(data)
	return nil
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

func (c *recordingCallback) NotifyEnumerationComplete(_ context.Context, _ ipam.AnyIpamObject, exc *ipam.IpamException) error {
	c.complete++
	c.exc = exc
	return nil
}

func testRows(n int) sliceRows {
	rows := make(sliceRows, n)
	long := strings.Repeat("x", 900)
	for i := range rows {
		a := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		rows[i] = &ipam.IPAddressRow{Address: a, RecordID: int64(i + 1), Notes: &long,
			CustomFieldValues: []*ipam.CustomFieldValue{{ParentCustomFieldName: "Managed by Service", Value: "IPAM"}}}
	}
	return rows
}

// TestEnumerationBatchesBounded: every EnumeratedRowsCallback stays under
// the bound in both encodings (so well under a WCF client's 64 KiB), all
// rows arrive, Start comes first and Complete once, last. Rule E5.
func TestEnumerationBatchesBounded(t *testing.T) {
	for _, limit := range []int{0, 8 << 10} {
		cb := &recordingCallback{t: t}
		e := &Enumerator{Store: NewMemory(true, false), Rows: testRows(3000), MaxBatchBytes: limit}
		s := e.NewSession(cb).(*enumeratorSession)
		q := RowQuery{Kind: AddressRows}
		s.query = &q
		exc := s.stream(context.Background(), q)
		if exc != nil || cb.rows != 3000 {
			t.Fatalf("limit %d: %v, %d rows", limit, exc, cb.rows)
		}
		bound := limit
		if bound == 0 {
			bound = DefaultMaxBatchBytes
		}
		// The envelope adds a few hundred bytes to the rows.
		if cb.maxText > bound+1024 || cb.maxBin > bound+1024 || cb.maxText >= 64<<10 {
			t.Errorf("limit %d: largest message %d bytes text, %d binary", bound, cb.maxText, cb.maxBin)
		}
		if cb.maxBin < bound/4 {
			t.Errorf("limit %d: largest binary message %d bytes: batches far smaller than the bound", bound, cb.maxBin)
		}
	}
}

// TestEnumerationStopsWhenSendFails: a failed EnumeratedRowsCallback (the
// session is gone) ends the reading. Rule E4.
func TestEnumerationStopsWhenSendFails(t *testing.T) {
	read := 0
	src := RowSourceFunc(func(ctx context.Context, q RowQuery, emit func(ipam.AnyIpamObject) error) error {
		for _, r := range testRows(5000) {
			read++
			if err := emit(r); err != nil {
				return err
			}
		}
		return nil
	})
	cb := &failingCallback{}
	e := &Enumerator{Store: NewMemory(true, false), Rows: src}
	s := e.NewSession(cb).(*enumeratorSession)
	exc := s.stream(context.Background(), RowQuery{Kind: AddressRows})
	if exc == nil || read >= 5000 || cb.sent != 1 {
		t.Errorf("after a failed send: %v, %d rows read, %d sends", exc, read, cb.sent)
	}
}

// RowSourceFunc adapts a function to RowSource.
type RowSourceFunc func(ctx context.Context, q RowQuery, emit func(ipam.AnyIpamObject) error) error

func (f RowSourceFunc) EnumerateRows(ctx context.Context, q RowQuery, emit func(ipam.AnyIpamObject) error) error {
	return f(ctx, q, emit)
}

type failingCallback struct{ sent int }

func (*failingCallback) NotifyEnumerationStart(context.Context) error { return nil }
func (c *failingCallback) EnumeratedRowsCallback(context.Context, []ipam.AnyIpamObject) error {
	c.sent++
	return errors.New("connection reset")
}
func (*failingCallback) NotifyEnumerationComplete(context.Context, ipam.AnyIpamObject, *ipam.IpamException) error {
	return nil
}

// TestRowQueryFor: the parameter types ipamd serves and its refusals.
// Rule E1.
func TestRowQueryFor(t *testing.T) {
	id := int64(7)
	virt := "Fabric NonVirtualized"
	bad := "Cloud"
	base := func(ot ipam.EnumerationObjectType) ipam.EnumerationParametersBase {
		return ipam.EnumerationParametersBase{ObjectType: ot}
	}
	for _, tc := range []struct {
		name  string
		p     ipam.AnyEnumerationParametersBase
		exc   string
		check func(q *RowQuery) bool
	}{
		{"example 4.3", &ipam.IPRangeByAddressSpaceAndVirtualizationTypeParameters{EnumerationParametersBase: base(ipam.EnumerationObjectTypeIPRange),
			AddressFamily: ipam.AddressFamilyInterNetwork, AddressSpaceRecordID: 1}, "",
			func(q *RowQuery) bool {
				return q.Kind == RangeRows && *q.AddressSpaceID == 1 && q.Virtualization == nil && !q.IPv6
			}},
		{"virtualization list", &ipam.IpamIPAddressByAddressSpaceAndVirtualizationTypeParameters{EnumerationParametersBase: base(ipam.EnumerationObjectTypeIPAddress),
			AddressFamily: ipam.AddressFamilyInterNetworkV6, VirtualizationType: &virt}, "",
			func(q *RowQuery) bool { return q.Kind == AddressRows && q.IPv6 && len(q.Virtualization) == 2 }},
		{"bad virtualization", &ipam.IpamIPAddressByAddressSpaceAndVirtualizationTypeParameters{EnumerationParametersBase: base(ipam.EnumerationObjectTypeIPAddress),
			AddressFamily: ipam.AddressFamilyInterNetwork, VirtualizationType: &bad}, ipam.IpamApiInvalidParameter, nil},
		{"range id", &ipam.IpamIPAddressByRangeIdEnumerationParameters{EnumerationParametersBase: base(ipam.EnumerationObjectTypeIPAddress),
			AddressFamily: ipam.AddressFamilyInterNetwork, RangeId: &id}, "", func(q *RowQuery) bool { return *q.RangeID == 7 }},
		{"nil", nil, ipam.IpamApiInvalidParameter, nil},
		{"None", &ipam.IPRangeRootEnumerationParameters{AddressFamily: ipam.AddressFamilyInterNetwork}, ipam.IpamApiInvalidEnumeration, nil},
		{"provisioning parameters", &ipam.IpamProvisioningEnumerationParameters{EnumerationParametersBase: base(ipam.EnumerationObjectTypeAsyncProvision)}, ipam.IpamApiInvalidEnumeration, nil},
		{"no family", &ipam.IPRangeRootEnumerationParameters{EnumerationParametersBase: base(ipam.EnumerationObjectTypeIPRange)}, ipam.IpamApiInvalidAddressFamily, nil},
	} {
		q, exc := RowQueryFor(tc.p)
		switch {
		case tc.exc != "" && (exc == nil || exc.ExceptionID != tc.exc):
			t.Errorf("%s: %v, want %s", tc.name, exc, tc.exc)
		case tc.exc == "" && (exc != nil || !tc.check(q)):
			t.Errorf("%s: %+v %v", tc.name, q, exc)
		}
	}
}

// batchCallback is the session's callback client on a real codec: each
// RowBatch is encoded into its message (ipam.RowBatchSender), and the
// sizes and rows of the messages are kept.
type batchCallback struct {
	recordingCallback
	codec *soap.Codec
	msgs  int
	first int // rows of the first message
	max   int
	ids   []int64 // RecordId of each row, in the order sent
}

func (c *batchCallback) SendRows(_ context.Context, b *ipam.RowBatch) error {
	p, err := c.codec.Encode(nil, &soap.Header{Action: ipam.ActionEnumeratedRowsCallback, To: soap.AddressAnonymous}, b)
	if err != nil {
		return err
	}
	c.max = maxInt(c.max, len(p))
	if c.msgs == 0 {
		c.first = b.Written
	}
	c.msgs++
	for _, r := range b.Rows[:b.Written] {
		c.ids = append(c.ids, r.(*ipam.IPAddressRow).RecordID)
	}
	c.rows += b.Written
	return nil
}

// TestEnumerationBatchesExactBound: with a callback client that writes
// rows straight into their message, no EnumeratedRowsCallback is larger
// than the bound — the whole message as encoded, in each encoding — every
// row goes once and in order, the first message carries one row (the
// first row goes out at once) and later ones fill up. A row that alone
// exceeds the bound ends the enumeration with IpamApiFetchFailed after
// the rows before it. Rule E5.
func TestEnumerationBatchesExactBound(t *testing.T) {
	for _, enc := range []soap.Encoding{soap.EncodingBinarySession, soap.EncodingText} {
		for _, limit := range []int{0, 8 << 10} {
			cb := &batchCallback{recordingCallback: recordingCallback{t: t}, codec: soap.NewCodec(enc, soap.Limits{})}
			e := &Enumerator{Store: NewMemory(true, false), Rows: testRows(3000), MaxBatchBytes: limit}
			s := e.NewSession(cb).(*enumeratorSession)
			if exc := s.stream(context.Background(), RowQuery{Kind: AddressRows}); exc != nil || cb.rows != 3000 {
				t.Fatalf("%v, limit %d: %v, %d rows", enc, limit, exc, cb.rows)
			}
			bound := limit
			if bound == 0 {
				bound = DefaultMaxBatchBytes
			}
			if cb.max > bound || cb.max < bound/2 || cb.first != 1 {
				t.Errorf("%v, limit %d: largest message %d bytes, %d rows in the first", enc, bound, cb.max, cb.first)
			}
			for i, id := range cb.ids {
				if id != int64(i+1) {
					t.Fatalf("%v: row %d is RecordId %d", enc, i, id)
				}
			}
		}
	}
	huge := strings.Repeat("n", 40<<10)
	rows := testRows(50)
	rows[30].(*ipam.IPAddressRow).Notes = &huge
	cb := &batchCallback{recordingCallback: recordingCallback{t: t}, codec: soap.NewCodec(soap.EncodingBinarySession, soap.Limits{})}
	e := &Enumerator{Store: NewMemory(true, false), Rows: rows}
	exc := e.NewSession(cb).(*enumeratorSession).stream(context.Background(), RowQuery{Kind: AddressRows})
	if exc == nil || exc.ExceptionID != ipam.IpamApiFetchFailed || cb.rows != 30 || cb.max > DefaultMaxBatchBytes {
		t.Errorf("a row over the bound: %v after %d rows", exc, cb.rows)
	}
}
