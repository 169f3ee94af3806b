package nbfx

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ipamd/ipamd/soap/xmlstream"
)

// BenchmarkDecodeInitialize decodes the Mono InitializeAsyncProvisioning
// request (session A, first client payload) with a warm session table.
func BenchmarkDecodeInitialize(b *testing.B) {
	payload, err := os.ReadFile(filepath.Join("testdata", "golden", "A_c2s_01.bin"))
	if err != nil {
		b.Fatal(err)
	}
	sess := NewReaderSession(0)
	n, err := sess.ReadStringTable(payload)
	if err != nil {
		b.Fatal(err)
	}
	doc := payload[n:]
	r := NewReader(doc, sess, ReaderOptions{})
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(doc, sess)
		for {
			node, err := r.Next()
			if err != nil {
				b.Fatal(err)
			}
			if node.Kind == xmlstream.EOF {
				break
			}
		}
	}
}

// BenchmarkEncodeComplete encodes the NotifyAsyncProvisionComplete callback.
func BenchmarkEncodeComplete(b *testing.B) {
	buf := make([]byte, 0, 1024)
	w := NewWriter(buf)
	b.ReportAllocs()
	for b.Loop() {
		w.Reset(buf[:0])
		if err := completeEnvelope(w); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(w.Bytes())))
}

// TestSteadyStateAllocs: a reused Reader allocates only for text that is
// not a dictionary string (here the MessageID and the Int16), a reused
// Writer not at all.
func TestSteadyStateAllocs(t *testing.T) {
	sess := NewReaderSession(0)
	n, err := sess.ReadStringTable(windowsGetData)
	if err != nil {
		t.Fatal(err)
	}
	doc := windowsGetData[n:]
	r := NewReader(doc, sess, ReaderOptions{})
	decode := func() {
		r.Reset(doc, sess)
		for {
			node, err := r.Next()
			if err != nil {
				t.Fatal(err)
			}
			if node.Kind == xmlstream.EOF {
				return
			}
		}
	}
	decode()
	if a := testing.AllocsPerRun(100, decode); a > 2 {
		t.Errorf("decode: %v allocs, want <= 2", a)
	}
	buf := make([]byte, 0, 1024)
	w := NewWriter(buf)
	if a := testing.AllocsPerRun(100, func() { w.Reset(buf[:0]); completeEnvelope(w) }); a != 0 {
		t.Errorf("encode: %v allocs, want 0", a)
	}
}
