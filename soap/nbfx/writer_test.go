package nbfx

import (
	"bytes"
	"encoding/hex"
	"testing"
)

const (
	replyXML = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing">
<s:Header>
<a:Action s:mustUnderstand="1">http://Microsoft.Windows.Ipam/IIpamAsyncProvision/InitializeAsyncProvisioningResponse</a:Action>
<a:RelatesTo>urn:uuid:36e421b5-55c2-4563-8319-e840d9fee760</a:RelatesTo>
<a:To s:mustUnderstand="1">http://www.w3.org/2005/08/addressing/anonymous</a:To>
</s:Header>
<s:Body><InitializeAsyncProvisioningResponse xmlns="http://Microsoft.Windows.Ipam"/></s:Body>
</s:Envelope>`

	callbackXML = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing">
<s:Header>
<a:Action s:mustUnderstand="1">http://Microsoft.Windows.Ipam/IIpamAsyncProvision/NotifyAsyncProvisionCheckpoint</a:Action>
<a:To s:mustUnderstand="1">http://www.w3.org/2005/08/addressing/anonymous</a:To>
</s:Header>
<s:Body>
<NotifyAsyncProvisionCheckpoint xmlns="http://Microsoft.Windows.Ipam">
<data xmlns:i="http://www.w3.org/2001/XMLSchema-instance">
<IpamObject i:type="IpamCheckpoint"><Text>checkpoint 1 &lt;é&gt;</Text><Count>0</Count><Done>false</Done><Empty></Empty></IpamObject>
<result i:nil="true"/>
<exception i:nil="true" xmlns:b="http://schemas.datacontract.org/2004/07/Microsoft.Windows.Ipam"/>
<Id>urn:uuid:NOT-A-GUID</Id><Upper>urn:uuid:36E421B5-55C2-4563-8319-E840D9FEE760</Upper>
</data>
</NotifyAsyncProvisionCheckpoint>
</s:Body>
</s:Envelope>`

	faultXML = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing">
<s:Header>
<a:Action s:mustUnderstand="1">http://www.w3.org/2005/08/addressing/soap/fault</a:Action>
<a:RelatesTo>urn:uuid:4f8f0014-7760-48a7-aa60-dc0701f59c84</a:RelatesTo>
</s:Header>
<s:Body><s:Fault>
<s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value xmlns:a="http://schemas.microsoft.com/net/2005/12/windowscommunicationfoundation/dispatcher">a:DeserializationFailed</s:Value></s:Subcode></s:Code>
<s:Reason><s:Text xml:lang="en-US">The formatter threw an exception.</s:Text></s:Reason>
<s:Detail><IpamException xmlns="http://schemas.datacontract.org/2004/07/Microsoft.Windows.Ipam" xmlns:x="urn:x" x:code="42"><Message>bad</Message><p:Inner xmlns:p="urn:p" p:depth="2" plain="v">inner</p:Inner></IpamException></s:Detail>
</s:Fault></s:Body>
</s:Envelope>`
)

func TestRoundTrip(t *testing.T) {
	for name, doc := range map[string]string{"reply": replyXML, "callback": callbackXML, "fault": faultXML} {
		w := NewWriter(nil)
		if err := writeXML(w, doc); err != nil {
			t.Fatalf("%s: write: %v", name, err)
		}
		got, err := canonNodes(NewReader(w.Bytes(), nil, ReaderOptions{}))
		if err != nil {
			t.Fatalf("%s: read: %v\n%s", name, err, got)
		}
		want, err := canonXML(doc)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s:\n got:\n%s\nwant:\n%s\nbytes %x", name, got, want, w.Bytes())
		}
	}
}

// completeEnvelope writes the NotifyAsyncProvisionComplete callback.
func completeEnvelope(w *Writer) error {
	const (
		soap = "http://www.w3.org/2003/05/soap-envelope"
		wsa  = "http://www.w3.org/2005/08/addressing"
		xsi  = "http://www.w3.org/2001/XMLSchema-instance"
		ipam = "http://Microsoft.Windows.Ipam"
	)
	w.StartElement("s", "Envelope", soap)
	w.XmlnsAttr("a", wsa)
	w.StartElement("s", "Header", soap)
	w.StartElement("a", "Action", wsa)
	w.Attr("s", "mustUnderstand", soap, "1")
	w.Text("http://Microsoft.Windows.Ipam/IIpamAsyncProvision/NotifyAsyncProvisionComplete")
	w.EndElement()
	w.StartElement("a", "To", wsa)
	w.Attr("s", "mustUnderstand", soap, "1")
	w.Text("http://www.w3.org/2005/08/addressing/anonymous")
	w.EndElement()
	w.EndElement()
	w.StartElement("s", "Body", soap)
	w.StartElement("", "NotifyAsyncProvisionComplete", ipam)
	w.StartElement("", "result", ipam)
	w.Attr("i", "nil", xsi, "true")
	w.EndElement()
	w.StartElement("", "exception", ipam)
	w.Attr("i", "nil", xsi, "true")
	w.EndElement()
	w.EndElement()
	w.EndElement()
	w.EndElement()
	return w.Close()
}

func TestEncodeCompleteBytes(t *testing.T) {
	w := NewWriter([]byte{0x00}) // msbinsession1: empty string table first
	if err := completeEnvelope(w); err != nil {
		t.Fatal(err)
	}
	want := unhex(`00
56 02 0B 01 73 04 0B 01 61 06 56 08
44 0A 1E 00 82 99 4E` + hex.EncodeToString([]byte("http://Microsoft.Windows.Ipam/IIpamAsyncProvision/NotifyAsyncProvisionComplete")) + `
44 0C 1E 00 82 AB 14
01 56 0E
40 1C` + hex.EncodeToString([]byte("NotifyAsyncProvisionComplete")) + `08 1D` + hex.EncodeToString([]byte("http://Microsoft.Windows.Ipam")) + `
40 06` + hex.EncodeToString([]byte("result")) + `0B 01 69 F2 06 14 F6 06 86 01
40 09` + hex.EncodeToString([]byte("exception")) + `0B 01 69 F2 06 14 F6 06 86 01
01 01 01`)
	if !bytes.Equal(w.Bytes(), want) {
		t.Errorf("got  %x\nwant %x", w.Bytes(), want)
	}
	sess := NewReaderSession(0)
	n, _ := sess.ReadStringTable(w.Bytes())
	if _, err := canonNodes(NewReader(w.Bytes()[n:], sess, ReaderOptions{})); err != nil {
		t.Error(err)
	}
}

func TestWriterTextRecords(t *testing.T) {
	cases := map[string]string{
		"":         "A9",
		"0":        "81",
		"1":        "83",
		"false":    "85",
		"true":     "87",
		"Envelope": "AB 02",
		"urn:uuid:36e421b5-55c2-4563-8319-e840d9fee760": "AD b521e436c25563458319e840d9fee760",
		"urn:uuid:36E421B5-55C2-4563-8319-E840D9FEE760": "99 2D" + hex.EncodeToString([]byte("urn:uuid:36E421B5-55C2-4563-8319-E840D9FEE760")),
		"x":                                      "99 01 78",
		string(bytes.Repeat([]byte("y"), 256)):   "9B 0001" + hex.EncodeToString(bytes.Repeat([]byte("y"), 256)),
		string(bytes.Repeat([]byte("z"), 65536)): "9D 00000100" + hex.EncodeToString(bytes.Repeat([]byte("z"), 65536)),
	}
	for s, rec := range cases {
		w := NewWriter(nil)
		w.StartElement("", "x", "")
		w.Text(s)
		w.EndElement()
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		want := append(unhex("40 01 78"), unhex(rec)...)
		if !bytes.Equal(w.Bytes(), want) {
			t.Errorf("%.20q: got %.40x want %.40x", s, w.Bytes(), want)
		}
		got, err := canonNodes(NewReader(w.Bytes(), nil, ReaderOptions{}))
		wantCanon := "S :{}x\n" + func() string {
			if s == "" {
				return ""
			}
			return "T " + quote(s) + "\n"
		}() + "E :{}x\n"
		if err != nil || got != wantCanon {
			t.Errorf("%.20q: read back %.60q, %v", s, got, err)
		}
	}
	// Two texts: only the last is folded; an attribute value never is.
	w := NewWriter(nil)
	w.StartElement("", "x", "")
	w.Attr("", "y", "", "1")
	w.EndElement()
	w.Close()
	if want := unhex("40 01 78 04 01 79 82 01"); !bytes.Equal(w.Bytes(), want) {
		t.Errorf("attribute value folded: %x", w.Bytes())
	}
	w.Reset(nil)
	w.StartElement("", "x", "")
	w.Text("a")
	w.Text("b")
	w.EndElement()
	w.Close()
	if want := unhex("40 01 78 AA B6 01 99 01 62"); !bytes.Equal(w.Bytes(), want) {
		t.Errorf("two texts: %x", w.Bytes())
	}
}

func TestWriterNamespaces(t *testing.T) {
	w := NewWriter(nil)
	w.StartElement("", "root", "urn:d")   // xmlns="urn:d"
	w.StartElement("", "inner", "")       // xmlns=""
	w.StartElement("p", "x", "urn:p")     // xmlns:p
	w.StartElement("p", "y", "urn:p")     // in scope: no declaration
	w.Attr("q", "at", "urn:q", "v")       // xmlns:q
	w.Attr("xml", "lang", "", "en")       // xml prefix never declared
	w.XmlnsAttr("p", "urn:p")             // explicit, still written
	w.StartElement("xx", "Body", "urn:x") // DictionaryElement with long prefix
	w.EndElement()
	w.EndElement()
	w.EndElement()
	w.EndElement()
	w.EndElement()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := unhex(`40 04 726f6f74 08 05 75726e3a64 40 05 696e6e6572 08 00
6D 01 78 09 01 70 05 75726e3a70
6D 01 79 09 01 71 05 75726e3a71 36 02 6174 98 01 76 05 03 786d6c 04 6c616e67 98 02 656e 09 01 70 05 75726e3a70
43 02 7878 0E 09 02 7878 05 75726e3a78
01 01 01 01 01`)
	if !bytes.Equal(w.Bytes(), want) {
		t.Errorf("got  %x\nwant %x", w.Bytes(), want)
	}
	got, err := canonNodes(NewReader(w.Bytes(), nil, ReaderOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	const wantCanon = `S :{urn:d}root
S :{}inner
S p:{urn:p}x
S p:{urn:p}y q:{urn:q}at="v" xml:{http://www.w3.org/XML/1998/namespace}lang="en"
S xx:{urn:x}Body
E xx:{urn:x}Body
E p:{urn:p}y
E p:{urn:p}x
E :{}inner
E :{urn:d}root
`
	if got != wantCanon {
		t.Errorf("got\n%s", got)
	}
}

func TestWriterErrors(t *testing.T) {
	cases := map[string]func(w *Writer) error{
		"unbalancedEnd": func(w *Writer) error { return w.EndElement() },
		"unclosed":      func(w *Writer) error { w.StartElement("", "a", ""); return w.Close() },
		"noRoot":        func(w *Writer) error { return w.Close() },
		"secondRoot": func(w *Writer) error {
			w.StartElement("", "a", "")
			w.EndElement()
			return w.StartElement("", "b", "")
		},
		"attrAfterText": func(w *Writer) error {
			w.StartElement("", "a", "")
			w.Text("x")
			return w.Attr("", "b", "", "v")
		},
		"attrAfterChild": func(w *Writer) error {
			w.StartElement("", "a", "")
			w.StartElement("", "b", "")
			w.EndElement()
			return w.Attr("", "c", "", "v")
		},
		"textOutside":    func(w *Writer) error { return w.Text("x") },
		"badUTF8Text":    func(w *Writer) error { w.StartElement("", "a", ""); return w.Text("\xff") },
		"badUTF8Name":    func(w *Writer) error { return w.StartElement("", "\xff", "") },
		"badUTF8Attr":    func(w *Writer) error { w.StartElement("", "a", ""); return w.Attr("", "b", "", "\xfe") },
		"emptyName":      func(w *Writer) error { return w.StartElement("", "", "") },
		"prefixNoNS":     func(w *Writer) error { return w.StartElement("p", "a", "") },
		"xmlnsPrefix":    func(w *Writer) error { return w.StartElement("xmlns", "a", "urn:x") },
		"qualifiedNoPfx": func(w *Writer) error { w.StartElement("", "a", ""); return w.Attr("", "b", "urn:b", "v") },
		"xmlnsAsAttr":    func(w *Writer) error { w.StartElement("", "a", ""); return w.Attr("", "xmlns", "", "urn:x") },
		"duplicateAttr": func(w *Writer) error {
			w.StartElement("", "a", "")
			w.Attr("", "b", "", "1")
			return w.Attr("", "b", "", "2")
		},
		"prefixConflict": func(w *Writer) error { w.StartElement("p", "a", "urn:1"); return w.Attr("p", "b", "urn:2", "v") },
		"xmlnsConflict":  func(w *Writer) error { w.StartElement("p", "a", "urn:1"); return w.XmlnsAttr("p", "urn:2") },
		"xmlnsEmptyPfx":  func(w *Writer) error { w.StartElement("", "a", ""); return w.XmlnsAttr("p", "") },
		"xmlRebind":      func(w *Writer) error { w.StartElement("", "a", ""); return w.XmlnsAttr("xml", "urn:x") },
		"xmlnsAfterText": func(w *Writer) error { w.StartElement("", "a", ""); w.Text("t"); return w.XmlnsAttr("p", "urn:p") },
		"stickyError":    func(w *Writer) error { w.EndElement(); w.StartElement("", "a", ""); w.EndElement(); return w.Close() },
	}
	for name, f := range cases {
		if err := f(NewWriter(nil)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
