package main

import (
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
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap/zapcore"

	"github.com/ipamd/ipamd/duplex/security/nns"
	"github.com/ipamd/ipamd/duplex/security/ntlm"
	"github.com/ipamd/ipamd/duplex/security/tlsupgrade"
	"github.com/ipamd/ipamd/internal/daemontest"
	"github.com/ipamd/ipamd/internal/negotiatetest"
	"github.com/ipamd/ipamd/internal/server/servertest"
	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// writePKI writes a CA, a server certificate for localhost/127.0.0.1 and a
// client certificate (client.pem, client.key) into dir and returns the client's tls.Config pieces.
func writePKI(t *testing.T, dir string) (roots *x509.CertPool, client tls.Certificate) {
	t.Helper()
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	caKey := newKey()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	issue := func(serial int64, name string, usage x509.ExtKeyUsage) ([]byte, *ecdsa.PrivateKey) {
		k := newKey()
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return der, k
	}
	writePEM := func(name, typ string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	srvDER, srvKey := issue(2, "localhost", x509.ExtKeyUsageServerAuth)
	keyDER, err := x509.MarshalPKCS8PrivateKey(srvKey)
	if err != nil {
		t.Fatal(err)
	}
	writePEM("ca.pem", "CERTIFICATE", caDER)
	writePEM("server.pem", "CERTIFICATE", srvDER)
	writePEM("server.key", "PRIVATE KEY", keyDER)
	cliDER, cliKey := issue(3, "admin", x509.ExtKeyUsageClientAuth)
	cliKeyDER, err := x509.MarshalPKCS8PrivateKey(cliKey)
	if err != nil {
		t.Fatal(err)
	}
	writePEM("client.pem", "CERTIFICATE", cliDER)
	writePEM("client.key", "PRIVATE KEY", cliKeyDER)
	roots = x509.NewCertPool()
	roots.AddCert(ca)
	return roots, tls.Certificate{Certificate: [][]byte{cliDER}, PrivateKey: cliKey}
}

// serveLogs runs the server `ipamd serve args...` configures (in this
// process, through servertest: the flags are parsed as serve parses them)
// and returns its "listening" entries and the warnings logged by then (want
// is how many listening entries it expects).
func serveLogs(t *testing.T, want int, args ...string) (listening []map[string]any, warnings []map[string]any) {
	t.Helper()
	s := serveInProcess(t, append([]string{"--state-dir", filepath.Join(t.TempDir(), "state")}, args...)...)
	for _, e := range s.Logs.All() {
		m := e.ContextMap()
		m["msg"], m["level"] = e.Message, e.Level.String()
		switch {
		case e.Message == "listening":
			listening = append(listening, m)
		case e.Level == zapcore.WarnLevel:
			warnings = append(warnings, m)
		}
	}
	if len(listening) != want {
		t.Fatalf("%d listening entries, want %d:\n%s", len(listening), want, s.Log())
	}
	return listening, warnings
}

// serveInProcess starts, through servertest, the server that `ipamd serve
// args...` would run: the flags are parsed and loaded as serve does. The
// admin listener is off unless a flag sets it.
func serveInProcess(t *testing.T, args ...string) *servertest.Server {
	t.Helper()
	cmd := &cobra.Command{Use: "serve"}
	file, flags := configFlags(cmd)
	if err := cmd.ParseFlags(args); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(*file, flags)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Origin("admin.listen") == "default" {
		cfg.Admin.Listen = ""
	}
	return servertest.Start(t, servertest.WithConfig(cfg))
}

func TestServeTLSListener(t *testing.T) {
	dir := t.TempDir()
	roots, clientCert := writePKI(t, dir)
	listening, warnings := serveLogs(t, 6,
		"--listen", "net.tcp://127.0.0.1:0?security=tls,net.tcp://127.0.0.1:0",
		"--security-tls-certificate-file", filepath.Join(dir, "server.pem"),
		"--security-tls-key-file", filepath.Join(dir, "server.key"),
		"--security-tls-client-auth", "require",
		"--security-tls-client-ca-file", filepath.Join(dir, "ca.pem"))
	for _, w := range warnings {
		if strings.Contains(w["msg"].(string), "security") {
			t.Errorf("warning for loopback listeners: %v", w)
		}
	}
	addrs := map[string]string{}
	for _, e := range listening {
		addrs[e["security"].(string)] = e["addr"].(string)
	}
	if addrs["tls"] == "" || addrs["none"] == "" {
		t.Fatalf("listening entries %v", listening)
	}

	const via = "net.tcp://localhost/ipam/IIpamAsyncProvision"
	pre := func(upgrade string) []byte {
		b := append([]byte{0x00, 0x01, 0x00, 0x01, 0x02, 0x02, byte(len(via))}, via...)
		b = append(b, 0x03, 0x08)
		if upgrade != "" {
			b = append(append(b, 0x09, byte(len(upgrade))), upgrade...)
		}
		return b
	}
	dial := func(addr string) net.Conn {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		return c
	}
	fault := func(c net.Conn) string {
		b, _ := io.ReadAll(c)
		if len(b) < 2 || b[0] != 0x08 {
			return ""
		}
		return string(b[2 : 2+int(b[1])])
	}

	t.Run("tls session", func(t *testing.T) {
		c := dial(addrs["tls"])
		if _, err := c.Write(pre(tlsupgrade.Kind)); err != nil {
			t.Fatal(err)
		}
		one := make([]byte, 1)
		if _, err := io.ReadFull(c, one); err != nil || one[0] != 0x0A {
			t.Fatalf("upgrade response % x %v", one, err)
		}
		tc, err := tlsupgrade.Client(context.Background(), c, &tls.Config{ServerName: "localhost", RootCAs: roots, Certificates: []tls.Certificate{clientCert}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tc.Write([]byte{0x0C}); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(tc, one); err != nil || one[0] != 0x0B {
			t.Fatalf("preamble ack % x %v", one, err)
		}
		if _, err := tc.Write([]byte{0x07}); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(tc, one); err != nil || one[0] != 0x07 {
			t.Fatalf("end % x %v", one, err)
		}
	})
	t.Run("tls listener without upgrade", func(t *testing.T) {
		c := dial(addrs["tls"])
		if _, err := c.Write(append(pre(""), 0x0C)); err != nil {
			t.Fatal(err)
		}
		if got := fault(c); !strings.HasSuffix(got, "/UpgradeInvalid") {
			t.Fatalf("fault %q, want UpgradeInvalid", got)
		}
	})
	t.Run("tls listener, negotiate asked", func(t *testing.T) {
		c := dial(addrs["tls"])
		if _, err := c.Write(pre("application/negotiate")); err != nil {
			t.Fatal(err)
		}
		if got := fault(c); !strings.HasSuffix(got, "/UpgradeInvalid") {
			t.Fatalf("fault %q, want UpgradeInvalid", got)
		}
	})
	t.Run("none listener, tls asked", func(t *testing.T) {
		c := dial(addrs["none"])
		if _, err := c.Write(pre(tlsupgrade.Kind)); err != nil {
			t.Fatal(err)
		}
		if got := fault(c); !strings.HasSuffix(got, "/UpgradeInvalid") {
			t.Fatalf("fault %q, want UpgradeInvalid", got)
		}
	})
	t.Run("no client certificate", func(t *testing.T) {
		c := dial(addrs["tls"])
		if _, err := c.Write(pre(tlsupgrade.Kind)); err != nil {
			t.Fatal(err)
		}
		one := make([]byte, 1)
		if _, err := io.ReadFull(c, one); err != nil || one[0] != 0x0A {
			t.Fatalf("upgrade response % x %v", one, err)
		}
		tc, err := tlsupgrade.Client(context.Background(), c, &tls.Config{ServerName: "localhost", RootCAs: roots})
		if err == nil {
			// TLS 1.3: the server's verdict on the client arrives after the
			// client's handshake finished.
			_, _ = tc.Write([]byte{0x0C})
			_, err = io.ReadFull(tc, one)
		}
		if err == nil {
			t.Fatal("session without client certificate was accepted")
		}
	})
}

func TestServeInsecureWarns(t *testing.T) {
	_, warnings := serveLogs(t, 3, "--listen", "net.tcp://0.0.0.0:0", "--security-insecure")
	found := false
	for _, w := range warnings {
		if strings.Contains(w["msg"].(string), "without transport security") {
			found = true
		}
	}
	if !found {
		t.Fatalf("no warning for an insecure listener: %v", warnings)
	}
}

func TestNTLMHashCommand(t *testing.T) {
	out, stderr, code := daemontest.Run(t, nil, "Bob-Pass-1234\n", "ntlm-hash", `IPAM\bob`)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if got, want := out, ntlm.AccountLine("IPAM", "bob", "Bob-Pass-1234")+"\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	for _, tt := range []struct{ arg, stdin string }{{"bob", "x\n"}, {`IPAM\bob`, ""}} {
		if _, _, code := daemontest.Run(t, nil, tt.stdin, "ntlm-hash", tt.arg); code != 2 {
			t.Errorf("ntlm-hash %q with %q: exit %d, want 2", tt.arg, tt.stdin, code)
		}
	}
}

func TestServeNegotiateListener(t *testing.T) {
	accounts := negotiatetest.AccountsFile(t, t.TempDir(), "bob", "Bob-Pass-1234")
	listening, _ := serveLogs(t, 3, "--listen", "net.tcp://127.0.0.1:0?security=negotiate",
		"--security-negotiate-ntlm-accounts-file", accounts)
	addr := listening[0]["addr"].(string)
	if listening[0]["security"] != "negotiate" {
		t.Fatalf("listening %v", listening[0])
	}
	session := func(password string) error {
		nc, err := negotiatetest.Dial(t, addr, negotiatetest.NTLM("IPAM", "bob", password))
		if err != nil {
			return err
		}
		one := make([]byte, 1)
		if _, err := nc.Write([]byte{0x0C}); err != nil {
			return err
		}
		if _, err := io.ReadFull(nc, one); err != nil || one[0] != 0x0B {
			t.Fatalf("preamble ack % x %v", one, err)
		}
		if _, err := nc.Write([]byte{0x07}); err != nil {
			return err
		}
		if _, err := io.ReadFull(nc, one); err != nil || one[0] != 0x07 {
			t.Fatalf("end % x %v", one, err)
		}
		return nil
	}
	if err := session("Bob-Pass-1234"); err != nil {
		t.Fatal(err)
	}
	var pe *nns.PeerError
	if err := session("wrong"); !errors.As(err, &pe) || pe.HResult != nns.SecELogonDenied {
		t.Fatalf("wrong password: %v", err)
	}
}

// TestServeNegotiateAuthorization: over a negotiate listener, the NTLM
// identity reaches the session layer: IPAM\bob (listed in
// security.administrators) initializes provisioning, IPAM\carol gets the
// IpamApiAccessDenied fault.
func TestServeNegotiateAuthorization(t *testing.T) {
	accounts := negotiatetest.AccountsFile(t, t.TempDir(), "bob", "Bob-Pass-1234", "carol", "Carol-Pass-1234")
	listening, _ := serveLogs(t, 3, "--listen", "net.tcp://127.0.0.1:0?security=negotiate",
		"--security-negotiate-ntlm-accounts-file", accounts, "--security-administrators", `IPAM\bob`)
	addr := listening[0]["addr"].(string)
	initialize := func(user, password string) *soap.Envelope { return negotiateInitialize(t, addr, user, password) }

	if env := initialize("bob", "Bob-Pass-1234"); env.IsFault() || env.Header.Action != ipam.ActionInitializeAsyncProvisioningResponse {
		t.Fatalf("administrator: action %q fault=%v", env.Header.Action, env.IsFault())
	}
	env := initialize("carol", "Carol-Pass-1234")
	if !env.IsFault() {
		t.Fatalf("non-administrator: action %q, want a fault", env.Header.Action)
	}
	_, detail, err := soap.ReadFault(env.Body())
	if err != nil || !bytes.Contains(detail, []byte(ipam.IpamApiAccessDenied)) {
		t.Fatalf("fault detail %q %v, want IpamApiAccessDenied", detail, err)
	}
}
