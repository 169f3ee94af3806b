package soap

import (
	"strings"
	"testing"

	"github.com/beevik/etree"
	"github.com/ipamd/ipamd/soap/xmlstream"
)

// expectFromXML derives the expected Header and first body element of a
// capture message from its decoded XML, with etree.
func expectFromXML(t *testing.T, data []byte) (Header, xmlstream.Name) {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(data); err != nil {
		t.Fatal(err)
	}
	var h Header
	text := func(path string) string {
		if e := doc.FindElement(path); e != nil {
			return strings.TrimSpace(e.Text())
		}
		return ""
	}
	h.Action = text("/Envelope/Header/Action")
	h.MessageID = text("/Envelope/Header/MessageID")
	h.RelatesTo = text("/Envelope/Header/RelatesTo")
	h.To = text("/Envelope/Header/To")
	h.ReplyTo = text("/Envelope/Header/ReplyTo/Address")
	var body xmlstream.Name
	if b := doc.FindElement("/Envelope/Body"); b != nil && len(b.ChildElements()) > 0 {
		c := b.ChildElements()[0]
		body = xmlstream.Name{Prefix: c.Space, Local: c.Tag, Space: c.NamespaceURI()}
	}
	return h, body
}

func checkEnvelope(t *testing.T, name string, env *Envelope, want Header, wantBody xmlstream.Name) {
	t.Helper()
	if env.Header.Action != want.Action || env.Header.MessageID != want.MessageID || env.Header.RelatesTo != want.RelatesTo ||
		env.Header.To != want.To || env.Header.ReplyTo != want.ReplyTo || env.Header.FaultTo != "" {
		t.Errorf("%s: header\n got %+v\nwant %+v", name, env.Header, want)
	}
	if env.BodyName != wantBody {
		t.Errorf("%s: body element %+v, want %+v", name, env.BodyName, wantBody)
	}
}

// TestCaptureSessionA pins the exact header values of session A.
func TestCaptureSessionA(t *testing.T) {
	const ns = "http://Microsoft.Windows.Ipam"
	const act = ns + "/IIpamAsyncProvision/"
	c2s := []struct {
		h    Header
		body string
	}{
		{Header{Action: act + "InitializeAsyncProvisioning", MessageID: "urn:uuid:36e421b5-55c2-4563-8319-e840d9fee760",
			ReplyTo: AddressAnonymous, To: "net.tcp://127.0.0.2:18081/IpamAsyncProvision"}, "InitializeAsyncProvisioning"},
		{Header{Action: act + "StartAsyncProvisioning", MessageID: "urn:uuid:4f8f0014-7760-48a7-aa60-dc0701f59c84",
			ReplyTo: AddressAnonymous, To: "net.tcp://127.0.0.2:18081/IpamAsyncProvision"}, "StartAsyncProvisioning"},
	}
	s2c := []struct {
		h    Header
		body string
	}{
		{Header{Action: act + "InitializeAsyncProvisioningResponse", RelatesTo: "urn:uuid:36e421b5-55c2-4563-8319-e840d9fee760"}, "InitializeAsyncProvisioningResponse"},
		{Header{Action: act + "NotifyAsyncProvisionStart", MessageID: "urn:uuid:286db78a-0f23-4028-84ca-9bd00b75600b",
			ReplyTo: AddressAnonymous, To: "net.tcp://127.0.0.1:38496/"}, "NotifyAsyncProvisionStart"},
		{Header{Action: act + "NotifyAsyncProvisionCheckpoint", MessageID: "urn:uuid:7e9e2ecb-00b1-48a1-9c14-81661f657bff",
			ReplyTo: AddressAnonymous, To: "net.tcp://127.0.0.1:38496/"}, "NotifyAsyncProvisionCheckpoint"},
	}
	for enc, suffix := range map[Encoding]string{EncodingBinarySession: ".bin", EncodingText: ".xml"} {
		for _, dir := range []struct {
			name string
			want []struct {
				h    Header
				body string
			}
		}{{"c2s", c2s}, {"s2c", s2c}} {
			c := NewCodec(enc, Limits{})
			for i, m := range captureMessages(t, "A", dir.name)[:len(dir.want)] {
				env, err := c.Decode(readFile(t, "capture/"+m+suffix))
				if err != nil {
					t.Fatalf("%v %s: %v", enc, m, err)
				}
				checkEnvelope(t, m, env, dir.want[i].h, xmlstream.Name{Local: dir.want[i].body, Space: ns})
				if err := env.Finish(); err != nil {
					t.Fatalf("%v %s: Finish: %v", enc, m, err)
				}
			}
		}
	}
}

// TestCaptureAll decodes every captured payload of both sessions in both
// directions, binary session (one Codec per direction, so the string table
// carries over) and text (the decoded XML), and checks header fields and
// that the binary and text bodies are the same node stream.
func TestCaptureAll(t *testing.T) {
	for _, sess := range []string{"A", "B"} {
		for _, dir := range []string{"c2s", "s2c"} {
			bin := NewCodec(EncodingBinarySession, Limits{})
			txt := NewCodec(EncodingText, Limits{})
			for _, m := range captureMessages(t, sess, dir) {
				xml := readFile(t, "capture/"+m+".xml")
				want, wantBody := expectFromXML(t, xml)
				envB, err := bin.Decode(readFile(t, "capture/"+m+".bin"))
				if err != nil {
					t.Fatalf("%s binary: %v", m, err)
				}
				checkEnvelope(t, m+" binary", envB, want, wantBody)
				bodyB, err := dumpNodes(envB.Body())
				if err != nil {
					t.Fatalf("%s binary body: %v", m, err)
				}
				envT, err := txt.Decode(xml)
				if err != nil {
					t.Fatalf("%s text: %v", m, err)
				}
				checkEnvelope(t, m+" text", envT, want, wantBody)
				bodyT, err := dumpNodes(envT.Body())
				if err != nil {
					t.Fatalf("%s text body: %v", m, err)
				}
				if bodyB != bodyT {
					t.Errorf("%s: binary and text bodies differ:\n%s\n---\n%s", m, bodyB, bodyT)
				}
			}
		}
	}
}
