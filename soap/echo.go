package soap

import "github.com/ipamd/ipamd/soap/xmlstream"

// DefaultMaxEchoBytes is how much of one piece of client input ipamd
// repeats by default (limits.max_echo_bytes).
const DefaultMaxEchoBytes = 256

// Echo returns client input s as ipamd may repeat it in a log field, a
// fault reason or detail, or an IpamException message: at most
// l.MaxEchoBytes of it (limits.max_echo_bytes; 0: DefaultMaxEchoBytes), cut
// at a character boundary, with invalid UTF-8 replaced, and marked
// "…[truncated N bytes]" when cut. What a client sends must not make the
// answer or a log line large. The bound travels with the Limits of the
// server that echoes: there is no process-wide one, so two servers in one
// process each keep their own.
func (l Limits) Echo(s string) string { return EchoMax(s, echoBound(l.MaxEchoBytes)) }

// EchoMax is Echo with an explicit bound (xmlstream.Truncate).
func EchoMax(s string, limit int) string { return xmlstream.Truncate(s, limit) }

// echoBound is the echo bound n stands for: n, or the default when n <= 0.
func echoBound(n int) int {
	if n <= 0 {
		return DefaultMaxEchoBytes
	}
	return n
}
