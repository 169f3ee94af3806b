package nmf

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/url"
	"unicode/utf8"
)

// The one MC-NMF record coder. Server, client, the load generator's canned
// server and the tests all read and write records through it, so a change
// to the wire format or to a byte budget is made once and every side
// measures and tests the same code (modelled on x/net/http2's Framer).

// RecordType is the first byte of an [MC-NMF] 2.2.3 record.
type RecordType byte

// Record types, for packages that frame by hand (the load generator, tests
// of other packages). Inside this package the untyped rec* constants are
// the same values.
const (
	RecordVersion            RecordType = recVersion
	RecordMode               RecordType = recMode
	RecordVia                RecordType = recVia
	RecordKnownEncoding      RecordType = recKnownEncoding
	RecordExtensibleEncoding RecordType = recExtensibleEncoding
	RecordUnsizedEnvelope    RecordType = recUnsizedEnvelope
	RecordSizedEnvelope      RecordType = recSizedEnvelope
	RecordEnd                RecordType = recEnd
	RecordFault              RecordType = recFault
	RecordUpgradeRequest     RecordType = recUpgradeRequest
	RecordUpgradeResponse    RecordType = recUpgradeResponse
	RecordPreambleAck        RecordType = recPreambleAck
	RecordPreambleEnd        RecordType = recPreambleEnd
)

var recordNames = [...]string{
	"Version", "Mode", "Via", "KnownEncoding", "ExtensibleEncoding", "UnsizedEnvelope",
	"SizedEnvelope", "End", "Fault", "UpgradeRequest", "UpgradeResponse", "PreambleAck", "PreambleEnd",
}

func (t RecordType) String() string {
	if int(t) < len(recordNames) {
		return recordNames[t]
	}
	return fmt.Sprintf("record(0x%02x)", byte(t))
}

// MaxMB31 is the largest value a MultiByteInt31 can carry.
const MaxMB31 = maxMB31

// AppendMB31 appends v (0 <= v <= MaxMB31) as a MultiByteInt31: 7 bits per
// byte, least significant group first, the high bit marking "more"
// ([MC-NMF] 2.2.2; [MC-NBFX] 2.1.2 defines the same encoding).
func AppendMB31(b []byte, v int) []byte {
	u := uint32(v)
	for u >= 0x80 {
		b = append(b, byte(u)|0x80)
		u >>= 7
	}
	return append(b, byte(u))
}

// ReadMB31 reads one MultiByteInt31. Like .NET it accepts non-minimal
// encodings and rejects a 5th byte with any of bits 0xF8 set
// (ErrSizeTooLarge). Read errors are returned as they are.
func ReadMB31(r io.ByteReader) (int, error) {
	var v uint32
	for i := 0; i < 5; i++ {
		b, err := r.ReadByte()
		if err != nil {
			return 0, err
		}
		if i == 4 && b&0xF8 != 0 {
			return 0, ErrSizeTooLarge
		}
		v |= uint32(b&0x7F) << (7 * i)
		if b&0x80 == 0 {
			break
		}
	}
	return int(v), nil
}

// AppendPreambleStart appends the records a duplex client preamble
// ([MC-NMF] 2.2.3) starts with: Version 1.0, Mode Duplex, Via, Known
// Encoding. Upgrade Requests and the Preamble End follow.
func AppendPreambleStart(b []byte, via string, enc Encoding) []byte {
	b = append(b, recVersion, 1, 0, recMode, byte(ModeDuplex), recVia)
	b = AppendMB31(b, len(via))
	b = append(b, via...)
	return append(b, recKnownEncoding, byte(enc))
}

// AppendPreamble appends a whole duplex client preamble without upgrades:
// what Dialer.Dial writes for SecurityMode.None.
func AppendPreamble(b []byte, via string, enc Encoding) []byte {
	return append(AppendPreambleStart(b, via, enc), recPreambleEnd)
}

// AppendUpgradeRequest appends an Upgrade Request record for kind (e.g.
// "application/negotiate").
func AppendUpgradeRequest(b []byte, kind string) []byte {
	b = append(b, recUpgradeRequest)
	b = AppendMB31(b, len(kind))
	return append(b, kind...)
}

