package store

import (
	"database/sql"
	"strings"
	"time"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

// Helpers that build a row's members in memory the row already owns (a
// page's slab) instead of an allocation per member: at a few hundred
// thousand rows a second each allocation per row costs the collector too
// (docs/performance.md, "Enumeration", third pass).

// stringPtr is nullString of a column that outlives the row.
func stringPtr(s *sql.NullString) *string {
	if !s.Valid {
		return nil
	}
	return &s.String
}

// intPtr is nullInt of a column that outlives the row.
func intPtr(n *sql.NullInt64) *int64 {
	if !n.Valid {
		return nil
	}
	return &n.Int64
}

// spaceNamesOf is spaceNames of columns that outlive the row.
func spaceNamesOf(family, name, provider *sql.NullString) (prov, cust *string) {
	if !name.Valid {
		return nil, nil
	}
	if family.String == "Customer" {
		return stringPtr(provider), &name.String
	}
	return &name.String, nil
}

// timeColumn is a TIMESTAMP column scanned without putting a time.Time
// in an interface (an allocation each): the driver's time.Time, or what
// else it gave (nil, a string, an int64) for asTime.
type timeColumn struct {
	t     time.Time
	valid bool // t is the column's time
	other any
}

// Scan is how database/sql stores the driver's value.
func (c *timeColumn) Scan(src any) error {
	if t, ok := src.(time.Time); ok {
		*c = timeColumn{t: t, valid: true}
	} else {
		*c = timeColumn{other: src}
	}
	return nil
}

// into is asTime of the column stored in t.
func (c *timeColumn) into(t *time.Time) *time.Time {
	if c.valid { // as asTime, without its allocation
		*t = c.t.UTC()
		return t
	}
	p := asTime(c.other)
	if p == nil {
		return nil
	}
	*t = *p
	return t
}

// maxMAC is the longest MAC address parseMAC reads, in bytes.
const maxMAC = 20

// parseMACInto is parseMAC with the bytes in buf: the hex digits of the
// text without its separators ("-", ":", ".") and surrounding white
// space, in pairs; nil for anything else.
func parseMACInto(buf *[maxMAC]byte, s sql.NullString) []byte {
	if !s.Valid {
		return nil
	}
	t := strings.TrimSpace(s.String)
	n, half := 0, -1
	for i := range len(t) {
		c := t[i]
		switch {
		case c == '-' || c == ':' || c == '.':
			continue
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return nil
		}
		if half < 0 {
			half = int(c)
			continue
		}
		if n == maxMAC {
			return nil
		}
		buf[n] = byte(half)<<4 | c
		n, half = n+1, -1
	}
	if half >= 0 || n == 0 {
		return nil
	}
	return buf[:n:n]
}

// valueSlab hands out a page's custom field values from chunks: one
// allocation per chunk instead of one per value.
type valueSlab struct{ chunk []ipam.CustomFieldValue }

func (s *valueSlab) new() *ipam.CustomFieldValue {
	if len(s.chunk) == 0 {
		s.chunk = make([]ipam.CustomFieldValue, 256)
	}
	v := &s.chunk[0]
	s.chunk = s.chunk[1:]
	return v
}
