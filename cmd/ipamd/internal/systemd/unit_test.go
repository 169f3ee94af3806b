package systemd

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ipamd/ipamd/config"
)

const checkedIn = "../../../../deploy/systemd/ipamd.service"

// TestCheckedInUnit: deploy/systemd/ipamd.service is the default rendering
// (regenerate with go generate ./cmd/ipamd/internal/systemd).
func TestCheckedInUnit(t *testing.T) {
	want, err := Render(DefaultUnitOptions())
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(checkedIn)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from the default rendering; run go generate ./cmd/ipamd/internal/systemd", checkedIn)
	}
}

func TestRenderedUnit(t *testing.T) {
	tests := []struct {
		name  string
		opts  UnitOptions
		want  map[string]string // "Section.Key" → joined values ("" = absent)
		extra func(t *testing.T, u map[string]map[string][]string)
	}{
		{"defaults", DefaultUnitOptions(), map[string]string{
			"Service.Type":                    "notify",
			"Service.ExecStart":               "/usr/local/bin/ipamd serve --config /etc/ipamd/ipamd.yaml",
			"Service.WatchdogSec":             "30s",
			"Service.TimeoutStopSec":          "90s",
			"Service.DynamicUser":             "yes",
			"Service.User":                    "",
			"Service.StateDirectory":          "ipamd",
			"Service.ProtectSystem":           "strict",
			"Service.ProtectHome":             "yes",
			"Service.PrivateTmp":              "yes",
			"Service.NoNewPrivileges":         "yes",
			"Service.CapabilityBoundingSet":   "",
			"Service.AmbientCapabilities":     "",
			"Service.PrivateUsers":            "", // it would hide the owners of local callers' sockets
			"Service.RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6 AF_NETLINK",
			"Service.SystemCallFilter":        "@system-service|~@privileged",
			"Service.MemoryDenyWriteExecute":  "yes",
			"Service.LockPersonality":         "yes",
			"Service.ReadWritePaths":          "",
			"Install.WantedBy":                "multi-user.target",
		}, func(t *testing.T, u map[string]map[string][]string) {
			// An empty CapabilityBoundingSet= must be present (it clears the set).
			if v, ok := u["Service"]["CapabilityBoundingSet"]; !ok || len(v) != 1 || v[0] != "" {
				t.Errorf("CapabilityBoundingSet = %q, want one empty assignment", v)
			}
		}},
		{"system user, low port, own state dir, long drain", UnitOptions{User: "ipamd", BindPrivileged: true, StateDir: "/srv/ipamd",
			DrainTimeout: 10 * time.Minute, CloseTimeout: 5 * time.Second, Watchdog: time.Minute, ExecPath: "/opt/ipamd/bin/ipamd"},
			map[string]string{
				"Service.DynamicUser":           "",
				"Service.User":                  "ipamd",
				"Service.Group":                 "ipamd",
				"Service.CapabilityBoundingSet": "CAP_NET_BIND_SERVICE",
				"Service.AmbientCapabilities":   "CAP_NET_BIND_SERVICE",
				"Service.PrivateUsers":          "",
				"Service.ReadWritePaths":        "/srv/ipamd",
				"Service.TimeoutStopSec":        "625s",
				"Service.WatchdogSec":           "60s",
				"Service.ExecStart":             "/opt/ipamd/bin/ipamd serve --config /etc/ipamd/ipamd.yaml",
			}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := Render(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			u, err := ParseUnit(data)
			if err != nil {
				t.Fatal(err)
			}
			for k, want := range tt.want {
				sec, key, _ := strings.Cut(k, ".")
				if got := strings.Join(u[sec][key], "|"); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			if tt.extra != nil {
				tt.extra(t, u)
			}
			verify(t, data, "")
		})
	}
}

func TestRenderRefuses(t *testing.T) {
	for _, o := range []UnitOptions{
		{ExecPath: "relative/ipamd"},
		{ExecPath: "/opt/my ipamd/ipamd"},
		{ConfigFile: "/etc/ipamd/$HOME.yaml"},
		{ConfigFile: "/etc/ipamd/%i.yaml"},
		{StateDir: "/var/lib/../ipamd"},
		{User: "Root Admin"},
		{Watchdog: time.Millisecond},
	} {
		if _, err := Render(o); err == nil {
			t.Errorf("Render(%+v) accepted", o)
		}
	}
}

func TestOptionsFromConfig(t *testing.T) {
	load := func(env ...string) *config.Config {
		t.Helper()
		c, err := config.Load(config.LoadOptions{Environ: append([]string{"IPAMD_STATE_DIR_UNUSED=1"}, env...)})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	tests := []struct {
		name string
		env  []string
		want UnitOptions
	}{
		{"defaults", nil, UnitOptions{ConfigFile: "/c.yaml", DrainTimeout: time.Minute, CloseTimeout: 10 * time.Second}},
		{"net.tcp on 808", []string{"IPAMD_LISTEN=net.tcp://127.0.0.1:808"},
			UnitOptions{ConfigFile: "/c.yaml", BindPrivileged: true, DrainTimeout: time.Minute, CloseTimeout: 10 * time.Second}},
		{"admin on 443, drain 5m", []string{"IPAMD_ADMIN_LISTEN=127.0.0.1:443", "IPAMD_SHUTDOWN_DRAIN_TIMEOUT=5m"},
			UnitOptions{ConfigFile: "/c.yaml", BindPrivileged: true, DrainTimeout: 5 * time.Minute, CloseTimeout: 10 * time.Second}},
		{"state dir set", []string{"IPAMD_STATE_DIR=/srv/ipamd"},
			UnitOptions{ConfigFile: "/c.yaml", StateDir: "/srv/ipamd", DrainTimeout: time.Minute, CloseTimeout: 10 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := OptionsFromConfig(load(tt.env...), "/c.yaml")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// verify runs systemd-analyze verify on a unit, when the tool exists. The
// unit's ExecStart binary must exist, so it is pointed at this test binary
// (or at exe). verify exits 0 on some problems (unknown keys), so any
// output counts as a failure too.
func verify(t *testing.T, unit []byte, exe string) {
	t.Helper()
	tool, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Log("systemd-analyze not installed: unit not verified")
		return
	}
	if exe == "" {
		exe, _ = os.Executable()
	}
	var lines []string
	for _, l := range strings.Split(string(unit), "\n") {
		if strings.HasPrefix(l, "ExecStart=") {
			_, args, _ := strings.Cut(l, " ")
			l = "ExecStart=" + exe + " " + args
		}
		lines = append(lines, l)
	}
	path := filepath.Join(t.TempDir(), UnitName)
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, tool, "verify", "--man=no", path).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
