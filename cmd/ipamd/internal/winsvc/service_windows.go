//go:build windows

package winsvc

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/debug"
	"golang.org/x/sys/windows/svc/eventlog"
	"golang.org/x/sys/windows/svc/mgr"
)

// IsService reports whether the process was started by the SCM.
func IsService() (bool, error) { return svc.IsWindowsService() }

// Run runs prog as the service name until the SCM stops it. With console
// it runs under svc/debug instead: Ctrl-C is a stop request, so the
// service's code path can be exercised from a terminal (`ipamd serve
// --console`).
func Run(name string, console bool, stopHint time.Duration, prog Program) error {
	h := &handler{prog: prog, stopHint: stopHint}
	var err error
	if console {
		err = debug.Run(name, h)
	} else {
		err = svc.Run(name, h)
	}
	if err != nil {
		return fmt.Errorf("winsvc: run %s: %w", name, err)
	}
	if h.code != 0 {
		return fmt.Errorf("winsvc: %s stopped with exit code %d", name, h.code)
	}
	return nil
}

type handler struct {
	prog     Program
	stopHint time.Duration
	code     uint32
}

// Execute implements svc.Handler on top of execute.
func (h *handler) Execute(_ []string, r <-chan svc.ChangeRequest, s chan<- svc.Status) (bool, uint32) {
	reqs := make(chan request)
	quit := make(chan struct{})
	defer close(quit)
	go func() {
		for {
			var c svc.ChangeRequest
			var ok bool
			select {
			case c, ok = <-r:
				if !ok {
					return
				}
			case <-quit:
				return
			}
			var req request
			switch c.Cmd {
			case svc.Interrogate:
				req = reqInterrogate
			case svc.Stop, svc.Shutdown:
				req = reqStop
			case svc.ParamChange:
				req = reqReload
			default:
				continue
			}
			select {
			case reqs <- req:
			case <-quit:
				return
			}
		}
	}()
	h.code = execute(h.prog, h.stopHint, reqs, func(st status) {
		if st.state == stateStopped {
			return // svc reports STOPPED with the exit code once Execute returns
		}
		s <- toSvc(st)
	})
	return h.code != 0, h.code
}

func toSvc(st status) svc.Status {
	out := svc.Status{CheckPoint: st.checkPoint, WaitHint: uint32(st.waitHint / time.Millisecond)}
	switch st.state {
	case stateStartPending:
		out.State = svc.StartPending
	case stateRunning:
		out.State = svc.Running
	case stateStopPending:
		out.State = svc.StopPending
	default:
		out.State = svc.Stopped
	}
	if st.acceptStop {
		out.Accepts = svc.AcceptStop | svc.AcceptShutdown | svc.AcceptParamChange
	}
	return out
}

// OpenEventLog opens the service's Event Log source (registered by Install);
// in console mode a console stand-in.
func OpenEventLog(source string, console bool) (EventWriter, func() error, error) {
	if console {
		l := debug.New(source)
		return l, l.Close, nil
	}
	l, err := eventlog.Open(source)
	if err != nil {
		return nil, nil, fmt.Errorf("winsvc: event log %s: %w", source, err)
	}
	return l, l.Close, nil
}

// Install creates the service (automatic delayed start, the account, a
// service SID), its recovery actions and Event Log source, the state
// directory with an ACL for SYSTEM, Administrators and the service SID, and
// the configuration file from config when it is missing.
func Install(c ServiceConfig, config []byte, out io.Writer) (err error) {
	m, err := mgr.Connect()
	if err != nil {
		return fmt.Errorf("winsvc: connect to the service manager (run as Administrator): %w", err)
	}
	defer m.Disconnect()
	if s, err := m.OpenService(c.Name); err == nil {
		s.Close()
		return fmt.Errorf("winsvc: service %s already exists; uninstall it first", c.Name)
	}
	s, err := m.CreateService(c.Name, c.Exe, mgr.Config{
		StartType:        mgr.StartAutomatic,
		DelayedAutoStart: c.DelayedAutoStart,
		ErrorControl:     mgr.ErrorNormal,
		DisplayName:      c.DisplayName,
		Description:      c.Description,
		ServiceStartName: c.Account,
		SidType:          windows.SERVICE_SID_TYPE_UNRESTRICTED,
	}, c.Args...)
	if err != nil {
		return fmt.Errorf("winsvc: create service %s: %w", c.Name, err)
	}
	defer s.Close()
	fmt.Fprintf(out, "created service %s: %s\n", c.Name, c.CommandLine())
	defer func() {
		if err != nil {
			_ = s.Delete()
			fmt.Fprintf(out, "removed service %s again after the error\n", c.Name)
		}
	}()
	actions := make([]mgr.RecoveryAction, len(c.Restarts))
	for i, d := range c.Restarts {
		actions[i] = mgr.RecoveryAction{Type: mgr.ServiceRestart, Delay: d}
	}
	if err := s.SetRecoveryActions(actions, uint32(c.ResetPeriod/time.Second)); err != nil {
		return fmt.Errorf("winsvc: recovery actions: %w", err)
	}
	if err := s.SetRecoveryActionsOnNonCrashFailures(true); err != nil {
		return fmt.Errorf("winsvc: recovery on non-crash failures: %w", err)
	}
	if err := eventlog.InstallAsEventCreate(c.EventSource, eventlog.Error|eventlog.Warning|eventlog.Info); err != nil &&
		!strings.Contains(err.Error(), "exists") {
		return fmt.Errorf("winsvc: event log source %s: %w", c.EventSource, err)
	}
	fmt.Fprintf(out, "registered Event Log source %s\n", c.EventSource)
	if err := prepareStateDir(c); err != nil {
		return err
	}
	fmt.Fprintf(out, "state directory %s (SYSTEM, Administrators, NT SERVICE\\%s)\n", c.StateDir, c.Name)
	if _, err := os.Stat(c.ConfigFile); errors.Is(err, os.ErrNotExist) {
		if err := os.WriteFile(c.ConfigFile, config, 0o600); err != nil {
			return fmt.Errorf("winsvc: write %s: %w", c.ConfigFile, err)
		}
		fmt.Fprintf(out, "wrote configuration %s\n", c.ConfigFile)
	} else {
		fmt.Fprintf(out, "kept configuration %s\n", c.ConfigFile)
	}
	return nil
}

