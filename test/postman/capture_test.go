package postman

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/ipamd/ipamd/test/internal/peer"
)

const nsWSA = "http://www.w3.org/2005/08/addressing"

// TestCaptureReferenceParameters runs the Initialize test script's capture
// (node, with a stand-in for Postman's pm object) on replies that carry
// reference parameters, and checks that the Start request built with them
// is well-formed XML whose header blocks resolve to the right namespaces
// and are marked a:IsReferenceParameter="true" (WS-Addressing 1.0 SOAP
// Binding 2.4): the collection keeps working when ipamd starts asking
// clients to send a session reference back.
func TestCaptureReferenceParameters(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		peer.Missing(t, "node is needed on PATH (Debian: apt-get install nodejs)")
	}
	for _, tc := range []struct {
		name, reply string
		headers     map[string]string
		want        []string // {ns}local of the captured blocks
		wantHTTP    int
	}{
		{
			name: "none (today's reply)",
			reply: `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="` + nsWSA + `"><s:Header>` +
				`<a:Action s:mustUnderstand="1">http://Microsoft.Windows.Ipam/IIpamAsyncProvision/InitializeAsyncProvisioningResponse</a:Action>` +
				`<a:RelatesTo>urn:uuid:1</a:RelatesTo></s:Header><s:Body><InitializeAsyncProvisioningResponse xmlns="http://Microsoft.Windows.Ipam"/></s:Body></s:Envelope>`,
		},
		{
			name: "header block marked as reference parameter, prefix declared on the envelope",
			reply: `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="` + nsWSA + `" xmlns:ss="urn:ipamd:2026:session"><s:Header>` +
				`<a:Action>x</a:Action><ss:SessionId a:IsReferenceParameter="true">secret-1</ss:SessionId></s:Header><s:Body/></s:Envelope>`,
			want: []string{"{urn:ipamd:2026:session}SessionId"},
		},
		{
			name: "a:ReferenceParameters of an EPR in the reply, and an HTTP session header",
			reply: `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="` + nsWSA + `"><s:Header><a:Action>x</a:Action></s:Header><s:Body>` +
				`<R><a:EndpointReference><a:Address>http://h/</a:Address><a:ReferenceParameters>` +
				`<t:Token xmlns:t="urn:t">t1</t:Token><t:Other xmlns:t="urn:t"/></a:ReferenceParameters></a:EndpointReference></R></s:Body></s:Envelope>`,
			headers:  map[string]string{"X-Ipamd-Session": "abc", "Content-Type": "application/soap+xml"},
			want:     []string{"{urn:t}Token", "{urn:t}Other"},
			wantHTTP: 1,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hdrs []map[string]string
			for k, v := range tc.headers {
				hdrs = append(hdrs, map[string]string{"key": k, "value": v})
			}
			hj, _ := json.Marshal(hdrs)
			rj, _ := json.Marshal(tc.reply)
			js := `const vars = {};
const hdrs = ` + string(hj) + ` || [];
console.log = (...a) => process.stderr.write(a.join(" ") + "\n");
const pm = { response: { headers: { filter: (f) => hdrs.filter(f) } }, collectionVariables: { set: (k, v) => { vars[k] = v; } } };
const reply = ` + string(rj) + `;
` + captureReferenceParameters + `
process.stdout.write(JSON.stringify(vars));`
			file := filepath.Join(t.TempDir(), "capture.js")
			if err := os.WriteFile(file, []byte(js), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(node, file).Output()
			if err != nil {
				t.Fatalf("node: %v\n%s", err, out)
			}
			var vars map[string]string
			if err := json.Unmarshal(out, &vars); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			var sent []map[string]string
			if err := json.Unmarshal([]byte(vars[VarHTTPSessionHeaders]), &sent); err != nil || len(sent) != tc.wantHTTP {
				t.Errorf("HTTP headers to send back %s (%v), want %d", vars[VarHTTPSessionHeaders], err, tc.wantHTTP)
			}

			// The Start request as the collection sends it.
			startBody, err := toPostman("messages/requests/StartAsyncProvisioning.xml", "http://127.0.0.1:1/cb")
			if err != nil {
				t.Fatal(err)
			}
			startBody = strings.Replace(startBody, "</s:Header>", vars[VarReferenceParameters]+"</s:Header>", 1)
			doc := etree.NewDocument()
			if err := doc.ReadFromString(startBody); err != nil {
				t.Fatalf("Start request with %q: %v", vars[VarReferenceParameters], err)
			}
			header := doc.Root().SelectElement("Header")
			var got []string
			for _, el := range header.ChildElements() {
				if el.NamespaceURI() == nsWSA {
					continue
				}
				got = append(got, "{"+el.NamespaceURI()+"}"+el.Tag)
				marked := false
				for _, a := range el.Attr {
					if a.Key == "IsReferenceParameter" && a.NamespaceURI() == nsWSA && a.Value == "true" {
						marked = true
					}
				}
				if !marked {
					t.Errorf("%s sent without a:IsReferenceParameter=\"true\"", el.Tag)
				}
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("reference parameters sent back %v, want %v\n%s", got, tc.want, startBody)
			}
		})
	}
}
