package soap

import (
	"errors"
	"fmt"

	"github.com/ipamd/ipamd/soap/xmlstream"
)

// DecodeError is returned by Codec.Decode and Envelope.Finish: Fault is
// the SOAP fault to answer with, Header what was decoded before the
// problem (for a:RelatesTo / a:FaultTo of the answer).
type DecodeError struct {
	Fault  *Fault
	Header Header
	Err    error
	// Fatal means the connection's inbound decoding state (the NBFSE string
	// table) is lost: answer if you like, then close the session.
	Fatal bool
}

func (e *DecodeError) Error() string { return e.Err.Error() }
func (e *DecodeError) Unwrap() error { return e.Err }

// readError maps a reader error to a DecodeError.
func readError(where string, err error, h Header) *DecodeError {
	var de *DecodeError
	if errors.As(err, &de) {
		return de
	}
	f := malformedFault(err)
	return &DecodeError{Fault: f, Header: h, Err: fmt.Errorf("soap: reading %s: %w", where, err)}
}

func malformedFault(err error) *Fault {
	if errors.Is(err, xmlstream.ErrQuota) {
		return QuotaFault(err)
	}
	return SenderFault("The message could not be decoded: it is not well-formed.")
}

// QuotaFault is the Sender fault for a message that breaks a reader quota:
// its reason names the quota and its limit, never the client's content, so
// it stays small whatever the message held.
func QuotaFault(err error) *Fault {
	var qe *xmlstream.QuotaError
	if errors.As(err, &qe) {
		return SenderFault(fmt.Sprintf("QuotaExceeded: the message exceeds the receiver's %s quota (%d).", qe.Quota, qe.Limit))
	}
	return SenderFault("QuotaExceeded: the message exceeds a quota of the receiver.")
}

func envelopeError(h Header, maxEcho int, format string, args ...any) *DecodeError {
	msg := EchoMax(fmt.Sprintf(format, args...), echoBound(maxEcho))
	return &DecodeError{
		Fault:  SenderFault("The message is not a valid SOAP 1.2 envelope: " + msg + "."),
		Header: h,
		Err:    fmt.Errorf("soap: %s: %w", msg, ErrEnvelope),
	}
}

func mustUnderstandError(names []xmlstream.Name, h Header, maxEcho int) *DecodeError {
	return &DecodeError{
		Fault:  MustUnderstandFault(maxEcho, names...),
		Header: h,
		Err:    fmt.Errorf("soap: header {%s}%s: %w", EchoMax(names[0].Space, echoBound(maxEcho)), EchoMax(names[0].Local, echoBound(maxEcho)), ErrMustUnderstand),
	}
}

func invalidHeaderError(name xmlstream.Name, bad error) *DecodeError {
	sub := ""
	switch bad {
	case errDuplicate:
		sub = SubcodeInvalidCardinality
	case errNoAddress:
		sub = SubcodeMissingAddressInEPR
	case errBadAddress:
		sub = SubcodeInvalidEPR
	case errNotText:
		sub = SubcodeInvalidAddress
	}
	return &DecodeError{
		Fault: InvalidHeaderFault(name.Space, name.Local, sub),
		Err:   fmt.Errorf("soap: header %s: %w: %w", name.Local, bad, ErrAddressing),
	}
}
