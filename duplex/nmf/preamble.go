package nmf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"time"
	"unicode/utf8"

	"github.com/ipamd/ipamd/duplex/security"
)

// Preamble is the decoded client preamble of one framing session.
type Preamble struct {
	Major, Minor byte
	Mode         Mode
	// Via is the endpoint address the client targets (Uri.AbsoluteUri on
	// .NET, Uri.ToString on Mono), e.g. "net.tcp://host:808/svc".
	Via string
	// Encoding is the known encoding. For an Extensible Encoding record it is
	// the matching well-known value, or EncodingUnknown.
	Encoding Encoding
	// ContentType is the raw string of an Extensible Encoding record; empty
	// when the client sent a Known Encoding record.
	ContentType string
	// Upgrades lists the upgrade types requested, in order. Without an
	// Options.Upgrader the first one is refused with FaultUpgradeInvalid, so
	// a routed preamble only ever lists upgrades that were performed.
	Upgrades []string
	// Identity is the peer as established by the last upgrade (when the
	// upgraded connection implements security.Authenticated), else nil.
	Identity *security.Identity
}

// Upgrader performs a stream upgrade ([MC-NMF] Upgrade Request, e.g.
// "application/ssl-tls" or "application/negotiate") during the preamble.
type Upgrader interface {
	// CanUpgrade reports whether kind is supported. It is asked before the
	// Upgrade Response record is written, so false still lets the server
	// answer with a FaultUpgradeInvalid record in clear text.
	CanUpgrade(kind string) bool
	// Upgrade runs the upgrade protocol on conn, right after the server wrote
	// the Upgrade Response record, and returns the connection the rest of the
	// session runs on (e.g. a *tls.Conn wrapping conn). ctx expires with the
	// preamble timeout. An error aborts the connection without a fault (the
	// peer is mid-handshake and could not read one).
	Upgrade(ctx context.Context, kind string, conn net.Conn) (net.Conn, error)
}

// readPreamble decodes one preamble, from the Version record up to and
// including Preamble End, within Options.PreambleTimeout (counted from the
// first byte: on connection reuse the idle wait before it is not included).
// A *FaultError result must be answered with that fault; any other error means
// the connection is gone or timed out and is closed silently (as CoreWCF
// does: it has nobody to tell).
//
// Which fault for which unexpected byte (CoreWCF's FramingDecoder raises a
// bare "record type mismatch" ProtocolException without a fault string, so
// we send the fault its decoder associates with that stage of the preamble):
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
func (c *conn) readPreamble() (p *Preamble, err error) {
	opts := c.opts
	deadline := time.Now().Add(opts.PreambleTimeout)
	if _, err := c.beginIO(dirRead, deadline, true, nil); err != nil {
		return nil, err
	}
	defer func() { c.endIO(dirRead, nil) }()

	p = &Preamble{}
	b, err := c.br.ReadByte()
	if err != nil {
		return nil, err
	}
	if b != recVersion {
		return nil, newFault(FaultUnsupportedVersion, "expected Version record, got record type 0x%02x", b)
	}
	if p.Major, err = c.br.ReadByte(); err != nil {
		return nil, err
	}
	if p.Minor, err = c.br.ReadByte(); err != nil {
		return nil, err
	}
	if p.Major != 1 {
		return nil, newFault(FaultUnsupportedVersion, "framing version %d.%d, want 1.x", p.Major, p.Minor)
	}

	if b, err = c.br.ReadByte(); err != nil {
		return nil, err
	}
	if b != recMode {
		return nil, newFault(FaultUnsupportedMode, "expected Mode record, got record type 0x%02x", b)
	}
	if b, err = c.br.ReadByte(); err != nil {
		return nil, err
	}
	p.Mode = Mode(b)
	if p.Mode != ModeDuplex {
		return nil, newFault(FaultUnsupportedMode, "framing mode %v not supported, only duplex", p.Mode)
	}

	if b, err = c.br.ReadByte(); err != nil {
		return nil, err
	}
	if b != recVia {
		return nil, newFault(FaultEndpointNotFound, "expected Via record, got record type 0x%02x", b)
	}
	if p.Via, err = c.readString("via", opts.MaxViaLength, FaultViaTooLong, FaultEndpointNotFound); err != nil {
		return nil, err
	}
	if u, perr := url.Parse(p.Via); perr != nil || !u.IsAbs() {
		return nil, newFault(FaultEndpointNotFound, "via %q is not an absolute URI", p.Via)
	}

	if b, err = c.br.ReadByte(); err != nil {
		return nil, err
	}
	switch b {
	case recKnownEncoding:
		if b, err = c.br.ReadByte(); err != nil {
			return nil, err
		}
		p.Encoding = Encoding(b)
		if p.Encoding.ContentType() == "" {
			return nil, newFault(FaultContentTypeInvalid, "unknown encoding 0x%02x", b)
		}
	case recExtensibleEncoding:
		p.ContentType, err = c.readString("content type", opts.MaxContentTypeLength, FaultContentTypeTooLong, FaultContentTypeInvalid)
		if err != nil {
			return nil, err
		}
		p.Encoding = encodingForContentType(p.ContentType)
	default:
		return nil, newFault(FaultContentTypeInvalid, "expected Known or Extensible Encoding record, got record type 0x%02x", b)
	}

	for {
		if b, err = c.br.ReadByte(); err != nil {
			return nil, err
		}
		switch b {
		case recPreambleEnd:
			if c.sec.RequireUpgrade && len(p.Upgrades) == 0 {
				return nil, newFault(FaultUpgradeInvalid, "this listener requires transport security (an Upgrade Request)")
			}
			if c.identity == nil && len(p.Upgrades) == 0 && c.sec.Identify != nil {
				c.identity = c.sec.Identify(c.nc)
			}
			p.Identity = c.identity
			return p, nil
		case recUpgradeRequest:
			// CoreWCF decodes the upgrade type with the content type decoder,
			// so it shares that quota and fault.
			kind, err := c.readString("upgrade type", opts.MaxContentTypeLength, FaultContentTypeTooLong, FaultUpgradeInvalid)
			if err != nil {
				return nil, err
			}
			p.Upgrades = append(p.Upgrades, kind)
			if err := c.upgrade(kind, deadline); err != nil {
				return nil, err
			}
		default:
			return nil, newFault(FaultUpgradeInvalid, "expected Upgrade Request or Preamble End record, got record type 0x%02x", b)
		}
	}
}

