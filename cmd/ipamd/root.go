package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/ipamd/ipamd/config"
)

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "ipamd",
		Short: "MS-IPAMM2 IPAM management daemon (IIpamAsyncProvision, IIpamAsyncSchemaConversion over net.tcp)",
		Long: `ipamd serves Microsoft's IPAM management protocol (MS-IPAMM2) port types
IIpamAsyncProvision and IIpamAsyncSchemaConversion over WCF net.tcp.

Configuration: defaults < --config FILE (YAML) < IPAMD_* environment < flags.
See docs/configuration.md for every setting.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.CompletionOptions.HiddenDefaultCmd = true
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return err })
	root.AddCommand(newServeCmd(stderr), newVersionCmd(stdout), newConfigCmd(stdout), newWSDLCmd(stdout), newDevCmd(stdout), newNTLMHashCmd(stdout), newBenchCmd(stdout))
	root.AddCommand(clientCommands(stdout, stderr)...)
	return root
}

// configFlags adds --config and one flag per setting to cmd.
func configFlags(cmd *cobra.Command) (file *string, flags *config.Flags) {
	fs := flag.NewFlagSet(cmd.Name(), flag.ContinueOnError)
	flags = config.BindFlags(fs)
	cmd.Flags().AddGoFlagSet(fs)
	file = cmd.Flags().String("config", "", "YAML configuration `FILE` (see deploy/ipamd.example.yaml)")
	return file, flags
}

func loadConfig(file string, flags *config.Flags) (*config.Config, error) {
	return config.Load(config.LoadOptions{File: file, Flags: flags})
}

func newServeCmd(stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the daemon in the foreground",
		Args:  cobra.NoArgs,
	}
	file, flags := configFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, err := loadConfig(*file, flags)
		if err != nil {
			return err // exit 2
		}
		log, err := newLogger(cfg.Log)
		if err != nil {
			return runtimeError(fmt.Errorf("logger: %w", err))
		}
		defer func() { _ = log.Sync() }()
		defer zap.RedirectStdLog(log.Named("stdlog"))()

		fail := func(msg string, err error) error {
			log.Error(msg, zap.Error(err))
			return &exitError{code: exitRuntime, err: err, logged: true}
		}
		if err := cfg.EnsureStateDir(); err != nil {
			return fail("cannot create state directory", err)
		}
		for _, name := range config.UnknownEnv(os.Environ()) {
			log.Warn("ignoring unknown IPAMD_* environment variable", zap.String("name", name))
		}
		ctx, stop := signalContext(cmd.Context(), log)
		defer stop()

		v := buildVersion()
		log.Info("starting",
			zap.String("version", v.Version), zap.String("commit", v.Commit),
			zap.String("config_file", *file), zap.String("state_dir", cfg.StateDir),
			zap.Int("pid", os.Getpid()))
		if err := runServer(ctx, cfg, log); err != nil {
			return fail("server failed", err)
		}
		log.Info("stopped")
		return nil
	}
	return cmd
}

// signalContext returns a context cancelled by the first SIGINT/SIGTERM; a
// second one exits the process with code 1 at once.
func signalContext(parent context.Context, log *zap.Logger) (context.Context, func()) {
	if parent == nil {
		parent = context.Background()
	}
	ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-done:
			return
		case <-ctx.Done():
		}
		if parent.Err() != nil {
			return
		}
		force := make(chan os.Signal, 1)
		signal.Notify(force, os.Interrupt, syscall.SIGTERM)
		defer signal.Stop(force)
		log.Info("shutting down; repeat the signal to force exit", zap.NamedError("cause", context.Cause(ctx)))
		select {
		case s := <-force:
			log.Warn("forced exit", zap.String("signal", s.String()))
			_ = log.Sync()
			os.Exit(exitRuntime)
		case <-done:
		}
	}()
	return ctx, func() { close(done); stop() }
}

func newVersionCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print version, commit and Go version",
		Args:  cobra.NoArgs,
		Run: func(*cobra.Command, []string) {
			fmt.Fprint(stdout, buildVersion())
		},
	}
}

func newConfigCmd(stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Show or check the configuration",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	printCmd := &cobra.Command{
		Use:   "print",
		Short: "Print the effective configuration (defaults, file, environment, flags) as YAML",
		Args:  cobra.NoArgs,
	}
	pFile, pFlags := configFlags(printCmd)
	printCmd.RunE = func(*cobra.Command, []string) error {
		cfg, err := loadConfig(*pFile, pFlags)
		if err != nil {
			return err
		}
		_, err = stdout.Write(cfg.YAML())
		return err
	}
	validate := &cobra.Command{
		Use:   "validate [--config FILE]",
		Short: "Check a configuration file (with the environment and flags applied) and exit 0 if valid, 2 if not",
		Args:  cobra.NoArgs,
	}
	vFile, vFlags := configFlags(validate)
	validate.RunE = func(*cobra.Command, []string) error {
		if _, err := loadConfig(*vFile, vFlags); err != nil {
			return err
		}
		what := "configuration"
		if *vFile != "" {
			what = *vFile
		}
		fmt.Fprintf(stdout, "%s: OK\n", what)
		return nil
	}
	cmd.AddCommand(printCmd, validate)
	return cmd
}
