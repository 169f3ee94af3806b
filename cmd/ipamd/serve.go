package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"

	"go.uber.org/zap"

	"github.com/ipamd/ipamd/config"
)

// runServer runs the daemon until ctx is cancelled and returns nil after
// an orderly stop, or the error that stopped it.
//
// PLACEHOLDER (the lead replaces this body with listeners → nmf.Server →
// sessions → services): it opens one TCP listener per listen URI, logs
// "listening" once per endpoint, accepts and immediately closes
// connections, and closes the listeners when ctx is done.
func runServer(ctx context.Context, cfg *config.Config, log *zap.Logger) error {
	uris, err := cfg.ListenURIs()
	if err != nil {
		return err
	}
	var (
		lc        net.ListenConfig
		listeners []net.Listener
		wg        sync.WaitGroup
	)
	defer func() {
		for _, ln := range listeners {
			_ = ln.Close()
		}
		wg.Wait()
	}()
	ports := []struct{ name, path string }{
		{"IIpamAsyncProvision", cfg.Endpoints.ProvisionPath},
		{"IIpamAsyncSchemaConversion", cfg.Endpoints.SchemaConversionPath},
	}
	for _, u := range uris {
		if u.Transport != config.TransportNetTCP {
			return fmt.Errorf("listen %s: transport %s not available", u, u.Transport)
		}
		ln, err := lc.Listen(ctx, "tcp", u.Addr())
		if err != nil {
			return fmt.Errorf("listen %s: %w", u, err)
		}
		listeners = append(listeners, ln)
		hostport := u.Addr()
		if ta, ok := ln.Addr().(*net.TCPAddr); ok {
			hostport = net.JoinHostPort(u.Host, strconv.Itoa(ta.Port))
		}
		for _, p := range ports {
			log.Info("listening",
				zap.String("endpoint", u.Endpoint(hostport, p.path)),
				zap.String("port_type", p.name),
				zap.String("transport", u.Transport),
				zap.String("addr", ln.Addr().String()))
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := log.Named("listener")
			for {
				conn, err := ln.Accept()
				if err != nil {
					if !errors.Is(err, net.ErrClosed) {
						l.Error("accept failed", zap.Error(err))
					}
					return
				}
				l.Debug("closing connection: protocol handler not wired yet",
					zap.String("remote_addr", conn.RemoteAddr().String()))
				_ = conn.Close()
			}
		}()
	}
	<-ctx.Done()
	log.Info("shutting down listeners")
	return nil
}
