package config

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

// env returns an environment with a usable state dir plus kv.
func env(t *testing.T, kv ...string) []string {
	t.Helper()
	return append([]string{"IPAMD_STATE_DIR=" + t.TempDir()}, kv...)
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ipamd.yaml")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaultsValid(t *testing.T) {
	c := Default()
	c.StateDir = t.TempDir()
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	want := Config{
		Listen:    []string{"net.tcp://127.0.0.1:48885"},
		Endpoints: Endpoints{"/ipam/IIpamAsyncProvision", "/ipam/IIpamAsyncSchemaConversion", "/ipam/IIpamEnumerator"},
		StateDir:  c.StateDir,
		Log:       Log{"info", "json"},
		Admin:     Admin{Listen: "127.0.0.1:9485", AllowedHosts: []string{}, MaxConnections: 32, MaxConnectionsPerAddress: 8},
		Shutdown:  Shutdown{DrainTimeout: 60 * time.Second},
		Limits: Limits{65536, 30 * time.Second, 10 * time.Minute, 10 * time.Second, 10000, 2048, 60 * time.Second, 64, 1000, 60 * time.Second, 256,
			ReaderLimits{MaxDepth: 32, MaxStringContentLength: 8192, MaxArrayLength: 16384, MaxBytesPerRead: 4096, MaxAttributes: 256, MaxExpansion: 4, MaxHeaderSize: 4096}},
		Session:   Session{15 * time.Second, 3, 5 * time.Second},
		Callbacks: Callbacks{"service", []string{"127.0.0.0/8", "::1/128"}, 5, 10 * time.Second, 200 * time.Millisecond, 5 * time.Second},
		Store:     Store{AllowedDirectories: []string{}, AllowedHosts: []string{}, LeaseDuration: 30 * time.Second, SQLiteBusyTimeout: 10 * time.Second, Postgres: Postgres{"auto", "", 10 * time.Second, 8, false}},
		Security:  Security{Mode: "none", HandshakeTimeout: 10 * time.Second, TLS: TLSSecurity{ClientAuth: "none"}, Negotiate: NegotiateSecurity{KerberosTrustedRealms: []string{}}, Administrators: []string{}, IpamUsers: []string{}, LocalIdentity: "os", LocalAdministrators: []string{}},
		HTTP:      HTTP{AllowedHosts: []string{}},
	}
	if !reflect.DeepEqual(*c, want) {
		t.Fatalf("Default() =\n%+v\nwant\n%+v", *c, want)
	}
	// Load with no inputs gives the same.
	got, err := Load(LoadOptions{Environ: env(t)})
	if err != nil {
		t.Fatal(err)
	}
	got.StateDir, got.origin = c.StateDir, nil
	if !reflect.DeepEqual(*got, want) {
		t.Fatalf("Load() = %+v, want %+v", *got, want)
	}
}

func TestTable(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range settings {
		for _, name := range []string{"key " + s.Key, "env " + s.Env, "flag " + s.Flag} {
			if seen[name] {
				t.Errorf("duplicate %s", name)
			}
			seen[name] = true
		}
		if s.Env != "IPAMD_"+strings.ToUpper(strings.ReplaceAll(s.Key, ".", "_")) {
			t.Errorf("%s: env %s", s.Key, s.Env)
		}
		if s.Help == "" || s.Allowed == "" {
			t.Errorf("%s: missing help or allowed", s.Key)
		}
		for _, f := range []any{s.setDefault, s.parse, s.decode, s.format, s.yamlValue, s.validate} {
			if reflect.ValueOf(f).IsNil() {
				t.Errorf("%s: unbound func", s.Key)
			}
		}
	}
	// Every Config field is covered by exactly one setting: setting each
	// setting from its formatted value of a changed config must reproduce it.
	if n := countLeaves(reflect.TypeOf(Config{})); n != len(settings) {
		t.Errorf("Config has %d settable fields, table has %d settings", n, len(settings))
	}
}

func countLeaves(t reflect.Type) int {
	n := 0
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		if f.Type.Kind() == reflect.Struct {
			n += countLeaves(f.Type)
		} else {
			n++
		}
	}
	return n
}

