package textxml

// A connection that waits for its client's next message needs no Reader:
// nothing of one text message is needed to read the next (the names shared
// between messages live in the process-wide tables). soap.Codec therefore
// takes a Reader from a pool for each message and gives it back while the
// connection waits (docs/performance.md, "Held sessions"); these two
// functions make a Reader fit to be shared.

// maxKeptBuffer and maxKeptSlots bound what a Reader keeps when it is given
// back: one message's large text, many attributes or deep nesting must not
// pin its buffers in a pool.
const (
	maxKeptBuffer = 4 << 10
	maxKeptSlots  = 64
)

// SetOptions makes r read with opts (zero fields take the defaults) from
// its next Reset on.
func (r *Reader) SetOptions(opts Options) { r.opts = opts.withDefaults() }

// Forget drops everything r holds of its last document — the document, the
// node, attribute and stack contents, buffers above those bounds — so that
// r can be handed to another connection. Reset must follow.
func (r *Reader) Forget() {
	r.Reset(nil)
	clear(r.attrs[:cap(r.attrs)])
	clear(r.stack[:cap(r.stack)])
	clear(r.s.attrs[:cap(r.s.attrs)])
	if cap(r.attrs) > maxKeptSlots {
		r.attrs = r.attrBuf[:0]
	}
	if cap(r.stack) > maxKeptSlots {
		r.stack = r.stackBuf[:0]
	}
	if cap(r.s.attrs) > maxKeptSlots {
		r.s.attrs = r.rawBuf[:0]
	}
	if cap(r.text) > maxKeptBuffer {
		r.text = nil
	}
	if cap(r.value) > maxKeptBuffer {
		r.value = nil
	}
	r.scope.Shrink(maxKeptSlots)
}
