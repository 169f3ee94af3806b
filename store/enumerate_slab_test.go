package store

import (
	"bytes"
	"database/sql"
	"testing"
)

// TestParseMACIntoAsParseMAC: the MAC address read into the row's buffer
// is parseMAC's, for the forms the store keeps and for text that is none.
func TestParseMACIntoAsParseMAC(t *testing.T) {
	for _, s := range []string{"00-15-5D-01-02-03", "00:15:5d:01:02:03", "0015.5d01.0203", "00155D010203", " 00-15-5D-01-02-03 ",
		"", "-", "0", "001", "00-15-5D-01-02-0G", "00 15", strings40('a'), strings40('a') + "ab", "é"} {
		checkMAC(t, s)
	}
}

func strings40(c byte) string { return string(bytes.Repeat([]byte{c}, 40)) }

func checkMAC(t *testing.T, s string) {
	t.Helper()
	var buf [maxMAC]byte
	for _, ns := range []sql.NullString{{String: s, Valid: true}, {String: s}} {
		want, got := parseMAC(ns), parseMACInto(&buf, ns)
		if !bytes.Equal(got, want) || (got == nil) != (want == nil) {
			t.Fatalf("%q (valid %v): %x, parseMAC %x", s, ns.Valid, got, want)
		}
	}
}

// FuzzParseMACInto: parseMACInto is parseMAC for any text.
func FuzzParseMACInto(f *testing.F) {
	f.Add("00-15-5D-01-02-03")
	f.Add(" 0a:0B.c ")
	f.Fuzz(checkMAC)
}
