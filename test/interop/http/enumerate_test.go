package httpinterop_test

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	daemon "github.com/ipamd/ipamd/internal/daemontest"
	"github.com/ipamd/ipamd/test/soapui"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// TestEnumeratorOverHTTP: IIpamEnumerator over SOAP 1.2/HTTP with callbacks
// to the client's a:ReplyTo: the spec's example 4.3 InitializeEnumeration is
// answered with InitializeEnumerationResponse, StartEnumeration with 202,
// then NotifyEnumerationStart and NotifyEnumerationComplete (no rows: the
// dev store holds no IPAM data) reach the callback listener with the
// IIpamEnumerator actions. Rule E8.
func TestEnumeratorOverHTTP(t *testing.T) {
	srv := daemon.Start(t, "--dev-provisioned")
	endpoint := srv.Endpoints[ipam.PortIIpamEnumerator]
	if endpoint == "" {
		t.Fatalf("no IIpamEnumerator endpoint in %v", srv.Endpoints)
	}
	cb := newSink(t)
	hc := newClient(t)

	example, err := os.ReadFile(filepath.Join("..", "..", "..", "wsdl", "ipam", "testdata", "example-4.3-InitializeEnumeration.xml"))
	if err != nil {
		t.Fatal(err)
	}
	// The example's client uses net.tcp's anonymous reply address; over
	// HTTP the callbacks go to a:ReplyTo.
	init := bytes.Replace(example, []byte("http://www.w3.org/2005/08/addressing/anonymous"), []byte(cb.url("/callbacks/enum")), 1)
	resp := post(t, hc, endpoint, soap12, init)
	if resp.status != http.StatusOK {
		t.Fatalf("InitializeEnumeration: HTTP %d\n%s", resp.status, resp.body)
	}
	if a := headerOf(t, resp.body, soapui.NSAddressing, "Action"); a != ipam.ActionInitializeEnumerationResponse {
		t.Fatalf("InitializeEnumeration answered with %s\n%s", a, resp.body)
	}
	props := map[string]string{}
	session := sessionOf(t, resp.body, props)

	start := []byte(`<s:Envelope xmlns:a="http://www.w3.org/2005/08/addressing" xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header>` +
		`<a:Action s:mustUnderstand="1">` + ipam.ActionStartEnumeration + `</a:Action>` +
		`<a:ReplyTo><a:Address>` + cb.url("/callbacks/enum") + `</a:Address></a:ReplyTo>` +
		`<a:To s:mustUnderstand="1">` + endpoint + `</a:To></s:Header>` +
		`<s:Body><StartEnumeration xmlns="http://Microsoft.Windows.Ipam"/></s:Body></s:Envelope>`)
	resp = post(t, hc, endpoint, soap12, inSession(start, session))
	if resp.status != http.StatusAccepted {
		t.Fatalf("StartEnumeration: HTTP %d, want 202\n%s", resp.status, resp.body)
	}
	got := cb.awaitComplete(t, callbackTimeout)
	var actions []string
	for _, c := range got {
		actions = append(actions, headerOf(t, c.body, soapui.NSAddressing, "Action"))
		if c.path != "/callbacks/enum" {
			t.Errorf("callback to %s", c.path)
		}
	}
	want := []string{ipam.ActionNotifyEnumerationStart, ipam.ActionNotifyEnumerationComplete}
	if strings.Join(actions, " ") != strings.Join(want, " ") {
		t.Fatalf("callbacks %v, want %v", actions, want)
	}
	if last := got[len(got)-1].body; bytes.Contains(last, []byte("IpamException")) {
		t.Errorf("Complete carries an exception:\n%s", last)
	}
}

