package tlsupgrade_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/ipamd/ipamd/duplex/nmf"
	"github.com/ipamd/ipamd/duplex/security"
	"github.com/ipamd/ipamd/duplex/security/tlsupgrade"
)

// pki is a throwaway CA with certificates issued by it.
type pki struct {
	t      *testing.T
	caCert *x509.Certificate
	caKey  *ecdsa.PrivateKey
	pool   *x509.CertPool
}

func newPKI(t *testing.T, name string) *pki {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &pki{t: t, caCert: cert, caKey: key, pool: pool}
}

func (p *pki) issue(subject pkix.Name, usage x509.ExtKeyUsage, dns ...string) tls.Certificate {
	p.t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		p.t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      subject,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
		DNSNames:     dns,
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.caCert, &key.PublicKey, p.caKey)
	if err != nil {
		p.t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// router routes every Via to an echo handler and records preambles.
type router struct {
	mu        sync.Mutex
	preambles []*nmf.Preamble
}

func (r *router) Route(p *nmf.Preamble) (nmf.SessionHandler, error) {
	r.mu.Lock()
	r.preambles = append(r.preambles, p)
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

func (r *router) routed() []*nmf.Preamble {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*nmf.Preamble(nil), r.preambles...)
}

func serve(t *testing.T, up nmf.Upgrader) (string, *router) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &router{}
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

// preambleUpTo is the client preamble up to and including the Upgrade
// Request for kind.
func preambleUpTo(via, kind string) []byte {
	return nmf.AppendUpgradeRequest(nmf.AppendPreambleStart(nil, via, nmf.EncodingBinarySession), kind)
}

// session speaks MC-NMF over TLS like a WCF client with
// SslStreamSecurityBindingElement: preamble, 0A, TLS, 0C/0B, one message,
// End. It returns the echoed message.
func session(t *testing.T, addr string, cfg *tls.Config) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write(preambleUpTo("net.tcp://localhost/svc", tlsupgrade.Kind)); err != nil {
		return nil, err
	}
	one := make([]byte, 1)
	if _, err := io.ReadFull(c, one); err != nil || one[0] != 0x0A {
		return nil, errors.New("no upgrade response")
	}
	tc, err := tlsupgrade.Client(ctx, c, cfg)
	if err != nil {
		return nil, err
	}
	msg := []byte("hello")
	if _, err := tc.Write(nmf.AppendSizedEnvelope([]byte{0x0C}, msg)); err != nil { // Preamble End, message
		return nil, err
	}
	want := nmf.AppendSizedEnvelope([]byte{0x0B}, []byte("echo:hello")) // Preamble Ack, echo
	got := make([]byte, len(want))
	if _, err := io.ReadFull(tc, got); err != nil {
		return nil, err
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("got % x, want % x", got, want)
	}
	if _, err := tc.Write([]byte{0x07}); err != nil {
		return nil, err
	}
	if _, err := io.ReadFull(tc, one); err != nil || one[0] != 0x07 {
		t.Fatalf("no End: % x %v", one, err)
	}
	return got[3:], nil
}