func TestFlagNames(t *testing.T) {
	want := []string{
		"listen", "endpoints-provision-path", "endpoints-schema-conversion-path", "endpoints-enumerator-path", "state-dir",
		"log-level", "log-format",
		"admin-listen", "admin-pprof", "admin-allow-remote", "admin-allowed-hosts", "admin-token-file",
		"admin-max-connections", "admin-max-connections-per-address", "shutdown-drain-timeout",
		"limits-max-message-size", "limits-preamble-timeout", "limits-idle-timeout", "limits-close-timeout",
		"limits-max-connections",
		"limits-max-connections-per-address", "limits-max-http-connections", "limits-uninitialized-timeout",
		"limits-max-session-table-bytes",
		"limits-reader-max-depth", "limits-reader-max-string-content-length", "limits-reader-max-array-length",
		"limits-reader-max-bytes-per-read", "limits-reader-max-attributes", "limits-reader-max-expansion",
		"limits-reader-max-header-size", "limits-max-echo-bytes", "limits-http-request-timeout",
		"session-inactivity-interval", "session-keepalive-grace-count", "session-checkpoint-interval",
		"callbacks-action-style", "callbacks-allowed-networks", "callbacks-max-attempts",
		"callbacks-attempt-timeout", "callbacks-initial-backoff", "callbacks-max-backoff", "http-allowed-hosts",
		"store-allowed-directories", "store-allowed-hosts", "store-remember-password", "store-lease-duration",
		"store-sqlite-busy-timeout", "store-postgres-sslmode", "store-postgres-environment-credentials", "store-postgres-sslrootcert",
		"store-postgres-connect-timeout", "store-postgres-max-connections",
		"security-mode", "security-insecure", "security-handshake-timeout", "security-tls-certificate-file",
		"security-tls-key-file", "security-tls-client-auth", "security-tls-client-ca-file",
		"security-negotiate-keytab-file", "security-negotiate-ntlm-accounts-file", "security-negotiate-computer-name", "security-negotiate-kerberos-trusted-realms", "security-administrators", "security-ipam-users", "security-refuse-unauthenticated",
		"security-local-identity", "security-local-administrators",
		"dev-work-duration", "dev-fail-with", "dev-require-conversion", "dev-panic-in-work", "dev-provisioned",
	}
	var got []string
	for _, s := range settings {
		got = append(got, s.Flag)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("flags = %q\nwant %q", got, want)
	}
}

