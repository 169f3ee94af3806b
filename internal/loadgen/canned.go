package loadgen

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"sync"

	"github.com/ipamd/ipamd/client"
	"github.com/ipamd/ipamd/duplex/nmf"
	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// MC-NMF record types the minimal servers read and write.
const (
	recVersion       = 0x00
	recMode          = 0x01
	recVia           = 0x02
	recKnownEncoding = 0x03
	recSizedEnvelope = 0x06
	recEnd           = 0x07
	recPreambleAck   = 0x0B
	recPreambleEnd   = 0x0C
)

// placeholderID is the a:MessageID the canned replies are built with. Every
// byte of the GUID is 0xA1, so its binary form (the 16 bytes of a
// UniqueIdText record, in .NET's mixed-endian layout) is the same in any
// byte order and can be found in the encoded bytes without parsing them.
const placeholderID = "urn:uuid:a1a1a1a1-a1a1-a1a1-a1a1-a1a1a1a1a1a1"

// idForm is the placeholder's encoded form for enc.
func idForm(enc soap.Encoding) []byte {
	if enc == soap.EncodingText {
		return []byte(placeholderID)
	}
	return bytes.Repeat([]byte{0xA1}, 16)
}

// Canned is the canned-bytes ceiling: a server that parses MC-NMF framing
// and nothing else. It answers every provisioning session with the bytes
// ipamd would send on a provisioned store — InitializeAsyncProvisioning's
// reply, NotifyAsyncProvisionStart, NotifyAsyncProvisionComplete with
// IpamApiErrorIpamAlreadyProvisioned, End — encoded once at start-up with
// the soap codec. The only per-session work besides framing is copying the
// request's a:MessageID (at the offset learnt at start-up) into the reply's
// a:RelatesTo, which the client checks.
type Canned struct {
	ln  net.Listener
	uri string
	enc soap.Encoding
	cannedSession

	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

// cannedSession is one provisioning session's bytes for an endpoint URI,
// encoded once: what the canned server answers and what the echo ceiling
// writes.
type cannedSession struct {
	reqLen   int    // the Initialize request payload's length
	reqIDOff int    // where its MessageID is
	idLen    int    // the ID's encoded length
	reply    []byte // framed Initialize reply (RelatesTo = placeholder)
	repIDOff int    // where in reply the RelatesTo is
	tail     []byte // framed Notify…Start, Notify…Complete, End
	// exchanges are the client's writes of one session, for the echo
	// ceiling: preamble, Initialize, Start, End.
	exchanges [][]byte
}

// StartCanned listens on a loopback port and serves canned sessions at path
// (the target's endpoint path) in encoding enc until Close.
func StartCanned(enc soap.Encoding, path string) (*Canned, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("loadgen: canned server: %w", err)
	}
	c := &Canned{ln: ln, enc: enc, conns: map[net.Conn]struct{}{}}
	c.uri = (&url.URL{Scheme: "net.tcp", Host: ln.Addr().String(), Path: path}).String()
	cs, err := newCannedSession(enc, c.uri)
	if err != nil {
		_ = ln.Close()
		return nil, err
	}
	c.cannedSession = *cs
	c.wg.Go(c.accept)
	return c, nil
}

// URI is the endpoint to point clients at.
func (c *Canned) URI() string { return c.uri }

// newCannedSession encodes, once, the requests a client of uri sends (to
// learn where the Initialize's MessageID sits) and the replies.
func newCannedSession(enc soap.Encoding, uri string) (*cannedSession, error) {
	c := &cannedSession{}
	form := idForm(enc)
	c.idLen = len(form)
	cli := soap.NewCodec(enc, soap.Limits{})
	req, err := cli.Encode(nil, &soap.Header{Action: ipam.ActionInitializeAsyncProvisioning, MessageID: placeholderID,
		ReplyTo: soap.AddressAnonymous, To: uri},
		&ipam.InitializeAsyncProvisioning{Parameters: client.ProvisioningParameters(nil)})
	if err != nil {
		return nil, fmt.Errorf("loadgen: canned request: %w", err)
	}
	c.reqLen = len(req)
	if c.reqIDOff = bytes.Index(req, form); c.reqIDOff < 0 {
		return nil, errors.New("loadgen: canned request: MessageID not found in the encoded request")
	}
	start, err := cli.Encode(nil, &soap.Header{Action: ipam.ActionStartAsyncProvisioning, To: uri}, &ipam.StartAsyncProvisioning{})
	if err != nil {
		return nil, fmt.Errorf("loadgen: canned request: %w", err)
	}
	c.exchanges = [][]byte{appendPreamble(nil, uri, enc), frame(nil, req), frame(nil, start), {recEnd}}

	srv := soap.NewCodec(enc, soap.Limits{})
	cb := ipam.ProvisionCallbackActions(ipam.CallbackActionsService)
	msgs := []struct {
		h    soap.Header
		body ipam.BodyWriter
	}{
		{soap.Header{Action: ipam.ActionInitializeAsyncProvisioningResponse, RelatesTo: placeholderID, To: soap.AddressAnonymous},
			&ipam.InitializeAsyncProvisioningResponse{}},
		{soap.Header{Action: cb.Start, To: soap.AddressAnonymous}, &ipam.NotifyAsyncProvisionStart{}},
		{soap.Header{Action: cb.Complete, To: soap.AddressAnonymous}, &ipam.NotifyAsyncProvisionComplete{
			Exception: ipam.NewException(ipam.IpamApiErrorIpamAlreadyProvisioned, "the IPAM server is already provisioned")}},
	}
	for i, m := range msgs {
		p, err := srv.Encode(nil, &m.h, m.body)
		if err != nil {
			return nil, fmt.Errorf("loadgen: canned reply %s: %w", m.h.Action, err)
		}
		if i == 0 {
			c.reply = frame(nil, p)
			if c.repIDOff = bytes.Index(c.reply, form); c.repIDOff < 0 {
				return nil, errors.New("loadgen: canned reply: RelatesTo not found in the encoded reply")
			}
			continue
		}
		c.tail = frame(c.tail, p)
	}
	c.tail = append(c.tail, recEnd)
	return c, nil
}

