package ipam

import (
	"time"
	"unsafe"
)

// scratch is b (formatted into m.num) as a string for a RowEncoder,
// which copies text into its message and keeps none of it: the numbers
// and dates of a row cost no allocation on that path. Other writers get
// strings of their own.
func (m *rowWriter) scratch(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// appendDateTime appends FormatDateTime(t) without allocating (years 1 to
// 9999; others as FormatDateTime writes them).
func appendDateTime(b []byte, t time.Time) []byte {
	unspecified := t.Location() == Unspecified
	if !unspecified {
		t = t.UTC()
	}
	year, month, day := t.Date()
	if year < 1 || year > 9999 {
		return append(b, FormatDateTime(t)...)
	}
	hour, minute, sec := t.Clock()
	b = appendDigits(b, year, 4)
	b = append(b, '-')
	b = appendDigits(b, int(month), 2)
	b = append(b, '-')
	b = appendDigits(b, day, 2)
	b = append(b, 'T')
	b = appendDigits(b, hour, 2)
	b = append(b, ':')
	b = appendDigits(b, minute, 2)
	b = append(b, ':')
	b = appendDigits(b, sec, 2)
	if frac := t.Nanosecond() / 100; frac != 0 { // .9999999: truncated, trailing zeros trimmed
		digits := 7
		for frac%10 == 0 {
			frac /= 10
			digits--
		}
		b = append(b, '.')
		b = appendDigits(b, frac, digits)
	}
	if !unspecified {
		b = append(b, 'Z')
	}
	return b
}

// appendDigits appends v (>= 0) zero-padded to width digits.
func appendDigits(b []byte, v, width int) []byte {
	var tmp [20]byte
	i := len(tmp)
	for v > 0 || i == len(tmp) {
		i--
		tmp[i] = byte('0' + v%10)
		v /= 10
	}
	for len(tmp)-i < width {
		i--
		tmp[i] = '0'
	}
	return append(b, tmp[i:]...)
}
