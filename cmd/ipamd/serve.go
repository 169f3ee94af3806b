package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"

	"go.uber.org/zap"

	"github.com/ipamd/ipamd/cmd/ipamd/internal/metrics"
	"github.com/ipamd/ipamd/config"
	"github.com/ipamd/ipamd/duplex/nmf"
	"github.com/ipamd/ipamd/duplex/soaphttp"
	"github.com/ipamd/ipamd/services"
	"github.com/ipamd/ipamd/sessions"
	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/wsdl"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// runServer runs the daemon until ctx is cancelled (a stop request: SIGTERM,
// service stop) and returns nil after an orderly stop, or the error that
// stopped it. It wires, bottom up: the services on their ADM flags and
// work, the session manager with one endpoint per port type, one net.tcp
// framing server and one HTTP server shared by every listen URI, the
// metrics and the admin listener. The stop is the graceful lifecycle of
// lifecycle.go: drain, cancel what outlives shutdown.drain_timeout, close.
func runServer(ctx context.Context, cfg *config.Config, so serveOptions) error {
	so = so.withDefaults()
	log := so.log
	uris, err := cfg.ListenURIs()
	if err != nil {
		return err
	}
	v := buildVersion()
	m := metrics.New(metrics.BuildInfo{Version: v.Version, Commit: v.Commit, GoVersion: v.Go})
	mgr, err := newSessionManager(cfg, log, m)
	if err != nil {
		return err
	}
	srv := nmf.NewServer(nmfOptions(cfg, log), mgr)

	networks, err := cfg.Callbacks.CallbackNetworks()
	if err != nil {
		return err
	}
	// bound is filled below, before any request can be served.
	bound := map[string]int{} // transport → port of its first listener, for the WSDL
	httpSrv := soaphttp.NewServer(soaphttp.Options{
		MaxMessageSize: int64(cfg.Limits.MaxMessageSize),
		MaxSessions:    cfg.Limits.MaxConnections,
		RequestTimeout: cfg.Limits.HTTPRequestTimeout,
		IdleTimeout:    cfg.Limits.IdleTimeout,
		Callback: soaphttp.CallbackOptions{
			AllowedNetworks: networks,
			AttemptTimeout:  cfg.Callbacks.AttemptTimeout,
			MaxAttempts:     cfg.Callbacks.MaxAttempts,
			InitialBackoff:  cfg.Callbacks.InitialBackoff,
			MaxBackoff:      cfg.Callbacks.MaxBackoff,
		},
		WSDL:        func(host string) ([]byte, error) { return wsdlForRequest(cfg, bound, host) },
		FaultDetail: sessions.TransportFaultDetail,
		Limits:      soap.Limits{MaxMessageBytes: cfg.Limits.MaxMessageSize},
		Logger:      log.Named("http"),
	}, mgr)
	m.WatchNMF(srv)
	m.WatchHTTP(httpSrv)

	type listener struct {
		net.Listener
		transport string
	}
	var lc net.ListenConfig
	listeners := make([]listener, 0, len(uris))
	closeAll := func() {
		for _, ln := range listeners {
			_ = ln.Close()
		}
	}
	for _, u := range uris {
		ln, err := lc.Listen(ctx, "tcp", u.Addr())
		if err != nil {
			closeAll()
			return fmt.Errorf("listen %s: %w", u, err)
		}
		listeners = append(listeners, listener{ln, u.Transport})
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
		} {
			log.Info("listening",
				zap.String("endpoint", u.Endpoint(hostport, p.path)),
				zap.String("port_type", p.name),
				zap.String("transport", u.Transport),
				zap.String("addr", ln.Addr().String()))
		}
	}

	if so.storeReady == nil {
		so.storeReady = storeReady
	}
	lf := &lifecycle{cfg: cfg, so: so, log: log, metrics: m, mgr: mgr, nmf: srv, http: httpSrv}
	adminDone, err := lf.startAdmin(ctx)
	if err != nil {
		closeAll()
		return err
	}

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
	for _, ln := range listeners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if ln.transport == config.TransportHTTP {
				err = httpSrv.Serve(serveCtx, ln)
			} else {
				err = srv.Serve(serveCtx, ln)
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
	so.supervisor.Ready(fmt.Sprintf("serving %d listener(s)", len(listeners)))
	log.Info("ready", zap.Int("listeners", len(listeners)), zap.String("admin", lf.adminAddr))
	watchCtx, stopWatch := context.WithCancel(ctx)
	go so.supervisor.Watchdog(watchCtx, lf.alive)

	lf.run(ctx, failed)
	stopWatch()
	lf.stop(stopServe)
	wg.Wait()
	lf.stopAdmin(adminDone)
	mu.Lock()
	defer mu.Unlock()
	return fail
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
		Logger:          log.Named("nmf"),
	}
}

