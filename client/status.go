package client

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

// Neither port type has an operation that reports the server's state. What
// the protocol does give is the gating every operation goes through
// (MS-IPAMM2 3.1.4.2): an unprovisioned server refuses everything but
// IIpamAsyncProvision (IpamApiCallsAreNotAllowedUntilProvisioningIsDone),
// and a provisioned server whose store needs a schema conversion refuses
// everything but IIpamAsyncSchemaConversion
// (IpamApiCallsAreNotAllowedUntilSchemaConversionIsDone). Probe sends one
// Initialize… on a port type and ends the session without Start…, so it
// starts no work; DeriveStatus combines the answers of the two port types.
// Servers that already refuse Initialize with the Start… exceptions
// (IpamApiErrorIpamAlreadyProvisioned, IpamApiProvisioningAlreadyInProgress,
// IpamSchemaConversionNotRequired,
// IpamSchemaConversionAnotherOperationInProgress) tell more, and are read
// too. Whether work is running can only be known for a store that is
// provisioned and current (then none is) or from those Start… exceptions:
// otherwise it stays Unknown, since only a Start… would tell, and a Start…
// would start the work when none runs.

// Probe runs Initialize… of port type pt on conn with the parameters a real
// client would send (an empty provisioning setting) and then ends the
// session without Start…. It returns nil when the server accepted, a
// *RemoteError when it refused, or the transport's error. conn is closed.
func (c *Client) Probe(ctx context.Context, conn Conn, pt PortType) error {
	s, err := c.NewSession(conn, pt)
	if err != nil {
		conn.Abort()
		return err
	}
	params := ConversionParameters()
	if pt == Provisioning {
		params = ProvisioningParameters(nil)
	}
	err = s.Initialize(ctx, params)
	cctx := ctx
	if ctx.Err() != nil {
		cctx = context.WithoutCancel(ctx)
	}
	if cerr := s.Close(cctx); err == nil {
		err = cerr
	}
	return err
}

// Tri is a yes/no answer that may be unknown.
type Tri int8

const (
	Unknown Tri = iota
	No
	Yes
)

func (t Tri) String() string {
	switch t {
	case No:
		return "no"
	case Yes:
		return "yes"
	}
	return "unknown"
}

// MarshalJSON writes true, false or null.
func (t Tri) MarshalJSON() ([]byte, error) {
	switch t {
	case No:
		return []byte("false"), nil
	case Yes:
		return []byte("true"), nil
	}
	return []byte("null"), nil
}

func tri(b bool) Tri {
	if b {
		return Yes
	}
	return No
}

// Status is what the probes tell about a server's ADM flags (3.1.1.3).
type Status struct {
	Configured             Tri `json:"configured"`               // ADM_IsIPAMConfigured
	ConversionRequired     Tri `json:"conversion_required"`      // ADM_IsSchemaConversionRequired
	ProvisioningInProgress Tri `json:"provisioning_in_progress"` // ADM_IsIPAMProvisioningInProgress
	ConversionInProgress   Tri `json:"conversion_in_progress"`   // ADM_IsSchemaConversionInProgress
	// Notes explain answers that were not used: probes that failed,
	// exceptions that say nothing about the state, contradictions.
	Notes []string `json:"notes,omitempty"`
}

// Summary is one line for people.
func (s Status) Summary() string {
	var b strings.Builder
	switch {
	case s.Configured == No:
		b.WriteString("not provisioned")
		switch s.ProvisioningInProgress {
		case Yes:
			b.WriteString("; provisioning in progress")
		case Unknown:
			b.WriteString("; whether provisioning is running cannot be told without starting it")
		}
	case s.Configured == Yes && s.ConversionRequired == Yes:
		b.WriteString("provisioned; schema conversion required")
		switch s.ConversionInProgress {
		case Yes:
			b.WriteString("; conversion in progress")
		case Unknown:
			b.WriteString("; whether a conversion is running cannot be told without starting one")
		}
	case s.Configured == Yes && s.ConversionRequired == No:
		b.WriteString("provisioned and ready (no schema conversion required, nothing running)")
	case s.Configured == Yes:
		b.WriteString("provisioned; whether a schema conversion is required is unknown")
	default:
		b.WriteString("unknown")
	}
	return b.String()
}

// facts accumulates what the answers imply; a contradiction makes the flag
// Unknown and is noted.
type facts struct {
	st       Status
	conflict [4]bool
}

