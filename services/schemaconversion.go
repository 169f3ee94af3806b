package services

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

// SchemaConversion is the IIpamAsyncSchemaConversion service (MS-IPAMM2 3.15).
type SchemaConversion struct {
	Store              Store
	CheckpointInterval time.Duration
	// MinDuration pads faster work (see asyncRun.minDuration); 0 in production.
	MinDuration time.Duration
	Observer    WorkObserver // nil observes nothing
	// Logger receives a panic recovered in the work (see asyncRun); nil
	// logs nothing.
	Logger *zap.Logger
}

// NewSession returns the port implementation for one session.
func (c *SchemaConversion) NewSession(cb ipam.IIpamAsyncSchemaCallback) ipam.IIpamAsyncSchemaConversion {
	return &conversionSession{svc: c, cb: cb}
}

type conversionSession struct {
	svc *SchemaConversion
	cb  ipam.IIpamAsyncSchemaCallback
}

// InitializeAsyncSchemaConversion (3.15.4.3). The spec defines no derived
// parameter type for conversion; the base type (ObjectType
// AsyncSchemaConversion) or nil is accepted.
func (s *conversionSession) InitializeAsyncSchemaConversion(ctx context.Context, req *ipam.InitializeAsyncSchemaConversion) (*ipam.InitializeAsyncSchemaConversionResponse, error) {
	if exc := PreOperation(ctx, s.svc.Store, ipam.PortIIpamAsyncSchemaConversion); exc != nil {
		return nil, exc
	}
	if req.Parameters != nil {
		ot := req.Parameters.GetEnumerationParametersBase().ObjectType
		if ot != ipam.EnumerationObjectTypeAsyncSchemaConversion {
			return nil, ipam.NewException(ipam.IpamApiInvalidParameter,
				"parameters.ObjectType is %q, want AsyncSchemaConversion", ot)
		}
	}
	return &ipam.InitializeAsyncSchemaConversionResponse{}, nil
}

// StartAsyncSchemaConversion (3.15.4.7).
func (s *conversionSession) StartAsyncSchemaConversion(ctx context.Context, _ *ipam.StartAsyncSchemaConversion) error {
	if err := s.cb.NotifyAsyncSchemaConversionStart(ctx); err != nil {
		return err
	}
	if exc := PreOperation(ctx, s.svc.Store, ipam.PortIIpamAsyncSchemaConversion); exc != nil {
		return s.cb.NotifyAsyncSchemaConversionComplete(ctx, nil, exc)
	}
	job, err := s.svc.Store.BeginConversion(ctx)
	if err != nil {
		return s.cb.NotifyAsyncSchemaConversionComplete(ctx, nil, asException(err, ipam.IpamSchemaConversionFailed))
	}
	(&asyncRun{
		interval:    s.svc.CheckpointInterval,
		minDuration: s.svc.MinDuration,
		checkpoint:  func(ctx context.Context) error { return s.cb.NotifyAsyncSchemaConversionCheckpoint(ctx, nil) },
		complete: func(ctx context.Context, exc *ipam.IpamException) error {
			return s.cb.NotifyAsyncSchemaConversionComplete(ctx, nil, exc)
		},
		job:       job,
		failureID: ipam.IpamSchemaConversionFailed,
		kind:      WorkSchemaConversion,
		observer:  s.svc.Observer,
		log:       s.svc.Logger,
	}).start(ctx)
	return nil
}
