package hostile_test

import (
	"strings"
	"testing"

	"github.com/ipamd/ipamd/internal/attack"
	"github.com/ipamd/ipamd/soap"
)

// hostileMessage is one message-level attack: its bytes, per
// encoding.
type hostileMessage struct {
	name   string
	binary []byte // application/soap+msbinsession1 payload; nil: not over net.tcp
	text   []byte // application/soap+xml; nil: not over HTTP
}

// payloadSize keeps every attack within limits.max_message_size, so that
// the framing layer lets it through and the readers must stop it.
const payloadSize = maxMessageSize - 64

func hostileMessages() []hostileMessage {
	var ms []hostileMessage
	for _, p := range attack.Places {
		ms = append(ms, hostileMessage{name: "expansion-" + p.String(),
			binary: attack.Expansion(p, payloadSize, soap.DefaultMaxSessionTableBytes)})
	}
	return append(ms,
		hostileMessage{"unknown-action", attack.LongAction(payloadSize - 200), attack.TextLongAction(payloadSize - 300)},
		hostileMessage{"long-message-id", attack.LongHeader(payloadSize - 300), attack.TextLongHeader(payloadSize-400, "http://127.0.0.1:1/cb")},
		hostileMessage{"deep-nesting", attack.Deep(10000), attack.TextDeep(6000)},
		hostileMessage{"long-string", attack.LongString(payloadSize - 300), attack.TextLongString(payloadSize - 400)},
		hostileMessage{"comment-split-text", nil, attack.TextCommentSplit(payloadSize - 400)},
	)
}

// TestHostileMessages sends every message-level attack on every listener
// kind, one connection each, and holds the daemon to its budgets: peak RSS
// growth per message, answer size, a fault (not a crash) and a closed
// session, log line length, goroutines back to the baseline, quota metric
// counted, and an ordinary session still served afterwards.
func TestHostileMessages(t *testing.T) {
	tg := startTarget(t)
	for _, kind := range []string{kindNone, kindTLS, kindNegotiate, kindHTTP} {
		tg.ordinarySession(t, kind) // warm-up: the peak RSS of ordinary work
	}
	baseGoroutines := tg.goroutines(t, 0)
	quotasBefore := tg.metric(t, "ipamd_quota_exceeded_total", true)

	for _, kind := range []string{kindNone, kindTLS, kindNegotiate, kindHTTP} {
		t.Run(kind, func(t *testing.T) {
			for _, m := range hostileMessages() {
				payload := m.binary
				if kind == kindHTTP {
					payload = m.text
				}
				if payload == nil {
					continue
				}
				t.Run(m.name, func(t *testing.T) {
					if len(payload) > maxMessageSize {
						t.Fatalf("attack of %d bytes exceeds the message size", len(payload))
					}
					before := tg.peakRSS(t)
					var answer []byte
					closed := true
					if kind == kindHTTP {
						_, answer = tg.post(t, payload)
					} else {
						answer, closed = tg.exchange(t, kind, payload)
					}
					growth := tg.peakRSS(t) - before
					t.Logf("%d-byte message: peak RSS +%d KiB, %d-byte answer", len(payload), growth>>10, len(answer))
					if growth > maxRSSGrowth {
						t.Errorf("peak RSS grew by %d MiB, budget %d MiB", growth>>20, maxRSSGrowth>>20)
					}
					if len(answer) > maxMessageSize {
						t.Errorf("answer of %d bytes exceeds limits.max_message_size %d", len(answer), maxMessageSize)
					}
					reason := ""
					if len(answer) > 0 {
						reason = checkFault(t, kind, answer)
					}
					// A caller who is not an administrator is refused before
					// the body is read (IpamApiAccessDenied; the session goes
					// on). Every other answer to these messages ends it.
					if !closed && !strings.Contains(reason, "requires membership") {
						t.Errorf("the session stayed open after a hostile message (fault %q)", reason)
					}
				})
			}
		})
	}

	tg.checkLogLines(t)
	if n := tg.goroutines(t, baseGoroutines+goroutineSlack); n > baseGoroutines+goroutineSlack {
		t.Errorf("goroutines %v after the attacks, baseline %v", n, baseGoroutines)
	}
	if got := tg.metric(t, "ipamd_quota_exceeded_total", true) - quotasBefore; got < float64(len(attack.Places)) {
		t.Errorf("ipamd_quota_exceeded_total grew by %v, want at least %d", got, len(attack.Places))
	}
	for _, kind := range []string{kindNone, kindTLS, kindNegotiate, kindHTTP} {
		tg.ordinarySession(t, kind)
	}
}

// checkFault decodes an answer: it must be a SOAP fault whose reason is
// short (the client's input echoed bounded, if at all). It returns the
// reason.
func checkFault(t *testing.T, kind string, answer []byte) string {
	t.Helper()
	enc := soap.EncodingBinarySession
	if kind == kindHTTP {
		enc = soap.EncodingText
	}
	env, err := soap.NewCodec(enc, soap.Limits{MaxMessageBytes: 256 << 20, MaxStringBytes: 256 << 20, MaxHeaderBytes: 256 << 20}).Decode(answer)
	if err != nil {
		t.Errorf("answer does not decode: %v", err)
		return ""
	}
	if !env.IsFault() {
		t.Errorf("answer %s is not a fault", env.Header.Action)
		return ""
	}
	f, _, err := soap.ReadFault(env.Body())
	if err != nil {
		t.Errorf("reading the fault: %v", err)
		return ""
	}
	if len(f.Reason) > 1024 {
		t.Errorf("fault reason of %d bytes: %.200s…", len(f.Reason), f.Reason)
	}
	if strings.Contains(f.Reason, strings.Repeat("x", 300)) {
		t.Errorf("fault reason echoes the client's input unbounded: %.200s…", f.Reason)
	}
	return f.Reason
}
