package ipam_test

import (
	"os"
	"testing"

	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// BenchmarkReadInitialize decodes the Mono client's InitializeAsyncProvisioning
// (binary session encoding) and its body, as a session does per request.
func BenchmarkReadInitialize(b *testing.B) {
	payload, err := os.ReadFile("../../soap/nbfx/testdata/golden/A_c2s_01.bin")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		// A codec per message: its session string table is per connection.
		env, err := soap.NewCodec(soap.EncodingBinarySession, soap.Limits{}).Decode(payload)
		if err != nil {
			b.Fatal(err)
		}
		var req ipam.InitializeAsyncProvisioning
		if err := req.ReadBody(env.Body()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteInitialize encodes a full InitializeAsyncProvisioning (text).
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
