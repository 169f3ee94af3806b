package store

import (
	"database/sql"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/ipamd/ipamd/store/schema"
)

func TestZZValuesExp(t *testing.T) {
	path := os.Getenv("ZZ_DB")
	if path == "" {
		t.Skip()
	}
	db, err := sql.Open("sqlite", schema.SQLiteDSN(path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const n = 200000
	w := ` FROM "ADM_CustomFieldValuesAssociationTable" cfa WHERE cfa."ObjectType" = 'IPAddress' AND cfa."UsedById" >= ? AND cfa."UsedById" <= ? `
	run := func(name, q string, cols int) {
		t0 := time.Now()
		nv := 0
		dest := make([]any, cols)
		ptrs := make([]any, cols)
		for i := range dest {
			ptrs[i] = &dest[i]
		}
		for first := int64(0); first < n; first += 512 {
			rs, err := db.Query(q, first, first+511)
			if err != nil {
				t.Fatal(err)
			}
			for rs.Next() {
				rs.Scan(ptrs...)
				nv++
			}
			rs.Close()
		}
		d := time.Since(t0)
		fmt.Printf("%s: %d result rows %v %.2f µs/address\n", name, nv, d, float64(d.Microseconds())/n)
	}
	for range 2 {
		run("today", `SELECT cfa."UsedById", cfa."CustomFieldValueId", cfa."CustomFieldId", cfa."Value"`+w+`ORDER BY cfa."UsedById"`, 4)
		run("json_group_array one", `SELECT json_group_array(json_array(cfa."UsedById", cfa."CustomFieldValueId", cfa."CustomFieldId", cfa."Value"))`+w, 1)
		run("json_group_array ordered", `SELECT json_group_array(json_array(cfa."UsedById", cfa."CustomFieldValueId", cfa."CustomFieldId", cfa."Value") ORDER BY cfa."UsedById")`+w, 1)
		run("json_group_array subq", `SELECT json_group_array(json_array(u, v, f, x)) FROM (SELECT cfa."UsedById" u, cfa."CustomFieldValueId" v, cfa."CustomFieldId" f, cfa."Value" x`+w+` ORDER BY cfa."UsedById")`, 1)
		run("group_concat subq", `SELECT group_concat(u || ',' || coalesce(v, '') || ',' || coalesce(f, '') || ',' || coalesce(length(x), -1) || ',' || coalesce(x, ''), ',') FROM (SELECT cfa."UsedById" u, cfa."CustomFieldValueId" v, cfa."CustomFieldId" f, cfa."Value" x`+w+` ORDER BY cfa."UsedById")`, 1)
	}
	var s string
	db.QueryRow(`EXPLAIN QUERY PLAN SELECT json_group_array(json_array(cfa."UsedById", cfa."CustomFieldValueId", cfa."CustomFieldId", cfa."Value") ORDER BY cfa."UsedById")`+w, 1, 10).Scan(new(any), new(any), new(any), &s)
	fmt.Println(s)
}