// sessionOptions are the session layer's options (also applied by a reload
// to the sessions started afterwards).
func sessionOptions(cfg *config.Config, log *zap.Logger, obs sessions.Observer) sessions.Options {
	return sessions.Options{
		InactivityInterval:  cfg.Session.InactivityInterval,
		KeepaliveGraceCount: cfg.Session.KeepaliveGraceCount,
		Limits:              soap.Limits{MaxSessionTableBytes: cfg.Limits.MaxSessionTableBytes, MaxMessageBytes: cfg.Limits.MaxMessageSize},
		Logger:              log.Named("session"),
		Observer:            obs,
	}
}

// storeReady is /readyz's check of the data store. The in-memory stand-in
// is always there; with a real engine this becomes its ping (bounded by the
// admin server's readiness timeout).
func storeReady(context.Context) error { return nil }

// newSessionManager builds the services and binds them to their endpoints.
// Until the data store lands, the work is the in-memory MemoryWork and the
// ADM flags start from the dev.* settings.
func newSessionManager(cfg *config.Config, log *zap.Logger, m *metrics.Metrics) (*sessions.Manager, error) {
	configured := cfg.Dev.Provisioned || cfg.Dev.RequireConversion
	adm := services.NewADM(configured, cfg.Dev.RequireConversion)
	work := &services.MemoryWork{Duration: cfg.Dev.WorkDuration, FailWith: cfg.Dev.FailWith}
	log.Warn("the IPAM data store is the in-memory stand-in: nothing is persisted",
		zap.Bool("provisioned", configured), zap.Bool("conversion_required", cfg.Dev.RequireConversion),
		zap.Duration("work_duration", cfg.Dev.WorkDuration))

	style := ipam.CallbackActionsService
	if cfg.Callbacks.ActionStyle == config.ActionStyleCallback {
		style = ipam.CallbackActionsCallback
	}
	prov := &services.Provision{ADM: adm, Work: work, CheckpointInterval: cfg.Session.CheckpointInterval, Observer: m.Work()}
	conv := &services.SchemaConversion{ADM: adm, Work: work, CheckpointInterval: cfg.Session.CheckpointInterval, Observer: m.Work()}
	return sessions.NewManager(sessionOptions(cfg, log, m),
		sessions.Endpoint{Path: cfg.Endpoints.ProvisionPath, Binding: sessions.ProvisionBinding(prov.NewSession, style)},
		sessions.Endpoint{Path: cfg.Endpoints.SchemaConversionPath, Binding: sessions.SchemaConversionBinding(conv.NewSession, style)},
	)
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
	provision, conversion := map[string]string{}, map[string]string{}
	for transport, port := range bound {
		hostport := net.JoinHostPort(name, strconv.Itoa(port))
		if transport == config.TransportHTTP && reqHost != "" {
			hostport = reqHost
		}
		provision[transport] = transport + "://" + hostport + cfg.Endpoints.ProvisionPath
		conversion[transport] = transport + "://" + hostport + cfg.Endpoints.SchemaConversionPath
	}
	return wsdl.ForEndpoints(provision, conversion)
}
