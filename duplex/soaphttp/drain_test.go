package soaphttp

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDrain: after Drain the listener is closed, a running session still
// takes requests on its open connection, and a request that would start a
// new session gets 503 with a Receiver fault.
func TestDrain(t *testing.T) {
	f := newFixture(t, nil)
	sink := newSink(t)
	tr := &http.Transport{MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	do := func(replyTo, id string) (int, string) {
		t.Helper()
		resp, err := client.Post(f.url+"/ep", ct12, strings.NewReader(withSessionID(envelope12(actTwoWay, replyTo), id)))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	running := sink.URL + "/running"
	status, body := do(running, "")
	if status != 200 {
		t.Fatalf("first request: %d %s", status, body)
	}
	id := sessionIDOf(t, body)

	f.srv.Drain()
	f.srv.Drain()
	if !f.srv.Draining() {
		t.Fatal("Draining() = false")
	}
	if status, body := do(running, id); status != 200 {
		t.Errorf("running session during drain: %d %s", status, body)
	}
	status, body = do(sink.URL+"/new", "")
	if status != http.StatusServiceUnavailable || !strings.Contains(body, "Receiver") || !strings.Contains(body, "shutting down") {
		t.Errorf("new session during drain: %d %s, want 503 with a Receiver fault", status, body)
	}
	if n := f.h.count(); n != 1 {
		t.Errorf("%d sessions, want 1", n)
	}
	addr := strings.TrimPrefix(f.url, "http://")
	waitFor(t, func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return false
		}
		return errors.Is(err, syscall.ECONNREFUSED)
	}, "the listener to close")
}
