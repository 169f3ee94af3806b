package services

import (
	"context"
	"time"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

// SchemaConversion is the IIpamAsyncSchemaConversion service (MS-IPAMM2 3.15).
type SchemaConversion struct {
	ADM                *ADM
	Work               SchemaConverter
	CheckpointInterval time.Duration
	Observer           WorkObserver // nil observes nothing
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
func (s *conversionSession) InitializeAsyncSchemaConversion(_ context.Context, req *ipam.InitializeAsyncSchemaConversion) (*ipam.InitializeAsyncSchemaConversionResponse, error) {
	if exc := s.svc.ADM.PreOperation(ipam.PortIIpamAsyncSchemaConversion); exc != nil {
		return nil, exc
	}
	if req.Parameters != nil {
		ot := req.Parameters.Base().ObjectType
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
	if exc := s.svc.ADM.PreOperation(ipam.PortIIpamAsyncSchemaConversion); exc != nil {
		return s.cb.NotifyAsyncSchemaConversionComplete(ctx, exc)
	}
	if exc := s.svc.ADM.BeginConversion(); exc != nil {
		return s.cb.NotifyAsyncSchemaConversionComplete(ctx, exc)
	}
	(&asyncRun{
		interval:   s.svc.CheckpointInterval,
		checkpoint: s.cb.NotifyAsyncSchemaConversionCheckpoint,
		complete:   s.cb.NotifyAsyncSchemaConversionComplete,
		work:       s.svc.Work.ConvertSchema,
		finish:     s.svc.ADM.EndConversion,
		failureID:  ipam.IpamSchemaConversionFailed,
		kind:       WorkSchemaConversion,
		observer:   s.svc.Observer,
	}).start(ctx)
	return nil
}
