package loadgen

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ipamd/ipamd/client"
	"github.com/ipamd/ipamd/duplex/nmf"
	"github.com/ipamd/ipamd/soap"
)

// Mode is what a run measures.
type Mode string

// The modes.
const (
	ModeSessions Mode = "sessions"
	ModeHold     Mode = "hold"
	ModeBurst    Mode = "burst"
)

// Bounds every run respects whatever the caller asks: a load generator
// must not become a way to exhaust a host by mistake.
const (
	MaxClients  = 4096
	MaxSessions = 100_000 // held sessions or burst size (one descriptor each, both ends on loopback)
	MaxDuration = time.Hour
	MaxCount    = 10_000_000
)

// Sentinel errors callers branch on (usage errors in cmd/ipamd).
var (
	// ErrRemoteTarget: the target is not a loopback address and
	// Config.AllowRemote is false.
	ErrRemoteTarget = errors.New("loadgen: target is not a loopback address (allow remote test hosts explicitly)")
	// ErrConfig: a Config value is out of range.
	ErrConfig = errors.New("loadgen: invalid configuration")
)

// Config describes one run.
type Config struct {
	Mode Mode
	// Target is the net.tcp URI of the IIpamAsyncProvision endpoint.
	Target string
	// Client drives Sessions runs (ipamd's and the ceilings'): ClientLean
	// (default) or ClientReal. Hold and Burst hold sessions open with the
	// real client.
	Client ClientKind
	// Encoding of the sessions: soap.EncodingBinarySession (default, what
	// WCF clients use) or soap.EncodingText.
	Encoding soap.Encoding
	// Clients run sessions in parallel (Sessions mode). Default 16.
	Clients int
	// Duration bounds a Sessions run (default 10s when Count is 0) and is
	// how long Hold holds its sessions (default 10s).
	Duration time.Duration
	// Count: total sessions of a Sessions run (0 = until Duration), the
	// sessions held (Hold, default 1000) or connected at once (Burst,
	// default 500).
	Count int
	// SessionTimeout bounds each session's every step (connect, each reply,
	// the End exchange). Default 30s.
	SessionTimeout time.Duration
	// KeepaliveInterval of the held sessions (default: the client package's).
	KeepaliveInterval time.Duration
	// AllowRemote permits a target that is not loopback: the operator's
	// own test hosts.
	AllowRemote bool
	// ServerMemory, when set, reads the server's resident memory in bytes
	// (Hold reports the growth per held session).
	ServerMemory func() (int64, error)
	// ServerCPU, when set, reads the server process's CPU time (Sessions
	// reports the server's CPU per session beside the client's).
	ServerCPU func() (time.Duration, error)
	// Warmup sessions run before a Sessions measurement starts (not
	// counted). Default 0.
	Warmup int
	// StartCeiling, when set, starts a ceiling's server elsewhere — in a
	// process of its own, as ipamd runs — and returns its address
	// (host:port) and how to stop it. Nil serves the ceilings inside this
	// process, which spares them the cross-process wake-ups ipamd pays
	// and so flatters them.
	// pid is the process serving it (its CPU is reported), 0 if unknown.
	StartCeiling func(ctx context.Context, c Ceiling, enc soap.Encoding, path string) (addr string, pid int, stop func(), err error)
	// ClientCheck: the client counts the canned ceiling is also measured
	// at (Compare, with the canned ceiling), each for CheckDuration, to
	// show the client is not what limits it: the ceiling at Clients must
	// be within 10 % of the best of them.
	ClientCheck   []int
	CheckDuration time.Duration
	// Rounds splits a comparison (Compare) into this many rounds of
	// Duration/Rounds each, ipamd and the ceilings in turn (the order
	// swapped every other round); its ratios are the medians of the
	// rounds'. On a shared machine whose speed drifts within seconds, one
	// run of each in turn measures the drift as much as the servers.
	// Default 1; needs Duration, not Count.
	Rounds int
}

// MaxRounds bounds Config.Rounds.
const MaxRounds = 100

