package loadgen

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ipamd/ipamd/config"
	"github.com/ipamd/ipamd/internal/server/servertest"
	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// startIPAMD runs a provisioned ipamd (servertest: what ipamd serve runs)
// on loopback, with the in-memory ADM state: every provisioning session
// ends with an AlreadyProvisioned Complete.
func startIPAMD(tb testing.TB) string {
	tb.Helper()
	s := servertest.Start(tb,
		servertest.Set("listen", "net.tcp://127.0.0.1:0"),
		servertest.Set("admin.listen", ""),
		servertest.Set("log.level", "warn"),
		servertest.Set("dev.provisioned", "true"),
		servertest.Set("session.checkpoint_interval", "1s"),
		servertest.Set("limits.close_timeout", "2s"),
		// The load comes from one address: lift the per-address share
		// (docs/performance.md runs ipamd the same way).
		servertest.Set("limits.max_connections_per_address", "1000000"))
	return s.ProvisionURI(config.TransportNetTCP)
}

// checkClean fails on any error and on any outcome but AlreadyProvisioned.
func checkClean(t *testing.T, r *Report, wantSessions int) {
	t.Helper()
	if len(r.Errors) > 0 {
		t.Errorf("%s/%s against %s: errors %v", r.Mode, r.Server, r.Target, r.Errors)
	}
	for k, n := range r.Outcomes {
		if k != ipam.IpamApiErrorIpamAlreadyProvisioned {
			t.Errorf("%s/%s: %d sessions ended %q", r.Mode, r.Server, n, k)
		}
	}
	if r.Sessions < wantSessions {
		t.Errorf("%s/%s: %d sessions, want at least %d", r.Mode, r.Server, r.Sessions, wantSessions)
	}
}

// TestModes is the CI form of the load scenarios: each mode for about a
// second at small scale, failing on errors, never on timing.
func TestModes(t *testing.T) {
	target := startIPAMD(t)
	ctx := context.Background()
	tests := []struct {
		name string
		cfg  Config
		want int
	}{
		{"sessions binary", Config{Mode: ModeSessions, Clients: 8, Duration: time.Second}, 1},
		{"sessions text", Config{Mode: ModeSessions, Encoding: soap.EncodingText, Clients: 4, Count: 50}, 50},
		{"hold", Config{Mode: ModeHold, Count: 64, Clients: 16, Duration: 1500 * time.Millisecond,
			KeepaliveInterval: 200 * time.Millisecond}, 64},
		{"burst", Config{Mode: ModeBurst, Count: 100}, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Target = target
			r, err := Run(ctx, tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			checkClean(t, r, tt.want)
			switch tt.cfg.Mode {
			case ModeHold:
				if r.Held != tt.cfg.Count {
					t.Errorf("held %d of %d", r.Held, tt.cfg.Count)
				}
			case ModeBurst:
				if r.AllInitialized <= 0 || r.Held != tt.cfg.Count {
					t.Errorf("burst: %d initialized, all in %v", r.Held, r.AllInitialized)
				}
			}
		})
	}
}

// TestCompare runs ipamd and both ceilings; the canned server must satisfy
// the real client in both encodings (its replies are checked by the client
// as ipamd's are).
func TestCompare(t *testing.T) {
	target := startIPAMD(t)
	for _, enc := range []soap.Encoding{soap.EncodingBinarySession, soap.EncodingText} {
		t.Run(EncodingName(enc), func(t *testing.T) {
			cmp, err := Compare(context.Background(), Config{Mode: ModeSessions, Target: target, Encoding: enc,
				Clients: 4, Count: 40}, []Ceiling{CeilingCanned, CeilingEcho})
			if err != nil {
				t.Fatal(err)
			}
			if len(cmp.Runs) != 3 || cmp.Machine.Cores == 0 {
				t.Fatalf("comparison: %+v", cmp)
			}
			checkClean(t, cmp.Runs[0], 40)
			checkClean(t, cmp.Runs[1], 40)
			if r := cmp.Runs[2]; r.Sessions != 40 || len(r.Errors) > 0 {
				t.Errorf("echo: %d sessions, errors %v", r.Sessions, r.Errors)
			}
			for _, c := range []Ceiling{CeilingCanned, CeilingEcho} {
				if cmp.Ratios[c] <= 0 {
					t.Errorf("ratio to %s: %v", c, cmp.Ratios[c])
				}
			}
		})
	}
}

