package main

import (
	"encoding/json"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ipamd/ipamd/internal/server/metrics"
	"github.com/ipamd/ipamd/internal/server/servertest"
	"github.com/ipamd/ipamd/store"
	"github.com/ipamd/ipamd/store/schema"
	"github.com/ipamd/ipamd/store/storetest"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

func TestParseWorkMetrics(t *testing.T) {
	const exposition = `# HELP ipamd_work_rows_total Rows written.
# TYPE ipamd_work_rows_total counter
ipamd_work_rows_total{kind="provisioning"} 1234
ipamd_work_rows_total{kind="schema_conversion"} 5e+06
# TYPE ipamd_work_step gauge
ipamd_work_step{kind="schema_conversion",step="4 backfill addresses"} 1
ipamd_work_step{kind="provisioning",step="seed \"odd\\name"} 1
ipamd_work_rows_totalx{kind="provisioning"} 9
`
	for _, tt := range []struct {
		kind     string
		wantRows float64
		wantStep string
		wantErr  bool
	}{
		{"provisioning", 1234, `seed "odd\name`, false},
		{"schema_conversion", 5e6, "4 backfill addresses", false},
		{"enumeration", 0, "", true},
	} {
		got, err := parseWorkMetrics(strings.NewReader(exposition), tt.kind)
		if (err != nil) != tt.wantErr || got.rows != tt.wantRows || got.step != tt.wantStep {
			t.Errorf("%s: %+v, %v; want rows %v step %q error %v", tt.kind, got, err, tt.wantRows, tt.wantStep, tt.wantErr)
		}
	}
}

func TestAdminMetricsURL(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:9090":         "http://127.0.0.1:9090/metrics",
		"[::1]:9090":             "http://[::1]:9090/metrics",
		"http://127.0.0.1:9090/": "http://127.0.0.1:9090/metrics",
		"localhost":              "",
		"ftp://127.0.0.1:9090":   "",
	} {
		got, err := adminMetricsURL(in)
		if got != want || (err != nil) != (want == "") {
			t.Errorf("adminMetricsURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// adminSample reads one series from a daemon's admin /metrics.
func adminSample(t *testing.T, admin, series string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	e, err := metrics.ParseText(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	v, ok := e.Series(series)
	if !ok {
		t.Fatalf("no %s on /metrics", series)
	}
	return v
}

var rowsInLine = regexp.MustCompile(`^schema conversion succeeded \((\d+) checkpoints?, (\d+) rows? \(\d+ rows/s\), `)

// TestConvertShowsServerProgress: a real conversion of a v1 store, on each
// engine, shorter than the default 5 s checkpoint interval still sends a
// checkpoint (the first goes out after 1 s), moves ipamd_work_rows_total and
// the rows/s gauge, and `ipamd convert --admin` prints the rows the server
// reports.
//
// Rules G11, C8. (docs/protocol.md)
func TestConvertShowsServerProgress(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			state := t.TempDir()
			var (
				gen    []string
				active store.Config
				extra  []string
			)
			switch e.Dialect {
			case schema.SQLite:
				live := filepath.Join(state, store.WIDFileName)
				gen = []string{"--engine", "sqlite", "--path", live}
				active = store.Config{Type: ipam.IpamDatabaseTypeWindowsInternalDatabase, Path: live}
			case schema.PostgreSQL:
				pg := storetest.NewPostgresDB(t)
				gen = []string{"--engine", "postgres", "--dsn", pg.DSN()}
				active = store.Config{Type: ipam.IpamDatabaseTypeMSSQLServer, Host: pg.Host, Port: pg.Port, Name: pg.Name,
					User: pg.User, Password: pg.Password}
				extra = []string{"--store-allowed-hosts", net.JoinHostPort(pg.Host, strconv.Itoa(pg.Port)), "--store-remember-password"}
			}
			if out, errOut, code := ipamd(t, nil, append([]string{"dev", "make-legacy-store", "--addresses", "2000", "--seed", "5"}, gen...)...); code != 0 {
				t.Fatalf("make-legacy-store: exit %d\n%s%s", code, out, errOut)
			}
			if err := store.SaveActive(state, active, true); err != nil {
				t.Fatal(err)
			}
			// The work is padded to 1.5 s so that it is shorter than the
			// interval and longer than the first checkpoint's delay on any
			// machine. The binary, not servertest: the conversion runs
			// three times slower in a -race test process.
			d := startDaemon(t, append([]string{"--state-dir", state, "--dev-work-duration", "1500ms"}, extra...)...)
			if d.admin == "" {
				t.Fatal("no admin listener")
			}
			out, stderr, code := ipamd(t, nil, "convert", "--server", "net.tcp://"+d.netTCP, "--admin", d.admin, "--progress", "always")
			m := rowsInLine.FindStringSubmatch(strings.TrimSpace(out))
			if code != 0 || m == nil {
				t.Fatalf("convert: exit %d, %q\nstderr: %s", code, out, stderr)
			}
			checkpoints, _ := strconv.Atoi(m[1])
			rows, _ := strconv.ParseFloat(m[2], 64)
			if checkpoints < 1 || rows < 2000 {
				t.Errorf("%d checkpoints, %v rows; want >= 1 checkpoint and a row per address at least", checkpoints, rows)
			}
			if got := adminSample(t, d.admin, `ipamd_work_rows_total{kind="schema_conversion"}`); got != rows {
				t.Errorf("ipamd_work_rows_total = %v, the client printed %v", got, rows)
			}
			if got := adminSample(t, d.admin, `ipamd_work_last_rows_per_second{kind="schema_conversion"}`); got <= 0 {
				t.Errorf("ipamd_work_last_rows_per_second = %v after a conversion of %v rows", got, rows)
			}
			// The bar (forced on) showed the server's figures while the work ran.
			if !strings.Contains(stderr, " rows") {
				t.Errorf("no rows in the progress bar:\n%s", stderr)
			}
		})
	}
}

// TestProvisionShowsServerProgress: provisioning reports its seed rows;
// `ipamd provision --admin --output json` carries them.
//
// Rule G11. (docs/protocol.md)
func TestProvisionShowsServerProgress(t *testing.T) {
	d := servertest.Start(t, servertest.Set("listen", "net.tcp://127.0.0.1:0"))
	out, stderr, code := ipamd(t, nil, "provision", "--server", "net.tcp://"+d.NetTCP, "--admin", d.Admin, "--output", "json")
	var r struct {
		Outcome  string
		Rows     *int64
		LastStep string `json:"last_step"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil || code != 0 || r.Outcome != "success" {
		t.Fatalf("provision: exit %d, %q (%v)\nstderr: %s", code, out, err, stderr)
	}
	// (The step is seen only when a read falls inside the run, which
	// provisioning may finish first.)
	if r.Rows == nil || *r.Rows <= 0 {
		t.Fatalf("rows %v, last step %q: want the seed rows", r.Rows, r.LastStep)
	}
	if got := adminSample(t, d.Admin, `ipamd_work_rows_total{kind="provisioning"}`); got != float64(*r.Rows) {
		t.Errorf("ipamd_work_rows_total = %v, the client reported %d", got, *r.Rows)
	}
}
