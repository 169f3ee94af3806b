// Package services implements the two MS-IPAMM2 duplex port types,
// IIpamAsyncProvision and IIpamAsyncSchemaConversion, on top of the global
// abstract-data-model flags and a Work interface that does the provisioning
// and conversion. It knows nothing about bytes or transports.
package services

import (
	"sync"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

// ADM holds the miscellaneous global states of MS-IPAMM2 3.1.1.3 that gate
// the async port types. This implementation keeps them in process memory.
type ADM struct {
	mu                     sync.Mutex
	configured             bool // ADM_IsIPAMConfigured
	provisioningInProgress bool // ADM_IsIPAMProvisioningInProgress
	conversionRequired     bool // ADM_IsSchemaConversionRequired
	conversionInProgress   bool // ADM_IsSchemaConversionInProgress
}

// ADMState is a snapshot of the flags.
type ADMState struct {
	Configured, ProvisioningInProgress, ConversionRequired, ConversionInProgress bool
}

// NewADM returns the flags as server initialisation (3.1.3) found them.
// conversionRequired is only meaningful for a configured server.
func NewADM(configured, conversionRequired bool) *ADM {
	return &ADM{configured: configured, conversionRequired: configured && conversionRequired}
}

// State returns a snapshot.
func (a *ADM) State() ADMState {
	a.mu.Lock()
	defer a.mu.Unlock()
	return ADMState{a.configured, a.provisioningInProgress, a.conversionRequired, a.conversionInProgress}
}

// PreOperation is steps 3 and 4 of the pre-operation processing (3.1.4.2) for
// an operation of the given port type: before provisioning only
// IIpamAsyncProvision may run; while a schema conversion is required only
// IIpamAsyncSchemaConversion may.
func (a *ADM) PreOperation(portType string) *ipam.IpamException {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.configured && portType != ipam.PortIIpamAsyncProvision {
		return ipam.NewException(ipam.IpamApiCallsAreNotAllowedUntilProvisioningIsDone,
			"the IPAM server is not provisioned yet: only IIpamAsyncProvision is available")
	}
	if a.configured && a.conversionRequired && portType != ipam.PortIIpamAsyncSchemaConversion {
		return ipam.NewException(ipam.IpamApiCallsAreNotAllowedUntilSchemaConversionIsDone,
			"the IPAM data store needs a schema conversion first: only IIpamAsyncSchemaConversion is available")
	}
	return nil
}

// BeginProvisioning is StartAsyncProvisioning's step 1 plus the missing
// "set in progress" (ms-ipamm2.md §3.6): it refuses a second concurrent run
// and an already provisioned server, and otherwise marks provisioning as
// running. The caller must call EndProvisioning exactly once after success.
func (a *ADM) BeginProvisioning() *ipam.IpamException {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.provisioningInProgress {
		return ipam.NewException(ipam.IpamApiProvisioningAlreadyInProgress,
			"another session is already provisioning the IPAM server")
	}
	if a.configured {
		return ipam.NewException(ipam.IpamApiErrorIpamAlreadyProvisioned,
			"the IPAM server is already provisioned")
	}
	a.provisioningInProgress = true
	return nil
}

// EndProvisioning clears the in-progress flag (step 2.7) and, on success,
// sets ADM_IsIPAMConfigured (step 2.3). A freshly provisioned store is at the
// current schema version, so no conversion is required.
func (a *ADM) EndProvisioning(succeeded bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.provisioningInProgress = false
	if succeeded {
		a.configured = true
		a.conversionRequired = false
	}
}

// BeginConversion is StartAsyncSchemaConversion's steps 1–3: refuse a second
// concurrent conversion, mark one as running, and refuse (and unmark) when no
// conversion is required.
func (a *ADM) BeginConversion() *ipam.IpamException {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.conversionInProgress {
		return ipam.NewException(ipam.IpamSchemaConversionAnotherOperationInProgress,
			"another session is already converting the IPAM data store")
	}
	if !a.conversionRequired {
		// The spec does not reset the in-progress flag on this path; we never set it.
		return ipam.NewException(ipam.IpamSchemaConversionNotRequired,
			"the IPAM data store does not need a schema conversion")
	}
	a.conversionInProgress = true
	return nil
}

// EndConversion is steps 5.3–5.4 / 6.3.
func (a *ADM) EndConversion(succeeded bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.conversionInProgress = false
	if succeeded {
		a.conversionRequired = false
	}
}