// TestHoldMemory: the memory reader is called before and while held.
func TestHoldMemory(t *testing.T) {
	target := startIPAMD(t)
	calls := 0
	mem := func() (int64, error) { calls++; return int64(calls) * 1 << 20, nil }
	r, err := Run(context.Background(), Config{Mode: ModeHold, Target: target, Count: 8, Duration: 200 * time.Millisecond, ServerMemory: mem})
	if err != nil {
		t.Fatal(err)
	}
	checkClean(t, r, 8)
	if calls != 2 || r.MemoryPerSession != (1<<20)/8 {
		t.Errorf("memory: %d reads, %d bytes per session", calls, r.MemoryPerSession)
	}
}

// TestErrorsCounted: a wrong endpoint path is counted by its framing fault,
// not returned.
func TestErrorsCounted(t *testing.T) {
	target := startIPAMD(t)
	r, err := Run(context.Background(), Config{Mode: ModeSessions, Target: target + "-nope", Clients: 2, Count: 4})
	if err != nil {
		t.Fatal(err)
	}
	if r.Errors["framing:EndpointNotFound"] != 4 || r.Sessions != 0 {
		t.Errorf("errors %v, sessions %d", r.Errors, r.Sessions)
	}
	r, err = Run(context.Background(), Config{Mode: ModeSessions, Target: "net.tcp://127.0.0.1:1/x", Clients: 1, Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	if r.Errors["connect"] != 1 {
		t.Errorf("closed port: errors %v", r.Errors)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want error
	}{
		{"loopback v4", Config{Mode: ModeSessions, Target: "net.tcp://127.0.0.1:808/x"}, nil},
		{"loopback v6", Config{Mode: ModeBurst, Target: "net.tcp://[::1]:808/x"}, nil},
		{"localhost", Config{Mode: ModeHold, Target: "net.tcp://localhost/x"}, nil},
		{"remote refused", Config{Mode: ModeSessions, Target: "net.tcp://192.0.2.1:808/x"}, ErrRemoteTarget},
		{"name refused", Config{Mode: ModeSessions, Target: "net.tcp://ipam.example.com/x"}, ErrRemoteTarget},
		{"remote allowed", Config{Mode: ModeSessions, Target: "net.tcp://192.0.2.1:808/x", AllowRemote: true}, nil},
		{"bad mode", Config{Mode: "flood", Target: "net.tcp://127.0.0.1/x"}, ErrConfig},
		{"too many clients", Config{Mode: ModeSessions, Clients: MaxClients + 1, Target: "net.tcp://127.0.0.1/x"}, ErrConfig},
		{"too long", Config{Mode: ModeSessions, Duration: 2 * MaxDuration, Target: "net.tcp://127.0.0.1/x"}, ErrConfig},
		{"too many held", Config{Mode: ModeHold, Count: MaxSessions + 1, Target: "net.tcp://127.0.0.1/x"}, ErrConfig},
		{"not net.tcp", Config{Mode: ModeSessions, Target: "http://127.0.0.1/x"}, ErrConfig},
		{"binary non-session", Config{Mode: ModeSessions, Encoding: soap.EncodingBinary, Target: "net.tcp://127.0.0.1/x"}, ErrConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("Validate() = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(101-i)*time.Millisecond)
	}
	got := summarize(d)
	want := Latency{P50: 50 * time.Millisecond, P99: 99 * time.Millisecond, Max: 100 * time.Millisecond}
	if got != want {
		t.Errorf("summarize = %+v, want %+v", got, want)
	}
	if (summarize(nil) != Latency{}) {
		t.Error("summarize(nil) not zero")
	}
}
