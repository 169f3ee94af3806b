package nbfx

import (
	"bytes"
	"fmt"
	"testing"
)

// TestMemberAttrIsAttr: MemberAttr writes the bytes Attr writes — the
// prefix declared on the element where it is not in scope, in scope
// below, a name outside the static dictionary, with and without a session
// — and fails as Attr does after content.
func TestMemberAttrIsAttr(t *testing.T) {
	const z = "http://schemas.microsoft.com/2003/10/Serialization/"
	for _, withSession := range []bool{false, true} {
		fw, sw := NewWriter(nil), NewWriter(nil)
		if withSession {
			fw.SetSession(NewWriterSession(0, 0))
			sw.SetSession(NewWriterSession(0, 0))
			fw.CollectSessionStrings(true)
			sw.CollectSessionStrings(true)
		}
		for _, w := range []*Writer{fw, sw} {
			_ = w.StartElement("", "data", "urn:r")
			_ = w.XmlnsAttr("i", xsiNamespace)
		}
		for row := range 3 {
			for i, w := range []*Writer{fw, sw} {
				attr := w.Attr
				if i == 0 {
					attr = w.MemberAttr
				}
				_ = w.StartElement("", "IpamObject", "urn:r")
				if err := attr("i", "type", xsiNamespace, "IpamIPv4Address"); err != nil {
					t.Fatal(err)
				}
				if err := attr("z", "Id", z, fmt.Sprintf("i%d", row)); err != nil { // declares z
					t.Fatal(err)
				}
				if err := attr("z", "NotStatic", z, "x"); err != nil {
					t.Fatal(err)
				}
				_ = w.StartElement("", "CustomFieldValue", "urn:r")
				if err := attr("z", "Id", z, "i9"); err != nil { // z in scope
					t.Fatal(err)
				}
				_ = w.Text("v")
				_ = w.EndElement()
				_ = w.EndElement()
			}
			if !bytes.Equal(fw.Bytes(), sw.Bytes()) {
				t.Fatalf("session %v, row %d:\nMemberAttr % x\nAttr       % x", withSession, row, fw.Bytes(), sw.Bytes())
			}
		}
		_ = fw.Text("after")
		if err := fw.MemberAttr("z", "Id", z, "i1"); err == nil {
			t.Fatal("MemberAttr after content: no error")
		}
	}
}

// TestMemberCacheFull: names past what the cache keeps are still written
// as StartElement, Text and EndElement write them.
func TestMemberCacheFull(t *testing.T) {
	names := make([]string, memberCacheKeep+50)
	for i := range names {
		names[i] = fmt.Sprintf("Name%d", i)
	}
	fw, sw := NewWriter(nil), NewWriter(nil)
	for _, w := range []*Writer{fw, sw} {
		_ = w.StartElement("", "row", "urn:r")
	}
	for pass := range 2 {
		for _, name := range names {
			if err := fw.Member(name, "urn:r", "t"); err != nil {
				t.Fatal(err)
			}
			_ = sw.StartElement("", name, "urn:r")
			_ = sw.Text("t")
			_ = sw.EndElement()
		}
		if !bytes.Equal(fw.Bytes(), sw.Bytes()) {
			t.Fatalf("pass %d: Member differs from StartElement, Text, EndElement", pass)
		}
	}
	if n := fw.members().starts.n; n != memberCacheKeep {
		t.Errorf("the cache keeps %d names, want %d", n, memberCacheKeep)
	}
}