func (c Config) withDefaults() Config {
	if c.Encoding == 0 {
		c.Encoding = soap.EncodingBinarySession
	}
	if c.Client == "" {
		c.Client = ClientLean
	}
	if c.Clients <= 0 {
		c.Clients = 16
	}
	if c.SessionTimeout <= 0 {
		c.SessionTimeout = 30 * time.Second
	}
	switch c.Mode {
	case ModeSessions:
		if c.Duration <= 0 && c.Count <= 0 {
			c.Duration = 10 * time.Second
		}
	case ModeHold:
		if c.Duration <= 0 {
			c.Duration = 10 * time.Second
		}
		if c.Count <= 0 {
			c.Count = 1000
		}
	case ModeBurst:
		if c.Count <= 0 {
			c.Count = 500
		}
	}
	return c
}

// Validate checks the bounds and the target.
func (c Config) Validate() error {
	switch c.Mode {
	case ModeSessions, ModeHold, ModeBurst:
	default:
		return fmt.Errorf("%w: mode %q (sessions, hold or burst)", ErrConfig, c.Mode)
	}
	switch c.Encoding {
	case 0, soap.EncodingBinarySession, soap.EncodingText:
	default:
		return fmt.Errorf("%w: encoding %v (binary session or text)", ErrConfig, c.Encoding)
	}
	switch c.Client {
	case "", ClientLean, ClientReal:
	default:
		return fmt.Errorf("%w: client %q (lean or real)", ErrConfig, c.Client)
	}
	switch {
	case c.Clients < 0 || c.Clients > MaxClients:
		return fmt.Errorf("%w: clients %d outside 1..%d", ErrConfig, c.Clients, MaxClients)
	case c.Duration < 0 || c.Duration > MaxDuration:
		return fmt.Errorf("%w: duration %v outside 0..%v", ErrConfig, c.Duration, MaxDuration)
	case c.Count < 0 || c.Count > MaxCount:
		return fmt.Errorf("%w: count %d outside 0..%d", ErrConfig, c.Count, MaxCount)
	case c.Mode != ModeSessions && c.Count > MaxSessions:
		return fmt.Errorf("%w: %d sessions at once exceeds %d", ErrConfig, c.Count, MaxSessions)
	case c.Rounds < 0 || c.Rounds > MaxRounds:
		return fmt.Errorf("%w: rounds %d outside 1..%d", ErrConfig, c.Rounds, MaxRounds)
	case c.Rounds > 1 && c.Count > 0:
		return fmt.Errorf("%w: rounds split a duration: give a duration, not a count", ErrConfig)
	}
	addr, err := nmf.ViaAddr(c.Target)
	if err != nil {
		return fmt.Errorf("%w: target: %w", ErrConfig, err)
	}
	if c.AllowRemote {
		return nil
	}
	return checkLoopback(addr)
}

// checkLoopback accepts literal loopback addresses and "localhost" (which
// must not resolve elsewhere: only the literal forms are trusted, no DNS).
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%w: target %q: %w", ErrConfig, addr, err)
	}
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.IsLoopback() {
		return fmt.Errorf("%w: %s", ErrRemoteTarget, host)
	}
	return nil
}

// Latency summarises per-session times.
type Latency struct {
	P50 time.Duration `json:"p50_ns"`
	P99 time.Duration `json:"p99_ns"`
	Max time.Duration `json:"max_ns"`
}

func summarize(d []time.Duration) Latency {
	if len(d) == 0 {
		return Latency{}
	}
	slices.Sort(d)
	pct := func(p float64) time.Duration {
		i := int(p*float64(len(d))+0.5) - 1
		return d[min(max(i, 0), len(d)-1)]
	}
	return Latency{P50: pct(0.50), P99: pct(0.99), Max: d[len(d)-1]}
}

