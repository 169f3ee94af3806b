package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ipamd/ipamd/client"
	"github.com/ipamd/ipamd/duplex/nmf"
	"github.com/ipamd/ipamd/services"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// provisionFlags are the IpamProvisioningSetting (MS-IPAMM2 2.2.4.288) and
// IpamDatabaseConfiguration (2.2.4.251) members, one flag each.
type provisionFlags struct {
	createNewSchema    bool
	gpoPrefix          string
	provisioningMethod string

	dbType, dbAuth, dbServer, dbName, dbPath, dbUser, dbPasswordFile string
	dbPort                                                           uint32
}

// databaseFlags are the flags that make the setting carry a
// DatabaseConfiguration.
var databaseFlags = []string{"database-type", "database-authentication-type", "database-server", "database-name",
	"database-path", "database-port", "database-user", "database-password-file"}

func (f *provisionFlags) bind(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.BoolVar(&f.createNewSchema, "create-new-schema", false, "CreateNewSchema: create a fresh data store schema")
	fs.StringVar(&f.gpoPrefix, "gpo-prefix", "", "GpoPrefix: prefix of the group policy objects, 1 to 240 characters (required with --provisioning-method Automatic)")
	fs.StringVar(&f.provisioningMethod, "provisioning-method", "", "ProvisioningMethod: None, Automatic or Manual (omitted unless given)")
	fs.StringVar(&f.dbType, "database-type", "", "DatabaseConfiguration.DatabaseType: WindowsInternalDatabase, MSSQLServer or DatabaseTypeNotConfigured")
	fs.StringVar(&f.dbAuth, "database-authentication-type", "", "DatabaseConfiguration.DatabaseAuthenticationType: WindowsAuthentication, SQLAuthentication or AuthenticationNotConfigured")
	fs.StringVar(&f.dbServer, "database-server", "", "DatabaseConfiguration.DatabaseServerNameOrIP: `HOST` of an external database")
	fs.StringVar(&f.dbName, "database-name", "", "DatabaseConfiguration.DatabaseName")
	fs.StringVar(&f.dbPath, "database-path", "", "DatabaseConfiguration.DatabasePath")
	fs.Uint32Var(&f.dbPort, "database-port", 0, "DatabaseConfiguration.DatabasePort (0 = omitted)")
	fs.StringVar(&f.dbUser, "database-user", "", "DatabaseConfiguration.DatabaseCredential.UserName")
	fs.StringVar(&f.dbPasswordFile, "database-password-file", "",
		"DatabaseConfiguration.DatabaseCredential.Password: read from `FILE` (- = stdin; one trailing newline is dropped), never from the command line")
}

// setting builds the IpamProvisioningSetting from the flags that were given:
// optional members are omitted unless their flag is present, and the
// DatabaseConfiguration is sent when any --database-* flag is.
func (f *provisionFlags) setting(cmd *cobra.Command, stdin io.Reader) (*ipam.IpamProvisioningSetting, error) {
	changed := cmd.Flags().Changed
	s := &ipam.IpamProvisioningSetting{CreateNewSchema: f.createNewSchema}
	if changed("gpo-prefix") {
		s.GpoPrefix = &f.gpoPrefix
	}
	if changed("provisioning-method") {
		v, err := oneOf("--provisioning-method", f.provisioningMethod, ipam.ProvisioningMethodNone,
			ipam.ProvisioningMethodAutomatic, ipam.ProvisioningMethodManual)
		if err != nil {
			return nil, err
		}
		s.ProvisioningMethod = v
	}
	anyDB := false
	for _, name := range databaseFlags {
		anyDB = anyDB || changed(name)
	}
	if !anyDB {
		return s, nil
	}
	c := &ipam.IpamDatabaseConfiguration{DatabasePort: f.dbPort}
	var err error
	if changed("database-type") {
		if c.DatabaseType, err = oneOf("--database-type", f.dbType, ipam.IpamDatabaseTypeWindowsInternalDatabase,
			ipam.IpamDatabaseTypeMSSQLServer, ipam.IpamDatabaseTypeDatabaseTypeNotConfigured); err != nil {
			return nil, err
		}
	}
	if changed("database-authentication-type") {
		if c.DatabaseAuthenticationType, err = oneOf("--database-authentication-type", f.dbAuth, ipam.IpamDatabaseAuthenticationTypeWindowsAuthentication,
			ipam.IpamDatabaseAuthenticationTypeSQLAuthentication, ipam.IpamDatabaseAuthenticationTypeAuthenticationNotConfigured); err != nil {
			return nil, err
		}
	}
	for _, o := range []struct {
		flag string
		v    *string
		dst  **string
	}{{"database-server", &f.dbServer, &c.DatabaseServerNameOrIP}, {"database-name", &f.dbName, &c.DatabaseName}, {"database-path", &f.dbPath, &c.DatabasePath}} {
		if changed(o.flag) {
			*o.dst = o.v
		}
	}
	if changed("database-user") || changed("database-password-file") {
		c.DatabaseCredential = &ipam.IpamCredential{}
		if changed("database-user") {
			c.DatabaseCredential.UserName = &f.dbUser
		}
		if changed("database-password-file") {
			if c.DatabaseCredential.Password, err = readPassword(f.dbPasswordFile, stdin); err != nil {
				return nil, err
			}
		}
	}
	s.DatabaseConfiguration = c
	return s, nil
}

