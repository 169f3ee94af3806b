package soap

import (
	"testing"

	"github.com/ipamd/ipamd/soap/nbfx"
)

// BenchmarkDecodeHeaders decodes the Mono InitializeAsyncProvisioning
// request (binary session) up to the body's first element. The session
// table was received with an earlier message (steady state), so the
// benchmarked payload has an empty table.
func BenchmarkDecodeHeaders(b *testing.B) {
	first := readFile(b, "capture/A_c2s_01.bin")
	n, err := nbfx.NewReaderSession(0).ReadStringTable(first)
	if err != nil {
		b.Fatal(err)
	}
	payload := append([]byte{0x00}, first[n:]...)
	c := NewCodec(EncodingBinarySession, Limits{})
	if _, err := c.Decode(first); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		e, err := c.Decode(payload)
		if err != nil || e.Header.MessageID == "" {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeHeadersText is the same message in the text encoding.
func BenchmarkDecodeHeadersText(b *testing.B) {
	payload := readFile(b, "capture/A_c2s_01.xml")
	c := NewCodec(EncodingText, Limits{})
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Decode(payload); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeCallback encodes NotifyAsyncProvisionComplete with nil
// result and exception (binary session) into a reused buffer.
func BenchmarkEncodeCallback(b *testing.B) {
	c := NewCodec(EncodingBinarySession, Limits{})
	h := &Header{Action: nsIpam + "/IIpamAsyncProvision/NotifyAsyncProvisionComplete", To: AddressAnonymous}
	var body completeBody
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		out, err := c.Encode(buf[:0], h, body)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(out)))
	}
}

// BenchmarkEncodeCallbackText is the same callback in the text encoding.
func BenchmarkEncodeCallbackText(b *testing.B) {
	c := NewCodec(EncodingText, Limits{})
	h := &Header{Action: nsIpam + "/IIpamAsyncProvision/NotifyAsyncProvisionComplete", To: AddressAnonymous}
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Encode(buf[:0], h, completeBody{}); err != nil {
			b.Fatal(err)
		}
	}
}
