package ipam_test

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"os"
	"testing"

	"github.com/ipamd/ipamd/internal/allocbudget"
	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/soap/nbfx"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// perMessage lists what the generated stubs do once per message on a
// session, with its allocation budget (see internal/allocbudget).
var perMessage = []allocbudget.Case{
	// The Mono client's InitializeAsyncProvisioning, envelope and body, on a
	// codec whose session table is warm (steady state). The body's strings
	// (GpoPrefix, database name, user, password) are the client's data and
	// are copied out of the read buffer, so they allocate.
	{Name: "DecodeInitialize", Budget: 11, Setup: func(tb testing.TB) func(testing.TB) {
		first := readGolden(tb, "A_c2s_01.bin")
		n, err := nbfx.NewReaderSession(0).ReadStringTable(first)
		if err != nil {
			tb.Fatal(err)
		}
		payload := append([]byte{0x00}, first[n:]...)
		c := soap.NewCodec(soap.EncodingBinarySession, soap.Limits{})
		if _, err := c.Decode(first); err != nil {
			tb.Fatal(err)
		}
		return func(tb testing.TB) {
			env, err := c.Decode(payload)
			if err != nil {
				tb.Fatal(err)
			}
			var req ipam.InitializeAsyncProvisioning
			if err := req.ReadBody(env.Body()); err != nil {
				tb.Fatal(err)
			}
			if p, ok := req.Parameters.(*ipam.IpamProvisioningEnumerationParameters); !ok || p.IpamProvisioningSetting == nil {
				tb.Fatalf("Initialize decoded without its provisioning setting: %#v", req.Parameters)
			}
		}
	}},
	// The same request in the SOAP 1.2 text encoding (soap/textxml), a new
	// MessageID each time as on the wire: names, namespaces, attribute
	// values and the text values every session repeats come from
	// textxml's shared tables; the envelope, the MessageID and the
	// request's values (the parameters and their setting) allocate. It was
	// 137 with encoding/xml's tokens.
	{Name: "DecodeInitializeText", Budget: 5, Setup: func(tb testing.TB) func(testing.TB) {
		payload, err := os.ReadFile("../../soap/testdata/capture/A_c2s_01.xml")
		if err != nil {
			tb.Fatal(err)
		}
		id := bytes.Index(payload, []byte("urn:uuid:")) + len("urn:uuid:")
		c := soap.NewCodec(soap.EncodingText, soap.Limits{})
		var n uint32
		return func(tb testing.TB) {
			n++
			var b [4]byte
			binary.BigEndian.PutUint32(b[:], n)
			hex.Encode(payload[id:id+8], b[:])
			env, err := c.Decode(payload)
			if err != nil {
				tb.Fatal(err)
			}
			var req ipam.InitializeAsyncProvisioning
			if err := req.ReadBody(env.Body()); err != nil {
				tb.Fatal(err)
			}
			if p, ok := req.Parameters.(*ipam.IpamProvisioningEnumerationParameters); !ok || p.IpamProvisioningSetting == nil {
				tb.Fatalf("Initialize decoded without its provisioning setting: %#v", req.Parameters)
			}
		}
	}},
	// The reply to Initialize in text, as the text path sends it.
	{Name: "EncodeInitializeResponseText", Budget: 0, Setup: func(testing.TB) func(testing.TB) {
		return encodeWith(soap.EncodingText, ipam.ActionInitializeAsyncProvisioningResponse, "urn:uuid:36e421b5-55c2-4563-8319-e840d9fee760",
			&ipam.InitializeAsyncProvisioningResponse{})
	}},
	{Name: "EncodeCompleteWithExceptionText", Budget: 0, Setup: func(testing.TB) func(testing.TB) {
		return encodeWith(soap.EncodingText, ipam.ActionNotifyAsyncProvisionComplete, "", &ipam.NotifyAsyncProvisionComplete{
			Exception: &ipam.IpamException{ExceptionID: "IpamApiErrorIpamAlreadyProvisioned", Message: "The IPAM data store is already provisioned."},
		})
	}},
	// The reply to Initialize (empty body), binary session.
	{Name: "EncodeInitializeResponse", Budget: 0, Setup: func(testing.TB) func(testing.TB) {
		return encode(ipam.ActionInitializeAsyncProvisioningResponse, "urn:uuid:36e421b5-55c2-4563-8319-e840d9fee760",
			&ipam.InitializeAsyncProvisioningResponse{})
	}},
	// Notify…Complete carrying an IpamException, which is how every session
	// on an already provisioned store ends: encoding it allocates nothing.
	{Name: "EncodeCompleteWithException", Budget: 0, Setup: func(testing.TB) func(testing.TB) {
		return encode(ipam.ActionNotifyAsyncProvisionComplete, "", &ipam.NotifyAsyncProvisionComplete{
			Exception: &ipam.IpamException{ExceptionID: "IpamApiErrorIpamAlreadyProvisioned", Message: "The IPAM data store is already provisioned."},
		})
	}},
}

func encode(action, relatesTo string, body soap.BodyWriter) func(testing.TB) {
	return encodeWith(soap.EncodingBinarySession, action, relatesTo, body)
}

func encodeWith(enc soap.Encoding, action, relatesTo string, body soap.BodyWriter) func(testing.TB) {
	c := soap.NewCodec(enc, soap.Limits{})
	h := &soap.Header{Action: action, RelatesTo: relatesTo, To: soap.AddressAnonymous}
	buf := make([]byte, 0, 4096)
	return func(tb testing.TB) {
		out, err := c.Encode(buf[:0], h, body)
		if err != nil || len(out) == 0 {
			tb.Fatalf("encode %s: %v", action, err)
		}
	}
}

func readGolden(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile("../../soap/nbfx/testdata/golden/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// BenchmarkPerMessage: go test -run '^$' -bench PerMessage -benchmem ./wsdl/ipam
func BenchmarkPerMessage(b *testing.B) { allocbudget.Bench(b, perMessage) }

func TestAllocBudgets(t *testing.T) { allocbudget.Check(t, perMessage) }

// BenchmarkWriteInitialize encodes a full InitializeAsyncProvisioning (text),
// the client's side of the same message.
func BenchmarkWriteInitialize(b *testing.B) {
	gpo, name, user := "IPAM", "IPAM", "sa"
	req := &ipam.InitializeAsyncProvisioning{Parameters: &ipam.IpamProvisioningEnumerationParameters{
		EnumerationParametersBase: ipam.EnumerationParametersBase{FetchAllData: true, ObjectType: ipam.EnumerationObjectTypeAsyncProvision},
		IpamProvisioningSetting: &ipam.IpamProvisioningSetting{CreateNewSchema: true, GpoPrefix: &gpo, ProvisioningMethod: ipam.ProvisioningMethodAutomatic,
			DatabaseConfiguration: &ipam.IpamDatabaseConfiguration{DatabaseName: &name, DatabasePort: 1433,
				DatabaseCredential: &ipam.IpamCredential{Password: []byte("secret"), UserName: &user}}},
	}}
	codec := soap.NewCodec(soap.EncodingText, soap.Limits{})
	h := &soap.Header{Action: ipam.ActionInitializeAsyncProvisioning}
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = codec.Encode(buf[:0], h, req); err != nil {
			b.Fatal(err)
		}
	}
}
