package nbfx

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/ipamd/ipamd/soap/xmlstream"
)

// Record builders for the quota table (MC-NBFX 2.2).
func shortElem(b []byte, name string) []byte {
	return append(appendMB31(append(b, 0x40), uint32(len(name))), name...)
}

func chars16(b []byte, s string) []byte {
	b = binary.LittleEndian.AppendUint16(append(b, 0x9A), uint16(len(s)))
	return append(b, s...)
}

func shortAttr(b []byte, name, value string) []byte {
	b = append(appendMB31(append(b, 0x04), uint32(len(name))), name...)
	return chars16(b, value)
}

func ends(b []byte, n int) []byte {
	for i := 0; i < n; i++ {
		b = append(b, 0x01)
	}
	return b
}

// nested is depth nested <d> elements.
func nested(depth int) []byte {
	var b []byte
	for i := 0; i < depth; i++ {
		b = shortElem(b, "d")
	}
	return ends(b, depth)
}

// textOf is <t> holding the given text records (Chars16 each).
func textOf(parts ...string) []byte {
	b := shortElem(nil, "t")
	for _, p := range parts {
		b = chars16(b, p)
	}
	return append(b, 0x01)
}

// intArray is <r><i>0</i>×count</r> as one Array record of Int32.
func intArray(count int) []byte {
	b := shortElem(nil, "r")
	b = append(b, 0x03)
	b = append(shortElem(b, "i"), 0x01)
	b = appendMB31(append(b, 0x8D), uint32(count))
	b = append(b, make([]byte, 4*count)...)
	return append(b, 0x01)
}

// attrs is <a> with n attributes of the given value size.
func attrs(n, size int) []byte {
	b := shortElem(nil, "a")
	for i := 0; i < n; i++ {
		b = shortAttr(b, "a"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+string(rune('a'+i/26%26))+string(rune('a'+i/676)), strings.Repeat("v", size))
	}
	return append(b, 0x01)
}

// dictElements is <r> holding n <e> elements whose text is the session
// string with id 1 (DictionaryTextWithEndElement).
func dictElements(n int) []byte {
	b := shortElem(nil, "r")
	for i := 0; i < n; i++ {
		b = append(shortElem(b, "e"), 0xAB, 0x01)
	}
	return append(b, 0x01)
}

// TestQuotas is the table of the reader quotas at their WCF defaults
// (fuzzQuotas): each document just within a quota decodes, one byte (or
// item, or level) more fails with a *xmlstream.QuotaError naming it.
func TestQuotas(t *testing.T) {
	long := strings.Repeat("s", 2000)
	sess := NewReaderSession(0)
	if _, err := sess.ReadStringTable(append(appendMB31(nil, uint32(len(long)+2)), append(appendMB31(nil, uint32(len(long))), long...)...)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		ok, over  []byte
		quota     string
		wantLimit int64
	}{
		{"depth", nested(32), nested(33), xmlstream.QuotaMaxDepth, 32},
		{"one text record", textOf(strings.Repeat("x", 8192)), textOf(strings.Repeat("x", 8193)), xmlstream.QuotaMaxStringContentLength, 8192},
		{"text records joined", textOf(strings.Repeat("x", 4096), strings.Repeat("y", 4096)),
			textOf(strings.Repeat("x", 4096), strings.Repeat("y", 4097)), xmlstream.QuotaMaxStringContentLength, 8192},
		{"array items", intArray(16384), intArray(16385), xmlstream.QuotaMaxArrayLength, 16384},
		{"start tag", attrs(2, 2040), attrs(2, 2050), xmlstream.QuotaMaxBytesPerRead, 4096},
		{"attribute count", attrs(256, 0), attrs(257, 0), xmlstream.QuotaMaxAttributes, 256},
		// 2000-byte references: the budget is 4 × the document (at least 1 KiB).
		{"expansion", dictElements(2), dictElements(400), xmlstream.QuotaMaxDecodedBytes, 4 * int64(len(dictElements(400)))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := canonNodes(NewReader(tc.ok, sess, fuzzQuotas)); err != nil {
				t.Fatalf("within the quota: %v", err)
			}
			_, err := canonNodes(NewReader(tc.over, sess, fuzzQuotas))
			var qe *xmlstream.QuotaError
			if !errors.As(err, &qe) || !errors.Is(err, xmlstream.ErrQuota) {
				t.Fatalf("over the quota: %v, want a QuotaError", err)
			}
			if qe.Quota != tc.quota || qe.Limit != tc.wantLimit {
				t.Fatalf("QuotaError %s (%d), want %s (%d)", qe.Quota, qe.Limit, tc.quota, tc.wantLimit)
			}
		})
	}
}

// TestSessionTableQuota: the NBFSE table holds at most its byte budget
// (MB31 length + UTF-8 per string), and a refused table adds nothing.
func TestSessionTableQuota(t *testing.T) {
	table := func(n int) []byte {
		entry := append(appendMB31(nil, uint32(n)), strings.Repeat("s", n)...)
		return append(appendMB31(nil, uint32(len(entry))), entry...)
	}
	s := NewReaderSession(2048)
	if _, err := s.ReadStringTable(table(2046)); err != nil { // MB31 2 bytes + 2046 = 2048
		t.Fatalf("2048 bytes: %v", err)
	}
	s = NewReaderSession(2048)
	_, err := s.ReadStringTable(table(2047))
	var qe *xmlstream.QuotaError
	if !errors.As(err, &qe) || qe.Quota != xmlstream.QuotaMaxSessionSize || qe.Limit != 2048 {
		t.Fatalf("2049 bytes: %v, want MaxSessionSize (2048)", err)
	}
	if _, ok := s.Lookup(1); ok {
		t.Fatal("a refused table added its string")
	}
}