func TestBadValues(t *testing.T) {
	tests := []struct {
		env  string // IPAMD_… name
		val  string
		want string // substring of the error
	}{
		{"IPAMD_LIMITS_MAX_MESSAGE_SIZE", "10", "config: limits.max_message_size = 10 (from env IPAMD_LIMITS_MAX_MESSAGE_SIZE): must be between 1024 and 67108864"},
		{"IPAMD_LIMITS_MAX_MESSAGE_SIZE", "67108865", "must be between 1024 and 67108864"},
		{"IPAMD_LIMITS_MAX_MESSAGE_SIZE", "64k", "limits.max_message_size = \"64k\" (from env IPAMD_LIMITS_MAX_MESSAGE_SIZE): expected an integer"},
		{"IPAMD_LIMITS_PREAMBLE_TIMEOUT", "500ms", "limits.preamble_timeout = 500ms (from env IPAMD_LIMITS_PREAMBLE_TIMEOUT): must be between 1s and 10m"},
		{"IPAMD_LIMITS_PREAMBLE_TIMEOUT", "30", "limits.preamble_timeout = \"30\""},
		{"IPAMD_LIMITS_IDLE_TIMEOUT", "25h", "limits.idle_timeout = 25h (from env IPAMD_LIMITS_IDLE_TIMEOUT): must be between 1s and 24h"},
		{"IPAMD_LIMITS_CLOSE_TIMEOUT", "50ms", "limits.close_timeout = 50ms (from env IPAMD_LIMITS_CLOSE_TIMEOUT): must be between 100ms and 5m"},
		{"IPAMD_LIMITS_MAX_CONNECTIONS", "0", "limits.max_connections = 0 (from env IPAMD_LIMITS_MAX_CONNECTIONS): must be between 1 and 1000000"},
		{"IPAMD_LIMITS_MAX_SESSION_TABLE_BYTES", "-1", "limits.max_session_table_bytes = -1 (from env IPAMD_LIMITS_MAX_SESSION_TABLE_BYTES): must be between 0 and 1048576"},
		{"IPAMD_SESSION_INACTIVITY_INTERVAL", "11m", "session.inactivity_interval = 11m (from env IPAMD_SESSION_INACTIVITY_INTERVAL): must be between 1s and 10m"},
		{"IPAMD_SESSION_KEEPALIVE_GRACE_COUNT", "1001", "session.keepalive_grace_count = 1001 (from env IPAMD_SESSION_KEEPALIVE_GRACE_COUNT): must be between 0 and 1000"},
		{"IPAMD_SESSION_CHECKPOINT_INTERVAL", "1ms", "session.checkpoint_interval = 1ms (from env IPAMD_SESSION_CHECKPOINT_INTERVAL): must be between 10ms and 10m"},
		{"IPAMD_DEV_WORK_DURATION", "-1s", "dev.work_duration = -1s (from env IPAMD_DEV_WORK_DURATION): must be between 0s and 1h"},
		{"IPAMD_DEV_FAIL_WITH", "not an id", `dev.fail_with = "not an id" (from env IPAMD_DEV_FAIL_WITH): must be "" or an IpamExceptionId name`},
		{"IPAMD_STORE_ALLOWED_HOSTS", "db1:99999", `store.allowed_hosts[0] = "db1:99999" (from env IPAMD_STORE_ALLOWED_HOSTS): port must be 1..65535`},
		{"IPAMD_STORE_ALLOWED_HOSTS", "db1,user@db2", `store.allowed_hosts[1] = "user@db2" (from env IPAMD_STORE_ALLOWED_HOSTS): must be host, host:port or [v6]:port`},
		{"IPAMD_STORE_ALLOWED_DIRECTORIES", "relative/dir", `store.allowed_directories[0] = "relative/dir" (from env IPAMD_STORE_ALLOWED_DIRECTORIES): must be an absolute path`},
		{"IPAMD_STORE_POSTGRES_SSLMODE", "always", `store.postgres.sslmode = "always" (from env IPAMD_STORE_POSTGRES_SSLMODE): must be one of auto, disable, allow, prefer, require, verify-ca, verify-full`},
		{"IPAMD_DEV_PROVISIONED", "maybe", `dev.provisioned = "maybe" (from env IPAMD_DEV_PROVISIONED): expected true or false`},
		{"IPAMD_LOG_LEVEL", "trace", `log.level = "trace" (from env IPAMD_LOG_LEVEL): must be one of debug, info, warn, error`},
		{"IPAMD_LOG_FORMAT", "text", `log.format = "text" (from env IPAMD_LOG_FORMAT): must be one of json, console`},
		{"IPAMD_CALLBACKS_ACTION_STYLE", "both", `callbacks.action_style = "both" (from env IPAMD_CALLBACKS_ACTION_STYLE): must be one of service, callback`},
		{"IPAMD_ENDPOINTS_PROVISION_PATH", "ipam/x", `endpoints.provision_path = "ipam/x" (from env IPAMD_ENDPOINTS_PROVISION_PATH): must be an absolute path`},
		{"IPAMD_ENDPOINTS_SCHEMA_CONVERSION_PATH", "/ipam/IIpamAsyncProvision", "endpoints.schema_conversion_path = \"/ipam/IIpamAsyncProvision\" (from env IPAMD_ENDPOINTS_SCHEMA_CONVERSION_PATH): must differ from endpoints.provision_path"},
		{"IPAMD_LISTEN", "net.tcp://0.0.0.0:8080,http://0.0.0.0:8080", `listen[1] = "http://0.0.0.0:8080" (from env IPAMD_LISTEN): same address as listen[0]`},
		{"IPAMD_LISTEN", "net.tcp://0.0.0.0:8080", `listen[0] = "net.tcp://0.0.0.0:8080" (from env IPAMD_LISTEN): a listener without transport security must bind a loopback address`},
		{"IPAMD_LISTEN", "net.tcp://ipam.example:8080?security=none", `listen[0] = "net.tcp://ipam.example:8080?security=none" (from env IPAMD_LISTEN): a listener without transport security must bind a loopback address`},
		{"IPAMD_LISTEN", "http://[::]:8080", `listen[0] = "http://[::]:8080" (from env IPAMD_LISTEN): a listener without transport security must bind a loopback address`},
		{"IPAMD_LISTEN", "net.tcp://127.0.0.1:1?security=tls", `security.tls.certificate_file = "": required: a listener uses tls`},
		{"IPAMD_SECURITY_MODE", "tls", `security.tls.key_file = "": required: a listener uses tls`},
		{"IPAMD_SECURITY_ADMINISTRATORS", "S-1-5-32-544,S-1-x", `security.administrators[1] = "S-1-x" (from env IPAMD_SECURITY_ADMINISTRATORS): not a valid SID`},
		{"IPAMD_SECURITY_MODE", "kerberos", `security.mode = "kerberos" (from env IPAMD_SECURITY_MODE): must be one of none, tls, negotiate`},
		{"IPAMD_SECURITY_MODE", "negotiate", `security.negotiate.keytab_file = "": a listener uses negotiate: set security.negotiate.keytab_file`},
		{"IPAMD_SECURITY_NEGOTIATE_COMPUTER_NAME", "ipam.example", `security.negotiate.computer_name = "ipam.example" (from env IPAMD_SECURITY_NEGOTIATE_COMPUTER_NAME): must be at most 15 characters`},
		{"IPAMD_SECURITY_NEGOTIATE_KERBEROS_TRUSTED_REALMS", "OTHER.TEST,admin@OTHER.TEST", `security.negotiate.kerberos_trusted_realms[1] = "admin@OTHER.TEST" (from env IPAMD_SECURITY_NEGOTIATE_KERBEROS_TRUSTED_REALMS): must be a realm name`},
		{"IPAMD_SECURITY_TLS_CLIENT_AUTH", "require", `security.tls.client_ca_file = "": required when security.tls.client_auth is require`},
		{"IPAMD_SECURITY_HANDSHAKE_TIMEOUT", "1h", `security.handshake_timeout = 1h (from env IPAMD_SECURITY_HANDSHAKE_TIMEOUT): must be between 100ms and 5m`},
		{"IPAMD_CALLBACKS_ALLOWED_NETWORKS", "10.0.0.0/8,10.1.2.3", `callbacks.allowed_networks[1] = "10.1.2.3" (from env IPAMD_CALLBACKS_ALLOWED_NETWORKS): must be a CIDR prefix`},
		{"IPAMD_CALLBACKS_ALLOWED_NETWORKS", " ", `callbacks.allowed_networks = [] (from env IPAMD_CALLBACKS_ALLOWED_NETWORKS): at least one network is required`},
		{"IPAMD_CALLBACKS_MAX_ATTEMPTS", "0", `callbacks.max_attempts = 0 (from env IPAMD_CALLBACKS_MAX_ATTEMPTS): must be between 1 and 100`},
		{"IPAMD_LISTEN", "net.tcp://0.0.0.0:70000", "port must be between 1 and 65535"},
		{"IPAMD_LISTEN", "net.tcp://0.0.0.0", "missing port"},
		{"IPAMD_LISTEN", "net.tcp://:48885", "missing host"},
		{"IPAMD_LISTEN", "net.tcp://h:1/ipam", "must not have a path"},
		{"IPAMD_LISTEN", "soap.udp://h:1", "unsupported scheme"},
		{"IPAMD_LISTEN", "net.tcp://h:1,net.tcp://h:1", `listen[1] = "net.tcp://h:1" (from env IPAMD_LISTEN): same address as listen[0]`},
		{"IPAMD_LISTEN", " , ", "listen = [] (from env IPAMD_LISTEN): at least one endpoint is required"},
		{"IPAMD_ADMIN_LISTEN", "9485", `admin.listen = "9485" (from env IPAMD_ADMIN_LISTEN): must be HOST:PORT`},
		{"IPAMD_ADMIN_LISTEN", "127.0.0.1:http", "port must be between 1 and 65535"},
		{"IPAMD_ADMIN_LISTEN", "bad host!:9485", `invalid host "bad host!"`},
		{"IPAMD_ADMIN_LISTEN", "127.0.0.1:48885", `admin.listen = "127.0.0.1:48885" (from env IPAMD_ADMIN_LISTEN): overlaps listen[0] net.tcp://127.0.0.1:48885`},
		{"IPAMD_ADMIN_PPROF", "on", `admin.pprof = "on" (from env IPAMD_ADMIN_PPROF): expected true or false`},
		{"IPAMD_SHUTDOWN_DRAIN_TIMEOUT", "2h", "shutdown.drain_timeout = 2h (from env IPAMD_SHUTDOWN_DRAIN_TIMEOUT): must be between 0s and 1h"},
	}
	for _, tt := range tests {
		t.Run(tt.env+"="+tt.val, func(t *testing.T) {
			_, err := Load(LoadOptions{Environ: env(t, tt.env+"="+tt.val)})
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q\ndoes not contain %q", err, tt.want)
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is not a *config.Error", err)
			}
		})
	}
}

