// Package config holds ipamd's settings: the Config struct, its defaults,
// loading from a YAML file, IPAMD_* environment variables and command-line
// flags, and validation with errors that name the offending key.
//
// Every setting is described once, in the table in settings.go. That table
// drives YAML decoding, environment lookup, flag registration, validation,
// `ipamd config print` and the generated docs (docs/configuration.md,
// deploy/ipamd.example.yaml).
package config

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Config is the daemon's effective configuration.
type Config struct {
	// Listen lists the endpoints to listen on, as net.tcp://HOST:PORT URIs.
	Listen    []string
	Endpoints Endpoints
	// StateDir is where ipamd keeps persistent state.
	StateDir  string
	Log       Log
	Admin     Admin    // config/operate.go
	Shutdown  Shutdown // config/operate.go
	Limits    Limits
	Session   Session
	Callbacks Callbacks
	HTTP      HTTP // config/identity.go
	Store     Store
	Security  Security
	Dev       Dev

	// origin records, per key, where a non-default value came from
	// ("file ipamd.yaml:3", "env IPAMD_…", "flag --…"); used in errors.
	origin map[string]string
}

// Endpoints are the URI paths of the two port types on every listener.
type Endpoints struct {
	ProvisionPath        string
	SchemaConversionPath string
	EnumeratorPath       string
}

// Log configures the zap logger.
type Log struct {
	Level  string // LogLevel* constant
	Format string // LogFormat* constant
}

// Limits are transport quotas and timeouts.
type Limits struct {
	MaxMessageSize       int
	PreambleTimeout      time.Duration
	IdleTimeout          time.Duration
	CloseTimeout         time.Duration
	MaxConnections       int
	MaxSessionTableBytes int
	HTTPRequestTimeout   time.Duration
	// Admission (docs/security.md): per-address and HTTP connection caps,
	// and the time a session may stay uninitialized.
	MaxConnectionsPerAddress int
	MaxHTTPConnections       int
	UninitializedTimeout     time.Duration
	MaxEchoBytes             int
	Reader                   ReaderLimits
}

// ReaderLimits are the quotas of the SOAP message readers (binary and text),
// on the model of WCF's XmlDictionaryReaderQuotas; docs/security.md,
// "Resource budgets".
type ReaderLimits struct {
	MaxDepth               int
	MaxStringContentLength int
	MaxArrayLength         int
	MaxBytesPerRead        int
	MaxAttributes          int
	MaxExpansion           int
	MaxHeaderSize          int
}

// Session configures the MS-IPAMM2 session layer.
type Session struct {
	InactivityInterval  time.Duration // MS-IPAMM2 InactivityTimer
	KeepaliveGraceCount int
	CheckpointInterval  time.Duration // how often Notify…Checkpoint is sent
}

// Callbacks configures the callback messages sent to the client.
type Callbacks struct {
	ActionStyle string // ActionStyle* constant
	// AllowedNetworks are CIDR prefixes callback URLs (HTTP a:ReplyTo) may
	// point into.
	AllowedNetworks []string
	MaxAttempts     int
	AttemptTimeout  time.Duration
	InitialBackoff  time.Duration
	MaxBackoff      time.Duration
}

