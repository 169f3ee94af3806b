package admin

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
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

func callWith(t *testing.T, method, url, body string, hdr map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestLogLevelNeedsTokenAboveWarn: without the token the level moves
// between debug and warn only; error (which silences warnings and the
// access-denied audit) needs the bearer token, whatever form the request
// takes.
func TestLogLevelNeedsTokenAboveWarn(t *testing.T) {
	const token = "s3cret-token-0123456789"
	for _, tc := range []struct {
		name, configured string
	}{{"with a token configured", token}, {"without a token", ""}} {
		t.Run(tc.name, func(t *testing.T) {
			level := zap.NewAtomicLevelAt(zapcore.InfoLevel)
			base := start(t, Options{Gatherer: prometheus.NewRegistry(), Level: level, Token: tc.configured})
			form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
			formParam := map[string]string{"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
			bearer := map[string]string{"Authorization": "Bearer " + token}
			for _, r := range []struct {
				name, url, body string
				hdr             map[string]string
				status          int
				want            zapcore.Level
			}{
				{"warn", "/log/level", `{"level":"warn"}`, nil, 200, zapcore.WarnLevel},
				{"debug", "/log/level", `{"level":"debug"}`, nil, 200, zapcore.DebugLevel},
				{"error, no token", "/log/level", `{"level":"error"}`, nil, 0, zapcore.DebugLevel},
				{"ERROR, no token", "/log/level", `{"level":"ERROR"}`, nil, 0, zapcore.DebugLevel},
				{"fatal, no token", "/log/level", `{"level":"fatal"}`, nil, 0, zapcore.DebugLevel},
				{"error, form", "/log/level", `level=error`, form, 0, zapcore.DebugLevel},
				{"error, form with parameters", "/log/level", `level=error`, formParam, 0, zapcore.DebugLevel},
				{"error in the query only", "/log/level?level=error", `level=warn`, form, 200, zapcore.WarnLevel},
				{"json with trailing data", "/log/level", `{"level":"error"} x`, nil, 400, zapcore.WarnLevel},
				{"wrong token", "/log/level", `{"level":"error"}`, map[string]string{"Authorization": "Bearer " + token + "x"}, 0, zapcore.WarnLevel},
				{"basic auth", "/log/level", `{"level":"error"}`, map[string]string{"Authorization": "Basic " + token}, 0, zapcore.WarnLevel},
				{"token", "/log/level", `{"level":"error"}`, bearer, 200, zapcore.ErrorLevel},
			} {
				status := r.status
				want := r.want
				if status == 0 || r.name == "token" {
					// Refused: 401 with a configured token, 403 without one.
					if tc.configured == "" {
						status = 403
						if r.name == "token" {
							want = zapcore.WarnLevel
						}
					} else if status == 0 {
						status = 401
					}
				}
				got, body := callWith(t, "PUT", base+r.url, r.body, r.hdr)
				if got != status {
					t.Errorf("%s: PUT = %d %q, want %d", r.name, got, body, status)
				}
				if level.Level() != want {
					t.Errorf("%s: level %v, want %v", r.name, level.Level(), want)
				}
			}
		})
	}
}

// TestHostCheck: the admin listener answers only requests that name it, so
// a page rebound to 127.0.0.1 can neither read metrics nor change the
// level; other methods than GET do not reach pprof.
func TestHostCheck(t *testing.T) {
	level := zap.NewAtomicLevelAt(zapcore.InfoLevel)
	base := start(t, Options{Gatherer: prometheus.NewRegistry(), Level: level, Pprof: true, AllowedHosts: []string{"mgmt.example"}})
	port := base[strings.LastIndex(base, ":")+1:]
	for _, tc := range []struct {
		method, path, body string
		hdr                map[string]string
		status             int
	}{
		{"GET", "/metrics", "", nil, 200},
		{"GET", "/metrics", "", map[string]string{"Host": "localhost:" + port}, 200},
		{"GET", "/metrics", "", map[string]string{"Host": "mgmt.example:" + port}, 200},
		{"GET", "/metrics", "", map[string]string{"Host": "attacker.example:" + port}, 403},
		{"PUT", "/log/level", `{"level":"debug"}`, map[string]string{"Host": "attacker.example:" + port}, 403},
		{"PUT", "/log/level", `{"level":"debug"}`, map[string]string{"Origin": "http://attacker.example"}, 403},
		{"GET", "/debug/pprof/", "", nil, 200},
		{"HEAD", "/debug/pprof/", "", nil, 200},
		{"POST", "/debug/pprof/symbol", "0x1", nil, 405},
		{"POST", "/debug/pprof/profile?seconds=1", "", nil, 405},
		{"DELETE", "/log/level", "", nil, 405},
	} {
		if got, body := callWith(t, tc.method, base+tc.path, tc.body, tc.hdr); got != tc.status {
			t.Errorf("%s %s %v = %d %.100q, want %d", tc.method, tc.path, tc.hdr, got, body, tc.status)
		}
	}
	if level.Level() != zapcore.InfoLevel {
		t.Errorf("a refused request changed the level to %v", level.Level())
	}
}

// FuzzLogLevel: whatever a PUT /log/level without the token carries, the
// level never ends above warn.
func FuzzLogLevel(f *testing.F) {
	f.Add("application/json", `{"level":"error"}`, "")
	f.Add("application/x-www-form-urlencoded", "level=error", "level=error")
	f.Add("application/x-www-form-urlencoded; charset=utf-8", `{"level":"fatal"}`, "")
	f.Add("text/plain", `{"level":"debug"} {"level":"error"}`, "")
	f.Add("application/json", `{"level":"warn","level":"panic"}`, "")
	level := zap.NewAtomicLevelAt(zapcore.InfoLevel)
	s := New(Options{Gatherer: prometheus.NewRegistry(), Level: level, Token: "a-token-of-sixteen+"})
	h := s.Handler()
	f.Fuzz(func(t *testing.T, contentType, body, query string) {
		level.SetLevel(zapcore.InfoLevel)
		req := httptest.NewRequest(http.MethodPut, "/log/level?"+url.QueryEscape(query), strings.NewReader(body))
		req.Host = "localhost"
		req = req.WithContext(context.WithValue(req.Context(), http.LocalAddrContextKey, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9485}))
		req.Header.Set("Content-Type", contentType)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if level.Level() > zapcore.WarnLevel {
			t.Fatalf("level %v set without the token (status %d)", level.Level(), rec.Code)
		}
	})
}
