package soap

import (
	"errors"
	"runtime"
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
