package ipam_test

import (
	"math/rand/v2"
	"testing"

	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// BenchmarkRowBatchTypes writes rows of one type at a time straight into
// messages of 32 KiB on one binary session connection, as an enumeration
// of that type does: the rows of randomTypedRows, grouped by their type
// (ns/row is per row written).
func BenchmarkRowBatchTypes(b *testing.B) {
	byType := map[string][]ipam.AnyIpamObject{}
	for _, row := range randomTypedRows(rand.New(rand.NewPCG(3, 3)), 6000, 24) {
		switch row.(type) {
		case *ipam.IPBlockRow:
			byType["blocks"] = append(byType["blocks"], row)
		case *ipam.ServerInfoRow:
			byType["servers"] = append(byType["servers"], row)
		case *ipam.LogicalGroupNode:
			byType["nodes"] = append(byType["nodes"], row)
		case *ipam.AddressSpaceRow:
			byType["spaces"] = append(byType["spaces"], row)
		}
	}
	h := &soap.Header{Action: ipam.ActionEnumeratedRowsCallback, To: soap.AddressAnonymous}
	for _, name := range []string{"blocks", "servers", "nodes", "spaces"} {
		rows := byType[name]
		b.Run(name, func(b *testing.B) {
			codec := soap.NewCodec(soap.EncodingBinarySession, soap.Limits{})
			batch := &ipam.RowBatch{MaxBytes: 32 << 10}
			var buf []byte
			b.ReportAllocs()
			for b.Loop() {
				for sent := 0; sent < len(rows); sent += batch.Written {
					batch.Rows = rows[sent:min(len(rows), sent+64)] // a batcher holds a few more rows than fit
					out, err := codec.Encode(buf[:0], h, batch)
					if err != nil {
						b.Fatal(err)
					}
					buf = out
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(rows)), "ns/row")
		})
	}
}
