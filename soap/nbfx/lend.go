package nbfx

// A connection that waits for its client's next message needs no Reader:
// only its session string table (ReaderSession) must survive between
// messages ([MC-NBFSE] 2.1: ids refer to strings of earlier messages).
// soap.Codec therefore takes a Reader from a pool for each message and
// gives it back while the connection waits (issue 16, docs/performance.md
// "Held sessions"); these two functions make a Reader fit to be shared.

// maxKeptBuffer bounds the scratch buffers a Reader keeps when it is
// given back: a large text must not pin its buffer in a pool.
const maxKeptBuffer = 4 << 10

// SetOptions makes r read with opts (zero fields take the defaults) from
// its next Reset on.
func (r *Reader) SetOptions(opts ReaderOptions) { r.opts = opts.withDefaults() }

// Forget drops everything r holds of its last document and connection —
// the document, the session table, the node and stack contents, the names
// interned beyond the process-wide table, buffers above maxKeptBuffer — so
// that r can be handed to another connection. Reset must follow.
func (r *Reader) Forget() {
	r.Reset(nil, nil)
	clear(r.attrs[:cap(r.attrs)])
	clear(r.stack[:cap(r.stack)])
	r.names, r.nameSz = nil, 0
	if cap(r.scratch) > maxKeptBuffer {
		r.scratch = nil
	}
	if cap(r.list) > maxKeptBuffer {
		r.list = nil
	}
}
