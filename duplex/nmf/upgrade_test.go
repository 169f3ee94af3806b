package nmf

import (
	"bytes"
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/ipamd/ipamd/duplex/security"
)

// identityUpgrader accepts one upgrade type and keeps the socket as is: it
// exercises the hook without a real TLS/NNS handshake.
type identityUpgrader struct{ kind string }

func (u identityUpgrader) CanUpgrade(kind string) bool { return kind == u.kind }

func (u identityUpgrader) Upgrade(ctx context.Context, kind string, conn net.Conn) (net.Conn, error) {
	return conn, nil
}

func TestUpgradeHook(t *testing.T) {
	router := &testRouter{h: newRecorder(false)}
	srv, addr := startServer(t, Options{Upgrader: identityUpgrader{kind: "application/test"}}, router)

	c := dial(t, addr)
	pre := preamble("net.tcp://h/svc", EncodingBinarySession, "", "application/test")
	upTo := len(pre) - 1 // everything before Preamble End
	if _, err := c.Write(pre[:upTo]); err != nil {
		t.Fatal(err)
	}
	if got := readN(t, c, 1, 5*time.Second); got[0] != recUpgradeResponse {
		t.Fatalf("got % x, want UpgradeResponse", got)
	}
	if _, err := c.Write([]byte{recPreambleEnd, recEnd}); err != nil {
		t.Fatal(err)
	}
	_ = c.CloseWrite()
	// After an upgraded session the connection is not reused.
	if got, closed := readAll(t, c, 5*time.Second); !closed || !bytes.Equal(got, []byte{recPreambleAck, recEnd}) {
		t.Fatalf("got % x closed=%v", got, closed)
	}
	if ps := router.preambles(); len(ps) != 1 || len(ps[0].Upgrades) != 1 || ps[0].Upgrades[0] != "application/test" {
		t.Fatalf("routed %+v", ps)
	}

	// Unsupported kinds are still refused in clear text.
	c2 := dial(t, addr)
	if _, err := c2.Write(preamble("net.tcp://h/svc", EncodingBinarySession, "", "application/ssl-tls")); err != nil {
		t.Fatal(err)
	}
	_ = c2.CloseWrite()
	if got, closed := readAll(t, c2, 5*time.Second); !closed || !bytes.Equal(got, faultBytes(FaultUpgradeInvalid)) {
		t.Fatalf("got % x closed=%v", got, closed)
	}
	waitIdle(t, srv)
}

// authConn is an upgraded connection that reports an identity.
type authConn struct {
	net.Conn
	id *security.Identity
}

func (c authConn) PeerIdentity() *security.Identity { return c.id }

type authUpgrader struct{ id *security.Identity }

func (authUpgrader) CanUpgrade(kind string) bool { return kind == "application/test" }

func (u authUpgrader) Upgrade(ctx context.Context, kind string, conn net.Conn) (net.Conn, error) {
	return authConn{conn, u.id}, nil
}

