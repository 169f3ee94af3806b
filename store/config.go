package store

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/ipamd/ipamd/store/schema"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// DefaultPostgresPort is used when a client sends DatabasePort 0.
const DefaultPostgresPort = 5432

// WIDFileName is the embedded store's file in its directory: a WID
// DatabasePath names a directory, as on Windows, not a file.
const WIDFileName = "ipam.db"

// Config is a database configuration (ADM_DatabaseConfigurationTable,
// IpamDatabaseConfiguration) that has passed the operator's Policy: the
// store can be opened from it as it is. Its String method hides the password.
type Config struct {
	// Type is DatabaseTypeWindowsInternal (embedded SQLite) or
	// DatabaseTypeMSSQLServer (PostgreSQL).
	Type ipam.IpamDatabaseType
	// Path is the SQLite file (WID only).
	Path string
	// Host, Port and Name locate the PostgreSQL database (MSSQLServer only).
	Host string
	Port int
	Name string
	// User and Password are the SQLAuthentication credential (MSSQLServer
	// only). An empty Password is sent as none: ipamd's own PGPASSWORD or
	// ~/.pgpass fill it in only with Options.PostgresEnvironmentCredentials.
	User     string
	Password string
}

// Dialect is the SQL engine the configuration selects.
func (c Config) Dialect() schema.Dialect {
	if c.Type == ipam.IpamDatabaseTypeMSSQLServer {
		return schema.PostgreSQL
	}
	return schema.SQLite
}

// String describes the store without its credential, for logs and errors.
func (c Config) String() string {
	if c.Type == ipam.IpamDatabaseTypeMSSQLServer {
		return fmt.Sprintf("PostgreSQL database %q at %s", c.Name, net.JoinHostPort(c.Host, strconv.Itoa(c.Port)))
	}
	return fmt.Sprintf("embedded store %s", c.Path)
}

// GoString is String, so %#v cannot print the password either.
func (c Config) GoString() string { return c.String() }

// same reports whether c and o name the same database (credentials aside).
func (c Config) same(o Config) bool {
	if c.Type != o.Type {
		return false
	}
	if c.Type == ipam.IpamDatabaseTypeMSSQLServer {
		return strings.EqualFold(c.Host, o.Host) && c.Port == o.Port && c.Name == o.Name
	}
	return filepath.Clean(c.Path) == filepath.Clean(o.Path)
}

// IPAM returns the configuration as the protocol and
// ADM_DatabaseConfigurationTable describe it. The credential carries the
// user name only.
func (c Config) IPAM() *ipam.IpamDatabaseConfiguration {
	out := &ipam.IpamDatabaseConfiguration{DatabaseType: c.Type}
	if c.Type == ipam.IpamDatabaseTypeMSSQLServer {
		host, name, user := c.Host, c.Name, c.User
		out.DatabaseAuthenticationType = ipam.IpamDatabaseAuthenticationTypeSQLAuthentication
		out.DatabaseServerNameOrIP, out.DatabaseName = &host, &name
		out.DatabasePort = uint32(c.Port)
		out.DatabaseCredential = &ipam.IpamCredential{UserName: &user}
		return out
	}
	dir := filepath.Dir(c.Path)
	out.DatabaseAuthenticationType = ipam.IpamDatabaseAuthenticationTypeWindowsAuthentication
	out.DatabasePath = &dir
	return out
}

// Policy is what the operator lets a client ask for in
// IpamProvisioningSetting.DatabaseConfiguration.
type Policy struct {
	// StateDir is always allowed for embedded stores and is where the
	// default store lives.
	StateDir string
	// AllowedDirectories are further directories (and their
	// subdirectories) a client may name as a WID DatabasePath.
	AllowedDirectories []string
	// AllowedHosts are the PostgreSQL servers a client may name, each
	// "host:port" or "host" (port 5432 only); host names compare
	// case-insensitively.
	// Empty: no external database.
	AllowedHosts []string
}

// DefaultConfig is the store used when a client names none: the embedded
// store in the state directory.
// Its path is canonical (symbolic links in the state directory's path
// resolved), as every embedded store's path the policy allows: Open
// refuses a link in it.
func (p Policy) DefaultConfig() Config {
	dir := filepath.Clean(p.StateDir)
	if real, err := resolveExisting(dir); err == nil {
		dir = real
	}
	return Config{Type: ipam.IpamDatabaseTypeWindowsInternalDatabase, Path: filepath.Join(dir, WIDFileName)}
}

// Allows checks a recorded store (ActiveFileName) against the policy as it
// is now, as Resolve checks a client's: the operator may have narrowed it
// since, or the record may have been edited. It returns the store with its
// path made canonical again. A refusal is an
// IpamApiErrorInvalidDatabaseConfiguration.
func (p Policy) Allows(c Config) (Config, error) {
	switch c.Type {
	case ipam.IpamDatabaseTypeWindowsInternalDatabase:
		if filepath.Base(c.Path) != WIDFileName {
			return Config{}, invalidConfig("embedded store %s refused: its file must be named %s", c.Path, WIDFileName)
		}
		dir := filepath.Dir(c.Path)
		return p.resolveWID(&ipam.IpamDatabaseConfiguration{DatabasePath: &dir})
	case ipam.IpamDatabaseTypeMSSQLServer:
		if !p.hostAllowed(c.Host, c.Port) {
			return Config{}, invalidConfig("database server %s refused: not in store.allowed_hosts", net.JoinHostPort(c.Host, strconv.Itoa(c.Port)))
		}
		return c, nil
	}
	return Config{}, invalidConfig("DatabaseType %q is not supported", c.Type)
}

