// Package adm is the one home of the MS-IPAMM2 abstract data model's global
// state as the async port types see it (3.1.1.3), the rules that gate the
// port types on it (3.1.4.2, 3.11.4.7, 3.15.4.7), the job that holds an
// in-progress mark, and the domain errors those rules raise with the one
// table that turns any error into the IpamException a client sees
// (docs/protocol.md#where-the-rules-live).
//
// It is a leaf: the data store (package store) returns its errors and the
// services (package services) and sessions map them, so both import it and
// neither imports the other.
package adm

import (
	"context"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

// State is a snapshot of the miscellaneous global states of 3.1.1.3.
type State struct {
	Configured             bool // ADM_IsIPAMConfigured
	ProvisioningInProgress bool // ADM_IsIPAMProvisioningInProgress
	ConversionRequired     bool // ADM_IsSchemaConversionRequired
	ConversionInProgress   bool // ADM_IsSchemaConversionInProgress
	// SchemaVersion is ADM_IPAMSchemaVersion, "" when the store does not
	// say (not provisioned, or the in-memory stand-in).
	SchemaVersion string
}

// Job is one provisioning or conversion that holds its in-progress mark
// from the store's Begin… until End.
type Job interface {
	// Run does the work. Its error goes through Exception with the port
	// type's generic failure id as the fallback.
	Run(ctx context.Context) error
	// End clears the mark and settles the flags (provisioning steps 2.3 and
	// 2.7; conversion steps 5.3–5.4 / 6.3). An error after a successful
	// Run means the result did not hold and is reported as a failure;
	// wrapping ErrNotSettled lets its text reach the client.
	End(ctx context.Context, succeeded bool) error
}

// Admit is steps 3 and 4 of the pre-operation processing (3.1.4.2) for an
// operation of the port type port (an ipam.Port… name): before
// provisioning only IIpamAsyncProvision may run (ErrNotConfigured); while
// a schema conversion is required only IIpamAsyncSchemaConversion may
// (ErrConversionPending). Any other port type (IIpamEnumerator, …) is
// gated like every non-provisioning, non-conversion port.
func (s State) Admit(port string) error {
	if !s.Configured && port != ipam.PortIIpamAsyncProvision {
		return ErrNotConfigured
	}
	if s.Configured && s.ConversionRequired && port != ipam.PortIIpamAsyncSchemaConversion {
		return ErrConversionPending
	}
	return nil
}

// MayBeginProvisioning is StartAsyncProvisioning's step 1 (3.11.4.7): a
// second provisioning is refused (ErrProvisioningInProgress), then a
// provisioned server (ErrAlreadyProvisioned). A store that can check
// more (the database's own mark, the requested database) does so after.
func (s State) MayBeginProvisioning() error {
	if s.ProvisioningInProgress {
		return ErrProvisioningInProgress
	}
	if s.Configured {
		return ErrAlreadyProvisioned
	}
	return nil
}

// MayBeginConversion is StartAsyncSchemaConversion's steps 1 and 3
// (3.15.4.7): a second conversion is refused (ErrConversionInProgress),
// then a server with nothing to convert: not provisioned
// (ErrNotProvisioned) or at the current schema (ErrConversionNotRequired).
// The spec sets the mark (step 2) before step 3 and never clears it on that
// path; a caller takes the mark only when this returns nil, so the mark
// does not outlive a refusal.
func (s State) MayBeginConversion() error {
	if s.ConversionInProgress {
		return ErrConversionInProgress
	}
	if !s.Configured {
		return ErrNotProvisioned
	}
	if !s.ConversionRequired {
		return ErrConversionNotRequired
	}
	return nil
}
