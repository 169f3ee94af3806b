package systemd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// UnitName is the service's unit.
const UnitName = "ipamd.service"

// File is one file an install writes.
type File struct {
	Path string // on the target system (Installer.Root is prepended)
	Mode fs.FileMode
	Data []byte // the content, or
	// Source is a file to copy (the ipamd binary).
	Source string
	// KeepExisting writes the file only when it does not exist yet (the
	// configuration: an operator's edits survive a re-install).
	KeepExisting bool
	What         string // shown in the report: "unit", "configuration", "binary"
}

// Plan is what an install or uninstall does, in order: run Pre (failures
// are reported, not fatal: the unit may already be stopped), write Files,
// remove Remove, then run Commands.
type Plan struct {
	Pre      [][]string
	Files    []File
	Remove   []string
	Commands [][]string
	// Notes are printed after the actions (what is left behind, next steps).
	Notes []string
}

// InstallPlan is `ipamd service install`: the ipamd binary at
// opts.ExecPath (copied from exe unless it is that file), the configuration
// (from config when missing), the unit, then daemon-reload and enable.
func InstallPlan(opts UnitOptions, exe string, config []byte) (Plan, error) {
	opts = opts.withDefaults()
	unit, err := Render(opts)
	if err != nil {
		return Plan{}, err
	}
	var p Plan
	if exe != "" && filepath.Clean(exe) != opts.ExecPath {
		p.Files = append(p.Files, File{Path: opts.ExecPath, Mode: 0o755, Source: exe, What: "binary"})
	}
	p.Files = append(p.Files,
		File{Path: opts.ConfigFile, Mode: 0o644, Data: config, KeepExisting: true, What: "configuration"},
		File{Path: DefaultUnitPath, Mode: 0o644, Data: unit, What: "unit"},
	)
	p.Commands = [][]string{{"systemctl", "daemon-reload"}, {"systemctl", "enable", UnitName}}
	p.Notes = []string{
		"start it with: ipamd service start (systemctl start " + UnitName + ")",
		"state directory: /var/lib/ipamd (StateDirectory=ipamd" + map[bool]string{true: ", under /var/lib/private with DynamicUser", false: ""}[opts.User == ""] + ") unless state_dir is set",
		"logs: journalctl -u " + UnitName,
	}
	if opts.StateDir != "" && opts.StateDir != "/var/lib/ipamd" && opts.User == "" {
		p.Notes = append(p.Notes, "warning: state_dir "+opts.StateDir+" lies outside StateDirectory=; a DynamicUser "+
			"cannot own it across restarts: use --user with a system user that owns it, or leave state_dir unset")
	}
	return p, nil
}

// UninstallPlan is `ipamd service uninstall`: stop and disable the unit,
// remove it, daemon-reload. The binary, the configuration and the state
// stay.
func UninstallPlan(opts UnitOptions) Plan {
	opts = opts.withDefaults()
	return Plan{
		Pre:      [][]string{{"systemctl", "disable", "--now", UnitName}},
		Remove:   []string{DefaultUnitPath},
		Commands: [][]string{{"systemctl", "daemon-reload"}},
		Notes: []string{
			"left in place: " + opts.ExecPath + ", " + opts.ConfigFile + ", /var/lib/ipamd (remove them by hand if wanted)",
		},
	}
}

// Runner runs a command (systemctl) and returns its error.
type Runner func(ctx context.Context, name string, args ...string) error

// ExecRunner runs commands with os/exec, their output to out.
func ExecRunner(out io.Writer) Runner {
	return func(ctx context.Context, name string, args ...string) error {
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
		}
		return nil
	}
}

// Installer carries out a Plan.
type Installer struct {
	// Root is prepended to every path; commands are not run with a Root
	// (the service manager does not manage that tree). "" = the system.
	Root string
	// DryRun prints the plan (with every file's content) and changes
	// nothing.
	DryRun bool
	Out    io.Writer
	Run    Runner // nil = ExecRunner(Out)
}