func (f *facts) flag(i int) *Tri {
	return [...]*Tri{&f.st.Configured, &f.st.ConversionRequired, &f.st.ProvisioningInProgress, &f.st.ConversionInProgress}[i]
}

const (
	fConfigured = iota
	fRequired
	fProvisioning
	fConverting
)

var flagNames = [...]string{"configured", "conversion required", "provisioning in progress", "conversion in progress"}

func (f *facts) set(i int, v bool) {
	if f.conflict[i] {
		return
	}
	p := f.flag(i)
	switch {
	case *p == Unknown:
		*p = tri(v)
	case *p != tri(v):
		*p = Unknown
		f.conflict[i] = true
		f.st.Notes = append(f.st.Notes, fmt.Sprintf("the answers contradict each other on %q (did the state change between the probes?)", flagNames[i]))
	}
}

// DeriveStatus interprets the results of Probe on IIpamAsyncProvision
// (provision) and IIpamAsyncSchemaConversion (conversion):
//
//	probe answer                                          implies
//	provision: accepted                                   not (configured and conversion required)
//	provision: …NotAllowedUntilSchemaConversionIsDone     configured, conversion required
//	provision: IpamApiErrorIpamAlreadyProvisioned         configured
//	provision: IpamApiProvisioningAlreadyInProgress       not configured, provisioning running
//	conversion: accepted                                  configured
//	conversion: …NotAllowedUntilProvisioningIsDone        not configured
//	conversion: IpamSchemaConversionNotRequired           configured, no conversion required
//	conversion: …AnotherOperationInProgress               configured, conversion required and running
//
// and then what the spec's state machine entails: not configured → no
// conversion is required or running; configured → no provisioning runs
// (it refuses a configured server); no conversion required → none runs.
// Transport failures and other exceptions are noted and imply nothing.
func DeriveStatus(provision, conversion error) Status {
	var f facts
	provisionAccepted := false
	for _, p := range []struct {
		port string
		err  error
	}{{ipam.PortIIpamAsyncProvision, provision}, {ipam.PortIIpamAsyncSchemaConversion, conversion}} {
		if p.err == nil {
			if p.port == ipam.PortIIpamAsyncProvision {
				provisionAccepted = true
			} else {
				f.set(fConfigured, true)
			}
			continue
		}
		var re *RemoteError
		if !errors.As(p.err, &re) {
			f.st.Notes = append(f.st.Notes, fmt.Sprintf("%s: no answer: %v", p.port, p.err))
			continue
		}
		switch id := re.ExceptionID(); {
		case id == ipam.IpamApiCallsAreNotAllowedUntilSchemaConversionIsDone:
			f.set(fConfigured, true)
			f.set(fRequired, true)
		case id == ipam.IpamApiCallsAreNotAllowedUntilProvisioningIsDone:
			f.set(fConfigured, false)
		case id == ipam.IpamApiErrorIpamAlreadyProvisioned && p.port == ipam.PortIIpamAsyncProvision:
			f.set(fConfigured, true)
		case id == ipam.IpamApiProvisioningAlreadyInProgress && p.port == ipam.PortIIpamAsyncProvision:
			f.set(fConfigured, false)
			f.set(fProvisioning, true)
		case id == ipam.IpamSchemaConversionNotRequired && p.port == ipam.PortIIpamAsyncSchemaConversion:
			f.set(fConfigured, true)
			f.set(fRequired, false)
		case id == ipam.IpamSchemaConversionAnotherOperationInProgress && p.port == ipam.PortIIpamAsyncSchemaConversion:
			f.set(fConfigured, true)
			f.set(fRequired, true)
			f.set(fConverting, true)
		default:
			f.st.Notes = append(f.st.Notes, fmt.Sprintf("%s: refused with %v, which says nothing about the state", p.port, re))
		}
	}
	// Closure under the spec's rules, applied until nothing changes.
	for range 3 {
		if provisionAccepted && f.st.Configured == Yes {
			f.set(fRequired, false)
		}
		if provisionAccepted && f.st.ConversionRequired == Yes {
			f.set(fConfigured, false)
		}
		if f.st.Configured == No {
			f.set(fRequired, false)
			f.set(fConverting, false)
		}
		if f.st.Configured == Yes {
			f.set(fProvisioning, false)
		}
		if f.st.ConversionRequired == No {
			f.set(fConverting, false)
		}
	}
	return f.st
}
