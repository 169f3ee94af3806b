package soap

import (
	"errors"
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
	if got := (Limits{}).Echo(long); len(got) > DefaultMaxEchoBytes+32 || !strings.HasSuffix(got, "truncated 1048320 bytes]") {
		t.Fatalf("Limits{}.Echo(1 MiB) = %d bytes, %q…", len(got), got[len(got)-40:])
	}
	if got := (Limits{MaxEchoBytes: 40}).Echo(long); !strings.HasPrefix(got, strings.Repeat("x", 40)+"…") || !strings.HasSuffix(got, "truncated 1048536 bytes]") {
		t.Fatalf("Limits{MaxEchoBytes: 40}.Echo(1 MiB) = %q", got)
	}
}

// TestEchoBoundPerCodec: the echo bound is the decoding codec's
// (Limits.MaxEchoBytes), not the process's: two codecs with different
// bounds, used side by side, each cut the client's text at their own.
func TestEchoBoundPerCodec(t *testing.T) {
	name := strings.Repeat("h", 600)
	msg := `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing">` +
		`<s:Header><a:Action s:mustUnderstand="1">urn:x</a:Action><x:` + name + ` xmlns:x="urn:x" s:mustUnderstand="1"/></s:Header>` +
		`<s:Body/></s:Envelope>`
	for _, bound := range []int{40, 300, 0} {
		c := NewCodec(EncodingText, Limits{MaxEchoBytes: bound})
		_, err := c.Decode([]byte(msg))
		var de *DecodeError
		if !errors.As(err, &de) || de.Fault == nil || de.Fault.Code != CodeMustUnderstand {
			t.Fatalf("bound %d: %v, want a MustUnderstand fault", bound, err)
		}
		want := bound
		if want == 0 {
			want = DefaultMaxEchoBytes
		}
		if !strings.Contains(de.Fault.Reason, "'"+strings.Repeat("h", want)+"…[truncated") ||
			strings.Contains(de.Fault.Reason, strings.Repeat("h", want+1)) {
			t.Fatalf("bound %d: reason %.120q… does not cut the name at %d bytes", bound, de.Fault.Reason, want)
		}
	}
}
