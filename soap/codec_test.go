package soap

import (
	"errors"
	"strings"
	"testing"

	"github.com/ipamd/ipamd/soap/xmlstream"
)

const nsIpam = "http://Microsoft.Windows.Ipam"

// emptyBody writes <local xmlns="ns"/>.
type emptyBody struct{ local string }

func (b emptyBody) WriteBody(w xmlstream.Writer) error {
	w.StartElement("", b.local, nsIpam)
	return w.EndElement()
}

// completeBody is NotifyAsyncProvisionComplete with nil result and exception.
type completeBody struct{}

func (completeBody) WriteBody(w xmlstream.Writer) error {
	w.StartElement("", "NotifyAsyncProvisionComplete", nsIpam)
	WriteNil(w, "", "result", nsIpam)
	WriteNil(w, "", "exception", nsIpam)
	return w.EndElement()
}

var roundTrips = []struct {
	name   string
	golden string
	h      Header
	body   BodyWriter
}{
	{"reply", "reply.xml", Header{
		Action:    nsIpam + "/IIpamAsyncProvision/InitializeAsyncProvisioningResponse",
		RelatesTo: "urn:uuid:36e421b5-55c2-4563-8319-e840d9fee760",
		To:        AddressAnonymous,
	}, emptyBody{"InitializeAsyncProvisioningResponse"}},
	{"callback", "callback.xml", Header{
		Action: nsIpam + "/IIpamAsyncProvision/NotifyAsyncProvisionComplete",
		To:     AddressAnonymous,
	}, completeBody{}},
	{"fault", "fault.xml", Header{
		Action:    ActionAddressingFault,
		RelatesTo: "urn:uuid:36e421b5-55c2-4563-8319-e840d9fee760",
		To:        AddressAnonymous,
	}, ActionNotSupportedFault("urn:x/IFoo/Bar", 0)},
	{"mustunderstand", "mustunderstand.xml", Header{
		Action:    ActionSOAPFault,
		RelatesTo: "urn:uuid:00000000-0000-0000-0000-000000000001",
		To:        AddressAnonymous,
	}, MustUnderstandFault(0, xmlstream.Name{Space: "urn:sec", Local: "Security"})},
}

