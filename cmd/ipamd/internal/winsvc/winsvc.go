// Package winsvc runs and manages ipamd as a Windows service: install with
// automatic (delayed) start, recovery actions and an Event Log source;
// uninstall, start, stop, query; and the service's side of the Service
// Control Manager protocol.
//
// What can be decided without Windows lives in files without a build tag
// and is tested everywhere: the mapping from ipamd's configuration to the
// service's settings and command line (ConfigFor), and the control state
// machine (execute) that turns SCM requests into a stop or a reload of the
// program. service_windows.go binds them to golang.org/x/sys/windows/svc.
package winsvc

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/ipamd/ipamd/config"
)

// Defaults of the service settings.
const (
	DefaultName        = "ipamd"
	DefaultDisplayName = "ipamd IPAM management daemon"
	DefaultDescription = "Serves Microsoft's IPAM management protocol (MS-IPAMM2: IIpamAsyncProvision, IIpamAsyncSchemaConversion) over WCF net.tcp."
	// DefaultAccount is the least-privileged built-in service account; the
	// service also gets its own SID (NT SERVICE\<name>), which the state
	// directory's ACL grants.
	DefaultAccount = `NT AUTHORITY\LocalService`
	configFileName = "ipamd.yaml"
)

// ErrUnsupported is returned by the management functions off Windows.
var ErrUnsupported = errors.New("winsvc: Windows services are only available on Windows")

// ServiceConfig is everything `ipamd service install` sets up.
type ServiceConfig struct {
	Name, DisplayName, Description string
	Exe                            string   // absolute path of ipamd.exe
	Args                           []string // after the executable: serve --config FILE
	Account                        string   // ServiceStartName
	DelayedAutoStart               bool
	// Restarts are the recovery actions: restart after each delay, for the
	// first, second and later failures; the failure count resets after
	// ResetPeriod without failure. They apply to non-zero exits too.
	Restarts    []time.Duration
	ResetPeriod time.Duration
	// EventSource is the Event Log source the service logs to.
	EventSource string
	// ConfigFile is written from the example when missing; StateDir is
	// created with an ACL for SYSTEM, Administrators and the service SID.
	ConfigFile, StateDir string
	// StopWaitHint is what the service tells the SCM a stop may take.
	StopWaitHint time.Duration
}

// InstallOptions are the inputs of ConfigFor.
type InstallOptions struct {
	Name       string // "" = DefaultName
	Exe        string // absolute path of ipamd.exe
	ConfigFile string // "" = <state_dir>\ipamd.yaml
	Account    string // "" = DefaultAccount
	Config     *config.Config
}

// ConfigFor maps the configuration to the service settings: the command
// line the SCM starts, the state directory to prepare, and a stop wait hint
// that covers shutdown.drain_timeout and limits.close_timeout.
func ConfigFor(o InstallOptions) (ServiceConfig, error) {
	if o.Config == nil {
		return ServiceConfig{}, errors.New("winsvc: no configuration")
	}
	if o.Name == "" {
		o.Name = DefaultName
	}
	if strings.ContainsAny(o.Name, `/\ `) || len(o.Name) > 256 {
		return ServiceConfig{}, fmt.Errorf("winsvc: service name %q: no slashes or spaces, at most 256 characters", o.Name)
	}
	if !isAbsWindows(o.Exe) {
		return ServiceConfig{}, fmt.Errorf("winsvc: executable %q is not an absolute path", o.Exe)
	}
	if o.ConfigFile == "" {
		o.ConfigFile = joinWindows(o.Config.StateDir, configFileName)
	}
	if !isAbsWindows(o.ConfigFile) {
		return ServiceConfig{}, fmt.Errorf("winsvc: configuration file %q is not an absolute path", o.ConfigFile)
	}
	if o.Account == "" {
		o.Account = DefaultAccount
	}
	return ServiceConfig{
		Name:             o.Name,
		DisplayName:      DefaultDisplayName,
		Description:      DefaultDescription,
		Exe:              o.Exe,
		Args:             []string{"serve", "--config", o.ConfigFile},
		Account:          o.Account,
		DelayedAutoStart: true,
		Restarts:         []time.Duration{5 * time.Second, 30 * time.Second, 2 * time.Minute},
		ResetPeriod:      24 * time.Hour,
		EventSource:      o.Name,
		ConfigFile:       o.ConfigFile,
		StateDir:         o.Config.StateDir,
		StopWaitHint:     o.Config.Shutdown.DrainTimeout + o.Config.Limits.CloseTimeout + 10*time.Second,
	}, nil
}

