package store

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/ipamd/ipamd/store/schema"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// BenchmarkEnumerateNodeChildren reads the children of every root of the
// built-in Managed by group over the IPv4 addresses of a converted SQLite
// store, where most addresses share one Managed by value, at two sizes:
// a path matched per object grows with the square of the addresses, one
// matched by an uncorrelated IN per level with their number. It reports
// the time per address of the store (ns/address) so the two sizes compare
// directly.
func BenchmarkEnumerateNodeChildren(b *testing.B) {
	for _, size := range []int{500, 2000} {
		b.Run(fmt.Sprintf("addresses=%d", size), func(b *testing.B) {
			s := convertedStore(b, schema.SQLite, size)
			ctx := context.Background()
			var (
				groupID int64
				stored  string
			)
			if err := s.db.QueryRow(`SELECT "RecordId", "Fields" FROM "ADM_LogicalGroupsTable" WHERE "Name" = 'Managed by'`).Scan(&groupID, &stored); err != nil {
				b.Fatal(err)
			}
			var fields []schema.LogicalGroupField
			if err := json.Unmarshal([]byte(stored), &fields); err != nil || len(fields) < 2 {
				b.Fatalf("Managed by group fields %q: %v", stored, err)
			}
			var addresses int64
			if err := s.db.QueryRow(`SELECT COUNT(*) FROM "ADM_IPAddressTable" WHERE "Family" = 'IPv4'`).Scan(&addresses); err != nil {
				b.Fatal(err)
			}
			var roots []int64
			if err := s.EnumerateRows(ctx, RowQuery{Kind: LogicalGroupNodeRows, Groups: &GroupQuery{Type: "IPAddress",
				Node: &NodeQuery{GroupID: groupID, Type: "IPAddress"}}}, func(o ipam.AnyIpamObject) error {
				roots = append(roots, *o.(*ipam.LogicalGroupNode).NodeCustomFieldValueID)
				return nil
			}); err != nil {
				b.Fatal(err)
			}
			if len(roots) == 0 {
				b.Fatal("the store's addresses carry no Managed by value")
			}
			children := 0
			b.ReportAllocs()
			for b.Loop() {
				children = 0
				for _, root := range roots {
					q := RowQuery{Kind: LogicalGroupNodeRows, Groups: &GroupQuery{Type: "IPAddress", Node: &NodeQuery{GroupID: groupID, Type: "IPAddress",
						Parent: []NodeLevel{{CustomFieldID: fields[0].CustomFieldRecordId, ValueID: root}}}}}
					if err := s.EnumerateRows(ctx, q, func(ipam.AnyIpamObject) error {
						children++
						return nil
					}); err != nil {
						b.Fatal(err)
					}
				}
			}
			if children == 0 {
				b.Fatal("no children under the Managed by roots")
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(addresses), "ns/address")
			b.ReportMetric(float64(children), "children")
		})
	}
}
