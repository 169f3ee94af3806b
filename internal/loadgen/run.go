package loadgen

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipamd/ipamd/client"
	"github.com/ipamd/ipamd/duplex/nmf"
)

// Run runs cfg against its target and reports. The error is for a run that
// could not take place (configuration, target refused); failed sessions are
// counted in the Report, not returned.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	r := &Report{Mode: cfg.Mode, Target: cfg.Target, Server: "ipamd", Encoding: EncodingName(cfg.Encoding)}
	switch cfg.Mode {
	case ModeSessions:
		one, err := cfg.sessionFunc()
		if err != nil {
			return nil, err
		}
		runSessions(ctx, cfg, r, one, cfg.ServerCPU)
	case ModeHold:
		if err := runHold(ctx, cfg, r); err != nil {
			return nil, err
		}
	case ModeBurst:
		runBurst(ctx, cfg, r)
	}
	return r, nil
}

func (c Config) client() *client.Client {
	return &client.Client{
		Encoding:          c.Encoding,
		KeepaliveInterval: c.KeepaliveInterval,
		Dialer: nmf.Dialer{
			HandshakeTimeout: c.SessionTimeout,
			ReadTimeout:      c.SessionTimeout,
			WriteTimeout:     c.SessionTimeout,
			CloseTimeout:     c.SessionTimeout,
		},
	}
}

// sessionFunc is the session of cfg.Client against cfg.Target.
func (c Config) sessionFunc() (sessionFunc, error) {
	if c.Client == ClientReal {
		return c.session, nil
	}
	l, err := newLeanClient(c.Target, c.Encoding, c.SessionTimeout)
	if err != nil {
		return nil, err
	}
	return l.session, nil
}

// sessionFunc runs one whole session and says how long it took, whether it
// ran to its end, and its error.
type sessionFunc func(ctx context.Context) (d time.Duration, completed bool, err error)

// session is one whole provisioning session against cfg.Target.
func (c Config) session(ctx context.Context) (time.Duration, bool, error) {
	return c.sessionWith(c.client())(ctx)
}

func (c Config) sessionWith(cl *client.Client) sessionFunc {
	return func(ctx context.Context) (time.Duration, bool, error) {
		t0 := time.Now()
		sctx, cancel := context.WithTimeout(ctx, c.SessionTimeout)
		defer cancel()
		conn, err := cl.Dial(sctx, c.Target)
		if err != nil {
			return 0, false, fmt.Errorf("%w: %w", errConnect, err)
		}
		res, err := cl.Provision(sctx, conn, nil, nil)
		return time.Since(t0), res.Completed, err
	}
}

// runSessions: Clients goroutines run sessions (one) back to back until
// Count sessions were started or Duration passed.
// serverCPU, when set, reads the server process's CPU time.
func runSessions(ctx context.Context, cfg Config, r *Report, one sessionFunc, serverCPU func() (time.Duration, error)) {
	r.Clients = cfg.Clients
	r.Client = cfg.Client
	for range cfg.Warmup {
		if _, _, err := one(ctx); err != nil {
			break
		}
	}
	t := newTally()
	var started atomic.Int64
	rctx := ctx
	if cfg.Duration > 0 {
		var cancel context.CancelFunc
		rctx, cancel = context.WithTimeout(ctx, cfg.Duration)
		defer cancel()
	}
	clientCPU, srvCPU := newCPUMeter(selfCPU), newCPUMeter(serverCPU)
	t0 := time.Now()
	var wg sync.WaitGroup
	for range cfg.Clients {
		wg.Go(func() {
			for rctx.Err() == nil {
				if cfg.Count > 0 && started.Add(1) > int64(cfg.Count) {
					return
				}
				// A session started before the deadline runs to its end
				// (bounded by SessionTimeout): cutting it would count a
				// healthy session as an error.
				d, done, err := one(ctx)
				t.session(d, done, err)
			}
		})
	}
	wg.Wait()
	r.Elapsed = time.Since(t0)
	t.fill(r)
	r.ClientCPU, r.ClientCPUPerSession = clientCPU.perSession(r.Sessions)
	r.ServerCPU, r.ServerCPUPerSession = srvCPU.perSession(r.Sessions)
	if r.Elapsed > 0 {
		r.Rate = float64(r.Sessions) / r.Elapsed.Seconds()
	}
}
