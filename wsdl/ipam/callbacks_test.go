package ipam_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/soap/xmlstream"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// TestCallbackBodiesRoundTrip writes every callback body as the server does
// and reads it back as a client does, in both encodings.
func TestCallbackBodiesRoundTrip(t *testing.T) {
	exc := &ipam.IpamException{ExceptionID: ipam.IpamSchemaConversionFailed, Message: "m",
		Inner: ipam.NewException(ipam.IpamApiGenericErrorOccurred, "inner")}
	tests := []struct {
		name     string
		write    ipam.BodyWriter
		read     reader
		wantExc  *ipam.IpamException
		complete bool
	}{
		{"provision start", ipam.NewNotifyAsyncProvisionStart(), ipam.NewNotifyAsyncProvisionStart(), nil, false},
		{"provision checkpoint", ipam.NewNotifyAsyncProvisionCheckpoint(), ipam.NewNotifyAsyncProvisionCheckpoint(), nil, false},
		{"provision complete ok", ipam.NewNotifyAsyncProvisionComplete(nil), ipam.NewNotifyAsyncProvisionComplete(exc), nil, true},
		{"provision complete exception", ipam.NewNotifyAsyncProvisionComplete(exc), ipam.NewNotifyAsyncProvisionComplete(nil), exc, true},
		{"conversion start", ipam.NewNotifyAsyncSchemaConversionStart(), ipam.NewNotifyAsyncSchemaConversionStart(), nil, false},
		{"conversion checkpoint", ipam.NewNotifyAsyncSchemaConversionCheckpoint(), ipam.NewNotifyAsyncSchemaConversionCheckpoint(), nil, false},
		{"conversion complete exception", ipam.NewNotifyAsyncSchemaConversionComplete(exc), ipam.NewNotifyAsyncSchemaConversionComplete(nil), exc, true},
	}
	for _, tt := range tests {
		for _, enc := range []soap.Encoding{soap.EncodingBinarySession, soap.EncodingText} {
			t.Run(tt.name+"/"+enc.String(), func(t *testing.T) {
				p, err := soap.NewCodec(enc, soap.Limits{}).Encode(nil, &soap.Header{Action: "a"}, tt.write)
				if err != nil {
					t.Fatal(err)
				}
				env, err := soap.NewCodec(enc, soap.Limits{}).Decode(p)
				if err != nil {
					t.Fatal(err)
				}
				if err := tt.read.ReadBody(env.Body()); err != nil {
					t.Fatal(err)
				}
				if err := env.Finish(); err != nil {
					t.Fatal(err)
				}
				if tt.complete {
					got := tt.read.(*ipam.NotifyComplete).Exception
					if !reflect.DeepEqual(got, tt.wantExc) {
						t.Fatalf("exception %+v, want %+v", got, tt.wantExc)
					}
				}
			})
		}
	}
}

func TestCallbackBodiesRefuseOtherElements(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		read reader
	}{
		{"conversion start as provision start", `<NotifyAsyncSchemaConversionStart` + ns + `/>`, ipam.NewNotifyAsyncProvisionStart()},
		{"complete as checkpoint", `<NotifyAsyncProvisionComplete` + ns + `/>`, ipam.NewNotifyAsyncProvisionCheckpoint()},
		{"start as complete", `<NotifyAsyncProvisionStart` + ns + `/>`, ipam.NewNotifyAsyncProvisionComplete(nil)},
		{"two exceptions", `<NotifyAsyncProvisionComplete` + ns + `><exception/><exception/></NotifyAsyncProvisionComplete>`, ipam.NewNotifyAsyncProvisionComplete(nil)},
		{"zero value", `<NotifyAsyncProvisionStart` + ns + `/>`, &ipam.NotifyStart{}},
		{"zero value complete", `<NotifyAsyncProvisionComplete` + ns + `/>`, &ipam.NotifyComplete{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := decodeText(t, tt.doc, tt.read); !errors.Is(err, ipam.ErrInvalidMessage) {
				t.Fatalf("ReadBody: %v, want ErrInvalidMessage", err)
			}
		})
	}
}

// A Notify…Complete with i:nil exception and a result member the spec
// leaves open reads as success.
func TestCompleteNilExceptionAndResult(t *testing.T) {
	m := ipam.NewNotifyAsyncProvisionComplete(ipam.NewException("x", "stale"))
	doc := `<NotifyAsyncProvisionComplete` + ns + `><result><Anything><Deep/></Anything></result><exception i:nil="true"/></NotifyAsyncProvisionComplete>`
	if err := decodeText(t, doc, m); err != nil || m.Exception != nil {
		t.Fatalf("ReadBody = %v, exception %+v", err, m.Exception)
	}
}

// reader is a body that reads itself.
type reader interface {
	ReadBody(r xmlstream.Reader) error
}
