package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// SQLite's page queries return each result row as one JSON array
// (json_array of the same columns) instead of one column per member
// (docs/performance.md, "Enumeration", third pass). modernc.org/sqlite
// reads a result column with two or three calls into SQLite
// (sqlite3_column_type, then _int64, or _text and _bytes), each taking the
// connection's mutex, and database/sql converts each into its destination:
// for an address row of 26 columns the query cost three times what it
// costs packed (9 against 3 µs a row). SQLite builds the array inside its VM without those calls;
// it is split here into the same scan destinations, converted as the
// driver and database/sql convert the columns, so the rows are the same.
// Anything the split does not read exactly as the driver would (a BLOB,
// which json_array refuses; a REAL, which SQLite writes with 15 digits) is
// an error, and the page is read again column by column.

// packedSQLitePages turns the packed form on (a variable for the test
// that compares both forms).
var packedSQLitePages = true

// testHookPackedFallback, when set, is called for each page read again
// column by column.
var testHookPackedFallback func()

// pageStatements are the prepared forms of one page query: column by
// column (both engines) and packed (SQLite; nil when not used).
type pageStatements struct{ columns, packed *sql.Stmt }

func (p *pageStatements) Close() {
	for _, s := range []*sql.Stmt{p.columns, p.packed} {
		if s != nil {
			_ = s.Close()
		}
	}
}

// read runs the page query with args, scans each result row into dest
// and calls row. It reads the packed form when there is one; when a row of
// it is not read exactly, restart forgets the rows of the page and the page
// is read again column by column. An error of row ends the reading.
func (p *pageStatements) read(ctx context.Context, args, dest []any, restart, row func() error) error {
	if p.packed != nil {
		var (
			text   string
			rowErr error // not the reading's: no second reading
		)
		members := make([]jsonMember, 0, len(dest))
		err := readPage(ctx, p.packed, args, func(rs *sql.Rows) error {
			if err := rs.Scan(&text); err != nil {
				return err
			}
			var err error
			if members, err = splitJSONArray(text, members); err != nil {
				return err
			}
			if err := scanPacked(members, dest); err != nil {
				return err
			}
			rowErr = row()
			return rowErr
		})
		if err == nil || rowErr != nil || ctx.Err() != nil {
			return err
		}
		if testHookPackedFallback != nil {
			testHookPackedFallback()
		}
		if err := restart(); err != nil {
			return err
		}
	}
	return readPage(ctx, p.columns, args, func(rs *sql.Rows) error {
		if err := rs.Scan(dest...); err != nil {
			return err
		}
		return row()
	})
}

// errPackedRow is a packed row the split does not read as the driver
// would: the page is read again column by column.
var errPackedRow = errors.New("store: packed row not read")

// packed is the SQLite form of a page query's column list.
func packed(columns string) string { return "json_array(" + columns + ")" }

// jsonMember is one member of a flat JSON array as json_array writes it:
// null, a number or a string.
type jsonMember struct {
	kind byte   // 'n' null, '0' number, '"' string
	text string // the number as written, the string's value
}

// splitJSONArray splits s, a JSON array of nulls, numbers and strings
// without white space (json_array's output), into members (reused).
// Strings without escapes are substrings of s.
func splitJSONArray(s string, members []jsonMember) ([]jsonMember, error) {
	members = members[:0]
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' {
		return nil, errPackedRow
	}
	end := len(s) - 1
	i := 1
	if i == end {
		return members, nil
	}
	for {
		var m jsonMember
		switch c := s[i]; {
		case c == '"':
			j := i + 1
			escaped := false
			for j < end && s[j] != '"' {
				if s[j] == '\\' {
					escaped = true
					j++
				}
				j++
			}
			if j >= end {
				return nil, errPackedRow
			}
			m = jsonMember{kind: '"', text: s[i+1 : j]}
			if escaped {
				t, err := unescapeJSON(m.text)
				if err != nil {
					return nil, err
				}
				m.text = t
			}
			i = j + 1
		case c == 'n':
			if !strings.HasPrefix(s[i:], "null") {
				return nil, errPackedRow
			}
			m.kind = 'n'
			i += 4
		case c == '-' || c >= '0' && c <= '9':
			j := i + 1
			for j < end && (s[j] >= '0' && s[j] <= '9' || s[j] == '.' || s[j] == 'e' || s[j] == 'E' || s[j] == '+' || s[j] == '-') {
				j++
			}
			m = jsonMember{kind: '0', text: s[i:j]}
			i = j
		default:
			return nil, errPackedRow
		}
		members = append(members, m)
		switch {
		case i == end:
			return members, nil
		case i < end && s[i] == ',':
			i++
		default:
			return nil, errPackedRow
		}
	}
}

