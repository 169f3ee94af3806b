// Package tlsupgrade implements the [MC-NMF] "application/ssl-tls" stream
// upgrade (WCF's SslStreamSecurityBindingElement): after the server's
// Upgrade Response the client starts a TLS handshake directly on the TCP
// byte stream, and every later framing record is TLS application data.
//
// Policy lives here, not in the framing layer: TLS 1.2 or later only, the
// server certificate from configuration, and optionally client
// certificates verified against a configured CA pool. A verified client
// certificate's subject becomes the session's security.Identity.
package tlsupgrade

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/ipamd/ipamd/duplex/security"
)

// Kind is the upgrade type a WCF client sends in its Upgrade Request.
const Kind = "application/ssl-tls"

// DefaultHandshakeTimeout bounds a handshake when Config leaves it zero. The
// framing layer's preamble deadline applies as well; whichever is earlier
// wins.
const DefaultHandshakeTimeout = 10 * time.Second

// ClientAuth says what the server asks of the client.
type ClientAuth int

const (
	// NoClientCert: server authentication only (WCF
	// TcpClientCredentialType.None). The identity is anonymous.
	NoClientCert ClientAuth = iota
	// RequireClientCert: the client must present a certificate chaining to
	// Config.ClientCAs (TcpClientCredentialType.Certificate).
	RequireClientCert
)

// Config is the TLS policy of a listener.
type Config struct {
	// Certificate is the server's certificate chain and private key.
	Certificate tls.Certificate
	// ClientAuth selects client-certificate verification; ClientCAs must be
	// set for RequireClientCert.
	ClientAuth ClientAuth
	ClientCAs  *x509.CertPool
	// HandshakeTimeout bounds the TLS handshake (unauthenticated input).
	HandshakeTimeout time.Duration
}

// LoadConfig reads a PEM certificate chain and key, and for
// RequireClientCert the PEM CA bundle client certificates must chain to.
func LoadConfig(certFile, keyFile, clientCAFile string, auth ClientAuth) (Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return Config{}, fmt.Errorf("tlsupgrade: load certificate: %w", err)
	}
	cfg := Config{Certificate: cert, ClientAuth: auth}
	if clientCAFile != "" {
		pem, err := os.ReadFile(clientCAFile)
		if err != nil {
			return Config{}, fmt.Errorf("tlsupgrade: read client CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return Config{}, fmt.Errorf("tlsupgrade: client CA file %s: no PEM certificate found", clientCAFile)
		}
		cfg.ClientCAs = pool
	}
	return cfg, nil
}

// Upgrader accepts "application/ssl-tls". It implements nmf.Upgrader.
type Upgrader struct {
	tls     *tls.Config
	timeout time.Duration
}

// ErrNoClientCAs is returned by New when client certificates are required
// but no CA pool is configured to verify them against.
var ErrNoClientCAs = errors.New("tlsupgrade: client certificates required but no client CA configured")

// New validates cfg and returns the upgrader.
func New(cfg Config) (*Upgrader, error) {
	if len(cfg.Certificate.Certificate) == 0 || cfg.Certificate.PrivateKey == nil {
		return nil, errors.New("tlsupgrade: no server certificate")
	}
	tc := &tls.Config{
		Certificates: []tls.Certificate{cfg.Certificate},
		MinVersion:   tls.VersionTLS12,
	}
	switch cfg.ClientAuth {
	case NoClientCert:
	case RequireClientCert:
		if cfg.ClientCAs == nil {
			return nil, ErrNoClientCAs
		}
		tc.ClientAuth = tls.RequireAndVerifyClientCert
		tc.ClientCAs = cfg.ClientCAs
	default:
		return nil, fmt.Errorf("tlsupgrade: unknown client auth %d", cfg.ClientAuth)
	}
	timeout := cfg.HandshakeTimeout
	if timeout <= 0 {
		timeout = DefaultHandshakeTimeout
	}
	return &Upgrader{tls: tc, timeout: timeout}, nil
}

// CanUpgrade reports whether kind is the TLS upgrade.
func (u *Upgrader) CanUpgrade(kind string) bool { return kind == Kind }

// Upgrade runs the server side of the TLS handshake on conn. The returned
// connection reports the peer identity (security.Authenticated).
func (u *Upgrader) Upgrade(ctx context.Context, kind string, conn net.Conn) (net.Conn, error) {
	if kind != Kind {
		return nil, fmt.Errorf("tlsupgrade: cannot upgrade to %q", kind)
	}
	ctx, cancel := context.WithTimeout(ctx, u.timeout)
	defer cancel()
	tc := tls.Server(conn, u.tls)
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, fmt.Errorf("tlsupgrade: handshake with %s: %w", conn.RemoteAddr(), err)
	}
	return &Conn{Conn: tc, id: identityOf(tc.ConnectionState(), conn.RemoteAddr())}, nil
}

// identityOf derives the session identity: the subject of a verified client
// certificate, else anonymous.
func identityOf(st tls.ConnectionState, remote net.Addr) *security.Identity {
	id := &security.Identity{Mechanism: security.MechanismTLSAnonymous, Loopback: isLoopback(remote)}
	// VerifiedChains is only set when the chain was verified against
	// ClientCAs; an unverified certificate must never name the session.
	if len(st.VerifiedChains) > 0 && len(st.VerifiedChains[0]) > 0 {
		id.Mechanism = security.MechanismTLS
		id.Name = st.VerifiedChains[0][0].Subject.String()
	}
	return id
}

func isLoopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

// Conn is the upgraded connection: a *tls.Conn that knows its peer.
type Conn struct {
	*tls.Conn
	id *security.Identity
}

// PeerIdentity implements security.Authenticated.
func (c *Conn) PeerIdentity() *security.Identity { return c.id }

// Client runs the client side of the upgrade on conn, after the client has
// read the server's Upgrade Response record: it is what `ipamd provision
// --security tls` and the tests use. cfg should set ServerName or RootCAs as
// the deployment requires (nil: the system roots, no server name);
// MinVersion is raised to TLS 1.2.
func Client(ctx context.Context, conn net.Conn, cfg *tls.Config) (*tls.Conn, error) {
	if cfg = cfg.Clone(); cfg == nil {
		cfg = &tls.Config{}
	}
	if cfg.MinVersion < tls.VersionTLS12 {
		cfg.MinVersion = tls.VersionTLS12
	}
	tc := tls.Client(conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, fmt.Errorf("tlsupgrade: client handshake: %w", err)
	}
	return tc, nil
}

// ClientUpgrade is the client side of the upgrade for nmf.Dialer.Upgrade
// (`ipamd provision|convert|status --security tls`).
type ClientUpgrade struct {
	// Config is cloned for each connection; set ServerName and RootCAs (or
	// rely on the system roots), and Certificates for a client certificate.
	Config *tls.Config
}

// Kind implements nmf.ClientUpgrade.
func (u *ClientUpgrade) Kind() string { return Kind }

// Upgrade implements nmf.ClientUpgrade.
func (u *ClientUpgrade) Upgrade(ctx context.Context, nc net.Conn) (net.Conn, error) {
	tc, err := Client(ctx, nc, u.Config)
	if err != nil {
		return nil, err
	}
	return tc, nil
}
