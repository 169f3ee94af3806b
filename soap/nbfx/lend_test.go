package nbfx

import (
	"errors"
	"strings"
	"testing"

	"github.com/ipamd/ipamd/soap/xmlstream"
)

// TestReaderForget: a Reader handed to another connection (soap.Codec's
// pool) keeps nothing of the first: not its session table, not its
// interned names, not its large buffers; SetOptions gives it the new
// connection's quotas.
func TestReaderForget(t *testing.T) {
	// <first/>: an element named by session string id 1.
	doc := unhex("42 01 01")
	r := NewReader(doc, oneSession(t), ReaderOptions{})
	if got, err := canonNodes(r); err != nil || !strings.Contains(got, "}first") {
		t.Fatalf("with the session: %q %v", got, err)
	}
	r.names = map[string]string{"x": "x"}
	r.nameSz = 1
	r.scratch = make([]byte, 0, 2*maxKeptBuffer)
	r.attrs = make([]xmlstream.Attr, 0, 2*maxKeptSlots)
	r.Forget()
	if r.names != nil || r.nameSz != 0 || r.scratch != nil || r.attrs != nil || r.sess != nil || r.buf != nil {
		t.Fatalf("Forget kept state: names %v sess %v scratch %d", r.names, r.sess, cap(r.scratch))
	}
	r.Reset(doc, nil)
	if _, err := canonNodes(r); !errors.Is(err, xmlstream.ErrMalformed) {
		t.Fatalf("session id resolved after Forget: %v", err)
	}
	// <a><a><a/></a></a> with MaxDepth 2 set on the pooled reader.
	deep := unhex("40 01 61 40 01 61 40 01 61 01 01 01")
	r.SetOptions(ReaderOptions{MaxDepth: 2})
	r.Reset(deep, nil)
	if _, err := canonNodes(r); !errors.Is(err, xmlstream.ErrQuota) {
		t.Fatalf("MaxDepth 2: %v", err)
	}
	r.SetOptions(ReaderOptions{})
	r.Reset(deep, nil)
	if _, err := canonNodes(r); err != nil {
		t.Fatalf("default options: %v", err)
	}
}
