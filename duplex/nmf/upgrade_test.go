package nmf

import (
	"bytes"
	"context"
	"net"
	"testing"
	"time"
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