// unescapeJSON is the value of a JSON string's content with escapes.
// Bytes that are not escapes are kept as they are (json_array writes the
// column's bytes, valid UTF-8 or not); an escaped lone surrogate is not
// read.
func unescapeJSON(s string) (string, error) {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b = append(b, c)
			continue
		}
		i++
		if i == len(s) {
			return "", errPackedRow
		}
		switch s[i] {
		case '"', '\\', '/':
			b = append(b, s[i])
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := hex4(s[i+1:])
			if !ok {
				return "", errPackedRow
			}
			i += 4
			if r >= 0xD800 && r < 0xDC00 { // a pair
				if !strings.HasPrefix(s[i+1:], `\u`) {
					return "", errPackedRow
				}
				lo, ok := hex4(s[i+3:])
				if !ok || lo < 0xDC00 || lo >= 0xE000 {
					return "", errPackedRow
				}
				r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
				i += 6
			} else if r >= 0xDC00 && r < 0xE000 {
				return "", errPackedRow
			}
			b = utf8.AppendRune(b, r)
		default:
			return "", errPackedRow
		}
	}
	return string(b), nil
}

func hex4(s string) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[:4]) {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// isJSONInteger reports whether a JSON number is an integer as SQLite
// writes an INTEGER value (the driver reads it as int64).
func isJSONInteger(n string) bool {
	return isInteger(n) && n[0] != '+'
}

// scanPacked stores members into the scan destinations of the same
// columns, as database/sql stores the driver's values: *any and
// *timeColumn are a TIMESTAMP column (the driver parses its text,
// parseSQLiteTime).
func scanPacked(members []jsonMember, dest []any) error {
	if len(members) != len(dest) {
		return errPackedRow
	}
	for i, m := range members {
		if m.kind == '0' && !isJSONInteger(m.text) {
			return errPackedRow // a REAL: SQLite writes fewer digits than the driver reads
		}
		switch d := dest[i].(type) {
		case *sql.NullString:
			*d = sql.NullString{String: m.text, Valid: m.kind != 'n'}
		case *sql.NullInt64:
			if m.kind == 'n' {
				*d = sql.NullInt64{}
				continue
			}
			n, err := strconv.ParseInt(m.text, 10, 64)
			if err != nil {
				return errPackedRow
			}
			*d = sql.NullInt64{Int64: n, Valid: true}
		case *int64:
			n, err := strconv.ParseInt(m.text, 10, 64)
			if m.kind == 'n' || err != nil {
				return errPackedRow
			}
			*d = n
		case *sql.NullBool:
			switch {
			case m.kind == 'n':
				*d = sql.NullBool{}
			case m.kind == '0' && m.text == "0":
				*d = sql.NullBool{Valid: true}
			case m.kind == '0' && m.text == "1":
				*d = sql.NullBool{Bool: true, Valid: true}
			default:
				return errPackedRow
			}
		case *timeColumn:
			switch m.kind {
			case 'n':
				*d = timeColumn{}
			case '0':
				*d = timeColumn{other: int64(0)} // an INTEGER timestamp: asTime reads none
			default:
				if t, ok := parseUTCTimeString(m.text); ok {
					*d = timeColumn{t: t, valid: true}
				} else {
					_ = d.Scan(parseSQLiteTime(m.text))
				}
			}
		case *any:
			switch m.kind {
			case 'n':
				*d = nil
			case '0':
				*d = int64(0) // an INTEGER timestamp: asTime reads none
			default:
				*d = parseSQLiteTime(m.text)
			}
		default:
			return errPackedRow
		}
	}
	return nil
}

// sqliteTimeFormats are the layouts modernc.org/sqlite tries, in order,
// on the text of a TIMESTAMP column after the time.Time String form.
var sqliteTimeFormats = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02T15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	"2006-01-02",
}

