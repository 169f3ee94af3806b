package loadgen

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/ipamd/ipamd/client"
)

// initialize connects and initializes one provisioning session; each step is
// bounded by cfg.SessionTimeout.
func initialize(ctx context.Context, cfg Config, c *client.Client) (*client.Session, error) {
	sctx, cancel := context.WithTimeout(ctx, cfg.SessionTimeout)
	defer cancel()
	conn, err := c.Dial(sctx, cfg.Target)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errConnect, err)
	}
	s, err := c.NewSession(conn, client.Provisioning)
	if err != nil {
		conn.Abort()
		return nil, err
	}
	if err := s.Initialize(sctx, client.ProvisioningParameters(nil)); err != nil {
		s.Abort()
		return nil, err
	}
	return s, nil
}

// finish runs a held session to its end: Start, the callbacks, End. A
// session the server dropped while it was held fails here.
func finish(ctx context.Context, cfg Config, s *client.Session) (bool, error) {
	sctx, cancel := context.WithTimeout(ctx, cfg.SessionTimeout)
	defer cancel()
	err := s.Start(sctx)
	if err == nil {
		err = s.Wait(sctx, nil)
	}
	completed := s.Result().Completed
	cctx := sctx
	if sctx.Err() != nil {
		cctx = context.WithoutCancel(sctx) // the Dialer's CloseTimeout bounds it
	}
	if cerr := s.Close(cctx); cerr != nil && err == nil {
		err = cerr
	}
	return completed, err
}

// parallel runs f(i) for i in [0,n) on at most workers goroutines.
func parallel(n, workers int, f func(i int)) {
	var (
		wg   sync.WaitGroup
		next = make(chan int)
	)
	for range min(workers, n) {
		wg.Go(func() {
			for i := range next {
				f(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// runHold initializes Count sessions (Clients at a time), holds them for
// Duration with keepalives, reads the server's memory, then runs each to
// completion: a session that timed out while held shows up as an error.
func runHold(ctx context.Context, cfg Config, r *Report) error {
	c := cfg.client()
	if cfg.ServerMemory != nil {
		m, err := cfg.ServerMemory()
		if err != nil {
			return fmt.Errorf("loadgen: server memory: %w", err)
		}
		r.MemoryBefore = m
	}
	t := newTally()
	sessions := make([]*client.Session, cfg.Count)
	initLat := make([]time.Duration, cfg.Count)
	t0 := time.Now()
	parallel(cfg.Count, cfg.Clients, func(i int) {
		if ctx.Err() != nil {
			return
		}
		s0 := time.Now()
		s, err := initialize(ctx, cfg, c)
		if err != nil {
			t.session(0, false, err)
			return
		}
		initLat[i] = time.Since(s0)
		sessions[i] = s
	})
	r.AllInitialized = time.Since(t0)
	lat := initLat[:0]
	for i, s := range sessions {
		if s != nil {
			r.Held++
			lat = append(lat, initLat[i])
		}
	}

	// Hold. The memory is read halfway, when every session has been idle
	// for a while and the server's per-session state has settled.
	hold := time.NewTimer(cfg.Duration / 2)
	select {
	case <-ctx.Done():
	case <-hold.C:
	}
	hold.Stop()
	if cfg.ServerMemory != nil && r.Held > 0 {
		if m, err := cfg.ServerMemory(); err == nil {
			r.MemoryHeld = m
			r.MemoryPerSession = (m - r.MemoryBefore) / int64(r.Held)
		}
	}
	hold = time.NewTimer(cfg.Duration - cfg.Duration/2)
	select {
	case <-ctx.Done():
	case <-hold.C:
	}
	hold.Stop()

	parallel(cfg.Count, cfg.Clients, func(i int) {
		if sessions[i] == nil {
			return
		}
		done, err := finish(ctx, cfg, sessions[i])
		t.session(0, done, err)
	})
	r.Elapsed = time.Since(t0)
	t.fill(r)
	r.Latency = summarize(lat) // the Initialize times; finishing is not timed
	return nil
}

// runBurst releases Count clients at one instant; each connects and
// initializes. AllInitialized is the time from the release to the last
// initialized session; then every session is ended.
func runBurst(ctx context.Context, cfg Config, r *Report) {
	c := cfg.client()
	t := newTally()
	sessions := make([]*client.Session, cfg.Count)
	lat := make([]time.Duration, cfg.Count)
	gate := make(chan struct{})
	var ready, wg sync.WaitGroup
	ready.Add(cfg.Count)
	var t0 time.Time
	for i := range cfg.Count {
		wg.Go(func() {
			ready.Done()
			<-gate
			s, err := initialize(ctx, cfg, c)
			if err != nil {
				t.session(0, false, err)
				return
			}
			lat[i] = time.Since(t0)
			sessions[i] = s
		})
	}
	ready.Wait()
	t0 = time.Now()
	close(gate)
	wg.Wait()
	l := lat[:0]
	for i, s := range sessions {
		if s != nil {
			l = append(l, lat[i])
		}
	}
	r.Held = len(l)
	r.Latency = summarize(l)
	r.AllInitialized = r.Latency.Max
	r.Sessions = len(l)
	parallel(cfg.Count, max(cfg.Clients, 64), func(i int) {
		if s := sessions[i]; s != nil {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.SessionTimeout)
			if err := s.Close(cctx); err != nil {
				t.session(0, false, err)
			}
			cancel()
		}
	})
	r.Elapsed = time.Since(t0)
	var tmp Report
	t.fill(&tmp)
	r.Errors = tmp.Errors
}
