// Package tls_test runs Python's ssl module (OpenSSL) as an MC-NMF client
// with the application/ssl-tls upgrade against ipamd: a trusted client
// certificate completes a session, an untrusted one and none are refused.
// It skips unless python3 is on PATH (IPAMD_REQUIRE_INTEROP=1: fails).
package tls_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipamd/ipamd/internal/daemontest"
)

// writeCA writes name-ca.pem and, per leaf, name-leaf.pem/.key signed by it.
func writeCA(t *testing.T, dir, name string, leaves map[string]x509.ExtKeyUsage) {
	t.Helper()
	key := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	write := func(file, typ string, der []byte) {
		if err := os.WriteFile(filepath.Join(dir, file), pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	caKey := key()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name + " CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	write(name+"-ca.pem", "CERTIFICATE", caDER)
	serial := int64(2)
	for leaf, usage := range leaves {
		k := key()
		lt := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: leaf},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
		serial++
		der, err := x509.CreateCertificate(rand.Reader, lt, ca, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kd, _ := x509.MarshalPKCS8PrivateKey(k)
		write(name+"-"+leaf+".pem", "CERTIFICATE", der)
		write(name+"-"+leaf+".key", "PRIVATE KEY", kd)
	}
}

func TestPythonSSLClient(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("IPAMD_REQUIRE_INTEROP") == "1" {
			t.Fatal("IPAMD_REQUIRE_INTEROP=1 but python3 is not on PATH")
		}
		t.Skip("python3 not on PATH")
	}
	dir := t.TempDir()
	writeCA(t, dir, "good", map[string]x509.ExtKeyUsage{"localhost": x509.ExtKeyUsageServerAuth, "admin": x509.ExtKeyUsageClientAuth})
	writeCA(t, dir, "rogue", map[string]x509.ExtKeyUsage{"admin": x509.ExtKeyUsageClientAuth})

	addr := daemontest.Spawn(t, nil, "serve", "--state-dir", filepath.Join(dir, "state"),
		"--listen", "net.tcp://127.0.0.1:0?security=tls",
		"--security-tls-certificate-file", filepath.Join(dir, "good-localhost.pem"),
		"--security-tls-key-file", filepath.Join(dir, "good-localhost.key"),
		"--security-tls-client-auth", "require",
		"--security-tls-client-ca-file", filepath.Join(dir, "good-ca.pem")).WaitLog("listening", 20*time.Second).String("addr")
	p := addr[strings.LastIndexByte(addr, ':')+1:]

	f := func(n string) string { return filepath.Join(dir, n) }
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string
	}{
		{"trusted client certificate", []string{"--cert", f("good-admin.pem"), "--key", f("good-admin.key")}, 0, "SESSION_OK"},
		{"untrusted client certificate", []string{"--cert", f("rogue-admin.pem"), "--key", f("rogue-admin.key")}, 4, "REFUSED"},
		{"no client certificate", nil, 4, "REFUSED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cctx, ccancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer ccancel()
			args := append([]string{"tls_client.py", "--port", p, "--ca", f("good-ca.pem")}, tt.args...)
			out, err := exec.CommandContext(cctx, py, args...).CombinedOutput()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.wantCode || !strings.Contains(string(out), tt.want) {
				t.Fatalf("exit %d, want %d with %q:\n%s", code, tt.wantCode, tt.want, out)
			}
		})
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	daemontest.Cleanup()
	os.Exit(code)
}
