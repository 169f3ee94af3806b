package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" driver
	"github.com/spf13/cobra"
	_ "modernc.org/sqlite" // "sqlite" driver

	"github.com/ipamd/ipamd/internal/v1gen"
	"github.com/ipamd/ipamd/store/convert"
	"github.com/ipamd/ipamd/store/schema"
)

// newDevCmd is the hidden "dev" command: tools for developing and measuring
// the store (a legacy v1 store to convert, a conversion outside the
// protocol). Not for production stores.
func newDevCmd(stdout io.Writer) *cobra.Command {
	dev := &cobra.Command{
		Use:    "dev",
		Short:  "Developer tools for the IPAM data store (not for production)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE:   func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	dev.AddCommand(newMakeLegacyStoreCmd(stdout), newConvertStoreCmd(stdout), newGenDocsCmd(stdout))
	return dev
}

// storeFlags are the flags that name a database.
type storeFlags struct {
	engine, path, dsn string
}

func (f *storeFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.engine, "engine", "sqlite", "database `ENGINE`: sqlite or postgres")
	cmd.Flags().StringVar(&f.path, "path", "", "SQLite database `FILE` (--engine sqlite)")
	cmd.Flags().StringVar(&f.dsn, "dsn", "", "PostgreSQL connection `URL` of an existing database (--engine postgres)")
}

// open opens the named database. Flag mistakes are usage errors (exit 2).
func (f *storeFlags) open(ctx context.Context) (*sql.DB, schema.Dialect, error) {
	var (
		db  *sql.DB
		d   schema.Dialect
		err error
	)
	switch f.engine {
	case "sqlite":
		if f.path == "" || f.dsn != "" {
			return nil, 0, errors.New("--engine sqlite needs --path and no --dsn")
		}
		d = schema.SQLite
		db, err = sql.Open("sqlite", schema.SQLiteDSN(f.path))
	case "postgres", "postgresql":
		if f.dsn == "" || f.path != "" {
			return nil, 0, errors.New("--engine postgres needs --dsn and no --path")
		}
		d = schema.PostgreSQL
		db, err = sql.Open("pgx", f.dsn)
	default:
		return nil, 0, fmt.Errorf("--engine %q: want sqlite or postgres", f.engine)
	}
	if err != nil {
		return nil, 0, runtimeError(fmt.Errorf("open %s database: %w", f.engine, err))
	}
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, 0, runtimeError(fmt.Errorf("open %s database: %w", f.engine, err))
	}
	return db, d, nil
}

func newMakeLegacyStoreCmd(stdout io.Writer) *cobra.Command {
	var (
		sf        storeFlags
		addresses int
		seed      uint64
	)
	cmd := &cobra.Command{
		Use:   "make-legacy-store --engine sqlite|postgres --path FILE|--dsn URL --addresses N [--seed S]",
		Short: "Write a realistic IPAM data store in the v1 (Windows Server 2012, IPAM 6.2) layout",
		Long: `Create the v1 schema in an empty database and fill it with generated data: v1 provisioning
seed rows, blocks, ranges with subnet ids and masks, N addresses with custom field values, DHCP
servers, scopes and reservations, DNS zones, utilization and audit rows. The same --seed gives
the same store.`,
		Args: cobra.NoArgs,
	}
	sf.add(cmd)
	cmd.Flags().IntVar(&addresses, "addresses", 100000, "number of IP addresses `N`")
	cmd.Flags().Uint64Var(&seed, "seed", 1, "generator `SEED`")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if addresses < 0 {
			return errors.New("--addresses must not be negative")
		}
		ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		db, d, err := sf.open(ctx)
		if err != nil {
			return err
		}
		defer db.Close()
		began := time.Now()
		st, err := v1gen.Generate(ctx, db, d, v1gen.Options{Addresses: addresses, Seed: seed})
		if err != nil {
			return runtimeError(err)
		}
		el := time.Since(began)
		fmt.Fprintf(stdout, "wrote %d addresses, %d ranges, %d blocks, %d custom field values, %d scopes in %s (%.0f addresses/s)\n",
			st.Addresses, st.Ranges, st.Blocks, st.Associations, st.Scopes, el.Round(time.Millisecond), float64(st.Addresses)/el.Seconds())
		return nil
	}
	return cmd
}

func newConvertStoreCmd(stdout io.Writer) *cobra.Command {
	var (
		sf       storeFlags
		batch    int
		progress bool
	)
	cmd := &cobra.Command{
		Use:   "convert-store --engine sqlite|postgres --path FILE|--dsn URL [--batch N] [--progress]",
		Short: "Convert a v1 data store to the current schema (or resume a stopped conversion)",
		Long: `Run the v1 → v2 schema conversion on a data store directly, outside the protocol and
without the daemon's exclusion: nothing else may use the store meanwhile. A stopped conversion
(signal, kill, crash) resumes where it stopped.`,
		Args: cobra.NoArgs,
	}
	sf.add(cmd)
	cmd.Flags().IntVar(&batch, "batch", 0, "most rows a batch converts `N` (0: the default)")
	cmd.Flags().BoolVar(&progress, "progress", false, "print every progress report (step, done, total)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		db, d, err := sf.open(ctx)
		if err != nil {
			return err
		}
		defer db.Close()
		req, from, to, err := convert.Required(ctx, db, d)
		if err != nil {
			return runtimeError(err)
		}
		if !req {
			fmt.Fprintf(stdout, "the store is at schema %s: nothing to convert\n", to)
			return nil
		}
		opts := convert.Options{BatchSize: batch}
		if progress {
			opts.Progress = func(step string, done, total int64) { fmt.Fprintf(stdout, "progress %s %d %d\n", step, done, total) }
		}
		began := time.Now()
		if err := convert.Run(ctx, db, d, opts); err != nil {
			return runtimeError(err)
		}
		fmt.Fprintf(stdout, "converted schema %s to %s in %s\n", from, to, time.Since(began).Round(time.Millisecond))
		return nil
	}
	return cmd
}
