//go:build windows

package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"go.uber.org/zap/zapcore"

	"github.com/ipamd/ipamd/cmd/ipamd/internal/winsvc"
	"github.com/ipamd/ipamd/config"
)

// platformFlags are the Windows serve flags.
type platformFlags struct {
	console bool
}

func addPlatformServeFlags(cmd *cobra.Command) *platformFlags {
	p := &platformFlags{}
	cmd.Flags().BoolVar(&p.console, "console", false,
		"run the Windows service code path in this console (Ctrl-C is a service stop), to debug the service")
	return p
}

// detect: started by the SCM (svc.IsWindowsService) or with --console, serve
// runs under the service control protocol; otherwise in the foreground.
// Under the SCM, stderr goes nowhere: the log is teed into the Event Log.
func (p *platformFlags) detect(cfg *config.Config) (platformEnv, error) {
	isSvc, err := winsvc.IsService()
	if err != nil {
		return platformEnv{}, fmt.Errorf("detecting the Windows service manager: %w", err)
	}
	env := platformEnv{close: func() {}}
	if !isSvc && !p.console {
		return env, nil
	}
	if isSvc {
		w, closeLog, err := winsvc.OpenEventLog(winsvc.DefaultName, false)
		if err != nil {
			return platformEnv{}, err
		}
		env.logCore = func(l zapcore.LevelEnabler) zapcore.Core { return winsvc.NewEventCore(w, l) }
		env.close = func() { _ = closeLog() }
	}
	stopHint := cfg.Shutdown.DrainTimeout + cfg.Limits.CloseTimeout
	console := p.console && !isSvc
	env.run = func(serve serveFunc) error {
		var serveErr error
		err := winsvc.Run(winsvc.DefaultName, console, stopHint, func(ctx context.Context, ready func(), reload <-chan struct{}) error {
			serveErr = serve(ctx, scmSupervisor{ready: ready}, reload)
			return serveErr
		})
		if serveErr != nil {
			return serveErr // an exitError, already logged
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			return runtimeError(err)
		}
		return nil
	}
	return env, nil
}

// scmSupervisor reports readiness to the SCM (RUNNING); stop and reload
// come from the SCM's controls, so the rest has nothing to say.
type scmSupervisor struct{ ready func() }

func (s scmSupervisor) Ready(string)                         { s.ready() }
func (scmSupervisor) Stopping(string)                        {}
func (scmSupervisor) Reloading()                             {}
func (scmSupervisor) Status(string)                          {}
func (scmSupervisor) Watchdog(context.Context, func() error) {}
