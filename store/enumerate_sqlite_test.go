package store

import (
	"context"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ipamd/ipamd/store/schema"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// readAddressRows is every address row of one family, in order.
func readAddressRows(t *testing.T, s *Store, ipv6 bool) []*ipam.IPAddressRow {
	t.Helper()
	var out []*ipam.IPAddressRow
	if err := s.EnumerateRows(context.Background(), RowQuery{Kind: AddressRows, IPv6: ipv6}, func(r ipam.AnyIpamObject) error {
		out = append(out, r.(*ipam.IPAddressRow))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestEnumeratePackedSameRows: the address rows are the same, member for
// member, whether SQLite's pages are read packed (one JSON array per row)
// or column by column, including text the JSON escapes, bytes that are not
// UTF-8, timestamps in every form the driver reads (and text it does not),
// NULLs, and a BLOB json_array refuses (that page is read column by
// column). Fails when a member is converted differently, when the packed
// form is never used, or when its fallback is.
func TestEnumeratePackedSameRows(t *testing.T) {
	s := convertedStore(t, schema.SQLite, 2500)
	odd := []string{
		`UPDATE "ADM_IPAddressTable" SET "Notes" = 'quote " back \ slash / tab	nl
cr' || char(13) || char(1) || char(31) || 'é€😀' WHERE "RecordId" = 3`,
		`UPDATE "ADM_IPAddressTable" SET "Owner" = CAST(x'ff41c3' AS TEXT), "DeviceName" = '' WHERE "RecordId" = 4`,
		`UPDATE "ADM_IPAddressTable" SET "AssignedDate" = '2013-06-03T09:00:01Z', "ChangedDate" = '2013-06-03 09:00', "ExpiryDate" = 'not a time' WHERE "RecordId" = 5`,
		`UPDATE "ADM_IPAddressTable" SET "AssignedDate" = 12345, "ChangedDate" = '2013-06-03 09:00:01.5 +0200 CEST m=+0.000000001', "ExpiryDate" = '2031-01-02' WHERE "RecordId" = 6`,
		`UPDATE "ADM_IPAddressTable" SET "AssignedDate" = '2013-06-03 09:00:01.123456789-07:00', "ChangedDate" = '2013-06-03T09:00:01', "ExpiryDate" = '' WHERE "RecordId" = 7`,
		`UPDATE "ADM_IPAddressTable" SET "AssetTag" = NULL, "MacAddress" = NULL, "Iaid" = NULL, "Duid" = NULL, "IsDuplicate" = 1, "IsCreatedFromDNS" = NULL WHERE "RecordId" = 8`,
		`UPDATE "ADM_IPAddressTable" SET "Iaid" = 4294967295, "OSName" = '12', "OSVersion" = '-3' WHERE "RecordId" = 9`,
	}
	for _, q := range odd {
		if _, err := s.db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	falls := 0
	testHookPackedFallback = func() { falls++ }
	defer func() { testHookPackedFallback = nil }()
	packedRows := readAddressRows(t, s, false)
	if falls != 0 {
		t.Fatalf("%d pages read column by column: the packed form is not in use", falls)
	}
	defer func() { packedSQLitePages = true }()
	packedSQLitePages = false
	columnRows := readAddressRows(t, s, false)
	if len(packedRows) != len(columnRows) || len(packedRows) < 2000 {
		t.Fatalf("%d rows packed, %d column by column", len(packedRows), len(columnRows))
	}
	for i := range packedRows {
		if !reflect.DeepEqual(packedRows[i], columnRows[i]) {
			t.Fatalf("row %d:\n%+v packed\n%+v column by column", packedRows[i].RecordID, packedRows[i], columnRows[i])
		}
	}
	if n := packedRows[2].Notes; n == nil || !utf8.ValidString(*n) || len(*n) < 30 {
		t.Fatalf("row 3's notes: %q", *n)
	}
	if packedRows[4].AssignedDate == nil || packedRows[4].ExpiryDate != nil || packedRows[5].AssignedDate != nil || packedRows[5].ChangedDate == nil {
		t.Fatalf("timestamps not read as the driver reads them: %+v %+v", packedRows[4], packedRows[5])
	}

	// A BLOB: json_array refuses the page, which is read column by column.
	if _, err := s.db.Exec(`UPDATE "ADM_IPAddressTable" SET "Notes" = x'00ff' WHERE "RecordId" = 1000`); err != nil {
		t.Fatal(err)
	}
	packedSQLitePages = false
	columnRows = readAddressRows(t, s, false)
	packedSQLitePages = true
	packedRows = readAddressRows(t, s, false)
	if falls != 1 {
		t.Fatalf("%d pages read again column by column, want the BLOB's one", falls)
	}
	if !reflect.DeepEqual(packedRows, columnRows) {
		t.Fatal("a page read again column by column differs")
	}
}

// TestEnumeratePackedSameValues: the custom field values of the address
// rows are the same read packed (one JSON array a page) or column by
// column, with text the JSON escapes (brackets and quotes inside a string
// among them), bytes that are not UTF-8, NULL value and field ids, and
// values whose scan order is not the row order. A BLOB, which json_array
// refuses, and a REAL id, which the split does not read as the driver
// would, each make their page's values read again column by column, once.
func TestEnumeratePackedSameValues(t *testing.T) {
	s := convertedStore(t, schema.SQLite, 2500)
	// Addresses with values, far enough apart to be on pages of their own.
	owners := queryIDs(t, s.db, `SELECT DISTINCT "UsedById" FROM "ADM_CustomFieldValuesAssociationTable" WHERE "ObjectType" = 'IPAddress' ORDER BY "UsedById"`)
	if len(owners) < 2000 {
		t.Fatalf("%d addresses with values", len(owners))
	}
	owner := func(i int) string { return strconv.FormatInt(owners[i], 10) }
	set := func(assign, where string) {
		t.Helper()
		if _, err := s.db.Exec(`UPDATE "ADM_CustomFieldValuesAssociationTable" SET ` + assign + ` WHERE "ObjectType" = 'IPAddress' AND ` + where); err != nil {
			t.Fatal(err)
		}
	}
	set(`"CustomFieldValueId" = NULL, "Value" = 'a]b["c\d' || char(1) || '],[é'`, `"UsedById" = `+owner(3))
	set(`"CustomFieldValueId" = NULL, "Value" = CAST(x'ff5d' AS TEXT)`, `"UsedById" = `+owner(4))
	set(`"CustomFieldId" = NULL`, `"UsedById" = `+owner(5))
	set(`"CustomFieldValueId" = NULL, "Value" = NULL`, `"UsedById" = `+owner(6))
	// A value of an earlier address with a later RecordId: the index
	// gives (UsedById, RecordId) order, the test's own row a new place.
	if _, err := s.db.Exec(`INSERT INTO "ADM_CustomFieldValuesAssociationTable" ("ObjectType", "Af", "UsedById", "CustomFieldId", "CustomFieldValueId", "Value")
		SELECT "ObjectType", "Af", "UsedById", "CustomFieldId", NULL, 'late' FROM "ADM_CustomFieldValuesAssociationTable" WHERE "ObjectType" = 'IPAddress' AND "UsedById" = ` + owner(2) + ` LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	falls := 0
	testHookPackedFallback = func() { falls++ }
	defer func() { testHookPackedFallback = nil }()
	defer func() { packedSQLitePages = true }()
	same := func(wantFalls int) {
		t.Helper()
		falls = 0
		packedSQLitePages = true
		packedRows := readAddressRows(t, s, false)
		if falls != wantFalls {
			t.Fatalf("%d pages read again column by column, want %d", falls, wantFalls)
		}
		packedSQLitePages = false
		columnRows := readAddressRows(t, s, false)
		if len(packedRows) != len(columnRows) {
			t.Fatalf("%d rows packed, %d column by column", len(packedRows), len(columnRows))
		}
		withValues := 0
		for i := range packedRows {
			if !reflect.DeepEqual(packedRows[i], columnRows[i]) {
				t.Fatalf("row %d:\n%+v packed\n%+v column by column", packedRows[i].RecordID, packedRows[i].CustomFieldValues, columnRows[i].CustomFieldValues)
			}
			if len(packedRows[i].CustomFieldValues) > 0 {
				withValues++
			}
		}
		if withValues < 2000 {
			t.Fatalf("%d rows with values", withValues)
		}
	}
	same(0)
	set(`"CustomFieldValueId" = NULL, "Value" = x'00ff'`, `"UsedById" = `+owner(1000))
	same(1)
	// A REAL id (INTEGER affinity keeps x.5 a REAL): the packed page is
	// read again column by column, where database/sql refuses it too.
	set(`"UsedById" = "UsedById" + 0.5`, `"UsedById" = `+owner(1900))
	for _, packed := range []bool{true, false} {
		falls, packedSQLitePages = 0, packed
		err := s.EnumerateRows(context.Background(), RowQuery{Kind: AddressRows}, func(ipam.AnyIpamObject) error { return nil })
		if err == nil || !strings.Contains(err.Error(), owner(1900)+".5") {
			t.Fatalf("packed %v: %v, want the REAL refused", packed, err)
		}
		if packed && falls != 2 {
			t.Fatalf("%d pages read again column by column, want 2", falls)
		}
	}
}

func TestOrderByOwner(t *testing.T) {
	a, b, c, d := &ipam.CustomFieldValue{RecordID: 1}, &ipam.CustomFieldValue{RecordID: 2}, &ipam.CustomFieldValue{RecordID: 3}, &ipam.CustomFieldValue{RecordID: 4}
	values, owners := []*ipam.CustomFieldValue{a, b, c, d}, []int64{7, 5, 7, 5}
	orderByOwner(values, owners)
	if !reflect.DeepEqual(owners, []int64{5, 5, 7, 7}) || values[0] != b || values[1] != d || values[2] != a || values[3] != c {
		t.Fatalf("%v %v", owners, values)
	}
}

// readRangeRows is every range row of one family, in order.
func readRangeRows(t *testing.T, s *Store, ipv6 bool) []*ipam.IPRangeRow {
	t.Helper()
	var out []*ipam.IPRangeRow
	if err := s.EnumerateRows(context.Background(), RowQuery{Kind: RangeRows, IPv6: ipv6}, func(r ipam.AnyIpamObject) error {
		out = append(out, r.(*ipam.IPRangeRow))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestEnumeratePackedSameRanges: the range rows are the same, member for
// member, read packed or column by column; a BLOB part way makes the
// query be read again column by column, and the ranges emitted before it
// are not emitted twice.
func TestEnumeratePackedSameRanges(t *testing.T) {
	s := convertedStore(t, schema.SQLite, 6000)
	var ids []int64
	rs, err := s.db.Query(`SELECT "RecordId" FROM "ADM_IPRangeTable" WHERE "Family" = 'IPv4' ORDER BY "RecordId"`)
	if err != nil {
		t.Fatal(err)
	}
	for rs.Next() {
		var id int64
		if err := rs.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rs.Err(); err != nil || len(ids) < 20 {
		t.Fatalf("%d ranges: %v", len(ids), err)
	}
	if _, err := s.db.Exec(`UPDATE "ADM_IPRangeTable" SET "Description" = 'a "quoted" \ one' || char(9), "LastChangeDate" = '2013-06-03T09:00:01Z', "Owner" = NULL WHERE "RecordId" = ?`, ids[1]); err != nil {
		t.Fatal(err)
	}
	falls := 0
	testHookPackedFallback = func() { falls++ }
	defer func() { testHookPackedFallback, packedSQLitePages = nil, true }()
	for _, blob := range []bool{false, true} {
		if blob {
			if _, err := s.db.Exec(`UPDATE "ADM_IPRangeTable" SET "Description" = x'00ff' WHERE "RecordId" = ?`, ids[len(ids)/2]); err != nil {
				t.Fatal(err)
			}
		}
		packedSQLitePages = true
		packedRows := readRangeRows(t, s, false)
		packedSQLitePages = false
		columnRows := readRangeRows(t, s, false)
		if falls != map[bool]int{false: 0, true: 1}[blob] {
			t.Fatalf("blob %v: %d readings column by column", blob, falls)
		}
		if len(packedRows) != len(ids) || len(columnRows) != len(ids) {
			t.Fatalf("blob %v: %d ranges packed, %d column by column, %d stored", blob, len(packedRows), len(columnRows), len(ids))
		}
		values := 0
		for i := range packedRows {
			if !reflect.DeepEqual(packedRows[i], columnRows[i]) {
				t.Fatalf("blob %v: range %d:\n%+v packed\n%+v column by column", blob, packedRows[i].RecordID, packedRows[i], columnRows[i])
			}
			values += len(packedRows[i].CustomFieldValues)
		}
		if values == 0 {
			t.Fatal("no custom field values: the test proves less")
		}
	}
}

// TestParseSQLiteTimeAsDriver: parseSQLiteTime reads a TIMESTAMP column's
// text as modernc.org/sqlite does (the column-by-column form's value).
func TestParseSQLiteTimeAsDriver(t *testing.T) {
	db := convertedStore(t, schema.SQLite, 0).db
	if _, err := db.Exec(`CREATE TABLE "t" ("v" TIMESTAMP)`); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{
		"2013-06-03 09:00:01 +0000 UTC", "2013-06-03 09:00:01.5 +0200 CEST", "2013-06-03 09:00:01 +0000 UTC m=+1.5",
		"2013-06-03 09:00:01.123456789-07:00", "2013-06-03T09:00:01-07:00", "2013-06-03 09:00:01", "2013-06-03T09:00:01.25",
		"2013-06-03 09:00", "2013-06-03T09:00", "2013-06-03", "2013-06-03T09:00:01Z", "2013-06-03Z", "2013-02-30",
		"2013-06-03 25:00", "", " ", "not a time", "2013-06-03 09:00:01 +0000",
	} {
		if _, err := db.Exec(`DELETE FROM "t"`); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`INSERT INTO "t" VALUES (?)`, v); err != nil {
			t.Fatal(err)
		}
		var driver any
		if err := db.QueryRow(`SELECT "v" FROM "t"`).Scan(&driver); err != nil {
			t.Fatal(err)
		}
		got := parseSQLiteTime(v)
		if dt, ok := driver.(time.Time); ok {
			if gt, ok := got.(time.Time); !ok || !gt.Equal(dt) || gt.Location().String() != dt.Location().String() {
				t.Errorf("%q: driver %v, parseSQLiteTime %v", v, driver, got)
			}
			continue
		}
		if !reflect.DeepEqual(got, driver) {
			t.Errorf("%q: driver %#v, parseSQLiteTime %#v", v, driver, got)
		}
	}
}

func TestSplitJSONArray(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []jsonMember
	}{
		{`[]`, nil},
		{`[null]`, []jsonMember{{kind: 'n'}}},
		{`[1,-20,"a",null,""]`, []jsonMember{{'0', "1"}, {'0', "-20"}, {'"', "a"}, {kind: 'n'}, {'"', ""}}},
		{`["a\"b\\c\/d\b\f\n\r\t\u0001\u00e9\ud83d\ude00"]`, []jsonMember{{'"', "a\"b\\c/d\b\f\n\r\t\x01é😀"}}},
		{`[1.5e+3]`, []jsonMember{{'0', "1.5e+3"}}},
	} {
		got, err := splitJSONArray(tc.in, nil)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %q %v, want %q", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{``, `[`, `]`, `[,]`, `[1,]`, `["a]`, `["a"`, `[nul]`, `[true]`, `[{}]`, `[[1]]`, `["\x"]`, `["\u12"]`,
		`["\ud83d"]`, `["\ude00"]`, `["\ud83d\u0041"]`, `[1 ]`, `["a""b"]`, `["\`} {
		if got, err := splitJSONArray(in, nil); err == nil {
			t.Errorf("%s: %q, want an error", in, got)
		}
	}
}

// FuzzSplitJSONArray: what encoding/json writes of two strings, a null and
// an integer splits back into them; no input panics.
func FuzzSplitJSONArray(f *testing.F) {
	f.Add("a\"\\\x01é", "😀\u2028<&>", int64(-7))
	f.Fuzz(func(t *testing.T, a, b string, n int64) {
		_, _ = splitJSONArray(a, nil)
		if !utf8.ValidString(a) || !utf8.ValidString(b) {
			return
		}
		data, err := json.Marshal([]any{a, nil, n, b})
		if err != nil {
			t.Fatal(err)
		}
		got, err := splitJSONArray(string(data), nil)
		want := []jsonMember{{'"', a}, {kind: 'n'}, {'0', strconv.FormatInt(n, 10)}, {'"', b}}
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: %q %v", data, got, err)
		}
	})
}

func TestSplitJSONArrays(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{`[]`, nil},
		{`[[]]`, []string{`[]`}},
		{`[[1,"]"],[null,"a\"]\\"]]`, []string{`[1,"]"]`, `[null,"a\"]\\"]`}},
	} {
		var got []string
		err := splitJSONArrays(tc.in, func(s string) error { got = append(got, s); return nil })
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %q %v, want %q", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{``, `[`, `[1]`, `[[1]`, `[[1],]`, `[[1]2]`, `[["]"]`, `[["\"]]`, `[[1] ]`, `{}`} {
		if err := splitJSONArrays(in, func(string) error { return nil }); err == nil {
			t.Errorf("%s: no error", in)
		}
	}
}

// FuzzSplitJSONArrays: what encoding/json writes of arrays of strings, a
// null and an integer splits back into them; no input panics.
func FuzzSplitJSONArrays(f *testing.F) {
	f.Add("a]\"\\\x01é", "[😀", int64(-7))
	f.Fuzz(func(t *testing.T, a, b string, n int64) {
		_ = splitJSONArrays(a, func(s string) error { _, err := splitJSONArray(s, nil); return err })
		if !utf8.ValidString(a) || !utf8.ValidString(b) {
			return
		}
		data, err := json.Marshal([][]any{{a, nil}, {n, b}, {}})
		if err != nil {
			t.Fatal(err)
		}
		var got [][]jsonMember
		err = splitJSONArrays(string(data), func(s string) error {
			m, err := splitJSONArray(s, nil)
			got = append(got, m)
			return err
		})
		want := [][]jsonMember{{{'"', a}, {kind: 'n'}}, {{'0', strconv.FormatInt(n, 10)}, {'"', b}}, nil}
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: %q %v", data, got, err)
		}
	})
}

// FuzzParseUTCTimeString: the fast form of the store's times is
// time.Parse's reading of them, and refuses what time.Parse refuses.
func FuzzParseUTCTimeString(f *testing.F) {
	for _, s := range []string{"2013-06-03 09:00:01 +0000 UTC", "2013-06-03 09:00:01.5 +0000 UTC", "2012-02-29 23:59:59.123456789 +0000 UTC",
		"2013-02-29 09:00:01 +0000 UTC", "2013-06-03 24:00:01 +0000 UTC", "2013-06-03 09:00:01. +0000 UTC", "2013-06-03 09:00:01,5 +0000 UTC"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseUTCTimeString(s)
		if !ok {
			return
		}
		want, err := time.Parse("2006-01-02 15:04:05.999999999 -0700 MST", s)
		if err != nil || !got.Equal(want) || !reflect.DeepEqual(got.UTC(), want.UTC()) {
			t.Fatalf("%q: %v, time.Parse %v %v", s, got, want, err)
		}
	})
}
