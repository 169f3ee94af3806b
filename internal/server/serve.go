package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/jcmturner/gokrb5/v8/keytab"
	"go.uber.org/zap"

	"github.com/ipamd/ipamd/config"
	"github.com/ipamd/ipamd/duplex/nmf"
	"github.com/ipamd/ipamd/duplex/security/krb5"
	"github.com/ipamd/ipamd/duplex/security/negotiate"
	"github.com/ipamd/ipamd/duplex/security/nns"
	"github.com/ipamd/ipamd/duplex/security/ntlm"
	"github.com/ipamd/ipamd/duplex/security/tlsupgrade"
	"github.com/ipamd/ipamd/duplex/soaphttp"
	"github.com/ipamd/ipamd/internal/server/metrics"
	"github.com/ipamd/ipamd/services"
	"github.com/ipamd/ipamd/sessions"
	"github.com/ipamd/ipamd/sessions/bind"
	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/wsdl"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// New builds the server of cfg, bottom up: the data store, the services on
// their ADM flags and work, the session manager with one endpoint per port
// type, one net.tcp framing server and one HTTP server shared by every
// listen URI, the listeners (bound here, so Addrs is known before Serve),
// the metrics and the admin listener. ctx bounds the start (opening the
// store, binding). Serve runs it; Close releases it when Serve is not run.
func New(ctx context.Context, cfg *config.Config, opts ...Option) (_ *Server, err error) {
	var so options
	for _, o := range opts {
		o(&so)
	}
	so = so.withDefaults()
	log := so.log
	uris, err := cfg.ListenURIs()
	if err != nil {
		return nil, err
	}
	// A store given by WithStore (a test's stand-in) holds no IPAM rows.
	st, rows, closeStore := so.store, services.RowSource(services.NoRows{}), func() error { return nil }
	if st == nil {
		st, rows, closeStore, err = newDataStore(ctx, cfg, log)
		if err != nil {
			return nil, err
		}
	}
	s := &Server{log: log, closeStore: closeStore, drain: make(chan struct{}), done: make(chan struct{})}
	defer func() {
		if err != nil {
			s.release()
		}
	}()
	m := metrics.New(so.build)
	m.WatchStore(storePool(rows))
	local, err := localPolicy(cfg) // resolved once: the session manager gets this one
	if err != nil {
		return nil, err
	}
	if cfg.Security.LocalIdentity == config.LocalIdentityTrust && !cfg.Security.RefuseUnauthenticated {
		log.Warn("security.local_identity is trust: every caller of a listener without transport security is an IPAM administrator, whatever its local account")
	}
	mgr, enum, err := newSessionManager(cfg, st, rows, log, m, local)
	if err != nil {
		return nil, err
	}
	srv := nmf.NewServer(nmfOptions(cfg, log), bind.NetTCP(mgr))

	networks, err := cfg.Callbacks.CallbackNetworks()
	if err != nil {
		return nil, err
	}
	// bound is filled below, before any request can be served.
	bound := map[string]int{} // transport → port of its first listener, for the WSDL
	httpSrv := soaphttp.NewServer(soaphttp.Options{
		MaxMessageSize: int64(cfg.Limits.MaxMessageSize),
		MaxSessions:    cfg.Limits.MaxConnections,
		MaxConnections: cfg.Limits.MaxHTTPConnections,
		// Per address: connections, and live sessions.
		MaxConnectionsPerAddress: cfg.Limits.MaxConnectionsPerAddress,
		RequestTimeout:           cfg.Limits.HTTPRequestTimeout,
		IdleTimeout:              cfg.Limits.IdleTimeout,
		Callback: soaphttp.CallbackOptions{
			AllowedNetworks: networks,
			AttemptTimeout:  cfg.Callbacks.AttemptTimeout,
			MaxAttempts:     cfg.Callbacks.MaxAttempts,
			InitialBackoff:  cfg.Callbacks.InitialBackoff,
			MaxBackoff:      cfg.Callbacks.MaxBackoff,
		},
		WSDL:         func(host string) ([]byte, error) { return wsdlForRequest(cfg, bound, host) },
		FaultDetail:  sessions.TransportFaultDetail,
		DeniedDetail: sessions.TransportDeniedDetail,
		Identify:     identifyRequest(peerLookup(cfg)),
		AllowedHosts: cfg.HTTP.AllowedHosts,
		Limits:       readerLimits(cfg, m.QuotaExceeded),
		Logger:       log.Named("http"),
	}, bind.HTTP(mgr))
	m.WatchNMF(srv)
	m.WatchHTTP(httpSrv)

	upgraders, err := newUpgraders(cfg)
	if err != nil {
		return nil, err
	}

	// No TCP keepalive on accepted connections: sessions have their own
	// liveness (MS-IPAMM2 Keepalive and the inactivity timer, the framing
	// idle timeout), and the socket options cost four system calls per
	// connection, a whole session being one connection.
	lc := net.ListenConfig{KeepAlive: -1}
	s.listeners = make([]listener, 0, len(uris))
	for _, u := range uris {
		ln, err := lc.Listen(ctx, "tcp", u.Addr())
		if err != nil {
			return nil, fmt.Errorf("listen %s: %w", u, err)
		}
		if so.wrapListener != nil {
			ln = so.wrapListener(ln)
		}
		mode := cfg.ListenerSecurity(u)
		sec, err := listenerSecurity(mode, upgraders)
		if err != nil {
			_ = ln.Close()
			return nil, fmt.Errorf("listen %s: %w", u, err)
		}
		if lookup := peerLookup(cfg); mode == config.SecurityNone && lookup != nil {
			sec.Identify = identifyConn(lookup) // callers named by their local account
		}
		s.listeners = append(s.listeners, listener{ln, u, mode, sec})
		if mode == config.SecurityNone && !u.Loopback() {
			// Allowed by security.insecure; said at every start so that it
			// is never forgotten in a deployment.
			what := "callers are unauthenticated; remote ones have no local account and are refused administrator operations (security.local_identity os)"
			switch {
			case cfg.Security.RefuseUnauthenticated:
				what = "callers are unauthenticated (and refused: security.refuse_unauthenticated)"
			case cfg.Security.LocalIdentity == config.LocalIdentityTrust:
				what = "callers are unauthenticated and treated as administrators (security.local_identity trust)"
			}
			log.Warn("listener without transport security on a non-loopback address: "+what,
				zap.String("listen", u.String()), zap.Bool("security.insecure", cfg.Security.Insecure))
		}
		hostport := u.Addr()
		if ta, ok := ln.Addr().(*net.TCPAddr); ok {
			hostport = net.JoinHostPort(u.Host, strconv.Itoa(ta.Port))
			if _, seen := bound[u.Transport]; !seen {
				bound[u.Transport] = ta.Port
			}
		}
		for _, p := range []struct{ name, path string }{
			{ipam.PortIIpamAsyncProvision, cfg.Endpoints.ProvisionPath},
			{ipam.PortIIpamAsyncSchemaConversion, cfg.Endpoints.SchemaConversionPath},
			{ipam.PortIIpamEnumerator, cfg.Endpoints.EnumeratorPath},
		} {
			log.Info("listening",
				zap.String("endpoint", u.Endpoint(hostport, p.path)),
				zap.String("port_type", p.name),
				zap.String("transport", u.Transport),
				zap.String("security", mode),
				zap.String("addr", ln.Addr().String()))
		}
	}

	if so.storeReady == nil {
		// Ready when the data store answers: reading the ADM flags touches
		// the active database (the in-memory stand-in always answers).
		so.storeReady = func(ctx context.Context) error {
			_, err := st.State(ctx)
			return err
		}
	}
	s.lf = &lifecycle{cfg: cfg, so: so, log: log, metrics: m, mgr: mgr, enum: enum, nmf: srv, http: httpSrv, local: local}
	s.adminDone, err = s.lf.startAdmin(ctx)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Serve runs the server until ctx is cancelled (a stop request: SIGTERM,
// service stop) or Drain is called, and returns nil after an orderly stop,
// or the error that stopped it. The stop is the graceful lifecycle of
// lifecycle.go: drain, cancel what outlives shutdown.drain_timeout, close.
// Serve releases everything New took; it runs once.
func (s *Server) Serve(ctx context.Context) error {
	if !s.serving.CompareAndSwap(false, true) {
		return errors.New("server: Serve called twice")
	}
	defer close(s.done)
	defer s.closeStoreOnce()
	lf, log, so := s.lf, s.log, s.lf.so
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		fail error
	)
	// The listeners' context is not the stop request's: a stop drains the
	// sessions first (lifecycle.stop), and only a failed listener ends
	// serving at once.
	serveCtx, stopServe := context.WithCancel(context.WithoutCancel(ctx))
	defer stopServe()
	failed := make(chan struct{})
	var failOnce sync.Once
	for _, ln := range s.listeners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if ln.uri.Transport == config.TransportHTTP {
				err = lf.http.Serve(serveCtx, ln.Listener)
			} else {
				err = lf.nmf.ServeListener(serveCtx, ln.Listener, ln.sec)
			}
			if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, nmf.ErrServerClosed) && !errors.Is(err, soaphttp.ErrServerClosed) {
				mu.Lock()
				if fail == nil {
					fail = fmt.Errorf("serve %s: %w", ln.Addr(), err)
				}
				mu.Unlock()
				failOnce.Do(func() { close(failed) }) // one failed listener stops the daemon
			}
		}()
	}
	lf.serving.Store(true)
	so.supervisor.Ready(fmt.Sprintf("serving %d listener(s)", len(s.listeners)))
	log.Info("ready", zap.Int("listeners", len(s.listeners)), zap.String("admin", lf.adminAddr))
	watchCtx, stopWatch := context.WithCancel(ctx)
	go so.supervisor.Watchdog(watchCtx, lf.alive)

	lf.run(ctx, s.drain, failed)
	stopWatch()
	lf.stop(stopServe)
	wg.Wait()
	lf.stopAdmin(s.adminDone)
	mu.Lock()
	defer mu.Unlock()
	return fail
}