// parseSQLiteTime is what modernc.org/sqlite makes of the text of a
// TIMESTAMP column (no _loc in the DSN): a time.Time when one of its
// layouts reads it, else the text. TestParseSQLiteTimeAsDriver holds it
// to the driver.
func parseSQLiteTime(s string) any {
	if v, ok := parseUTCTimeString(s); ok {
		return v
	}
	t := s
	if x := strings.Index(s, "m="); x > 0 {
		t = s[:x]
	}
	if v, err := time.Parse("2006-01-02 15:04:05.999999999 -0700 MST", strings.TrimSpace(t)); err == nil {
		return v
	}
	ts, _ := strings.CutSuffix(s, "Z")
	for _, f := range sqliteTimeFormats {
		if v, err := time.Parse(f, ts); err == nil {
			return v
		}
	}
	return s
}

// parseUTCTimeString reads the form the store writes its times in
// (time.Time's String of a UTC time: "2013-06-03 09:00:01 +0000 UTC", with
// an optional fraction of up to nine digits) without time.Parse, which
// costs about a microsecond a column; ok is false for anything else, and
// for what time.Parse would refuse (a day the month does not have).
func parseUTCTimeString(s string) (time.Time, bool) {
	body, ok := strings.CutSuffix(s, " +0000 UTC")
	if !ok || len(body) < 19 || body[4] != '-' || body[7] != '-' || body[10] != ' ' || body[13] != ':' || body[16] != ':' {
		return time.Time{}, false
	}
	num := func(d string) int {
		n := 0
		for i := range len(d) {
			if d[i] < '0' || d[i] > '9' {
				return -1
			}
			n = n*10 + int(d[i]-'0')
		}
		return n
	}
	year, month, day := num(body[0:4]), num(body[5:7]), num(body[8:10])
	hour, minute, sec := num(body[11:13]), num(body[14:16]), num(body[17:19])
	ns := 0
	if frac := body[19:]; frac != "" {
		if frac[0] != '.' || len(frac) < 2 || len(frac) > 10 {
			return time.Time{}, false
		}
		if ns = num(frac[1:]); ns < 0 {
			return time.Time{}, false
		}
		for range 10 - len(frac) {
			ns *= 10
		}
	}
	if year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || sec < 0 || sec > 59 ||
		day > time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day() {
		return time.Time{}, false
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, ns, time.UTC), true
}

// splitJSONArrays calls inner with each member of s, a JSON array of flat
// arrays (json_group_array of json_array), as the text of the array.
func splitJSONArrays(s string, inner func(string) error) error {
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' {
		return errPackedRow
	}
	end := len(s) - 1
	i := 1
	if i == end {
		return nil
	}
	for {
		if s[i] != '[' {
			return errPackedRow
		}
		j := i + 1
		for j < end && s[j] != ']' {
			if s[j] == '"' { // a string may hold ']'
				for j++; j < end && s[j] != '"'; j++ {
					if s[j] == '\\' {
						j++
					}
				}
			}
			j++
		}
		if j >= end {
			return errPackedRow
		}
		if err := inner(s[i : j+1]); err != nil {
			return err
		}
		i = j + 1
		switch {
		case i == end:
			return nil
		case s[i] == ',':
			i++
		default:
			return errPackedRow
		}
	}
}