func TestUpgrade(t *testing.T) {
	ca := newPKI(t, "ipamd test CA")
	rogue := newPKI(t, "rogue CA")
	serverCert := ca.issue(pkix.Name{CommonName: "localhost"}, x509.ExtKeyUsageServerAuth, "localhost")
	adminCert := ca.issue(pkix.Name{CommonName: "admin", Organization: []string{"ipamd test"}}, x509.ExtKeyUsageClientAuth)
	rogueCert := rogue.issue(pkix.Name{CommonName: "admin", Organization: []string{"ipamd test"}}, x509.ExtKeyUsageClientAuth)

	tests := []struct {
		name     string
		auth     tlsupgrade.ClientAuth
		client   *tls.Config
		wantErr  bool
		wantID   *security.Identity
		wantName string
	}{
		{name: "anonymous client", auth: tlsupgrade.NoClientCert,
			client: &tls.Config{ServerName: "localhost", RootCAs: ca.pool},
			wantID: &security.Identity{Mechanism: security.MechanismTLSAnonymous, Loopback: true}},
		{name: "anonymous client, cert ignored", auth: tlsupgrade.NoClientCert,
			client: &tls.Config{ServerName: "localhost", RootCAs: ca.pool, Certificates: []tls.Certificate{rogueCert}},
			wantID: &security.Identity{Mechanism: security.MechanismTLSAnonymous, Loopback: true}},
		{name: "client certificate", auth: tlsupgrade.RequireClientCert,
			client: &tls.Config{ServerName: "localhost", RootCAs: ca.pool, Certificates: []tls.Certificate{adminCert}},
			wantID: &security.Identity{Mechanism: security.MechanismTLS, Name: "CN=admin,O=ipamd test", Loopback: true}},
		{name: "untrusted client certificate", auth: tlsupgrade.RequireClientCert,
			client:  &tls.Config{ServerName: "localhost", RootCAs: ca.pool, Certificates: []tls.Certificate{rogueCert}},
			wantErr: true},
		{name: "missing client certificate", auth: tlsupgrade.RequireClientCert,
			client:  &tls.Config{ServerName: "localhost", RootCAs: ca.pool},
			wantErr: true},
		{name: "TLS 1.1 refused", auth: tlsupgrade.NoClientCert,
			client:  &tls.Config{ServerName: "localhost", RootCAs: ca.pool, MaxVersion: tls.VersionTLS11},
			wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up, err := tlsupgrade.New(tlsupgrade.Config{Certificate: serverCert, ClientAuth: tt.auth, ClientCAs: ca.pool})
			if err != nil {
				t.Fatal(err)
			}
			addr, r := serve(t, up)
			_, err = session(t, addr, tt.client)
			if tt.wantErr {
				if err == nil {
					t.Fatal("session succeeded, want refusal")
				}
				if ps := r.routed(); len(ps) != 0 {
					t.Fatalf("routed %d sessions after a failed handshake", len(ps))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			ps := r.routed()
			if len(ps) != 1 {
				t.Fatalf("routed %d sessions", len(ps))
			}
			got := ps[0].Identity
			if got == nil || got.Mechanism != tt.wantID.Mechanism || got.Name != tt.wantID.Name || got.Loopback != tt.wantID.Loopback {
				t.Fatalf("identity %+v, want %+v", got, tt.wantID)
			}
			if got.Authenticated() != (tt.wantID.Name != "") {
				t.Fatalf("Authenticated() = %v", got.Authenticated())
			}
		})
	}
}

// TestHandshakeTimeout: a client that sends the upgrade request and then
// nothing is dropped after the handshake timeout, not the preamble timeout.
func TestHandshakeTimeout(t *testing.T) {
	ca := newPKI(t, "ipamd test CA")
	up, err := tlsupgrade.New(tlsupgrade.Config{
		Certificate:      ca.issue(pkix.Name{CommonName: "localhost"}, x509.ExtKeyUsageServerAuth, "localhost"),
		HandshakeTimeout: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := serve(t, up)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(preambleUpTo("net.tcp://localhost/svc", tlsupgrade.Kind)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_ = c.SetReadDeadline(time.Now().Add(4 * time.Second))
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read: %v (got % x)", err, got)
	}
	if !bytes.Equal(got, []byte{0x0A}) {
		t.Fatalf("got % x, want only the Upgrade Response", got)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("closed after %v, want about 200ms", d)
	}
}

// TestGarbageHandshake: bytes that are not TLS after the Upgrade Response
// close the connection without routing a session.
func TestGarbageHandshake(t *testing.T) {
	ca := newPKI(t, "ipamd test CA")
	up, err := tlsupgrade.New(tlsupgrade.Config{Certificate: ca.issue(pkix.Name{CommonName: "localhost"}, x509.ExtKeyUsageServerAuth, "localhost")})
	if err != nil {
		t.Fatal(err)
	}
	addr, r := serve(t, up)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(preambleUpTo("net.tcp://localhost/svc", tlsupgrade.Kind)); err != nil {
		t.Fatal(err)
	}
	one := make([]byte, 1)
	if _, err := io.ReadFull(c, one); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte{0x0C, 0x06, 0x01, 'x', 0x07}); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(4 * time.Second))
	if _, err := io.ReadAll(c); err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatal("connection not closed")
		}
	}
	if ps := r.routed(); len(ps) != 0 {
		t.Fatalf("routed %d sessions", len(ps))
	}
}

func TestNewValidates(t *testing.T) {
	ca := newPKI(t, "ipamd test CA")
	cert := ca.issue(pkix.Name{CommonName: "localhost"}, x509.ExtKeyUsageServerAuth, "localhost")
	if _, err := tlsupgrade.New(tlsupgrade.Config{}); err == nil {
		t.Error("New without certificate succeeded")
	}
	if _, err := tlsupgrade.New(tlsupgrade.Config{Certificate: cert, ClientAuth: tlsupgrade.RequireClientCert}); !errors.Is(err, tlsupgrade.ErrNoClientCAs) {
		t.Errorf("New without client CAs: %v, want ErrNoClientCAs", err)
	}
	up, err := tlsupgrade.New(tlsupgrade.Config{Certificate: cert})
	if err != nil {
		t.Fatal(err)
	}
	if up.CanUpgrade("application/negotiate") || !up.CanUpgrade(tlsupgrade.Kind) {
		t.Error("CanUpgrade")
	}
}
