package loadgen

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// A soak targets loopback only, the daemon and its admin listener alike,
// and stays within its bounds.
func TestSoakConfigValidate(t *testing.T) {
	ok := SoakConfig{Target: "net.tcp://127.0.0.1:8081/ipam/IIpamAsyncProvision", Admin: "127.0.0.1:9090"}
	for _, tc := range []struct {
		name string
		edit func(*SoakConfig)
		want error
	}{
		{"loopback", func(*SoakConfig) {}, nil},
		{"remote target", func(c *SoakConfig) { c.Target = "net.tcp://192.0.2.1:8081/x" }, ErrRemoteTarget},
		{"remote admin", func(c *SoakConfig) { c.Admin = "192.0.2.1:9090" }, ErrRemoteTarget},
		{"no admin", func(c *SoakConfig) { c.Admin = "" }, ErrConfig},
		{"too long", func(c *SoakConfig) { c.Duration = 2 * time.Hour }, ErrConfig},
		{"too many clients", func(c *SoakConfig) { c.Clients = 1000 }, ErrConfig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.edit(&c)
			err := c.Validate()
			if (tc.want == nil) != (err == nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Errorf("Validate: %v, want %v", err, tc.want)
			}
		})
	}
}

// The trend check fails a soak whose idle daemon ends with more of a
// resource than it began with beyond the bound — a leak of database
// connections included — and passes one that returned to its start.
func TestSoakTrend(t *testing.T) {
	idle := SoakSample{RSSBytes: 30 << 20, Goroutines: 12, FDs: 17, DBOpen: 1}
	for _, tc := range []struct {
		name string
		last func(SoakSample) SoakSample
		want string // a violation containing this; "" for none
	}{
		{"flat", func(s SoakSample) SoakSample { return s }, ""},
		{"pool kept idle connections", func(s SoakSample) SoakSample { s.DBOpen += 4; return s }, ""},
		{"connection leaked", func(s SoakSample) SoakSample { s.DBInUse += 1; s.DBOpen += 1; return s }, "database connections in use grew by 1"},
		{"connections opened beyond the pool", func(s SoakSample) SoakSample { s.DBOpen += 9; return s }, "open database connections grew by 9"},
		{"goroutines leaked", func(s SoakSample) SoakSample { s.Goroutines += 21; return s }, "goroutines grew by 21"},
		{"session left", func(s SoakSample) SoakSample { s.Sessions++; return s }, "sessions grew by 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			load := idle
			load.DBInUse, load.DBOpen, load.Load = 6, 8, true // busy under load: not a trend
			r := &SoakReport{Samples: []SoakSample{idle, load, tc.last(idle)}}
			r.trend(SoakConfig{}.withDefaults().Bounds)
			got := strings.Join(r.Violations, "; ")
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("violations %q, want %q", got, tc.want)
			}
		})
	}
}

// The sampler reads the store's pool from ipamd_store_connections, and
// refuses a daemon that does not export it.
func TestScrapeSoakStoreConnections(t *testing.T) {
	body := `# HELP ipamd_store_connections x
ipamd_process_resident_memory_bytes 1e+07
go_goroutines 12
ipamd_process_open_fds 17
ipamd_sessions{port_type="IIpamAsyncProvision",state="Initialized"} 2
ipamd_store_connections{state="idle"} 2
ipamd_store_connections{state="in_use"} 3
`
	for _, tc := range []struct {
		name, body  string
		inUse, open float64
		wantErr     bool
	}{
		{"exported", body, 3, 5, false},
		{"missing", strings.ReplaceAll(body, "ipamd_store_connections", "other"), 0, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, tc.body) }))
			defer srv.Close()
			s, err := scrapeSoak(context.Background(), srv.Client(), strings.TrimPrefix(srv.URL, "http://"))
			if (err != nil) != tc.wantErr {
				t.Fatalf("scrape: %v, want error %v", err, tc.wantErr)
			}
			if err == nil && (s.DBInUse != tc.inUse || s.DBOpen != tc.open || s.Sessions != 2) {
				t.Errorf("sample %+v, want in use %v, open %v, sessions 2", s, tc.inUse, tc.open)
			}
		})
	}
}