// Resolve checks a client's database configuration against the policy and
// returns the store it selects. A missing configuration, or a WID one with
// an empty DatabasePath, is the default store. Anything refused is an
// IpamApiErrorInvalidDatabaseConfiguration saying what was refused; the
// message never contains the credential.
func (p Policy) Resolve(dc *ipam.IpamDatabaseConfiguration) (Config, error) {
	if dc == nil {
		return p.DefaultConfig(), nil
	}
	switch dc.DatabaseType {
	case "", ipam.IpamDatabaseTypeDatabaseTypeNotConfigured, ipam.IpamDatabaseTypeWindowsInternalDatabase:
		return p.resolveWID(dc)
	case ipam.IpamDatabaseTypeMSSQLServer:
		return p.resolvePostgres(dc)
	}
	return Config{}, invalidConfig("DatabaseType %q is not supported (WindowsInternalDatabase or MSSQLServer)", dc.DatabaseType)
}

func invalidConfig(format string, args ...any) error {
	return ipam.NewException(ipam.IpamApiErrorInvalidDatabaseConfiguration, format, args...)
}

func (p Policy) resolveWID(dc *ipam.IpamDatabaseConfiguration) (Config, error) {
	if dc.DatabasePath == nil || strings.TrimSpace(*dc.DatabasePath) == "" {
		return p.DefaultConfig(), nil
	}
	dir := *dc.DatabasePath
	if strings.ContainsAny(dir, "\x00?") || !filepath.IsAbs(dir) {
		return Config{}, invalidConfig("DatabasePath %q refused: it must be an absolute directory path on the ipamd host, without '?'", dir)
	}
	real, err := resolveExisting(filepath.Clean(dir))
	if err != nil {
		return Config{}, invalidConfig("DatabasePath %q refused: %v", dir, err)
	}
	for _, allowed := range append([]string{p.StateDir}, p.AllowedDirectories...) {
		if allowed == "" {
			continue
		}
		ra, err := resolveExisting(filepath.Clean(allowed))
		if err != nil {
			continue
		}
		if within(real, ra) {
			return Config{Type: ipam.IpamDatabaseTypeWindowsInternalDatabase, Path: filepath.Join(real, WIDFileName)}, nil
		}
	}
	return Config{}, invalidConfig("DatabasePath %q refused: not inside the state directory or a directory in store.allowed_directories", dir)
}

// resolveExisting resolves symbolic links in the longest existing prefix
// of path, so a link cannot lead out of an allowed directory; the part that
// does not exist yet is appended as it is (it is created later, as
// directories).
func resolveExisting(path string) (string, error) {
	rest := ""
	p := path
	for {
		_, err := os.Lstat(p)
		if err == nil {
			real, err := filepath.EvalSymlinks(p)
			if err != nil {
				return "", err
			}
			if st, err := os.Stat(real); err != nil || !st.IsDir() {
				return "", fmt.Errorf("%s is not a directory", p)
			}
			return filepath.Join(real, rest), nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(p)
		if parent == p {
			return path, nil
		}
		rest = filepath.Join(filepath.Base(p), rest)
		p = parent
	}
}

// within reports whether path is dir or below it.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// pgName is what ipamd accepts as a PostgreSQL database name: plain enough
// to need no thought about quoting anywhere.
var pgName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$-]{0,62}$`)

func (p Policy) resolvePostgres(dc *ipam.IpamDatabaseConfiguration) (Config, error) {
	host := ""
	if dc.DatabaseServerNameOrIP != nil {
		host = strings.TrimSpace(*dc.DatabaseServerNameOrIP)
	}
	if host == "" {
		return Config{}, invalidConfig("MSSQLServer configuration refused: DatabaseServerNameOrIP is empty")
	}
	port := int(dc.DatabasePort)
	if port == 0 {
		port = DefaultPostgresPort
	}
	if port > 65535 {
		return Config{}, invalidConfig("DatabasePort %d refused: not a TCP port", dc.DatabasePort)
	}
	if !p.hostAllowed(host, port) {
		return Config{}, invalidConfig("database server %s refused: not in store.allowed_hosts", net.JoinHostPort(host, strconv.Itoa(port)))
	}
	name := ""
	if dc.DatabaseName != nil {
		name = *dc.DatabaseName
	}
	if !pgName.MatchString(name) {
		return Config{}, invalidConfig("DatabaseName %q refused: 1 to 63 letters, digits, '_', '$' or '-', not starting with a digit", name)
	}
	if dc.DatabaseAuthenticationType != ipam.IpamDatabaseAuthenticationTypeSQLAuthentication {
		return Config{}, invalidConfig("DatabaseAuthenticationType %q refused: the PostgreSQL store supports SQLAuthentication only", dc.DatabaseAuthenticationType)
	}
	c := dc.DatabaseCredential
	if c == nil || c.UserName == nil || *c.UserName == "" {
		return Config{}, invalidConfig("SQLAuthentication needs DatabaseCredential.UserName")
	}
	return Config{Type: ipam.IpamDatabaseTypeMSSQLServer, Host: host, Port: port, Name: name,
		User: *c.UserName, Password: string(c.Password)}, nil
}

func (p Policy) hostAllowed(host string, port int) bool {
	for _, a := range p.AllowedHosts {
		h, ps, err := net.SplitHostPort(a)
		if err != nil {
			// A bare host allows PostgreSQL's default port only: an entry
			// must not open every service of the host to the client.
			h, ps = strings.Trim(a, "[]"), strconv.Itoa(DefaultPostgresPort)
		}
		if strings.EqualFold(h, host) && ps == strconv.Itoa(port) {
			return true
		}
	}
	return false
}
