package nmf

import "testing"

func TestEncodingFor(t *testing.T) {
	for _, tt := range []struct {
		ct   string
		want Encoding
	}{
		{"application/soap+msbinsession1", EncodingBinarySession},
		{"application/soap+msbin1", EncodingBinary},
		{"application/soap+xml; charset=utf-8", EncodingSOAP12UTF8},
		{"Application/SOAP+xml;charset=UTF-8", EncodingSOAP12UTF8}, // as an Extensible Encoding record is compared
		{"text/xml; charset=utf-8", EncodingSOAP11UTF8},
		{"application/json", EncodingUnknown},
		{"", EncodingUnknown},
	} {
		if got := EncodingFor(tt.ct); got != tt.want {
			t.Errorf("EncodingFor(%q) = %v, want %v", tt.ct, got, tt.want)
		}
	}
}
