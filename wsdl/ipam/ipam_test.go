package ipam_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/soap/textxml"
	"github.com/ipamd/ipamd/soap/xmlstream"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// TestDecodeMonoInitialize decodes the InitializeAsyncProvisioning a Mono
// WCF client sent (captured bytes, binary session encoding).
func TestDecodeMonoInitialize(t *testing.T) {
	payload, err := os.ReadFile("../../soap/nbfx/testdata/golden/A_c2s_01.bin")
	if err != nil {
		t.Fatal(err)
	}
	env, err := soap.NewCodec(soap.EncodingBinarySession, soap.Limits{}).Decode(payload)
	if err != nil {
		t.Fatal(err)
	}
	var req ipam.InitializeAsyncProvisioning
	if err := req.ReadBody(env.Body()); err != nil {
		t.Fatal(err)
	}
	p, ok := req.Parameters.(*ipam.IpamProvisioningEnumerationParameters)
	if !ok {
		t.Fatalf("parameters %T, want *IpamProvisioningEnumerationParameters", req.Parameters)
	}
	s := p.IpamProvisioningSetting
	if !p.FetchAllData || p.IncludeCustomFieldValues || p.ObjectType != ipam.EnumerationObjectTypeAsyncProvision ||
		s == nil || !s.CreateNewSchema || s.GpoPrefix == nil || *s.GpoPrefix != "IPAM1" || s.ProvisioningMethod != ipam.ProvisioningMethodAutomatic {
		t.Fatalf("decoded %+v / %+v", p, s)
	}
}

func decodeText(t *testing.T, doc string, into interface{ ReadBody(xmlstream.Reader) error }) error {
	t.Helper()
	r := textxml.NewReader([]byte("<b>"+doc+"</b>"), textxml.Options{})
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	return into.ReadBody(r)
}

// readBack writes req as text and reads it again; ok is false when the
// writer refuses what was read (a text it cannot write, e.g. a control
// character). What it wrote not reading back fails t.
func readBack(t *testing.T, req *ipam.InitializeEnumeration) (again ipam.InitializeEnumeration, ok bool) {
	t.Helper()
	w := textxml.NewWriter(nil)
	if err := req.WriteBody(w); err != nil {
		return again, false
	}
	if err := w.Close(); err != nil {
		return again, false
	}
	if err := decodeText(t, string(w.Bytes()), &again); err != nil {
		t.Fatalf("what was read does not read back: %v\n%s", err, w.Bytes())
	}
	return again, true
}

const ns = ` xmlns="http://Microsoft.Windows.Ipam" xmlns:i="http://www.w3.org/2001/XMLSchema-instance"`

func TestInitializeDecodeCases(t *testing.T) {
	base := `<FetchAllData>false</FetchAllData><IncludeCustomFieldValues>false</IncludeCustomFieldValues>`
	tests := []struct {
		name    string
		doc     string
		wantErr error
		check   func(*ipam.InitializeAsyncProvisioning) bool
	}{
		{"nil parameters", `<InitializeAsyncProvisioning` + ns + `><parameters i:nil="true"/></InitializeAsyncProvisioning>`, nil,
			func(r *ipam.InitializeAsyncProvisioning) bool { return r.Parameters == nil }},
		{"base type", `<InitializeAsyncProvisioning` + ns + `><parameters>` + base + `<ObjectType>AsyncProvision</ObjectType></parameters></InitializeAsyncProvisioning>`, nil,
			func(r *ipam.InitializeAsyncProvisioning) bool {
				_, ok := r.Parameters.(*ipam.EnumerationParametersBase)
				return ok
			}},
		{"prefixed xsi:type and database configuration", `<InitializeAsyncProvisioning` + ns + ` xmlns:p="http://Microsoft.Windows.Ipam"><parameters i:type="p:IpamProvisioningEnumerationParameters">` + base +
			`<ObjectType>AsyncProvision</ObjectType><IpamProvisioningSetting><CreateNewSchema>false</CreateNewSchema><DatabaseConfiguration><DatabaseCredential><Password>c2VjcmV0</Password><UserName>sa</UserName></DatabaseCredential><DatabasePort>5432</DatabasePort><DatabaseType>MSSQLServer</DatabaseType></DatabaseConfiguration><ProvisioningMethod>Manual</ProvisioningMethod></IpamProvisioningSetting></parameters></InitializeAsyncProvisioning>`, nil,
			func(r *ipam.InitializeAsyncProvisioning) bool {
				p := r.Parameters.(*ipam.IpamProvisioningEnumerationParameters)
				c := p.IpamProvisioningSetting.DatabaseConfiguration
				return c.DatabasePort == 5432 && c.DatabaseType == ipam.IpamDatabaseTypeMSSQLServer && string(c.DatabaseCredential.Password) == "secret" &&
					!strings.Contains(c.DatabaseCredential.String(), "secret")
			}},
		{"unknown xsi:type", `<InitializeAsyncProvisioning` + ns + `><parameters i:type="IPRangeParameters">` + base + `<ObjectType>IPRange</ObjectType></parameters></InitializeAsyncProvisioning>`, ipam.ErrInvalidMessage, nil},
		{"bad enum", `<InitializeAsyncProvisioning` + ns + `><parameters>` + base + `<ObjectType>Bogus</ObjectType></parameters></InitializeAsyncProvisioning>`, ipam.ErrInvalidMessage, nil},
		{"bad boolean", `<InitializeAsyncProvisioning` + ns + `><parameters><FetchAllData>yes</FetchAllData></parameters></InitializeAsyncProvisioning>`, ipam.ErrInvalidMessage, nil},
		{"missing required members", `<InitializeAsyncProvisioning` + ns + `><parameters><ObjectType>None</ObjectType></parameters></InitializeAsyncProvisioning>`, ipam.ErrInvalidMessage, nil},
		{"wrong wrapper", `<StartAsyncProvisioning` + ns + `/>`, ipam.ErrInvalidMessage, nil},
		{"undeclared xsi:type prefix", `<InitializeAsyncProvisioning` + ns + `><parameters i:type="q:X"/></InitializeAsyncProvisioning>`, xmlstream.ErrMalformed, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var req ipam.InitializeAsyncProvisioning
			err := decodeText(t, tt.doc, &req)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(&req) {
				t.Fatalf("unexpected decode: %+v", req.Parameters)
			}
		})
	}
}

