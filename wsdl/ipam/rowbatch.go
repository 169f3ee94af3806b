package ipam

import (
	"context"
	"fmt"

	"github.com/ipamd/ipamd/soap/xmlstream"
)

// RowBatch is the body of one EnumeratedRowsCallback written straight from
// the rows an enumeration holds: WriteBody writes as many of Rows as fit in
// MaxBytes — the whole message as encoded, envelope and NBFSE string table
// included — and says how many in Written; the others wait for the next
// message. Each row is encoded once, into the message: a row found too
// large for what is left is taken back (BoundedWriter) and goes first in
// the next message. The bytes are those of EnumeratedRowsCallback{Data:
// Rows[:Written]} after AssignIDs (TestRowBatchEqualsMemberWriter).
//
// A row that does not fit in MaxBytes alone is an error (*RowTooLargeError):
// no message is larger than the bound (docs/protocol.md, rule E5).
type RowBatch struct {
	Rows     []AnyIpamObject
	MaxBytes int // 0: no bound (all of Rows)
	Written  int // set by WriteBody

	last int // size of the last row written: a row is not tried when it would not fit
	ids  int // z:Id of the message so far
}

// BoundedWriter is a Writer that knows the size of the message it writes
// and can take back whole elements (nbfx.Writer, textxml.Writer). A writer
// without it is given every row of a RowBatch.
type BoundedWriter interface {
	xmlstream.Writer
	// MessageSize is the size of the message if its open elements were
	// closed now.
	MessageSize() int
	// Mark remembers this point; Rewind takes back what was written since.
	Mark()
	Rewind() error
}

// RowTooLargeError is a row that alone makes an EnumeratedRowsCallback
// larger than its bound.
type RowTooLargeError struct {
	Type     string // the row's i:type
	Size     int    // the message with this row alone, in bytes
	MaxBytes int
}

func (e *RowTooLargeError) Error() string {
	return fmt.Sprintf("an %s row needs a message of %d bytes, more than the %d an EnumeratedRowsCallback may take", e.Type, e.Size, e.MaxBytes)
}

// CollectsSessionStrings marks the rows as repeated data (as
// EnumeratedRowsCallback).
func (b *RowBatch) CollectsSessionStrings() bool { return true }

func (b *RowBatch) next() int { b.ids++; return b.ids }

// WriteBody writes <EnumeratedRowsCallback><data>rows</data></…>.
func (b *RowBatch) WriteBody(w xmlstream.Writer) error {
	b.Written, b.ids = 0, 0
	bw, bounded := w.(BoundedWriter)
	bounded = bounded && b.MaxBytes > 0
	if err := w.StartElement("", "EnumeratedRowsCallback", Namespace); err != nil {
		return err
	}
	if err := w.StartElement("", "data", Namespace); err != nil {
		return err
	}
	size := 0
	if bounded {
		size = bw.MessageSize()
	}
	next := b.next
	for i, row := range b.Rows {
		ids := b.ids
		if bounded && i > 0 {
			// From the third row on, a row the size of the last one that
			// would not fit is not tried (the first row of a message
			// carries its new session strings and the message's own
			// overhead, so it says little).
			if i > 1 && size+b.last > b.MaxBytes {
				break
			}
			bw.Mark()
		}
		var err error
		if row == nil {
			err = writeNil(w, "IpamObject", Namespace)
		} else {
			assignRowIDs(row, next)
			err = writeRowItem(w, row)
		}
		if err != nil {
			return err
		}
		if bounded {
			after := bw.MessageSize()
			if after > b.MaxBytes {
				if i == 0 {
					typ := "IpamObject"
					if row != nil {
						_, typ = row.xsdType()
					}
					return &RowTooLargeError{Type: typ, Size: after, MaxBytes: b.MaxBytes}
				}
				if err := bw.Rewind(); err != nil {
					return err
				}
				b.ids = ids
				b.last = after - size
				break
			}
			b.last, size = after-size, after
		}
		b.Written++
	}
	if err := w.EndElement(); err != nil {
		return err
	}
	return w.EndElement()
}

// writeRowItem is WriteItem, with the i:type of a row of the IPAM
// namespace from a kept name record where the writer keeps them
// (RowEncoder): the same bytes (TestRowBatchEqualsMemberWriter).
func writeRowItem(w xmlstream.Writer, row AnyIpamObject) error {
	aw, ok := w.(RowEncoder)
	space, local := row.xsdType()
	if !ok || space != Namespace || local == "IpamObject" {
		return WriteItem(w, row)
	}
	if err := w.StartElement("", "IpamObject", Namespace); err != nil {
		return err
	}
	if err := aw.MemberAttr("i", "type", NamespaceXSI, local); err != nil {
		return err
	}
	if err := row.writeContent(w); err != nil {
		return err
	}
	return w.EndElement()
}

// RowBatchSender is a callback client that can send a RowBatch
// (EnumeratorCallbackClient); the enumerator falls back to
// EnumeratedRowsCallback with a callback that cannot.
type RowBatchSender interface {
	SendRows(ctx context.Context, b *RowBatch) error
}

// SendRows sends one EnumeratedRowsCallback with the rows of b that fit;
// b.Written says how many.
func (c *EnumeratorCallbackClient) SendRows(ctx context.Context, b *RowBatch) error {
	return c.Send(ctx, c.Actions.Checkpoint, b)
}
