package nbfx

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

type goldenMsg struct {
	name    string
	payload []byte
	xml     string
}

// goldenStreams loads testdata/golden grouped per session direction, in order.
func goldenStreams(t testing.TB) map[string][]goldenMsg {
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*.bin"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden payloads: %v", err)
	}
	sort.Strings(files)
	out := map[string][]goldenMsg{}
	for _, f := range files {
		p, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		x, err := os.ReadFile(strings.TrimSuffix(f, ".bin") + ".xml")
		if err != nil {
			t.Fatal(err)
		}
		base := filepath.Base(f)
		dir := base[:strings.LastIndexByte(base, '_')]
		out[dir] = append(out[dir], goldenMsg{name: base, payload: p, xml: string(x)})
	}
	return out
}

// Rule T6. (docs/protocol.md)
func TestGoldenMono(t *testing.T) {
	streams := goldenStreams(t)
	if len(streams) != 4 {
		t.Fatalf("want 4 directions, got %d", len(streams))
	}
	for dir, msgs := range streams {
		sess := NewReaderSession(0)
		r := NewReader(nil, nil, ReaderOptions{})
		for _, m := range msgs {
			n, err := sess.ReadStringTable(m.payload)
			if err != nil {
				t.Fatalf("%s: string table: %v", m.name, err)
			}
			r.Reset(m.payload[n:], sess)
			got, err := canonNodes(r)
			if err != nil {
				t.Fatalf("%s: %v\n%s", m.name, err, got)
			}
			want, err := canonXML(m.xml)
			if err != nil {
				t.Fatalf("%s: golden XML: %v", m.name, err)
			}
			if got != want {
				t.Errorf("%s (%s):\n got:\n%s\nwant:\n%s", m.name, dir, got, want)
			}
		}
	}
}

// windowsGetData is a Windows WCF client's request-reply call as captured
// on the wire (the public ernw/net.tcp-proxy example.trace), rebuilt from the listing with an
// arbitrary MessageID.
var windowsGetData = unhex(`
6C
24 687474703a2f2f74656d707572692e6f72672f4953657276696365312f47657444617461
24 6e65742e7463703a2f2f3139322e3136382e35362e313a383532332f5365727669636531
07 47657444617461
13 687474703a2f2f74656d707572692e6f72672f
05 76616c7565
56 02 0B 01 73 04 0B 01 61 06        // <s:Envelope xmlns:s xmlns:a>
56 08                                // <s:Header>
44 0A 1E 00 82 AB 01                 // <a:Action s:mustUnderstand="1">[1]</a:Action>
44 1A AD 00112233445566778899aabbccddeeff // <a:MessageID>
44 2C 44 2A AB 14 01                 // <a:ReplyTo><a:Address>anonymous</a:Address></a:ReplyTo>
44 0C 1E 00 82 AB 03                 // <a:To s:mustUnderstand="1">[3]</a:To>
01                                   // </s:Header>
56 0E 42 05 0A 07 42 09 8B 39 05     // <s:Body><GetData xmlns=[7]><value>1337</value>
01 01 01`)

const windowsGetDataXML = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing">
<s:Header>
<a:Action s:mustUnderstand="1">http://tempuri.org/IService1/GetData</a:Action>
<a:MessageID>urn:uuid:33221100-5544-7766-8899-aabbccddeeff</a:MessageID>
<a:ReplyTo><a:Address>http://www.w3.org/2005/08/addressing/anonymous</a:Address></a:ReplyTo>
<a:To s:mustUnderstand="1">net.tcp://192.168.56.1:8523/Service1</a:To>
</s:Header>
<s:Body><GetData xmlns="http://tempuri.org/"><value>1337</value></GetData></s:Body>
</s:Envelope>`

func TestGoldenWindowsGetData(t *testing.T) {
	if len(windowsGetData) != 0xB0 {
		t.Fatalf("payload is %d bytes, the capture's record says 176", len(windowsGetData))
	}
	sess := NewReaderSession(0)
	n, err := sess.ReadStringTable(windowsGetData)
	if err != nil || n != 109 {
		t.Fatalf("string table: n=%d err=%v", n, err)
	}
	for id, want := range map[uint32]string{1: "http://tempuri.org/IService1/GetData", 5: "GetData", 9: "value"} {
		if got, ok := sess.Lookup(id); !ok || got != want {
			t.Errorf("session#%d = %q, %v; want %q", id, got, ok, want)
		}
	}
	got, err := canonNodes(NewReader(windowsGetData[n:], sess, ReaderOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := canonXML(windowsGetDataXML)
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// Rule T6. (docs/protocol.md)
func TestStaticDictionary(t *testing.T) {
	for id, want := range map[uint32]string{
		0x00: "mustUnderstand", 0x02: "Envelope", 0x04: "http://www.w3.org/2003/05/soap-envelope",
		0x06: "http://www.w3.org/2005/08/addressing", 0x12: "RelatesTo",
		0x14: "http://www.w3.org/2005/08/addressing/anonymous", 0x1A: "MessageID", 0x2C: "ReplyTo",
		0x2A: "Address", 0x86: "Fault", 0xB6: "a", 0xC6: "http://www.w3.org/2005/08/addressing/fault",
		0x372: "http://www.w3.org/2001/XMLSchema-instance", 0x376: "nil", 0x3CC: "detail",
	} {
		if got, ok := StaticString(id); !ok || got != want {
			t.Errorf("StaticString(%#x) = %q, %v; want %q", id, got, ok, want)
		}
		if want == "" {
			continue
		}
		if got, ok := StaticID(want); !ok || got != id {
			t.Errorf("StaticID(%q) = %#x, %v; want %#x", want, got, ok, id)
		}
	}
	if len(staticStrings) != 487 {
		t.Errorf("%d static strings, want 487", len(staticStrings))
	}
	for _, id := range []uint32{1, 0x3CE, 0xFFFFFFFE} {
		if _, ok := StaticString(id); ok {
			t.Errorf("StaticString(%#x) ok", id)
		}
	}
	if _, ok := StaticID("Sender"); ok {
		t.Error("Sender is not in the static dictionary")
	}
}
