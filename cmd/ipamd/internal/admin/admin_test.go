package admin

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

func start(t *testing.T, opts Options) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := New(opts)
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Error(err)
		}
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

func call(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestEndpoints(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "ipamd_test_total", Help: "test"})
	reg.MustRegister(c)
	c.Add(3)
	level := zap.NewAtomicLevelAt(zapcore.InfoLevel)
	var readyErr error
	base := start(t, Options{Gatherer: reg, Level: level, Ready: func(ctx context.Context) error { return readyErr }})

	tests := []struct {
		method, path, body string
		status             int
		want               string
	}{
		{"GET", "/metrics", "", 200, "ipamd_test_total 3"},
		{"GET", "/healthz", "", 200, "ok"},
		{"GET", "/readyz", "", 200, "ready"},
		{"GET", "/log/level", "", 200, `{"level":"info"}`},
		{"PUT", "/log/level", `{"level":"debug"}`, 200, `{"level":"debug"}`},
		{"PUT", "/log/level", `{"level":"loud"}`, 400, "unrecognized level"},
		{"GET", "/debug/pprof/", "", 404, ""},
		{"POST", "/metrics", "", 405, ""},
		{"GET", "/", "", 200, "/metrics"},
		{"GET", "/nope", "", 404, ""},
	}
	for _, tt := range tests {
		status, body := call(t, tt.method, base+tt.path, tt.body)
		if status != tt.status || !strings.Contains(body, tt.want) {
			t.Errorf("%s %s = %d %q, want %d containing %q", tt.method, tt.path, status, body, tt.status, tt.want)
		}
	}
	if level.Level() != zapcore.DebugLevel {
		t.Errorf("level = %v after PUT debug", level.Level())
	}
	readyErr = errors.New("store unreachable: dial tcp: connection refused")
	if status, body := call(t, "GET", base+"/readyz", ""); status != 503 || !strings.Contains(body, "not ready: store unreachable") {
		t.Errorf("/readyz with a failing check = %d %q", status, body)
	}
}

func TestReadyTimeout(t *testing.T) {
	base := start(t, Options{Gatherer: prometheus.NewRegistry(), Level: zap.NewAtomicLevel(), ReadyTimeout: 50 * time.Millisecond,
		Ready: func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }})
	if status, body := call(t, "GET", base+"/readyz", ""); status != 503 || !strings.Contains(body, "deadline exceeded") {
		t.Errorf("/readyz with a hanging check = %d %q", status, body)
	}
}

func TestPprofOptIn(t *testing.T) {
	base := start(t, Options{Gatherer: prometheus.NewRegistry(), Level: zap.NewAtomicLevel(), Pprof: true})
	if status, body := call(t, "GET", base+"/debug/pprof/", ""); status != 200 || !strings.Contains(body, "goroutine") {
		t.Errorf("/debug/pprof/ = %d", status)
	}
	if status, body := call(t, "GET", base+"/debug/pprof/goroutine?debug=1", ""); status != 200 || !strings.Contains(body, "goroutine profile") {
		t.Errorf("goroutine profile = %d %.80q", status, body)
	}
}
