//go:build !windows

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ipamd/ipamd/cmd/ipamd/internal/systemd"
	"github.com/ipamd/ipamd/config"
)

// servicePlatform is `ipamd service` on systemd.
type servicePlatform struct {
	out      io.Writer
	root     string
	execPath string
	user     string
	watchdog time.Duration
}

func newServicePlatform(out io.Writer) *servicePlatform { return &servicePlatform{out: out} }

func (*servicePlatform) defaultConfig() string { return systemd.DefaultConfigFile }

func (*servicePlatform) addCommonFlags(*cobra.Command) {}

func (p *servicePlatform) addInstallFlags(c *cobra.Command) {
	p.addRoot(c)
	c.Flags().StringVar(&p.execPath, "exec-path", systemd.DefaultExecPath,
		"where the ipamd binary is installed (this binary is copied there unless it is that file)")
	c.Flags().StringVar(&p.user, "user", "", "run as this existing system `USER` instead of a DynamicUser")
	c.Flags().DurationVar(&p.watchdog, "watchdog", systemd.DefaultWatchdog, "WatchdogSec= of the unit")
}

func (p *servicePlatform) addUninstallFlags(c *cobra.Command) { p.addRoot(c) }

func (p *servicePlatform) addRoot(c *cobra.Command) {
	c.Flags().StringVar(&p.root, "root", "", "install into this `DIR` as the root file system (no systemctl is run)")
}

func (p *servicePlatform) installer(dryRun bool) *systemd.Installer {
	return &systemd.Installer{Root: p.root, DryRun: dryRun, Out: p.out}
}

func (p *servicePlatform) install(ctx context.Context, sf *serviceFlags) error {
	if !filepath.IsAbs(sf.config) {
		return fmt.Errorf("--config %q: the service needs an absolute path", sf.config)
	}
	cfgFile := sf.config
	if p.root != "" {
		cfgFile = filepath.Join(p.root, sf.config)
	}
	cfg, err := serviceConfig(cfgFile)
	if err != nil {
		return err // exit 2: the configuration the service would run with is invalid
	}
	opts, err := systemd.OptionsFromConfig(cfg, sf.config)
	if err != nil {
		return err
	}
	opts.ExecPath, opts.User, opts.Watchdog = p.execPath, p.user, p.watchdog
	exe, err := os.Executable()
	if err == nil {
		exe, err = filepath.EvalSymlinks(exe)
	}
	if err != nil {
		return runtimeError(fmt.Errorf("locating this binary: %w", err))
	}
	plan, err := systemd.InstallPlan(opts, exe, config.RenderExampleYAML())
	if err != nil {
		return err
	}
	if opts.BindPrivileged {
		fmt.Fprintln(p.out, "a listener uses a port below 1024: the unit grants CAP_NET_BIND_SERVICE")
	}
	if err := p.installer(sf.dryRun).Apply(ctx, plan); err != nil {
		return runtimeError(err)
	}
	return nil
}

func (p *servicePlatform) uninstall(ctx context.Context, sf *serviceFlags) error {
	if err := p.installer(sf.dryRun).Apply(ctx, systemd.UninstallPlan(systemd.UnitOptions{ExecPath: p.execPath})); err != nil {
		return runtimeError(err)
	}
	return nil
}

func (p *servicePlatform) systemctl(ctx context.Context, args ...string) error {
	if err := systemd.ExecRunner(p.out)(ctx, "systemctl", args...); err != nil {
		return runtimeError(err)
	}
	return nil
}

func (p *servicePlatform) start(ctx context.Context) error {
	return p.systemctl(ctx, "start", systemd.UnitName)
}

func (p *servicePlatform) stop(ctx context.Context) error {
	return p.systemctl(ctx, "stop", systemd.UnitName)
}

// status prints the unit's state from systemctl show (the STATUS= line
// ipamd sends included) and exits 0 if it runs, 3 if not.
func (p *servicePlatform) status(ctx context.Context) error {
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, "systemctl", "show", systemd.UnitName, "--no-pager",
		"--property=LoadState,ActiveState,SubState,MainPID,StatusText,ExecMainStartTimestamp,NRestarts,UnitFileState")
	cmd.Stdout, cmd.Stderr = &out, p.out
	if err := cmd.Run(); err != nil {
		return runtimeError(fmt.Errorf("systemctl show %s: %w", systemd.UnitName, err))
	}
	props := map[string]string{}
	for _, line := range strings.Split(out.String(), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			props[k] = v
		}
	}
	fmt.Fprintf(p.out, "%s: %s (%s), %s\n", systemd.UnitName, props["ActiveState"], props["SubState"], props["UnitFileState"])
	for _, k := range []string{"StatusText", "MainPID", "ExecMainStartTimestamp", "NRestarts"} {
		if v := props[k]; v != "" && v != "0" {
			fmt.Fprintf(p.out, "  %s: %s\n", k, v)
		}
	}
	if props["LoadState"] == "not-found" {
		fmt.Fprintln(p.out, "  not installed (ipamd service install)")
	}
	if props["ActiveState"] != "active" && props["ActiveState"] != "reloading" {
		return &exitError{code: exitNotRunning, err: fmt.Errorf("%s is not running", systemd.UnitName)}
	}
	return nil
}
