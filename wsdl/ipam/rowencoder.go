package ipam

import "github.com/ipamd/ipamd/soap/xmlstream"

// RowEncoder is the one contract the rows' fast paths write through: the
// binary writer (nbfx.Writer) is one. Rows written to any other
// xmlstream.Writer go member by member, to the same bytes
// (TestRowBatchEqualsMemberWriter, TestFragmentsRepeatTheirBytes). Writing
// rows member by member was most of an enumeration's cost
// (docs/performance.md, "Enumeration").
type RowEncoder interface {
	xmlstream.Writer

	// Member and NilMember write a simple member — <local>text</local>,
	// <local i:nil="true"/> in the default namespace — from records kept
	// per name; MemberAttr an attribute with a static dictionary name.
	// The bytes are those of StartElement, Text or Attr, EndElement. None
	// of the text given is kept once a call returns (a row's numbers and
	// dates are formatted into a reused buffer).
	Member(local, space, text string) error
	NilMember(local, space string) error
	MemberAttr(prefix, local, space, value string) error
	// InScope reports whether prefix is bound to space here: kept bytes
	// are only repeated under the bindings they were written with.
	InScope(prefix, space string) bool

	// Offset is how much was written so far; Encoded returns what was
	// written since offset from; Repeat writes again n bytes Encoded
	// returned: the runs of members that are the same in every row (the
	// ModifiedProperties and SetProperties lists, the constant part of an
	// IPv4 sysnet:IPAddress, the members no data collection fills).
	Offset() int
	Encoded(from int) []byte
	Repeat(b []byte, n int) error
	// RepeatText repeats a run with a hole for one text: head, the text
	// as a text record, tail.
	RepeatText(head []byte, text string, tail []byte) error

	// Remembers reports whether the writer's bytes depend on its
	// connection (an NBFSE session: names are session ids); its runs are
	// then remembered per connection (Remembered, Remember), else once
	// per writer type.
	Remembers() bool
	Remembered(key any) ([]byte, bool)
	Remember(key any, b []byte)
	// RemembersRuns reports whether runs are also remembered by their
	// content on the connection (the custom field values: RememberedRun,
	// RememberRun).
	RemembersRuns() bool
	RememberedRun(key []byte) ([]byte, bool)
	RememberRun(key, b []byte)
}