// oneOf matches v (ignoring case) against the enumeration's values and
// returns the spelling the contract uses.
func oneOf[T ~string](flag, v string, values ...T) (T, error) {
	names := make([]string, len(values))
	for i, x := range values {
		if strings.EqualFold(v, string(x)) {
			return x, nil
		}
		names[i] = string(x)
	}
	return "", fmt.Errorf("%s %q: must be one of %s", flag, v, strings.Join(names, ", "))
}

// readPassword reads the password bytes; one trailing newline (\n or \r\n)
// is not part of it.
func readPassword(file string, stdin io.Reader) ([]byte, error) {
	var b []byte
	var err error
	if file == "-" {
		b, err = io.ReadAll(io.LimitReader(stdin, 64<<10))
	} else {
		b, err = os.ReadFile(file)
	}
	if err != nil {
		return nil, fmt.Errorf("--database-password-file: %w", err)
	}
	b = bytes.TrimSuffix(b, []byte("\n"))
	b = bytes.TrimSuffix(b, []byte("\r"))
	return b, nil
}

func newProvisionCmd(stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "provision --server URI [flags]",
		Short: "Provision an IPAM server over net.tcp (IIpamAsyncProvision), with live progress",
		Long: `Provision an IPAM server as a management client does: open a net.tcp session to the
IIpamAsyncProvision endpoint, send InitializeAsyncProvisioning with an IpamProvisioningSetting
built from the flags, StartAsyncProvisioning, follow NotifyAsyncProvisionStart/Checkpoint/Complete
(a progress bar on stderr counts the checkpoints and, with --admin naming the server's admin listener, shows the
step, rows and rows/s the server reports), send Keepalives meanwhile, and end the session.

The final line (stdout) says "provisioning succeeded", or "provisioning refused:" (the server's
fault to InitializeAsyncProvisioning) or "provisioning failed:" (the exception in
NotifyAsyncProvisionComplete) followed by the IpamExceptionId and message. --output json prints
one object instead: outcome (success, exception, error), stage, exception {id, message, inner},
framing_fault, error, checkpoints, keepalives, durations_ms {connect, initialize, work, close,
total}, and with --admin rows, last_step and rows_per_second.

` + clientExitCodes,
		Example: `  ipamd provision --server net.tcp://ipam1:48885/ipam/IIpamAsyncProvision \
      --provisioning-method Automatic --gpo-prefix IPAM --database-type WindowsInternalDatabase
  ipamd provision --server net.tcp://127.0.0.1:48885 --output json`,
		Args: cobra.NoArgs,
	}
	var cf clientFlags
	var pf provisionFlags
	provisionPath, _ := defaultPaths()
	cf.bind(cmd, "`URI` of the IIpamAsyncProvision endpoint, e.g. net.tcp://host:48885"+provisionPath+
		" (without a path, "+provisionPath+" is used)", true)
	pf.bind(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if err := cf.check(); err != nil {
			return err
		}
		uri, err := endpointURI(cf.server, provisionPath)
		if err != nil {
			return err
		}
		setting, err := pf.setting(cmd, cmd.InOrStdin())
		if err != nil {
			return err
		}
		r := &sessionRun{flags: &cf, op: "provision", verb: "provisioning", uri: uri, stdout: stdout, stderr: stderr,
			kind: string(services.WorkProvisioning)}
		return r.run(cmd, func(ctx context.Context, c *client.Client, conn *nmf.ClientSession, obs client.Observer) (client.Result, error) {
			return c.Provision(ctx, conn, setting, obs)
		})
	}
	return cmd
}
