package sessions

import (
	"context"
	"net"

	"github.com/ipamd/ipamd/duplex/security"
	"github.com/ipamd/ipamd/soap"
)

// Transport is the one contract between a session and what carries it.
// Every difference between transports that the session must know is a
// field of Peer or a Kind of Outgoing; everything else (how a message is
// encoded and addressed, who bounds a write's time, whether records are
// held and sent together, which status a fault gets) stays inside the
// transport's binding (package sessions/bind), so the session never asks
// which transport it runs on.
//
// Await and Receive belong to the session's reader goroutine (Receive may
// run on a goroutine the reader starts and waits for). Send, Close and
// Abort may be called from any goroutine, but the session never runs two
// Sends at once.
//
// The ctx of Await and Receive is the session's: a child of the ctx given
// to Port.Serve that ends before it only when the session aborts the
// transport as well (the InactivityTimer) or has returned from Serve. A
// transport whose reads that outer ctx already interrupts may watch it
// instead and save a watcher per wait (net.tcp, issue 16).
type Transport interface {
	// Await waits until the client's next message may be there, without
	// decoding it or holding buffers while it waits, and reports whether
	// it did and what came needs decoding; Receive then reports what the
	// wait found (a failed wait included). A transport that cannot wait
	// this way returns false at once and Receive waits. When Await
	// reports true, the session receives and handles on another goroutine
	// (a step worker), so the stack that decoding and handling grow does
	// not stay with an idle session; when false, on its own:
	// a transport that knows the next Receive decodes nothing (the
	// client's End, a failed wait) reports false and saves the two
	// goroutine hand-offs.
	Await(ctx context.Context) bool
	// Receive returns the next message of the session, decoded; its body is
	// valid until the next Await or Receive. io.EOF: the client ended the session. A
	// message that arrived but cannot be decoded is an error wrapping a
	// *soap.DecodeError: the session answers with the fault it carries and
	// closes.
	Receive(ctx context.Context) (*soap.Envelope, error)
	// Send encodes m, addresses it as the transport requires and writes
	// it, bounding the write's time itself (ctx is the session's lifetime).
	// An error wrapping soap.ErrMessageTooLarge means nothing was written.
	Send(ctx context.Context, m Outgoing) error
	// Close ends the session's output gracefully (net.tcp: our End record;
	// HTTP: the session is forgotten and Receive returns io.EOF), bounding
	// a write's time itself as Send does. Later calls do nothing.
	Close(ctx context.Context) error
	// Abort ends the session at once; a blocked Receive returns an error.
	Abort()
	// Peer describes the client; the session asks once, when it starts.
	Peer() Peer
}

// Peer is the client end of a Transport.
type Peer struct {
	// Transport names the transport for the observer: TransportNetTCP,
	// TransportHTTP.
	Transport string
	// Addr is the client's address.
	Addr net.Addr
	// Via is the endpoint address the client named (net.tcp: the
	// preamble's Via), for the session's log entries; may be empty.
	Via string
	// Identity is the caller as the transport verified it; nil means
	// unauthenticated (security none), and the session then treats a
	// loopback Addr as local.
	Identity *security.Identity
	// AcksCallbacks: the client acknowledges each callback itself (HTTP:
	// its listener answers the POST), which counts as the client's sign of
	// life for the InactivityTimer, as a Keepalive does on net.tcp.
	AcksCallbacks bool
}

// Kind is what an Outgoing message is to the transport.
type Kind uint8

const (
	// KindReply answers the message being handled (a two-way operation).
	KindReply Kind = iota + 1
	// KindFault is a SOAP fault answering the message being handled, or
	// sent before the session closes; Outgoing.Fault is set.
	KindFault
	// KindCallback is a Notify… message the server starts. Over HTTP it
	// travels apart from replies: POSTed to the client's a:ReplyTo.
	KindCallback
	// KindAccepted acknowledges a one-way message, which gets no reply;
	// nothing is encoded (HTTP: 202 Accepted now, so the client is not
	// held until the first callback; net.tcp: nothing).
	KindAccepted
	// KindFlush sends nothing of its own: what the transport holds to
	// send together with what follows (net.tcp: the records of the
	// message being handled) leaves now, because the work is about to
	// wait (ipam.FlushCallbacks). HTTP holds nothing.
	KindFlush
)

// Outgoing is one message the session sends.
type Outgoing struct {
	Kind Kind
	// Header has Action, RelatesTo and To (anonymous); the transport may
	// address it further (HTTP: a callback's a:To, the session id).
	Header soap.Header
	// Body is the message body (Fault for KindFault).
	Body soap.BodyWriter
	// Fault is the fault a KindFault message carries.
	Fault *soap.Fault
	// Last: the session closes its output right after this message
	// (Notify…Complete); a transport may end its output with it (net.tcp:
	// the message and our End in one write), and Close then does nothing.
	Last bool
}
