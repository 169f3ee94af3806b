//go:build linux

package services

import (
	"context"
	"fmt"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// storeLikeRows are address rows as a converted store gives them (the
// members store/enumerate.go fills, 2–3 custom field values each).
func storeLikeRows(n int) sliceRows {
	rows := make(sliceRows, n)
	str := func(s string) *string { return &s }
	at := time.Date(2012, 11, 3, 8, 14, 55, 123000000, time.UTC)
	for i := range rows {
		id := int64(i + 1)
		r := &ipam.IPAddressRow{AccessScopeID: 1, Address: netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}),
			AddressAssignment: "Static", AddressCategory: "Private", AddressSpaceRecordID: 1, AssignedDate: &at, ChangedDate: &at,
			CustomFieldValues: []*ipam.CustomFieldValue{}, DeviceName: str(fmt.Sprintf("host-%d.corp.example", i)),
			ExpiryAndAlertEventLoggingStatus: "None", Owner: str("netops"), ParentIPRangeStartIP: netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), 1}),
			ParentIPRangeEndIP: netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), 254}), ParentIPRangeRecordID: &id,
			ProviderAddressSpaceName: str("Default"), RecordID: id, VirtualizationType: "NonVirtualized", ReservationType: "Dhcp"}
		for k := range 2 + i%2 {
			r.CustomFieldValues = append(r.CustomFieldValues, &ipam.CustomFieldValue{BuiltInCustomFieldValueID: int64(k + 3),
				ParentCustomFieldName: "Device type", ParentCustomFieldNumber: int32(k + 1), ParentCustomFieldRecordID: int64(k + 7),
				RecordID: id*3 + int64(k), Value: "Terminal server"})
		}
		rows[i] = r
	}
	return rows
}

// codecCallback encodes each message on one binary session codec into a
// reused buffer, as the net.tcp binding does; with straight set it is a
// RowBatchSender (the sessions' client), else it gets row slices (the
// size estimate's path).
type codecCallback struct {
	codec *soap.Codec
	buf   []byte
	msgs  int
}

func (c *codecCallback) NotifyEnumerationStart(context.Context) error { return nil }
func (c *codecCallback) NotifyEnumerationComplete(context.Context, ipam.AnyIpamObject, *ipam.IpamException) error {
	return nil
}

func (c *codecCallback) encode(body soap.BodyWriter) error {
	out, err := c.codec.Encode(c.buf[:0], &soap.Header{Action: ipam.ActionEnumeratedRowsCallback, To: soap.AddressAnonymous}, body)
	c.buf = out
	c.msgs++
	return err
}

func (c *codecCallback) EnumeratedRowsCallback(_ context.Context, rows []ipam.AnyIpamObject) error {
	return c.encode(&ipam.EnumeratedRowsCallback{Data: rows})
}

type straightCallback struct{ *codecCallback }

func (c *straightCallback) SendRows(_ context.Context, b *ipam.RowBatch) error { return c.encode(b) }

// sharedValues gives the rows' custom field values the ids a store's
// would have: each one of the 291 values of its field's definition
// (storeLikeRows gives each row values of its own, the worst case for a
// connection's remembered runs).
func sharedValues(rows sliceRows) sliceRows {
	out := make(sliceRows, len(rows))
	for i, r := range rows {
		a := *r.(*ipam.IPAddressRow)
		a.CustomFieldValues = nil
		for k, v := range r.(*ipam.IPAddressRow).CustomFieldValues {
			c := *v
			c.RecordID = int64(280 + k*97 + (i*7)%97)
			a.CustomFieldValues = append(a.CustomFieldValues, &c)
		}
		out[i] = &a
	}
	return out
}

// BenchmarkEnumerationEncoding is the server's encoding and batching of
// address rows without the store (the rows are in memory): the size
// estimate and a slice per message (estimate), or each row written
// straight into its message (straight; straight-shared: with custom field
// values shared between rows, as a store's are), on the binary session
// encoding.
func BenchmarkEnumerationEncoding(b *testing.B) {
	distinct := storeLikeRows(20000)
	shared := sharedValues(distinct)
	for _, mode := range []string{"estimate", "straight", "straight-shared"} {
		rows := distinct
		if mode == "straight-shared" {
			rows = shared
		}
		b.Run(mode, func(b *testing.B) {
			b.ReportAllocs()
			msgs, cpu0 := 0, processCPU(b)
			for b.Loop() {
				c := &codecCallback{codec: soap.NewCodec(soap.EncodingBinarySession, soap.Limits{})}
				var cb ipam.IIpamEnumeratorCallback = c
				if mode != "estimate" {
					cb = &straightCallback{c}
				}
				e := &Enumerator{Store: NewMemory(true, false), Rows: rows}
				if exc := e.NewSession(cb).(*enumeratorSession).stream(context.Background(), RowQuery{Kind: AddressRows}); exc != nil {
					b.Fatal(exc)
				}
				msgs += c.msgs
			}
			n := float64(b.N * len(rows))
			b.ReportMetric(float64((processCPU(b)-cpu0).Nanoseconds())/n, "cpu-ns/row")
			b.ReportMetric(n/float64(msgs), "rows/msg")
		})
	}
}

// processCPU is the process's user+system CPU time (the benchmark runs on
// one goroutine; the figure is CPU, not wall time, so a busy machine
// moves it less).
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
