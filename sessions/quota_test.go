package sessions

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipamd/ipamd/internal/attack"
	"github.com/ipamd/ipamd/services"
	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/soap/xmlstream"
)

// quotaCounter is a PortObserver that records QuotaExceeded calls.
type quotaCounter struct {
	NopObserver
	mu     sync.Mutex
	quotas []string
}

func (q *quotaCounter) QuotaExceeded(quota string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.quotas = append(q.quotas, quota)
}

// TestQuotaFaultAndObserver: a message over a reader quota gets the
// QuotaExceeded fault with an IpamException, the session closes, and the
// port observer counts the quota once.
func TestQuotaFaultAndObserver(t *testing.T) {
	for _, tc := range []struct {
		name    string
		payload []byte
		quota   string
	}{
		{"header", attack.TextLongHeader(5000, "http://127.0.0.1/cb"), xmlstream.QuotaMaxHeaderSize},
		{"body depth", attack.TextDeep(40), xmlstream.QuotaMaxDepth},
		{"body string", attack.TextLongString(9000), xmlstream.QuotaMaxStringContentLength},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obs := &quotaCounter{}
			h := startSessionObserved(t, provisionBinding(services.NewMemory(false, false), time.Second, ""), obs)
			h.conn.in <- tc.payload
			r, _ := h.next()
			if r.fault == nil || !strings.Contains(r.fault.Reason, tc.quota) || r.exception == nil {
				t.Fatalf("got %+v (reason %q), want a QuotaExceeded fault naming %s with an IpamException", r, reasonOf(r), tc.quota)
			}
			if _, ok := h.next(); ok {
				t.Fatal("session output still open")
			}
			obs.mu.Lock()
			defer obs.mu.Unlock()
			if len(obs.quotas) != 1 || obs.quotas[0] != tc.quota {
				t.Fatalf("QuotaExceeded calls %q, want [%s]", obs.quotas, tc.quota)
			}
		})
	}
}

func reasonOf(r received) string {
	if r.fault == nil {
		return ""
	}
	return r.fault.Reason
}

// singlePort is an Observer giving every port the same PortObserver.
type singlePort struct{ PortObserver }

func (o singlePort) Port(string) PortObserver { return o.PortObserver }

// startSessionObserved is startSession through a Port, so that
// obs sees the session as the Manager's observer would.
func startSessionObserved(t *testing.T, b *Binding, obs PortObserver) *harness {
	t.Helper()
	m, err := NewManager(Options{Observer: singlePort{obs}}, Endpoint{Path: "/p", Binding: b})
	if err != nil {
		t.Fatal(err)
	}
	port := m.Port("/p")
	opts := port.Options()
	h := &harness{t: t, conn: newMemTransport(soap.EncodingText, opts.Limits, nil), client: soap.NewCodec(soap.EncodingText, soap.Limits{}),
		reader: soap.NewCodec(soap.EncodingText, soap.Limits{}), done: make(chan error, 1)}
	s := port.newSession(t.Context(), h.conn, opts)
	h.s = s
	go func() { h.done <- s.Serve() }()
	t.Cleanup(func() {
		h.conn.Abort()
		select {
		case <-h.done:
		case <-time.After(5 * time.Second):
			t.Error("session did not end")
		}
	})
	return h
}

// TestUnknownActionEchoBounded: an unknown a:Action (within the header
// quota) comes back cut to the echo bound in the reason, the ProblemAction
// and the IpamException.
func TestUnknownActionEchoBounded(t *testing.T) {
	h := startSession(t, provisionBinding(services.NewMemory(false, false), time.Second, ""), Options{})
	action := "urn:x:" + strings.Repeat("z", 4000)
	h.send(action, true, emptyBody{})
	var raw []byte
	select {
	case raw = <-h.conn.out:
	case <-time.After(5 * time.Second):
		t.Fatal("no answer")
	}
	if len(raw) > 4096 || strings.Contains(string(raw), strings.Repeat("z", soap.DefaultMaxEchoBytes)) {
		t.Fatalf("answer of %d bytes echoes the action unbounded", len(raw))
	}
	if n := strings.Count(string(raw), "truncated"); n < 3 {
		t.Fatalf("answer marks %d truncations, want reason, ProblemAction and IpamException:\n%s", n, raw)
	}
}

// bigBody is a reply body larger than any message size limit.
type bigBody struct{}

func (bigBody) WriteBody(w xmlstream.Writer) error {
	w.StartElement("", "big", "urn:big")
	w.Text(strings.Repeat("b", 8192))
	return w.EndElement()
}

// TestReplyWithinMessageSize: a reply over Limits.MaxMessageBytes is not
// sent; the small fixed TooLarge fault goes instead.
func TestReplyWithinMessageSize(t *testing.T) {
	h := startSession(t, provisionBinding(services.NewMemory(false, false), time.Second, ""), Options{Limits: soap.Limits{MaxMessageBytes: 4096}})
	if err := h.s.send(t.Context(), "urn:reply", "urn:uuid:1", bigBody{}); err != nil {
		t.Fatal(err)
	}
	r, _ := h.next()
	if r.fault == nil || r.fault.Reason != soap.TooLargeFault().Reason || r.relatesTo != "urn:uuid:1" {
		t.Fatalf("got %+v, want the TooLarge fault relating to the request", r)
	}
}

// TestCallbackOverMessageSizeIsAnError: a callback over
// Limits.MaxMessageBytes is not sent; the TooLarge fault goes to the
// client instead, and the work that sent the callback is told it did not
// go out (an enumerator must not count its rows as sent). Rule E5.
func TestCallbackOverMessageSizeIsAnError(t *testing.T) {
	h := startSession(t, provisionBinding(services.NewMemory(false, false), time.Second, ""), Options{Limits: soap.Limits{MaxMessageBytes: 4096}})
	h.s.sendMu.Lock()
	err := h.s.writeLocked(t.Context(), "urn:callback", "", bigBody{}, true)
	h.s.sendMu.Unlock()
	if !errors.Is(err, soap.ErrMessageTooLarge) {
		t.Fatalf("callback over the limit: err %v, want soap.ErrMessageTooLarge", err)
	}
	r, _ := h.next()
	if r.fault == nil || r.fault.Reason != soap.TooLargeFault().Reason {
		t.Fatalf("got %+v, want the TooLarge fault in the callback's place", r)
	}
}