func TestEncodeGoldenText(t *testing.T) {
	c := NewCodec(EncodingText, Limits{})
	for _, tc := range roundTrips {
		out, err := c.Encode(nil, &tc.h, tc.body)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got, want := canonXML(t, out), canonXML(t, readFile(t, "golden/"+tc.golden)); got != want {
			t.Errorf("%s: encoded text differs from golden\n got %s\nwant %s\n(raw %s)", tc.name, got, want, out)
		}
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	for _, enc := range allEncodings {
		enc := enc
		t.Run(enc.String(), func(t *testing.T) {
			out := NewCodec(enc, Limits{})
			in := NewCodec(enc, Limits{})
			prefix := []byte("keep")
			for _, tc := range roundTrips {
				payload, err := out.Encode(append([]byte(nil), prefix...), &tc.h, tc.body)
				if err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				if string(payload[:len(prefix)]) != string(prefix) {
					t.Fatalf("%s: Encode clobbered dst", tc.name)
				}
				payload = payload[len(prefix):]
				if enc == EncodingBinarySession && payload[0] != 0x00 {
					t.Fatalf("%s: binary session payload does not start with the empty table", tc.name)
				}
				// Same infoset as the golden file, whatever the encoding.
				if got, want := canonXML(t, toText(t, enc, payload)), canonXML(t, readFile(t, "golden/"+tc.golden)); got != want {
					t.Errorf("%s: infoset differs\n got %s\nwant %s", tc.name, got, want)
				}
				env, err := in.Decode(payload)
				if err != nil {
					t.Fatalf("%s: decode: %v", tc.name, err)
				}
				h := env.Header
				if h.Action != tc.h.Action || h.RelatesTo != tc.h.RelatesTo || h.To != tc.h.To || h.MessageID != tc.h.MessageID || h.ReplyTo != "" {
					t.Errorf("%s: header %+v, want %+v", tc.name, h, tc.h)
				}
				if f, ok := tc.body.(*Fault); ok {
					if !env.IsFault() {
						t.Fatalf("%s: IsFault false for %+v", tc.name, env.BodyName)
					}
					got, detail, err := ReadFault(env.Body())
					if err != nil {
						t.Fatalf("%s: ReadFault: %v", tc.name, err)
					}
					if got.Code != f.Code || got.SubcodeSpace != f.SubcodeSpace || got.Subcode != f.Subcode ||
						got.Subsubcode != f.Subsubcode || got.Reason != f.Reason || got.Lang != "en-US" {
						t.Errorf("%s: fault %+v, want %+v", tc.name, got, f)
					}
					if f.Detail != nil {
						want := `<a:ProblemAction xmlns:a="http://www.w3.org/2005/08/addressing"><a:Action>urn:x/IFoo/Bar</a:Action></a:ProblemAction>`
						if string(detail) != want {
							t.Errorf("%s: detail %s", tc.name, detail)
						}
					} else if detail != nil {
						t.Errorf("%s: unexpected detail %s", tc.name, detail)
					}
				} else {
					n, err := env.Body().Next()
					if err != nil || n.Kind != xmlstream.StartElement || n.Name.Space != nsIpam {
						t.Fatalf("%s: first body node %+v, %v", tc.name, n, err)
					}
				}
				if err := env.Finish(); err != nil {
					t.Fatalf("%s: Finish: %v", tc.name, err)
				}
			}
		})
	}
}

// TestTwoWayCallbackHeaders covers the remaining header fields.
func TestTwoWayCallbackHeaders(t *testing.T) {
	h := Header{Action: "urn:t/ISvc/Ask", MessageID: "urn:uuid:11111111-2222-3333-4444-555555555555",
		ReplyTo: AddressAnonymous, FaultTo: "urn:fault", From: "urn:from", To: AddressAnonymous}
	for _, enc := range allEncodings {
		payload, err := NewCodec(enc, Limits{}).Encode(nil, &h, nil)
		if err != nil {
			t.Fatal(err)
		}
		env, err := NewCodec(enc, Limits{}).Decode(payload)
		if err != nil {
			t.Fatalf("%v: %v", enc, err)
		}
		if env.Header.Action != h.Action || env.Header.MessageID != h.MessageID || env.Header.ReplyTo != h.ReplyTo ||
			env.Header.FaultTo != h.FaultTo || env.Header.From != h.From || env.Header.To != h.To {
			t.Errorf("%v: %+v", enc, env.Header)
		}
		n, err := env.Body().Next()
		if err != nil || n.Kind != xmlstream.EndElement || n.Name.Local != "Body" {
			t.Errorf("%v: empty body yields %+v, %v", enc, n, err)
		}
	}
}

func TestEncodeErrors(t *testing.T) {
	c := NewCodec(EncodingBinarySession, Limits{})
	dst := []byte("x")
	if out, err := c.Encode(dst, &Header{}, nil); err == nil || string(out) != "x" {
		t.Fatalf("no Action: %q, %v", out, err)
	}
	bad := BodyWriterFunc(func(w xmlstream.Writer) error {
		w.StartElement("", "a", "")
		return errors.New("boom")
	})
	out, err := c.Encode(dst, &Header{Action: "urn:a"}, bad)
	if err == nil || !strings.Contains(err.Error(), "boom") || string(out) != "x" {
		t.Fatalf("body error: %q, %v", out, err)
	}
	unbalanced := BodyWriterFunc(func(w xmlstream.Writer) error { return w.StartElement("", "a", "") })
	if _, err := c.Encode(nil, &Header{Action: "urn:a"}, unbalanced); err == nil {
		t.Fatal("unbalanced body encoded")
	}
	// The codec is still usable afterwards.
	if _, err := c.Encode(nil, &Header{Action: "urn:a"}, nil); err != nil {
		t.Fatal(err)
	}
}

const (
	envOpen   = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing">`
	actionHdr = `<a:Action s:mustUnderstand="1">urn:t/ISvc/Op</a:Action>`
	msgIDHdr  = `<a:MessageID>urn:uuid:36e421b5-55c2-4563-8319-e840d9fee760</a:MessageID>`
	bodyOp    = `<s:Body><Op xmlns="urn:t"/></s:Body>`
)

func env(headers string) string {
	return envOpen + `<s:Header>` + headers + `</s:Header>` + bodyOp + `</s:Envelope>`
}

// TestFaultMapping: each bad envelope → the fault to answer with. Well-formed
// cases run in all three encodings (transcoded from text).
func TestFaultMapping(t *testing.T) {
	deep := strings.Repeat(`<x:d>`, 200) + strings.Repeat(`</x:d>`, 200)
	cases := []struct {
		name      string
		doc       string
		textOnly  bool
		code      string // "" = decodes fine
		subcode   string
		subsub    string
		action    string
		err       error
		headers   int // fault header blocks
		keepMsgID bool
	}{
		{name: "ok", doc: env(actionHdr + msgIDHdr)},
		{name: "keepalive", doc: envOpen + `<s:Header><a:Action s:mustUnderstand="1">` + ActionKeepalive + `</a:Action></s:Header><s:Body/></s:Envelope>`},
		{name: "no header element", doc: envOpen + bodyOp + `</s:Envelope>`, code: CodeSender, subcode: SubcodeMessageAddressingHeaderRequired, action: ActionAddressingFault, err: ErrAddressing},
		{name: "not xml", doc: `not xml at all`, textOnly: true, code: CodeSender, action: ActionSOAPFault, err: xmlstream.ErrMalformed},
		{name: "truncated", doc: envOpen + `<s:Header>` + actionHdr, textOnly: true, code: CodeSender, err: xmlstream.ErrMalformed},
		{name: "doctype", doc: `<!DOCTYPE s:Envelope>` + env(actionHdr), textOnly: true, code: CodeSender, err: xmlstream.ErrMalformed},
		{name: "soap 1.1", doc: `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body/></s:Envelope>`, code: CodeVersionMismatch, action: ActionSOAPFault, err: ErrVersionMismatch, headers: 1},
		{name: "not an envelope", doc: `<Op xmlns="urn:t"/>`, code: CodeVersionMismatch, err: ErrVersionMismatch, headers: 1},
		{name: "mustUnderstand 1", doc: env(actionHdr + msgIDHdr + `<x:Security s:mustUnderstand="1" xmlns:x="urn:sec"/>`), code: CodeMustUnderstand, action: ActionSOAPFault, err: ErrMustUnderstand, headers: 1, keepMsgID: true},
		{name: "mustUnderstand true x2", doc: env(actionHdr + msgIDHdr + `<x:A s:mustUnderstand="true" xmlns:x="urn:x"/><x:B s:mustUnderstand=" 1 " xmlns:x="urn:x">t</x:B>`), code: CodeMustUnderstand, err: ErrMustUnderstand, headers: 2, keepMsgID: true},
		{name: "mustUnderstand addressing extension", doc: env(actionHdr + `<a:Foo s:mustUnderstand="1"/>`), code: CodeMustUnderstand, err: ErrMustUnderstand, headers: 1},
		{name: "mustUnderstand beats missing action", doc: env(`<x:A s:mustUnderstand="1" xmlns:x="urn:x"/>`), code: CodeMustUnderstand, err: ErrMustUnderstand, headers: 1},
		{name: "mustUnderstand 0", doc: env(actionHdr + `<x:A s:mustUnderstand="0" xmlns:x="urn:x"><y/></x:A>`)},
		{name: "unknown header", doc: env(actionHdr + `<x:ActivityId xmlns:x="http://schemas.microsoft.com/2004/09/ServiceModel/Diagnostics">abc</x:ActivityId>`)},
		{name: "other role", doc: env(actionHdr + `<x:A s:mustUnderstand="1" s:role="http://www.w3.org/2003/05/soap-envelope/role/none" xmlns:x="urn:x"/>`)},
		{name: "role ultimateReceiver", doc: env(actionHdr + `<x:A s:mustUnderstand="1" s:role="http://www.w3.org/2003/05/soap-envelope/role/ultimateReceiver" xmlns:x="urn:x"/>`), code: CodeMustUnderstand, err: ErrMustUnderstand, headers: 1},
		{name: "bad mustUnderstand", doc: env(actionHdr + `<x:A s:mustUnderstand="yes" xmlns:x="urn:x"/>`), code: CodeSender},
		{name: "missing action", doc: env(msgIDHdr), code: CodeSender, subcode: SubcodeMessageAddressingHeaderRequired, action: ActionAddressingFault, err: ErrAddressing, keepMsgID: true},
		{name: "action for other role", doc: env(`<a:Action s:role="urn:other">urn:x</a:Action>`), code: CodeSender, subcode: SubcodeMessageAddressingHeaderRequired},
		{name: "duplicate action", doc: env(actionHdr + actionHdr + msgIDHdr), code: CodeSender, subcode: SubcodeInvalidAddressingHeader, subsub: SubcodeInvalidCardinality, action: ActionAddressingFault, err: ErrAddressing, keepMsgID: true},
		{name: "duplicate messageid", doc: env(actionHdr + msgIDHdr + msgIDHdr), code: CodeSender, subcode: SubcodeInvalidAddressingHeader, subsub: SubcodeInvalidCardinality},
		{name: "action with element", doc: env(`<a:Action>urn:<x/></a:Action>`), code: CodeSender, subcode: SubcodeInvalidAddressingHeader, subsub: SubcodeInvalidAddress},
		{name: "replyto without address", doc: env(actionHdr + `<a:ReplyTo><a:Metadata/></a:ReplyTo>`), code: CodeSender, subcode: SubcodeInvalidAddressingHeader, subsub: SubcodeMissingAddressInEPR},
		{name: "replyto two addresses", doc: env(actionHdr + `<a:ReplyTo><a:Address>u</a:Address><a:Address>v</a:Address></a:ReplyTo>`), code: CodeSender, subcode: SubcodeInvalidAddressingHeader, subsub: SubcodeInvalidCardinality},
		{name: "replyto reference parameters", doc: env(actionHdr + `<a:ReplyTo><a:Address> ` + AddressAnonymous + ` </a:Address><a:ReferenceParameters><x:k xmlns:x="urn:x">1</x:k></a:ReferenceParameters></a:ReplyTo>`)},
		{name: "relatesto other relationship", doc: env(actionHdr + `<a:RelatesTo RelationshipType="urn:rel">u1</a:RelatesTo><a:RelatesTo>u2</a:RelatesTo><a:RelatesTo RelationshipType="urn:rel">u3</a:RelatesTo>`)},
		{name: "no body", doc: envOpen + `<s:Header>` + actionHdr + `</s:Header></s:Envelope>`, code: CodeSender, err: ErrEnvelope},
		{name: "two headers", doc: envOpen + `<s:Header>` + actionHdr + `</s:Header><s:Header/>` + bodyOp + `</s:Envelope>`, code: CodeSender, err: ErrEnvelope},
		{name: "foreign element in envelope", doc: envOpen + `<s:Header>` + actionHdr + `</s:Header><x/>` + bodyOp + `</s:Envelope>`, code: CodeSender, err: ErrEnvelope},
		{name: "text in header", doc: env(actionHdr + `junk`), code: CodeSender, err: ErrEnvelope},
		{name: "text in body", doc: envOpen + `<s:Header>` + actionHdr + `</s:Header><s:Body>junk</s:Body></s:Envelope>`, code: CodeSender, err: ErrEnvelope},
		{name: "deep header", doc: env(actionHdr + `<x:d xmlns:x="urn:x">` + deep + `</x:d>`), code: CodeSender, err: xmlstream.ErrQuota},
	}
	for _, tc := range cases {
		for _, enc := range allEncodings {
			if tc.textOnly && enc != EncodingText {
				continue
			}
			t.Run(tc.name+"/"+enc.String(), func(t *testing.T) {
				payload := []byte(tc.doc)
				if enc != EncodingText {
					payload = transcode(t, enc, payload)
				}
				c := NewCodec(enc, Limits{})
				e, err := c.Decode(payload)
				if tc.code == "" {
					if err != nil {
						t.Fatalf("unexpected error %v", err)
					}
					if err := e.Finish(); err != nil {
						t.Fatalf("Finish: %v", err)
					}
					return
				}
				var de *DecodeError
				if !errors.As(err, &de) {
					t.Fatalf("error %v (%T) is not a *DecodeError", err, err)
				}
				f := de.Fault
				if f.Code != tc.code || f.Subcode != tc.subcode || f.Subsubcode != tc.subsub {
					t.Fatalf("fault %s, want %s/%s/%s (err %v)", f.Error(), tc.code, tc.subcode, tc.subsub, err)
				}
				if tc.subcode != "" && f.SubcodeSpace != NSAddressing {
					t.Errorf("subcode namespace %q", f.SubcodeSpace)
				}
				if tc.action != "" && f.Action != tc.action {
					t.Errorf("fault action %q, want %q", f.Action, tc.action)
				}
				if tc.err != nil && !errors.Is(err, tc.err) {
					t.Errorf("error %v does not wrap %v", err, tc.err)
				}
				if len(f.Headers) != tc.headers {
					t.Errorf("%d fault header blocks, want %d", len(f.Headers), tc.headers)
				}
				if tc.keepMsgID && de.Header.MessageID != "urn:uuid:36e421b5-55c2-4563-8319-e840d9fee760" {
					t.Errorf("DecodeError.Header.MessageID = %q", de.Header.MessageID)
				}
				// The fault itself must encode.
				if _, err := NewCodec(enc, Limits{}).Encode(nil, &Header{Action: f.Action, RelatesTo: de.Header.MessageID}, f); err != nil {
					t.Errorf("encode fault: %v", err)
				}
			})
		}
	}
}

func TestDecodeBinaryErrors(t *testing.T) {
	good := transcode(t, EncodingBinarySession, []byte(env(actionHdr)))
	cases := map[string][]byte{
		"empty":           {},
		"table overruns":  {0x05, 0x01},
		"truncated doc":   good[:len(good)/2],
		"unknown session": {0x00, 0x56, 0x02, 0x0b, 0x01, 0x73, 0x04, 0x56, 0x08, 0x42, 0x07, 0x01, 0x01, 0x01},
	}
	for name, p := range cases {
		c := NewCodec(EncodingBinarySession, Limits{})
		_, err := c.Decode(p)
		var de *DecodeError
		if !errors.As(err, &de) || de.Fault.Code != CodeSender {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Trailing records after the envelope are found by Finish (lazy body).
	e, err := NewCodec(EncodingBinarySession, Limits{}).Decode(append(append([]byte(nil), good...), 0x40, 0x01, 0x61, 0x01))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Finish(); err == nil {
		t.Error("trailing record: Finish succeeded")
	}
	// A string table over quota breaks the session for good.
	c := NewCodec(EncodingBinarySession, Limits{MaxSessionTableBytes: 8})
	table := append([]byte{0x0A, 0x09}, "123456789"...)
	_, err = c.Decode(append(table, good[1:]...))
	var de *DecodeError
	if !errors.As(err, &de) || !de.Fatal || !errors.Is(err, xmlstream.ErrQuota) {
		t.Fatalf("table quota: %v", err)
	}
	if _, err := c.Decode(good); !errors.As(err, &de) || !de.Fatal {
		t.Fatalf("decode after fatal error: %v", err)
	}
	// Message size quota.
	if _, err := NewCodec(EncodingText, Limits{MaxMessageBytes: 10}).Decode([]byte(env(actionHdr))); !errors.Is(err, xmlstream.ErrQuota) {
		t.Fatalf("size quota: %v", err)
	}
}

// TestSessionTableCarriesOver: strings from one message's table are used by
// later messages of the same direction.
//
// Rule T7. (docs/protocol.md)
func TestSessionTableCarriesOver(t *testing.T) {
	c := NewCodec(EncodingBinarySession, Limits{})
	first := readFile(t, "capture/A_c2s_01.bin")
	if _, err := c.Decode(first); err != nil {
		t.Fatal(err)
	}
	// A document that names element session#1 ("parameters") with an empty table.
	doc := []byte{0x00, 0x56, 0x02, 0x0b, 0x01, 0x73, 0x04, 0x0b, 0x01, 0x61, 0x06, 0x56, 0x08,
		0x44, 0x0a, 0x99, 0x01, 'x', 0x01, 0x56, 0x0e, 0x42, 0x01, 0x01, 0x01, 0x01}
	e, err := c.Decode(doc)
	if err != nil {
		t.Fatal(err)
	}
	if e.Header.Action != "x" || e.BodyName.Local != "parameters" {
		t.Fatalf("%+v %+v", e.Header, e.BodyName)
	}
	if _, err := NewCodec(EncodingBinarySession, Limits{}).Decode(doc); err == nil {
		t.Fatal("fresh codec resolved session#1")
	}
}

func TestFinish(t *testing.T) {
	cases := map[string]string{
		"element after body": envOpen + `<s:Header>` + actionHdr + `</s:Header>` + bodyOp + `<x/></s:Envelope>`,
		"header after body":  envOpen + bodyOp + `<s:Header/></s:Envelope>`,
	}
	for name, doc := range cases {
		c := NewCodec(EncodingText, Limits{})
		e, err := c.Decode([]byte(doc))
		if name == "header after body" {
			// No Action: the decode itself fails.
			if err == nil {
				t.Fatalf("%s: decoded", name)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var de *DecodeError
		if err := e.Finish(); !errors.As(err, &de) || de.Fault.Code != CodeSender {
			t.Fatalf("%s: Finish = %v", name, err)
		}
	}
	// Finish after the caller read part of the body.
	c := NewCodec(EncodingText, Limits{})
	e, err := c.Decode([]byte(env(actionHdr)))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := e.Body().Next(); err != nil || n.Name.Local != "Op" {
		t.Fatal(n, err)
	}
	if err := e.Finish(); err != nil {
		t.Fatal(err)
	}
	if err := e.Finish(); err != nil {
		t.Fatal("second Finish:", err)
	}
}

// Rule G9. (docs/protocol.md)
func TestReadFaultIpamException(t *testing.T) {
	// [MS-IPAMM2] 2.2.2.1 common fault with an IpamException detail.
	const detail = `<IpamException xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.datacontract.org/2004/07/Microsoft.Windows.Ipam">` +
		`<IpamExceptionData xmlns:ser="http://schemas.microsoft.com/2003/10/Serialization/" xmlns:b="http://Microsoft.Windows.Ipam" ser:Id="i1" i:type="b:IpamExceptionData" xmlns="">` +
		`<ExceptionId>IpamApiAccessDenied</ExceptionId><ExceptionMessage>denied &amp; logged</ExceptionMessage></IpamExceptionData>` +
		`<InnerIpamException i:nil="true" xmlns=""/></IpamException>`
	f := &Fault{Code: CodeSender, Reason: "The creator of this fault did not specify a Reason.", Detail: RawXML(detail)}
	for _, enc := range allEncodings {
		payload, err := NewCodec(enc, Limits{}).Encode(nil, &Header{Action: ActionDefaultFault, RelatesTo: "urn:uuid:1"}, f)
		if err != nil {
			t.Fatalf("%v: %v", enc, err)
		}
		e, err := NewCodec(enc, Limits{}).Decode(payload)
		if err != nil {
			t.Fatal(err)
		}
		got, raw, err := ReadFault(e.Body())
		if err != nil {
			t.Fatalf("%v: %v", enc, err)
		}
		if got.Code != CodeSender || got.Subcode != "" || got.Reason != f.Reason {
			t.Errorf("%v: %+v", enc, got)
		}
		if canonXML(t, raw) != canonXML(t, []byte(detail)) {
			t.Errorf("%v: detail\n%s", enc, raw)
		}
		// The i:type prefix b must still resolve in the re-encoded detail.
		if !strings.Contains(string(raw), `xmlns:b="http://Microsoft.Windows.Ipam"`) {
			t.Errorf("%v: b not declared in %s", enc, raw)
		}
		if err := e.Finish(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestReadFaultForeign(t *testing.T) {
	// A WCF-style InternalServiceFault with the dispatcher prefix redeclared,
	// reason in two languages, Node/Role present.
	doc := envOpen + `<s:Header>` + `<a:Action s:mustUnderstand="1">` + ActionDefaultFault + `</a:Action></s:Header><s:Body><s:Fault>` +
		`<s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value xmlns:a="` + NSDispatcher + `">a:InternalServiceFault</s:Value>` +
		`<s:Subcode><s:Value xmlns:q="urn:q">q:Deeper</s:Value></s:Subcode></s:Subcode></s:Code>` +
		`<s:Reason><s:Text xml:lang="de-DE">intern</s:Text><s:Text xml:lang="en-US">internal</s:Text></s:Reason>` +
		`<s:Node>urn:n</s:Node><s:Role>urn:r</s:Role></s:Fault></s:Body></s:Envelope>`
	for _, enc := range allEncodings {
		e, err := NewCodec(enc, Limits{}).Decode(transcode(t, enc, []byte(doc)))
		if err != nil {
			t.Fatal(err)
		}
		f, raw, err := ReadFault(e.Body())
		if err != nil {
			t.Fatal(err)
		}
		if f.Code != CodeReceiver || f.SubcodeSpace != NSDispatcher || f.Subcode != SubcodeInternalServiceFault || f.Subsubcode != "" ||
			f.Reason != "internal" || f.Lang != "en-US" || raw != nil {
			t.Errorf("%v: %+v %s", enc, f, raw)
		}
	}
	bad := []string{
		`<s:Fault xmlns:s="` + NSEnvelope + `"><s:Reason><s:Text>x</s:Text></s:Reason></s:Fault>`,
		`<s:Fault xmlns:s="` + NSEnvelope + `"><s:Code><s:Value>q:Sender</s:Value></s:Code><s:Reason/></s:Fault>`,
		`<s:Fault xmlns:s="` + NSEnvelope + `" xmlns:x="urn:x"><s:Code><s:Value>x:Sender</s:Value></s:Code><s:Reason/></s:Fault>`,
		`<x:Fault xmlns:x="urn:x"/>`,
	}
	for _, b := range bad {
		r := textReader(b)
		if _, _, err := ReadFault(r); err == nil {
			t.Errorf("accepted %s", b)
		}
	}
}

func TestHelpers(t *testing.T) {
	doc := `<r xmlns="urn:d" xmlns:i="` + NSXSI + `" xmlns:p="urn:p">` +
		`<a>one<!-- c --> two</a><b><c/>x</b><n i:nil="true"/><m i:nil="false"/>` +
		`<t1 i:type="p:T"/><t2 i:type="T"/><t3 i:type="z:T"/><t4/><skip><x><y/></x>text</skip><last/></r>`
	r := textReader(doc)
	next := func() *xmlstream.Node {
		t.Helper()
		n, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	next() // r
	next() // a
	if s, err := xmlstream.ReadText(r); err != nil || s != "one two" {
		t.Fatalf("ReadText = %q, %v", s, err)
	}
	next() // b
	if _, err := xmlstream.ReadText(r); !errors.Is(err, xmlstream.ErrMalformed) {
		t.Fatalf("ReadText nested: %v", err)
	}
	if err := xmlstream.Skip(r); err != nil { // rest of c
		t.Fatal(err)
	}
	if err := xmlstream.Skip(r); err != nil { // rest of b
		t.Fatal(err)
	}
	if n := next(); !xmlstream.IsNil(n) || n.Name.Local != "n" {
		t.Fatalf("xmlstream.IsNil(n) false: %+v", n)
	}
	next()
	if n := next(); xmlstream.IsNil(n) || n.Name.Local != "m" {
		t.Fatalf("xmlstream.IsNil(m) true")
	}
	next()
	for _, want := range []struct {
		space, local string
		ok           bool
	}{{"urn:p", "T", true}, {"urn:d", "T", true}, {"", "", false}, {"", "", false}} {
		n := next()
		space, local, ok, _ := xmlstream.XSIType(r, n)
		if space != want.space || local != want.local || ok != want.ok {
			t.Errorf("XSIType(%s) = %q %q %v", n.Name.Local, space, local, ok)
		}
		next()
	}
	next() // skip
	if err := xmlstream.Skip(r); err != nil {
		t.Fatal(err)
	}
	if n := next(); n.Name.Local != "last" {
		t.Fatalf("after Skip: %+v", n)
	}
}

func TestEncodingMeta(t *testing.T) {
	for _, e := range allEncodings {
		got, ok := EncodingForContentType(e.ContentType())
		if !ok || got != e || e.ContentType() == "" {
			t.Errorf("%v", e)
		}
	}
	if _, ok := EncodingForContentType("application/soap+msbinsession1+gzip"); ok {
		t.Error("a compressed encoding accepted")
	}
}

// TestKeep: Codec.Keep collects the named header blocks (any prefix), which
// then count as understood; more than maxKept is a cardinality fault.
func TestKeep(t *testing.T) {
	name := xmlstream.Name{Space: "urn:s", Local: "SessionId"}
	hdr := func(blocks string) []byte {
		return []byte(`<s:Envelope xmlns:s="` + NSEnvelope + `" xmlns:a="` + NSAddressing + `"><s:Header><a:Action>urn:a</a:Action>` +
			blocks + `</s:Header><s:Body/></s:Envelope>`)
	}
	env, err := NewCodec(EncodingText, Limits{}).Keep(name).Decode(hdr(`<x:SessionId xmlns:x="urn:s" s:mustUnderstand="1"> one </x:SessionId><SessionId xmlns="urn:s">two</SessionId><x:Other xmlns:x="urn:s">no</x:Other>`))
	if err != nil {
		t.Fatal(err)
	}
	if got := env.Header.Kept; len(got) != 2 || got[0].Text != "one" || got[1].Text != "two" || got[0].Name.Local != "SessionId" {
		t.Errorf("Kept = %+v", got)
	}
	if _, err := NewCodec(EncodingText, Limits{}).Decode(hdr(`<x:SessionId xmlns:x="urn:s" s:mustUnderstand="1">one</x:SessionId>`)); err == nil {
		t.Error("a mustUnderstand block not kept was understood")
	}
	five := strings.Repeat(`<x:SessionId xmlns:x="urn:s">id</x:SessionId>`, 5)
	if _, err := NewCodec(EncodingText, Limits{}).Keep(name).Decode(hdr(five)); err == nil || !strings.Contains(err.Error(), "more than once") {
		t.Errorf("five kept blocks: %v", err)
	}
}
