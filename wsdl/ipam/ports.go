package ipam

import (
	"context"
	"fmt"

	"github.com/ipamd/ipamd/soap/xmlstream"
)

// BodyWriter writes a message body; every outgoing message type has one.
type BodyWriter interface {
	WriteBody(w xmlstream.Writer) error
}

// IIpamAsyncProvision is the server port type that provisions the IPAM data
// store (MS-IPAMM2 3.11). One value serves one session.
type IIpamAsyncProvision interface {
	InitializeAsyncProvisioning(ctx context.Context, req *InitializeAsyncProvisioning) (*InitializeAsyncProvisioningResponse, error)
	// StartAsyncProvisioning is one-way: failures travel in
	// NotifyAsyncProvisionComplete, never as a returned error the client sees.
	StartAsyncProvisioning(ctx context.Context, req *StartAsyncProvisioning) error
}

// IIpamAsyncProvisionCallback is what the management client implements on the
// same session (MS-IPAMM2 3.13); the server calls it.
type IIpamAsyncProvisionCallback interface {
	NotifyAsyncProvisionStart(ctx context.Context) error
	NotifyAsyncProvisionCheckpoint(ctx context.Context) error
	NotifyAsyncProvisionComplete(ctx context.Context, exception *IpamException) error
}

// IIpamAsyncSchemaConversion is the server port type that converts the data
// store's schema (MS-IPAMM2 3.15). One value serves one session.
type IIpamAsyncSchemaConversion interface {
	InitializeAsyncSchemaConversion(ctx context.Context, req *InitializeAsyncSchemaConversion) (*InitializeAsyncSchemaConversionResponse, error)
	StartAsyncSchemaConversion(ctx context.Context, req *StartAsyncSchemaConversion) error
}

// IIpamAsyncSchemaCallback is the schema conversion callback port type (3.17).
type IIpamAsyncSchemaCallback interface {
	NotifyAsyncSchemaConversionStart(ctx context.Context) error
	NotifyAsyncSchemaConversionCheckpoint(ctx context.Context) error
	NotifyAsyncSchemaConversionComplete(ctx context.Context, exception *IpamException) error
}

// Send delivers one callback message with the given action on the session.
type Send func(ctx context.Context, action string, body BodyWriter) error

// ProvisionCallbackClient is the server's client side of
// IIpamAsyncProvisionCallback: it turns calls into messages for Send.
type ProvisionCallbackClient struct {
	Actions CallbackActions
	Send    Send
}

func (c *ProvisionCallbackClient) NotifyAsyncProvisionStart(ctx context.Context) error {
	return c.Send(ctx, c.Actions.Start, NewNotifyAsyncProvisionStart())
}
func (c *ProvisionCallbackClient) NotifyAsyncProvisionCheckpoint(ctx context.Context) error {
	return c.Send(ctx, c.Actions.Checkpoint, NewNotifyAsyncProvisionCheckpoint())
}
func (c *ProvisionCallbackClient) NotifyAsyncProvisionComplete(ctx context.Context, exc *IpamException) error {
	return c.Send(ctx, c.Actions.Complete, NewNotifyAsyncProvisionComplete(exc))
}

// SchemaCallbackClient is the server's client side of IIpamAsyncSchemaCallback.
type SchemaCallbackClient struct {
	Actions CallbackActions
	Send    Send
}

func (c *SchemaCallbackClient) NotifyAsyncSchemaConversionStart(ctx context.Context) error {
	return c.Send(ctx, c.Actions.Start, NewNotifyAsyncSchemaConversionStart())
}
func (c *SchemaCallbackClient) NotifyAsyncSchemaConversionCheckpoint(ctx context.Context) error {
	return c.Send(ctx, c.Actions.Checkpoint, NewNotifyAsyncSchemaConversionCheckpoint())
}
func (c *SchemaCallbackClient) NotifyAsyncSchemaConversionComplete(ctx context.Context, exc *IpamException) error {
	return c.Send(ctx, c.Actions.Complete, NewNotifyAsyncSchemaConversionComplete(exc))
}

// Operation is one client-invoked operation of a port type: its actions and
// how to decode its request and call the implementation.
type Operation struct {
	Name        string
	Action      string
	ReplyAction string // "" for one-way operations
	// Invoke decodes the request body and calls the implementation, which
	// must be the port type's interface. reply is nil for one-way operations.
	Invoke func(ctx context.Context, impl any, body xmlstream.Reader) (reply BodyWriter, err error)
}

