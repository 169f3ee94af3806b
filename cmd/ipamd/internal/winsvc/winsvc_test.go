package winsvc

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/ipamd/ipamd/config"
)

func testConfig(t *testing.T, env ...string) *config.Config {
	t.Helper()
	c, err := config.Load(config.LoadOptions{Environ: append([]string{"IPAMD_STATE_DIR=" + t.TempDir()}, env...)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestConfigFor(t *testing.T) {
	cfg := testConfig(t, "IPAMD_SHUTDOWN_DRAIN_TIMEOUT=2m")
	tests := []struct {
		name     string
		opts     InstallOptions
		wantLine string
		wantErr  string
		check    func(t *testing.T, c ServiceConfig)
	}{
		{name: "defaults", opts: InstallOptions{Exe: `C:\Program Files\ipamd\ipamd.exe`, Config: cfg},
			wantLine: `"C:\Program Files\ipamd\ipamd.exe" serve --config ` + joinWindows(cfg.StateDir, "ipamd.yaml"),
			check: func(t *testing.T, c ServiceConfig) {
				if c.Name != "ipamd" || c.Account != DefaultAccount || !c.DelayedAutoStart || c.EventSource != "ipamd" {
					t.Errorf("%+v", c)
				}
				if len(c.Restarts) != 3 || c.Restarts[0] != 5*time.Second || c.ResetPeriod != 24*time.Hour {
					t.Errorf("recovery %v / %v", c.Restarts, c.ResetPeriod)
				}
				if c.StopWaitHint != 2*time.Minute+10*time.Second+10*time.Second {
					t.Errorf("stop wait hint %v, want drain + close + 10s", c.StopWaitHint)
				}
				if c.StateDir != cfg.StateDir {
					t.Errorf("state dir %q", c.StateDir)
				}
			}},
		{name: "named service, own config and account",
			opts:     InstallOptions{Name: "ipamd-test", Exe: `D:\ipamd.exe`, ConfigFile: `D:\conf\my ipamd.yaml`, Account: `NT AUTHORITY\NetworkService`, Config: cfg},
			wantLine: `D:\ipamd.exe serve --config "D:\conf\my ipamd.yaml"`,
			check: func(t *testing.T, c ServiceConfig) {
				if c.Name != "ipamd-test" || c.EventSource != "ipamd-test" || c.Account != `NT AUTHORITY\NetworkService` {
					t.Errorf("%+v", c)
				}
			}},
		{name: "relative exe", opts: InstallOptions{Exe: `ipamd.exe`, Config: cfg}, wantErr: "not an absolute path"},
		{name: "bad name", opts: InstallOptions{Name: `ip amd`, Exe: `C:\ipamd.exe`, Config: cfg}, wantErr: "service name"},
		{name: "no config", opts: InstallOptions{Exe: `C:\ipamd.exe`}, wantErr: "no configuration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ConfigFor(tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.CommandLine(); got != tt.wantLine {
				t.Errorf("command line %s\nwant         %s", got, tt.wantLine)
			}
			if tt.check != nil {
				tt.check(t, c)
			}
			var b bytes.Buffer
			c.Describe(&b)
			for _, want := range []string{"automatic (delayed start)", "restart after 5s, restart after 30s, restart after 2m0s", "Application log", c.CommandLine()} {
				if !strings.Contains(b.String(), want) {
					t.Errorf("Describe lacks %q:\n%s", want, b.String())
				}
			}
		})
	}
}

// TestEscapeArg: the cases of syscall.EscapeArg's documentation and tests
// (CommandLineToArgvW rules).
func TestEscapeArg(t *testing.T) {
	for in, want := range map[string]string{
		``:                  `""`,
		`plain`:             `plain`,
		`C:\dir\file`:       `C:\dir\file`,
		`with space`:        `"with space"`,
		`C:\Program Files\`: `"C:\Program Files\\"`,
		`say "hi"`:          `"say \"hi\""`,
		`a\"b c`:            `"a\\\"b c"`,
		`a"b`:               `a\"b`,
		`end\ space\`:       `"end\ space\\"`,
		"tab\there":         "\"tab\there\"",
	} {
		if got := escapeArg(in); got != want {
			t.Errorf("escapeArg(%q) = %s, want %s", in, got, want)
		}
	}
}

// scm drives execute like the Service Control Manager and records what the
// service reported.
type scm struct {
	mu       sync.Mutex
	reported []status
	changed  chan struct{}
}

func (s *scm) report(st status) {
	s.mu.Lock()
	s.reported = append(s.reported, st)
	s.mu.Unlock()
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

func (s *scm) waitFor(t *testing.T, st state) status {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		s.mu.Lock()
		for _, r := range s.reported {
			if r.state == st {
				s.mu.Unlock()
				return r
			}
		}
		s.mu.Unlock()
		select {
		case <-s.changed:
		case <-deadline:
			t.Fatalf("service never reported state %d; reported %+v", st, s.reported)
		}
	}
}

func TestExecuteStopAndReload(t *testing.T) {
	reloads := make(chan struct{}, 4)
	release := make(chan struct{})
	prog := func(ctx context.Context, ready func(), reload <-chan struct{}) error {
		ready()
		ready() // a second call is harmless
		for {
			select {
			case <-reload:
				reloads <- struct{}{}
			case <-ctx.Done():
				<-release // the drain takes a while
				return nil
			}
		}
	}
	s := &scm{changed: make(chan struct{}, 1)}
	reqs := make(chan request)
	code := make(chan uint32, 1)
	go func() { code <- execute(prog, time.Minute, reqs, s.report) }()

	running := s.waitFor(t, stateRunning)
	if !running.acceptStop {
		t.Error("running service does not accept stop")
	}
	reqs <- reqReload
	select {
	case <-reloads:
	case <-time.After(5 * time.Second):
		t.Fatal("ParamChange did not reach the program")
	}
	reqs <- reqInterrogate
	reqs <- reqStop
	stopping := s.waitFor(t, stateStopPending)
	if stopping.waitHint != time.Minute || stopping.acceptStop {
		t.Errorf("stop pending %+v, want the stop hint and no more controls", stopping)
	}
	reqs <- reqStop // a second stop while draining changes nothing
	close(release)
	if c := <-code; c != 0 {
		t.Errorf("exit code %d", c)
	}
	if st := s.waitFor(t, stateStopped); st.exitCode != 0 {
		t.Errorf("stopped %+v", st)
	}
}

func TestExecuteProgramFails(t *testing.T) {
	s := &scm{changed: make(chan struct{}, 1)}
	c := execute(func(context.Context, func(), <-chan struct{}) error { return errors.New("listen: address in use") },
		time.Second, make(chan request), s.report)
	if c != 1 {
		t.Fatalf("exit code %d, want 1", c)
	}
	if st := s.waitFor(t, stateStopped); st.exitCode != 1 {
		t.Errorf("%+v", st)
	}
	for _, r := range s.reported {
		if r.state == stateRunning {
			t.Error("reported running although the program never became ready")
		}
	}
}

type fakeEventLog struct{ lines []string }

func (f *fakeEventLog) Info(eid uint32, msg string) error {
	f.lines = append(f.lines, "I"+string(rune('0'+eid))+" "+msg)
	return nil
}
func (f *fakeEventLog) Warning(eid uint32, msg string) error {
	f.lines = append(f.lines, "W"+string(rune('0'+eid))+" "+msg)
	return nil
}
func (f *fakeEventLog) Error(eid uint32, msg string) error {
	f.lines = append(f.lines, "E"+string(rune('0'+eid))+" "+msg)
	return nil
}

func TestEventCore(t *testing.T) {
	f := &fakeEventLog{}
	log := zap.New(NewEventCore(f, zapcore.InfoLevel)).Named("ipamd").With(zap.String("port_type", "IIpamAsyncProvision"))
	log.Debug("not logged")
	log.Info("listening", zap.String("endpoint", "net.tcp://h:1/x"))
	log.Warn("drain timeout", zap.Duration("after", time.Minute))
	log.Error("server failed", zap.Error(errors.New("boom")))
	want := []string{
		`I1 {"logger":"ipamd","msg":"listening","port_type":"IIpamAsyncProvision","endpoint":"net.tcp://h:1/x"}`,
		`W2 {"logger":"ipamd","msg":"drain timeout","port_type":"IIpamAsyncProvision","after":"1m0s"}`,
		`E3 {"logger":"ipamd","msg":"server failed","port_type":"IIpamAsyncProvision","error":"boom"}`,
	}
	if strings.Join(f.lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("event log:\n%s\nwant\n%s", strings.Join(f.lines, "\n"), strings.Join(want, "\n"))
	}
}