// TestListenerSecurity: which listeners the safe defaults let through.
func TestListenerSecurity(t *testing.T) {
	tests := []struct {
		env  []string
		want []string // effective security per listener; nil = invalid
	}{
		{[]string{"IPAMD_LISTEN=net.tcp://127.0.0.1:1,net.tcp://[::1]:2,net.tcp://localhost:3,http://127.0.0.2:4"}, []string{"none", "none", "none", "none"}},
		{[]string{"IPAMD_LISTEN=net.tcp://0.0.0.0:1", "IPAMD_SECURITY_INSECURE=true"}, []string{"none"}},
		{[]string{"IPAMD_LISTEN=net.tcp://0.0.0.0:1", "IPAMD_SECURITY_MODE=tls", "IPAMD_SECURITY_TLS_CERTIFICATE_FILE=c", "IPAMD_SECURITY_TLS_KEY_FILE=k"}, []string{"tls"}},
		{[]string{"IPAMD_LISTEN=net.tcp://0.0.0.0:1?security=tls,net.tcp://127.0.0.1:2", "IPAMD_SECURITY_TLS_CERTIFICATE_FILE=c", "IPAMD_SECURITY_TLS_KEY_FILE=k"}, []string{"tls", "none"}},
		{[]string{"IPAMD_LISTEN=net.tcp://0.0.0.0:1?security=none", "IPAMD_SECURITY_MODE=tls", "IPAMD_SECURITY_TLS_CERTIFICATE_FILE=c", "IPAMD_SECURITY_TLS_KEY_FILE=k"}, nil},
		{[]string{"IPAMD_LISTEN=http://0.0.0.0:1", "IPAMD_SECURITY_MODE=tls", "IPAMD_SECURITY_TLS_CERTIFICATE_FILE=c", "IPAMD_SECURITY_TLS_KEY_FILE=k"}, nil},
		{[]string{"IPAMD_LISTEN=net.tcp://127.1.2.3.example:1"}, nil},
		{[]string{"IPAMD_LISTEN=net.tcp://0.0.0.0:1?security=negotiate,net.tcp://[::1]:2", "IPAMD_SECURITY_NEGOTIATE_NTLM_ACCOUNTS_FILE=a"}, []string{"negotiate", "none"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.env, " "), func(t *testing.T) {
			c, err := Load(LoadOptions{Environ: env(t, tt.env...)})
			if tt.want == nil {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			uris, err := c.ListenURIs()
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, u := range uris {
				got = append(got, c.ListenerSecurity(u))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("security = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestValidateWithoutLoad(t *testing.T) {
	c := Default()
	c.StateDir = t.TempDir()
	c.Limits.MaxMessageSize = 10
	err := c.Validate()
	if err == nil || err.Error() != "config: limits.max_message_size = 10: must be between 1024 and 67108864" {
		t.Fatalf("Validate() = %v", err)
	}
}

func TestAllErrorsCollected(t *testing.T) {
	_, err := Load(LoadOptions{Environ: env(t,
		"IPAMD_LIMITS_MAX_MESSAGE_SIZE=1", "IPAMD_LOG_LEVEL=loud", "IPAMD_SESSION_KEEPALIVE_GRACE_COUNT=x")})
	if err == nil {
		t.Fatal("no error")
	}
	for _, key := range []string{"limits.max_message_size", "log.level", "session.keepalive_grace_count"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("error does not name %s:\n%v", key, err)
		}
	}
}

func TestPrecedence(t *testing.T) {
	file := writeFile(t, "limits:\n  max_message_size: 2000\nlog:\n  level: warn\n  format: console\n")
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	flags := BindFlags(fs)
	if err := fs.Parse([]string{"--limits-max-message-size", "4000"}); err != nil {
		t.Fatal(err)
	}
	c, err := Load(LoadOptions{
		File:    file,
		Environ: env(t, "IPAMD_LIMITS_MAX_MESSAGE_SIZE=3000", "IPAMD_LOG_LEVEL=debug"),
		Flags:   flags,
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Limits.MaxMessageSize != 4000 || c.Log.Level != "debug" || c.Log.Format != "console" || c.Limits.MaxConnections != 10000 {
		t.Fatalf("got size %d level %s format %s conns %d", c.Limits.MaxMessageSize, c.Log.Level, c.Log.Format, c.Limits.MaxConnections)
	}
	for key, want := range map[string]string{
		"limits.max_message_size": "flag --limits-max-message-size",
		"log.level":               "env IPAMD_LOG_LEVEL",
		"log.format":              "file " + file + ":5",
		"limits.max_connections":  "default",
	} {
		if got := c.Origin(key); got != want {
			t.Errorf("Origin(%s) = %q, want %q", key, got, want)
		}
	}
	// Without the flag the env wins; without env too, the file.
	c, err = Load(LoadOptions{File: file, Environ: env(t, "IPAMD_LIMITS_MAX_MESSAGE_SIZE=3000")})
	if err != nil || c.Limits.MaxMessageSize != 3000 {
		t.Fatalf("env over file: %v %v", c, err)
	}
	c, err = Load(LoadOptions{File: file, Environ: env(t, "IPAMD_LIMITS_MAX_MESSAGE_SIZE=")})
	if err != nil || c.Limits.MaxMessageSize != 2000 {
		t.Fatalf("file (empty env ignored): %v %v", c, err)
	}
}

func TestListFromFileEnvAndFlags(t *testing.T) {
	c, err := Load(LoadOptions{Environ: env(t, "IPAMD_LISTEN=net.tcp://127.0.0.1:1, net.tcp://[::1]:2,")})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"net.tcp://127.0.0.1:1", "net.tcp://[::1]:2"}; !reflect.DeepEqual(c.Listen, want) {
		t.Fatalf("env list = %q, want %q", c.Listen, want)
	}

	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	flags := BindFlags(fs)
	if err := fs.Parse([]string{"--listen", "net.tcp://a:1", "--listen=net.tcp://b:2,net.tcp://c:3", "--dev-provisioned"}); err != nil {
		t.Fatal(err)
	}
	c, err = Load(LoadOptions{Environ: env(t, "IPAMD_LISTEN=net.tcp://e:9", "IPAMD_SECURITY_INSECURE=true"), Flags: flags})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"net.tcp://a:1", "net.tcp://b:2", "net.tcp://c:3"}; !reflect.DeepEqual(c.Listen, want) {
		t.Fatalf("flag list = %q, want %q", c.Listen, want)
	}
	if !c.Dev.Provisioned {
		t.Fatal("--dev-provisioned without value not applied")
	}
	if got := flags.Changed(); !reflect.DeepEqual(got, []string{"listen", "dev.provisioned"}) {
		t.Fatalf("Changed() = %q", got)
	}

	file := writeFile(t, "listen: net.tcp://f:1\nsecurity:\n  insecure: true\n")
	c, err = Load(LoadOptions{File: file, Environ: env(t)})
	if err != nil || !reflect.DeepEqual(c.Listen, []string{"net.tcp://f:1"}) {
		t.Fatalf("scalar list in file: %v %v", c, err)
	}
}

func TestFlagSyntaxErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--limits-idle-timeout", "soon"},
		{"--limits-max-connections", "many"},
		{"--dev-provisioned=perhaps"},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(&strings.Builder{})
		BindFlags(fs)
		if err := fs.Parse(args); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}

func TestYAMLErrors(t *testing.T) {
	tests := []struct{ yaml, want string }{
		{"limits:\n  max_msg_size: 1\n", `config: limits.max_msg_size (from file FILE:2): unknown key (did you mean "limits.max_message_size"?)`},
		{"listen_on: [x]\n", `config: listen_on (from file FILE:1): unknown key`},
		{"logging:\n  level: debug\n", `config: logging (from file FILE:1): unknown key`},
		{"limits:\n  max_message_size: big\n", `config: limits.max_message_size (from file FILE:2): expected an integer`},
		{"limits:\n  idle_timeout: 5\n", `config: limits.idle_timeout (from file FILE:2): expected a Go duration`},
		{"limits: 5\n", `config: limits (from file FILE:1): expected a mapping of keys`},
		{"dev:\n  provisioned: yes please\n", `config: dev.provisioned (from file FILE:2): expected true or false`},
		{"dev:\n  fail_with:\n", `config: dev.fail_with (from file FILE:2): no value`},
		{"log:\n  level: debug\n  level: info\n", `config: log.level (from file FILE:3): duplicate key`},
		{"listen: {a: b}\n", `config: listen (from file FILE:1): expected a list of strings`},
		{"limits:\n  max_message_size: 10\n", `config: limits.max_message_size = 10 (from file FILE:2): must be between 1024 and 67108864`},
		{"a: 1\n---\nb: 2\n", `expected a single YAML document`},
		{"[1, 2]\n", `expected a mapping of keys`},
	}
	for _, tt := range tests {
		file := writeFile(t, tt.yaml)
		_, err := Load(LoadOptions{File: file, Environ: env(t)})
		want := strings.ReplaceAll(tt.want, "FILE", file)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("yaml %q: error %v\nwant it to contain %q", tt.yaml, err, want)
		}
	}
	if _, err := Load(LoadOptions{File: filepath.Join(t.TempDir(), "missing.yaml"), Environ: env(t)}); err == nil {
		t.Error("missing file: no error")
	}
	// Empty file and empty groups are fine.
	for _, y := range []string{"", "# nothing\n", "limits:\n", "dev: {}\n"} {
		if _, err := Load(LoadOptions{File: writeFile(t, y), Environ: env(t)}); err != nil {
			t.Errorf("yaml %q: %v", y, err)
		}
	}
}

func TestYAMLRoundTrip(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	flags := BindFlags(fs)
	args := []string{"--listen", "net.tcp://127.0.0.1:1", "--listen", "net.tcp://[::1]:2",
		"--dev-fail-with", "IpamApiUnabletoProvisionIpam", "--dev-work-duration", "1h",
		"--limits-close-timeout", "1m30s", "--dev-require-conversion", "--log-format", "console"}
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	want, err := Load(LoadOptions{Environ: env(t), Flags: flags})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Load(LoadOptions{File: writeFile(t, string(want.YAML())), Environ: []string{}})
	if err != nil {
		t.Fatalf("reloading:\n%s\n%v", want.YAML(), err)
	}
	got.origin, want.origin = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip:\n%+v\nwant\n%+v", got, want)
	}
}

func TestExampleFileIsDefaults(t *testing.T) {
	got, err := Load(LoadOptions{File: "../deploy/ipamd.example.yaml", Environ: env(t)})
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	got.StateDir, got.origin = want.StateDir, nil
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("example = %+v\nwant %+v", got, want)
	}
}

func TestGeneratedFilesUpToDate(t *testing.T) {
	for path, want := range map[string][]byte{
		"../docs/configuration.md":     RenderMarkdown(),
		"../deploy/ipamd.example.yaml": RenderExampleYAML(),
	} {
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s is stale: run go generate ./config", path)
		}
	}
}

