package xmlstream

import (
	"strconv"
	"unicode/utf8"
)

// Truncate returns at most the first limit bytes of s, cut at a character
// boundary, as valid UTF-8 (invalid bytes replaced by U+FFFD), followed by
// "…[truncated N bytes]" when cut: the form in which client input may be
// repeated in logs, faults and exception messages (docs/security.md).
func Truncate(s string, limit int) string {
	if len(s) <= limit && utf8.ValidString(s) {
		return s
	}
	cut := len(s)
	if cut > limit {
		cut = limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
	}
	b := make([]byte, 0, cut+32)
	for i := 0; i < cut; {
		r, n := utf8.DecodeRuneInString(s[i:cut])
		if r == utf8.RuneError && n == 1 {
			b = append(b, "\uFFFD"...)
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	if cut < len(s) {
		b = append(b, "…[truncated "...)
		b = strconv.AppendInt(b, int64(len(s)-cut), 10)
		b = append(b, " bytes]"...)
	}
	return string(b)
}
