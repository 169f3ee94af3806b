//go:build windows

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/ipamd/ipamd/cmd/ipamd/internal/winsvc"
	"github.com/ipamd/ipamd/config"
)

// servicePlatform is `ipamd service` on the Windows SCM.
type servicePlatform struct {
	out     io.Writer
	name    string
	account string
}

func newServicePlatform(out io.Writer) *servicePlatform { return &servicePlatform{out: out} }

func (*servicePlatform) defaultConfig() string {
	return filepath.Join(config.DefaultStateDir(), "ipamd.yaml")
}

func (p *servicePlatform) addCommonFlags(c *cobra.Command) {
	c.PersistentFlags().StringVar(&p.name, "name", winsvc.DefaultName, "service `NAME`")
}

func (p *servicePlatform) addInstallFlags(c *cobra.Command) {
	c.Flags().StringVar(&p.account, "account", winsvc.DefaultAccount, "account the service runs as")
}

func (p *servicePlatform) addUninstallFlags(*cobra.Command) {}

func (p *servicePlatform) install(_ context.Context, sf *serviceFlags) error {
	cfg, err := serviceConfig(sf.config)
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return runtimeError(fmt.Errorf("locating this binary: %w", err))
	}
	sc, err := winsvc.ConfigFor(winsvc.InstallOptions{Name: p.name, Exe: exe, ConfigFile: sf.config, Account: p.account, Config: cfg})
	if err != nil {
		return err
	}
	if sf.dryRun {
		fmt.Fprintln(p.out, "would install (dry run, nothing changed):")
		sc.Describe(p.out)
		return nil
	}
	if err := winsvc.Install(sc, config.RenderExampleYAML(), p.out); err != nil {
		return runtimeError(err)
	}
	fmt.Fprintf(p.out, "start it with: ipamd service start (or: sc.exe start %s)\n", sc.Name)
	return nil
}

func (p *servicePlatform) uninstall(_ context.Context, sf *serviceFlags) error {
	if sf.dryRun {
		fmt.Fprintf(p.out, "would stop and delete service %s and its Event Log source (dry run)\n", p.name)
		return nil
	}
	if err := winsvc.Uninstall(p.name, serviceStopWait, p.out); err != nil {
		return runtimeError(err)
	}
	return nil
}

// serviceStopWait bounds `ipamd service stop`: a drain with the default
// settings (60s + 10s) fits.
const serviceStopWait = 2 * time.Minute

func (p *servicePlatform) start(context.Context) error {
	if err := winsvc.Start(p.serviceName()); err != nil {
		return runtimeError(err)
	}
	return nil
}

func (p *servicePlatform) stop(context.Context) error {
	if err := winsvc.Stop(p.serviceName(), serviceStopWait); err != nil {
		return runtimeError(err)
	}
	return nil
}

func (p *servicePlatform) status(context.Context) error {
	state, running, err := winsvc.Query(p.serviceName())
	if err != nil {
		return runtimeError(err)
	}
	fmt.Fprintf(p.out, "%s: %s\n", p.serviceName(), state)
	if !running {
		return &exitError{code: exitNotRunning, err: fmt.Errorf("%s is not running", p.serviceName())}
	}
	return nil
}

func (p *servicePlatform) serviceName() string {
	if p.name == "" {
		return winsvc.DefaultName
	}
	return p.name
}