// prepareStateDir creates the state directory and replaces its ACL: full
// control for SYSTEM, Administrators and the service's own SID, inherited
// by what it holds, nothing for anyone else.
func prepareStateDir(c ServiceConfig) error {
	if err := os.MkdirAll(c.StateDir, 0o700); err != nil {
		return fmt.Errorf("winsvc: state directory: %w", err)
	}
	sid, _, _, err := windows.LookupSID("", `NT SERVICE\`+c.Name)
	if err != nil {
		return fmt.Errorf("winsvc: service SID of %s: %w", c.Name, err)
	}
	sd, err := windows.SecurityDescriptorFromString("D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;" + sid.String() + ")")
	if err != nil {
		return fmt.Errorf("winsvc: state directory ACL: %w", err)
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return fmt.Errorf("winsvc: state directory ACL: %w", err)
	}
	if err := windows.SetNamedSecurityInfo(c.StateDir, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, dacl, nil); err != nil {
		return fmt.Errorf("winsvc: set the ACL of %s: %w", c.StateDir, err)
	}
	return nil
}

// Uninstall stops the service if it runs, deletes it and its Event Log
// source. The state directory and configuration stay.
func Uninstall(name string, timeout time.Duration, out io.Writer) error {
	m, err := mgr.Connect()
	if err != nil {
		return fmt.Errorf("winsvc: connect to the service manager (run as Administrator): %w", err)
	}
	defer m.Disconnect()
	s, err := m.OpenService(name)
	if err != nil {
		return fmt.Errorf("winsvc: service %s: %w", name, err)
	}
	defer s.Close()
	if st, err := s.Query(); err == nil && st.State != svc.Stopped {
		if err := stopAndWait(s, timeout); err != nil {
			fmt.Fprintf(out, "stopping %s: %v (deleting anyway)\n", name, err)
		}
	}
	if err := s.Delete(); err != nil {
		return fmt.Errorf("winsvc: delete %s: %w", name, err)
	}
	fmt.Fprintf(out, "deleted service %s\n", name)
	if err := eventlog.Remove(name); err != nil {
		fmt.Fprintf(out, "event log source %s: %v\n", name, err)
	}
	return nil
}

// Start starts the service.
func Start(name string) error {
	return withService(name, func(s *mgr.Service) error { return s.Start() })
}

// Stop asks the service to stop and waits until it has (its drain), up to
// timeout.
func Stop(name string, timeout time.Duration) error {
	return withService(name, func(s *mgr.Service) error { return stopAndWait(s, timeout) })
}

// Query returns the service's state, e.g. "running (pid 1234)".
func Query(name string) (string, bool, error) {
	var out string
	var running bool
	err := withService(name, func(s *mgr.Service) error {
		st, err := s.Query()
		if err != nil {
			return err
		}
		running = st.State == svc.Running
		out = stateName(st.State)
		if st.ProcessId != 0 {
			out += fmt.Sprintf(" (pid %d)", st.ProcessId)
		}
		if st.State == svc.Stopped && st.ServiceSpecificExitCode != 0 {
			out += fmt.Sprintf(" (exit code %d)", st.ServiceSpecificExitCode)
		}
		return nil
	})
	return out, running, err
}

func withService(name string, f func(*mgr.Service) error) error {
	m, err := mgr.Connect()
	if err != nil {
		return fmt.Errorf("winsvc: connect to the service manager: %w", err)
	}
	defer m.Disconnect()
	s, err := m.OpenService(name)
	if err != nil {
		return fmt.Errorf("winsvc: service %s: %w", name, err)
	}
	defer s.Close()
	if err := f(s); err != nil {
		return fmt.Errorf("winsvc: %s: %w", name, err)
	}
	return nil
}

func stopAndWait(s *mgr.Service, timeout time.Duration) error {
	st, err := s.Control(svc.Stop)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(timeout)
	for st.State != svc.Stopped {
		if time.Now().After(deadline) {
			return fmt.Errorf("still %s after %v", stateName(st.State), timeout)
		}
		time.Sleep(300 * time.Millisecond)
		if st, err = s.Query(); err != nil {
			return err
		}
	}
	return nil
}

func stateName(s svc.State) string {
	switch s {
	case svc.Stopped:
		return "stopped"
	case svc.StartPending:
		return "start pending"
	case svc.StopPending:
		return "stop pending"
	case svc.Running:
		return "running"
	case svc.ContinuePending:
		return "continue pending"
	case svc.PausePending:
		return "pause pending"
	case svc.Paused:
		return "paused"
	}
	return fmt.Sprintf("state %d", s)
}
