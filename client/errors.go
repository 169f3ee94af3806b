package client

import (
	"errors"

	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// Sentinel errors.
var (
	// ErrProtocol: the server broke the protocol (an undecodable message,
	// a reply that does not answer the request, a callback out of order or
	// with an unknown Action). The session has been aborted.
	ErrProtocol = errors.New("client: protocol violation by the server")
	// ErrSessionClosed: the server ended the session (End record) before
	// answering the request or before Notify…Complete.
	ErrSessionClosed = errors.New("client: session ended by the server")
	// ErrState: a Session method was called out of order (Start before
	// Initialize, Wait before Start, anything after Close).
	ErrState = errors.New("client: operation not allowed in the session's state")
)

// RemoteError is an IpamException the server reported: as the SOAP fault
// answering Initialize… (Fault set), or in Notify…Complete (Fault nil).
// errors.As finds the *ipam.IpamException and the *soap.Fault in it.
type RemoteError struct {
	// Operation is the operation that reported it, e.g.
	// "InitializeAsyncProvisioning" or "NotifyAsyncProvisionComplete".
	Operation string
	// Fault is the SOAP fault; nil for an exception in Notify…Complete.
	Fault *soap.Fault
	// Exception is the IpamException; nil when a fault carried none.
	Exception *ipam.IpamException
}

func (e *RemoteError) Error() string {
	switch {
	case e.Exception != nil:
		return e.Operation + ": " + e.Exception.Error()
	case e.Fault != nil:
		return e.Operation + ": " + e.Fault.Error()
	}
	return e.Operation + ": failed"
}

// Unwrap returns the exception and the fault.
func (e *RemoteError) Unwrap() []error {
	var errs []error
	if e.Exception != nil {
		errs = append(errs, e.Exception)
	}
	if e.Fault != nil {
		errs = append(errs, e.Fault)
	}
	return errs
}

// ExceptionID returns the IpamExceptionId the server reported, or "".
func (e *RemoteError) ExceptionID() string {
	if e.Exception == nil {
		return ""
	}
	return e.Exception.ExceptionID
}
