package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/ipamd/ipamd/duplex/nmf"
	"github.com/ipamd/ipamd/duplex/security/negotiate"
	"github.com/ipamd/ipamd/duplex/security/ntlm"
	"github.com/ipamd/ipamd/duplex/security/tlsupgrade"
)

// passwordEnv names the environment variable the client commands read the
// NTLM password from when --password-file is not given: never a flag, which
// every user of the machine could read in the process list.
const passwordEnv = "IPAMD_PASSWORD"

// clientSecurity holds the client commands' transport security flags: the
// upgrade the server's listener requires (its security.mode).
type clientSecurity struct {
	mode          string
	tlsCA         string
	tlsServerName string
	tlsCert       string
	tlsKey        string
	user          string
	passwordFile  string
}

func (s *clientSecurity) bind(fs *pflag.FlagSet) {
	fs.StringVar(&s.mode, "security", "none", "transport security the server's listener requires: none, tls (application/ssl-tls) or negotiate (NegotiateStream with NTLMv2)")
	fs.StringVar(&s.tlsCA, "tls-ca", "", "with --security tls: PEM `FILE` of the CA certificates that verify the server (default: the system's roots)")
	fs.StringVar(&s.tlsServerName, "tls-server-name", "", "with --security tls: `NAME` the server certificate must carry (default: the host of --server)")
	fs.StringVar(&s.tlsCert, "tls-cert", "", "with --security tls: PEM `FILE` of a client certificate, for a server that asks for one (with --tls-key)")
	fs.StringVar(&s.tlsKey, "tls-key", "", "with --security tls: PEM `FILE` of the client certificate's private key")
	fs.StringVar(&s.user, "user", "", `with --security negotiate: the account as DOMAIN\user; the password comes from --password-file or $`+passwordEnv)
	fs.StringVar(&s.passwordFile, "password-file", "", "with --security negotiate: `FILE` whose first line is the password")
}

// upgrade returns the preamble upgrade for server (the endpoint URI), nil
// for --security none. Its errors are usage errors: they name the flag.
func (s *clientSecurity) upgrade(server string) (nmf.ClientUpgrade, error) {
	tlsSet := s.tlsCA != "" || s.tlsServerName != "" || s.tlsCert != "" || s.tlsKey != ""
	ntlmSet := s.user != "" || s.passwordFile != ""
	switch strings.ToLower(s.mode) {
	case "", "none":
		if tlsSet || ntlmSet {
			return nil, errors.New("--tls-* / --user / --password-file need --security tls or negotiate")
		}
		return nil, nil
	case "tls":
		if ntlmSet {
			return nil, errors.New("--user and --password-file belong to --security negotiate, not tls")
		}
		return s.tlsUpgrade(server)
	case "negotiate":
		if tlsSet {
			return nil, errors.New("--tls-* flags belong to --security tls, not negotiate")
		}
		return s.ntlmUpgrade()
	}
	return nil, fmt.Errorf("--security %q: must be none, tls or negotiate", s.mode)
}

func (s *clientSecurity) tlsUpgrade(server string) (nmf.ClientUpgrade, error) {
	cfg := &tls.Config{ServerName: s.tlsServerName, MinVersion: tls.VersionTLS12}
	if cfg.ServerName == "" {
		u, err := url.Parse(server)
		if err != nil || u.Hostname() == "" {
			return nil, fmt.Errorf("--tls-server-name: cannot take the host from --server %q", server)
		}
		cfg.ServerName = u.Hostname()
	}
	if s.tlsCA != "" {
		pem, err := os.ReadFile(s.tlsCA)
		if err != nil {
			return nil, fmt.Errorf("--tls-ca: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--tls-ca %s: no PEM certificate in it", s.tlsCA)
		}
	}
	if (s.tlsCert == "") != (s.tlsKey == "") {
		return nil, errors.New("--tls-cert and --tls-key go together")
	}
	if s.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(s.tlsCert, s.tlsKey)
		if err != nil {
			return nil, fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return &tlsupgrade.ClientUpgrade{Config: cfg}, nil
}

func (s *clientSecurity) ntlmUpgrade() (nmf.ClientUpgrade, error) {
	domain, user, ok := strings.Cut(s.user, `\`)
	if !ok || domain == "" || user == "" {
		return nil, fmt.Errorf(`--user %q: must be DOMAIN\user`, s.user)
	}
	var password string
	if s.passwordFile != "" {
		b, err := os.ReadFile(s.passwordFile)
		if err != nil {
			return nil, fmt.Errorf("--password-file: %w", err)
		}
		password, _, _ = strings.Cut(string(b), "\n")
		password = strings.TrimSuffix(password, "\r")
	} else {
		password = os.Getenv(passwordEnv)
	}
	if password == "" {
		return nil, fmt.Errorf("--security negotiate: no password (--password-file or $%s)", passwordEnv)
	}
	host, _ := os.Hostname()
	return &negotiate.NTLMUpgrade{Domain: domain, User: user, NTHash: ntlm.NTHash(password), Workstation: strings.ToUpper(host)}, nil
}
