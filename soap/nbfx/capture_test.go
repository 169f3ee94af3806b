package nbfx

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExtractCapture regenerates testdata/golden/ from the annotated Mono
// capture: set NBFX_CAPTURE=/path/to/mono-nettcp-capture.txt. Each [MC-NMF]
// SizedEnvelope payload of the "raw:" streams becomes <session>_<dir>_NN.bin
// and the capture's "decoded XML" for it <session>_<dir>_NN.xml.
func TestExtractCapture(t *testing.T) {
	path := os.Getenv("NBFX_CAPTURE")
	if path == "" {
		t.Skip("NBFX_CAPTURE not set")
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type stream struct {
		name string
		raw  []byte
		xmls []string
	}
	var streams []*stream
	var cur *stream
	session := ""
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		switch {
		case strings.HasPrefix(l, "# SESSION "):
			session = strings.Fields(l)[2]
		case strings.HasPrefix(l, "CLIENT->SERVER stream"):
			cur = &stream{name: session + "_c2s"}
			streams = append(streams, cur)
		case strings.HasPrefix(l, "SERVER->CLIENT stream"):
			cur = &stream{name: session + "_s2c"}
			streams = append(streams, cur)
		case l == "raw:":
			b, err := hex.DecodeString(strings.TrimSpace(lines[i+1]))
			if err != nil {
				t.Fatal(err)
			}
			cur.raw = b
			i++
		case strings.TrimSpace(l) == "decoded XML:":
			var sb strings.Builder
			for i+1 < len(lines) && strings.HasPrefix(lines[i+1], "      ") {
				i++
				sb.WriteString(strings.TrimSpace(lines[i]))
				sb.WriteByte('\n')
			}
			cur.xmls = append(cur.xmls, sb.String())
		}
	}
	dir := filepath.Join("testdata", "golden")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, s := range streams {
		payloads, err := nmfPayloads(s.raw)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if len(payloads) != len(s.xmls) {
			t.Fatalf("%s: %d envelopes, %d decoded XML blocks", s.name, len(payloads), len(s.xmls))
		}
		for k, p := range payloads {
			base := filepath.Join(dir, fmt.Sprintf("%s_%02d", s.name, k+1))
			if err := os.WriteFile(base+".bin", p, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(base+".xml", []byte(s.xmls[k]), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("%s: %d envelopes", s.name, len(payloads))
	}
}

// nmfPayloads walks [MC-NMF] records and returns the SizedEnvelope payloads.
func nmfPayloads(b []byte) ([][]byte, error) {
	var out [][]byte
	for pos := 0; pos < len(b); {
		t := b[pos]
		pos++
		switch t {
		case 0x00: // Version
			pos += 2
		case 0x01, 0x03: // Mode, KnownEncoding
			pos++
		case 0x02, 0x06, 0x08: // Via, SizedEnvelope, Fault
			n, m := readMB31(b[pos:])
			if m <= 0 || pos+m+int(n) > len(b) {
				return nil, fmt.Errorf("record 0x%02X at %d: bad size", t, pos-1)
			}
			if t == 0x06 {
				out = append(out, b[pos+m:pos+m+int(n)])
			}
			pos += m + int(n)
		case 0x07, 0x0B, 0x0C: // End, PreambleAck, PreambleEnd
		default:
			return nil, fmt.Errorf("record 0x%02X at %d: unexpected", t, pos-1)
		}
	}
	return out, nil
}
