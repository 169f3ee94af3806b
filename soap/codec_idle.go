package soap

import (
	"sync"

	"github.com/ipamd/ipamd/soap/nbfx"
	"github.com/ipamd/ipamd/soap/textxml"
)

// A held session — initialized, waiting for its client's next message —
// should own as little as possible (issue 16, docs/performance.md "Held
// sessions"). What a binary connection's Codec must keep between messages
// is its NBFSE string table (the client's later messages refer to its
// strings), and a text connection's nothing; the readers and writers, with
// the buffers they grow, are only needed while a message is decoded,
// handled or encoded. So the reader comes from a pool at Decode and goes
// back at Idle, which the transport calls before it waits for the next
// message, and the writers are taken for each Encode alone.

var (
	nbfxReaders = sync.Pool{New: func() any { return nbfx.NewReader(nil, nil, nbfx.ReaderOptions{}) }}
	textReaders = sync.Pool{New: func() any { return textxml.NewReader(nil, textxml.Options{}) }}
	nbfxWriters = sync.Pool{New: func() any { return nbfx.NewWriter(nil) }}
	textWriters = sync.Pool{New: func() any { return textxml.NewWriter(nil) }}
)

// binaryReader returns the codec's NBFX reader, taking one from the pool
// when the codec has none (a new connection, or one back from Idle).
func (c *Codec) binaryReader() *nbfx.Reader {
	if c.br == nil {
		c.br = nbfxReaders.Get().(*nbfx.Reader)
		c.br.SetOptions(nbfx.ReaderOptions{
			MaxDepth: c.lim.MaxDepth, MaxAttributes: c.lim.MaxAttributes, MaxStringBytes: c.lim.MaxStringBytes,
			MaxArrayLength: c.lim.MaxArrayLength, MaxBytesPerRead: c.lim.MaxBytesPerRead, MaxExpansion: c.lim.MaxExpansion,
		})
	}
	return c.br
}

// textReader returns the codec's text reader, taking one from the pool when
// the codec has none.
func (c *Codec) textReader() *textxml.Reader {
	if c.tr == nil {
		c.tr = textReaders.Get().(*textxml.Reader)
		c.tr.SetOptions(textxml.Options{
			MaxDepth: c.lim.MaxDepth, MaxAttributes: c.lim.MaxAttributes, MaxStringBytes: c.lim.MaxStringBytes,
			MaxBytesPerRead: c.lim.MaxBytesPerRead, MaxBytes: c.lim.MaxMessageBytes,
		})
	}
	return c.tr
}

// Idle tells the codec that the connection waits for its next message:
// the last Envelope is done with (its body may not be read any more), and
// the reader goes back to its pool. The session string table stays.
// Call it on the decoding goroutine, or once that has finished.
func (c *Codec) Idle() {
	c.gen++ // a stale Envelope's body reads fail (bodyReader.Next)
	if c.br != nil {
		c.br.Forget()
		nbfxReaders.Put(c.br)
		c.br = nil
	}
	if c.tr != nil {
		c.tr.Forget()
		textReaders.Put(c.tr)
		c.tr = nil
	}
}

// binaryWriter takes an NBFX writer for one Encode; putBinaryWriter gives
// it back.
func binaryWriter() *nbfx.Writer { return nbfxWriters.Get().(*nbfx.Writer) }

func putBinaryWriter(w *nbfx.Writer) {
	w.Reset(nil)
	w.SetSession(nil) // a connection's table never reaches another's message
	nbfxWriters.Put(w)
}

// textWriter takes a text writer for one Encode; putTextWriter gives it
// back.
func textWriter() *textxml.Writer { return textWriters.Get().(*textxml.Writer) }

func putTextWriter(w *textxml.Writer) {
	w.Reset(nil)
	textWriters.Put(w)
}
