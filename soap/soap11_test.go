package soap

import (
	"errors"
	"strings"
	"testing"
)

const env11Open = `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:a="http://www.w3.org/2005/08/addressing">`

func env11(headers string) string {
	return env11Open + `<s:Header>` + headers + `</s:Header><s:Body><Op xmlns="urn:t"/></s:Body></s:Envelope>`
}

// Rule T15. (docs/protocol.md)
func TestDecodeSOAP11(t *testing.T) {
	cases := []struct {
		name    string
		doc     string
		code    string // "" = decodes fine
		err     error
		replyTo string
	}{
		{name: "ok", doc: env11(`<a:Action s:mustUnderstand="1">urn:x</a:Action><a:ReplyTo><a:Address>http://127.0.0.1:9/cb</a:Address></a:ReplyTo>`), replyTo: "http://127.0.0.1:9/cb"},
		{name: "soap 1.2 envelope", doc: env(actionHdr), code: CodeVersionMismatch, err: ErrVersionMismatch},
		{name: "mustUnderstand 1.1", doc: env11(`<a:Action>urn:x</a:Action><x:Sec s:mustUnderstand="1" xmlns:x="urn:sec"/>`), code: CodeMustUnderstand, err: ErrMustUnderstand},
		{name: "mustUnderstand in 1.2 namespace is just an attribute", doc: env11(`<a:Action>urn:x</a:Action><x:Sec xmlns:e="http://www.w3.org/2003/05/soap-envelope" e:mustUnderstand="1" xmlns:x="urn:sec"/>`)},
		{name: "other actor", doc: env11(`<a:Action>urn:x</a:Action><x:Sec s:actor="urn:other" s:mustUnderstand="1" xmlns:x="urn:sec"/>`)},
		{name: "actor next", doc: env11(`<a:Action>urn:x</a:Action><x:Sec s:actor="` + ActorNext11 + `" s:mustUnderstand="1" xmlns:x="urn:sec"/>`), code: CodeMustUnderstand, err: ErrMustUnderstand},
		{name: "missing action", doc: env11(``), code: CodeSender, err: ErrAddressing},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := NewCodec(EncodingText11, Limits{})
			e, err := c.Decode([]byte(tc.doc))
			if tc.code == "" {
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				if e.Header.ReplyTo != tc.replyTo {
					t.Errorf("ReplyTo = %q, want %q", e.Header.ReplyTo, tc.replyTo)
				}
				if n, err := e.Body().Next(); err != nil || n.Name.Local != "Op" {
					t.Errorf("body first node = %v, %v", n, err)
				}
				if err := e.Finish(); err != nil {
					t.Errorf("Finish: %v", err)
				}
				return
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("Decode error = %v, want *DecodeError", err)
			}
			if de.Fault.Code != tc.code || !errors.Is(err, tc.err) {
				t.Errorf("fault code %q err %v, want %q / %v", de.Fault.Code, err, tc.code, tc.err)
			}
		})
	}
}

func TestEncodeSOAP11(t *testing.T) {
	c := NewCodec(EncodingText11, Limits{})
	f := ActionNotSupportedFault("urn:x/IFoo/Bar", 0)
	f.Headers = append(f.Headers, upgradeHeader{}) // must not appear in SOAP 1.1
	cases := []struct {
		name string
		h    Header
		body BodyWriter
		want string
	}{
		{"callback", Header{Action: nsIpam + "/I/Notify", To: "http://127.0.0.1:9/cb"}, emptyBody{"Notify"},
			`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header>` +
				`<a:Action s:mustUnderstand="1">http://Microsoft.Windows.Ipam/I/Notify</a:Action><a:To s:mustUnderstand="1">http://127.0.0.1:9/cb</a:To></s:Header>` +
				`<s:Body><Notify xmlns="http://Microsoft.Windows.Ipam"></Notify></s:Body></s:Envelope>`},
		{"addressing fault", Header{Action: ActionAddressingFault, RelatesTo: "urn:uuid:1"}, f,
			`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header>` +
				`<a:Action s:mustUnderstand="1">http://www.w3.org/2005/08/addressing/fault</a:Action><a:RelatesTo>urn:uuid:1</a:RelatesTo></s:Header>` +
				`<s:Body><s:Fault><faultcode>a:ActionNotSupported</faultcode><faultstring xml:lang="en-US">` + f.Reason + `</faultstring>` +
				`<detail><a:ProblemAction><a:Action>urn:x/IFoo/Bar</a:Action></a:ProblemAction></detail></s:Fault></s:Body></s:Envelope>`},
		{"sender fault", Header{Action: ActionSOAPFault}, &Fault{Code: CodeSender, Reason: "bad"},
			`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header>` +
				`<a:Action s:mustUnderstand="1">http://www.w3.org/2005/08/addressing/soap/fault</a:Action></s:Header>` +
				`<s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring xml:lang="en-US">bad</faultstring></s:Fault></s:Body></s:Envelope>`},
		{"receiver fault", Header{Action: ActionSOAPFault}, &Fault{Code: CodeReceiver, Reason: "down"},
			`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header>` +
				`<a:Action s:mustUnderstand="1">http://www.w3.org/2005/08/addressing/soap/fault</a:Action></s:Header>` +
				`<s:Body><s:Fault><faultcode>s:Server</faultcode><faultstring xml:lang="en-US">down</faultstring></s:Fault></s:Body></s:Envelope>`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := c.Encode(nil, &tc.h, tc.body)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := canonXML(t, out), canonXML(t, []byte(tc.want)); got != want {
				t.Errorf("encoded\n got %s\nwant %s\n(raw %s)", got, want, out)
			}
			if strings.Contains(string(out), "Upgrade") {
				t.Errorf("SOAP 1.2 header block in a SOAP 1.1 envelope: %s", out)
			}
			// What we write, we read back.
			e, err := NewCodec(EncodingText11, Limits{}).Decode(out)
			if err != nil {
				t.Fatalf("decode own output: %v", err)
			}
			if e.Header.Action != tc.h.Action {
				t.Errorf("Action = %q", e.Header.Action)
			}
			if _, isFault := tc.body.(*Fault); e.IsFault() != isFault {
				t.Errorf("IsFault = %v, want %v", e.IsFault(), isFault)
			}
		})
	}
}

func TestEncodingText11Meta(t *testing.T) {
	if got := EncodingText11.ContentType(); got != "text/xml; charset=utf-8" {
		t.Errorf("ContentType = %q", got)
	}
	if EncodingText11.EnvelopeNamespace() != NSEnvelope11 || EncodingText.EnvelopeNamespace() != NSEnvelope {
		t.Error("EnvelopeNamespace mismatch")
	}
}
