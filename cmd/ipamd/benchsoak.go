package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/ipamd/ipamd/internal/loadgen"
)

// newBenchSoakCmd is `ipamd bench soak`: the hook only; the soak itself is
// loadgen.Soak.
func newBenchSoakCmd(stdout io.Writer) *cobra.Command {
	var (
		cfg    loadgen.SoakConfig
		server string
		output string
	)
	cmd := &cobra.Command{
		Use:   "soak",
		Short: "Soak a provisioned daemon with a mix of refused, held, dropped, slow and malformed sessions, sampling its resources; fails on growth",
		Args:  cobra.NoArgs,
	}
	provisionPath, _ := defaultPaths()
	fs := cmd.Flags()
	fs.StringVar(&server, "server", "", "`URI` net.tcp://host:port[/path] of a provisioned server on loopback (the path defaults to "+provisionPath+")")
	fs.StringVar(&cfg.Admin, "admin", "", "the server's admin listener `host:port` on loopback (its /metrics is sampled)")
	fs.DurationVar(&cfg.Duration, "duration", time.Minute, "run the mix for `DURATION` (max 1h)")
	fs.IntVar(&cfg.Clients, "clients", 8, "parallel clients, 1..256")
	fs.DurationVar(&cfg.SampleEvery, "sample-every", 5*time.Second, "sampling period")
	fs.DurationVar(&cfg.SessionTimeout, "session-timeout", 30*time.Second, "limit for each step of a session")
	fs.StringVar(&output, "output", outputText, "result `FORMAT`: text or json")
	_ = cmd.MarkFlagRequired("server")
	_ = cmd.MarkFlagRequired("admin")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		uri, err := endpointURI(server, provisionPath)
		if err != nil {
			return err
		}
		if output != outputText && output != outputJSON {
			return fmt.Errorf("--output %q: must be text or json", output)
		}
		cfg.Target = uri
		if err := cfg.Validate(); err != nil {
			return err
		}
		ctx, stop := (&clientFlags{}).context(cmd.Context())
		defer stop()
		r, err := loadgen.Soak(ctx, cfg)
		if err != nil {
			return runtimeError(err)
		}
		if output == outputJSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			err = enc.Encode(r)
		} else {
			for _, s := range r.Samples {
				if err == nil {
					_, err = fmt.Fprintf(stdout, "t=%7.1fs rss=%7.1f MiB goroutines=%5.0f fds=%5.0f sessions=%4.0f load=%v db_in_use=%.0f db_open=%.0f\n",
						s.At.Seconds(), s.RSSBytes/(1<<20), s.Goroutines, s.FDs, s.Sessions, s.Load, s.DBInUse, s.DBOpen)
				}
			}
			if err == nil {
				_, err = fmt.Fprintf(stdout, "actions: %s; errors: %s\ngrowth: rss %.1f MiB, goroutines %.0f, fds %.0f, sessions %.0f, database connections in use %.0f, open %.0f\n",
					counts(r.Actions), counts(r.Errors), r.Growth.RSSBytes/(1<<20), r.Growth.Goroutines, r.Growth.FDs, r.Growth.Sessions,
					r.Growth.DBInUse, r.Growth.DBOpen)
			}
		}
		if err != nil {
			return runtimeError(err)
		}
		if len(r.Errors) > 0 || len(r.Violations) > 0 {
			return runtimeError(fmt.Errorf("bench soak: %d unexpected outcomes; %v", len(r.Errors), r.Violations))
		}
		return nil
	}
	return cmd
}
