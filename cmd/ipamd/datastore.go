package main

import (
	"context"
	"fmt"

	"go.uber.org/zap"

	"github.com/ipamd/ipamd/config"
	"github.com/ipamd/ipamd/services"
	"github.com/ipamd/ipamd/store"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// newDataStore returns the store the services run on and a function that
// closes it: the real data store (package store) in the state directory's
// active store, or — with dev.provisioned or dev.require_conversion — the
// in-memory stand-in in the state those settings name. dev.fail_with
// wraps either.
func newDataStore(ctx context.Context, cfg *config.Config, log *zap.Logger) (services.Store, func() error, error) {
	var (
		st      services.Store
		closeFn = func() error { return nil }
	)
	if cfg.Dev.Provisioned || cfg.Dev.RequireConversion {
		configured := cfg.Dev.Provisioned || cfg.Dev.RequireConversion
		st = services.NewMemory(configured, cfg.Dev.RequireConversion)
		log.Warn("dev settings select the in-memory stand-in store: nothing is persisted",
			zap.Bool("provisioned", configured), zap.Bool("conversion_required", cfg.Dev.RequireConversion))
	} else {
		m, err := store.NewManager(ctx, store.ManagerOptions{
			Policy: store.Policy{
				StateDir:           cfg.StateDir,
				AllowedDirectories: cfg.Store.AllowedDirectories,
				AllowedHosts:       cfg.Store.AllowedHosts,
			},
			RememberPassword: cfg.Store.RememberPassword,
			Store: store.Options{
				SQLiteBusyTimeout:   cfg.Store.SQLiteBusyTimeout,
				PostgresSSLMode:     cfg.Store.Postgres.SSLMode,
				PostgresSSLRootCert: cfg.Store.Postgres.SSLRootCert,
				ConnectTimeout:      cfg.Store.Postgres.ConnectTimeout,
				MaxConns:            cfg.Store.Postgres.MaxConnections,
				LeaseDuration:       cfg.Store.LeaseDuration,
			},
			Logger: log.Named("store"),
		})
		if err != nil {
			return nil, nil, fmt.Errorf("data store: %w", err)
		}
		st, closeFn = managerStore{m}, m.Close
	}
	if cfg.Dev.FailWith != "" {
		log.Warn("fault injection: provisioning and schema conversion fail", zap.String("exception_id", cfg.Dev.FailWith))
	}
	return services.WithFailure(st, cfg.Dev.FailWith), closeFn, nil
}

// managerStore adapts *store.Manager to services.Store (the two packages
// are peers and do not import each other).
type managerStore struct{ m *store.Manager }

func (s managerStore) State(ctx context.Context) (services.ADMState, error) {
	st, err := s.m.State(ctx)
	if err != nil {
		return services.ADMState{}, err
	}
	return services.ADMState{Configured: st.Configured, ProvisioningInProgress: st.ProvisioningInProgress,
		ConversionRequired: st.ConversionRequired, ConversionInProgress: st.ConversionInProgress}, nil
}

func (s managerStore) BeginProvisioning(ctx context.Context, setting *ipam.IpamProvisioningSetting) (services.Job, error) {
	p, err := s.m.BeginProvisioning(ctx, setting)
	if err != nil {
		return nil, err
	}
	return p, nil
}

func (s managerStore) BeginConversion(ctx context.Context) (services.Job, error) {
	c, err := s.m.BeginConversion(ctx)
	if err != nil {
		return nil, err
	}
	return c, nil
}
