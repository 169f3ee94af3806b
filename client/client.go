package client

import (
	"context"
	"fmt"
	"time"

	"github.com/ipamd/ipamd/duplex/nmf"
	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/soap/xmlstream"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// Conn is the framing session a Session runs on; *nmf.ClientSession is one.
type Conn interface {
	ReadMessage(ctx context.Context) ([]byte, error)
	WriteMessage(ctx context.Context, payload []byte) error
	// Close sends End, waits for the server's End, and closes.
	Close(ctx context.Context) error
	// Abort closes at once; blocked reads and writes fail.
	Abort()
	// Via is the endpoint URI (sent as a:To).
	Via() string
	// Encoding is the preamble's known encoding; messages use it.
	Encoding() nmf.Encoding
}

var _ Conn = (*nmf.ClientSession)(nil)

// PortType selects one of the port types.
type PortType uint8

const (
	// Provisioning is IIpamAsyncProvision.
	Provisioning PortType = iota + 1
	// SchemaConversion is IIpamAsyncSchemaConversion.
	SchemaConversion
	// Enumeration is IIpamEnumerator.
	Enumeration
)

func (p PortType) String() string {
	if pt := p.port(); pt != nil {
		return pt.name
	}
	return fmt.Sprintf("PortType(%d)", uint8(p))
}

func (p PortType) port() *port {
	switch p {
	case Provisioning:
		return &provisionPort
	case SchemaConversion:
		return &conversionPort
	case Enumeration:
		return &enumeratorPort
	}
	return nil
}

// port is what a session needs to know about its port type: actions,
// operation names for errors, and the bodies.
type port struct {
	name                               string
	initialize, initializeReply, start string
	initializeName, completeName       string
	callbacks                          [2]ipam.CallbackActions // both spellings
	newInitialize                      func(ipam.AnyEnumerationParametersBase) ipam.BodyWriter
	startBody                          ipam.BodyWriter
	newReply                           func() bodyReader
	newStart, newCheckpoint            func() bodyReader
	newComplete                        func() completeBody
	objectType                         ipam.EnumerationObjectType
}

type bodyReader interface {
	ReadBody(r xmlstream.Reader) error
}

// completeBody is a Notify…Complete of either port type.
type completeBody interface {
	bodyReader
	exception() *ipam.IpamException
}

type provisionComplete struct {
	ipam.NotifyAsyncProvisionComplete
}

func (c *provisionComplete) exception() *ipam.IpamException { return c.Exception }

type conversionComplete struct {
	ipam.NotifyAsyncSchemaConversionComplete
}

func (c *conversionComplete) exception() *ipam.IpamException { return c.Exception }

var provisionPort = port{
	name:            ipam.PortIIpamAsyncProvision,
	initialize:      ipam.ActionInitializeAsyncProvisioning,
	initializeReply: ipam.ActionInitializeAsyncProvisioningResponse,
	start:           ipam.ActionStartAsyncProvisioning,
	initializeName:  "InitializeAsyncProvisioning",
	completeName:    "NotifyAsyncProvisionComplete",
	callbacks: [2]ipam.CallbackActions{
		ipam.ProvisionCallbackActions(ipam.CallbackActionsService),
		ipam.ProvisionCallbackActions(ipam.CallbackActionsCallback),
	},
	newInitialize: func(p ipam.AnyEnumerationParametersBase) ipam.BodyWriter {
		return &ipam.InitializeAsyncProvisioning{Parameters: p}
	},
	startBody:     &ipam.StartAsyncProvisioning{},
	newReply:      func() bodyReader { return &ipam.InitializeAsyncProvisioningResponse{} },
	newStart:      func() bodyReader { return &ipam.NotifyAsyncProvisionStart{} },
	newCheckpoint: func() bodyReader { return &ipam.NotifyAsyncProvisionCheckpoint{} },
	newComplete:   func() completeBody { return &provisionComplete{} },
	objectType:    ipam.EnumerationObjectTypeAsyncProvision,
}

var conversionPort = port{
	name:            ipam.PortIIpamAsyncSchemaConversion,
	initialize:      ipam.ActionInitializeAsyncSchemaConversion,
	initializeReply: ipam.ActionInitializeAsyncSchemaConversionResponse,
	start:           ipam.ActionStartAsyncSchemaConversion,
	initializeName:  "InitializeAsyncSchemaConversion",
	completeName:    "NotifyAsyncSchemaConversionComplete",
	callbacks: [2]ipam.CallbackActions{
		ipam.SchemaConversionCallbackActions(ipam.CallbackActionsService),
		ipam.SchemaConversionCallbackActions(ipam.CallbackActionsCallback),
	},
	newInitialize: func(p ipam.AnyEnumerationParametersBase) ipam.BodyWriter {
		return &ipam.InitializeAsyncSchemaConversion{Parameters: p}
	},
	startBody:     &ipam.StartAsyncSchemaConversion{},
	newReply:      func() bodyReader { return &ipam.InitializeAsyncSchemaConversionResponse{} },
	newStart:      func() bodyReader { return &ipam.NotifyAsyncSchemaConversionStart{} },
	newCheckpoint: func() bodyReader { return &ipam.NotifyAsyncSchemaConversionCheckpoint{} },
	newComplete:   func() completeBody { return &conversionComplete{} },
	objectType:    ipam.EnumerationObjectTypeAsyncSchemaConversion,
}

type enumerationComplete struct {
	ipam.NotifyEnumerationComplete
}

func (c *enumerationComplete) exception() *ipam.IpamException { return c.Exception }

var enumeratorPort = port{
	name:            ipam.PortIIpamEnumerator,
	initialize:      ipam.ActionInitializeEnumeration,
	initializeReply: ipam.ActionInitializeEnumerationResponse,
	start:           ipam.ActionStartEnumeration,
	initializeName:  "InitializeEnumeration",
	completeName:    "NotifyEnumerationComplete",
	callbacks: [2]ipam.CallbackActions{
		ipam.EnumeratorCallbackActions(ipam.CallbackActionsService),
		ipam.EnumeratorCallbackActions(ipam.CallbackActionsCallback),
	},
	newInitialize: func(p ipam.AnyEnumerationParametersBase) ipam.BodyWriter {
		return &ipam.InitializeEnumeration{Parameters: p}
	},
	startBody:     &ipam.StartEnumeration{},
	newReply:      func() bodyReader { return &ipam.InitializeEnumerationResponse{} },
	newStart:      func() bodyReader { return &ipam.NotifyEnumerationStart{} },
	newCheckpoint: func() bodyReader { return &ipam.EnumeratedRows{} },
	newComplete:   func() completeBody { return &enumerationComplete{} },
}

// Enumerate runs a whole IIpamEnumerator session on conn: InitializeEnumeration
// with params, StartEnumeration, and the rows of every EnumeratedRowsCallback
// handed to rows (on the session's goroutine) until NotifyEnumerationComplete.
// An error from rows ends the session.
func (c *Client) Enumerate(ctx context.Context, conn Conn, params ipam.AnyEnumerationParametersBase,
	rows func([]*ipam.GenericRow) error, obs Observer) (Result, error) {
	s, err := c.NewSession(conn, Enumeration)
	if err != nil {
		return Result{}, err
	}
	s.OnRows = rows
	return s.run(ctx, params, obs)
}

// callback classifies a callback Action of this port type.
func (p *port) callback(action string) callbackKind {
	for i := range p.callbacks {
		switch action {
		case p.callbacks[i].Start:
			return cbStart
		case p.callbacks[i].Checkpoint:
			return cbCheckpoint
		case p.callbacks[i].Complete:
			return cbComplete
		}
	}
	return cbNone
}

type callbackKind uint8

const (
	cbNone callbackKind = iota
	cbStart
	cbCheckpoint
	cbComplete
)

// Client holds what many sessions share. The zero value is ready to use, and
// one Client may run any number of sessions concurrently.
type Client struct {
	// Encoding of the messages: soap.EncodingBinarySession (the default,
	// what WCF's NetTcpBinding uses), EncodingBinary or EncodingText. Dial
	// announces it in the preamble; NewSession takes the encoding from the
	// Conn.
	Encoding soap.Encoding
	// KeepaliveInterval: a Keepalive is sent when nothing was sent for this
	// long, so the server's inactivity timer (MS-IPAMM2 3.1.2: 15 s,
	// tolerating ADM_KeepaliveGraceCount silent intervals) never fires.
	// Default 10s, shorter than the server's interval; negative disables.
	KeepaliveInterval time.Duration
	// Limits are the decoder quotas for the server's messages; a zero
	// MaxMessageBytes takes Dialer.MaxMessageSize's default.
	Limits soap.Limits
	// Dialer opens the framing sessions: timeouts (its WriteTimeout bounds
	// every message, keepalives included), max message size.
	Dialer nmf.Dialer

	// newMessageID makes a:MessageID values; tests fix it.
	newMessageID func() string
}

// DefaultKeepaliveInterval is the Keepalive period when Client leaves it 0.
const DefaultKeepaliveInterval = 10 * time.Second

func (c *Client) keepaliveInterval() time.Duration {
	switch {
	case c.KeepaliveInterval < 0:
		return 0
	case c.KeepaliveInterval == 0:
		return DefaultKeepaliveInterval
	}
	return c.KeepaliveInterval
}

func (c *Client) encoding() soap.Encoding {
	if c.Encoding == 0 {
		return soap.EncodingBinarySession
	}
	return c.Encoding
}

// Dial opens a framing session to the endpoint uri
// (net.tcp://host[:port]/path; the port defaults to 808) with the client's
// encoding. Framing faults are *nmf.FaultError values wrapping
// nmf.ErrRemoteFault (e.g. nmf.FaultEndpointNotFound for a wrong path).
func (c *Client) Dial(ctx context.Context, uri string) (*nmf.ClientSession, error) {
	addr, err := nmf.ViaAddr(uri)
	if err != nil {
		return nil, err
	}
	enc := c.encoding()
	known := nmf.EncodingFor(enc.ContentType())
	if known == nmf.EncodingUnknown || enc.EnvelopeNamespace() != soap.NSEnvelope {
		return nil, fmt.Errorf("client: encoding %v cannot be used over net.tcp", enc)
	}
	return c.Dialer.Dial(ctx, addr, uri, known)
}

// Event is one step of a session, reported to an Observer.
type Event struct {
	Kind EventKind
	// Checkpoints received so far.
	Checkpoints int
	// Elapsed since Start… was sent (0 before).
	Elapsed time.Duration
}

// EventKind says what happened.
type EventKind uint8

const (
	// EventInitialized: Initialize… was answered with success.
	EventInitialized EventKind = iota + 1
	// EventStarted: Notify…Start arrived (the server took the work).
	EventStarted
	// EventCheckpoint: a Notify…Checkpoint arrived.
	EventCheckpoint
	// EventCompleted: Notify…Complete arrived (success or exception).
	EventCompleted
)

func (k EventKind) String() string {
	switch k {
	case EventInitialized:
		return "initialized"
	case EventStarted:
		return "started"
	case EventCheckpoint:
		return "checkpoint"
	case EventCompleted:
		return "completed"
	}
	return fmt.Sprintf("EventKind(%d)", uint8(k))
}

// Observer receives a session's events on the session's goroutine; it must
// return quickly (a progress bar, a counter).
type Observer interface {
	Observe(Event)
}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(Event)

// Observe calls f(e).
func (f ObserverFunc) Observe(e Event) { f(e) }

// Result describes a session that ran, whatever its outcome.
type Result struct {
	// Completed: Notify…Complete arrived. With a nil error the work
	// succeeded; with a *RemoteError it carried an exception.
	Completed   bool
	Checkpoints int   // Notify…Checkpoint / EnumeratedRowsCallback messages
	Rows        int64 // rows of an Enumeration session
	Keepalives  int
	// Initialize is the time from the Initialize… request to its reply.
	Initialize time.Duration
	// Work is the time from the Start… request to Notify…Complete.
	Work time.Duration
	// Close is the time the End exchange took.
	Close time.Duration
}

// Provision runs a whole IIpamAsyncProvision session on conn:
// InitializeAsyncProvisioning with IpamProvisioningEnumerationParameters
// carrying setting (nil sends an empty setting), StartAsyncProvisioning, the
// callbacks until NotifyAsyncProvisionComplete, End. conn is closed when it
// returns. The error is nil only for a successful Complete; an exception
// from the server (Initialize fault or Complete) is a *RemoteError. When ctx
// ends mid-session the session is still ended with End records (bounded by
// the Dialer's CloseTimeout) and ctx's error is returned.
func (c *Client) Provision(ctx context.Context, conn Conn, setting *ipam.IpamProvisioningSetting, obs Observer) (Result, error) {
	s, err := c.NewSession(conn, Provisioning)
	if err != nil {
		conn.Abort()
		return Result{}, err
	}
	return s.run(ctx, ProvisioningParameters(setting), obs)
}

// ConvertSchema runs a whole IIpamAsyncSchemaConversion session on conn,
// like Provision, with EnumerationParametersBase (ObjectType
// AsyncSchemaConversion) as the Initialize parameters.
func (c *Client) ConvertSchema(ctx context.Context, conn Conn, obs Observer) (Result, error) {
	s, err := c.NewSession(conn, SchemaConversion)
	if err != nil {
		conn.Abort()
		return Result{}, err
	}
	return s.run(ctx, ConversionParameters(), obs)
}

// ProvisioningParameters are the InitializeAsyncProvisioning parameters
// for setting, as MS-IPAMM2 3.5.4.8.1.57 asks: the derived type with
// ObjectType AsyncProvision.
func ProvisioningParameters(setting *ipam.IpamProvisioningSetting) ipam.AnyEnumerationParametersBase {
	if setting == nil {
		setting = &ipam.IpamProvisioningSetting{}
	}
	return &ipam.IpamProvisioningEnumerationParameters{
		EnumerationParametersBase: ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeAsyncProvision},
		IpamProvisioningSetting:   setting,
	}
}

// ConversionParameters are the InitializeAsyncSchemaConversion parameters:
// the base type with ObjectType AsyncSchemaConversion (the spec defines no
// derived type for conversion).
func ConversionParameters() ipam.AnyEnumerationParametersBase {
	return &ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeAsyncSchemaConversion}
}
