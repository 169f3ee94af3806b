package loadgen

import (
	"context"
	"fmt"
	"time"
)

// ScalePoint is one client count of a scale curve: ipamd and the canned
// ceiling measured back to back with the same clients.
type ScalePoint struct {
	Clients int     `json:"clients"`
	IPAMD   float64 `json:"ipamd_sessions_per_second"`
	Canned  float64 `json:"canned_sessions_per_second"`
	Ratio   float64 `json:"ratio"`
	// CPU per session (Linux), microseconds: the bench process (the
	// client) and, when its process is known, the server.
	ClientCPUus float64 `json:"client_cpu_us_per_session"`
	ServerCPUus float64 `json:"server_cpu_us_per_session,omitempty"`
	Errors      int     `json:"errors"`
}

// HeldPoint is one hold of a memory curve.
type HeldPoint struct {
	Held int `json:"held"`
	// ServerMemory is the server's resident memory while holding; PerSession
	// its growth over the server's memory before the first hold, divided by
	// Held (each hold is larger than the last, so memory the previous one
	// left to the process is counted, not hidden).
	ServerMemory   int64          `json:"server_memory_bytes"`
	PerSession     int64          `json:"server_memory_per_session_bytes"`
	AllInitialized int64          `json:"all_initialized_ns"`
	Errors         int            `json:"errors"`
	Latency        Latency        `json:"initialize_latency"`
	Outcomes       map[string]int `json:"outcomes,omitempty"`
}

// ScaleReport is how sessions/s grow with the clients and memory with the
// held sessions; internal/loadgen/benchsvg draws it.
type ScaleReport struct {
	Machine  Machine      `json:"machine"`
	Encoding string       `json:"encoding"`
	Client   ClientKind   `json:"client"`
	Sessions []ScalePoint `json:"sessions"`
	Held     []HeldPoint  `json:"held,omitempty"`
	// MemoryBefore: the server's memory before the first hold.
	MemoryBefore int64 `json:"server_memory_before_bytes,omitempty"`
}

// Scale runs cfg (its Target, Encoding, Client, Duration, bounds) as a
// Sessions comparison with the canned ceiling at each of clients, then, when
// cfg.ServerMemory is set, holds each of held sessions for holdCfg's
// Duration (ascending order is the caller's).
func Scale(ctx context.Context, cfg Config, clients []int, held []int, holdCfg Config) (*ScaleReport, error) {
	cfg.Mode = ModeSessions
	cfg.ClientCheck = nil
	cfg = cfg.withDefaults()
	rep := &ScaleReport{Machine: ThisMachine(), Encoding: EncodingName(cfg.Encoding), Client: cfg.Client}
	for _, n := range clients {
		c := cfg
		c.Clients = n
		if err := c.Validate(); err != nil {
			return nil, err
		}
		cmp, err := Compare(ctx, c, []Ceiling{CeilingCanned})
		if err != nil {
			return nil, err
		}
		r, cr := cmp.Runs[0], cmp.Runs[1]
		rep.Sessions = append(rep.Sessions, ScalePoint{Clients: n, IPAMD: r.Rate, Canned: cr.Rate, Ratio: cmp.Ratios[CeilingCanned],
			ClientCPUus: us(r.ClientCPUPerSession), ServerCPUus: us(r.ServerCPUPerSession),
			Errors: r.ErrorCount() + cr.ErrorCount()})
	}
	if cfg.ServerMemory == nil || len(held) == 0 {
		return rep, nil
	}
	before, err := cfg.ServerMemory()
	if err != nil {
		return nil, fmt.Errorf("loadgen: server memory: %w", err)
	}
	rep.MemoryBefore = before
	for _, k := range held {
		h := holdCfg
		h.Mode, h.Target, h.Encoding, h.Count, h.ServerMemory = ModeHold, cfg.Target, cfg.Encoding, k, cfg.ServerMemory
		r, err := Run(ctx, h)
		if err != nil {
			return nil, err
		}
		p := HeldPoint{Held: r.Held, ServerMemory: r.MemoryHeld, AllInitialized: int64(r.AllInitialized),
			Errors: r.ErrorCount(), Latency: r.Latency, Outcomes: r.Outcomes}
		if r.Held > 0 && r.MemoryHeld > 0 {
			p.PerSession = (r.MemoryHeld - before) / int64(r.Held)
		}
		rep.Held = append(rep.Held, p)
	}
	return rep, nil
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
