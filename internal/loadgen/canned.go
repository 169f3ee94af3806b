package loadgen

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync"

	"github.com/ipamd/ipamd/client"
	"github.com/ipamd/ipamd/duplex/nmf"
	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/wsdl/ipam"
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
// and nothing else, with ipamd's own framer (nmf.Framer: the same preamble
// decoder, budgets and envelope reader), so the ceiling costs what ipamd's
// framing costs and the gap to it is the rest of ipamd. It answers every provisioning session with the bytes
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
	ln, err := listenCeiling()
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
	c.exchanges = [][]byte{nmf.AppendPreamble(nil, uri, nmf.EncodingFor(enc.ContentType())),
		nmf.AppendSizedEnvelope(nil, req), nmf.AppendSizedEnvelope(nil, start), {byte(nmf.RecordEnd)}}

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
			c.reply = nmf.AppendSizedEnvelope(nil, p)
			if c.repIDOff = bytes.Index(c.reply, form); c.repIDOff < 0 {
				return nil, errors.New("loadgen: canned reply: RelatesTo not found in the encoded reply")
			}
			continue
		}
		c.tail = nmf.AppendSizedEnvelope(c.tail, p)
	}
	c.tail = append(c.tail, byte(nmf.RecordEnd))
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
	// ipamd's budgets (nmf.Limits' defaults are the server's).
	fr := nmf.NewFramer(nc, nc, nmf.Limits{})
	p, err := fr.ReadPreamble(nil)
	if err != nil {
		return err
	}
	if want := nmf.EncodingFor(c.enc.ContentType()); p.Encoding != want {
		return fmt.Errorf("%w: encoding %v, serving %v", errCanned, p.Encoding, want)
	}
	if err := fr.WriteRecord(nmf.RecordPreambleAck); err != nil {
		return err
	}
	reply := make([]byte, len(c.reply))
	msgs := 0
	for {
		t, err := fr.ReadRecordType()
		if err != nil {
			return err
		}
		switch t {
		case nmf.RecordEnd:
			return nil
		case nmf.RecordSizedEnvelope:
		default:
			return fmt.Errorf("%w: record type %v", errCanned, t)
		}
		payload, err := fr.ReadEnvelope()
		if err != nil {
			return err
		}
		n := len(payload)
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
