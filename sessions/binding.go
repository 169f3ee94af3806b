// Package sessions runs one MS-IPAMM2 session per transport session: it
// takes decoded envelopes, enforces the port type's state machine
// (MS-IPAMM2 3.11.1.1 and 3.15.1.1, tabled in docs/protocol.md), dispatches
// operations by Action to the port implementation, sends replies, faults and
// Notify… callbacks, and aborts dead sessions with the 15 s inactivity
// timer (3.1.2).
//
// A session sees its transport only through Transport (transport.go), the
// one contract both transports meet: what differs between them is a Peer
// field or an Outgoing Kind, never a type assertion. The transports do not
// import this package, nor it them; their bindings live in sessions/bind,
// one file each, and a third transport is one more file there, plus its
// listener in the daemon (the tests' memTransport, in transport_test.go,
// is a whole Transport in some 80 lines).
package sessions

import (
	"context"

	"github.com/ipamd/ipamd/services/adm"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// Binding ties a port type's dispatch table to its state machine roles and to
// the service that implements it.
type Binding struct {
	Port *ipam.PortType
	// InitializeAction and StartAction are the two client operations the
	// state machine is about.
	InitializeAction, StartAction string
	// Callbacks are the actions ipamd puts on Notify… messages.
	Callbacks ipam.CallbackActions
	// Role is what the port type's client operations require (3.11.6.1,
	// 3.15.6.1: IsAdministrator; 3.5.6.1: IsIpamUser). "" is
	// RoleAdministrators.
	Role adm.Role
	// UnknownTypeID, when set, is the IpamExceptionId of the fault for an
	// Initialize whose parameters have an i:type the contract does not
	// declare; the session goes on. Unset, such a request is a broken
	// message (IpamApiInvalidParameter, the session closes).
	UnknownTypeID string
	// StateNames names the five states as the spec does, for logs and faults.
	StateNames [numStates]string
	// NewSession makes the per-session implementation (the port type's
	// interface) given a sender for callback messages, and returns the
	// function that sends a Notify…Complete with an exception.
	NewSession func(send ipam.Send) (impl any, complete func(context.Context, *ipam.IpamException) error)
}

// ProvisionFactory is what the IIpamAsyncProvision service offers.
type ProvisionFactory func(cb ipam.IIpamAsyncProvisionCallback) ipam.IIpamAsyncProvision

// SchemaConversionFactory is what the IIpamAsyncSchemaConversion service offers.
type SchemaConversionFactory func(cb ipam.IIpamAsyncSchemaCallback) ipam.IIpamAsyncSchemaConversion

// ProvisionBinding binds IIpamAsyncProvision to its service.
func ProvisionBinding(newSession ProvisionFactory, style ipam.CallbackActionStyle) *Binding {
	actions := ipam.ProvisionCallbackActions(style)
	return &Binding{
		Port:             ipam.IIpamAsyncProvisionPort,
		InitializeAction: ipam.ActionInitializeAsyncProvisioning,
		Role:             adm.RoleAdministrators,
		StartAction:      ipam.ActionStartAsyncProvisioning,
		Callbacks:        actions,
		StateNames: [numStates]string{
			"Session Initialized", "Provisioning Initialized", "Provisioning Started",
			"Provisioning In Progress", "Provisioning Completed",
		},
		NewSession: func(send ipam.Send) (any, func(context.Context, *ipam.IpamException) error) {
			cb := &ipam.ProvisionCallbackClient{Actions: actions, Send: send}
			return newSession(cb), func(ctx context.Context, exc *ipam.IpamException) error {
				return cb.NotifyAsyncProvisionComplete(ctx, nil, exc)
			}
		},
	}
}

// SchemaConversionBinding binds IIpamAsyncSchemaConversion to its service.
func SchemaConversionBinding(newSession SchemaConversionFactory, style ipam.CallbackActionStyle) *Binding {
	actions := ipam.SchemaConversionCallbackActions(style)
	return &Binding{
		Port:             ipam.IIpamAsyncSchemaConversionPort,
		InitializeAction: ipam.ActionInitializeAsyncSchemaConversion,
		Role:             adm.RoleAdministrators,
		StartAction:      ipam.ActionStartAsyncSchemaConversion,
		Callbacks:        actions,
		StateNames: [numStates]string{
			"Session Initialized", "Conversion Initialized", "Conversion Started",
			"Conversion In Progress", "Conversion Completed",
		},
		NewSession: func(send ipam.Send) (any, func(context.Context, *ipam.IpamException) error) {
			cb := &ipam.SchemaCallbackClient{Actions: actions, Send: send}
			return newSession(cb), func(ctx context.Context, exc *ipam.IpamException) error {
				return cb.NotifyAsyncSchemaConversionComplete(ctx, nil, exc)
			}
		},
	}
}

// EnumeratorFactory is what the IIpamEnumerator service offers.
type EnumeratorFactory func(cb ipam.IIpamEnumeratorCallback) ipam.IIpamEnumerator

// EnumeratorBinding binds IIpamEnumerator (MS-IPAMM2 3.5) to its service. Its
// state machine (3.5.1.1) is the one the async port types were cloned from:
// InitializeEnumeration and InitializeEnumerationWithModule both play
// Initialize, EnumeratedRowsCallback plays Checkpoint (docs/protocol.md,
// "IIpamEnumerator").
func EnumeratorBinding(newSession EnumeratorFactory, style ipam.CallbackActionStyle) *Binding {
	actions := ipam.EnumeratorCallbackActions(style)
	return &Binding{
		Port:             ipam.IIpamEnumeratorPort,
		InitializeAction: ipam.ActionInitializeEnumeration,
		StartAction:      ipam.ActionStartEnumeration,
		Callbacks:        actions,
		Role:             adm.RoleIpamUsers,
		UnknownTypeID:    ipam.IpamApiInvalidEnumeration,
		StateNames: [numStates]string{
			"Session Initialized", "Enumeration Initialized", "Enumeration Started",
			"Enumeration In Progress", "Enumeration Completed",
		},
		NewSession: func(send ipam.Send) (any, func(context.Context, *ipam.IpamException) error) {
			cb := &ipam.EnumeratorCallbackClient{Actions: actions, Send: send}
			return newSession(cb), func(ctx context.Context, exc *ipam.IpamException) error {
				return cb.NotifyEnumerationComplete(ctx, nil, exc)
			}
		},
	}
}
