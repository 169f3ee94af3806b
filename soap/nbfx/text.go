package nbfx

import (
	"encoding/binary"
	"math"
	"strconv"
	"time"
)

// Renderings of NBFX typed text records as .NET's XmlConvert writes them.

const hexDigits = "0123456789abcdef"

// appendGUID appends the 16 bytes of a .NET Guid (Guid.ToByteArray order:
// the first three groups little-endian) in the "D" format.
func appendGUID(dst []byte, g []byte) []byte {
	order := [16]int{3, 2, 1, 0, -1, 5, 4, -1, 7, 6, -1, 8, 9, -1, 10, 11}
	for _, i := range order {
		if i < 0 {
			dst = append(dst, '-')
			continue
		}
		dst = append(dst, hexDigits[g[i]>>4], hexDigits[g[i]&15])
	}
	for i := 12; i < 16; i++ {
		dst = append(dst, hexDigits[g[i]>>4], hexDigits[g[i]&15])
	}
	return dst
}

// parseGUID is the inverse of appendGUID for the lower-case "D" format only
// (so that the text round-trips byte for byte).
func parseGUID(s string, g *[16]byte) bool {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return false
	}
	order := [16]int{3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15}
	j := 0
	for k := 0; k < 16; k++ {
		if j == 8 || j == 13 || j == 18 || j == 23 {
			j++
		}
		hi, ok1 := lowerHex(s[j])
		lo, ok2 := lowerHex(s[j+1])
		if !ok1 || !ok2 {
			return false
		}
		g[order[k]] = hi<<4 | lo
		j += 2
	}
	return true
}

func lowerHex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// appendFloat renders a Float/Double like XmlConvert.ToString: INF, -INF,
// NaN, -0, otherwise the shortest round-trip digits in .NET's "R" layout
// (general format, scientific when the exponent is beyond the round-trip
// digit count or below -5).
func appendFloat(dst []byte, v float64, bitSize int) []byte {
	switch {
	case math.IsNaN(v):
		return append(dst, "NaN"...)
	case math.IsInf(v, 1):
		return append(dst, "INF"...)
	case math.IsInf(v, -1):
		return append(dst, "-INF"...)
	case v == 0:
		if math.Signbit(v) {
			return append(dst, "-0"...)
		}
		return append(dst, '0')
	}
	var tmp [32]byte
	e := strconv.AppendFloat(tmp[:0], v, 'e', -1, bitSize) // [-]d[.ddd]e±XX
	neg := e[0] == '-'
	if neg {
		e = e[1:]
	}
	var digits [24]byte
	nd := 0
	i := 0
	for ; i < len(e) && e[i] != 'e'; i++ {
		if e[i] != '.' {
			digits[nd] = e[i]
			nd++
		}
	}
	exp, _ := strconv.Atoi(string(e[i+1:]))
	scale := exp + 1 // value = 0.d1d2... * 10^scale
	maxDigits := 17
	if bitSize == 32 {
		maxDigits = 9
	}
	maxDigits = max(maxDigits, nd)
	if neg {
		dst = append(dst, '-')
	}
	if scale > maxDigits || scale < -3 {
		dst = append(dst, digits[0])
		if nd > 1 {
			dst = append(dst, '.')
			dst = append(dst, digits[1:nd]...)
		}
		dst = append(dst, 'E')
		x := scale - 1
		if x < 0 {
			dst = append(dst, '-')
			x = -x
		} else {
			dst = append(dst, '+')
		}
		if x < 10 {
			dst = append(dst, '0')
		}
		return strconv.AppendInt(dst, int64(x), 10)
	}
	if scale > 0 {
		for k := 0; k < scale; k++ {
			if k < nd {
				dst = append(dst, digits[k])
			} else {
				dst = append(dst, '0')
			}
		}
		if nd > scale {
			dst = append(dst, '.')
			dst = append(dst, digits[scale:nd]...)
		}
		return dst
	}
	dst = append(dst, '0', '.')
	for k := scale; k < 0; k++ {
		dst = append(dst, '0')
	}
	return append(dst, digits[:nd]...)
}

// appendDecimal renders the 16-byte in-memory .NET System.Decimal (flags
// with scale in byte 2 and sign in bit 31, hi32, lo64) like
// decimal.ToString(InvariantCulture). ok is false for invalid flags.
func appendDecimal(dst []byte, b []byte) ([]byte, bool) {
	flags := binary.LittleEndian.Uint32(b[0:])
	if flags&0x7F00FFFF != 0 {
		return dst, false
	}
	scale := int(flags >> 16 & 0xFF)
	if scale > 28 {
		return dst, false
	}
	limbs := [3]uint32{binary.LittleEndian.Uint32(b[4:]), binary.LittleEndian.Uint32(b[12:]), binary.LittleEndian.Uint32(b[8:])} // hi, mid, lo
	var rev [40]byte
	n := 0
	for limbs[0]|limbs[1]|limbs[2] != 0 {
		var rem uint64
		for k := 0; k < 3; k++ {
			cur := rem<<32 | uint64(limbs[k])
			limbs[k] = uint32(cur / 10)
			rem = cur % 10
		}
		rev[n] = byte('0' + rem)
		n++
	}
	for n <= scale { // at least one digit before the point
		rev[n] = '0'
		n++
	}
	zero := true
	for k := 0; k < n; k++ {
		if rev[k] != '0' {
			zero = false
			break
		}
	}
	if flags&0x80000000 != 0 && !zero { // .NET prints negative zero as 0
		dst = append(dst, '-')
	}
	for k := n - 1; k >= 0; k-- {
		dst = append(dst, rev[k])
		if k == scale && scale > 0 {
			dst = append(dst, '.')
		}
	}
	return dst, true
}

