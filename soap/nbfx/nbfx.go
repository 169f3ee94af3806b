// Package nbfx reads and writes the .NET Binary Format for XML ([MC-NBFX])
// with the SOAP static dictionary ([MC-NBFS]) and the in-band session string
// table of the binary session encoder ([MC-NBFSE], application/soap+msbinsession1).
//
// Reader and Writer implement xmlstream.Reader and xmlstream.Writer, so the
// envelope layer sees the same infoset as with the text encoding.
package nbfx

import (
	"fmt"

	"github.com/ipamd/ipamd/soap/xmlstream"
)

// Namespaces the infoset pre-binds.
const (
	nsXML   = "http://www.w3.org/XML/1998/namespace"
	nsXMLNS = "http://www.w3.org/2000/xmlns/"
)

var (
	staticIDs map[string]uint32
	// staticFirst and staticLast mark, per first (last) byte, the lengths
	// of the static strings (bit min(len, 63)): most text (numbers, dates,
	// addresses, the values of rows) matches no static string's first
	// byte, last byte and length at once and is not looked up.
	staticFirst, staticLast [256]uint64
)

func init() {
	staticIDs = make(map[string]uint32, len(staticStrings))
	for i, s := range staticStrings {
		if _, dup := staticIDs[s]; !dup {
			staticIDs[s] = uint32(2 * i)
		}
		if s != "" {
			staticFirst[s[0]] |= staticLenBit(s)
			staticLast[s[len(s)-1]] |= staticLenBit(s)
		}
	}
}

func staticLenBit(s string) uint64 { return 1 << min(len(s), 63) }

// staticText is the static id of a text value s (not empty).
func staticText(s string) (uint32, bool) {
	if bit := staticLenBit(s); staticFirst[s[0]]&bit == 0 || staticLast[s[len(s)-1]]&bit == 0 {
		return 0, false
	}
	id, ok := staticIDs[s]
	return id, ok
}

// StaticString returns the [MC-NBFS] static dictionary string with the given
// (even) wire id.
func StaticString(id uint32) (string, bool) {
	if id&1 != 0 || id/2 >= uint32(len(staticStrings)) {
		return "", false
	}
	return staticStrings[id/2], true
}

// StaticID returns the even wire id of s in the [MC-NBFS] static dictionary.
func StaticID(s string) (uint32, bool) {
	id, ok := staticIDs[s]
	return id, ok
}

// readMB31 decodes a MultiByteInt31 at b[0:]. It returns the value and the
// number of bytes used; n == 0 means truncated, n < 0 means invalid. As in
// .NET, the fifth byte may only carry the top three bits.
func readMB31(b []byte) (v uint32, n int) {
	for i := 0; i < 5; i++ {
		if i >= len(b) {
			return 0, 0
		}
		c := b[i]
		if i == 4 {
			if c&0xF8 != 0 {
				return 0, -1
			}
			return v | uint32(c)<<28, 5
		}
		v |= uint32(c&0x7F) << (7 * i)
		if c&0x80 == 0 {
			return v, i + 1
		}
	}
	return 0, -1 // unreachable
}

// appendMB31 appends v as a MultiByteInt31.
func appendMB31(b []byte, v uint32) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func malformed(off int, format string, args ...any) error {
	return fmt.Errorf("nbfx: offset %d: %s: %w", off, fmt.Sprintf(format, args...), xmlstream.ErrMalformed)
}

func quotaErr(quota string, limit, off int, detail string) error {
	return fmt.Errorf("nbfx: %w", &xmlstream.QuotaError{Quota: quota, Limit: int64(limit), Offset: int64(off), Detail: detail})
}
