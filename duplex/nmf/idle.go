package nmf

import (
	"bufio"
	"sync"
)

// A held session — initialized, waiting for its client's next message —
// should own as little as possible (issue 16: 15,000 held sessions). Its
// buffers are only needed while bytes are in flight, so they are lent from
// pools: the connection's read buffer and the session's payload buffer go
// back while it waits for the next record, the record assembly buffer once
// a write is out. A busy connection takes and returns them around each
// record, a few tens of nanoseconds against a system call.

// readerPool lends the per-connection read buffers (readBufferSize).
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
	// payloadPool lends Session.buf: payloads up to growChunk.
	payloadPool = slicePool{max: growChunk}
	// recordPool lends conn.wbuf: a reply, or the records of one Cork.
	recordPool = slicePool{max: 4 * growChunk}
)

// awaitRecord waits until the next record's first bytes have arrived,
// holding neither the read buffer nor the payload buffer while it waits.
// It does so only when nothing is buffered and the connection reads its
// raw socket (an upgraded stream keeps its buffers: it may hold decrypted
// bytes of its own). The read deadline beginIO set applies to the wait.
func (s *Session) awaitRecord() error {
	c := s.c
	if c.br.Buffered() > 0 || c.nc != c.raw {
		return nil
	}
	wait := c.rawWaiter()
	if wait == nil {
		return nil
	}
	payloadPool.put(&s.bufBox, s.buf)
	s.buf = nil
	c.br.Reset(nil)
	readerPool.Put(c.br)
	c.br = nil
	err := wait()
	c.br = readerPool.Get().(*bufio.Reader)
	c.br.Reset(c.raw)
	return err
}

// takePayloadBuf gives the session a pooled payload buffer when it has
// none (after awaitRecord lent it out).
func (s *Session) takePayloadBuf() {
	if s.buf == nil {
		s.buf = payloadPool.get(&s.bufBox)
	}
}
