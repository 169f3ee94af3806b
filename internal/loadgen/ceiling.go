package loadgen

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"runtime"
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
// after the other with the same clients and bounds.
type Comparison struct {
	Machine Machine   `json:"machine"`
	Runs    []*Report `json:"runs"` // ipamd first, then each ceiling
	// Ratios: ipamd's sessions/s divided by each ceiling's.
	Ratios map[Ceiling]float64 `json:"ratios,omitempty"`
}

// Compare runs cfg (a Sessions run) against its target, then against each
// ceiling started in-process for the occasion.
func Compare(ctx context.Context, cfg Config, ceilings []Ceiling) (*Comparison, error) {
	if cfg.Mode != ModeSessions && len(ceilings) > 0 {
		return nil, fmt.Errorf("%w: ceilings are measured for the sessions mode only", ErrConfig)
	}
	r, err := Run(ctx, cfg)
	if err != nil {
		return nil, err
	}
	cmp := &Comparison{Machine: ThisMachine(), Runs: []*Report{r}}
	for _, c := range ceilings {
		cr, err := runCeiling(ctx, cfg.withDefaults(), c)
		if err != nil {
			return nil, err
		}
		cmp.Runs = append(cmp.Runs, cr)
		if cr.Rate > 0 {
			if cmp.Ratios == nil {
				cmp.Ratios = map[Ceiling]float64{}
			}
			cmp.Ratios[c] = r.Rate / cr.Rate
		}
	}
	return cmp, nil
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
	var addr string
	switch {
	case cfg.StartCeiling != nil:
		a, stop, err := cfg.StartCeiling(ctx, c, cfg.Encoding, u.Path)
		if err != nil {
			return nil, fmt.Errorf("loadgen: start the %s ceiling: %w", c, err)
		}
		defer stop()
		addr = a
		r.Separate = true
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
		runSessions(ctx, cfg, r, cfg.session)
	case CeilingEcho:
		// The client's bytes of a session with the measured endpoint.
		cs, err := newCannedSession(cfg.Encoding, cfg.Target)
		if err != nil {
			return nil, err
		}
		r.Target = "tcp://" + addr
		runSessions(ctx, cfg, r, echoSession(addr, cs.exchanges, cfg.SessionTimeout))
	}
	return r, nil
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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
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