// readString reads an MB31-length-prefixed UTF-8 string of 1..max bytes.
func (c *conn) readString(what string, max int, faultTooLong, faultInvalid string) (string, error) {
	n, err := readMB31(c.br)
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
	buf := make([]byte, n)
	if _, err := io.ReadFull(c.br, buf); err != nil {
		return "", err
	}
	if !utf8.Valid(buf) {
		return "", newFault(faultInvalid, "%s is not valid UTF-8", what)
	}
	return string(buf), nil
}

// upgrade answers one Upgrade Request: refuse with FaultUpgradeInvalid, or
// write Upgrade Response and hand the socket to Options.Upgrader.
func (c *conn) upgrade(kind string, deadline time.Time) error {
	up := c.sec.Upgrader
	if c.upgraded {
		// One security layer per connection: a second upgrade would nest
		// protocols no WCF binding produces.
		return newFault(FaultUpgradeInvalid, "upgrade %q after the stream was already upgraded", kind)
	}
	if up == nil || !up.CanUpgrade(kind) {
		return newFault(FaultUpgradeInvalid, "upgrade %q not supported", kind)
	}
	// The client must wait for our Upgrade Response before it starts the
	// handshake; bytes already buffered would be lost to the upgraded stream.
	if c.br.Buffered() > 0 {
		return newFault(FaultUpgradeInvalid, "data after upgrade request %q before upgrade response", kind)
	}
	c.wmu.Lock()
	err := c.writeLocked([]byte{recUpgradeResponse}, true, nil)
	c.wmu.Unlock()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithDeadline(c.ctx, deadline)
	defer cancel()
	nc, err := up.Upgrade(ctx, kind, c.nc)
	if err != nil {
		return fmt.Errorf("nmf: upgrade %q: %w", kind, err)
	}
	c.wmu.Lock()
	c.dlmu.Lock()
	c.nc = nc
	c.upgraded = true
	if a, ok := nc.(security.Authenticated); ok {
		c.identity = a.PeerIdentity()
	}
	c.nc.SetReadDeadline(deadline)
	c.dlmu.Unlock()
	c.wmu.Unlock()
	c.br.Reset(nc)
	return nil
}
