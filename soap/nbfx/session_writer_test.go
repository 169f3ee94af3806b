package nbfx

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
)

// sessionMessage writes doc with w collecting session strings and returns
// the msbinsession1 payload: the StringTable, then the records.
func sessionMessage(t *testing.T, s *WriterSession, doc string, collect bool) []byte {
	t.Helper()
	w := NewWriter(nil)
	w.SetSession(s)
	w.CollectSessionStrings(collect)
	if err := writeXML(w, doc); err != nil {
		t.Fatal(err)
	}
	out := s.AppendStringTable(nil)
	s.Commit()
	return append(out, w.Bytes()...)
}

// readSession reads one payload with the reader's table and returns its
// canonical infoset.
func readSession(t *testing.T, rs *ReaderSession, p []byte) string {
	t.Helper()
	n, err := rs.ReadStringTable(p)
	if err != nil {
		t.Fatal(err)
	}
	got, err := canonNodes(NewReader(p[n:], rs, ReaderOptions{}))
	if err != nil {
		t.Fatalf("read: %v\n%s", err, got)
	}
	return got
}

// TestWriterSessionRoundTrip: names and namespaces outside the static
// dictionary go into the first message's StringTable and are ids after
// that; a reader with the session table reads the same infoset from
// every message, and the later messages are smaller.
func TestWriterSessionRoundTrip(t *testing.T) {
	want, err := canonXML(callbackXML)
	if err != nil {
		t.Fatal(err)
	}
	plain := NewWriter(nil)
	if err := writeXML(plain, callbackXML); err != nil {
		t.Fatal(err)
	}
	ws, rs := NewWriterSession(0, 0), NewReaderSession(0)
	var sizes []int
	for i := range 3 {
		p := sessionMessage(t, ws, callbackXML, true)
		if got := readSession(t, rs, p); got != want {
			t.Fatalf("message %d:\n%s\nwant\n%s", i, got, want)
		}
		sizes = append(sizes, len(p))
	}
	if ws.Len() == 0 || ws.Bytes() > DefaultMaxSessionBytes {
		t.Fatalf("session: %d strings, %d bytes", ws.Len(), ws.Bytes())
	}
	if sizes[0] <= sizes[1] || sizes[1] != sizes[2] || sizes[1] >= len(plain.Bytes()) {
		t.Errorf("sizes %v, %d without a session", sizes, len(plain.Bytes()))
	}
	if p := sessionMessage(t, ws, callbackXML, true); p[0] != 0 {
		t.Errorf("a message adding nothing starts with table % x", p[:4])
	}
}

// TestWriterSessionNotCollecting: a writer that does not collect adds
// nothing (its message keeps its bytes) but uses the strings already in
// the session.
func TestWriterSessionNotCollecting(t *testing.T) {
	ws := NewWriterSession(0, 0)
	plain := NewWriter(nil)
	if err := writeXML(plain, callbackXML); err != nil {
		t.Fatal(err)
	}
	if p := sessionMessage(t, ws, callbackXML, false); !bytes.Equal(p, append([]byte{0}, plain.Bytes()...)) || ws.Len() != 0 {
		t.Fatalf("not collecting: %d strings added, bytes differ: %v", ws.Len(), !bytes.Equal(p[1:], plain.Bytes()))
	}
	sessionMessage(t, ws, callbackXML, true)
	rs := NewReaderSession(0)
	if _, err := rs.ReadStringTable(ws.AppendStringTable(nil)); err != nil {
		t.Fatal(err)
	}
	p := sessionMessage(t, ws, callbackXML, false)
	if len(p) >= 1+len(plain.Bytes()) {
		t.Errorf("a non-collecting writer did not use the session's strings: %d bytes, %d without", len(p), 1+len(plain.Bytes()))
	}
}

