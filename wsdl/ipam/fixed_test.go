package ipam_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// plainBody hides a body's FixedKey: the encoder's own path.
type plainBody struct{ soap.BodyWriter }

// fixedMessage is one message a provisioning or conversion session sends
// whose body is a soap.FixedBody.
type fixedMessage struct {
	action string
	body   soap.FixedBody
	reply  bool // carries a:RelatesTo
}

func fixedMessages(exc *ipam.IpamException) []fixedMessage {
	pcb := ipam.ProvisionCallbackActions(ipam.CallbackActionsService)
	scb := ipam.SchemaConversionCallbackActions(ipam.CallbackActionsCallback)
	return []fixedMessage{
		{ipam.ActionInitializeAsyncProvisioningResponse, &ipam.InitializeAsyncProvisioningResponse{}, true},
		{ipam.ActionInitializeAsyncSchemaConversionResponse, &ipam.InitializeAsyncSchemaConversionResponse{}, true},
		{pcb.Start, &ipam.NotifyAsyncProvisionStart{}, false},
		{pcb.Checkpoint, &ipam.NotifyAsyncProvisionCheckpoint{}, false},
		{pcb.Complete, &ipam.NotifyAsyncProvisionComplete{}, false},
		{pcb.Complete, &ipam.NotifyAsyncProvisionComplete{Exception: exc}, false},
		{scb.Start, &ipam.NotifyAsyncSchemaConversionStart{}, false},
		{scb.Checkpoint, &ipam.NotifyAsyncSchemaConversionCheckpoint{}, false},
		{scb.Complete, &ipam.NotifyAsyncSchemaConversionComplete{}, false},
		{scb.Complete, &ipam.NotifyAsyncSchemaConversionComplete{Exception: exc}, false},
	}
}

var fixedEncodings = []soap.Encoding{soap.EncodingBinarySession, soap.EncodingText}

// checkFixed encodes m on a new connection's codec twice — as ipamd sends
// it (from a template) and through the encoder alone — and fails unless
// the bytes are the same. The header is net.tcp's (a:To anonymous) or
// HTTP-like (a:To the client's address).
func checkFixed(t *testing.T, enc soap.Encoding, m fixedMessage, relatesTo, to string) {
	t.Helper()
	h := soap.Header{Action: m.action, To: to}
	if m.reply {
		h.RelatesTo = relatesTo
	}
	got, gerr := soap.NewCodec(enc, soap.Limits{}).Encode(nil, &h, m.body)
	want, werr := soap.NewCodec(enc, soap.Limits{}).Encode(nil, &h, plainBody{m.body})
	if (gerr == nil) != (werr == nil) || !bytes.Equal(got, want) {
		t.Fatalf("%v %s %.40q:\ntemplate % x (%v)\nencoder  % x (%v)", enc, m.action, relatesTo, got, gerr, want, werr)
	}
}

// TestFixedBodiesEqualEncoder: the Initialize… replies and the Notify…
// callbacks of both port types, sent from templates, are byte for byte
// what the encoder writes, for random client MessageIDs and both
// encodings (Rule T17).
func TestFixedBodiesEqualEncoder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 16))
	excs := []*ipam.IpamException{
		ipam.NewException(ipam.IpamApiErrorIpamAlreadyProvisioned, "the IPAM server is already provisioned"),
		{ExceptionID: ipam.IpamSchemaConversionNotRequired, Message: "a <b> & c", Inner: ipam.NewException(ipam.IpamApiGenericErrorOccurred, "inner")},
	}
	for _, exc := range excs {
		for _, enc := range fixedEncodings {
			for _, m := range fixedMessages(exc) {
				h := soap.Header{Action: m.action, RelatesTo: "urn:uuid:1", To: soap.AddressAnonymous}
				if !soap.NewCodec(enc, soap.Limits{}).Templated(&h, m.body) {
					t.Fatalf("%v %T: not sent from a template", enc, m.body)
				}
				for range 50 {
					id := fmt.Sprintf("urn:uuid:%08x-%04x-4%03x-a%03x-%012x", r.Uint32(), r.Uint32()&0xffff, r.Uint32()&0xfff, r.Uint32()&0xfff, r.Uint64()&(1<<48-1))
					checkFixed(t, enc, m, id, soap.AddressAnonymous)
					checkFixed(t, enc, m, strings.ToUpper(id), "http://127.0.0.1:8081/cb/"+id[9:])
				}
			}
		}
	}
}