// Rule T14. (docs/protocol.md)
func TestListenerSecurity(t *testing.T) {
	id := &security.Identity{Mechanism: security.MechanismTLS, Name: "CN=admin"}
	tests := []struct {
		name      string
		sec       ListenerSecurity
		upgrades  []string
		want      []byte // what the server writes after the preamble (and Upgrade Response)
		wantRoute *security.Identity
	}{
		{"required and missing", ListenerSecurity{Upgrader: authUpgrader{id}, RequireUpgrade: true}, nil, faultBytes(FaultUpgradeInvalid), nil},
		{"required, no upgrader", ListenerSecurity{RequireUpgrade: true}, nil, faultBytes(FaultUpgradeInvalid), nil},
		{"required and done", ListenerSecurity{Upgrader: authUpgrader{id}, RequireUpgrade: true}, []string{"application/test"}, []byte{recUpgradeResponse, recPreambleAck, recEnd}, id},
		{"two upgrades", ListenerSecurity{Upgrader: authUpgrader{id}}, []string{"application/test", "application/test"}, append([]byte{recUpgradeResponse}, faultBytes(FaultUpgradeInvalid)...), nil},
		{"optional, none", ListenerSecurity{Upgrader: authUpgrader{id}}, nil, []byte{recPreambleAck, recEnd}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			router := &testRouter{h: newRecorder(false)}
			srv, addr := startListener(t, Options{}, router, tt.sec)
			c := dial(t, addr)
			pre := preamble("net.tcp://h/svc", EncodingBinarySession, "", tt.upgrades...)
			// Send the upgrade requests one at a time, as a client waits for
			// each Upgrade Response before its handshake.
			rest := pre
			for _, u := range tt.upgrades {
				req := AppendUpgradeRequest(nil, u)
				end := bytes.Index(rest, req) + len(req)
				if _, err := c.Write(rest[:end]); err != nil {
					t.Fatal(err)
				}
				rest = rest[end:]
				if got := readN(t, c, 1, 5*time.Second); got[0] != recUpgradeResponse {
					// Refused: the rest of the output is the fault.
					_ = c.CloseWrite()
					all, _ := readAll(t, c, 5*time.Second)
					got = append(got, all...)
					if want := tt.want[1:]; !bytes.Equal(got, want) {
						t.Fatalf("got % x, want % x", got, want)
					}
					waitIdle(t, srv)
					return
				}
			}
			if _, err := c.Write(append(rest, recEnd)); err != nil {
				t.Fatal(err)
			}
			_ = c.CloseWrite()
			got, closed := readAll(t, c, 5*time.Second)
			want := tt.want
			if len(tt.upgrades) > 0 {
				want = want[1:]
			}
			if !closed || !bytes.Equal(got, want) {
				t.Fatalf("got % x closed=%v, want % x", got, closed, want)
			}
			ps := router.preambles()
			if tt.wantRoute != nil {
				if len(ps) != 1 || ps[0].Identity != tt.wantRoute {
					t.Fatalf("routed %+v, want identity %v", ps, tt.wantRoute)
				}
			} else if len(ps) == 1 && ps[0].Identity != nil {
				t.Fatalf("routed identity %v without upgrade", ps[0].Identity)
			}
			waitIdle(t, srv)
		})
	}
}

// clientUpgrade is the client half of identityUpgrader; calls counts its
// handshakes and err fails them.
type clientUpgrade struct {
	kind  string
	calls int
	err   error
}

func (u *clientUpgrade) Kind() string { return u.kind }

func (u *clientUpgrade) Upgrade(ctx context.Context, nc net.Conn) (net.Conn, error) {
	u.calls++
	if u.err != nil {
		return nil, u.err
	}
	return nc, nil
}

// TestClientUpgrade: Dialer.Upgrade puts an Upgrade Request before the
// Preamble End, runs the upgrade after the server's Upgrade Response, and
// the session then works; a kind the server does not offer comes back as
// the UpgradeInvalid fault, and a failing upgrade is the Dial's error.
func TestClientUpgrade(t *testing.T) {
	router := &testRouter{h: newRecorder(false)}
	_, addr := startServer(t, Options{Upgrader: identityUpgrader{kind: "application/test"}}, router)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	up := &clientUpgrade{kind: "application/test"}
	s, err := (&Dialer{Upgrade: up}).Dial(ctx, addr, "net.tcp://h/svc", EncodingBinarySession)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WriteMessage(ctx, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if up.calls != 1 {
		t.Errorf("upgrade ran %d times", up.calls)
	}
	if ps := router.preambles(); len(ps) != 1 || len(ps[0].Upgrades) != 1 || ps[0].Upgrades[0] != "application/test" {
		t.Fatalf("routed %+v", ps)
	}

	_, err = (&Dialer{Upgrade: &clientUpgrade{kind: "application/ssl-tls"}}).Dial(ctx, addr, "net.tcp://h/svc", EncodingBinarySession)
	var fe *FaultError
	if !errors.As(err, &fe) || fe.URI != FaultUpgradeInvalid {
		t.Fatalf("unoffered kind: %v, want the UpgradeInvalid fault", err)
	}
	boom := errors.New("handshake refused")
	if _, err := (&Dialer{Upgrade: &clientUpgrade{kind: "application/test", err: boom}}).Dial(ctx, addr, "net.tcp://h/svc", EncodingBinarySession); !errors.Is(err, boom) {
		t.Fatalf("failing upgrade: %v", err)
	}
	if _, err := (&Dialer{Upgrade: &clientUpgrade{kind: ""}}).Dial(ctx, addr, "net.tcp://h/svc", EncodingBinarySession); err == nil {
		t.Fatal("empty upgrade kind accepted")
	}
}