// TestWriterSessionBounds: the table never grows past its bytes or its
// strings; once a string does not fit, nothing more is added (so a name
// is written the same way for the rest of the connection), and the
// reader with WCF's default MaxSessionSize accepts every table.
// Rule T16.
func TestWriterSessionBounds(t *testing.T) {
	var doc strings.Builder
	doc.WriteString(`<Root xmlns="urn:r">`)
	for i := range 300 {
		doc.WriteString("<Member" + strings.Repeat("x", i%40) + itoa3(i) + ">v</Member" + strings.Repeat("x", i%40) + itoa3(i) + ">")
	}
	doc.WriteString(`</Root>`)
	want, err := canonXML(doc.String())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ bytes, count int }{{0, 0}, {300, 0}, {0, 10}} {
		ws, rs := NewWriterSession(tc.bytes, tc.count), NewReaderSession(0)
		for i := range 2 {
			p := sessionMessage(t, ws, doc.String(), true)
			if got := readSession(t, rs, p); got != want {
				t.Fatalf("%+v message %d: infoset differs", tc, i)
			}
		}
		maxBytes, maxCount := tc.bytes, tc.count
		if maxBytes == 0 {
			maxBytes = DefaultMaxSessionBytes
		}
		if maxCount == 0 {
			maxCount = DefaultMaxSessionStrings
		}
		if ws.Bytes() > maxBytes || ws.Len() > maxCount || !ws.full {
			t.Errorf("%+v: %d bytes, %d strings, full %v", tc, ws.Bytes(), ws.Len(), ws.full)
		}
		n := ws.Len()
		if _, ok := ws.lookup("Short", true); ok || ws.Len() != n {
			t.Errorf("%+v: a full session added a string", tc)
		}
	}
}

func itoa3(i int) string {
	return string(rune('a'+i/100)) + string(rune('a'+i/10%10)) + string(rune('a'+i%10))
}

// TestWriterSessionRollback: the strings and remembered runs of a message
// that is not sent are taken back; the next message carries them again.
func TestWriterSessionRollback(t *testing.T) {
	ws := NewWriterSession(0, 0)
	p1 := sessionMessage(t, ws, `<A xmlns="urn:a"><First/></A>`, true)
	n, b := ws.Len(), ws.Bytes()
	w := NewWriter(nil)
	w.SetSession(ws)
	w.CollectSessionStrings(true)
	if err := writeXML(w, `<A xmlns="urn:a"><Second/><Third/></A>`); err != nil {
		t.Fatal(err)
	}
	w.Remember("run", []byte{1})
	if ws.Len() != n+2 {
		t.Fatalf("%d strings after the second message, want %d", ws.Len(), n+2)
	}
	ws.Rollback()
	if ws.Len() != n || ws.Bytes() != b || ws.Pending() {
		t.Fatalf("after Rollback: %d strings %d bytes, want %d %d", ws.Len(), ws.Bytes(), n, b)
	}
	if _, ok := w.Remembered("run"); ok {
		t.Error("a run of the message not sent is still remembered")
	}
	// A reader that saw only the first message reads the next one.
	rs := NewReaderSession(0)
	readSession(t, rs, p1)
	doc := `<A xmlns="urn:a"><Second/><Third/></A>`
	want, err := canonXML(doc)
	if err != nil {
		t.Fatal(err)
	}
	if got := readSession(t, rs, sessionMessage(t, ws, doc, true)); got != want {
		t.Fatalf("after Rollback:\n%s\nwant\n%s", got, want)
	}
}

