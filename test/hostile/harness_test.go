// Package hostile_test is the adversarial suite: it runs the real ipamd
// binary with every listener kind — net.tcp with security none, tls with an
// anonymous client (client_auth none), negotiate as a non-administrator
// (NTLM), and HTTP — sends the attacks a client can make, and measures what
// they cost the server: peak resident memory (VmHWM), the size of the
// answer, the length of its log lines, its goroutines, and whether an
// ordinary session still completes afterwards (docs/security.md, "Resource
// budgets"). This file is the harness; the attacks live in the other files.
package hostile_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ipamd/ipamd/client"
	"github.com/ipamd/ipamd/duplex/nmf"
	"github.com/ipamd/ipamd/duplex/security/negotiate"
	"github.com/ipamd/ipamd/duplex/security/ntlm"
	"github.com/ipamd/ipamd/duplex/security/tlsupgrade"
	daemon "github.com/ipamd/ipamd/internal/daemontest"
	"github.com/ipamd/ipamd/internal/server/metrics"
	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		daemon.Cleanup()
		os.Exit(code)
	}))
}

// Budgets the suite holds the daemon to (issue 12's targets).
const (
	maxRSSGrowth   = 8 << 20  // peak RSS growth per hostile message of at most 64 KiB
	maxMessageSize = 64 << 10 // limits.max_message_size (the default)
	maxLogLine     = 4 << 10
	// goroutineSlack: goroutines the daemon may still hold a moment after
	// the hostile connections closed (its HTTP keep-alive reader, …).
	goroutineSlack = 3
	ioTimeout      = 15 * time.Second
)

// Listener kinds.
const (
	kindNone      = "net.tcp-none"
	kindTLS       = "net.tcp-tls-anonymous"
	kindNegotiate = "net.tcp-negotiate-user"
	kindHTTP      = "http"
)

// NTLM accounts: bob is an administrator, mallory is not (she is the
// attacker on the negotiate listener).
const (
	domain          = "IPAM"
	adminUser       = "bob"
	adminPassword   = "Bob-Pass-1234"
	attackUser      = "mallory"
	attackPassword  = "Mallory-Pass-1234"
	provisionSuffix = "/ipam/IIpamAsyncProvision"
)

// target is one running daemon with every listener kind.
type target struct {
	srv   *daemon.Server
	pid   int
	admin string            // admin listener address (/metrics)
	via   map[string]string // listener kind → IIpamAsyncProvision endpoint
	roots *x509.CertPool    // trusts the tls listener's certificate
}

