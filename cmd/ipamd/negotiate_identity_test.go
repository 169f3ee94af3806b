package main

import (
	"bufio"
	bin "encoding/binary"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipamd/ipamd/duplex/security/negotiate"
	"github.com/ipamd/ipamd/duplex/security/nns"
	"github.com/ipamd/ipamd/duplex/security/ntlm"
	"github.com/ipamd/ipamd/internal/negotiatetest"
	"github.com/ipamd/ipamd/internal/server/servertest"
	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// logTail is every log entry of a running server (msg and level as
// fields), for assertions on what it logged after it started listening.
type logTail struct {
	mu    sync.Mutex
	lines []map[string]any // as of the last wait
	s     *servertest.Server
}

// wait returns the first line for which match is true, waiting up to 10 s.
func (l *logTail) wait(t *testing.T, what string, match func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		l.mu.Lock()
		l.lines = l.lines[:0]
		for _, e := range l.s.Logs.All() {
			m := e.ContextMap()
			m["msg"], m["level"] = e.Message, e.Level.String()
			l.lines = append(l.lines, m)
		}
		for _, m := range l.lines {
			if match(m) {
				l.mu.Unlock()
				return m
			}
		}
		l.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("no log line %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// serveTail runs the server `ipamd serve args...` configures (in this
// process: serveInProcess) with a debug log and returns the first
// listener's address and the log.
func serveTail(t *testing.T, args ...string) (string, *logTail) {
	t.Helper()
	s := serveInProcess(t, append([]string{"--state-dir", filepath.Join(t.TempDir(), "state"), "--log-level", "debug"}, args...)...)
	return s.Addrs()[0].Addr.String(), &logTail{s: s}
}

// editingInitiator changes the token an initiator sends in a given step:
// a client that says one thing in NEGOTIATE and another in AUTHENTICATE.
type editingInitiator struct {
	nns.Initiator
	step int
	at   int
	edit func([]byte)
}

func (e *editingInitiator) Step(tok []byte) ([]byte, bool, error) {
	out, done, err := e.Initiator.Step(tok)
	if e.step++; e.step == e.at && err == nil {
		e.edit(out)
	}
	return out, done, err
}

// TestServeNegotiateNTLMKeyStrength: on the real listener, an NTLM client
// that offers only 40- or 56-bit keys or no extended session security, in
// NEGOTIATE or only in AUTHENTICATE, is refused with
// SEC_E_ALGORITHM_MISMATCH before any data is sealed; the full client
// (gss-ntlmssp's flags) passes.
func TestServeNegotiateNTLMKeyStrength(t *testing.T) {
	accounts := negotiatetest.AccountsFile(t, t.TempDir(), "bob", "Bob-Pass-1234")
	addr, _ := serveTail(t, "--listen", "net.tcp://127.0.0.1:0?security=negotiate",
		"--security-negotiate-ntlm-accounts-file", accounts, "--security-administrators", `IPAM\bob`)
	const full = ntlm.FlagUnicode | ntlm.FlagRequestTarget | ntlm.FlagSign | ntlm.FlagSeal | ntlm.FlagNTLM |
		ntlm.FlagAlwaysSign | ntlm.FlagExtendedSessionSecurity | ntlm.FlagVersion | ntlm.Flag128 | ntlm.FlagKeyExch | ntlm.Flag56
	client := func(flags uint32) *ntlm.Client {
		return &ntlm.Client{Domain: "IPAM", User: "bob", NTHash: ntlm.NTHash("Bob-Pass-1234"), Flags: flags}
	}
	clearAuth := func(bits uint32) func([]byte) {
		return func(m []byte) { bin.LittleEndian.PutUint32(m[60:], bin.LittleEndian.Uint32(m[60:])&^bits) }
	}
	tests := []struct {
		name string
		ini  nns.Initiator
		want uint32 // HandshakeError HRESULT; 0 = accepted
	}{
		{"128-bit", &negotiate.NTLMInitiator{SPNEGO: true, Client: client(full)}, 0},
		{"40-bit only", &negotiate.NTLMInitiator{SPNEGO: true, Client: client(full &^ (ntlm.Flag128 | ntlm.Flag56))}, nns.SecEAlgorithmMismatch},
		{"56-bit only", &negotiate.NTLMInitiator{SPNEGO: true, Client: client(full &^ ntlm.Flag128)}, nns.SecEAlgorithmMismatch},
		{"40-bit only, raw", &negotiate.NTLMInitiator{Client: client(full &^ (ntlm.Flag128 | ntlm.Flag56))}, nns.SecEAlgorithmMismatch},
		{"no extended session security", &negotiate.NTLMInitiator{SPNEGO: true, Client: client(full &^ ntlm.FlagExtendedSessionSecurity)}, nns.SecEAlgorithmMismatch},
		// Raw NTLM has no MIC, so the flags of AUTHENTICATE are not
		// covered by anything but the acceptor's check.
		{"128-bit dropped in AUTHENTICATE", &editingInitiator{Initiator: &negotiate.NTLMInitiator{Client: client(full)},
			at: 2, edit: clearAuth(ntlm.Flag128 | ntlm.Flag56)}, nns.SecEAlgorithmMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nc, err := negotiatetest.Dial(t, addr, tt.ini)
			if tt.want == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if env := negotiatetest.Initialize(t, nc); env.IsFault() {
					t.Fatalf("administrator got a fault: %s", env.Header.Action)
				}
				return
			}
			var pe *nns.PeerError
			if !errors.As(err, &pe) || pe.HResult != tt.want {
				t.Fatalf("handshake: %v, want HandshakeError %#x", err, tt.want)
			}
		})
	}
}

// TestServeNegotiateCanonicalName: an NTLM client typing IPAM\CaRoL logs
// on as the account IPAM\carol and the daemon names the caller by the
// account file's spelling (the refusal's log line says ntlm:IPAM\carol);
// IPAM\BoB is the administrator IPAM\bob.
func TestServeNegotiateCanonicalName(t *testing.T) {
	accounts := negotiatetest.AccountsFile(t, t.TempDir(), "bob", "Bob-Pass-1234", "carol", "Carol-Pass-1234")
	addr, logs := serveTail(t, "--listen", "net.tcp://127.0.0.1:0?security=negotiate",
		"--security-negotiate-ntlm-accounts-file", accounts, "--security-administrators", `IPAM\bob`)
	login := func(domain, user, password string) net.Conn {
		nc, err := negotiatetest.Dial(t, addr, negotiatetest.NTLM(domain, user, password))
		if err != nil {
			t.Fatal(err)
		}
		return nc
	}
	if env := negotiatetest.Initialize(t, login("ipam", "BoB", "Bob-Pass-1234")); env.IsFault() {
		t.Fatalf("IPAM\\BoB: fault %s", env.Header.Action)
	}
	if env := negotiatetest.Initialize(t, login("Ipam", "CaRoL", "Carol-Pass-1234")); !env.IsFault() {
		t.Fatalf("IPAM\\CaRoL: %s, want IpamApiAccessDenied", env.Header.Action)
	}
	refused := logs.wait(t, "refusing the caller", func(m map[string]any) bool {
		return m["msg"] == "operation refused: caller is not authorized"
	})
	if refused["caller"] != `ntlm:IPAM\carol` {
		t.Fatalf("refusal names the caller %q, want ntlm:IPAM\\carol (the account file's spelling)", refused["caller"])
	}
	// Every session's lines name callers in the canonical spelling only.
	logs.mu.Lock()
	defer logs.mu.Unlock()
	for _, m := range logs.lines {
		if _, session := m["session_id"]; !session {
			continue
		}
		if c := m["caller"]; c != `ntlm:IPAM\bob` && c != `ntlm:IPAM\carol` {
			t.Errorf("log line %q names the caller %q", m["msg"], c)
		}
	}
}

// endSession sends End on an upgraded stream and reads the server's
// records up to its End.
func endSession(t *testing.T, nc net.Conn) {
	t.Helper()
	if _, err := nc.Write([]byte{0x07}); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(nc)
	for {
		b, err := br.ReadByte()
		if err != nil {
			t.Fatalf("waiting for End: %v", err)
		}
		switch b {
		case 0x07:
			if br.Buffered() > 0 {
				t.Fatalf("%d bytes after End", br.Buffered())
			}
			return
		case 0x06:
			n, err := bin.ReadUvarint(br)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := br.Discard(int(n)); err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("record %#x before End", b)
		}
	}
}

// TestServeNegotiateConnectionReuse: a .NET client pools the socket of a
// secured session and starts the next session on it (cleartext preamble,
// new upgrade). ipamd serves it, and the second session's caller is the
// one its own handshake names: IPAM\carol after the administrator
// IPAM\bob on the same socket gets IpamApiAccessDenied.
func TestServeNegotiateConnectionReuse(t *testing.T) {
	accounts := negotiatetest.AccountsFile(t, t.TempDir(), "bob", "Bob-Pass-1234", "carol", "Carol-Pass-1234")
	addr, _ := serveTail(t, "--listen", "net.tcp://127.0.0.1:0?security=negotiate",
		"--security-negotiate-ntlm-accounts-file", accounts, "--security-administrators", `IPAM\bob`)
	raw, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	_ = raw.SetDeadline(time.Now().Add(20 * time.Second))
	session := func(user, password string) net.Conn {
		nc, err := negotiatetest.Upgrade(t, raw, negotiatetest.NTLM("IPAM", user, password))
		if err != nil {
			t.Fatalf("%s: %v", user, err)
		}
		return nc
	}
	nc := session("bob", "Bob-Pass-1234")
	if env := negotiatetest.Initialize(t, nc); env.IsFault() {
		t.Fatalf("IPAM\\bob: fault %s", env.Header.Action)
	}
	endSession(t, nc)
	nc = session("carol", "Carol-Pass-1234")
	env := negotiatetest.Initialize(t, nc)
	if !env.IsFault() {
		t.Fatalf("IPAM\\carol on bob's socket: %s, want IpamApiAccessDenied", env.Header.Action)
	}
	if _, detail, err := soap.ReadFault(env.Body()); err != nil || !strings.Contains(string(detail), ipam.IpamApiAccessDenied) {
		t.Fatalf("fault detail %q %v", detail, err)
	}
	endSession(t, nc)
}
