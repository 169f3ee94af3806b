package servertest_test

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ipamd/ipamd/config"
	"github.com/ipamd/ipamd/internal/server/servertest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestStartServesEveryListener: the default server has a net.tcp, an HTTP
// and an admin listener on OS-chosen ports; the WSDL names the bound ports;
// Stop drains it, leaves nothing running (goleak) and is idempotent.
func TestStartServesEveryListener(t *testing.T) {
	s := servertest.Start(t)
	if s.NetTCP == "" || s.HTTP == "" || s.Admin == "" {
		t.Fatalf("addresses: net.tcp %q, http %q, admin %q", s.NetTCP, s.HTTP, s.Admin)
	}
	if got, want := s.ProvisionURI(config.TransportNetTCP), "net.tcp://"+s.NetTCP+"/ipam/IIpamAsyncProvision"; got != want {
		t.Errorf("ProvisionURI = %q, want %q", got, want)
	}
	resp, err := http.Get(s.ProvisionURI(config.TransportHTTP) + "?wsdl")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	_, port, _ := net.SplitHostPort(s.NetTCP)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "net.tcp://127.0.0.1:"+port+"/ipam/IIpamAsyncProvision") {
		t.Errorf("?wsdl = %d, lacks the bound net.tcp port %s", resp.StatusCode, port)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if c, err := net.DialTimeout("tcp", s.NetTCP, time.Second); err == nil {
		c.Close()
		t.Error("net.tcp listener open after Stop")
	}
	s.WaitLog("drained", time.Second)
}

// TestTryStartRefuses: what the configuration refuses, and a port in use,
// come back as errors, with nothing left running.
func TestTryStartRefuses(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	for _, tt := range []struct {
		name string
		opts []servertest.Option
		want string
	}{
		{"unknown key", []servertest.Option{servertest.Set("no.such_key", "1")}, `no setting "no.such_key"`},
		{"out of range", []servertest.Option{servertest.Set("session.checkpoint_interval", "1ms")}, "session.checkpoint_interval"},
		{"port in use", []servertest.Option{servertest.Set("listen", "net.tcp://"+taken.Addr().String())}, "listen net.tcp://" + taken.Addr().String()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := servertest.TryStart(t, tt.opts...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("TryStart = %v, want an error naming %q", err, tt.want)
			}
		})
	}
}