func TestParseListenURI(t *testing.T) {
	tests := []struct {
		in   string
		want ListenURI
		err  string
	}{
		{"net.tcp://0.0.0.0:48885", ListenURI{"net.tcp", "0.0.0.0", 48885, ""}, ""},
		{"NET.TCP://host.example:1/", ListenURI{"net.tcp", "host.example", 1, ""}, ""},
		{"net.tcp://[::]:65535", ListenURI{"net.tcp", "::", 65535, ""}, ""},
		{"net.tcp://127.0.0.1:0", ListenURI{"net.tcp", "127.0.0.1", 0, ""}, ""},
		{"http://0.0.0.0:8080", ListenURI{"http", "0.0.0.0", 8080, ""}, ""},
		{"0.0.0.0:48885", ListenURI{}, "scheme"},
		{"net.tcp:0.0.0.0:48885", ListenURI{}, "net.tcp://HOST:PORT"},
		{"net.tcp://u@h:1", ListenURI{}, "user info"},
		{"net.tcp://h:1?security=tls", ListenURI{"net.tcp", "h", 1, "tls"}, ""},
		{"net.tcp://h:1/?security=none", ListenURI{"net.tcp", "h", 1, "none"}, ""},
		{"http://h:1?security=none", ListenURI{"http", "h", 1, "none"}, ""},
		{"http://h:1?security=tls", ListenURI{}, "net.tcp listeners only"},
		{"net.tcp://h:1?x", ListenURI{}, "unknown query parameter"},
		{"net.tcp://h:1?", ListenURI{}, "empty query"},
		{"net.tcp://h:1?security=kerberos", ListenURI{}, "must be none, tls or negotiate"},
		{"net.tcp://h:1?security=tls&security=none", ListenURI{}, "more than once"},
		{"net.tcp://h:1?security=%zz", ListenURI{}, "invalid query"},
		{"net.tcp://h:1#x", ListenURI{}, "fragment"},
		{"net.tcp://h:-1", ListenURI{}, ""},
		{"net.tcp://h:65536", ListenURI{}, "port must be"},
		{"net.tcp://h:x", ListenURI{}, ""},
		{"net.tcp://h", ListenURI{}, "missing port"},
		{"https://h:1", ListenURI{}, "unsupported scheme"},
	}
	for _, tt := range tests {
		got, err := ParseListenURI(tt.in)
		if tt.want.Transport != "" {
			if err != nil || got != tt.want {
				t.Errorf("%q: got %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%q: error %v, want one containing %q", tt.in, err, tt.err)
		}
	}
	l, _ := ParseListenURI("net.tcp://[::1]:48885")
	if got := l.Endpoint("", "/ipam/IIpamAsyncProvision"); got != "net.tcp://[::1]:48885/ipam/IIpamAsyncProvision" {
		t.Errorf("Endpoint = %s", got)
	}
}

func TestStateDir(t *testing.T) {
	base := t.TempDir()
	file := filepath.Join(base, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := checkStateDir(filepath.Join(base, "a", "b")); err != nil {
		t.Errorf("creatable dir rejected: %v", err)
	}
	if err := checkStateDir(file); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("file accepted: %v", err)
	}
	if err := checkStateDir(filepath.Join(file, "sub")); err == nil || !strings.Contains(err.Error(), "cannot be created") {
		t.Errorf("dir under a file accepted: %v", err)
	}
	if _, err := Load(LoadOptions{Environ: []string{"IPAMD_STATE_DIR=" + file}}); err == nil || !strings.Contains(err.Error(), "config: state_dir = ") {
		t.Errorf("Load with file as state dir: %v", err)
	}

	c := Default()
	c.StateDir = filepath.Join(base, "x", "y")
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(c.StateDir); !os.IsNotExist(err) {
		t.Fatal("Validate created the state dir")
	}
	if err := c.EnsureStateDir(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(c.StateDir)
	if err != nil || !fi.IsDir() {
		t.Fatalf("state dir not created: %v", err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o700 {
		t.Errorf("state dir mode %v, want 0700", fi.Mode().Perm())
	}
}

func TestDefaultStateDir(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("Linux rules")
	}
	get := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	if got := defaultStateDir(get(map[string]string{"STATE_DIRECTORY": "/var/lib/ipamd:/var/lib/other"})); got != "/var/lib/ipamd" {
		t.Errorf("systemd: %s", got)
	}
	root := os.Geteuid() == 0
	got := defaultStateDir(get(map[string]string{"XDG_STATE_HOME": "/x/state", "HOME": "/home/u"}))
	if want := map[bool]string{true: "/var/lib/ipamd", false: "/x/state/ipamd"}[root]; got != want {
		t.Errorf("xdg: %s, want %s", got, want)
	}
	got = defaultStateDir(get(map[string]string{"HOME": "/home/u"}))
	if want := map[bool]string{true: "/var/lib/ipamd", false: "/home/u/.local/state/ipamd"}[root]; got != want {
		t.Errorf("home: %s, want %s", got, want)
	}
}

func TestUnknownEnv(t *testing.T) {
	got := UnknownEnv([]string{"IPAMD_LOG_LEVEL=debug", "IPAMD_LOG_LEVL=debug", "HOME=/", "IPAMD_BIN=x"})
	if !reflect.DeepEqual(got, []string{"IPAMD_LOG_LEVL", "IPAMD_BIN"}) {
		t.Fatalf("UnknownEnv = %q", got)
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 100 * time.Millisecond: "100ms", 10 * time.Minute: "10m", time.Hour: "1h",
		24 * time.Hour: "24h", 90 * time.Second: "1m30s", time.Hour + time.Second: "1h0m1s",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %s, want %s", d, got, want)
		}
	}
}
