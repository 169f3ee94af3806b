package ipam_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// FuzzEnumeratedRows feeds arbitrary EnumeratedRowsCallback messages, text
// and binary, to the client's generic row reader (EnumeratedRows.ReadBody,
// what `ipamd enumerate` and client.Enumerate parse every rows callback
// with). Oracle: no panic, no hang (the codec's depth and size quotas bound
// the recursion), and a row read without error holds only the value kinds
// GenericRow documents (nil, string, []any, *GenericRow), each nested row
// reached within the depth quota.
func FuzzEnumeratedRows(f *testing.F) {
	for _, name := range []string{"testdata/example-4.3-EnumeratedRowsCallback.xml", "testdata/rows-blocks-EnumeratedRowsCallback.xml"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(false, b)
	}
	rows := blockRows()
	ipam.AssignIDs(rows)
	for _, enc := range []soap.Encoding{soap.EncodingText, soap.EncodingBinarySession} {
		p, err := soap.NewCodec(enc, soap.Limits{}).Encode(nil, &soap.Header{Action: ipam.ActionEnumeratedRowsCallback}, &ipam.EnumeratedRowsCallback{Data: rows})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(enc == soap.EncodingBinarySession, p)
	}
	f.Add(false, []byte(`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><EnumeratedRowsCallback xmlns="http://Microsoft.Windows.Ipam"><data><IpamObject i:nil="true" xmlns:i="http://www.w3.org/2001/XMLSchema-instance"/></data></EnumeratedRowsCallback></s:Body></s:Envelope>`))
	limits := soap.Limits{}
	f.Fuzz(func(t *testing.T, binary bool, msg []byte) {
		enc := soap.EncodingText
		if binary {
			enc = soap.EncodingBinarySession
		}
		env, err := soap.NewCodec(enc, limits).Decode(msg)
		if err != nil {
			return
		}
		var m ipam.EnumeratedRows
		if err := m.ReadBody(env.Body()); err != nil {
			return
		}
		for i, r := range m.Rows {
			if r == nil {
				continue
			}
			if err := checkGeneric(r, 0); err != nil {
				t.Fatalf("row %d: %v", i, err)
			}
		}
	})
}

// checkGeneric walks a row's values: only the documented kinds, nesting
// no deeper than the codec's depth quota (32 open elements).
func checkGeneric(r *ipam.GenericRow, depth int) error {
	if depth > 32 {
		return fmt.Errorf("nested %d deep, past the depth quota", depth)
	}
	for _, m := range r.Members {
		if err := checkValue(m.Value, depth+1); err != nil {
			return fmt.Errorf("<%s>: %w", m.Name, err)
		}
	}
	return nil
}

func checkValue(v any, depth int) error {
	switch x := v.(type) {
	case nil, string:
		return nil
	case []any:
		for _, e := range x {
			if err := checkValue(e, depth+1); err != nil {
				return err
			}
		}
		return nil
	case *ipam.GenericRow:
		if x == nil {
			return fmt.Errorf("a nil *GenericRow")
		}
		return checkGeneric(x, depth)
	}
	return fmt.Errorf("value of kind %T", v)
}