// TestFixedKeys: bodies with different content have different keys, and
// content a key cannot name (a result, checkpoint data, a deep inner
// exception, a huge message) is not keyed, nor is a nil body (which the
// encoder refuses).
func TestFixedKeys(t *testing.T) {
	a := ipam.NewException(ipam.IpamApiErrorIpamAlreadyProvisioned, "m")
	keys := map[soap.BodyKey]string{}
	for _, b := range []soap.FixedBody{
		&ipam.NotifyAsyncProvisionComplete{},
		&ipam.NotifyAsyncProvisionComplete{Exception: a},
		&ipam.NotifyAsyncProvisionComplete{Exception: &ipam.IpamException{ExceptionID: a.ExceptionID, Message: "n"}},
		&ipam.NotifyAsyncProvisionComplete{Exception: &ipam.IpamException{ExceptionID: "m", Message: a.ExceptionID}},
		&ipam.NotifyAsyncProvisionComplete{Exception: &ipam.IpamException{ExceptionID: a.ExceptionID, Message: "m", Inner: a}},
		&ipam.NotifyAsyncProvisionComplete{Exception: &ipam.IpamException{}},
		&ipam.NotifyAsyncSchemaConversionComplete{},
		&ipam.NotifyAsyncProvisionStart{},
		&ipam.NotifyAsyncSchemaConversionStart{},
		&ipam.NotifyAsyncProvisionCheckpoint{},
		&ipam.NotifyAsyncSchemaConversionCheckpoint{},
		&ipam.InitializeAsyncProvisioningResponse{},
		&ipam.InitializeAsyncSchemaConversionResponse{},
	} {
		k, ok := b.FixedKey()
		if !ok {
			t.Fatalf("%T %+v: no key", b, b)
		}
		if prev, dup := keys[k]; dup {
			t.Fatalf("%T %+v has the key of %s", b, b, prev)
		}
		keys[k] = fmt.Sprintf("%T %+v", b, b)
	}
	deep := &ipam.IpamException{ExceptionID: "a", Inner: &ipam.IpamException{ExceptionID: "b", Inner: a}}
	for _, b := range []soap.FixedBody{
		&ipam.NotifyAsyncProvisionComplete{Exception: deep},
		&ipam.NotifyAsyncProvisionComplete{Exception: &ipam.IpamException{ExceptionID: "a", Message: strings.Repeat("m", 2*ipam.MaxExceptionMessageBytes+1)}},
		&ipam.NotifyAsyncProvisionCheckpoint{Data: []ipam.AnyIpamObject{}},
		&ipam.NotifyAsyncSchemaConversionCheckpoint{Data: []ipam.AnyIpamObject{}},
		&ipam.NotifyAsyncSchemaConversionComplete{Result: &ipam.IpamExceptionData{}},
		(*ipam.InitializeAsyncProvisioningResponse)(nil),
		(*ipam.InitializeAsyncSchemaConversionResponse)(nil),
		(*ipam.NotifyAsyncProvisionStart)(nil),
		(*ipam.NotifyAsyncSchemaConversionStart)(nil),
		(*ipam.NotifyAsyncProvisionCheckpoint)(nil),
		(*ipam.NotifyAsyncSchemaConversionCheckpoint)(nil),
		(*ipam.NotifyAsyncProvisionComplete)(nil),
		(*ipam.NotifyAsyncSchemaConversionComplete)(nil),
	} {
		if _, ok := b.FixedKey(); ok {
			t.Errorf("%T %+v: keyed", b, b)
		}
	}
}

// TestFixedKeysCoverTheFields: a key names every member a fixed body
// writes; a member added to one of these types (by the generator) must be
// added to its key, or this fails.
func TestFixedKeysCoverTheFields(t *testing.T) {
	want := []struct {
		v      any
		fields []string
	}{
		{ipam.InitializeAsyncProvisioningResponse{}, nil},
		{ipam.InitializeAsyncSchemaConversionResponse{}, nil},
		{ipam.NotifyAsyncProvisionStart{}, nil},
		{ipam.NotifyAsyncSchemaConversionStart{}, nil},
		{ipam.NotifyAsyncProvisionCheckpoint{}, []string{"Data"}},
		{ipam.NotifyAsyncSchemaConversionCheckpoint{}, []string{"Data"}},
		{ipam.NotifyAsyncProvisionComplete{}, []string{"Result", "Exception"}},
		{ipam.NotifyAsyncSchemaConversionComplete{}, []string{"Result", "Exception"}},
		{ipam.IpamException{}, []string{"ExceptionID", "Message", "Inner"}},
	}
	for _, w := range want {
		typ, fields := reflect.TypeOf(w.v), w.fields
		var got []string
		for f := range typ.Fields() {
			got = append(got, f.Name)
		}
		if fmt.Sprint(got) != fmt.Sprint(fields) {
			t.Errorf("%s has fields %v; its FixedKey covers %v", typ, got, fields)
		}
	}
}

// FuzzFixedBodies: for any client MessageID, callback address and
// exception text, each fixed message sent from a template is what the
// encoder writes, in both encodings.
func FuzzFixedBodies(f *testing.F) {
	f.Add("urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e", soap.AddressAnonymous, ipam.IpamApiErrorIpamAlreadyProvisioned, "already provisioned", uint8(0))
	f.Add("x", "http://127.0.0.1/cb", "", "", uint8(5))
	f.Add("\xff", "", "a&b", "<c>", uint8(9))
	f.Fuzz(func(t *testing.T, relatesTo, to, id, msg string, sel uint8) {
		msgs := fixedMessages(&ipam.IpamException{ExceptionID: id, Message: msg})
		m := msgs[int(sel)%len(msgs)]
		m.reply = m.reply || sel&0x80 != 0
		checkFixed(t, fixedEncodings[int(sel>>4)%len(fixedEncodings)], m, relatesTo, to)
	})
}
