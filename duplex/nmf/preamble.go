package nmf

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/ipamd/ipamd/duplex/security"
)

// Preamble is the decoded client preamble of one framing session.
type Preamble struct {
	Major, Minor byte
	Mode         Mode
	// Via is the endpoint address the client targets (Uri.AbsoluteUri on
	// .NET, Uri.ToString on Mono), e.g. "net.tcp://host:808/svc".
	Via string
	// ViaPath is Via's path, unescaped: what a Router routes by (the host
	// part is not compared: clients may reach the server under any name).
	ViaPath string
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

// readPreamble decodes one preamble with the connection's Framer
// (Framer.ReadPreamble says which fault for which byte), within
// Options.PreambleTimeout (counted from the first byte: on connection reuse
// the idle wait before it is not included), then applies the listener's
// security: RequireUpgrade, and the identity of the upgrade or Identify.
// A *FaultError result must be answered with that fault; any other error
// means the connection is gone or timed out and is closed silently (as
// CoreWCF does: it has nobody to tell).
func (c *conn) readPreamble() (*Preamble, error) {
	deadline := time.Now().Add(c.opts.PreambleTimeout)
	if _, err := c.beginIO(dirRead, deadline, true, nil); err != nil {
		return nil, err
	}
	defer func() { c.endIO(dirRead, nil) }()

	p, err := c.fr.ReadPreamble(func(kind string) error { return c.upgrade(kind, deadline) })
	if err != nil {
		return nil, err
	}
	if c.sec.RequireUpgrade && len(p.Upgrades) == 0 {
		return nil, newFault(FaultUpgradeInvalid, "this listener requires transport security (an Upgrade Request)")
	}
	if c.identity == nil && len(p.Upgrades) == 0 && c.sec.Identify != nil {
		c.identity = c.sec.Identify(c.nc)
	}
	p.Identity = c.identity
	return p, nil
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
	if c.fr.Buffered() > 0 {
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
	c.streamLocked(nc)
	c.upgraded = true
	if a, ok := nc.(security.Authenticated); ok {
		c.identity = a.PeerIdentity()
	}
	c.setDeadlineLocked(dirRead, deadline)
	c.dlmu.Unlock()
	c.wmu.Unlock()
	c.fr.Reset(nc, nc)
	return nil
}
