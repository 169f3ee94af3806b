// Package services implements the two MS-IPAMM2 duplex port types,
// IIpamAsyncProvision and IIpamAsyncSchemaConversion, on top of a Store
// that holds the global abstract-data-model flags and does the
// provisioning and conversion work. It knows nothing about bytes,
// transports or SQL: the daemon plugs in the real data store (package
// store), tests and the dev settings the in-memory Memory.
package services

import (
	"context"
	"errors"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

// ADMState is a snapshot of the miscellaneous global states of MS-IPAMM2
// 3.1.1.3 that gate the async port types.
type ADMState struct {
	Configured             bool // ADM_IsIPAMConfigured
	ProvisioningInProgress bool // ADM_IsIPAMProvisioningInProgress
	ConversionRequired     bool // ADM_IsSchemaConversionRequired
	ConversionInProgress   bool // ADM_IsSchemaConversionInProgress
}

// Store is the IPAM data store as the port types use it. Its flags must
// hold for every session of the process and, for a shared store, for
// every process: Begin* atomically check and set the in-progress mark.
type Store interface {
	// State returns the flags (initialization, 3.1.3, and what happened since).
	State(ctx context.Context) (ADMState, error)
	// BeginProvisioning is StartAsyncProvisioning's step 1 plus the missing
	// "set in progress" (docs/protocol.md#startasyncprovisioning-steps): it refuses a second run
	// (IpamApiProvisioningAlreadyInProgress), a provisioned server
	// (IpamApiErrorIpamAlreadyProvisioned) and settings the store cannot
	// honour, and otherwise returns the job holding the mark.
	BeginProvisioning(ctx context.Context, setting *ipam.IpamProvisioningSetting) (Job, error)
	// BeginConversion is StartAsyncSchemaConversion's steps 1–3: refuse a
	// second conversion (IpamSchemaConversionAnotherOperationInProgress),
	// take the mark, refuse when none is required
	// (IpamSchemaConversionNotRequired) without keeping it.
	BeginConversion(ctx context.Context) (Job, error)
}

// Job is one provisioning or conversion that holds its in-progress mark
// until End.
type Job interface {
	// Run does the work. Failures are *ipam.IpamException, or errors that
	// become the port type's generic failure id.
	Run(ctx context.Context) error
	// End clears the mark and settles the flags (provisioning steps 2.3 and
	// 2.7; conversion steps 5.3–5.4 / 6.3). An error after a successful
	// Run means the result did not hold and is reported as a failure.
	End(ctx context.Context, succeeded bool) error
}

// PreOperation is steps 3 and 4 of the pre-operation processing (3.1.4.2)
// for an operation of the given port type: before provisioning only
// IIpamAsyncProvision may run; while a schema conversion is required only
// IIpamAsyncSchemaConversion may.
func PreOperation(ctx context.Context, s Store, portType string) *ipam.IpamException {
	st, err := s.State(ctx)
	if err != nil {
		return asException(err, ipam.IpamApiGenericErrorOccurred)
	}
	if !st.Configured && portType != ipam.PortIIpamAsyncProvision {
		return ipam.NewException(ipam.IpamApiCallsAreNotAllowedUntilProvisioningIsDone,
			"the IPAM server is not provisioned yet: only IIpamAsyncProvision is available")
	}
	if st.Configured && st.ConversionRequired && portType != ipam.PortIIpamAsyncSchemaConversion {
		return ipam.NewException(ipam.IpamApiCallsAreNotAllowedUntilSchemaConversionIsDone,
			"the IPAM data store needs a schema conversion first: only IIpamAsyncSchemaConversion is available")
	}
	return nil
}

// asException returns err as an IpamException: itself when it is one (or
// wraps one), otherwise one with the fallback id and err's text.
func asException(err error, fallback string) *ipam.IpamException {
	var exc *ipam.IpamException
	if errors.As(err, &exc) {
		return exc
	}
	return ipam.NewException(fallback, "%v", err)
}