// OneWay reports whether the client expects no reply.
func (o *Operation) OneWay() bool { return o.ReplyAction == "" }

// PortType describes a duplex port type for the session layer.
type PortType struct {
	Name string
	// Operations the client may invoke, keyed by Action.
	Operations map[string]*Operation
	// CallbackOperations are the output-only operations (Notify…); a client
	// MUST NOT invoke them and the server MUST ignore them.
	CallbackOperations map[string]string // action -> operation name
}

func invoke[Req any, P interface {
	*Req
	ReadBody(xmlstream.Reader) error
}, Impl any](call func(Impl, context.Context, *Req) (BodyWriter, error)) func(context.Context, any, xmlstream.Reader) (BodyWriter, error) {
	return func(ctx context.Context, impl any, body xmlstream.Reader) (BodyWriter, error) {
		svc, ok := impl.(Impl)
		if !ok {
			return nil, fmt.Errorf("ipam: implementation %T does not serve this port type", impl)
		}
		req := new(Req)
		if err := P(req).ReadBody(body); err != nil {
			return nil, err
		}
		return call(svc, ctx, req)
	}
}

// IIpamAsyncProvisionPort is the dispatch table of IIpamAsyncProvision.
var IIpamAsyncProvisionPort = &PortType{
	Name: PortIIpamAsyncProvision,
	Operations: map[string]*Operation{
		ActionInitializeAsyncProvisioning: {
			Name:        "InitializeAsyncProvisioning",
			Action:      ActionInitializeAsyncProvisioning,
			ReplyAction: ActionInitializeAsyncProvisioningResponse,
			Invoke: invoke(func(s IIpamAsyncProvision, ctx context.Context, req *InitializeAsyncProvisioning) (BodyWriter, error) {
				resp, err := s.InitializeAsyncProvisioning(ctx, req)
				if err != nil {
					return nil, err
				}
				if resp == nil {
					resp = &InitializeAsyncProvisioningResponse{}
				}
				return resp, nil
			}),
		},
		ActionStartAsyncProvisioning: {
			Name:   "StartAsyncProvisioning",
			Action: ActionStartAsyncProvisioning,
			Invoke: invoke(func(s IIpamAsyncProvision, ctx context.Context, req *StartAsyncProvisioning) (BodyWriter, error) {
				return nil, s.StartAsyncProvisioning(ctx, req)
			}),
		},
	},
	CallbackOperations: callbackOps(ProvisionCallbackActions(CallbackActionsService), ProvisionCallbackActions(CallbackActionsCallback)),
}

// IIpamAsyncSchemaConversionPort is the dispatch table of IIpamAsyncSchemaConversion.
var IIpamAsyncSchemaConversionPort = &PortType{
	Name: PortIIpamAsyncSchemaConversion,
	Operations: map[string]*Operation{
		ActionInitializeAsyncSchemaConversion: {
			Name:        "InitializeAsyncSchemaConversion",
			Action:      ActionInitializeAsyncSchemaConversion,
			ReplyAction: ActionInitializeAsyncSchemaConversionResponse,
			Invoke: invoke(func(s IIpamAsyncSchemaConversion, ctx context.Context, req *InitializeAsyncSchemaConversion) (BodyWriter, error) {
				resp, err := s.InitializeAsyncSchemaConversion(ctx, req)
				if err != nil {
					return nil, err
				}
				if resp == nil {
					resp = &InitializeAsyncSchemaConversionResponse{}
				}
				return resp, nil
			}),
		},
		ActionStartAsyncSchemaConversion: {
			Name:   "StartAsyncSchemaConversion",
			Action: ActionStartAsyncSchemaConversion,
			Invoke: invoke(func(s IIpamAsyncSchemaConversion, ctx context.Context, req *StartAsyncSchemaConversion) (BodyWriter, error) {
				return nil, s.StartAsyncSchemaConversion(ctx, req)
			}),
		},
	},
	CallbackOperations: callbackOps(SchemaConversionCallbackActions(CallbackActionsService), SchemaConversionCallbackActions(CallbackActionsCallback)),
}

func callbackOps(sets ...CallbackActions) map[string]string {
	m := map[string]string{}
	for _, a := range sets {
		for _, act := range []string{a.Start, a.Checkpoint, a.Complete} {
			m[act] = lastSegment(act)
		}
	}
	return m
}

func lastSegment(s string) string {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '/' {
			return s[i+1:]
		}
	}
	return s
}