// CallbackNetworks parses AllowedNetworks (validated by Validate).
func (c Callbacks) CallbackNetworks() ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(c.AllowedNetworks))
	for i, s := range c.AllowedNetworks {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, &Error{Key: fmt.Sprintf("callbacks.allowed_networks[%d]", i), Value: quoteRaw(s), Err: err}
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// Store is the operator's policy for the IPAM data store and how it is
// reached.
type Store struct {
	// AllowedDirectories are directories, besides the state directory, a
	// client may name as a WindowsInternalDatabase DatabasePath.
	AllowedDirectories []string
	// AllowedHosts are the PostgreSQL servers ("host" or "host:port") a
	// client may name for DatabaseType MSSQLServer; empty = none.
	AllowedHosts []string
	// RememberPassword keeps the client's database password in the state
	// directory so a restart can reconnect.
	RememberPassword  bool
	LeaseDuration     time.Duration
	SQLiteBusyTimeout time.Duration
	Postgres          Postgres
}

// Postgres configures connections to the external (MSSQLServer) store.
type Postgres struct {
	SSLMode        string // libpq sslmode, or "auto"
	SSLRootCert    string
	ConnectTimeout time.Duration
	MaxConnections int
	// EnvironmentCredentials lets the driver fill in what the client did
	// not send from ipamd's own environment (PGPASSWORD, ~/.pgpass, a
	// service file, a client certificate).
	EnvironmentCredentials bool
}

// Dev holds development and test aids.
// Security configures transport security of the net.tcp listeners.
type Security struct {
	// Mode is the security of net.tcp listeners whose URI has no
	// ?security= query: SecurityNone, SecurityTLS or SecurityNegotiate.
	Mode string
	// Insecure allows listeners without security on non-loopback
	// addresses (logged as a warning at every start).
	Insecure bool
	// HandshakeTimeout bounds each security handshake.
	HandshakeTimeout time.Duration
	TLS              TLSSecurity
	Negotiate        NegotiateSecurity
	// Administrators are the SIDs (S-1-…) and principal names that count
	// as IsAdministrator besides BUILTIN\Administrators.
	Administrators []string
	// IpamUsers are the SIDs and principal names of IPAM Users (IsIpamUser).
	IpamUsers []string
	// LocalIdentity and LocalAdministrators decide who a caller on a
	// listener without security is (config/identity.go).
	LocalIdentity       string
	LocalAdministrators []string
	// RefuseUnauthenticated: callers on listeners without security count
	// as no one instead of as administrators.
	RefuseUnauthenticated bool
}

// NegotiateSecurity configures the application/negotiate upgrade.
type NegotiateSecurity struct {
	// KeytabFile is the service principal's keytab (Kerberos); "" = no
	// Kerberos.
	KeytabFile string
	// NTLMAccountsFile lists DOMAIN\user:NTHASH lines (see ntlm.AccountFile).
	NTLMAccountsFile string
	// ComputerName is the NetBIOS name the NTLM CHALLENGE announces; ""
	// = the host name.
	ComputerName string
	// KerberosTrustedRealms are the realms besides the service's own whose
	// principals Kerberos accepts (cross-realm trusts); empty = the
	// service's realm only.
	KerberosTrustedRealms []string
}

// TLSSecurity configures the application/ssl-tls upgrade.
type TLSSecurity struct {
	CertificateFile string // PEM certificate chain of the server
	KeyFile         string // PEM private key
	ClientAuth      string // ClientAuth* constant
	ClientCAFile    string // PEM CA bundle client certificates must chain to
}

// Dev holds development/test settings used until the real store exists.
type Dev struct {
	WorkDuration      time.Duration // minimum duration of provisioning / conversion
	FailWith          string        // IpamExceptionId the work fails with; "" = do the work
	RequireConversion bool          // in-memory stand-in, conversion required
	Provisioned       bool          // in-memory stand-in, provisioned
	PanicInWork       bool          // provisioning / conversion work panics (containment tests)
}

// Allowed values of the enumerated settings.
const (
	LogLevelDebug = "debug"
	LogLevelInfo  = "info"
	LogLevelWarn  = "warn"
	LogLevelError = "error"

	LogFormatJSON    = "json"
	LogFormatConsole = "console"

	// ActionStyleService: callbacks use
	// http://Microsoft.Windows.Ipam/IIpamAsyncProvision/Notify… (resp.
	// IIpamAsyncSchemaConversion/Notify…).
	ActionStyleService = "service"
	// SecurityNone: no transport security (WCF SecurityMode.None); allowed
	// on loopback addresses, elsewhere only with security.insecure.
	SecurityNone = "none"
	// SecurityTLS: the application/ssl-tls upgrade is required.
	SecurityTLS = "tls"
	// SecurityNegotiate: the application/negotiate upgrade (NegotiateStream
	// with SPNEGO/NTLMv2, WCF's default SecurityMode.Transport with Windows
	// credentials) is required.
	SecurityNegotiate = "negotiate"

	// ClientAuthNone: TLS clients are not asked for a certificate.
	ClientAuthNone = "none"
	// ClientAuthRequire: TLS clients must present a certificate that
	// chains to security.tls.client_ca_file; its subject names the caller.
	ClientAuthRequire = "require"

	// ActionStyleCallback: callbacks use
	// …/IIpamAsyncProvisionCallback/Notify… resp. …/IIpamAsyncSchemaCallback/….
	ActionStyleCallback = "callback"
)

// Default returns the built-in defaults. The state directory default is
// computed from the platform and the process environment (see
// DefaultStateDir).
func Default() *Config {
	return defaultWith(os.Getenv)
}

func defaultWith(getenv func(string) string) *Config {
	c := &Config{}
	for _, s := range settings {
		s.setDefault(c)
	}
	c.StateDir = defaultStateDir(getenv)
	return c
}

// LoadOptions says where Load takes values from, in increasing precedence:
// defaults < File < Environ < Flags.
type LoadOptions struct {
	// File is a YAML configuration file; "" means none.
	File string
	// Environ is the environment as KEY=VALUE strings; nil means
	// os.Environ(). Pass an empty non-nil slice for no environment.
	Environ []string
	// Flags are the command-line flags bound with BindFlags; nil means none.
	Flags *Flags
}

// Load builds the effective configuration from defaults, the YAML file, the
// IPAMD_* environment and the flags, then validates it. All parse and
// validation errors are returned together (errors.Join); each one names its
// key.
func Load(opts LoadOptions) (*Config, error) {
	environ := opts.Environ
	if environ == nil {
		environ = os.Environ()
	}
	env := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	c := defaultWith(func(k string) string { return env[k] })
	c.origin = map[string]string{}

	var errs []error
	if opts.File != "" {
		data, err := os.ReadFile(opts.File)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		errs = append(errs, c.applyYAML(data, opts.File)...)
	}
	for _, s := range settings {
		v, ok := env[s.Env]
		if !ok || v == "" { // an empty variable counts as unset
			continue
		}
		src := "env " + s.Env
		if err := s.parse(c, splitValue(s, v)); err != nil {
			errs = append(errs, &Error{Key: s.Key, Value: quoteRaw(v), Source: src, Err: err})
			continue
		}
		c.origin[s.Key] = src
	}
	if opts.Flags != nil {
		for _, fv := range opts.Flags.values {
			if !fv.set {
				continue
			}
			s := fv.s
			src := "flag --" + s.Flag
			if err := s.parse(c, fv.raw); err != nil {
				errs = append(errs, &Error{Key: s.Key, Value: quoteRaw(strings.Join(fv.raw, ",")), Source: src, Err: err})
				continue
			}
			c.origin[s.Key] = src
		}
	}
	if c.StateDir != "" && !filepath.IsAbs(c.StateDir) {
		if abs, err := filepath.Abs(c.StateDir); err == nil {
			c.StateDir = abs
		}
	}
	if err := c.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

// Validate checks every setting and returns all violations joined; each
// error is an *Error naming the key, the value and the allowed range.
func (c *Config) Validate() error {
	var errs []error
	for _, s := range settings {
		for _, e := range s.validate(c) {
			e.Source = c.origin[e.Key]
			if e.Source == "" && strings.HasSuffix(e.Key, "]") {
				e.Source = c.origin[e.Key[:strings.IndexByte(e.Key, '[')]]
			}
			errs = append(errs, e)
		}
	}
	for _, check := range crossChecks {
		for _, e := range check(c) {
			if e.Source == "" {
				e.Source = c.origin[e.Key]
			}
			errs = append(errs, e)
		}
	}
	return errors.Join(errs...)
}

// EnsureStateDir creates the state directory (mode 0700, parents as
// needed) and checks that it is a directory.
func (c *Config) EnsureStateDir() error {
	if c.StateDir == "" {
		return errors.New("config: state_dir is not set")
	}
	if err := os.MkdirAll(c.StateDir, 0o700); err != nil {
		return fmt.Errorf("config: state_dir: %w", err)
	}
	fi, err := os.Stat(c.StateDir)
	if err != nil {
		return fmt.Errorf("config: state_dir: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("config: state_dir %q is not a directory", c.StateDir)
	}
	return nil
}

// Origin says where the value of key came from: "default", "file F:LINE",
// "env IPAMD_…" or "flag --…".
func (c *Config) Origin(key string) string {
	if o := c.origin[key]; o != "" {
		return o
	}
	return "default"
}

// UnknownEnv returns the IPAMD_* variables in environ (KEY=VALUE strings)
// that name no setting, e.g. a misspelt key. They are ignored by Load.
func UnknownEnv(environ []string) []string {
	var out []string
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(k, "IPAMD_") {
			continue
		}
		known := false
		for _, s := range settings {
			if s.Env == k {
				known = true
				break
			}
		}
		if !known {
			out = append(out, k)
		}
	}
	return out
}

// Error is a configuration error about one key.
type Error struct {
	Key    string // dotted key, with [i] for a list element
	Value  string // the offending value as shown to the user
	Source string // where the value came from ("" = default or unknown)
	Err    error  // what is wrong, including the allowed range/values
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("config: ")
	b.WriteString(e.Key)
	if e.Value != "" {
		b.WriteString(" = ")
		b.WriteString(e.Value)
	}
	if e.Source != "" {
		b.WriteString(" (from ")
		b.WriteString(e.Source)
		b.WriteString(")")
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

func quoteRaw(s string) string { return fmt.Sprintf("%q", s) }
