package nbfx

import "errors"

// Bounded writing: the rows of an enumeration are written straight into
// their message, and a row that would take the message past its bound is
// taken back (ipam.RowBatch, docs/performance.md "Encoding straight into
// the batch"). MessageSize says how large the message is so far, Mark
// and Rewind take back the whole elements written after a point.

// writerMark is a point Rewind goes back to.
type writerMark struct {
	set      bool
	off      int
	lastText int
	open     bool
	depth    int
	sess     sessionMark
}

// sessionMark is the outbound string table at a Mark.
type sessionMark struct {
	pending, memo, members int
	n, bytes, pendBytes    int
	full, pendFull         bool
}

// MessageSize is the size of the message if the open elements were closed
// now: the records since Reset, one end record for each open element (the
// innermost's folds into text just written), and, with a session, the
// StringTable the codec puts before the records (the strings added so
// far; the one byte 00 when there are none). It is exact for the
// msbinsession1 message soap.Codec writes (whose Reset starts after the
// table's byte) and for an msbin1 document.
func (w *Writer) MessageSize() int {
	d := w.scope.Depth()
	n := len(w.buf) - w.base + d
	if w.lastText >= 0 && d > 0 {
		n--
	}
	if w.sess != nil {
		n += mb31Len(uint32(w.sess.pendBytes)) + w.sess.pendBytes
	}
	return n
}

// Mark remembers this point, between whole elements, for Rewind.
func (w *Writer) Mark() {
	w.mark = writerMark{set: true, off: len(w.buf), lastText: w.lastText, open: w.open, depth: w.scope.Depth()}
	if w.sess != nil {
		w.mark.sess = w.sess.markAt()
	}
}

// errRewind is Rewind's refusal: no Mark, or not at the Mark's depth (an
// element written since is still open), or the writer failed.
var errRewind = errors.New("nbfx: rewind: not at a mark's depth")

// Rewind takes back everything written since Mark — the records, the
// session strings they added and the runs remembered with them — so the
// message goes on as if it had not been written. Only whole elements can
// be taken back: the depth must be the Mark's.
func (w *Writer) Rewind() error {
	if w.err != nil {
		return w.err
	}
	m := w.mark
	if !m.set || w.scope.Depth() != m.depth || len(w.buf) < m.off {
		return errRewind
	}
	w.buf = w.buf[:m.off]
	w.lastText, w.open = m.lastText, m.open
	if w.sess != nil {
		w.sess.rewindTo(m.sess)
	}
	w.mark = writerMark{}
	return nil
}

// markAt is the table's state now.
func (s *WriterSession) markAt() sessionMark {
	return sessionMark{pending: len(s.pending), memo: len(s.pendMemo), members: s.members.pending(), n: s.n, bytes: s.bytes, pendBytes: s.pendBytes,
		full: s.full, pendFull: s.pendFull}
}

// rewindTo takes back what was added after m (within the message being
// written: Commit has not run since).
func (s *WriterSession) rewindTo(m sessionMark) {
	if m.pending > len(s.pending) || m.memo > len(s.pendMemo) {
		return // a Commit ran since: nothing of this message is pending
	}
	for _, str := range s.pending[m.pending:] {
		delete(s.ids, str)
	}
	clear(s.pending[m.pending:])
	s.pending = s.pending[:m.pending]
	for _, k := range s.pendMemo[m.memo:] {
		s.forgetMemo(k)
	}
	clear(s.pendMemo[m.memo:])
	s.pendMemo = s.pendMemo[:m.memo]
	s.members.forget(m.members)
	s.n, s.bytes, s.pendBytes, s.full, s.pendFull = m.n, m.bytes, m.pendBytes, m.full, m.pendFull
}