// AppendSizedEnvelope appends payload (at most MaxMB31 bytes) as one Sized
// Envelope record.
func AppendSizedEnvelope(b, payload []byte) []byte {
	return append(appendEnvelopeHeader(b, len(payload)), payload...)
}

// appendEnvelopeHeader appends a Sized Envelope's type and size, for a
// payload written separately.
func appendEnvelopeHeader(b []byte, n int) []byte {
	return AppendMB31(append(b, recSizedEnvelope), n)
}

// AppendFault appends a Fault record followed by an End record: the .NET
// client's decoder accepts End after a fault, and it is the politest way to
// say "no more bytes from us".
func AppendFault(b []byte, uri string) []byte {
	b = append(b, recFault)
	b = AppendMB31(b, len(uri))
	b = append(b, uri...)
	return append(b, recEnd)
}

// Limits are the byte budgets a Framer applies to what it reads. Each is
// checked against a record's claimed length before any byte of it is read
// or any buffer is sized for it. Zero values select the Server's defaults.
type Limits struct {
	// MaxMessageSize bounds a Sized Envelope's payload (default 65536).
	MaxMessageSize int
	// MaxViaLength bounds the Via of a preamble (default 2048).
	MaxViaLength int
	// MaxContentTypeLength bounds an Extensible Encoding's content type
	// and an Upgrade Request's type (default 256).
	MaxContentTypeLength int
}

func (l Limits) withDefaults() Limits {
	if l.MaxMessageSize <= 0 {
		l.MaxMessageSize = 65536
	}
	l.MaxMessageSize = min(l.MaxMessageSize, maxMB31)
	if l.MaxViaLength <= 0 {
		l.MaxViaLength = 2048
	}
	if l.MaxContentTypeLength <= 0 {
		l.MaxContentTypeLength = 256
	}
	return l
}

// DefaultReadBufferSize is the Framer's read buffer unless told otherwise.
const DefaultReadBufferSize = 4 << 10

// Framer reads and writes MC-NMF records on one stream. Reads belong to
// one goroutine; the Write methods are not synchronised either (sessions
// serialise their writes themselves and use the Append functions). It sets
// no deadlines: the caller bounds each blocking read and write.
type Framer struct {
	br     *bufio.Reader
	w      io.Writer
	limits Limits
	buf    []byte  // envelope payloads; grows as bytes arrive (readGrowing)
	bufBox *[]byte // payloadPool's box for buf (idle.go)
	wbuf   []byte  // the Write methods' record buffer
}

// NewFramer returns a Framer reading from r and writing to w with the
// given budgets and a read buffer of DefaultReadBufferSize.
func NewFramer(w io.Writer, r io.Reader, l Limits) *Framer {
	return NewFramerSize(w, r, DefaultReadBufferSize, l)
}

// NewFramerSize is NewFramer with a read buffer of size bytes: it is held
// for the stream's life, so it is most of what an idle session costs.
func NewFramerSize(w io.Writer, r io.Reader, size int, l Limits) *Framer {
	return &Framer{br: bufio.NewReaderSize(r, size), w: w, limits: l.withDefaults()}
}

// Reset points the Framer at a new stream (an upgraded one, or the raw
// socket again), discarding buffered input. Budgets and buffers stay.
func (f *Framer) Reset(w io.Writer, r io.Reader) {
	f.w = w
	f.br.Reset(r)
}

// Limits returns the budgets in force (defaults applied).
func (f *Framer) Limits() Limits { return f.limits }

// Buffered is the number of bytes read from the stream and not yet
// consumed: before a stream upgrade it must be zero, or those bytes would
// be lost to the upgraded stream.
func (f *Framer) Buffered() int { return f.br.Buffered() }

// ReleaseBuffer gives the envelope buffer back (a session ended; an idle
// connection should hold nothing sized by its last message): to the pool
// the next envelope's buffer comes from (idle.go), unless it grew large.
func (f *Framer) ReleaseBuffer() {
	payloadPool.put(&f.bufBox, f.buf)
	f.buf = nil
}

// ReadRecordType reads the next record's type byte.
func (f *Framer) ReadRecordType() (RecordType, error) {
	b, err := f.br.ReadByte()
	return RecordType(b), err
}

// PeekRecordType returns the next record's type without consuming it.
func (f *Framer) PeekRecordType() (RecordType, error) {
	b, err := f.br.Peek(1)
	if err != nil {
		return 0, err
	}
	return RecordType(b[0]), nil
}