const (
	ticksPerSecond = 10_000_000
	ticksPerDay    = 86400 * ticksPerSecond
	maxDateTicks   = 3155378975999999999 // DateTime.MaxValue.Ticks
	dateKindMask   = 0xC000000000000000
	dateLocalMask  = 0x8000000000000000
	dateUTCMask    = 0x4000000000000000
	ticksCeiling   = 0x4000000000000000
)

func ticksToTime(ticks int64) time.Time {
	days := ticks / ticksPerDay
	rem := ticks % ticksPerDay
	return time.Date(1, 1, 1+int(days), 0, 0, 0, 0, time.UTC).Add(time.Duration(rem * 100))
}

// appendDateTime renders a DateTime.ToBinary value as xsd:dateTime in the
// round-trip ("o"-like, trailing fraction zeros trimmed) form: Z for UTC,
// the local offset for Local (the ticks are UTC), nothing for Unspecified.
func appendDateTime(dst []byte, v int64) ([]byte, bool) {
	u := uint64(v)
	ticks := int64(u &^ dateKindMask)
	var t time.Time
	kind := u & dateKindMask
	if u&dateLocalMask != 0 {
		if ticks > ticksCeiling-100*ticksPerDay {
			ticks -= ticksCeiling
		}
		if ticks < 0 || ticks > maxDateTicks {
			return dst, false
		}
		t = ticksToTime(ticks).In(time.Local)
		if lt := t.Year(); lt < 1 || lt > 9999 {
			return dst, false
		}
	} else {
		if ticks > maxDateTicks {
			return dst, false
		}
		t = ticksToTime(ticks)
	}
	frac := t.Nanosecond() / 100
	dst = appendPad(dst, t.Year(), 4)
	dst = append(dst, '-')
	dst = appendPad(dst, int(t.Month()), 2)
	dst = append(dst, '-')
	dst = appendPad(dst, t.Day(), 2)
	dst = append(dst, 'T')
	dst = appendPad(dst, t.Hour(), 2)
	dst = append(dst, ':')
	dst = appendPad(dst, t.Minute(), 2)
	dst = append(dst, ':')
	dst = appendPad(dst, t.Second(), 2)
	if frac != 0 {
		dst = append(dst, '.')
		w := 7
		for frac%10 == 0 {
			frac /= 10
			w--
		}
		dst = appendPad(dst, frac, w)
	}
	switch {
	case kind&dateLocalMask != 0:
		_, off := t.Zone()
		if off < 0 {
			dst = append(dst, '-')
			off = -off
		} else {
			dst = append(dst, '+')
		}
		dst = appendPad(dst, off/3600, 2)
		dst = append(dst, ':')
		dst = appendPad(dst, off/60%60, 2)
	case kind == dateUTCMask:
		dst = append(dst, 'Z')
	}
	return dst, true
}

func appendPad(dst []byte, v, width int) []byte {
	var tmp [20]byte
	s := strconv.AppendInt(tmp[:0], int64(v), 10)
	for k := len(s); k < width; k++ {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}

// appendDuration renders TimeSpan ticks as xsd:duration the way
// XmlConvert.ToString(TimeSpan) does (days, no years/months; "PT0S" for zero).
func appendDuration(dst []byte, ticks int64) []byte {
	u := uint64(ticks)
	if ticks < 0 {
		dst = append(dst, '-')
		u = uint64(-ticks) // also right for MinValue
	}
	dst = append(dst, 'P')
	days := u / ticksPerDay
	u %= ticksPerDay
	hours := u / (3600 * ticksPerSecond)
	u %= 3600 * ticksPerSecond
	minutes := u / (60 * ticksPerSecond)
	u %= 60 * ticksPerSecond
	seconds := u / ticksPerSecond
	nanos := (u % ticksPerSecond) * 100
	if days != 0 {
		dst = strconv.AppendUint(dst, days, 10)
		dst = append(dst, 'D')
	}
	if hours|minutes|seconds|nanos != 0 {
		dst = append(dst, 'T')
		if hours != 0 {
			dst = strconv.AppendUint(dst, hours, 10)
			dst = append(dst, 'H')
		}
		if minutes != 0 {
			dst = strconv.AppendUint(dst, minutes, 10)
			dst = append(dst, 'M')
		}
		if seconds|nanos != 0 {
			dst = strconv.AppendUint(dst, seconds, 10)
			if nanos != 0 {
				dst = append(dst, '.')
				w := 9
				for nanos%10 == 0 {
					nanos /= 10
					w--
				}
				dst = appendPad(dst, int(nanos), w)
			}
			dst = append(dst, 'S')
		}
	}
	if dst[len(dst)-1] == 'P' {
		dst = append(dst, "T0S"...)
	}
	return dst
}
