package store

import (
	"context"
	"reflect"
	"testing"

	"github.com/ipamd/ipamd/store/storetest"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// TestEnumerateCachedTablesSameRows: the address rows are the same, member
// for member, whether the custom field values and the address spaces are
// read once into memory or joined to every row (more than
// maxCachedCustomFieldValues, maxCachedAddressSpaces), on both engines.
func TestEnumerateCachedTablesSameRows(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			s := convertedStore(t, e.Dialect, 1200)
			read := func() []*ipam.IPAddressRow {
				var out []*ipam.IPAddressRow
				if err := s.EnumerateRows(context.Background(), RowQuery{Kind: AddressRows}, func(r ipam.AnyIpamObject) error {
					out = append(out, r.(*ipam.IPAddressRow))
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				return out
			}
			cached := read()
			defer func(v, sp int) { maxCachedCustomFieldValues, maxCachedAddressSpaces = v, sp }(maxCachedCustomFieldValues, maxCachedAddressSpaces)
			maxCachedCustomFieldValues, maxCachedAddressSpaces = 0, 0
			joined := read()
			if len(cached) != len(joined) || len(cached) == 0 {
				t.Fatalf("%d rows cached, %d joined", len(cached), len(joined))
			}
			values, named := 0, 0
			for i := range cached {
				if !reflect.DeepEqual(cached[i], joined[i]) {
					t.Fatalf("row %d:\n%+v cached\n%+v joined", cached[i].RecordID, cached[i], joined[i])
				}
				values += len(cached[i].CustomFieldValues)
				if cached[i].ProviderAddressSpaceName != nil {
					named++
				}
			}
			if values == 0 || named == 0 {
				t.Fatalf("%d custom field values, %d rows with a space name: the test proves nothing", values, named)
			}
		})
	}
}
