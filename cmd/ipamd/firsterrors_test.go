package main

import (
	"net"
	"strings"
	"testing"
)

// Rule: a failure is one clear line; stack traces only at debug level.
//
// TestServeOnTakenPortIsOneLine: the first error a newcomer is likely to
// meet — the port is taken — is one log line, in both formats, with no
// Go stack trace after it unless the level is debug.
func TestServeOnTakenPortIsOneLine(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	taken := "net.tcp://" + ln.Addr().String()
	for _, tc := range []struct {
		format, level string
		stack         bool
	}{
		{"console", "info", false},
		{"json", "info", false},
		{"console", "debug", true},
	} {
		t.Run(tc.format+"/"+tc.level, func(t *testing.T) {
			_, stderr, code := ipamd(t, nil, "serve", "--listen", taken, "--admin-listen", "",
				"--state-dir", t.TempDir(), "--log-format", tc.format, "--log-level", tc.level)
			if code != exitRuntime {
				t.Fatalf("exit %d, want %d\n%s", code, exitRuntime, stderr)
			}
			var failure []string
			stack := false
			for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
				if strings.Contains(line, "address already in use") {
					failure = append(failure, line)
				}
				// A Go stack trace: function lines and tab-indented file:line
				// lines (console), or the JSON "stacktrace" field.
				stack = stack || strings.HasPrefix(line, "\t") || strings.HasPrefix(line, "main.") ||
					strings.Contains(line, `"stacktrace"`)
			}
			if len(failure) != 1 {
				t.Fatalf("the failure is said on %d lines, want 1:\n%s", len(failure), stderr)
			}
			if stack != tc.stack {
				t.Fatalf("stack trace printed: %v, want %v at level %s:\n%s", stack, tc.stack, tc.level, stderr)
			}
		})
	}
}

// Rule: status against a server that is down says the dial error once.
//
// TestStatusServerDownIsOneLine: both endpoints fail alike when the server
// is down; the error is said once (stderr), the report says "no answer".
func TestStatusServerDownIsOneLine(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	stdout, stderr, code := ipamd(t, nil, "status", "--server", "net.tcp://"+addr)
	if code != exitRuntime {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitRuntime, stdout, stderr)
	}
	if n := strings.Count(stdout+stderr, "connection refused"); n != 1 {
		t.Fatalf("the dial error is said %d times, want once:\n%s%s", n, stdout, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "ipamd: status: IIpamAsyncProvision and IIpamAsyncSchemaConversion: ") ||
		!strings.Contains(lines[0], "is ipamd running") {
		t.Fatalf("stderr %q, want one line naming both endpoints, with the hint", stderr)
	}
	_, stderr, code = ipamd(t, nil, "provision", "--server", "net.tcp://"+addr)
	if lines := strings.Split(strings.TrimSpace(stderr), "\n"); code != exitRuntime || len(lines) != 1 ||
		strings.Count(stderr, "connection refused") != 1 || !strings.Contains(stderr, "is ipamd running") {
		t.Fatalf("provision: exit %d, stderr %q; want one line with the hint", code, stderr)
	}
	for _, port := range []string{"IIpamAsyncProvision:", "IIpamAsyncSchemaConversion:"} {
		if !strings.Contains(stdout, port) || !strings.Contains(stdout, "no answer") {
			t.Fatalf("report lacks %s no answer:\n%s", port, stdout)
		}
	}
}