// readEnvelopeSize reads a Sized Envelope's size and checks it against
// MaxMessageSize. A size above 31 bits or above the budget wraps
// ErrMessageTooLarge; any other error is the stream's.
func (f *Framer) readEnvelopeSize() (int, error) {
	n, err := ReadMB31(f.br)
	if errors.Is(err, ErrSizeTooLarge) {
		return 0, fmt.Errorf("envelope size: %w: %w", err, ErrMessageTooLarge)
	}
	if err != nil {
		return 0, err
	}
	if limit := f.limits.MaxMessageSize; n > limit {
		return 0, fmt.Errorf("envelope of %d bytes exceeds MaxMessageSize %d: %w", n, limit, ErrMessageTooLarge)
	}
	return n, nil
}

// ReadEnvelope reads the rest of a Sized Envelope record whose type was
// just read, and returns its payload. The slice is valid until the next
// ReadEnvelope: the buffer is reused, and it grows as the bytes arrive,
// never to the claimed size at once. A size above MaxMessageSize (or above
// 31 bits) wraps ErrMessageTooLarge and nothing of the payload is read; any
// other error leaves the stream mid-record.
func (f *Framer) ReadEnvelope() ([]byte, error) {
	n, err := f.readEnvelopeSize()
	if err != nil {
		return nil, err
	}
	if f.buf == nil {
		f.buf = payloadPool.get(&f.bufBox) // lent or released (idle.go), or nil
	}
	return readGrowing(f.br, &f.buf, n)
}

// DiscardEnvelope skips the rest of a Sized Envelope record whose type was
// just read (within MaxMessageSize, as ReadEnvelope) without buffering it.
func (f *Framer) DiscardEnvelope() error {
	n, err := f.readEnvelopeSize()
	if err != nil {
		return err
	}
	_, err = f.br.Discard(n)
	return err
}

// growChunk is the most the payload buffer grows by before the bytes that
// fill it have arrived: the size prefix is the peer's claim, not the
// peer's cost, so it never sizes an allocation by itself (issue 12: 20
// idle connections announcing 16 MiB each held 337 MB). A message that
// really arrives grows the buffer by doubling, so a large one still costs
// O(log n) copies; the buffer is kept for the next message.
const growChunk = 4 << 10

// readGrowing reads n bytes from r into *buf, which it grows as the bytes
// arrive (growChunk, then doubling) rather than to n at once; *buf keeps
// the storage for the next record.
func readGrowing(r *bufio.Reader, buf *[]byte, n int) ([]byte, error) {
	if cap(*buf) < n && n <= growChunk {
		// Small claims are cheap whatever arrives: sized at once, as tight
		// as before so an idle session holds little (readBufferSize).
		*buf = make([]byte, max(n, min(2*cap(*buf), growChunk)))
	}
	if cap(*buf) >= n {
		b := (*buf)[:n]
		_, err := io.ReadFull(r, b)
		return b, err
	}
	b := (*buf)[:0]
	for len(b) < n {
		if len(b) == cap(b) {
			grown := make([]byte, len(b), min(n, max(2*cap(b), growChunk)))
			copy(grown, b)
			b = grown
			*buf = grown
		}
		m, err := io.ReadFull(r, b[len(b):min(n, cap(b))])
		b = b[:len(b)+m]
		if err != nil {
			return nil, err
		}
	}
	return b, nil
}

