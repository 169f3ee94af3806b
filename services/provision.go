package services

import (
	"context"
	"time"
	"unicode/utf8"

	"go.uber.org/zap"

	"github.com/ipamd/ipamd/services/adm"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// Provision is the IIpamAsyncProvision service (MS-IPAMM2 3.11). It is shared
// by all sessions; NewSession makes the per-session port implementation.
type Provision struct {
	Store              Store
	CheckpointInterval time.Duration
	// MinDuration pads faster work (see asyncRun.minDuration); 0 in production.
	MinDuration time.Duration
	Observer    WorkObserver // nil observes nothing
	// Logger receives a panic recovered in the work (see asyncRun); nil
	// logs nothing.
	Logger *zap.Logger
}

// NewSession returns the port implementation for one session whose client
// implements cb.
func (p *Provision) NewSession(cb ipam.IIpamAsyncProvisionCallback) ipam.IIpamAsyncProvision {
	return &provisionSession{svc: p, cb: cb}
}

type provisionSession struct {
	svc     *Provision
	cb      ipam.IIpamAsyncProvisionCallback
	setting *ipam.IpamProvisioningSetting
}

// InitializeAsyncProvisioning (3.11.4.3) keeps the provisioning settings for
// Start. Like the synchronous DoProvisioningWithEnumerator (3.3.4.37), it
// needs IpamProvisioningEnumerationParameters with ObjectType AsyncProvision.
func (s *provisionSession) InitializeAsyncProvisioning(ctx context.Context, req *ipam.InitializeAsyncProvisioning) (*ipam.InitializeAsyncProvisioningResponse, error) {
	if exc := PreOperation(ctx, s.svc.Store, ipam.PortIIpamAsyncProvision); exc != nil {
		return nil, exc
	}
	params, ok := req.Parameters.(*ipam.IpamProvisioningEnumerationParameters)
	if !ok || params == nil {
		return nil, ipam.NewException(ipam.IpamApiInvalidParameter,
			"InitializeAsyncProvisioning needs parameters of type IpamProvisioningEnumerationParameters")
	}
	if params.ObjectType != ipam.EnumerationObjectTypeAsyncProvision {
		return nil, ipam.NewException(ipam.IpamApiInvalidParameter,
			"parameters.ObjectType is %q, want AsyncProvision", params.ObjectType)
	}
	setting := params.IpamProvisioningSetting
	if setting == nil {
		setting = &ipam.IpamProvisioningSetting{}
	}
	if exc := validateSetting(setting); exc != nil {
		return nil, exc
	}
	s.setting = setting
	return &ipam.InitializeAsyncProvisioningResponse{}, nil
}

// validateSetting checks what can be checked before the work starts.
func validateSetting(s *ipam.IpamProvisioningSetting) *ipam.IpamException {
	if s.GpoPrefix != nil {
		if n := utf8.RuneCountInString(*s.GpoPrefix); n < 1 || n > 240 {
			return ipam.NewException(ipam.IpamApiInvalidGpoPrefix,
				"GpoPrefix has %d characters; it must have 1 to 240", n)
		}
	}
	if s.ProvisioningMethod == ipam.ProvisioningMethodAutomatic && s.GpoPrefix == nil {
		return ipam.NewException(ipam.IpamApiInvalidGpoPrefix,
			"ProvisioningMethod Automatic needs a GpoPrefix of 1 to 240 characters")
	}
	return nil
}

// StartAsyncProvisioning (3.11.4.7): NotifyAsyncProvisionStart first, then
// the gating steps, then the work in its own goroutine. Every failure is
// reported in NotifyAsyncProvisionComplete.
func (s *provisionSession) StartAsyncProvisioning(ctx context.Context, _ *ipam.StartAsyncProvisioning) error {
	if err := s.cb.NotifyAsyncProvisionStart(ctx); err != nil {
		return err
	}
	st, exc := preOperation(ctx, s.svc.Store, ipam.PortIIpamAsyncProvision)
	if exc != nil {
		return s.cb.NotifyAsyncProvisionComplete(ctx, nil, exc)
	}
	if !st.Configured {
		// From here on the store is read and written: Notify…Start
		// leaves now, not held until the request's handling ends
		// (ipam.FlushCallbacks). A provisioned store refuses at once,
		// from memory, and Start and Complete then leave together.
		ipam.FlushCallbacks(ctx)
	}
	job, err := s.svc.Store.BeginProvisioning(ctx, s.setting)
	if err != nil {
		return s.cb.NotifyAsyncProvisionComplete(ctx, nil, adm.Exception(err, ipam.IpamApiUnabletoProvisionIpam))
	}
	(&asyncRun{
		interval:    s.svc.CheckpointInterval,
		minDuration: s.svc.MinDuration,
		// ipamd reports no IpamObjects: data and result are nil (i:nil).
		checkpoint: func(ctx context.Context) error { return s.cb.NotifyAsyncProvisionCheckpoint(ctx, nil) },
		complete: func(ctx context.Context, exc *ipam.IpamException) error {
			return s.cb.NotifyAsyncProvisionComplete(ctx, nil, exc)
		},
		job:       job,
		failureID: ipam.IpamApiUnabletoProvisionIpam,
		kind:      WorkProvisioning,
		observer:  s.svc.Observer,
		log:       s.svc.Logger,
	}).start(ctx)
	return nil
}