// startTarget runs ipamd with a none, a tls (client_auth none) and a
// negotiate (NTLM) net.tcp listener besides the HTTP one.
func startTarget(t *testing.T, extra ...string) *target {
	t.Helper()
	dir := t.TempDir()
	roots := writeServerPKI(t, dir)
	accounts := filepath.Join(dir, "ntlm-accounts")
	lines := ntlm.AccountLine(domain, adminUser, adminPassword) + "\n" + ntlm.AccountLine(domain, attackUser, attackPassword) + "\n"
	if err := os.WriteFile(accounts, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	flags := []string{
		daemon.FlagListen, "net.tcp://127.0.0.1:0",
		daemon.FlagListen, "net.tcp://127.0.0.1:0?security=tls",
		daemon.FlagListen, "net.tcp://127.0.0.1:0?security=negotiate",
		"--security-tls-certificate-file", filepath.Join(dir, "server.pem"),
		"--security-tls-key-file", filepath.Join(dir, "server.key"),
		"--security-negotiate-ntlm-accounts-file", accounts,
		"--security-administrators", domain + `\` + adminUser,
		"--admin-listen", "127.0.0.1:0",
		"--log-level", "info", // debug logs every message; the budget is about what a client can make the daemon write
		daemon.FlagWorkDuration, "0s",
	}
	srv := daemon.Start(t, append(flags, extra...)...)
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	ready, err := srv.Log.WaitFor(ctx, func(e daemon.Entry) bool { return e.Msg() == "ready" })
	if err != nil {
		t.Fatal(err)
	}
	tg := &target{srv: srv, admin: ready.String("admin"), via: map[string]string{}, roots: roots}
	for _, e := range srv.Log.Find(func(e daemon.Entry) bool { return e.Msg() == "starting" }) {
		if pid, ok := e["pid"].(float64); ok {
			tg.pid = int(pid)
		}
	}
	for _, e := range srv.Log.Find(func(e daemon.Entry) bool {
		return e.Msg() == "listening" && strings.HasSuffix(e.String("endpoint"), provisionSuffix)
	}) {
		switch e.String("transport") + "/" + e.String("security") {
		case "net.tcp/none":
			tg.via[kindNone] = e.String("endpoint")
		case "net.tcp/tls":
			tg.via[kindTLS] = e.String("endpoint")
		case "net.tcp/negotiate":
			tg.via[kindNegotiate] = e.String("endpoint")
		case "http/none":
			tg.via[kindHTTP] = e.String("endpoint")
		}
	}
	if tg.pid == 0 || tg.admin == "" || len(tg.via) != 4 {
		t.Fatalf("daemon: pid %d, admin %q, endpoints %v", tg.pid, tg.admin, tg.via)
	}
	return tg
}

// writeServerPKI writes a CA and a server certificate for localhost and
// 127.0.0.1 (server.pem, server.key) and returns the CA as a pool.
func writeServerPKI(t *testing.T, dir string) *x509.CertPool {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "hostile test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, typ string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("server.pem", "CERTIFICATE", der)
	write("server.key", "EC PRIVATE KEY", keyDER)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return pool
}

// client returns the net.tcp client of a listener kind: anonymous on tls,
// mallory (not an administrator) on negotiate, or bob when admin is set.
func (tg *target) client(kind string, admin bool) *client.Client {
	c := &client.Client{KeepaliveInterval: -1, Dialer: nmf.Dialer{
		// Large enough to see an oversized answer rather than fail on it.
		MaxMessageSize: 256 << 20, ReadTimeout: ioTimeout, WriteTimeout: ioTimeout, HandshakeTimeout: ioTimeout,
	}}
	switch kind {
	case kindTLS:
		c.Dialer.Upgrade = &tlsupgrade.ClientUpgrade{Config: &tls.Config{ServerName: "localhost", RootCAs: tg.roots}}
	case kindNegotiate:
		user, password := attackUser, attackPassword
		if admin {
			user, password = adminUser, adminPassword
		}
		c.Dialer.Upgrade = &negotiate.NTLMUpgrade{Domain: domain, User: user, NTHash: ntlm.NTHash(password)}
	}
	return c
}

// exchange sends one payload on a new net.tcp connection of kind (binary
// session encoding) and returns the server's answer, or nil when it sent
// none; closed reports whether the server then ended the session.
func (tg *target) exchange(t *testing.T, kind string, payload []byte) (answer []byte, closed bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	cs, err := tg.client(kind, false).Dial(ctx, tg.via[kind])
	if err != nil {
		t.Fatalf("dial %s: %v", kind, err)
	}
	defer cs.Abort()
	if err := cs.WriteMessage(ctx, payload); err != nil {
		t.Fatalf("write: %v", err)
	}
	answer, err = cs.ReadMessage(ctx)
	if err != nil {
		return nil, true
	}
	if bytes.Contains(answer, []byte(ipam.IpamApiAccessDenied)) {
		return answer, false // refused before the body is read; the session goes on
	}
	rctx, rcancel := context.WithTimeout(ctx, 5*time.Second)
	defer rcancel()
	_, err = cs.ReadMessage(rctx)
	return answer, err != nil && rctx.Err() == nil
}

// post sends one SOAP 1.2 text message to the HTTP endpoint and returns the
// response body (read up to 256 MiB, to see an oversized one).
func (tg *target) post(t *testing.T, payload []byte) (status int, body []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tg.via[kindHTTP], bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/soap+xml; charset=utf-8")
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		t.Fatalf("reading the response: %v", err)
	}
	return resp.StatusCode, body
}

// peakRSS is the daemon's VmHWM (peak resident set) in bytes.
func (tg *target) peakRSS(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", tg.pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("VmHWM not in /proc/PID/status")
	return 0
}

// metric reads one sample (name with its {labels}, or the sum over all
// samples of the family when sum is set) from the admin listener's /metrics.
// A sample that is not exposed reads 0; an admin listener that does not
// answer 200 fails the test (a refused scrape must not read as 0).
func (tg *target) metric(t *testing.T, name string, sum bool) float64 {
	t.Helper()
	v, _, err := scrapeMetric(http.DefaultClient, tg.admin, name, sum)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// scrapeMetric reads name (with its {labels}, as the exposition spells
// it), or with sum the sum over the family's samples, from the admin
// listener at admin; found says whether any sample matched.
func scrapeMetric(c *http.Client, admin, name string, sum bool) (v float64, found bool, err error) {
	resp, err := c.Get("http://" + admin + "/metrics")
	if err != nil {
		return 0, false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, false, fmt.Errorf("scraping %s: %s", admin, resp.Status)
	}
	e, err := metrics.ParseText(resp.Body)
	if err != nil {
		return 0, false, err
	}
	if sum {
		v, found = e.Sum(name)
		return v, found, nil
	}
	v, found = e.Series(name)
	return v, found, nil
}

// goroutines waits (up to 10 s) for the daemon's go_goroutines to fall to
// at most want and returns the last value read.
func (tg *target) goroutines(t *testing.T, want float64) float64 {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := tg.metric(t, "go_goroutines", false)
		if n <= want || time.Now().After(deadline) {
			return n
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// ordinarySession runs what a well-behaved administrator does on a listener
// kind: a whole provisioning session on net.tcp (success, or an
// IpamException such as "already provisioned" — an answered session), or
// InitializeAsyncProvisioning over HTTP.
func (tg *target) ordinarySession(t *testing.T, kind string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if kind == kindHTTP {
		tg.httpInitialize(t, ctx)
		return
	}
	c := tg.client(kind, true)
	if kind == kindTLS {
		// An anonymous TLS caller is never an administrator: its ordinary
		// session is refused with IpamApiAccessDenied, which is an answer.
		c = tg.client(kind, false)
	}
	cs, err := c.Dial(ctx, tg.via[kind])
	if err != nil {
		t.Fatalf("ordinary session on %s: dial: %v", kind, err)
	}
	_, err = c.Provision(ctx, cs, &ipam.IpamProvisioningSetting{CreateNewSchema: true, ProvisioningMethod: ipam.ProvisioningMethodManual}, nil)
	var re *client.RemoteError
	if err != nil && !errors.As(err, &re) {
		t.Fatalf("ordinary session on %s: %v", kind, err)
	}
}

// httpInitialize sends InitializeAsyncProvisioning over HTTP with a:ReplyTo
// at a loopback sink and expects its response.
func (tg *target) httpInitialize(t *testing.T, ctx context.Context) {
	t.Helper()
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusAccepted)
	}))
	defer sink.Close()
	codec := soap.NewCodec(soap.EncodingText, soap.Limits{})
	msg, err := codec.Encode(nil, &soap.Header{Action: ipam.ActionInitializeAsyncProvisioning, To: tg.via[kindHTTP],
		MessageID: "urn:uuid:6b1f1c3e-0000-4000-8000-00000000beef", ReplyTo: sink.URL + "/cb"},
		&ipam.InitializeAsyncProvisioning{Parameters: client.ProvisioningParameters(
			&ipam.IpamProvisioningSetting{CreateNewSchema: true, ProvisioningMethod: ipam.ProvisioningMethodManual})})
	if err != nil {
		t.Fatal(err)
	}
	status, body := tg.post(t, msg)
	env, err := soap.NewCodec(soap.EncodingText, soap.Limits{}).Decode(body)
	if err != nil {
		t.Fatalf("ordinary HTTP session: status %d, undecodable answer: %v\n%.500s", status, err, body)
	}
	if env.Header.Action != ipam.ActionInitializeAsyncProvisioningResponse && !env.IsFault() {
		t.Fatalf("ordinary HTTP session: status %d, action %q", status, env.Header.Action)
	}
}

// checkLogLines fails for any daemon log line longer than maxLogLine.
func (tg *target) checkLogLines(t *testing.T) {
	t.Helper()
	for _, l := range tg.srv.Log.Lines() {
		if len(l) > maxLogLine {
			t.Errorf("log line of %d bytes: %.300s…", len(l), l)
		}
	}
}