// TestEnumeratorUnknownTypeNotEchoed: an InitializeEnumeration whose
// parameters carry an i:type the protocol does not define, with a name of
// 3,000 bytes, is answered IpamApiInvalidEnumeration on the real listener, and the name comes back cut to
// limits.max_echo_bytes (256) — never whole.
func TestEnumeratorUnknownTypeNotEchoed(t *testing.T) {
	srv := daemon.Start(t, "--dev-provisioned")
	endpoint := srv.Endpoints[ipam.PortIIpamEnumerator]
	hc := newClient(t)
	example, err := os.ReadFile(filepath.Join("..", "..", "..", "wsdl", "ipam", "testdata", "example-4.3-InitializeEnumeration.xml"))
	if err != nil {
		t.Fatal(err)
	}
	cb := newSink(t)
	example = bytes.Replace(example, []byte("http://www.w3.org/2005/08/addressing/anonymous"), []byte(cb.url("/callbacks/enum")), 1)
	long := "Unknown" + strings.Repeat("X", 3000)
	init := bytes.Replace(example, []byte(`i:type="IPRangeByAddressSpaceAndVirtualizationTypeParameters"`), []byte(`i:type="`+long+`"`), 1)
	if bytes.Equal(init, example) {
		t.Fatal("the example no longer carries the parameter type this test replaces")
	}
	resp := post(t, hc, endpoint, soap12, init)
	if !bytes.Contains(resp.body, []byte(ipam.IpamApiInvalidEnumeration)) {
		t.Fatalf("HTTP %d, want a fault with IpamApiInvalidEnumeration:\n%.2000s", resp.status, resp.body)
	}
	if bytes.Contains(resp.body, []byte(strings.Repeat("X", 300))) {
		t.Errorf("the fault echoes the type name beyond the 256-byte echo bound (%d bytes of body)", len(resp.body))
	}
	if len(resp.body) > 8<<10 {
		t.Errorf("a %d-byte fault for a %d-byte name", len(resp.body), len(long))
	}
}

// TestEnumeratorFilterKeyNotEchoed: a ByFilter criterion whose key is 3,000
// bytes of client text is refused with IpamApiInvalidParameter on the real
// listener, and the fault quotes the key only within the exception
// message's bound (ipam.MaxExceptionMessageBytes).
func TestEnumeratorFilterKeyNotEchoed(t *testing.T) {
	srv := daemon.Start(t, "--dev-provisioned")
	endpoint := srv.Endpoints[ipam.PortIIpamEnumerator]
	hc := newClient(t)
	example, err := os.ReadFile(filepath.Join("..", "..", "..", "wsdl", "ipam", "testdata", "example-4.3-InitializeEnumeration.xml"))
	if err != nil {
		t.Fatal(err)
	}
	cb := newSink(t)
	example = bytes.Replace(example, []byte("http://www.w3.org/2005/08/addressing/anonymous"), []byte(cb.url("/callbacks/enum")), 1)
	start := bytes.Index(example, []byte("<parameters "))
	end := bytes.Index(example, []byte("</parameters>"))
	if start < 0 || end < start {
		t.Fatal("the example no longer carries the parameters this test replaces")
	}
	long := "Unknown" + strings.Repeat("X", 3000)
	params := `<parameters xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns:b="http://schemas.datacontract.org/2004/07/System"` +
		` xmlns:d="http://www.w3.org/2001/XMLSchema" i:type="AddressSpaceByFilterEnumerationParameters">` +
		`<FetchAllData>false</FetchAllData><IncludeCustomFieldValues>false</IncludeCustomFieldValues><ObjectType>AddressSpace</ObjectType>` +
		`<FilterInfo><b:TupleOfGetAddressSpaceFilteranyType2zwQHvQz><b:m_Item1>` + long + `</b:m_Item1>` +
		`<b:m_Item2 i:type="d:string">Provider</b:m_Item2></b:TupleOfGetAddressSpaceFilteranyType2zwQHvQz></FilterInfo>`
	init := append(append(append([]byte{}, example[:start]...), params...), example[end:]...)
	resp := post(t, hc, endpoint, soap12, init)
	if !bytes.Contains(resp.body, []byte(ipam.IpamApiInvalidParameter)) || !bytes.Contains(resp.body, []byte("FilterInfo")) {
		t.Fatalf("HTTP %d, want the FilterInfo refusal with IpamApiInvalidParameter:\n%.2000s", resp.status, resp.body)
	}
	if !bytes.Contains(resp.body, []byte("UnknownXXXX")) {
		t.Fatalf("the refusal does not quote the key at all, so this test proves nothing about its bound:\n%.2000s", resp.body)
	}
	if bytes.Contains(resp.body, []byte(strings.Repeat("X", ipam.MaxExceptionMessageBytes))) {
		t.Errorf("the fault echoes the key beyond the exception message's %d-byte bound (%d bytes of body)", ipam.MaxExceptionMessageBytes, len(resp.body))
	}
	if len(resp.body) > 8<<10 {
		t.Errorf("a %d-byte fault for a %d-byte key", len(resp.body), len(long))
	}
}