// newAuthorizer maps security.administrators to SIDs and names.
func newAuthorizer(admins []string, refuseUnauthenticated bool) *services.RoleAuthorizer {
	a := &services.RoleAuthorizer{RefuseUnauthenticated: refuseUnauthenticated}
	for _, s := range admins {
		if strings.HasPrefix(s, "S-1-") {
			a.AdminSIDs = append(a.AdminSIDs, s)
		} else {
			a.AdminNames = append(a.AdminNames, s)
		}
	}
	return a
}

// withIpamUsers maps security.ipam_users to SIDs and names (IsIpamUser).
func withIpamUsers(a *services.RoleAuthorizer, users []string) *services.RoleAuthorizer {
	for _, s := range users {
		if strings.HasPrefix(s, "S-1-") {
			a.UserSIDs = append(a.UserSIDs, s)
		} else {
			a.UserNames = append(a.UserNames, s)
		}
	}
	return a
}

// nmfOptions are the framing server's options (also applied by a reload
// to the connections accepted afterwards).
func nmfOptions(cfg *config.Config, log *zap.Logger) nmf.Options {
	return nmf.Options{
		MaxMessageSize:  cfg.Limits.MaxMessageSize,
		PreambleTimeout: cfg.Limits.PreambleTimeout,
		IdleTimeout:     cfg.Limits.IdleTimeout,
		CloseTimeout:    cfg.Limits.CloseTimeout,
		MaxConnections:  cfg.Limits.MaxConnections,
		// Admission before the preamble (docs/security.md).
		MaxConnectionsPerAddress: cfg.Limits.MaxConnectionsPerAddress,
		MaxEchoBytes:             cfg.Limits.MaxEchoBytes,
		Logger:                   log.Named("nmf"),
	}
}

