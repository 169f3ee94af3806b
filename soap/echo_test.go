package soap

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEchoMax(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		max      int
		want     string
	}{
		{"short", "urn:a", 8, "urn:a"},
		{"exact", "12345678", 8, "12345678"},
		{"cut", "123456789", 8, "12345678…[truncated 1 bytes]"},
		{"rune boundary", "1234567é", 8, "1234567…[truncated 2 bytes]"},
		{"invalid utf8", "a\xffb", 8, "a\uFFFDb"},
		{"empty", "", 8, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := EchoMax(tc.in, tc.max)
			if got != tc.want {
				t.Fatalf("EchoMax(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
			}
			if !utf8.ValidString(got) {
				t.Fatalf("not UTF-8: %q", got)
			}
		})
	}
	long := strings.Repeat("x", 1<<20)
	if got := Echo(long); len(got) > DefaultMaxEchoBytes+32 || !strings.HasSuffix(got, "truncated 1048320 bytes]") {
		t.Fatalf("Echo(1 MiB) = %d bytes, %q…", len(got), got[len(got)-40:])
	}
}
