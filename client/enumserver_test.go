//go:build linux

package client

import (
	"context"
	"testing"
	"time"

	"github.com/ipamd/ipamd/services"
	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// encodingCallback encodes each callback as the session would send it
// (binary session encoding) into one reused buffer: the server's work of
// an enumeration without the network or a client.
type encodingCallback struct {
	codec *soap.Codec
	buf   []byte
	rows  int64
	msgs  int64
	bytes int64
	max   int
	exc   *ipam.IpamException // what Complete carried
	done  chan struct{}
}

func (c *encodingCallback) send(action string, body soap.BodyWriter) error {
	out, err := c.codec.Encode(c.buf[:0], &soap.Header{Action: action}, body)
	if err != nil {
		return err
	}
	c.buf = out
	c.bytes += int64(len(out))
	c.max = max(c.max, len(out))
	return nil
}

func (c *encodingCallback) NotifyEnumerationStart(context.Context) error {
	return c.send(ipam.ActionNotifyEnumerationStart, &ipam.NotifyEnumerationStart{})
}

func (c *encodingCallback) EnumeratedRowsCallback(_ context.Context, data []ipam.AnyIpamObject) error {
	c.rows += int64(len(data))
	c.msgs++
	return c.send(ipam.ActionEnumeratedRowsCallback, &ipam.EnumeratedRowsCallback{Data: data})
}

// SendRows encodes a batch written straight into its message, as the
// session's callback client does (ipam.RowBatchSender).
func (c *encodingCallback) SendRows(_ context.Context, b *ipam.RowBatch) error {
	if err := c.send(ipam.ActionEnumeratedRowsCallback, b); err != nil {
		return err
	}
	c.rows += int64(b.Written)
	c.msgs++
	return nil
}

func (c *encodingCallback) NotifyEnumerationComplete(_ context.Context, _ ipam.AnyIpamObject, exc *ipam.IpamException) error {
	c.exc = exc
	close(c.done)
	return nil
}

// BenchmarkEnumerateServerSide is the server's CPU per row of an
// enumeration of every IPv4 address of a converted v1 store (benchStore): the read
// transaction, the rows, the batching and the binary session encoding of
// each EnumeratedRowsCallback, without a network or a client.
func BenchmarkEnumerateServerSide(b *testing.B) {
	s, _ := benchStore(b)
	enum := &services.Enumerator{Store: services.NewMemory(true, false), Rows: s}
	ctx := context.Background()
	var rows, msgs, bytes int64
	maxMsg := 0
	b.ReportAllocs()
	start, cpu0 := time.Now(), processCPU(b)
	for b.Loop() {
		cb := &encodingCallback{codec: soap.NewCodec(soap.EncodingBinarySession, soap.Limits{}), done: make(chan struct{})}
		sess := enum.NewSession(cb)
		if _, err := sess.InitializeEnumeration(ctx, &ipam.InitializeEnumeration{Parameters: addressParams(false)}); err != nil {
			b.Fatal(err)
		}
		if err := sess.StartEnumeration(ctx, &ipam.StartEnumeration{}); err != nil {
			b.Fatal(err)
		}
		<-cb.done
		if cb.exc != nil { // e.g. the store file busy: no rows, not a figure
			b.Fatalf("the enumeration failed: %s: %s", cb.exc.ExceptionID, cb.exc.Message)
		}
		rows, msgs, bytes = rows+cb.rows, msgs+cb.msgs, bytes+cb.bytes
		maxMsg = max(maxMsg, cb.max)
	}
	b.ReportMetric(float64(rows)/time.Since(start).Seconds(), "rows/s")
	b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/float64(rows), "cpu-µs/row")
	b.ReportMetric(float64(rows)/float64(msgs), "rows/msg")
	b.ReportMetric(float64(bytes)/float64(rows), "B/row")
	b.ReportMetric(float64(maxMsg), "maxmsgB")
}
