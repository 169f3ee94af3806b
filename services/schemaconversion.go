package services

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/ipamd/ipamd/services/adm"
	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// SchemaConversion is the IIpamAsyncSchemaConversion service (MS-IPAMM2 3.15).
type SchemaConversion struct {
	Store              Store
	CheckpointInterval time.Duration
	// MinDuration pads faster work (see asyncRun.minDuration); 0 in production.
	MinDuration time.Duration
	Observer    WorkObserver // nil observes nothing
	// Logger receives a panic recovered in the work (see asyncRun) and
	// notes unusual Initialize parameters; nil logs nothing.
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

// InitializeAsyncSchemaConversion (3.15.4.3). The spec specifies no
// processing of parameters (and defines no parameter type for conversion),
// so any parameters the schema allows are accepted, nil included; what a
// conforming client would not send (an ObjectType other than
// AsyncSchemaConversion, a derived type) is logged, in bounded fields, so
// an operator can see an unusual client without the client being refused.
func (s *conversionSession) InitializeAsyncSchemaConversion(ctx context.Context, req *ipam.InitializeAsyncSchemaConversion) (*ipam.InitializeAsyncSchemaConversionResponse, error) {
	if exc := PreOperation(ctx, s.svc.Store, ipam.PortIIpamAsyncSchemaConversion); exc != nil {
		return nil, exc
	}
	if p := req.Parameters; p != nil && s.svc.Logger != nil {
		ot := p.GetEnumerationParametersBase().ObjectType
		_, base := p.(*ipam.EnumerationParametersBase)
		if ot != ipam.EnumerationObjectTypeAsyncSchemaConversion || !base {
			s.svc.Logger.Info("InitializeAsyncSchemaConversion: unusual parameters accepted (the operation does not use them)",
				zap.String("object_type", soap.EchoMax(string(ot), 64)),
				zap.String("parameters_type", fmt.Sprintf("%T", p))) // one of the generated types
		}
	}
	return &ipam.InitializeAsyncSchemaConversionResponse{}, nil
}

// StartAsyncSchemaConversion (3.15.4.7).
func (s *conversionSession) StartAsyncSchemaConversion(ctx context.Context, _ *ipam.StartAsyncSchemaConversion) error {
	if err := s.cb.NotifyAsyncSchemaConversionStart(ctx); err != nil {
		return err
	}
	// The gating and BeginConversion read the store (a store that needs
	// conversion is re-read on every State) and take its lease:
	// Notify…Start leaves first, not held until the handling ends.
	ipam.FlushCallbacks(ctx)
	if exc := PreOperation(ctx, s.svc.Store, ipam.PortIIpamAsyncSchemaConversion); exc != nil {
		return s.cb.NotifyAsyncSchemaConversionComplete(ctx, nil, exc)
	}
	job, err := s.svc.Store.BeginConversion(ctx)
	if err != nil {
		return s.cb.NotifyAsyncSchemaConversionComplete(ctx, nil, adm.Exception(err, ipam.IpamSchemaConversionFailed))
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
