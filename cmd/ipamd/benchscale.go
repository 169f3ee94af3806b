package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ipamd/ipamd/internal/loadgen"
)

// newBenchScaleCmd: `ipamd bench scale` measures curves rather than points:
// sessions/s of ipamd and of the canned ceiling at several
// client counts, and the server's memory at several held-session counts.
// Its JSON is what internal/loadgen/benchsvg draws.
func newBenchScaleCmd(stdout io.Writer) *cobra.Command {
	var (
		server, encoding, client, output, clients, held string
		duration, holdDuration, sessionTimeout          time.Duration
		serverPID, warmup                               int
	)
	provisionPath, _ := defaultPaths()
	cmd := &cobra.Command{
		Use:   "scale",
		Short: "Curves: sessions/s (ipamd and the canned ceiling) at several client counts; server memory at several held counts",
		Args:  cobra.NoArgs,
	}
	fs := cmd.Flags()
	fs.StringVar(&server, "server", "", "`URI` net.tcp://host:port[/path] of the server (the path defaults to "+provisionPath+")")
	fs.StringVar(&encoding, "encoding", "binary", "message `ENCODING`: binary or text")
	fs.StringVar(&client, "client", string(loadgen.ClientLean), "`CLIENT`: lean or real")
	fs.StringVar(&output, "output", outputJSON, "result `FORMAT`: json or text")
	fs.StringVar(&clients, "clients", "1,4,16,64,256", "client `COUNTS` of the sessions/s curve")
	fs.StringVar(&held, "held", "1000,5000,15000", "held-session `COUNTS` of the memory curve (needs --server-pid; empty: skip)")
	fs.DurationVar(&duration, "duration", 5*time.Second, "each sessions/s measurement (ipamd, then the canned ceiling)")
	fs.DurationVar(&holdDuration, "hold-duration", 10*time.Second, "how long each hold lasts (memory is read halfway)")
	fs.DurationVar(&sessionTimeout, "session-timeout", 30*time.Second, "limit for each step of a session")
	fs.IntVar(&serverPID, "server-pid", 0, "the server's `PID`: its CPU per session and memory (Linux /proc)")
	fs.IntVar(&warmup, "warmup", 50, "sessions run before each measurement, not counted")
	_ = cmd.MarkFlagRequired("server")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		uri, err := endpointURI(server, provisionPath)
		if err != nil {
			return err
		}
		enc, err := encodingFlag(encoding)
		if err != nil {
			return err
		}
		cs, err := countList("--clients", clients, loadgen.MaxClients)
		if err != nil {
			return err
		}
		hs, err := countList("--held", held, loadgen.MaxSessions)
		if err != nil {
			return err
		}
		if output != outputText && output != outputJSON {
			return fmt.Errorf("--output %q: must be text or json", output)
		}
		cfg := loadgen.Config{Mode: loadgen.ModeSessions, Target: uri, Encoding: enc, Client: loadgen.ClientKind(client),
			Duration: duration, SessionTimeout: sessionTimeout, Warmup: warmup, StartCeiling: startCeilingProcess}
		if err := cfg.Validate(); err != nil {
			return err
		}
		if serverPID > 0 {
			pid := serverPID
			cfg.ServerMemory = func() (int64, error) { return loadgen.ProcessRSS(pid) }
			cfg.ServerCPU = func() (time.Duration, error) { return loadgen.ProcessCPU(pid) }
		}
		ctx, stop := (&clientFlags{}).context(cmd.Context())
		defer stop()
		rep, err := loadgen.Scale(ctx, cfg, cs, hs, loadgen.Config{Clients: 64, Duration: holdDuration, SessionTimeout: sessionTimeout})
		if err != nil {
			return runtimeError(err)
		}
		if output == outputJSON {
			e := json.NewEncoder(stdout)
			e.SetIndent("", "  ")
			return e.Encode(rep)
		}
		fmt.Fprintf(stdout, "machine: %s, %d cores; %s, %s client\n", rep.Machine.CPU, rep.Machine.Cores, rep.Encoding, rep.Client)
		for _, p := range rep.Sessions {
			fmt.Fprintf(stdout, "clients %4d: ipamd %8.1f/s canned %8.1f/s ratio %.2f; CPU per session client %.0fµs server %.0fµs; errors %d\n",
				p.Clients, p.IPAMD, p.Canned, p.Ratio, p.ClientCPUus, p.ServerCPUus, p.Errors)
		}
		for _, p := range rep.Held {
			fmt.Fprintf(stdout, "held %6d: server %.1f MiB, %.1f KiB per session; all initialized in %v; errors %d\n",
				p.Held, float64(p.ServerMemory)/(1<<20), float64(p.PerSession)/1024, time.Duration(p.AllInitialized).Round(time.Millisecond), p.Errors)
		}
		return nil
	}
	return cmd
}

// countList parses "1,4,16": counts 1..limit; "" is no counts.
func countList(flag, s string, limit int) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []int
	for p := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 1 || n > limit {
			return nil, fmt.Errorf("%s %q: counts 1..%d separated by commas", flag, s, limit)
		}
		out = append(out, n)
	}
	return out, nil
}