func (c *Canned) accept() {
	for {
		nc, err := c.ln.Accept()
		if err != nil {
			return
		}
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			_ = nc.Close()
			return
		}
		c.conns[nc] = struct{}{}
		c.mu.Unlock()
		c.wg.Go(func() {
			_ = c.serve(nc) // a broken session is the client's to count
			c.mu.Lock()
			delete(c.conns, nc)
			c.mu.Unlock()
			_ = nc.Close()
		})
	}
}

// errCanned is a session the canned server cannot answer.
var errCanned = errors.New("loadgen: canned server")

// serve runs one session: preamble → ack; Initialize → reply with its
// MessageID; Start → Notify…Start, Notify…Complete, End; the client's End.
// Any other message (a Keepalive) is read and ignored.
func (c *Canned) serve(nc net.Conn) error {
	br := bufio.NewReaderSize(nc, 4096)
	if err := readPreamble(br, c.enc); err != nil {
		return err
	}
	if _, err := nc.Write([]byte{recPreambleAck}); err != nil {
		return err
	}
	reply := make([]byte, len(c.reply))
	var payload []byte
	msgs := 0
	for {
		t, err := br.ReadByte()
		if err != nil {
			return err
		}
		switch t {
		case recEnd:
			return nil
		case recSizedEnvelope:
		default:
			return fmt.Errorf("%w: record type 0x%02x", errCanned, t)
		}
		n, err := readMB31(br)
		if err != nil {
			return err
		}
		if n > 1<<20 {
			return fmt.Errorf("%w: %d-byte message", errCanned, n)
		}
		if cap(payload) < n {
			payload = make([]byte, n)
		}
		payload = payload[:n]
		if _, err := io.ReadFull(br, payload); err != nil {
			return err
		}
		msgs++
		switch msgs {
		case 1:
			if n != c.reqLen {
				return fmt.Errorf("%w: Initialize request of %d bytes, built for %d", errCanned, n, c.reqLen)
			}
			copy(reply, c.reply)
			copy(reply[c.repIDOff:c.repIDOff+c.idLen], payload[c.reqIDOff:c.reqIDOff+c.idLen])
			if _, err := nc.Write(reply); err != nil {
				return err
			}
		case 2:
			if _, err := nc.Write(c.tail); err != nil {
				return err
			}
		}
	}
}

// Close stops the server and waits for its connections to end.
func (c *Canned) Close() error {
	c.mu.Lock()
	c.closed = true
	for nc := range c.conns {
		_ = nc.Close()
	}
	c.mu.Unlock()
	err := c.ln.Close()
	c.wg.Wait()
	return err
}

// readPreamble reads a duplex preamble without upgrades ([MC-NMF] 2.2.3).
func readPreamble(br *bufio.Reader, enc soap.Encoding) error {
	var hdr [3]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil {
		return err
	}
	if hdr != [3]byte{recVersion, 1, 0} {
		return fmt.Errorf("%w: version record % x", errCanned, hdr)
	}
	if b, err := br.ReadByte(); err != nil || b != recMode {
		return fmt.Errorf("%w: mode record", errCanned)
	}
	if _, err := br.ReadByte(); err != nil {
		return err
	}
	if b, err := br.ReadByte(); err != nil || b != recVia {
		return fmt.Errorf("%w: via record", errCanned)
	}
	n, err := readMB31(br)
	if err != nil {
		return err
	}
	if n > 2048 {
		return fmt.Errorf("%w: via of %d bytes", errCanned, n)
	}
	if _, err := br.Discard(n); err != nil {
		return err
	}
	var e [3]byte
	if _, err := io.ReadFull(br, e[:]); err != nil {
		return err
	}
	if e != [3]byte{recKnownEncoding, byte(nmf.EncodingFor(enc.ContentType())), recPreambleEnd} {
		return fmt.Errorf("%w: encoding/preamble end % x", errCanned, e)
	}
	return nil
}

// appendPreamble is the client preamble nmf.Dialer writes.
func appendPreamble(b []byte, via string, enc soap.Encoding) []byte {
	b = append(b, recVersion, 1, 0, recMode, 2, recVia)
	b = appendMB31(b, len(via))
	b = append(b, via...)
	return append(b, recKnownEncoding, byte(nmf.EncodingFor(enc.ContentType())), recPreambleEnd)
}

// frame appends p as a Sized Envelope record.
func frame(b, p []byte) []byte {
	b = append(b, recSizedEnvelope)
	b = appendMB31(b, len(p))
	return append(b, p...)
}

func appendMB31(b []byte, v int) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func readMB31(br *bufio.Reader) (int, error) {
	v := 0
	for i := range 5 {
		b, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		v |= int(b&0x7F) << (7 * i)
		if b&0x80 == 0 {
			return v, nil
		}
	}
	return 0, fmt.Errorf("%w: MB31 longer than 5 bytes", errCanned)
}