// ErrNoSystemd means a real install was asked for on a system that is not
// running systemd.
var ErrNoSystemd = errors.New("systemd is not running on this system (no /run/systemd/system): use --root DIR or --dry-run")

// Apply carries out p.
func (in *Installer) Apply(ctx context.Context, p Plan) error {
	out := in.Out
	if out == nil {
		out = io.Discard
	}
	live := in.Root == "" && !in.DryRun
	if live && len(p.Commands)+len(p.Pre) > 0 {
		if _, err := os.Stat("/run/systemd/system"); err != nil {
			return ErrNoSystemd
		}
	}
	verb := map[bool]string{true: "would ", false: ""}[in.DryRun]
	if err := in.commands(ctx, out, p.Pre, live); err != nil {
		fmt.Fprintf(out, "(continuing: %v)\n", err)
	}
	for _, f := range p.Files {
		dst := in.path(f.Path)
		if f.KeepExisting {
			if _, err := os.Stat(dst); err == nil {
				fmt.Fprintf(out, "%skeep %s %s (exists)\n", verb, f.What, dst)
				continue
			}
		}
		switch {
		case f.Source != "":
			fmt.Fprintf(out, "%scopy %s %s -> %s (mode %04o)\n", verb, f.What, f.Source, dst, f.Mode)
		default:
			fmt.Fprintf(out, "%swrite %s %s (mode %04o, %d bytes)\n", verb, f.What, dst, f.Mode, len(f.Data))
			if in.DryRun && f.What == "unit" {
				fmt.Fprintf(out, "----- %s -----\n%s----- end of %s -----\n", dst, f.Data, dst)
			}
		}
		if in.DryRun {
			continue
		}
		if err := writeFile(dst, f); err != nil {
			return err
		}
	}
	for _, r := range p.Remove {
		dst := in.path(r)
		fmt.Fprintf(out, "%sremove %s\n", verb, dst)
		if in.DryRun {
			continue
		}
		if err := os.Remove(dst); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove %s: %w", dst, err)
		}
	}
	if err := in.commands(ctx, out, p.Commands, live); err != nil {
		return err
	}
	for _, n := range p.Notes {
		fmt.Fprintln(out, n)
	}
	return nil
}

// commands runs cmds on a live system, or says it would.
func (in *Installer) commands(ctx context.Context, out io.Writer, cmds [][]string, live bool) error {
	if !live {
		why := "dry run"
		if !in.DryRun {
			why = "not run with --root"
		}
		for _, c := range cmds {
			fmt.Fprintf(out, "would run: %s (%s)\n", strings.Join(c, " "), why)
		}
		return nil
	}
	run := in.Run
	if run == nil {
		run = ExecRunner(out)
	}
	for _, c := range cmds {
		fmt.Fprintf(out, "run: %s\n", strings.Join(c, " "))
		if err := run(ctx, c[0], c[1:]...); err != nil {
			return err
		}
	}
	return nil
}

func (in *Installer) path(p string) string {
	if in.Root == "" {
		return p
	}
	return filepath.Join(in.Root, p)
}

// writeFile writes f at dst through a temporary file and a rename, so a
// reader (systemd, a running ipamd being replaced) never sees half a file.
func writeFile(dst string, f File) (err error) {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("install %s: %w", dst, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".*")
	if err != nil {
		return fmt.Errorf("install %s: %w", dst, err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	if f.Source != "" {
		src, err := os.Open(f.Source)
		if err != nil {
			tmp.Close()
			return fmt.Errorf("install %s: %w", dst, err)
		}
		_, err = io.Copy(tmp, src)
		src.Close()
		if err != nil {
			tmp.Close()
			return fmt.Errorf("install %s: %w", dst, err)
		}
	} else if _, err := tmp.Write(f.Data); err != nil {
		tmp.Close()
		return fmt.Errorf("install %s: %w", dst, err)
	}
	if err := tmp.Chmod(f.Mode); err != nil {
		tmp.Close()
		return fmt.Errorf("install %s: %w", dst, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("install %s: %w", dst, err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return fmt.Errorf("install %s: %w", dst, err)
	}
	return nil
}
