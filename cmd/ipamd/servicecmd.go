package main

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ipamd/ipamd/config"
)

// Exit code of `ipamd service status` when the service is not running (the
// LSB init-script convention systemctl status follows).
const exitNotRunning = 3

// serviceFlags are the flags every `ipamd service` platform shares.
type serviceFlags struct {
	config string // the configuration file the service uses
	dryRun bool
}

func newServiceCmd(stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "service",
		Short: "Install, remove, start, stop or query ipamd as a system service (systemd, Windows SCM)",
		Long: `Manage ipamd as a service of the operating system.

Linux: a hardened systemd unit (Type=notify with watchdog, DynamicUser,
StateDirectory=ipamd, ProtectSystem=strict, no capabilities unless a port below
1024 is configured; deploy/systemd/ipamd.service is the default rendering).
Windows: a service of the Service Control Manager with automatic delayed start,
recovery actions and an Event Log source.

install --dry-run prints what would be written and run, changing nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	p := newServicePlatform(stdout)
	p.addCommonFlags(cmd)
	sf := &serviceFlags{}
	install := &cobra.Command{Use: "install", Short: "Install (and enable) the service", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return p.install(cmd.Context(), sf) }}
	uninstall := &cobra.Command{Use: "uninstall", Short: "Stop and remove the service (configuration and state stay)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return p.uninstall(cmd.Context(), sf) }}
	for _, c := range []*cobra.Command{install, uninstall} {
		c.Flags().BoolVar(&sf.dryRun, "dry-run", false, "print what would be done and change nothing")
	}
	install.Flags().StringVar(&sf.config, "config", p.defaultConfig(),
		"configuration `FILE` the service runs with: read (if it exists) for the ports, state_dir and drain timeout the service settings depend on; written from the example if missing")
	p.addInstallFlags(install)
	p.addUninstallFlags(uninstall)
	start := &cobra.Command{Use: "start", Short: "Start the service", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return p.start(cmd.Context()) }}
	stop := &cobra.Command{Use: "stop", Short: "Stop the service (a graceful drain; waits for it)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return p.stop(cmd.Context()) }}
	status := &cobra.Command{Use: "status", Short: "Show the service's state; exit 0 if it runs, 3 if not", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return p.status(cmd.Context()) }}
	cmd.AddCommand(install, uninstall, start, stop, status)
	return cmd
}

// serviceConfig loads the configuration the service will run with: the
// file when it exists (defaults otherwise), without this shell's IPAMD_*
// variables (the service does not inherit them) and without flags.
func serviceConfig(file string) (*config.Config, error) {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "IPAMD_") {
			env = append(env, kv)
		}
	}
	opts := config.LoadOptions{Environ: env}
	if _, err := os.Stat(file); err == nil {
		opts.File = file
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	// A state_dir that does not exist yet on this machine is fine: the
	// service creates it.
	cfg, err := config.Load(opts)
	if err != nil {
		return nil, err
	}
	return cfg, nil
}