// sessionOptions are the session layer's options (also applied by a reload
// to the sessions started afterwards); local is cfg's localPolicy.
func sessionOptions(cfg *config.Config, log *zap.Logger, obs sessions.Observer, local *services.LocalPolicy) sessions.Options {
	auth := withIpamUsers(newAuthorizer(cfg.Security.Administrators, cfg.Security.RefuseUnauthenticated), cfg.Security.IpamUsers)
	auth.Local = local
	return sessions.Options{
		InactivityInterval:   cfg.Session.InactivityInterval,
		KeepaliveGraceCount:  cfg.Session.KeepaliveGraceCount,
		UninitializedTimeout: cfg.Limits.UninitializedTimeout,
		Limits:               readerLimits(cfg, nil), // quotas are counted by the observer (PortObserver.QuotaExceeded)
		Authorizer:           auth,
		Logger:               log.Named("session"),
		Observer:             obs,
	}
}

// readerLimits are the SOAP reader quotas of the configuration
// (limits.max_message_size, limits.max_session_table_bytes,
// limits.reader.*) and the echo bound (limits.max_echo_bytes); onQuota
// counts violations.
func readerLimits(cfg *config.Config, onQuota func(string)) soap.Limits {
	r := cfg.Limits.Reader
	return soap.Limits{
		MaxSessionTableBytes: cfg.Limits.MaxSessionTableBytes,
		MaxDepth:             r.MaxDepth,
		MaxAttributes:        r.MaxAttributes,
		MaxStringBytes:       r.MaxStringContentLength,
		MaxArrayLength:       r.MaxArrayLength,
		MaxBytesPerRead:      r.MaxBytesPerRead,
		MaxExpansion:         r.MaxExpansion,
		MaxHeaderBytes:       r.MaxHeaderSize,
		MaxMessageBytes:      cfg.Limits.MaxMessageSize,
		MaxEchoBytes:         cfg.Limits.MaxEchoBytes,
		OnQuota:              onQuota,
	}
}

