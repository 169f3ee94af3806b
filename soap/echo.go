package soap

import (
	"sync/atomic"

	"github.com/ipamd/ipamd/soap/xmlstream"
)

// DefaultMaxEchoBytes is how much of one piece of client input ipamd
// repeats by default (limits.max_echo_bytes).
const DefaultMaxEchoBytes = 256

var maxEcho atomic.Int64 // 0 = DefaultMaxEchoBytes (package variables may echo before init)

func echoLimit() int {
	if n := maxEcho.Load(); n > 0 {
		return int(n)
	}
	return DefaultMaxEchoBytes
}

// SetMaxEcho sets the bound Echo applies (n <= 0: the default). It is
// process-wide: the daemon sets it from limits.max_echo_bytes.
func SetMaxEcho(n int) {
	if n <= 0 {
		n = DefaultMaxEchoBytes
	}
	maxEcho.Store(int64(n))
}

// Echo returns client input s as ipamd may repeat it in a log field, a
// fault reason or detail, or an IpamException message: at most the echo
// bound (limits.max_echo_bytes) of it, cut at a character boundary, with
// invalid UTF-8 replaced, and marked "…[truncated N bytes]" when cut. What
// a client sends must not make the answer or a log line large.
func Echo(s string) string { return EchoMax(s, echoLimit()) }

// EchoMax is Echo with an explicit bound (xmlstream.Truncate).
func EchoMax(s string, limit int) string { return xmlstream.Truncate(s, limit) }
