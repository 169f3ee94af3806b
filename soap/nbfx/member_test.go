package nbfx

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// memberNames are names in the static dictionary and out of it (made
// once: the writer keeps records by the name's string).
var memberNames = func() []string {
	names := []string{"Value", "Address", "nil", "AccessScopeId", "DnsZoneName", "ParentCustomFieldName", "RecordId", "Body", "x"}
	for i := range 40 {
		names = append(names, fmt.Sprintf("Member%d", i))
	}
	return names
}()

// TestMemberIsStartTextEnd: Member and NilMember write the bytes
// StartElement, Text (Attr i:nil) and EndElement write — without a
// session, with one collecting its strings or not, across messages that
// are committed, rolled back, or taken back to a Mark — and the session
// tables stay equal.
func TestMemberIsStartTextEnd(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 16))
	for _, withSession := range []bool{false, true} {
		var fast, slow *WriterSession
		if withSession {
			fast, slow = NewWriterSession(400, 0), NewWriterSession(400, 0) // small: it fills up
		}
		for msg := range 200 {
			collect := r.IntN(4) != 0
			fw, sw := NewWriter(nil), NewWriter(nil)
			fw.SetSession(fast)
			sw.SetSession(slow)
			fw.CollectSessionStrings(collect)
			sw.CollectSessionStrings(collect)
			for _, w := range []*Writer{fw, sw} {
				_ = w.StartElement("", "row", "urn:r")
				_ = w.XmlnsAttr("i", xsiNamespace)
			}
			marked := false
			for k := range 8 {
				if k == 4 && r.IntN(2) == 0 {
					fw.Mark()
					sw.Mark()
					marked = true
				}
				name := memberNames[r.IntN(len(memberNames))]
				text := []string{"", "0", "1", "true", "Value", "10.0.0.1", "é", string(rune('a' + r.IntN(26)))}[r.IntN(8)]
				if r.IntN(3) == 0 {
					if err := fw.NilMember(name, "urn:r"); err != nil {
						t.Fatal(err)
					}
					_ = sw.StartElement("", name, "urn:r")
					_ = sw.Attr("i", "nil", xsiNamespace, "true")
					_ = sw.EndElement()
					continue
				}
				if err := fw.Member(name, "urn:r", text); err != nil {
					t.Fatal(err)
				}
				_ = sw.StartElement("", name, "urn:r")
				_ = sw.Text(text)
				_ = sw.EndElement()
			}
			if marked && r.IntN(2) == 0 {
				if err := fw.Rewind(); err != nil {
					t.Fatal(err)
				}
				if err := sw.Rewind(); err != nil {
					t.Fatal(err)
				}
			}
			_ = fw.EndElement()
			_ = sw.EndElement()
			if !bytes.Equal(fw.Bytes(), sw.Bytes()) {
				t.Fatalf("session %v, message %d: Member wrote\n%x\nelements wrote\n%x", withSession, msg, fw.Bytes(), sw.Bytes())
			}
			if withSession {
				if !bytes.Equal(fast.AppendStringTable(nil), slow.AppendStringTable(nil)) {
					t.Fatalf("message %d: the string tables differ", msg)
				}
				if r.IntN(2) == 0 {
					fast.Rollback()
					slow.Rollback()
				} else {
					fast.Commit()
					slow.Commit()
				}
			}
		}
	}
}
