package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ipamd/ipamd/internal/loadgen"
)

// benchFlags are the flags of the bench subcommands.
type benchFlags struct {
	server           string
	encoding         string
	output           string
	clients          int
	duration         time.Duration
	count            int
	sessionTimeout   time.Duration
	keepalive        time.Duration
	allowRemote      bool
	serverPID        int
	ceiling          string
	ceilingInProcess bool
	warmup           int
	client           string
	clientCheck      string
	rounds           int
}

func newBenchCmd(stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Load generator: whole sessions/s, held sessions, connect bursts against a net.tcp endpoint",
		Long: `bench drives MS-IPAMM2 provisioning sessions against an ipamd with the same client
code as 'ipamd provision' and reports sessions/s, p50/p99/max latency and errors by kind.
Runs are bounded in count and time, and the target must be a loopback address unless
--allow-remote is given (the operator's own test hosts only). docs/performance.md
has the scenarios and the figures.

Exit codes: 0 every session ran to its end; 1 some failed (see errors) or the run
could not take place; 2 usage error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(
		newBenchModeCmd(stdout, loadgen.ModeSessions, "Whole sessions/s: N parallel clients run connect, preamble, Initialize, Start, the callbacks, End, back to back"),
		newBenchModeCmd(stdout, loadgen.ModeHold, "Hold K initialized sessions open with keepalives, then finish each (none may have timed out); server memory per session"),
		newBenchModeCmd(stdout, loadgen.ModeBurst, "B clients connect at the same instant; time until every session is initialized"),
		newBenchScaleCmd(stdout),
		newBenchConvertCmd(stdout),
		newBenchCeilingCmd(stdout),
		newBenchSoakCmd(stdout),
	)
	return cmd
}

func newBenchModeCmd(stdout io.Writer, mode loadgen.Mode, short string) *cobra.Command {
	f := &benchFlags{}
	provisionPath, _ := defaultPaths()
	cmd := &cobra.Command{Use: string(mode), Short: short, Args: cobra.NoArgs}
	fs := cmd.Flags()
	fs.StringVar(&f.server, "server", "", "`URI` net.tcp://host:port[/path] of the server (the path defaults to "+provisionPath+")")
	fs.StringVar(&f.encoding, "encoding", "binary", "message `ENCODING`: binary (what WCF clients use) or text")
	fs.StringVar(&f.output, "output", outputText, "result `FORMAT`: text or json")
	fs.DurationVar(&f.sessionTimeout, "session-timeout", 30*time.Second, "limit for each step of a session (connect, each reply, End)")
	fs.BoolVar(&f.allowRemote, "allow-remote", false, "allow a target that is not a loopback address (your own test hosts only)")
	switch mode {
	case loadgen.ModeSessions:
		fs.IntVar(&f.clients, "clients", 16, "parallel clients, 1.."+strconv.Itoa(loadgen.MaxClients))
		fs.DurationVar(&f.duration, "duration", 10*time.Second, "run for `DURATION` (with --count, whichever ends first; max 1h)")
		fs.IntVar(&f.count, "count", 0, "run this many sessions (0 = until --duration)")
		fs.IntVar(&f.warmup, "warmup", 50, "sessions run before measuring, not counted")
		fs.StringVar(&f.ceiling, "ceiling", "none", "also measure ceilings with the same clients: none, canned (framing-only server with canned replies), echo (raw TCP echo), all")
		fs.BoolVar(&f.ceilingInProcess, "ceiling-in-process", false, "serve the ceilings inside the bench process instead of a child process (which flatters them: ipamd is a separate process)")
		fs.StringVar(&f.client, "client", string(loadgen.ClientLean), "`CLIENT`: lean (requests encoded once, replies scanned for RelatesTo, Actions, End: the client is not the limit) or real (the client package: latency and correctness)")
		fs.StringVar(&f.clientCheck, "client-check", "4,64", "with --ceiling canned|all: also measure the canned ceiling at these client `COUNTS` and show whether the client limits it (empty: skip)")
		fs.IntVar(&f.serverPID, "server-pid", 0, "report the server's CPU per session (from /proc/`PID`/stat) beside the client's")
		fs.IntVar(&f.rounds, "rounds", 1, "with --ceiling: split --duration into `N` rounds of ipamd and the ceilings in turn and report the median ratio (a shared machine's speed drifts within seconds), 1.."+strconv.Itoa(loadgen.MaxRounds))
	case loadgen.ModeHold:
		fs.IntVar(&f.count, "sessions", 1000, "initialized sessions to hold, 1.."+strconv.Itoa(loadgen.MaxSessions))
		fs.IntVar(&f.clients, "clients", 64, "sessions initialized in parallel while ramping up")
		fs.DurationVar(&f.duration, "duration", 30*time.Second, "hold the sessions for `DURATION`")
		fs.DurationVar(&f.keepalive, "keepalive-interval", 0, "keepalive period of the held sessions (default 10s)")
		fs.IntVar(&f.serverPID, "server-pid", 0, "read the server's memory (VmRSS in /proc/`PID`/status) before and while holding")
	case loadgen.ModeBurst:
		fs.IntVar(&f.count, "clients", 500, "clients connecting at the same instant, 1.."+strconv.Itoa(loadgen.MaxSessions))
	}
	_ = cmd.MarkFlagRequired("server")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, ceilings, err := f.config(mode)
		if err != nil {
			return err // usage, exit 2
		}
		if err := cfg.Validate(); err != nil {
			return err
		}
		ctx, stop := (&clientFlags{}).context(cmd.Context())
		defer stop()
		cmp, err := loadgen.Compare(ctx, cfg, ceilings)
		if err != nil {
			return runtimeError(err)
		}
		if err := writeBench(stdout, f.output, cmp); err != nil {
			return runtimeError(err)
		}
		failed := 0
		for _, r := range cmp.Runs {
			failed += r.ErrorCount()
		}
		if failed > 0 {
			return runtimeError(fmt.Errorf("bench: %d sessions failed", failed))
		}
		return nil
	}
	return cmd
}

// config checks the flags and builds the run.
func (f *benchFlags) config(mode loadgen.Mode) (loadgen.Config, []loadgen.Ceiling, error) {
	provisionPath, _ := defaultPaths()
	uri, err := endpointURI(f.server, provisionPath)
	if err != nil {
		return loadgen.Config{}, nil, err
	}
	enc, err := encodingFlag(f.encoding)
	if err != nil {
		return loadgen.Config{}, nil, err
	}
	if f.output != outputText && f.output != outputJSON {
		return loadgen.Config{}, nil, fmt.Errorf("--output %q: must be text or json", f.output)
	}
	if f.clients < 0 || f.count < 0 || f.duration < 0 || f.warmup < 0 || f.sessionTimeout <= 0 {
		return loadgen.Config{}, nil, fmt.Errorf("counts and durations must not be negative")
	}
	var ceilings []loadgen.Ceiling
	switch f.ceiling {
	case "", "none":
	case "canned":
		ceilings = []loadgen.Ceiling{loadgen.CeilingCanned}
	case "echo":
		ceilings = []loadgen.Ceiling{loadgen.CeilingEcho}
	case "all":
		ceilings = []loadgen.Ceiling{loadgen.CeilingCanned, loadgen.CeilingEcho}
	default:
		return loadgen.Config{}, nil, fmt.Errorf("--ceiling %q: must be none, canned, echo or all", f.ceiling)
	}
	var checks []int
	if slices.Contains(ceilings, loadgen.CeilingCanned) {
		if checks, err = countList("--client-check", f.clientCheck, loadgen.MaxClients); err != nil {
			return loadgen.Config{}, nil, err
		}
	}
	switch loadgen.ClientKind(f.client) {
	case "", loadgen.ClientLean, loadgen.ClientReal:
	default:
		return loadgen.Config{}, nil, fmt.Errorf("--client %q: must be lean or real", f.client)
	}
	cfg := loadgen.Config{
		Client: loadgen.ClientKind(f.client), ClientCheck: checks,
		Mode: mode, Target: uri, Encoding: enc, Clients: f.clients, Duration: f.duration, Count: f.count,
		SessionTimeout: f.sessionTimeout, KeepaliveInterval: f.keepalive, AllowRemote: f.allowRemote, Warmup: f.warmup,
	}
	if len(ceilings) > 0 {
		cfg.Rounds = f.rounds // without a ceiling there is no ratio to take the median of
	}
	if len(ceilings) > 0 && !f.ceilingInProcess {
		cfg.StartCeiling = startCeilingProcess
	}
	if f.serverPID > 0 {
		pid := f.serverPID
		cfg.ServerMemory = func() (int64, error) { return loadgen.ProcessRSS(pid) }
		cfg.ServerCPU = func() (time.Duration, error) { return loadgen.ProcessCPU(pid) }
	}
	return cfg, ceilings, nil
}

func writeBench(w io.Writer, format string, cmp *loadgen.Comparison) error {
	if format == outputJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(cmp)
	}
	m := cmp.Machine
	var b strings.Builder
	fmt.Fprintf(&b, "machine: %s, %d cores, GOMAXPROCS %d, %s, %s\n", m.CPU, m.Cores, m.GOMAXPROCS, m.OS, m.Go)
	for _, r := range cmp.Runs {
		where := ""
		if r.Server != "ipamd" {
			where = " (in the bench process)"
			if r.Separate {
				where = " (a process of its own)"
			}
		}
		round := ""
		if r.Round > 0 {
			round = fmt.Sprintf(" (round %d)", r.Round)
		}
		fmt.Fprintf(&b, "%-6s %s %s -> %s%s%s\n", r.Server, r.Mode, r.Encoding, r.Target, where, round)
		switch r.Mode {
		case loadgen.ModeSessions:
			fmt.Fprintf(&b, "  %d sessions in %v with %d clients: %.1f sessions/s\n", r.Sessions, r.Elapsed.Round(time.Millisecond), r.Clients, r.Rate)
			fmt.Fprintf(&b, "  session latency p50 %v p99 %v max %v (%s client)\n", fmtMS(r.Latency.P50), fmtMS(r.Latency.P99), fmtMS(r.Latency.Max), r.Client)
			if r.ClientCPUPerSession > 0 {
				fmt.Fprintf(&b, "  CPU per session: client %s", fmtUS(r.ClientCPUPerSession))
				if r.ServerCPUPerSession > 0 {
					fmt.Fprintf(&b, ", server %s", fmtUS(r.ServerCPUPerSession))
				}
				fmt.Fprintf(&b, " (client %.0f%% of one core)\n", 100*r.ClientCPU.Seconds()/r.Elapsed.Seconds())
			}
		case loadgen.ModeHold:
			fmt.Fprintf(&b, "  %d sessions held (all initialized in %v), %d finished after the hold\n", r.Held, fmtMS(r.AllInitialized), r.Sessions)
			fmt.Fprintf(&b, "  initialize latency p50 %v p99 %v max %v\n", fmtMS(r.Latency.P50), fmtMS(r.Latency.P99), fmtMS(r.Latency.Max))
			if r.MemoryHeld > 0 {
				fmt.Fprintf(&b, "  server memory %.1f MiB -> %.1f MiB: %.1f KiB per held session\n",
					float64(r.MemoryBefore)/(1<<20), float64(r.MemoryHeld)/(1<<20), float64(r.MemoryPerSession)/1024)
			}
		case loadgen.ModeBurst:
			fmt.Fprintf(&b, "  %d sessions initialized, the last %v after the release\n", r.Held, fmtMS(r.AllInitialized))
			fmt.Fprintf(&b, "  initialized after p50 %v p99 %v max %v\n", fmtMS(r.Latency.P50), fmtMS(r.Latency.P99), fmtMS(r.Latency.Max))
		}
		fmt.Fprintf(&b, "  outcomes: %s; errors: %s\n", counts(r.Outcomes), counts(r.Errors))
		if c := loadgen.Ceiling(r.Server); cmp.Ratios[c] > 0 && r.Round == 0 {
			fmt.Fprintf(&b, "  ipamd / %s = %.2f\n", c, cmp.Ratios[c])
		}
	}
	for _, c := range slices.Sorted(maps.Keys(cmp.RoundRatios)) {
		rs := cmp.RoundRatios[c]
		parts := make([]string, len(rs))
		for i, x := range rs {
			parts[i] = strconv.FormatFloat(x, 'f', 2, 64)
		}
		fmt.Fprintf(&b, "ipamd / %s = %.2f, the median of %d rounds: %s (min %.2f, max %.2f)\n",
			c, cmp.Ratios[c], len(rs), strings.Join(parts, " "), slices.Min(rs), slices.Max(rs))
	}
	if c := cmp.ClientCheck; c != nil {
		fmt.Fprintf(&b, "client check: canned at %d clients %.1f/s", cmp.Runs[0].Clients, c.Measured)
		for i, n := range c.Clients {
			fmt.Fprintf(&b, ", at %d %.1f/s", n, c.Rates[i])
		}
		verdict := "the client is not the limit"
		if !c.NotLimited {
			verdict = "THE CLIENT MAY BE THE LIMIT (under 0.9 of the best)"
		}
		fmt.Fprintf(&b, ": %.2f of the best, %s\n", c.OfBest, verdict)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func fmtUS(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Microsecond), 'f', 0, 64) + "µs"
}

func fmtMS(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64) + "ms"
}

func counts(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+strconv.Itoa(m[k]))
	}
	return strings.Join(parts, " ")
}
