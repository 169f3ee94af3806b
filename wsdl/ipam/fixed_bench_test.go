package ipam_test

import (
	"fmt"
	"testing"

	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// BenchmarkSessionSends: what a provisioning session on a provisioned
// store sends, encoded as net.tcp's binding does (a codec per connection,
// a buffer lent per message): the Initialize reply with the client's
// MessageID, Notify…Start and Notify…Complete(AlreadyProvisioned).
// go test -run '^$' -bench SessionSends -benchmem ./wsdl/ipam
func BenchmarkSessionSends(b *testing.B) {
	cb := ipam.ProvisionCallbackActions(ipam.CallbackActionsService)
	for _, enc := range []soap.Encoding{soap.EncodingBinarySession, soap.EncodingText} {
		b.Run(enc.String(), func(b *testing.B) {
			buf := make([]byte, 0, 4096)
			ids := make([]string, 64)
			for i := range ids {
				ids[i] = fmt.Sprintf("urn:uuid:%08x-1f2e-4d3c-8b4a-%012x", i*7919, i*104729)
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				c := soap.NewCodec(enc, soap.Limits{})
				msgs := [...]struct {
					h    soap.Header
					body soap.BodyWriter
				}{
					{soap.Header{Action: ipam.ActionInitializeAsyncProvisioningResponse, RelatesTo: ids[i%len(ids)], To: soap.AddressAnonymous}, &ipam.InitializeAsyncProvisioningResponse{}},
					{soap.Header{Action: cb.Start, To: soap.AddressAnonymous}, &ipam.NotifyAsyncProvisionStart{}},
					{soap.Header{Action: cb.Complete, To: soap.AddressAnonymous}, &ipam.NotifyAsyncProvisionComplete{
						Exception: &ipam.IpamException{ExceptionID: ipam.IpamApiErrorIpamAlreadyProvisioned, Message: "the IPAM server is already provisioned"}}},
				}
				for _, m := range msgs {
					out, err := c.Encode(buf[:0], &m.h, m.body)
					if err != nil {
						b.Fatal(err)
					}
					buf = out
				}
			}
		})
	}
}
