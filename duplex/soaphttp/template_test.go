package soaphttp

import (
	"bytes"
	"testing"

	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// plainBody hides a body's FixedKey: the encoder's own path.
type plainBody struct{ soap.BodyWriter }

// TestRepliesAndCallbacksFromTemplates: a session's reply (with its id)
// and callback (a:To its ReplyTo, with its id) are sent from templates
// (soap.FixedHeader), and the bytes are the encoder's, for new session ids
// and both SOAP versions (Rule T17).
func TestRepliesAndCallbacksFromTemplates(t *testing.T) {
	cb := ipam.ProvisionCallbackActions(ipam.CallbackActionsService)
	for _, enc := range []soap.Encoding{soap.EncodingText, soap.EncodingText11} {
		for i := range 20 {
			s := &Session{id: newSessionID(), replyTo: "http://127.0.0.1:8081/callback/" + string(rune('a'+i))}
			reply := soap.Header{Action: ipam.ActionInitializeAsyncProvisioningResponse, RelatesTo: "urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e", To: soap.AddressAnonymous}
			s.AddressReply(&reply)
			callback := soap.Header{Action: cb.Complete, To: soap.AddressAnonymous}
			s.AddressCallback(&callback)
			for _, m := range []struct {
				h    soap.Header
				body soap.BodyWriter
			}{
				{reply, &ipam.InitializeAsyncProvisioningResponse{}},
				{callback, &ipam.NotifyAsyncProvisionComplete{Exception: ipam.NewException(ipam.IpamApiErrorIpamAlreadyProvisioned, "already")}},
			} {
				if !soap.NewCodec(enc, soap.Limits{}).Templated(&m.h, m.body) {
					t.Fatalf("%v %s: not sent from a template", enc, m.h.Action)
				}
				got, err := soap.NewCodec(enc, soap.Limits{}).Encode(nil, &m.h, m.body)
				if err != nil {
					t.Fatal(err)
				}
				want, err := soap.NewCodec(enc, soap.Limits{}).Encode(nil, &m.h, plainBody{m.body})
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) || !bytes.Contains(got, []byte(s.id)) {
					t.Fatalf("%v %s:\ntemplate %s\nencoder  %s", enc, m.h.Action, got, want)
				}
			}
		}
	}
}