// TestRememberRunFollowsTheMessage: a run remembered by content is kept
// once its message is committed, taken back with a Rewind past it or a
// Rollback of its message, and bounded in runs and bytes.
func TestRememberRunFollowsTheMessage(t *testing.T) {
	ws := NewWriterSession(0, 0)
	w := NewWriter(nil)
	w.SetSession(ws)
	if err := w.StartElement("", "A", "urn:a"); err != nil {
		t.Fatal(err)
	}
	w.RememberRun([]byte("kept"), []byte{1})
	ws.Commit()
	w.Mark()
	w.RememberRun([]byte("rewound"), []byte{2})
	if err := w.Rewind(); err != nil {
		t.Fatal(err)
	}
	w.RememberRun([]byte("rolled back"), []byte{3})
	ws.Rollback()
	if b, ok := w.RememberedRun([]byte("kept")); !ok || b[0] != 1 {
		t.Errorf("the committed run: %v %v", b, ok)
	}
	for _, k := range []string{"rewound", "rolled back"} {
		if _, ok := w.RememberedRun([]byte(k)); ok {
			t.Errorf("%s: still remembered", k)
		}
	}
	if ws.runBytes != len("kept")+1 || len(ws.runs) != 1 {
		t.Errorf("%d runs of %d bytes remembered", len(ws.runs), ws.runBytes)
	}
	w.RememberRun([]byte("kept"), []byte{4}) // the first under a key stays
	if b, _ := w.RememberedRun([]byte("kept")); b[0] != 1 {
		t.Errorf("the run under a key was replaced: %v", b)
	}
	for i := range maxRuns + 10 {
		w.RememberRun([]byte(itoa3(i%1000)+strconv.Itoa(i)), make([]byte, 100))
	}
	if len(ws.runs) > maxRuns || ws.runBytes > maxRunBytes {
		t.Errorf("%d runs of %d bytes remembered: more than %d, %d", len(ws.runs), ws.runBytes, maxRuns, maxRunBytes)
	}
	// Runs never found again stop being looked up after runTrial.
	if !w.RemembersRuns() {
		t.Fatal("runs not remembered from the start")
	}
	for i := range runTrial {
		if _, ok := w.RememberedRun([]byte("missing" + strconv.Itoa(i))); ok {
			t.Fatal("a run found that was never remembered")
		}
	}
	if w.RemembersRuns() {
		t.Errorf("runs still looked up after %d misses and %d hits", ws.runMisses, ws.runHits)
	}
	for range runTrial {
		w.RememberedRun([]byte("kept"))
	}
	if !w.RemembersRuns() {
		t.Errorf("runs not looked up after %d misses and %d hits", ws.runMisses, ws.runHits)
	}
	var none Writer // no session: nothing is remembered
	none.RememberRun([]byte("k"), []byte{1})
	if _, ok := none.RememberedRun([]byte("k")); ok {
		t.Error("a writer without a session remembered a run")
	}
}

// TestWriterSessionRejectsInvalidNames: a name that is not UTF-8 fails
// the write and never enters the session table (which would send it to
// the peer); an empty name fails although "" is a static string.
func TestWriterSessionRejectsInvalidNames(t *testing.T) {
	ws := NewWriterSession(0, 0)
	for _, name := range []string{"bad\xff", ""} {
		w := NewWriter(nil)
		w.SetSession(ws)
		w.CollectSessionStrings(true)
		if err := w.StartElement("", name, "urn:a"); err == nil {
			t.Errorf("element %q written", name)
		}
	}
	if ws.Len() != 0 {
		t.Errorf("%d strings added", ws.Len())
	}
}

// FuzzSessionRoundTrip: whatever the Reader accepts, a Writer collecting
// session strings re-encodes to a StringTable and records that a reader
// with its own session table reads as the same node stream — twice on
// one connection (the second message refers to the first one's strings),
// the table never past its bounds.
func FuzzSessionRoundTrip(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		want, ok := decodePayload(t, data)
		if !ok {
			return
		}
		in := NewReaderSession(0)
		n, _ := in.ReadStringTable(data)
		ws, rs := NewWriterSession(0, 0), NewReaderSession(0)
		for i := range 2 {
			w := NewWriter(nil)
			w.SetSession(ws)
			w.CollectSessionStrings(true)
			if err := copyNodes(NewReader(data[n:], in, fuzzQuotas), w); err != nil {
				t.Fatalf("re-encode: %v", err)
			}
			p := append(ws.AppendStringTable(nil), w.Bytes()...)
			ws.Commit()
			m, err := rs.ReadStringTable(p)
			if err != nil {
				t.Fatalf("message %d: string table: %v", i, err)
			}
			got, err := canonNodes(NewReader(p[m:], rs, ReaderOptions{}))
			if err != nil || got != want {
				t.Fatalf("message %d: %v\n got:\n%s\nwant:\n%s", i, err, got, want)
			}
		}
		if ws.Bytes() > DefaultMaxSessionBytes || ws.Len() > DefaultMaxSessionStrings {
			t.Fatalf("session table %d bytes, %d strings", ws.Bytes(), ws.Len())
		}
	})
}
