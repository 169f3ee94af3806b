package services

import (
	"context"
	"time"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

// Provisioner does the provisioning work of StartAsyncProvisioning step 2:
// set up the data store and the security groups. It returns an
// *ipam.IpamException (or an error that becomes IpamApiUnabletoProvisionIpam).
type Provisioner interface {
	Provision(ctx context.Context, setting *ipam.IpamProvisioningSetting) error
}

// SchemaConverter converts the data store to the current schema version
// (StartAsyncSchemaConversion step 4).
type SchemaConverter interface {
	ConvertSchema(ctx context.Context) error
}

// MemoryWork is the in-memory stand-in for the IPAM data store: it takes
// Duration and then succeeds, or fails with FailWith when that is set. It
// exists so the protocol layers can be exercised before the real store; it
// stores nothing.
type MemoryWork struct {
	Duration time.Duration
	// FailWith is an IpamExceptionId to fail with ("" = succeed).
	FailWith string
}

// Provision waits Duration (or until ctx ends) and reports the configured outcome.
func (m *MemoryWork) Provision(ctx context.Context, _ *ipam.IpamProvisioningSetting) error {
	return m.run(ctx, "provisioning")
}

// ConvertSchema waits Duration (or until ctx ends) and reports the configured outcome.
func (m *MemoryWork) ConvertSchema(ctx context.Context) error {
	return m.run(ctx, "schema conversion")
}

func (m *MemoryWork) run(ctx context.Context, what string) error {
	t := time.NewTimer(m.Duration)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
	}
	if m.FailWith != "" {
		return ipam.NewException(m.FailWith, "in-memory %s failed by configuration (dev.fail_with)", what)
	}
	return nil
}
