package server

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"go.uber.org/zap"

	"github.com/ipamd/ipamd/config"
	"github.com/ipamd/ipamd/services"
	"github.com/ipamd/ipamd/store"
	"github.com/ipamd/ipamd/store/convert"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// newDataStore returns the store the services run on, the source of its
// IPAM rows for IIpamEnumerator (none for the stand-in), and a function that
// closes it: the real data store (package store) in the state directory's
// active store, or — with dev.provisioned or dev.require_conversion — the
// in-memory stand-in in the state those settings name. dev.fail_with
// wraps either.
func newDataStore(ctx context.Context, cfg *config.Config, log *zap.Logger) (services.Store, services.RowSource, func() error, error) {
	var (
		st      services.Store
		rows    services.RowSource = services.NoRows{}
		closeFn                    = func() error { return nil }
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
				SQLiteBusyTimeout:              cfg.Store.SQLiteBusyTimeout,
				PostgresSSLMode:                cfg.Store.Postgres.SSLMode,
				PostgresSSLRootCert:            cfg.Store.Postgres.SSLRootCert,
				PostgresEnvironmentCredentials: cfg.Store.Postgres.EnvironmentCredentials,
				ConnectTimeout:                 cfg.Store.Postgres.ConnectTimeout,
				MaxConns:                       cfg.Store.Postgres.MaxConnections,
				LeaseDuration:                  cfg.Store.LeaseDuration,
			},
			Converter: schemaConverter{log: log.Named("convert")},
			Logger:    log.Named("store"),
		})
		if err != nil {
			return nil, nil, nil, fmt.Errorf("data store: %w", err)
		}
		st, rows, closeFn = m, m, m.Close
	}
	if cfg.Dev.FailWith != "" {
		log.Warn("fault injection: provisioning and schema conversion fail", zap.String("exception_id", cfg.Dev.FailWith))
	}
	st = services.WithFailure(st, cfg.Dev.FailWith)
	if cfg.Dev.PanicInWork {
		log.Warn("fault injection: provisioning and schema conversion panic (dev.panic_in_work)")
		st = services.WithPanic(st)
	}
	return st, rows, closeFn, nil
}

// schemaConverter runs the v1 → v2 migration of store/convert for the
// store manager, which holds the conversion lease and keeps it renewed
// while this runs. Its errors are the convert package's, which the
// IpamException table (services/adm) knows.
type schemaConverter struct{ log *zap.Logger }

func (c schemaConverter) Convert(ctx context.Context, s *store.Store, lease *store.Lease, from string) error {
	cfg := s.Config()
	db := &convert.DatabaseConfiguration{
		DatabaseType:               string(cfg.Type),
		DatabaseAuthenticationType: string(ipam.IpamDatabaseAuthenticationTypeWindowsAuthentication),
		DatabasePath:               cfg.Path,
	}
	if cfg.Type == ipam.IpamDatabaseTypeMSSQLServer {
		db = &convert.DatabaseConfiguration{
			DatabaseType: string(cfg.Type), DatabaseAuthenticationType: string(ipam.IpamDatabaseAuthenticationTypeSQLAuthentication),
			CredentialUserName: cfg.User, DatabaseServerNameOrIP: cfg.Host, DatabaseName: cfg.Name,
			DatabasePort: int64(cfg.Port),
		}
	}
	var lastStep string
	err := convert.Run(ctx, s.DB(), s.Dialect(), convert.Options{
		Database: db,
		Fence:    lease.RenewTx, // no batch commits once another owner took the lease
		Progress: func(step string, done, total int64) {
			if step != lastStep {
				lastStep = step
				c.log.Info("schema conversion step", zap.String("step", step), zap.Int64("rows", total))
			}
		},
	})
	var verr *convert.VersionError
	if errors.As(err, &verr) && !verr.Newer {
		return fmt.Errorf("%w (from %q)", err, from)
	}
	return err
}

// storePool is the connection pool of the real data store (the
// store.Manager behind rows) for ipamd_store_connections; the stand-ins
// have none, and their series read 0.
func storePool(rows services.RowSource) func() (sql.DBStats, bool) {
	if p, ok := rows.(interface{ PoolStats() (sql.DBStats, bool) }); ok {
		return p.PoolStats
	}
	return func() (sql.DBStats, bool) { return sql.DBStats{}, false }
}