// TestRequestRoundTrip writes a request as a client would and reads it back.
func TestRequestRoundTrip(t *testing.T) {
	gpo, name := "IPAM", "ipam"
	in := &ipam.InitializeAsyncProvisioning{Parameters: &ipam.IpamProvisioningEnumerationParameters{
		EnumerationParametersBase: ipam.EnumerationParametersBase{FetchAllData: true, ObjectType: ipam.EnumerationObjectTypeAsyncProvision},
		IpamProvisioningSetting: &ipam.IpamProvisioningSetting{CreateNewSchema: true, GpoPrefix: &gpo, ProvisioningMethod: ipam.ProvisioningMethodAutomatic,
			DatabaseConfiguration: &ipam.IpamDatabaseConfiguration{DatabaseType: ipam.IpamDatabaseTypeWindowsInternalDatabase, DatabaseName: &name}},
	}}
	for _, enc := range []soap.Encoding{soap.EncodingBinarySession, soap.EncodingText} {
		c := soap.NewCodec(enc, soap.Limits{})
		p, err := c.Encode(nil, &soap.Header{Action: ipam.ActionInitializeAsyncProvisioning}, in)
		if err != nil {
			t.Fatal(err)
		}
		env, err := soap.NewCodec(enc, soap.Limits{}).Decode(p)
		if err != nil {
			t.Fatal(err)
		}
		var out ipam.InitializeAsyncProvisioning
		if err := out.ReadBody(env.Body()); err != nil {
			t.Fatalf("%v: %v", enc, err)
		}
		got := out.Parameters.(*ipam.IpamProvisioningEnumerationParameters)
		if *got.IpamProvisioningSetting.GpoPrefix != gpo || *got.IpamProvisioningSetting.DatabaseConfiguration.DatabaseName != name || !got.FetchAllData {
			t.Fatalf("%v: round trip lost data: %+v", enc, got.IpamProvisioningSetting)
		}
	}
}

// TestCompleteExceptionShape checks the ISerializable members Mono's
// DataContractSerializer needs (test/interop/mono/FAULTS.md) and that the
// exception reads back, inner exception included.
//
// Rule G9. (docs/protocol.md)
func TestCompleteExceptionShape(t *testing.T) {
	exc := &ipam.IpamException{ExceptionID: ipam.IpamApiUnabletoProvisionIpam, Message: "outer",
		Inner: ipam.NewException(ipam.IpamApiErrorDatabaseCreationOrPopulationFailed, "inner")}
	w := textxml.NewWriter(nil)
	if err := (&ipam.NotifyAsyncProvisionComplete{Exception: exc}).WriteBody(w); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	doc := string(w.Bytes())
	for _, member := range []string{"ClassName", "Message", "InnerException", "HelpURL", "StackTraceString",
		"RemoteStackTraceString", "RemoteStackIndex", "HResult", "Source", "IpamExceptionData", "InnerIpamException"} {
		if !strings.Contains(doc, "<"+member+" ") {
			t.Errorf("member %s missing:\n%s", member, doc)
		}
	}
	r := textxml.NewReader(w.Bytes(), textxml.Options{})
	if _, err := xmlstream.NextStart(r); err != nil {
		t.Fatal(err)
	}
	var got *ipam.IpamException
	for {
		n, err := xmlstream.NextStart(r)
		if err != nil || n == nil {
			t.Fatalf("no exception element: %v", err)
		}
		if n.Name.Local == "exception" {
			if got, err = ipam.ReadException(r); err != nil {
				t.Fatal(err)
			}
			break
		}
		_ = xmlstream.Skip(r)
	}
	if got.ExceptionID != exc.ExceptionID || got.Message != "outer" || got.Inner == nil ||
		got.Inner.ExceptionID != ipam.IpamApiErrorDatabaseCreationOrPopulationFailed {
		t.Fatalf("read back %+v (inner %+v)", got, got.Inner)
	}
}
