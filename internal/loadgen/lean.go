package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipamd/ipamd/client"
	"github.com/ipamd/ipamd/duplex/nmf"
	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// ClientKind is the client a Sessions run drives the server with.
type ClientKind string

// The clients.
const (
	// ClientLean: requests encoded once per run, the only per-session work
	// the MessageID written into the Initialize request and the checks a
	// real client needs (the reply's RelatesTo and Action, the callbacks'
	// Actions, the Complete's exception id, End). It costs the machine a
	// fraction of what the real client does, so the server, not the
	// client, is what a run measures.
	ClientLean ClientKind = "lean"
	// ClientReal: the client package a user runs (client over duplex/nmf):
	// every message encoded and decoded. For latency and correctness.
	ClientReal ClientKind = "real"
)

// leanClient is one run's pre-encoded session for one endpoint.
type leanClient struct {
	addr    string
	timeout time.Duration
	enc     soap.Encoding
	dialer  net.Dialer

	preamble []byte // the client preamble
	init     []byte // framed Initialize request, MessageID = placeholder
	idOff    int    // where in init the MessageID's encoded form is
	start    []byte // framed Start request

	// What the replies must contain.
	replyAction, startAction, completeAction []byte
	// exceptionMark precedes an IpamExceptionId in the Complete.
	exceptionMark []byte

	idPrefix [8]byte // random per run: MessageIDs do not repeat across runs
	seq      atomic.Uint64
	bufs     sync.Pool // *leanBuf

	mu       sync.Mutex
	outcomes map[string]error // one RemoteError per exception id seen
}

// leanBuf is a session's scratch space, reused across sessions.
type leanBuf struct {
	br      *bufio.Reader
	init    []byte
	payload []byte
	id      [36]byte
}

// errLean is a reply the lean client cannot accept.
var errLean = errors.New("loadgen: lean client")

// newLeanClient encodes, once, what a client of target sends.
func newLeanClient(target string, enc soap.Encoding, timeout time.Duration) (*leanClient, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("%w: target: %w", ErrConfig, err)
	}
	cs, err := newCannedSession(enc, target)
	if err != nil {
		return nil, err
	}
	cb := ipam.ProvisionCallbackActions(ipam.CallbackActionsService)
	l := &leanClient{
		addr: u.Host, timeout: timeout, enc: enc,
		dialer:   net.Dialer{Timeout: timeout},
		preamble: cs.exchanges[0], init: cs.exchanges[1], start: cs.exchanges[2],
		replyAction:    []byte(ipam.ActionInitializeAsyncProvisioningResponse),
		startAction:    []byte(cb.Start),
		completeAction: []byte(cb.Complete),
		exceptionMark:  []byte("IpamApiError"),
		outcomes:       map[string]error{},
	}
	// The MessageID's offset in the framed request: the payload's offset
	// plus the record type and its MB31 size.
	l.idOff = len(cs.exchanges[1]) - cs.reqLen + cs.reqIDOff
	if !bytes.Equal(l.init[l.idOff:l.idOff+cs.idLen], idForm(enc)) {
		return nil, errors.New("loadgen: lean client: MessageID not where the canned request has it")
	}
	if enc == soap.EncodingText {
		l.idOff += len("urn:uuid:") // only the GUID's 36 characters change
	}
	if _, err := rand.Read(l.idPrefix[:]); err != nil {
		return nil, err
	}
	l.bufs.New = func() any {
		return &leanBuf{br: bufio.NewReaderSize(nil, 4096), init: bytes.Clone(l.init)}
	}
	return l, nil
}

// nextID writes the next MessageID's encoded form into b.init and returns
// that form (what the reply's RelatesTo must carry).
func (l *leanClient) nextID(b *leanBuf) []byte {
	var g [16]byte
	copy(g[:8], l.idPrefix[:])
	binary.LittleEndian.PutUint64(g[8:], l.seq.Add(1))
	if l.enc != soap.EncodingText {
		copy(b.init[l.idOff:], g[:])
		return b.init[l.idOff : l.idOff+16]
	}
	// The text form of the same 16 bytes, in .NET's layout does not matter:
	// ipamd copies the string.
	id := b.id[:]
	hex.Encode(id[0:8], g[0:4])
	id[8] = '-'
	hex.Encode(id[9:13], g[4:6])
	id[13] = '-'
	hex.Encode(id[14:18], g[6:8])
	id[18] = '-'
	hex.Encode(id[19:23], g[8:10])
	id[23] = '-'
	hex.Encode(id[24:36], g[10:16])
	copy(b.init[l.idOff:], id)
	return b.init[l.idOff : l.idOff+36]
}

