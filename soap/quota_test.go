package soap

import (
	"errors"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/ipamd/ipamd/internal/attack"
	"github.com/ipamd/ipamd/soap/xmlstream"
)

// allocated runs f and returns the bytes it allocated on the heap.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// decodeAll decodes payload, reads the body to the end and encodes the
// fault the receiver would answer with: what a session does with one
// message.
func decodeAll(c *Codec, payload []byte) (fault *Fault, reply []byte, err error) {
	env, err := c.Decode(payload)
	if err == nil {
		if _, err = dumpNodes(env.Body()); err == nil {
			err = env.Finish()
		}
		if err == nil {
			return nil, nil, nil
		}
	}
	var de *DecodeError
	if !errors.As(err, &de) {
		de = readError("body", err, Header{})
	}
	out, eerr := c.Encode(nil, &Header{Action: de.Fault.Action, RelatesTo: de.Header.MessageID}, de.Fault)
	if eerr != nil {
		return de.Fault, nil, eerr
	}
	return de.Fault, out, err
}

// TestExpansionBounded is the reproduction of issue 12's blow-up: one
// 64 KiB msbinsession1 message whose DictionaryText records reference a
// 2 KiB session string decodes to ~64 MiB (the a:Action alone) unless the
// reader's quotas stop it. Each place must end in a quota fault, allocate
// at most 8 MiB, and answer with a reply within the message size.
func TestExpansionBounded(t *testing.T) {
	const size = 64 << 10
	for _, place := range attack.Places {
		t.Run(place.String(), func(t *testing.T) {
			payload := attack.Expansion(place, size, DefaultMaxSessionTableBytes)
			if len(payload) > size {
				t.Fatalf("payload of %d bytes", len(payload))
			}
			c := NewCodec(EncodingBinarySession, Limits{MaxMessageBytes: size})
			var (
				fault *Fault
				reply []byte
				err   error
			)
			n := allocated(func() { fault, reply, err = decodeAll(c, payload) })
			t.Logf("%d-byte payload: %d bytes allocated, %d-byte reply, err %v", len(payload), n, len(reply), err)
			if !errors.Is(err, xmlstream.ErrQuota) {
				t.Errorf("error %v, want a quota error", err)
			}
			if n > 8<<20 {
				t.Errorf("decoding allocated %d bytes, want <= 8 MiB", n)
			}
			if len(reply) > size {
				t.Errorf("reply of %d bytes exceeds %d", len(reply), size)
			}
			if fault == nil || len(fault.Reason) > 1024 {
				t.Errorf("fault %v: want a short reason", fault)
			}
		})
	}
}

