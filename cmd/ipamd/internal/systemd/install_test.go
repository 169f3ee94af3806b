package systemd

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInstallIntoRoot installs into a temporary root: the binary, the
// configuration and the unit land under it with their modes, no command
// runs, a second install keeps the edited configuration, and uninstall
// removes the unit only.
func TestInstallIntoRoot(t *testing.T) {
	root := t.TempDir()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	plan, err := InstallPlan(DefaultUnitOptions(), exe, []byte("log:\n  level: info\n"))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	ran := 0
	in := &Installer{Root: root, Out: &out, Run: func(context.Context, string, ...string) error { ran++; return nil }}
	if err := in.Apply(context.Background(), plan); err != nil {
		t.Fatal(err)
	}
	if ran != 0 {
		t.Errorf("%d commands run with --root", ran)
	}
	for _, f := range []struct {
		path string
		mode os.FileMode
	}{{DefaultExecPath, 0o755}, {DefaultConfigFile, 0o644}, {DefaultUnitPath, 0o644}} {
		fi, err := os.Stat(filepath.Join(root, f.path))
		if err != nil {
			t.Errorf("%s not installed: %v", f.path, err)
			continue
		}
		if fi.Mode().Perm() != f.mode {
			t.Errorf("%s mode %v, want %v", f.path, fi.Mode().Perm(), f.mode)
		}
	}
	unit, err := os.ReadFile(filepath.Join(root, DefaultUnitPath))
	if err != nil {
		t.Fatal(err)
	}
	if u, err := ParseUnit(unit); err != nil || u["Service"]["Type"][0] != "notify" {
		t.Fatalf("installed unit: %v %v", u, err)
	}
	verify(t, unit, filepath.Join(root, DefaultExecPath))
	for _, want := range []string{"would run: systemctl daemon-reload (not run with --root)", "would run: systemctl enable ipamd.service", "write unit " + filepath.Join(root, DefaultUnitPath)} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}

	cfg := filepath.Join(root, DefaultConfigFile)
	if err := os.WriteFile(cfg, []byte("# edited\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := in.Apply(context.Background(), plan); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(cfg); string(b) != "# edited\n" {
		t.Errorf("re-install overwrote the configuration: %q", b)
	}
	if !strings.Contains(out.String(), "keep configuration") {
		t.Errorf("report lacks the kept configuration:\n%s", out.String())
	}

	out.Reset()
	if err := in.Apply(context.Background(), UninstallPlan(DefaultUnitOptions())); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, DefaultUnitPath)); !os.IsNotExist(err) {
		t.Errorf("unit still there after uninstall: %v", err)
	}
	if _, err := os.Stat(cfg); err != nil {
		t.Errorf("uninstall removed the configuration: %v", err)
	}
}

func TestInstallWarnsAboutStateDirWithDynamicUser(t *testing.T) {
	for _, tt := range []struct {
		opts UnitOptions
		warn bool
	}{
		{UnitOptions{StateDir: "/srv/ipamd"}, true},
		{UnitOptions{StateDir: "/srv/ipamd", User: "ipamd"}, false},
		{UnitOptions{}, false},
	} {
		p, err := InstallPlan(tt.opts, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Contains(strings.Join(p.Notes, "\n"), "warning: state_dir")
		if got != tt.warn {
			t.Errorf("%+v: warning %v, want %v", tt.opts, got, tt.warn)
		}
	}
}

// TestDryRunTouchesNothing: the dry run prints the unit and the paths and
// writes nothing, not even under its root.
func TestDryRunTouchesNothing(t *testing.T) {
	root := t.TempDir()
	plan, err := InstallPlan(DefaultUnitOptions(), "/somewhere/ipamd", []byte("x: 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	in := &Installer{Root: root, DryRun: true, Out: &out, Run: func(context.Context, string, ...string) error {
		t.Error("a command ran in a dry run")
		return nil
	}}
	if err := in.Apply(context.Background(), plan); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(root)
	if len(entries) != 0 {
		t.Errorf("dry run wrote %v", entries)
	}
	unit, _ := Render(DefaultUnitOptions())
	for _, want := range []string{string(unit), "would copy binary /somewhere/ipamd -> " + filepath.Join(root, DefaultExecPath),
		"would write configuration " + filepath.Join(root, DefaultConfigFile), "would run: systemctl enable ipamd.service (dry run)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("dry run output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestLiveInstallRunsSystemctl: on a live system the commands run in order
// (with a recording runner; skipped where systemd is not running, since a
// live install refuses then).
func TestLiveInstallNeedsSystemd(t *testing.T) {
	if _, err := os.Stat("/run/systemd/system"); err == nil {
		t.Skip("systemd is running here; a live install would change this system")
	}
	in := &Installer{Out: &bytes.Buffer{}}
	plan, err := InstallPlan(DefaultUnitOptions(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Apply(context.Background(), plan); err != ErrNoSystemd {
		t.Fatalf("live install without systemd: %v, want ErrNoSystemd", err)
	}
}