// ReadFault reads the rest of a Fault record whose type was just read: the
// fault URI, as .NET's FaultStringDecoder reads it (1..256 bytes of UTF-8).
// Malformed strings wrap ErrProtocol; a stream ending inside the record is
// io.ErrUnexpectedEOF.
func (f *Framer) ReadFault() (string, error) {
	n, err := ReadMB31(f.br)
	if err != nil {
		if errors.Is(err, ErrSizeTooLarge) {
			return "", fmt.Errorf("fault string length: %w: %w", err, ErrProtocol)
		}
		return "", noEOF(err)
	}
	if n < 1 || n > maxFaultLength {
		return "", fmt.Errorf("fault string of %d bytes outside 1..%d: %w", n, maxFaultLength, ErrProtocol)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(f.br, b); err != nil {
		return "", noEOF(err)
	}
	if !utf8.Valid(b) {
		return "", fmt.Errorf("fault string is not UTF-8: %w", ErrProtocol)
	}
	return string(b), nil
}

// noEOF turns a clean EOF inside a record into io.ErrUnexpectedEOF.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// drain reads and discards up to n bytes (after a fault, so the close does
// not turn into a reset that destroys the fault before the peer reads it).
func (f *Framer) drain(n int64) {
	_, _ = io.CopyN(io.Discard, f.br, n)
}

// ReadPreamble decodes a client preamble, from the Version record up to and
// including Preamble End, within the Via and content type budgets. For
// each Upgrade Request, upgrade is called with its type once the record is
// read; it performs the upgrade (and Resets the Framer onto the upgraded
// stream) or returns the error to fail with. A nil upgrade refuses every
// upgrade with FaultUpgradeInvalid. The Framer sets no deadline: the caller
// bounds the whole preamble.
//
// A *FaultError result must be answered with that fault; any other error
// means the stream is gone or timed out. Which fault for which unexpected
// byte (CoreWCF's FramingDecoder raises a bare "record type mismatch"
// ProtocolException without a fault string, so we send the fault its
// decoder associates with that stage of the preamble):
//
//	expected Version (00), got x / major != 1      → UnsupportedVersion
//	expected Mode (01), got x / mode != Duplex     → UnsupportedMode
//	expected Via (02), got x / Via empty, not UTF-8,
//	  not an absolute URI                          → EndpointNotFound
//	Via length > MaxViaLength or bad MB31          → ViaTooLong
//	expected 03/04, got x / encoding byte > 0x0C /
//	  content type empty or not UTF-8              → ContentTypeInvalid
//	content type (or upgrade type) too long        → ContentTypeTooLong
//	expected 09/0C, got x / upgrade refused        → UpgradeInvalid
func (f *Framer) ReadPreamble(upgrade func(kind string) error) (p *Preamble, err error) {
	br := f.br
	p = &Preamble{}
	b, err := br.ReadByte()
	if err != nil {
		return nil, err
	}
	if b != recVersion {
		return nil, newFault(FaultUnsupportedVersion, "expected Version record, got record type 0x%02x", b)
	}
	if p.Major, err = br.ReadByte(); err != nil {
		return nil, err
	}
	if p.Minor, err = br.ReadByte(); err != nil {
		return nil, err
	}
	if p.Major != 1 {
		return nil, newFault(FaultUnsupportedVersion, "framing version %d.%d, want 1.x", p.Major, p.Minor)
	}

	if b, err = br.ReadByte(); err != nil {
		return nil, err
	}
	if b != recMode {
		return nil, newFault(FaultUnsupportedMode, "expected Mode record, got record type 0x%02x", b)
	}
	if b, err = br.ReadByte(); err != nil {
		return nil, err
	}
	p.Mode = Mode(b)
	if p.Mode != ModeDuplex {
		return nil, newFault(FaultUnsupportedMode, "framing mode %v not supported, only duplex", p.Mode)
	}

	if b, err = br.ReadByte(); err != nil {
		return nil, err
	}
	if b != recVia {
		return nil, newFault(FaultEndpointNotFound, "expected Via record, got record type 0x%02x", b)
	}
	if p.Via, err = f.readString("via", f.limits.MaxViaLength, FaultViaTooLong, FaultEndpointNotFound); err != nil {
		return nil, err
	}
	u, perr := url.Parse(p.Via)
	if perr != nil || !u.IsAbs() {
		return nil, newFault(FaultEndpointNotFound, "via %q is not an absolute URI", p.Via)
	}
	p.ViaPath = u.Path

	if b, err = br.ReadByte(); err != nil {
		return nil, err
	}
	switch b {
	case recKnownEncoding:
		if b, err = br.ReadByte(); err != nil {
			return nil, err
		}
		p.Encoding = Encoding(b)
		if p.Encoding.ContentType() == "" {
			return nil, newFault(FaultContentTypeInvalid, "unknown encoding 0x%02x", b)
		}
	case recExtensibleEncoding:
		p.ContentType, err = f.readString("content type", f.limits.MaxContentTypeLength, FaultContentTypeTooLong, FaultContentTypeInvalid)
		if err != nil {
			return nil, err
		}
		p.Encoding = encodingForContentType(p.ContentType)
	default:
		return nil, newFault(FaultContentTypeInvalid, "expected Known or Extensible Encoding record, got record type 0x%02x", b)
	}

	for {
		// br is the same reader after an upgrade: Reset works in place.
		if b, err = br.ReadByte(); err != nil {
			return nil, err
		}
		switch b {
		case recPreambleEnd:
			return p, nil
		case recUpgradeRequest:
			// CoreWCF decodes the upgrade type with the content type decoder,
			// so it shares that quota and fault.
			kind, err := f.readString("upgrade type", f.limits.MaxContentTypeLength, FaultContentTypeTooLong, FaultUpgradeInvalid)
			if err != nil {
				return nil, err
			}
			p.Upgrades = append(p.Upgrades, kind)
			if upgrade == nil {
				return nil, newFault(FaultUpgradeInvalid, "upgrade %q not supported", kind)
			}
			if err := upgrade(kind); err != nil {
				return nil, err
			}
		default:
			return nil, newFault(FaultUpgradeInvalid, "expected Upgrade Request or Preamble End record, got record type 0x%02x", b)
		}
	}
}

// readString reads an MB31-length-prefixed UTF-8 string of 1..max bytes;
// the length is checked before the string is allocated.
func (f *Framer) readString(what string, max int, faultTooLong, faultInvalid string) (string, error) {
	n, err := ReadMB31(f.br)
	if errors.Is(err, ErrSizeTooLarge) {
		return "", &FaultError{URI: faultTooLong, Err: fmt.Errorf("%s length: %w", what, err)}
	}
	if err != nil {
		return "", err
	}
	if n == 0 {
		return "", newFault(faultInvalid, "empty %s", what)
	}
	if n > max {
		return "", newFault(faultTooLong, "%s length %d exceeds %d", what, n, max)
	}
	if n <= f.br.Size() {
		// Read in place: the string is the only allocation.
		buf, err := f.br.Peek(n)
		if err != nil {
			return "", noEOFAfter(err, len(buf))
		}
		valid := utf8.Valid(buf)
		str := ""
		if valid {
			str = string(buf)
		}
		_, _ = f.br.Discard(n) // Peek had the n bytes
		if !valid {
			return "", newFault(faultInvalid, "%s is not valid UTF-8", what)
		}
		return str, nil
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(f.br, buf); err != nil {
		return "", err
	}
	if !utf8.Valid(buf) {
		return "", newFault(faultInvalid, "%s is not valid UTF-8", what)
	}
	return string(buf), nil
}

// noEOFAfter is io.ReadFull's error for a short read of m bytes.
func noEOFAfter(err error, m int) error {
	if err == io.EOF && m > 0 {
		return io.ErrUnexpectedEOF
	}
	return err
}

// write writes b in one Write.
func (f *Framer) write(b []byte) error {
	_, err := f.w.Write(b)
	return err
}

// WriteRecord writes a record that is only its type: End, Preamble End,
// Preamble Ack, Upgrade Response.
func (f *Framer) WriteRecord(t RecordType) error {
	f.wbuf = append(f.wbuf[:0], byte(t))
	return f.write(f.wbuf)
}

// WritePreamble writes a duplex client preamble without upgrades.
func (f *Framer) WritePreamble(via string, enc Encoding) error {
	f.wbuf = AppendPreamble(f.wbuf[:0], via, enc)
	return f.write(f.wbuf)
}

// WriteSizedEnvelope writes payload as one Sized Envelope record, in one
// Write.
func (f *Framer) WriteSizedEnvelope(payload []byte) error {
	if len(payload) > maxMB31 {
		return fmt.Errorf("nmf: payload of %d bytes too large for a record", len(payload))
	}
	f.wbuf = AppendSizedEnvelope(f.wbuf[:0], payload)
	err := f.write(f.wbuf)
	if cap(f.wbuf) > 2*copyLimit {
		f.wbuf = nil
	}
	return err
}

// WriteFault writes a Fault record with uri followed by End.
func (f *Framer) WriteFault(uri string) error {
	if err := validFaultURI(uri); err != nil {
		return err
	}
	f.wbuf = AppendFault(f.wbuf[:0], uri)
	return f.write(f.wbuf)
}