// session runs one whole provisioning session: the round trips of the real
// client (preamble → ack, Initialize → reply, Start → Notify…Start,
// Notify…Complete, End; then the client's End), each reply checked.
func (l *leanClient) session(ctx context.Context) (time.Duration, bool, error) {
	t0 := time.Now()
	if err := ctx.Err(); err != nil {
		return 0, false, err
	}
	nc, err := l.dialer.DialContext(ctx, "tcp", l.addr)
	if err != nil {
		return 0, false, fmt.Errorf("%w: %w", errConnect, err)
	}
	defer func() { _ = nc.Close() }()
	// One deadline for the whole session: every step is bounded by it.
	if err := nc.SetDeadline(t0.Add(l.timeout)); err != nil {
		return 0, false, err
	}
	b := l.bufs.Get().(*leanBuf)
	defer l.bufs.Put(b)
	b.br.Reset(nc)
	defer b.br.Reset(nil)

	if _, err := nc.Write(l.preamble); err != nil {
		return 0, false, err
	}
	if err := l.expect(b, byte(nmf.RecordPreambleAck)); err != nil {
		return 0, false, err
	}
	id := l.nextID(b)
	if _, err := nc.Write(b.init); err != nil {
		return 0, false, err
	}
	if err := l.message(b, l.replyAction, id); err != nil {
		return 0, false, err
	}
	if _, err := nc.Write(l.start); err != nil {
		return 0, false, err
	}
	if err := l.message(b, l.startAction, nil); err != nil {
		return 0, false, err
	}
	if err := l.message(b, l.completeAction, nil); err != nil {
		return 0, false, err
	}
	outcome := l.outcome(b.payload)
	if err := l.expect(b, byte(nmf.RecordEnd)); err != nil {
		return time.Since(t0), true, err
	}
	if _, err := nc.Write([]byte{byte(nmf.RecordEnd)}); err != nil {
		return time.Since(t0), true, err
	}
	return time.Since(t0), true, outcome
}

// expect reads one record that must be of type want (a framing fault is
// returned as what it says).
func (l *leanClient) expect(b *leanBuf, want byte) error {
	t, err := b.br.ReadByte()
	if err != nil {
		return err
	}
	switch t {
	case want:
		return nil
	case byte(nmf.RecordFault):
		return readFault(b.br)
	}
	return fmt.Errorf("%w: record 0x%02x, want 0x%02x: %w", errLean, t, want, client.ErrProtocol)
}

// message reads one Sized Envelope into b.payload and checks it carries
// action and, when given, the request's MessageID (as its RelatesTo).
func (l *leanClient) message(b *leanBuf, action, relatesTo []byte) error {
	if err := l.expect(b, byte(nmf.RecordSizedEnvelope)); err != nil {
		return err
	}
	n, err := nmf.ReadMB31(b.br)
	if err != nil {
		return err
	}
	if n > 1<<20 {
		return fmt.Errorf("%w: %d-byte message: %w", errLean, n, client.ErrProtocol)
	}
	if cap(b.payload) < n {
		b.payload = make([]byte, n)
	}
	b.payload = b.payload[:n]
	if _, err := io.ReadFull(b.br, b.payload); err != nil {
		return err
	}
	if !bytes.Contains(b.payload, action) {
		return fmt.Errorf("%w: a message without the action %s: %w", errLean, action, client.ErrProtocol)
	}
	if relatesTo != nil && !bytes.Contains(b.payload, relatesTo) {
		return fmt.Errorf("%w: a reply not related to the request: %w", errLean, client.ErrProtocol)
	}
	return nil
}

// outcome is nil for a Complete without an exception, else a RemoteError
// carrying the exception id (how the real client reports it).
func (l *leanClient) outcome(complete []byte) error {
	i := bytes.Index(complete, l.exceptionMark)
	if i < 0 {
		return nil
	}
	j := i + len(l.exceptionMark)
	for j < len(complete) && j-i < 128 && isIDByte(complete[j]) {
		j++
	}
	id := complete[i:j]
	l.mu.Lock()
	defer l.mu.Unlock()
	if e, ok := l.outcomes[string(id)]; ok {
		return e
	}
	if len(l.outcomes) >= 64 {
		return fmt.Errorf("%w: too many distinct exception ids: %w", errLean, client.ErrProtocol)
	}
	e := &client.RemoteError{Operation: "NotifyAsyncProvisionComplete", Exception: ipam.NewException(string(id), "%s", id)}
	l.outcomes[string(id)] = e
	return e
}

func isIDByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// readFault reads a Fault record's string after its type byte.
func readFault(br *bufio.Reader) error {
	n, err := nmf.ReadMB31(br)
	if err != nil {
		return err
	}
	if n > 256 {
		return fmt.Errorf("%w: %d-byte fault: %w", errLean, n, client.ErrProtocol)
	}
	s := make([]byte, n)
	if _, err := io.ReadFull(br, s); err != nil {
		return err
	}
	return &nmf.FaultError{URI: string(s)}
}
