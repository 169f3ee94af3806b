package nbfx

// A connection that waits for its client's next message needs no Reader:
// only its session string table (ReaderSession) must survive between
// messages ([MC-NBFSE] 2.1: ids refer to strings of earlier messages).
// soap.Codec therefore takes a Reader from a pool for each message and
// gives it back while the connection waits (issue 16, docs/performance.md
// "Held sessions"); these two functions make a Reader fit to be shared.

// maxKeptBuffer and maxKeptSlots bound what a Reader keeps when it is
// given back: one message's large text, many attributes or deep nesting
// must not pin its buffers in a pool.
const (
	maxKeptBuffer = 4 << 10
	maxKeptSlots  = 64
)

// SetOptions makes r read with opts (zero fields take the defaults) from
// its next Reset on.
func (r *Reader) SetOptions(opts ReaderOptions) { r.opts = opts.withDefaults() }

// Forget drops everything r holds of its last document and connection —
// the document, the session table, the node and stack contents, the names
// interned beyond the process-wide table, buffers above those bounds — so
// that r can be handed to another connection. Reset must follow.
func (r *Reader) Forget() {
	r.Reset(nil, nil)
	clear(r.attrs[:cap(r.attrs)])
	clear(r.stack[:cap(r.stack)])
	if cap(r.attrs) > maxKeptSlots {
		r.attrs = nil
	}
	if cap(r.stack) > maxKeptSlots {
		r.stack = nil
	}
	r.names, r.nameSz = nil, 0
	if cap(r.scratch) > maxKeptBuffer {
		r.scratch = nil
	}
	if cap(r.list) > maxKeptBuffer {
		r.list = nil
	}
}
