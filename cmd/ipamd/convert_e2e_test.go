package main

import (
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/ipamd/ipamd/store"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// TestConvertLegacyStoreOverNetTCP is the whole path of a schema
// conversion: a generated v1 (IPAM 6.2) store becomes the daemon's active
// store, `ipamd convert` drives IIpamAsyncSchemaConversion over net.tcp, and
// the converted store is compared row by row with an untouched copy of the
// source.
func TestConvertLegacyStoreOverNetTCP(t *testing.T) {
	state := t.TempDir()
	live := filepath.Join(state, store.WIDFileName)
	if out, errOut, code := ipamd(t, nil, "dev", "make-legacy-store", "--engine", "sqlite", "--path", live,
		"--addresses", "3000", "--seed", "11"); code != 0 {
		t.Fatalf("make-legacy-store: exit %d\n%s%s", code, out, errOut)
	}
	source := filepath.Join(t.TempDir(), "source.db")
	copyFile(t, live, source)
	if err := store.SaveActive(state, store.Config{Type: ipam.IpamDatabaseTypeWindowsInternalDatabase, Path: live}, false); err != nil {
		t.Fatal(err)
	}

	// The binary, not servertest: the conversion of a whole legacy store
	// runs three times slower in a -race test process.
	base := "net.tcp://" + startDaemon(t, "--state-dir", state).netTCP
	out, stderr, code := ipamd(t, nil, "status", "--server", base, "--output", "json")
	if code != 0 {
		t.Fatalf("status: exit %d\n%s%s", code, out, stderr)
	}
	r, stderr, code := runJSON(t, "convert", "--server", base+"/ipam/IIpamAsyncSchemaConversion")
	if code != 0 || r.Outcome != "success" || r.Exception != nil {
		t.Fatalf("convert: exit %d, %+v %+v\nstderr: %s", code, r, r.Exception, stderr)
	}
	// A second conversion has nothing to do: the stored version is current.
	r, _, code = runJSON(t, "convert", "--server", base)
	if code != exitRemote || r.Exception == nil || r.Exception.ID != ipam.IpamSchemaConversionNotRequired {
		t.Fatalf("second convert: exit %d, %+v", code, r)
	}

	src, dst := openSQLite(t, source), openSQLite(t, live)
	// Every v1 address, range and block is still there with every v1 column
	// unchanged, and now in the default address space.
	for _, table := range []string{"ADM_IPAddressTable", "ADM_IPRangeTable", "ADM_IPBlocksTable"} {
		before, after := dumpRows(t, src, table), dumpRows(t, dst, table)
		subnets := 0
		for id, row := range after {
			if before[id] == nil {
				if table == "ADM_IPBlocksTable" && row["IsSubnet"] == "1" {
					subnets++ // created by the conversion for the ranges
					continue
				}
				t.Errorf("%s: row %s appeared", table, id)
			}
		}
		for id, old := range before {
			row := after[id]
			if row == nil {
				t.Errorf("%s: row %s lost", table, id)
				continue
			}
			for col, v := range old {
				switch {
				case table == "ADM_IPRangeTable" && col == "ParentIPBlockRecordId":
					continue // re-parented to its subnet, checked below
				case table == "ADM_IPRangeTable" && col == "DefaultGateway":
					// v2 keeps gateways as Gateway Address (PropertyId 3) values.
					if v != "<nil>" && v != "" {
						var got string
						if err := dst.QueryRow(`SELECT CAST("PropertyValue" AS TEXT) FROM "ADM_IPRangeMultivaluedPropertiesTable"
							WHERE "RangeId" = ? AND "PropertyId" = 3`, id).Scan(&got); err != nil || got != v {
							t.Errorf("range %s: gateway %q moved as %q (%v)", id, v, got, err)
						}
					}
					continue
				case table == "ADM_IPBlocksTable" && col == "NumberOfChildBlocks":
					continue // recounted with the new subnets, checked below
				}
				if row[col] != v {
					t.Errorf("%s row %s: %s = %q, was %q", table, id, col, row[col], v)
				}
			}
			if table != "ADM_IPBlocksTable" && row["AddressSpaceRecordId"] != "1" {
				t.Errorf("%s row %s: AddressSpaceRecordId = %q, want 1", table, id, row["AddressSpaceRecordId"])
			}
		}
		if table == "ADM_IPBlocksTable" && subnets == 0 {
			t.Errorf("no subnets were created")
		}
		if len(before) == 0 {
			t.Errorf("%s: the generated store has no rows", table)
		}
	}
	// Every range now hangs under a subnet.
	var orphans int
	if err := dst.QueryRow(`SELECT COUNT(*) FROM "ADM_IPRangeTable" r LEFT JOIN "ADM_IPBlocksTable" b
		ON b."RecordId" = r."ParentIPBlockRecordId" WHERE b."RecordId" IS NULL OR b."IsSubnet" <> 1`).Scan(&orphans); err != nil {
		t.Fatal(err)
	}
	if orphans != 0 {
		t.Errorf("%d ranges without a parent subnet", orphans)
	}
	var wrongCounts int
	if err := dst.QueryRow(`SELECT COUNT(*) FROM "ADM_IPBlocksTable" p WHERE "NumberOfChildBlocks" <>
		(SELECT COUNT(*) FROM "ADM_IPBlocksTable" c WHERE c."ParentBlockRecordId" = p."RecordId")`).Scan(&wrongCounts); err != nil {
		t.Fatal(err)
	}
	if wrongCounts != 0 {
		t.Errorf("%d blocks with a NumberOfChildBlocks that is not their number of child blocks", wrongCounts)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

func openSQLite(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// dumpRows reads a table as RecordId → column → value (text form).
func dumpRows(t *testing.T, db *sql.DB, table string) map[string]map[string]string {
	t.Helper()
	rows, err := db.Query(fmt.Sprintf(`SELECT * FROM %q`, table))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]string{}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := map[string]string{}
		for i, c := range cols {
			if vals[i] == nil {
				row[c] = "<nil>"
				continue
			}
			if b, ok := vals[i].([]byte); ok {
				vals[i] = string(b)
			}
			if reflect.TypeOf(vals[i]).Kind() == reflect.Bool {
				if vals[i].(bool) {
					vals[i] = 1
				} else {
					vals[i] = 0
				}
			}
			row[c] = fmt.Sprint(vals[i])
		}
		out[row["RecordId"]] = row
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
