// Package services implements the two MS-IPAMM2 duplex port types,
// IIpamAsyncProvision and IIpamAsyncSchemaConversion, on top of a Store
// that holds the global abstract-data-model flags and does the
// provisioning and conversion work. It knows nothing about bytes,
// transports or SQL: the daemon plugs in the real data store (package
// store), tests and the dev settings the in-memory Memory.
package services

import (
	"context"

	"github.com/ipamd/ipamd/services/adm"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// ADMState is a snapshot of the miscellaneous global states of MS-IPAMM2
// 3.1.1.3 that gate the async port types (package adm holds the rules).
type ADMState = adm.State

// Store is the IPAM data store as the port types use it. Its flags must
// hold for every session of the process and, for a shared store, for
// every process: Begin* atomically check and set the in-progress mark.
type Store interface {
	// State returns the flags (initialization, 3.1.3, and what happened since).
	State(ctx context.Context) (ADMState, error)
	// BeginProvisioning is StartAsyncProvisioning's step 1 plus the missing
	// "set in progress" (docs/protocol.md#startasyncprovisioning-steps): it
	// refuses what ADMState.MayBeginProvisioning refuses on its flags
	// (adm.ErrProvisioningInProgress, adm.ErrAlreadyProvisioned) and
	// settings the store cannot honour, and otherwise returns the job
	// holding the mark. Errors go through adm.Exception.
	BeginProvisioning(ctx context.Context, setting *ipam.IpamProvisioningSetting) (Job, error)
	// BeginConversion is StartAsyncSchemaConversion's steps 1–3: it refuses
	// what ADMState.MayBeginConversion refuses (adm.ErrConversionInProgress,
	// adm.ErrNotProvisioned, adm.ErrConversionNotRequired) without keeping
	// the mark, and otherwise returns the job holding it.
	BeginConversion(ctx context.Context) (Job, error)
}

// Job is one provisioning or conversion that holds its in-progress mark
// until End.
type Job = adm.Job

// PreOperation is steps 3 and 4 of the pre-operation processing (3.1.4.2)
// for an operation of the given port type: before provisioning only
// IIpamAsyncProvision may run; while a schema conversion is required only
// IIpamAsyncSchemaConversion may. The decision is adm.State.Admit, the
// same for every port type, a third one included.
func PreOperation(ctx context.Context, s Store, portType string) *ipam.IpamException {
	_, exc := preOperation(ctx, s, portType)
	return exc
}

// preOperation is PreOperation with the flags it decided on.
func preOperation(ctx context.Context, s Store, portType string) (ADMState, *ipam.IpamException) {
	st, err := s.State(ctx)
	if err == nil {
		err = st.Admit(portType)
	}
	return st, adm.Exception(err, ipam.IpamApiGenericErrorOccurred)
}