// TestQuotaFaults is the table of quota violations at the default Limits:
// each message ends in the fault whose reason names the quota and its
// limit (golden text), reported once to Limits.OnQuota.
func TestQuotaFaults(t *testing.T) {
	for _, tc := range []struct {
		name    string
		enc     Encoding
		lim     Limits
		payload []byte
		quota   string
		limit   int
	}{
		{"binary depth", EncodingBinarySession, Limits{}, attack.Deep(40), xmlstream.QuotaMaxDepth, 32},
		{"binary string", EncodingBinarySession, Limits{}, attack.LongString(9000), xmlstream.QuotaMaxStringContentLength, 8192},
		{"binary header", EncodingBinarySession, Limits{}, attack.LongHeader(5000), xmlstream.QuotaMaxHeaderSize, 4096},
		{"binary unknown action", EncodingBinarySession, Limits{}, attack.LongAction(5000), xmlstream.QuotaMaxHeaderSize, 4096},
		{"expansion", EncodingBinarySession, Limits{}, attack.Expansion(attack.InElements, 64<<10, 2048), xmlstream.QuotaMaxDecodedBytes, 0},
		{"attributes", EncodingBinarySession, Limits{}, attack.Expansion(attack.InAttribute, 64<<10, 2048), xmlstream.QuotaMaxBytesPerRead, 4096},
		{"session table", EncodingBinarySession, Limits{}, attack.Expansion(attack.InAction, 8192, 4096), xmlstream.QuotaMaxSessionSize, 2048},
		{"message size", EncodingBinarySession, Limits{MaxMessageBytes: 1024}, attack.LongString(2000), xmlstream.QuotaMaxReceivedMessageSize, 1024},
		{"text depth", EncodingText, Limits{}, attack.TextDeep(40), xmlstream.QuotaMaxDepth, 32},
		{"text string", EncodingText, Limits{}, attack.TextLongString(9000), xmlstream.QuotaMaxStringContentLength, 8192},
		{"text comment-split header", EncodingText, Limits{}, attack.TextCommentSplit(7000), xmlstream.QuotaMaxHeaderSize, 4096},
		{"text header", EncodingText, Limits{}, attack.TextLongHeader(5000, "http://127.0.0.1/cb"), xmlstream.QuotaMaxHeaderSize, 4096},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var seen []string
			tc.lim.OnQuota = func(q string) { seen = append(seen, q) }
			fault, reply, err := decodeAll(NewCodec(tc.enc, tc.lim), tc.payload)
			var qe *xmlstream.QuotaError
			if !errors.As(err, &qe) || qe.Quota != tc.quota {
				t.Fatalf("error %v, want quota %s", err, tc.quota)
			}
			limit := tc.limit
			if limit == 0 {
				limit = int(qe.Limit)
			}
			want := "QuotaExceeded: the message exceeds the receiver's " + tc.quota + " quota (" + strconv.Itoa(limit) + ")."
			if fault == nil || fault.Reason != want || fault.Code != CodeSender {
				t.Fatalf("fault %v, want Sender %q", fault, want)
			}
			if len(seen) != 1 || seen[0] != tc.quota {
				t.Fatalf("OnQuota calls %q, want [%s]", seen, tc.quota)
			}
			if len(reply) > 1024 {
				t.Fatalf("fault of %d bytes", len(reply))
			}
		})
	}
}

// TestEncodeWithinMessageSize: a reply larger than MaxMessageBytes is not
// produced; Encode says ErrMessageTooLarge and TooLargeFault fits.
func TestEncodeWithinMessageSize(t *testing.T) {
	for _, enc := range []Encoding{EncodingBinarySession, EncodingText} {
		c := NewCodec(enc, Limits{MaxMessageBytes: 2048})
		big := SenderFault(strings.Repeat("r", 4096))
		out, err := c.Encode([]byte("keep"), &Header{Action: ActionSOAPFault}, big)
		if !errors.Is(err, ErrMessageTooLarge) || string(out) != "keep" {
			t.Fatalf("%v: Encode of a 4 KiB fault: %q, %v; want ErrMessageTooLarge and dst unchanged", enc, out, err)
		}
		out, err = c.Encode(nil, &Header{Action: ActionDefaultFault, RelatesTo: "urn:uuid:1"}, TooLargeFault())
		if err != nil || len(out) > 2048 {
			t.Fatalf("%v: TooLargeFault: %d bytes, %v", enc, len(out), err)
		}
	}
}

// TestEchoBounded: an unknown a:Action within the header quota is echoed
// at most the echo bound in the ActionNotSupported fault.
func TestEchoBounded(t *testing.T) {
	action := "urn:x:" + strings.Repeat("y", 4000)
	f := ActionNotSupportedFault(action, 0)
	out, err := NewCodec(EncodingText, Limits{}).Encode(nil, &Header{Action: f.Action}, f)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) > 2048 || strings.Contains(string(out), strings.Repeat("y", DefaultMaxEchoBytes)) {
		t.Fatalf("fault of %d bytes echoes the action: %.300s", len(out), out)
	}
	if !strings.Contains(f.Reason, "truncated") {
		t.Fatalf("reason %q is not marked truncated", f.Reason)
	}
}
