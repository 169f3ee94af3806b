package textxml

import "errors"

// Bounded writing, as nbfx.Writer does it: the rows of an enumeration are
// written straight into their message, and a row that would take the
// message past its bound is taken back (ipam.RowBatch).

// writerMark is a point Rewind goes back to.
type writerMark struct {
	set   bool
	off   int
	open  bool
	depth int
}

// MessageSize is the size of the document if the open elements were
// closed now: the text since Reset and the end tags still to come ("/>"
// for an open start tag).
func (w *Writer) MessageSize() int {
	n := len(w.buf) - w.base
	for i, f := range w.stack {
		if i == len(w.stack)-1 && w.open {
			n += 2
			continue
		}
		n += 3 + len(f.local)
		if f.prefix != "" {
			n += len(f.prefix) + 1
		}
	}
	return n
}

// Mark remembers this point, between whole elements, for Rewind.
func (w *Writer) Mark() {
	w.mark = writerMark{set: true, off: len(w.buf), open: w.open, depth: len(w.stack)}
}

// errRewind is Rewind's refusal: no Mark, or an element written since is
// still open.
var errRewind = errors.New("textxml: rewind: not at a mark's depth")

// Rewind takes back the text written since Mark (whole elements only: the
// depth must be the Mark's).
func (w *Writer) Rewind() error {
	if w.err != nil {
		return w.err
	}
	m := w.mark
	if !m.set || len(w.stack) != m.depth || len(w.buf) < m.off {
		return errRewind
	}
	w.buf = w.buf[:m.off]
	w.open = m.open
	w.mark = writerMark{}
	return nil
}
