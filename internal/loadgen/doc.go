// Package loadgen is ipamd's load generator: it drives whole MS-IPAMM2
// sessions against a net.tcp endpoint — with a lean client (requests encoded
// once, replies scanned for what a session needs; the default, so the
// client is not what limits a run) or with the client packages a user runs
// (client over duplex/nmf) — and measures the ceilings those figures are
// compared with in the same run.
//
// Three modes:
//
//   - Sessions: N parallel clients each run whole provisioning sessions
//     (connect, preamble, Initialize, Start, the callbacks, End) back to
//     back for a duration or a count; sessions/s and latency percentiles.
//   - Hold: K sessions are initialized and held open with keepalives, then
//     each is run to completion, which proves none timed out; the server's
//     memory growth per session is reported when it can be read.
//   - Burst: B clients connect at the same instant; the time until every
//     one is initialized.
//
// Ceilings (Sessions mode only): a canned-bytes server that parses the
// framing with ipamd's own nmf.Framer and nothing else, answering each session with replies encoded once
// at start-up, and a raw TCP echo that carries the same number of round
// trips with the same byte counts. Each runs in-process for the same
// duration with the same clients, so a ratio survives a noisy machine.
//
// The package is internal because it is a measuring tool, not an API; it is
// a client of the sessions layer: it imports client, duplex/nmf, soap and wsdl/ipam,
// never services or store (cmd/ipamd wires it to a command; its tests run a
// real server through internal/server/servertest).
//
// Every run is bounded: by a duration or count, by per-session timeouts,
// and by refusing non-loopback targets unless the operator allows them.
package loadgen