// newUpgraders builds the stream upgraders the configuration needs, keyed
// by security mode; certificate files are read once, at start.
func newUpgraders(cfg *config.Config) (map[string]nmf.Upgrader, error) {
	uris, err := cfg.ListenURIs()
	if err != nil {
		return nil, err
	}
	ups := map[string]nmf.Upgrader{}
	for _, u := range uris {
		mode := cfg.ListenerSecurity(u)
		if _, done := ups[mode]; done || mode == config.SecurityNone {
			continue
		}
		switch mode {
		case config.SecurityTLS:
			t := cfg.Security.TLS
			auth := tlsupgrade.NoClientCert
			if t.ClientAuth == config.ClientAuthRequire {
				auth = tlsupgrade.RequireClientCert
			}
			tc, err := tlsupgrade.LoadConfig(t.CertificateFile, t.KeyFile, t.ClientCAFile, auth)
			if err != nil {
				return nil, fmt.Errorf("security.tls: %w", err)
			}
			tc.HandshakeTimeout = cfg.Security.HandshakeTimeout
			up, err := tlsupgrade.New(tc)
			if err != nil {
				return nil, fmt.Errorf("security.tls: %w", err)
			}
			ups[mode] = up
		case config.SecurityNegotiate:
			n := cfg.Security.Negotiate
			name := n.ComputerName
			if name == "" {
				name = netbiosName()
			}
			nc := negotiate.Config{NTLM: ntlm.Config{Computer: name, Domain: name, DNSComputer: strings.ToLower(name)}}
			if n.NTLMAccountsFile != "" {
				acc, err := ntlm.LoadAccounts(n.NTLMAccountsFile)
				if err != nil {
					return nil, fmt.Errorf("security.negotiate.ntlm_accounts_file: %w", err)
				}
				nc.NTLM.Accounts = acc
			}
			if n.KeytabFile != "" {
				kt, err := keytab.Load(n.KeytabFile)
				if err != nil {
					return nil, fmt.Errorf("security.negotiate.keytab_file: %w", err)
				}
				nc.Kerberos = &krb5.Config{Keytab: kt, TrustedRealms: n.KerberosTrustedRealms}
			}
			ups[mode] = negotiate.NewUpgrader(nc, nns.Upgrader{HandshakeTimeout: cfg.Security.HandshakeTimeout})
		}
	}
	return ups, nil
}

// netbiosName is the host name's first label, upper case, at most 15
// characters: what Windows announces as its NetBIOS computer name.
func netbiosName() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "IPAMD"
	}
	h, _, _ = strings.Cut(h, ".")
	h = strings.ToUpper(h)
	if len(h) > 15 {
		h = h[:15]
	}
	return h
}

