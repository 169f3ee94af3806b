package nbfx

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipamd/ipamd/internal/attack"
	"github.com/ipamd/ipamd/soap/xmlstream"
)

// fuzzQuotas are WCF's reader quotas, as the daemon applies them by default.
var fuzzQuotas = ReaderOptions{MaxDepth: 32, MaxStringBytes: 8192, MaxArrayLength: 16384, MaxBytesPerRead: 4096, MaxExpansion: 4}

// quotaOracle wraps a Reader and checks, independently of the Reader's own
// accounting, that what it yields stays within fuzzQuotas: depth, one
// element's text, one attribute value, and the decoded size of the whole
// document (names and attributes of start tags, text) at most MaxExpansion
// times the input (ExpansionFloor for small inputs). A failure is an
// expansion path the quotas miss.
type quotaOracle struct {
	xmlstream.Reader
	t       *testing.T
	inBytes int
	decoded int
	run     int
}

func (o *quotaOracle) Next() (*xmlstream.Node, error) {
	n, err := o.Reader.Next()
	if err != nil {
		return n, err
	}
	q := fuzzQuotas
	switch n.Kind {
	case xmlstream.StartElement:
		o.run = 0
		if d := o.Reader.Depth(); d > q.MaxDepth {
			o.t.Fatalf("depth %d exceeds MaxDepth %d", d, q.MaxDepth)
		}
		tag := len(n.Name.Prefix) + len(n.Name.Local)
		for _, a := range n.Attrs {
			if len(a.Value) > q.MaxStringBytes {
				o.t.Fatalf("attribute value of %d bytes exceeds %d", len(a.Value), q.MaxStringBytes)
			}
			tag += len(a.Name.Prefix) + len(a.Name.Local) + len(a.Value)
		}
		if tag > q.MaxBytesPerRead {
			o.t.Fatalf("start tag of %d decoded bytes exceeds MaxBytesPerRead %d", tag, q.MaxBytesPerRead)
		}
		o.decoded += tag
	case xmlstream.EndElement:
		o.run = 0
	case xmlstream.Text:
		o.run += len(n.Text)
		if o.run > q.MaxStringBytes {
			o.t.Fatalf("element text of %d bytes exceeds MaxStringContentLength %d", o.run, q.MaxStringBytes)
		}
		o.decoded += len(n.Text)
	}
	if limit := q.MaxExpansion * max(o.inBytes, ExpansionFloor); o.decoded > limit {
		o.t.Fatalf("%d input bytes decoded to %d bytes, more than %d× (limit %d)", o.inBytes, o.decoded, q.MaxExpansion, limit)
	}
	return n, nil
}

// decodePayload reads an msbinsession1 payload (StringTable + document) with
// a fresh session under fuzzQuotas and the quota oracle; errors must be
// ErrMalformed or ErrQuota.
func decodePayload(t *testing.T, data []byte) (string, bool) {
	sess := NewReaderSession(0)
	n, err := sess.ReadStringTable(data)
	if err != nil {
		if !errors.Is(err, xmlstream.ErrMalformed) && !errors.Is(err, xmlstream.ErrQuota) {
			t.Fatalf("string table error of unknown class: %v", err)
		}
		return "", false
	}
	got, err := canonNodes(&quotaOracle{Reader: NewReader(data[n:], sess, fuzzQuotas), t: t, inBytes: len(data) - n})
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
	// The expansion attacks, small enough to mutate.
	for _, p := range attack.Places {
		f.Add(attack.Expansion(p, 4096, 512))
	}
	f.Add(attack.Deep(40))
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
		if err := copyNodes(NewReader(data[n:], sess, fuzzQuotas), w); err != nil {
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
