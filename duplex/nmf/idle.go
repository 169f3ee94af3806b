package nmf

import (
	"bufio"
	"errors"
	"io"
	"sync"
)

// A held session — initialized, waiting for its client's next message —
// should own as little as possible (issue 16: 15,000 held sessions). Its
// buffers are only needed while bytes are in flight, so the server's
// connections borrow them from pools: the Framer's read buffer and its
// envelope buffer go back while the connection waits for the next record
// on its raw socket (awaitRecord), the record assembly buffer once a
// write is out. A busy connection takes and returns them around each
// record, a few tens of nanoseconds against a system call. Upgraded
// streams (TLS, Negotiate) keep their buffers: they may hold decrypted
// bytes of their own, so readability of the socket says nothing.

// readerPool lends the server connections' read buffers (readBufferSize).
var readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, readBufferSize) }}

// slicePool lends byte slices' storage without allocating per loan: a
// holder keeps an empty box (*[]byte) while it has storage, and gives it
// back together with the storage; storage above max is dropped, not pooled.
type slicePool struct {
	p   sync.Pool
	max int
}

// get returns pooled storage (len 0) or nil, and keeps its box in *box.
func (sp *slicePool) get(box **[]byte) []byte {
	v, _ := sp.p.Get().(*[]byte)
	if v == nil {
		return nil
	}
	b := *v
	*v = nil
	*box = v
	return b[:0]
}

// put returns b's storage to the pool in *box (a new box if there is none).
func (sp *slicePool) put(box **[]byte, b []byte) {
	if cap(b) == 0 || cap(b) > sp.max {
		return
	}
	v := *box
	if v == nil {
		v = new([]byte)
	}
	*v = b[:0]
	*box = nil
	sp.p.Put(v)
}

var (
	// payloadPool lends Framer.buf: envelope payloads up to growChunk.
	payloadPool = slicePool{max: growChunk}
	// recordPool lends conn.wbuf: a reply, or the records of one Cork.
	recordPool = slicePool{max: 2 * copyLimit}
)

// newPooledFramer is NewFramerSize(w, r, readBufferSize, l) with a read
// buffer from readerPool, so a connection's buffers can be lent (lend).
func newPooledFramer(w io.Writer, r io.Reader, l Limits) *Framer {
	br := readerPool.Get().(*bufio.Reader)
	br.Reset(r)
	return &Framer{br: br, w: w, limits: l.withDefaults()}
}

// lend gives the read buffer and the envelope buffer back to their pools:
// while the connection waits (nothing may be buffered; the Framer is not
// read until take), and at its end (serveConn; the last session's buffers
// would otherwise be garbage per connection). A Framer already lent keeps
// nothing to give.
func (f *Framer) lend() {
	f.ReleaseBuffer()
	if f.br != nil {
		f.br.Reset(nil)
		readerPool.Put(f.br)
		f.br = nil
	}
}

// take gives a lent Framer a read buffer again, reading r.
func (f *Framer) take(r io.Reader) {
	f.br = readerPool.Get().(*bufio.Reader)
	f.br.Reset(r)
}

// awaitRecord waits until the next record's first bytes have arrived,
// holding neither the read buffer nor the envelope buffer while it waits.
// It does so only when nothing is buffered and the connection reads its
// raw socket; otherwise it returns at once and the read that follows
// waits. The read deadline (and its interruptions: contexts, Drain) the
// caller set applies to the wait. Serving goroutine only.
func (c *conn) awaitRecord() error {
	if c.ready {
		c.ready = false // AwaitMessage has waited: no second wait
		return nil
	}
	if c.fr.Buffered() > 0 || c.nc != c.raw || c.upgraded {
		return nil // the Framer reads an upgraded stream, not c.rd
	}
	return c.awaitRaw()
}

// rawReader is what a connection's Framer reads on the raw socket: the
// socket itself, except while tryFill asks for a read that does not wait.
// What that read found other than bytes — the client's EOF, an error — is
// the next read's answer, without a second system call (issue 16: the EOF
// after a client's End was read twice, by a peek and by the read).
type rawReader struct {
	c       *conn
	try     bool
	pending error
}

// errWouldWait: a read that does not wait found nothing to read.
var errWouldWait = errors.New("nmf: nothing to read yet")

func (r *rawReader) Read(p []byte) (int, error) {
	if err := r.pending; err != nil {
		r.pending = nil
		return 0, err
	}
	if r.try {
		return r.c.readNow(p)
	}
	return r.c.raw.Read(p)
}

// tryFill reads what the raw socket already holds into the Framer's read
// buffer without waiting (one system call, where a peek and then the read
// were two; awaitRaw calls it with the socket's descriptor), and reports whether the Framer has something to read now:
// bytes, or an EOF or error kept for its next read. Nothing buffered.
func (c *conn) tryFill() bool {
	c.rd.try = true
	_, err := c.fr.br.Peek(1)
	c.rd.try = false
	switch {
	case err == nil:
		return true
	case errors.Is(err, errWouldWait):
		return false
	}
	c.rd.pending = err
	return true
}
