package negotiate_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/ipamd/ipamd/duplex/nmf"
	"github.com/ipamd/ipamd/duplex/security"
	"github.com/ipamd/ipamd/duplex/security/negotiate"
	"github.com/ipamd/ipamd/duplex/security/nns"
	"github.com/ipamd/ipamd/duplex/security/ntlm"
)

type accounts map[string][16]byte

func (a accounts) Lookup(domain, user string) (ntlm.Account, bool) {
	h, ok := a[domain+`\`+user]
	return ntlm.Account{Domain: domain, User: user, NTHash: h}, ok
}

var testAccounts = accounts{`IPAM\bob`: ntlm.NTHash("Bob-Pass-1234")}

// router echoes every message with an "echo:" prefix and records sessions.
type router struct {
	mu  sync.Mutex
	ids []*security.Identity
}

func (r *router) Route(p *nmf.Preamble) (nmf.SessionHandler, error) {
	r.mu.Lock()
	r.ids = append(r.ids, p.Identity)
	r.mu.Unlock()
	return r, nil
}

func (r *router) ServeSession(ctx context.Context, s *nmf.Session) error {
	for {
		m, err := s.ReadMessage(ctx)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := s.WriteMessage(ctx, append([]byte("echo:"), m...)); err != nil {
			return err
		}
	}
}

func (r *router) routed() []*security.Identity {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*security.Identity(nil), r.ids...)
}

func serve(t *testing.T) (string, *router) {
	t.Helper()
	return serveWith(t, negotiate.Config{NTLM: ntlm.Config{Accounts: testAccounts, Computer: "IPAMD"}})
}

func serveWith(t *testing.T, cfg negotiate.Config) (string, *router) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &router{}
	up := negotiate.NewUpgrader(cfg, nns.Upgrader{HandshakeTimeout: 2 * time.Second})
	srv := nmf.NewServer(nmf.Options{Logger: zaptest.NewLogger(t), PreambleTimeout: 5 * time.Second}, r)
	done := make(chan error, 1)
	go func() {
		done <- srv.ServeListener(context.Background(), ln, nmf.ListenerSecurity{Upgrader: up, RequireUpgrade: true})
	}()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		<-done
	})
	return ln.Addr().String(), r
}

const via = "net.tcp://localhost/ipam/IIpamAsyncProvision"

func preamble() []byte {
	return nmf.AppendUpgradeRequest(nmf.AppendPreambleStart(nil, via, nmf.EncodingBinarySession), nns.Kind)
}

// dialUpgraded connects, sends the preamble up to the Upgrade Request and
// reads the Upgrade Response.
func dialUpgraded(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(preamble()); err != nil {
		t.Fatal(err)
	}
	one := make([]byte, 1)
	if _, err := io.ReadFull(c, one); err != nil || one[0] != 0x0A {
		t.Fatalf("upgrade response % x %v", one, err)
	}
	return c
}

// echo runs PreambleEnd, one message and End on an upgraded stream.
func echo(t *testing.T, c net.Conn, msg []byte) error {
	t.Helper()
	if _, err := c.Write(nmf.AppendSizedEnvelope([]byte{0x0C}, msg)); err != nil { // Preamble End, message
		return err
	}
	want := nmf.AppendSizedEnvelope([]byte{0x0B}, append([]byte("echo:"), msg...)) // Preamble Ack, echo
	got := make([]byte, len(want))
	if _, err := io.ReadFull(c, got); err != nil {
		return err
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("echo: got %d bytes, want %d", len(got), len(want))
	}
	if _, err := c.Write([]byte{0x07}); err != nil {
		return err
	}
	one := make([]byte, 1)
	if _, err := io.ReadFull(c, one); err != nil || one[0] != 0x07 {
		t.Fatalf("End % x %v", one, err)
	}
	return nil
}

func TestNTLMSessions(t *testing.T) {
	addr, r := serve(t)
	big := bytes.Repeat([]byte("x"), 0xFC00+100) // spans two NNS frames
	tests := []struct {
		name     string
		spnego   bool
		password string
		msg      []byte
		wantCode uint32 // HandshakeError expected; 0 = success
	}{
		{"spnego", true, "Bob-Pass-1234", []byte("hello"), 0},
		{"raw", false, "Bob-Pass-1234", []byte("hello"), 0},
		{"spnego, two frames", true, "Bob-Pass-1234", big, 0},
		{"spnego, wrong password", true, "WRONG", nil, nns.SecELogonDenied},
		{"raw, wrong password", false, "WRONG", nil, nns.SecELogonDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(r.routed())
			c := dialUpgraded(t, addr)
			ini := &negotiate.NTLMInitiator{SPNEGO: tt.spnego,
				Client: &ntlm.Client{Domain: "IPAM", User: "bob", NTHash: ntlm.NTHash(tt.password), Workstation: "WS"}}
			nc, err := nns.Initiate(context.Background(), c, ini)
			if tt.wantCode != 0 {
				var pe *nns.PeerError
				if !errors.As(err, &pe) || pe.HResult != tt.wantCode {
					t.Fatalf("err = %v, want HandshakeError %#x", err, tt.wantCode)
				}
				if n := len(r.routed()); n != before {
					t.Fatal("a session was routed after a failed handshake")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := echo(t, nc, tt.msg); err != nil {
				t.Fatal(err)
			}
			ids := r.routed()
			id := ids[len(ids)-1]
			if id == nil || id.Mechanism != security.MechanismNTLM || id.Name != `IPAM\bob` || !id.Loopback {
				t.Fatalf("identity %+v", id)
			}
		})
	}
}

// tamperConn flips one bit in the n-th data frame the client writes.
type tamperConn struct {
	net.Conn
	frame, n int
}

func (c *tamperConn) Write(b []byte) (int, error) {
	c.n++
	if c.n == c.frame {
		b = append([]byte(nil), b...)
		b[len(b)-1] ^= 1
	}
	return c.Conn.Write(b)
}

func TestTamperedDataFrame(t *testing.T) {
	addr, r := serve(t)
	c := dialUpgraded(t, addr)
	ini := &negotiate.NTLMInitiator{SPNEGO: true, Client: &ntlm.Client{Domain: "IPAM", User: "bob", NTHash: ntlm.NTHash("Bob-Pass-1234")}}
	if _, err := nns.Initiate(context.Background(), c, ini); err != nil {
		t.Fatal(err)
	}
	// Write the PreambleEnd frame through a tampering layer.
	tc := nns.NewConn(&tamperConn{Conn: c, frame: 1}, ini, nil)
	if _, err := tc.Write([]byte{0x0C}); err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(c); err != nil || len(b) != 0 {
		t.Fatalf("server answered % x (%v) to a tampered frame", b, err)
	}
	if n := len(r.routed()); n != 0 {
		t.Fatalf("%d sessions routed", n)
	}
}

type recording struct {
	Frames []struct{ Dir, Frame, Hex string } `json:"frames_as_seen_by_client"`
}

func recorded(t *testing.T, name string) [][]byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var rec recording
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, f := range rec.Frames {
		h, _ := hex.DecodeString(f.Hex)
		out = append(out, h)
	}
	return out
}

// rawHandshake sends the recorded client handshake tokens and returns the
// server's HandshakeError code (0 if none came).
func rawHandshake(t *testing.T, addr string, toks [][]byte) uint32 {
	t.Helper()
	c := dialUpgraded(t, addr)
	for _, tok := range toks {
		b, _ := nns.AppendMessage(nil, nns.HandshakeInProgress, tok)
		if _, err := c.Write(b); err != nil {
			return 0
		}
		m, err := nns.ReadMessage(c)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if m.ID == nns.HandshakeError {
			if len(m.Payload) != 8 {
				t.Fatalf("error payload % x", m.Payload)
			}
			return binary.BigEndian.Uint32(m.Payload[4:])
		}
	}
	return 0
}

func TestRefusedHandshakes(t *testing.T) {
	addr, r := serve(t)
	ntlmRec := recorded(t, "ntlm-spnego-nns.json")
	krbRec := recorded(t, "krb5-spnego-nns.json")
	// A replayed handshake: the recorded AUTHENTICATE answers another
	// server challenge.
	if got := rawHandshake(t, addr, [][]byte{ntlmRec[0], ntlmRec[2]}); got != nns.SecELogonDenied {
		t.Errorf("replayed AUTHENTICATE: code %#x, want SEC_E_LOGON_DENIED", got)
	}
	// Kerberos only: no mechanism we support.
	if got := rawHandshake(t, addr, [][]byte{krbRec[0]}); got != nns.SecEUnsupportedFunction {
		t.Errorf("Kerberos-only: code %#x, want SEC_E_UNSUPPORTED_FUNCTION", got)
	}
	// Garbage token.
	if got := rawHandshake(t, addr, [][]byte{[]byte("not a token")}); got != nns.SecEInvalidToken {
		t.Errorf("garbage: code %#x, want SEC_E_INVALID_TOKEN", got)
	}
	if n := len(r.routed()); n != 0 {
		t.Fatalf("%d sessions routed", n)
	}
}

// TestHandshakeStall: a client that never sends its token is dropped after
// the handshake timeout.
func TestHandshakeStall(t *testing.T) {
	addr, _ := serve(t)
	c := dialUpgraded(t, addr)
	start := time.Now()
	if _, err := c.Write([]byte{0x16, 0x01, 0x00, 0x00, 0x10}); err != nil { // promises 16 bytes
		t.Fatal(err)
	}
	b, err := io.ReadAll(c)
	if err != nil || len(b) != 0 {
		t.Fatalf("got % x %v", b, err)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Fatalf("dropped after %v", d)
	}
}

// FuzzAcceptor feeds up to three arbitrary client tokens to an acceptor:
// no panic, and no context is ever established (a valid AUTHENTICATE would
// have to answer the acceptor's random challenge).
func FuzzAcceptor(f *testing.F) {
	b, err := os.ReadFile("testdata/ntlm-spnego-nns.json")
	if err != nil {
		f.Fatal(err)
	}
	var rec recording
	if err := json.Unmarshal(b, &rec); err != nil {
		f.Fatal(err)
	}
	tok := func(i int) []byte { h, _ := hex.DecodeString(rec.Frames[i].Hex); return h }
	f.Add(tok(0), tok(2), []byte(nil))
	f.Add(tok(0)[16:], tok(2), tok(2))
	f.Fuzz(func(t *testing.T, a, b, c []byte) {
		acc := negotiate.NewAcceptor(negotiate.Config{NTLM: ntlm.Config{Accounts: testAccounts}}, nil)
		for _, in := range [][]byte{a, b, c} {
			_, done, err := acc.Step(in)
			if err != nil {
				return
			}
			if done {
				t.Fatal("context established from fuzzed tokens")
			}
		}
	})
}