// CommandLine is the service's binary path name: the executable and the
// arguments quoted the way CommandLineToArgvW splits them.
func (c ServiceConfig) CommandLine() string {
	parts := []string{escapeArg(c.Exe)}
	for _, a := range c.Args {
		parts = append(parts, escapeArg(a))
	}
	return strings.Join(parts, " ")
}

// Describe writes what an install does, for --dry-run.
func (c ServiceConfig) Describe(w io.Writer) {
	restarts := make([]string, len(c.Restarts))
	for i, d := range c.Restarts {
		restarts[i] = "restart after " + d.String()
	}
	fmt.Fprintf(w, "service:        %s (%s)\n", c.Name, c.DisplayName)
	fmt.Fprintf(w, "command line:   %s\n", c.CommandLine())
	fmt.Fprintf(w, "start type:     automatic%s\n", map[bool]string{true: " (delayed start)", false: ""}[c.DelayedAutoStart])
	fmt.Fprintf(w, "account:        %s (service SID NT SERVICE\\%s)\n", c.Account, c.Name)
	fmt.Fprintf(w, "recovery:       %s; failure count reset after %s; also on non-zero exit\n", strings.Join(restarts, ", "), c.ResetPeriod)
	fmt.Fprintf(w, "stop wait hint: %s\n", c.StopWaitHint)
	fmt.Fprintf(w, "event log:      Application log, source %q\n", c.EventSource)
	fmt.Fprintf(w, "state dir:      %s (ACL: SYSTEM, Administrators, NT SERVICE\\%s)\n", c.StateDir, c.Name)
	fmt.Fprintf(w, "configuration:  %s (written from the example if missing)\n", c.ConfigFile)
}

// escapeArg quotes s exactly as syscall.EscapeArg does on Windows (which
// mgr.CreateService uses), so the dry run shows the real command line:
// quotes around arguments with spaces, backslashes doubled only before a
// double quote.
func escapeArg(s string) string {
	if s == "" {
		return `""`
	}
	needsBackslash := strings.ContainsAny(s, `"\`)
	hasSpace := strings.ContainsAny(s, " \t")
	switch {
	case !needsBackslash && !hasSpace:
		return s
	case !needsBackslash:
		return `"` + s + `"`
	}
	var b strings.Builder
	if hasSpace {
		b.WriteByte('"')
	}
	slashes := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		default:
			slashes = 0
		case '\\':
			slashes++
		case '"':
			b.WriteString(strings.Repeat(`\`, slashes+1))
			slashes = 0
		}
		b.WriteByte(c)
	}
	if hasSpace {
		b.WriteString(strings.Repeat(`\`, slashes))
		b.WriteByte('"')
	}
	return b.String()
}

// isAbsWindows accepts C:\… and \\server\share\… (and, so the mapping can
// be exercised in tests off Windows, what filepath.IsAbs accepts here).
func isAbsWindows(p string) bool {
	if len(p) >= 3 && (p[0]|0x20 >= 'a' && p[0]|0x20 <= 'z') && p[1] == ':' && (p[2] == '\\' || p[2] == '/') {
		return true
	}
	return strings.HasPrefix(p, `\\`) || filepath.IsAbs(p)
}

func joinWindows(dir, name string) string {
	if strings.Contains(dir, `\`) {
		return strings.TrimRight(dir, `\`) + `\` + name
	}
	return filepath.Join(dir, name)
}