// listenerSecurity is what a net.tcp listener with security mode offers:
// none refuses every upgrade (a client asking for one gets UpgradeInvalid),
// the others require their upgrade.
func listenerSecurity(mode string, ups map[string]nmf.Upgrader) (nmf.ListenerSecurity, error) {
	if mode == config.SecurityNone {
		return nmf.ListenerSecurity{}, nil
	}
	up, ok := ups[mode]
	if !ok {
		return nmf.ListenerSecurity{}, fmt.Errorf("security %q is not available", mode)
	}
	return nmf.ListenerSecurity{Upgrader: up, RequireUpgrade: true}, nil
}

// newSessionManager builds the services on st and binds them to their
// endpoints; local is cfg's localPolicy.
func newSessionManager(cfg *config.Config, st services.Store, rows services.RowSource, log *zap.Logger, m *metrics.Metrics, local *services.LocalPolicy) (*sessions.Manager, *services.Enumerator, error) {
	style := ipam.CallbackActionsService
	if cfg.Callbacks.ActionStyle == config.ActionStyleCallback {
		style = ipam.CallbackActionsCallback
	}
	prov := &services.Provision{Store: st, CheckpointInterval: cfg.Session.CheckpointInterval, MinDuration: cfg.Dev.WorkDuration, Observer: m.Work(),
		Logger: log.Named("work")}
	conv := &services.SchemaConversion{Store: st, CheckpointInterval: cfg.Session.CheckpointInterval, MinDuration: cfg.Dev.WorkDuration, Observer: m.Work(),
		Logger: log.Named("work")}
	// A rows message is bounded by the batch bound and by what ipamd sends
	// at most (limits.max_message_size, lower only when set so).
	enum := &services.Enumerator{Store: st, Rows: rows, MaxBatchBytes: enumBatchBytes(cfg), Logger: log.Named("enumerate")}
	mgr, err := sessions.NewManager(sessionOptions(cfg, log, m, local),
		sessions.Endpoint{Path: cfg.Endpoints.ProvisionPath, Binding: sessions.ProvisionBinding(prov.NewSession, style)},
		sessions.Endpoint{Path: cfg.Endpoints.SchemaConversionPath, Binding: sessions.SchemaConversionBinding(conv.NewSession, style)},
		sessions.Endpoint{Path: cfg.Endpoints.EnumeratorPath, Binding: sessions.EnumeratorBinding(enum.NewSession, style)},
	)
	return mgr, enum, err
}

// enumBatchBytes bounds a rows message: the batch bound, and at most what
// ipamd sends at most (limits.max_message_size, lower only when set so).
func enumBatchBytes(cfg *config.Config) int {
	return min(services.DefaultMaxBatchBytes, cfg.Limits.MaxMessageSize)
}

// wsdlForRequest is the WSDL served at <endpoint>?wsdl: port addresses name
// the host the client used (its Host header), with the bound port of each
// transport's first listener; the HTTP ports take the Host header whole.
func wsdlForRequest(cfg *config.Config, bound map[string]int, reqHost string) ([]byte, error) {
	name := reqHost
	if h, _, err := net.SplitHostPort(reqHost); err == nil {
		name = h
	}
	if name == "" {
		name = "localhost"
	}
	provision, conversion, enumerator := map[string]string{}, map[string]string{}, map[string]string{}
	for transport, port := range bound {
		hostport := net.JoinHostPort(name, strconv.Itoa(port))
		if transport == config.TransportHTTP && reqHost != "" {
			hostport = reqHost
		}
		provision[transport] = transport + "://" + hostport + cfg.Endpoints.ProvisionPath
		conversion[transport] = transport + "://" + hostport + cfg.Endpoints.SchemaConversionPath
		enumerator[transport] = transport + "://" + hostport + cfg.Endpoints.EnumeratorPath
	}
	return wsdl.ForPortEndpoints(map[string]map[string]string{ipam.PortIIpamAsyncProvision: provision,
		ipam.PortIIpamAsyncSchemaConversion: conversion, ipam.PortIIpamEnumerator: enumerator})
}
