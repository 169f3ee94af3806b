package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/ipamd/ipamd/cmd/ipamd/internal/systemd"
	"github.com/ipamd/ipamd/config"
	"github.com/ipamd/ipamd/internal/server"
	"github.com/ipamd/ipamd/internal/server/metrics"
)

func newServeCmd(stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the daemon in the foreground (or under systemd / the Windows SCM)",
		Long: `Run the daemon until SIGTERM/SIGINT (or a service stop).

Stopping is graceful: the listeners close, new sessions are refused, running
provisioning or conversion may finish within shutdown.drain_timeout, then it is
cancelled and its client told; a second signal exits at once. SIGHUP reloads
the configuration file (log level, limits) and logs what needs a restart.

Exit codes: 0 stopped in order, 1 runtime error, 2 usage or configuration
error, 3 forced exit by a second signal.`,
		Args: cobra.NoArgs,
	}
	file, flags := configFlags(cmd)
	plat := addPlatformServeFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, err := loadConfig(*file, flags)
		if err != nil {
			return err // exit 2
		}
		env, err := plat.detect(cfg)
		if err != nil {
			return runtimeError(err)
		}
		log, level, stopLog, err := newLogger(cfg.Log, env.logCore)
		if err != nil {
			return runtimeError(fmt.Errorf("logger: %w", err))
		}
		defer stopLog() // last: what the buffer holds is written (logbuf.go)
		defer env.close()
		defer func() { _ = log.Sync() }()
		defer zap.RedirectStdLog(log.Named("stdlog"))()

		serve := func(ctx context.Context, sup server.Supervisor, reload <-chan struct{}) error {
			return serveMain(ctx, cfg, *file, log, server.WithLogger(log), server.WithLevel(level), server.WithSupervisor(sup),
				server.WithReload(reload, func() (*config.Config, error) { return loadConfig(*file, flags) }))
		}
		if env.run != nil { // under the Windows SCM, or its console stand-in
			return env.run(serve)
		}
		ctx, reload, stop := handleSignals(cmd.Context(), log)
		defer stop()
		return serve(ctx, newSystemdSupervisor(log), reload)
	}
	return cmd
}

// serveMain logs the start, prepares the state directory and runs the
// server; errors come back as exit codes.
func serveMain(ctx context.Context, cfg *config.Config, file string, log *zap.Logger, opts ...server.Option) error {
	fail := func(msg string, err error) error {
		log.Error(msg, zap.Error(err))
		return &exitError{code: exitRuntime, err: err, logged: true}
	}
	if err := cfg.EnsureStateDir(); err != nil {
		return fail("cannot create state directory", err)
	}
	if mode, open := stateDirOpen(cfg.StateDir); open {
		// Warned, not changed: group access may be the operator's choice
		// (a backup group); the files ipamd writes there are 0600 anyway.
		log.Warn("the state directory is accessible to group or others; it holds the store and its record: chmod 0700 unless that is intended",
			zap.String("state_dir", cfg.StateDir), zap.String("mode", mode))
	}
	for _, name := range config.UnknownEnv(os.Environ()) {
		log.Warn("ignoring unknown IPAMD_* environment variable", zap.String("name", name))
	}
	v := buildVersion()
	log.Info("starting",
		zap.String("version", v.Version), zap.String("commit", v.Commit),
		zap.String("config_file", file), zap.String("state_dir", cfg.StateDir),
		zap.Int("pid", os.Getpid()))
	opts = append(opts, server.WithBuildInfo(metrics.BuildInfo{Version: v.Version, Commit: v.Commit, GoVersion: v.Go}))
	srv, err := server.New(ctx, cfg, opts...)
	if err != nil {
		return fail("server failed", err)
	}
	if err := srv.Serve(ctx); err != nil {
		return fail("server failed", err)
	}
	log.Info("stopped")
	return nil
}

// handleSignals turns signals into the lifecycle's requests: the first
// SIGINT/SIGTERM cancels ctx (the graceful stop), a second one exits at once
// with code 3; SIGHUP sends on reload. stop releases the signals.
func handleSignals(parent context.Context, log *zap.Logger) (ctx context.Context, reload <-chan struct{}, stop func()) {
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithCancelCause(parent)
	term := make(chan os.Signal, 2)
	hup := make(chan os.Signal, 1)
	signal.Notify(term, os.Interrupt, syscall.SIGTERM)
	signal.Notify(hup, syscall.SIGHUP)
	reloads := make(chan struct{}, 1)
	done := make(chan struct{})
	go func() {
		stopping := false
		for {
			select {
			case <-done:
				return
			case <-hup:
				select {
				case reloads <- struct{}{}:
				default: // a reload is pending already
				}
			case s := <-term:
				if !stopping {
					stopping = true
					log.Info("stop requested: draining; repeat the signal to force exit", zap.String("signal", s.String()))
					cancel(fmt.Errorf("signal %s", s))
					continue
				}
				log.Warn("forced exit: the drain was interrupted", zap.String("signal", s.String()))
				_ = log.Sync()
				os.Exit(exitForced)
			}
		}
	}()
	return ctx, reloads, func() {
		signal.Stop(term)
		signal.Stop(hup)
		close(done)
		cancel(nil)
	}
}

// systemdSupervisor reports to systemd through sd_notify; outside systemd
// every call does nothing.
type systemdSupervisor struct {
	n   *systemd.Notifier
	log *zap.Logger
}

func newSystemdSupervisor(log *zap.Logger) server.Supervisor {
	n := systemd.NewNotifier(nil)
	if !n.Enabled() {
		return server.NopSupervisor{}
	}
	log.Info("running under systemd", zap.Duration("watchdog", n.WatchdogInterval()))
	return &systemdSupervisor{n: n, log: log.Named("systemd")}
}

func (s *systemdSupervisor) check(err error) {
	if err != nil {
		s.log.Warn("sd_notify failed", zap.Error(err))
	}
}

func (s *systemdSupervisor) Ready(status string)    { s.check(s.n.Ready(status)) }
func (s *systemdSupervisor) Stopping(status string) { s.check(s.n.Stopping(status)) }
func (s *systemdSupervisor) Reloading()             { s.check(s.n.Reloading()) }
func (s *systemdSupervisor) Status(status string)   { s.check(s.n.Status(status)) }
func (s *systemdSupervisor) Watchdog(ctx context.Context, alive func() error) {
	s.n.RunWatchdog(ctx, alive, func(err error) { s.log.Warn("watchdog ping skipped", zap.Error(err)) })
}

// stateDirOpen reports a state directory that group or others can enter or
// list (Unix modes; Windows ACLs are not judged here).
func stateDirOpen(dir string) (mode string, open bool) {
	if runtime.GOOS == "windows" {
		return "", false
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return "", false
	}
	perm := fi.Mode().Perm()
	return fmt.Sprintf("%04o", perm), perm&0o077 != 0
}