// Report is the outcome of one run (of ipamd or of a ceiling).
type Report struct {
	Mode   Mode   `json:"mode"`
	Target string `json:"target"`
	Server string `json:"server"` // "ipamd", "canned" or "echo"
	// Round of a comparison in rounds (Config.Rounds > 1), from 1.
	Round int `json:"round,omitempty"`
	// Separate: a ceiling that ran in a process of its own (StartCeiling).
	Separate bool       `json:"separate_process,omitempty"`
	Encoding string     `json:"encoding"`
	Client   ClientKind `json:"client,omitempty"`
	Clients  int        `json:"clients,omitempty"`
	// Sessions that ran to the end: every step answered (a Complete with
	// an IpamException counts: it is the full protocol path).
	Sessions int `json:"sessions"`
	// Outcomes of the completed sessions: "ok" or the Complete's
	// IpamExceptionId.
	Outcomes map[string]int `json:"outcomes,omitempty"`
	// Errors by kind: "framing:<fault>", "initialize:<IpamExceptionId>",
	// "timeout", "connect", "protocol", "closed", "io".
	Errors  map[string]int `json:"errors,omitempty"`
	Elapsed time.Duration  `json:"elapsed_ns"`
	// Rate is Sessions per second of Elapsed (Sessions mode).
	Rate    float64 `json:"sessions_per_second,omitempty"`
	Latency Latency `json:"latency"`
	// CPU used during the measurement (Linux): the bench process's — the
	// client's alone when the server is another process — and the
	// server's when its process is known; totals and per session.
	ClientCPU           time.Duration `json:"client_cpu_ns,omitempty"`
	ClientCPUPerSession time.Duration `json:"client_cpu_per_session_ns,omitempty"`
	ServerCPU           time.Duration `json:"server_cpu_ns,omitempty"`
	ServerCPUPerSession time.Duration `json:"server_cpu_per_session_ns,omitempty"`

	// Hold mode.
	Held             int   `json:"held,omitempty"`
	MemoryBefore     int64 `json:"server_memory_before_bytes,omitempty"`
	MemoryHeld       int64 `json:"server_memory_held_bytes,omitempty"`
	MemoryPerSession int64 `json:"server_memory_per_session_bytes,omitempty"`
	// Burst and Hold: from the first connect to the last initialized.
	AllInitialized time.Duration `json:"all_initialized_ns,omitempty"`
}

// ErrorCount is the total of Errors.
func (r *Report) ErrorCount() int {
	n := 0
	for _, v := range r.Errors {
		n += v
	}
	return n
}

// tally collects outcomes from many goroutines.
type tally struct {
	mu       sync.Mutex
	outcomes map[string]int
	errors   map[string]int
	lat      []time.Duration
	ok       int
}

func newTally() *tally {
	return &tally{outcomes: map[string]int{}, errors: map[string]int{}}
}

// session records one session's end: err as returned by
// client.Provision (or a step of it), res its result.
func (t *tally) session(d time.Duration, completed bool, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if completed {
		t.ok++
		t.lat = append(t.lat, d)
		outcome := "ok"
		var re *client.RemoteError
		if errors.As(err, &re) && re.ExceptionID() != "" {
			outcome = re.ExceptionID()
		} else if err != nil {
			// Completed, but the End exchange failed.
			t.errors[Classify(err)]++
			return
		}
		t.outcomes[outcome]++
		return
	}
	t.errors[Classify(err)]++
}

func (t *tally) fill(r *Report) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r.Sessions = t.ok
	r.Latency = summarize(t.lat)
	if len(t.outcomes) > 0 {
		r.Outcomes = t.outcomes
	}
	if len(t.errors) > 0 {
		r.Errors = t.errors
	}
}

// Classify names the kind of a session error for the report.
func Classify(err error) string {
	var (
		fe *nmf.FaultError
		re *client.RemoteError
		ne net.Error
	)
	switch {
	case err == nil:
		return "none"
	case errors.As(err, &fe):
		return "framing:" + strings.TrimPrefix(fe.URI, nmf.FaultBase)
	case errors.As(err, &re):
		id := re.ExceptionID()
		if id == "" {
			id = "fault"
		}
		return re.Operation + ":" + id
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nmf.ErrIdleTimeout),
		errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, client.ErrProtocol), errors.Is(err, nmf.ErrProtocol):
		return "protocol"
	case errors.Is(err, client.ErrSessionClosed):
		return "closed"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.Is(err, errConnect):
		return "connect"
	}
	return "io"
}

// errConnect marks a failure to establish the framing session.
var errConnect = errors.New("connect")

// EncodingName is the name reports and the bench's --encoding give e:
// binary (the binary session encoding) or text.
func EncodingName(e soap.Encoding) string {
	if e == soap.EncodingText {
		return "text"
	}
	return "binary"
}
