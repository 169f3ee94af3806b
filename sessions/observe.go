package sessions

import "time"

// Observer receives the session layer's events, for metrics. NewManager asks
// it once per endpoint for that port type's PortObserver, so that the calls
// on the message path need no lookup by port type. Implementations must be
// safe for concurrent use and cheap — an atomic add, no allocation, no lock
// — since MessageReceived and MessageSent run for every message.
type Observer interface {
	Port(portType string) PortObserver
}

// PortObserver sees the sessions of one port type.
type PortObserver interface {
	// SessionStarted: a session began on transport (TransportNetTCP,
	// TransportHTTP) in state SessionInitialized.
	SessionStarted(transport string)
	// StateChanged: the state machine moved from → to.
	StateChanged(from, to State)
	// SessionEnded: the session ended in state last.
	SessionEnded(last State)
	// MessageReceived: a message with action arrived (Keepalives included;
	// action is the client's, so unknown ones must be folded into one label).
	MessageReceived(action string)
	// MessageIgnored: a received message was dropped without an answer
	// (a second Start while the work runs, anything after Completed);
	// action is the client's, as for MessageReceived.
	MessageIgnored(action string)
	// MessageSent: a reply, fault or callback with action was written.
	MessageSent(action string)
	// Exception: an IpamException went to the client, as a SOAP fault's
	// detail or in Notify…Complete. The id comes from ipamd's own code.
	Exception(exceptionID string)
	// CallbackDone: a Notify… callback took d to write (net.tcp) or deliver
	// (HTTP POSTs with retries); err is nil when it went out.
	CallbackDone(action string, d time.Duration, err error)
	// SessionExpired: the server aborted a session on a timer, for reason
	// (Expired*).
	SessionExpired(reason string)
	// QuotaExceeded: a message broke a reader quota (an xmlstream.Quota*
	// name) and its session was closed.
	QuotaExceeded(quota string)
}

// Reasons passed to SessionExpired.
const (
	// ExpiredUninitialized: no successful Initialize… within
	// Options.UninitializedTimeout.
	ExpiredUninitialized = "uninitialized"
	// ExpiredInactive: the InactivityTimer ran out of grace.
	ExpiredInactive = "inactivity"
)

// Transports a session can run on, as passed to SessionStarted.
const (
	TransportNetTCP = "net.tcp"
	TransportHTTP   = "http"
)

// NopObserver observes nothing.
type NopObserver struct{}

// Port implements Observer.
func (NopObserver) Port(string) PortObserver { return NopObserver{} }

func (NopObserver) SessionStarted(string)                     {}
func (NopObserver) StateChanged(State, State)                 {}
func (NopObserver) SessionEnded(State)                        {}
func (NopObserver) MessageReceived(string)                    {}
func (NopObserver) MessageIgnored(string)                     {}
func (NopObserver) SessionExpired(string)                     {}
func (NopObserver) QuotaExceeded(string)                      {}
func (NopObserver) MessageSent(string)                        {}
func (NopObserver) Exception(string)                          {}
func (NopObserver) CallbackDone(string, time.Duration, error) {}
