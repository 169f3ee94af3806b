package loadgen

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
)

// Ceiling names a reference server measured in the same run as ipamd.
type Ceiling string

// The ceilings.
const (
	// CeilingCanned: the canned-bytes server (framing parse only).
	CeilingCanned Ceiling = "canned"
	// CeilingEcho: a raw TCP echo carrying the same round trips and bytes.
	CeilingEcho Ceiling = "echo"
)

// Machine is what the figures were measured on.
type Machine struct {
	CPU        string `json:"cpu"`
	Cores      int    `json:"cores"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	OS         string `json:"os"`
	Go         string `json:"go"`
}

// ThisMachine describes the host this process runs on.
func ThisMachine() Machine {
	m := Machine{Cores: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		OS: runtime.GOOS + "/" + runtime.GOARCH, Go: runtime.Version(), CPU: "unknown"}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}

// Comparison is a Sessions run of ipamd with its ceilings, measured one
// after the other with the same clients and bounds, in one round or in
// several (Config.Rounds).
type Comparison struct {
	Machine Machine `json:"machine"`
	// Runs: ipamd first, then each ceiling; round after round, the order
	// swapped in every other one (Report.Round).
	Runs []*Report `json:"runs"`
	// Ratios: ipamd's sessions/s divided by each ceiling's; in rounds, the
	// median of the rounds' ratios.
	Ratios map[Ceiling]float64 `json:"ratios,omitempty"`
	// RoundRatios: each round's ratio, in round order (Config.Rounds > 1).
	RoundRatios map[Ceiling][]float64 `json:"round_ratios,omitempty"`
	// ClientCheck: the canned ceiling at several client counts.
	ClientCheck *ClientCheck `json:"client_check,omitempty"`
}

// ClientCheck shows whether the client limits the canned ceiling: the
// ceiling measured at the run's client count (Measured) against the best of
// several client counts. A client that is the bottleneck leaves the server
// idle at some counts, and the best would be well above what was measured.
type ClientCheck struct {
	Clients []int     `json:"clients"`
	Rates   []float64 `json:"sessions_per_second"`
	// Best of Rates and Measured; Measured is the run's canned ceiling (in
	// rounds, the median of the rounds').
	Best     float64 `json:"best"`
	Measured float64 `json:"measured"`
	// OfBest = Measured / Best; NotLimited: OfBest ≥ 0.9.
	OfBest     float64 `json:"measured_of_best"`
	NotLimited bool    `json:"client_not_the_limit"`
}

// Compare runs cfg (a Sessions run) against its target, then against each
// ceiling started for the occasion; in cfg.Rounds rounds, ipamd and the
// ceilings in turn.
func Compare(ctx context.Context, cfg Config, ceilings []Ceiling) (*Comparison, error) {
	if cfg.Mode != ModeSessions && len(ceilings) > 0 {
		return nil, fmt.Errorf("%w: ceilings are measured for the sessions mode only", ErrConfig)
	}
	rounds := max(cfg.Rounds, 1) // Rounds with a Count: Run's Validate refuses it
	round := cfg.withDefaults()
	round.Duration /= time.Duration(rounds)
	cmp := &Comparison{Machine: ThisMachine()}
	ratios := map[Ceiling][]float64{}
	canned := []float64{}
	for i := range rounds {
		var r *Report
		got := map[Ceiling]*Report{}
		runIPAMD := func() error {
			var err error
			r, err = Run(ctx, round)
			return err
		}
		runCeilings := func() error {
			for _, c := range ceilings {
				cr, err := runCeiling(ctx, round, c)
				if err != nil {
					return err
				}
				got[c] = cr
			}
			return nil
		}
		steps := []func() error{runIPAMD, runCeilings}
		if i%2 == 1 {
			steps[0], steps[1] = steps[1], steps[0]
		}
		for _, step := range steps {
			if err := step(); err != nil {
				return nil, err
			}
		}
		if rounds > 1 {
			r.Round = i + 1
		}
		cmp.Runs = append(cmp.Runs, r)
		for _, c := range ceilings {
			cr := got[c]
			cr.Round = r.Round
			cmp.Runs = append(cmp.Runs, cr)
			if cr.Rate > 0 {
				ratios[c] = append(ratios[c], r.Rate/cr.Rate)
			}
			if c == CeilingCanned {
				canned = append(canned, cr.Rate)
			}
		}
	}
	for c, rs := range ratios {
		if cmp.Ratios == nil {
			cmp.Ratios = map[Ceiling]float64{}
		}
		cmp.Ratios[c] = median(rs)
		if rounds > 1 {
			if cmp.RoundRatios == nil {
				cmp.RoundRatios = map[Ceiling][]float64{}
			}
			cmp.RoundRatios[c] = rs
		}
	}
	if len(canned) > 0 && len(cfg.ClientCheck) > 0 {
		chk, err := checkClient(ctx, cfg.withDefaults(), median(canned))
		if err != nil {
			return nil, err
		}
		cmp.ClientCheck = chk
	}
	return cmp, nil
}

// median of xs (not empty): the middle value, or the mean of the middle two.
func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// checkClient measures the canned ceiling at each of cfg.ClientCheck's
// client counts for cfg.CheckDuration (default: Duration, at most 3s).
func checkClient(ctx context.Context, cfg Config, measured float64) (*ClientCheck, error) {
	chk := &ClientCheck{Measured: measured, Best: measured}
	d := cfg.CheckDuration
	if d <= 0 {
		d = min(cfg.Duration, 3*time.Second)
	}
	for _, n := range cfg.ClientCheck {
		if n <= 0 || n > MaxClients {
			return nil, fmt.Errorf("%w: client check count %d outside 1..%d", ErrConfig, n, MaxClients)
		}
		c := cfg
		c.Clients, c.Duration, c.Count = n, d, 0
		cr, err := runCeiling(ctx, c, CeilingCanned)
		if err != nil {
			return nil, err
		}
		if cr.ErrorCount() > 0 {
			return nil, fmt.Errorf("loadgen: client check at %d clients: errors %v", n, cr.Errors)
		}
		chk.Clients = append(chk.Clients, n)
		chk.Rates = append(chk.Rates, cr.Rate)
		chk.Best = max(chk.Best, cr.Rate)
	}
	if chk.Best > 0 {
		chk.OfBest = chk.Measured / chk.Best
	}
	chk.NotLimited = chk.OfBest >= 0.9
	return chk, nil
}

func runCeiling(ctx context.Context, cfg Config, c Ceiling) (*Report, error) {
	u, err := url.Parse(cfg.Target)
	if err != nil {
		return nil, fmt.Errorf("%w: target: %w", ErrConfig, err)
	}
	if c != CeilingCanned && c != CeilingEcho {
		return nil, fmt.Errorf("%w: ceiling %q (canned or echo)", ErrConfig, c)
	}
	r := &Report{Mode: ModeSessions, Server: string(c), Encoding: EncodingName(cfg.Encoding)}
	// Where the ceiling runs: in a process of its own when the caller can
	// start one, else here.
	var (
		addr      string
		serverCPU func() (time.Duration, error)
	)
	switch {
	case cfg.StartCeiling != nil:
		a, pid, stop, err := cfg.StartCeiling(ctx, c, cfg.Encoding, u.Path)
		if err != nil {
			return nil, fmt.Errorf("loadgen: start the %s ceiling: %w", c, err)
		}
		defer stop()
		addr = a
		r.Separate = true
		if pid > 0 {
			serverCPU = func() (time.Duration, error) { return ProcessCPU(pid) }
		}
	case c == CeilingCanned:
		canned, err := StartCanned(cfg.Encoding, u.Path)
		if err != nil {
			return nil, err
		}
		defer func() { _ = canned.Close() }()
		addr = canned.ln.Addr().String()
	default:
		echo, err := StartEcho()
		if err != nil {
			return nil, err
		}
		defer func() { _ = echo.Close() }()
		addr = echo.Addr()
	}
	switch c {
	case CeilingCanned:
		cfg.Target = (&url.URL{Scheme: "net.tcp", Host: addr, Path: u.Path}).String()
		r.Target = cfg.Target
		one, err := cfg.sessionFunc()
		if err != nil {
			return nil, err
		}
		runSessions(ctx, cfg, r, one, serverCPU)
	case CeilingEcho:
		// The client's bytes of a session with the measured endpoint.
		cs, err := newCannedSession(cfg.Encoding, cfg.Target)
		if err != nil {
			return nil, err
		}
		r.Target = "tcp://" + addr
		runSessions(ctx, cfg, r, echoSession(addr, cs.exchanges, cfg.SessionTimeout), serverCPU)
	}
	return r, nil
}

// listenCeiling listens on a loopback port as ipamd's listener does
// (internal/server): without Go's TCP keep-alive options, which cost four
// system calls per accepted connection. A ceiling that makes calls ipamd
// does not is lower than it should be, and flatters ipamd's ratio to it.
func listenCeiling() (net.Listener, error) {
	lc := net.ListenConfig{KeepAlive: -1}
	return lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
}

// EchoServer is the raw TCP echo ceiling: it echoes every byte on every
// connection.
type EchoServer struct {
	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// StartEcho listens on a loopback port and echoes until Close.
func StartEcho() (*EchoServer, error) {
	ln, err := listenCeiling()
	if err != nil {
		return nil, fmt.Errorf("loadgen: echo server: %w", err)
	}
	e := &EchoServer{ln: ln, conns: map[net.Conn]struct{}{}}
	e.wg.Go(func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			e.mu.Lock()
			e.conns[nc] = struct{}{}
			e.mu.Unlock()
			e.wg.Go(func() {
				_, _ = io.Copy(nc, nc)
				e.mu.Lock()
				delete(e.conns, nc)
				e.mu.Unlock()
				_ = nc.Close()
			})
		}
	})
	return e, nil
}

// Addr is the host:port it listens on.
func (e *EchoServer) Addr() string { return e.ln.Addr().String() }

// Close stops it and closes its connections.
func (e *EchoServer) Close() error {
	err := e.ln.Close()
	e.mu.Lock()
	for nc := range e.conns {
		_ = nc.Close()
	}
	e.mu.Unlock()
	e.wg.Wait()
	return err
}

// echoSession is one "session" over the echo: connect, then each of the
// client's writes of a real session (preamble, Initialize, Start, End)
// written and read back, then close. Same connections, round trips and
// client bytes as a session, and nothing else.
func echoSession(addr string, exchanges [][]byte, timeout time.Duration) sessionFunc {
	var d net.Dialer
	longest := 0
	for _, x := range exchanges {
		longest = max(longest, len(x))
	}
	return func(ctx context.Context) (time.Duration, bool, error) {
		t0 := time.Now()
		sctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		nc, err := d.DialContext(sctx, "tcp", addr)
		if err != nil {
			return 0, false, fmt.Errorf("%w: %w", errConnect, err)
		}
		defer func() { _ = nc.Close() }()
		stop := context.AfterFunc(sctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
		defer stop()
		buf := make([]byte, longest)
		for _, x := range exchanges {
			if _, err := nc.Write(x); err != nil {
				return 0, false, err
			}
			if _, err := io.ReadFull(nc, buf[:len(x)]); err != nil {
				return 0, false, err
			}
		}
		return time.Since(t0), true, nil
	}
}
