package nbfx

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipamd/ipamd/soap/xmlstream"
)

// decodePayload reads an msbinsession1 payload (StringTable + document) with
// a fresh session; errors must be ErrMalformed or ErrQuota.
func decodePayload(t *testing.T, data []byte) (string, bool) {
	sess := NewReaderSession(0)
	n, err := sess.ReadStringTable(data)
	if err != nil {
		if !errors.Is(err, xmlstream.ErrMalformed) && !errors.Is(err, xmlstream.ErrQuota) {
			t.Fatalf("string table error of unknown class: %v", err)
		}
		return "", false
	}
	got, err := canonNodes(NewReader(data[n:], sess, ReaderOptions{}))
	if err != nil {
		if !errors.Is(err, xmlstream.ErrMalformed) && !errors.Is(err, xmlstream.ErrQuota) {
			t.Fatalf("reader error of unknown class: %v", err)
		}
		return "", false
	}
	return got, true
}

func addSeeds(f *testing.F) {
	for _, msgs := range goldenStreams(f) {
		for _, m := range msgs {
			f.Add(m.payload)
		}
	}
	f.Add(windowsGetData)
	for _, tc := range textCases {
		f.Add(append(append([]byte{0x00, 0x40, 0x01, 'e'}, tc.rec...), 0x01))
	}
}

func FuzzReader(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		decodePayload(t, data)
	})
}

// copyNodes re-encodes a decoded node stream.
func copyNodes(r xmlstream.Reader, w xmlstream.Writer) error {
	for {
		n, err := r.Next()
		if err != nil {
			return err
		}
		switch n.Kind {
		case xmlstream.StartElement:
			if err := w.StartElement(n.Name.Prefix, n.Name.Local, n.Name.Space); err != nil {
				return err
			}
			for _, a := range n.Attrs {
				if err := w.Attr(a.Name.Prefix, a.Name.Local, a.Name.Space, a.Value); err != nil {
					return err
				}
			}
		case xmlstream.Text:
			if err := w.Text(n.Text); err != nil {
				return err
			}
		case xmlstream.EndElement:
			if err := w.EndElement(); err != nil {
				return err
			}
		case xmlstream.EOF:
			return w.Close()
		}
	}
}

// FuzzRoundTrip: whatever the Reader accepts, the Writer re-encodes to a
// document with the same node stream, and re-encoding that is stable.
func FuzzRoundTrip(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		want, ok := decodePayload(t, data)
		if !ok {
			return
		}
		sess := NewReaderSession(0)
		n, _ := sess.ReadStringTable(data)
		w := NewWriter(nil)
		if err := copyNodes(NewReader(data[n:], sess, ReaderOptions{}), w); err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		enc := w.Bytes()
		got, err := canonNodes(NewReader(enc, nil, ReaderOptions{}))
		if err != nil {
			t.Fatalf("decode re-encoded %x: %v", enc, err)
		}
		if got != want {
			t.Fatalf("round trip differs:\n got:\n%s\nwant:\n%s", got, want)
		}
		w2 := NewWriter(nil)
		if err := copyNodes(NewReader(enc, nil, ReaderOptions{}), w2); err != nil {
			t.Fatal(err)
		}
		if string(w2.Bytes()) != string(enc) {
			t.Fatalf("unstable encoding:\n%x\n%x", enc, w2.Bytes())
		}
	})
}

// TestWriteFuzzSeeds regenerates testdata/fuzz/<FuzzName>/ from the golden
// payloads (set NBFX_WRITE_SEEDS=1).
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("NBFX_WRITE_SEEDS") == "" {
		t.Skip("NBFX_WRITE_SEEDS not set")
	}
	for _, fz := range []string{"FuzzReader", "FuzzRoundTrip"} {
		dir := filepath.Join("testdata", "fuzz", fz)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		write := func(name string, b []byte) {
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		for _, msgs := range goldenStreams(t) {
			for _, m := range msgs {
				write("golden_"+strings.TrimSuffix(m.name, ".bin"), m.payload)
			}
		}
		write("windows_getdata", windowsGetData)
	}
}
