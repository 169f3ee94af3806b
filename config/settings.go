package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// settings is THE table: every setting's key, env var, flag, help, default
// and constraint. Env var and flag names are derived from the key
// (IPAMD_ + upper snake; dots and underscores → dashes). Order here is the
// order of the docs, the example file and `ipamd config print`.
var settings = []*Setting{
	listSetting("listen",
		"Endpoints to listen on, one URI per listener (flag: repeat it or separate with commas; env: comma-separated). net.tcp:// serves WCF NetTcpBinding clients; http:// serves SOAP 1.2/1.1 over HTTP with WS-Addressing callbacks to the client's a:ReplyTo (and the WSDL at <endpoint path>?wsdl). A net.tcp URI may carry ?security=none|tls|negotiate to override security.mode for that listener. A listener without security (http://, or net.tcp with security none) must bind a loopback address unless security.insecure is set.",
		"net.tcp://HOST:PORT[?security=none|tls|negotiate] or http://HOST:PORT, port 1..65535 (0 = OS-chosen, for tests)",
		[]string{"net.tcp://127.0.0.1:48885"},
		func(c *Config) *[]string { return &c.Listen }, checkListenURI, checkListenList),
	stringSetting("endpoints.provision_path",
		"URI path of the IIpamAsyncProvision endpoint on every listener.",
		"absolute path, distinct from schema_conversion_path",
		"/ipam/IIpamAsyncProvision",
		func(c *Config) *string { return &c.Endpoints.ProvisionPath }, checkEndpointPath),
	stringSetting("endpoints.schema_conversion_path",
		"URI path of the IIpamAsyncSchemaConversion endpoint on every listener.",
		"absolute path, distinct from provision_path",
		"/ipam/IIpamAsyncSchemaConversion",
		func(c *Config) *string { return &c.Endpoints.SchemaConversionPath }, checkEndpointPath),
	stringSetting("endpoints.enumerator_path",
		"URI path of the IIpamEnumerator endpoint on every listener: management clients read the IPAM data back through it.",
		"absolute path, distinct from provision_path and schema_conversion_path",
		"/ipam/IIpamEnumerator",
		func(c *Config) *string { return &c.Endpoints.EnumeratorPath }, checkEndpointPath),
	func() *Setting {
		s := stringSetting("state_dir",
			"Directory for persistent state; created (mode 0700) at start-up if missing.",
			"a directory path that exists or can be created",
			"",
			func(c *Config) *string { return &c.StateDir }, checkStateDir)
		s.DocDefault = stateDirDoc
		return s
	}(),
	enumSetting("log.level", "Minimum log level.", LogLevelInfo,
		[]string{LogLevelDebug, LogLevelInfo, LogLevelWarn, LogLevelError},
		func(c *Config) *string { return &c.Log.Level }),
	enumSetting("log.format", "Log encoding: json (one object per line) or console (human-readable).", LogFormatJSON,
		[]string{LogFormatJSON, LogFormatConsole},
		func(c *Config) *string { return &c.Log.Format }),
	// ---- operations: admin listener and shutdown (config/operate.go) ----
	stringSetting("admin.listen",
		"Address of the admin HTTP listener (/metrics, /healthz, /readyz, /log/level, and /debug/pprof when admin.pprof is set), separate from the SOAP listeners. Loopback only unless admin.allow_remote: it has no authentication beyond the admin.token_file that raising the log level above warn needs. Empty disables it.",
		`HOST:PORT (port 0 = OS-chosen, for tests) or ""`,
		"127.0.0.1:9485",
		func(c *Config) *string { return &c.Admin.Listen }, checkAdminListen),
	boolSetting("admin.pprof",
		"Serve Go's profiler under /debug/pprof/ on the admin listener (CPU and heap profiles, goroutine dumps: diagnostic data for trusted operators only).",
		false, func(c *Config) *bool { return &c.Admin.Pprof }),
	boolSetting("admin.allow_remote",
		"Allow admin.listen on a non-loopback address (a management network). Metrics, probes and the profiler are then open to that network; a warning is logged at every start.",
		false, func(c *Config) *bool { return &c.Admin.AllowRemote }),
	listSetting("admin.allowed_hosts",
		"Names, besides the listener's own address and (on loopback) localhost, that a request's Host header may carry on the admin listener; other Host values get 403, so a web page cannot reach the listener by DNS rebinding.",
		"host names or IP addresses, without a port",
		[]string{},
		func(c *Config) *[]string { return &c.Admin.AllowedHosts }, checkAllowedHost, nil),
	stringSetting("admin.token_file",
		"File holding the bearer token (its first line, at least 16 characters) that PUT /log/level needs to set a level above warn (error), which would silence warnings and the access-denied audit log. Without it the level can only be moved between debug and warn.",
		`"" or a file path`,
		"",
		func(c *Config) *string { return &c.Admin.TokenFile }, nil),
	intSetting("admin.max_connections",
		"Open connections the admin listener serves at once; more are answered 503 at accept. Why: a scraper and a few probes need a handful, and an unauthenticated listener must not be a way to exhaust the process's file descriptors.",
		32, 1, 10000,
		func(c *Config) *int { return &c.Admin.MaxConnections }),
	intSetting("admin.max_connections_per_address",
		"Open admin connections one client address (IPv4 address, IPv6 /64) may hold; more are answered 503 at accept. Why: one misbehaving client on the management network must leave room for the monitoring system.",
		8, 1, 10000,
		func(c *Config) *int { return &c.Admin.MaxConnectionsPerAddress }),
	durationSetting("shutdown.drain_timeout",
		"On SIGTERM or service stop: how long running provisioning and schema conversion may go on to finish while no new session is accepted. When it elapses the work is cancelled at its next safe point, its session gets Notify…Complete with an exception, and ipamd exits (after at most limits.close_timeout more). 0 cancels at once.",
		60*time.Second, 0, time.Hour,
		func(c *Config) *time.Duration { return &c.Shutdown.DrainTimeout }),
	// ---- end of operations block ----
	intSetting("limits.max_message_size",
		"Largest SOAP message accepted or sent, in bytes (WCF MaxReceivedMessageSize).",
		65536, 1024, 64<<20,
		func(c *Config) *int { return &c.Limits.MaxMessageSize }),
	durationSetting("limits.preamble_timeout",
		"Time a new connection has to complete the MC-NMF preamble.",
		30*time.Second, time.Second, 10*time.Minute,
		func(c *Config) *time.Duration { return &c.Limits.PreambleTimeout }),
	durationSetting("limits.idle_timeout",
		"A connection with no traffic for this long is closed.",
		10*time.Minute, time.Second, 24*time.Hour,
		func(c *Config) *time.Duration { return &c.Limits.IdleTimeout }),
	durationSetting("limits.close_timeout",
		"Time allowed for an orderly close (End record exchange) before the connection is dropped.",
		10*time.Second, 100*time.Millisecond, 5*time.Minute,
		func(c *Config) *time.Duration { return &c.Limits.CloseTimeout }),
	intSetting("limits.max_connections",
		"Maximum number of concurrent connections over all listeners.",
		10000, 1, 1000000,
		func(c *Config) *int { return &c.Limits.MaxConnections }),
	// ---- admission (docs/security.md, "Resource budgets and admission") ----
	intSetting("limits.max_connections_per_address",
		"Open connections one client address (an IPv4 address, an IPv6 /64) may hold on the net.tcp listeners, and again on the HTTP listeners, where it also caps the address's live HTTP sessions. Counted at accept, before the preamble or any authentication; above it net.tcp answers the MC-NMF ServerTooBusy fault and HTTP a 503 with a SOAP fault. Why: without it one client can hold every limits.max_connections slot, while an IPAM client needs a few connections.",
		64, 1, 1000000,
		func(c *Config) *int { return &c.Limits.MaxConnectionsPerAddress }),
	intSetting("limits.max_http_connections",
		"Open connections the HTTP listeners serve at once (net.tcp has limits.max_connections); more are answered 503 with a SOAP fault at accept. Why: each open connection holds a goroutine and buffers whether or not it sends anything, and SOAP-over-HTTP clients use a few connections each.",
		1000, 1, 1000000,
		func(c *Config) *int { return &c.Limits.MaxHTTPConnections }),
	durationSetting("limits.uninitialized_timeout",
		"How long a session may stay without a successful Initialize… (a caller that is not an administrator, or one that only sends Keepalives) before it is aborted; Keepalives do not extend it. Checked at each session.inactivity_interval tick, so it holds to within one interval. Why: such a session does nothing useful but holds a connection slot, and Keepalives would otherwise keep it forever.",
		60*time.Second, time.Second, time.Hour,
		func(c *Config) *time.Duration { return &c.Limits.UninitializedTimeout }),
	// ---- end of admission block ----
	intSetting("limits.max_session_table_bytes",
		"Maximum total size of the MC-NBFSE dynamic string table per session, in bytes (MB31 length + UTF-8 per string; WCF's MaxSessionSize, same default). One entry is the largest string a 2-byte dictionary reference can stand for; limits.reader.max_expansion bounds how often it may be repeated.",
		2048, 0, 1<<20,
		func(c *Config) *int { return &c.Limits.MaxSessionTableBytes }),
	// ---- reader quotas (docs/security.md, "Resource budgets") ----
	intSetting("limits.reader.max_depth",
		"Deepest element nesting a SOAP message may have (WCF XmlDictionaryReaderQuotas.MaxDepth, same default). MS-IPAMM2 messages nest less than 10 deep; the bound keeps every recursive reader and the namespace scope small.",
		32, 8, 1024,
		func(c *Config) *int { return &c.Limits.Reader.MaxDepth }),
	intSetting("limits.reader.max_string_content_length",
		"Longest name, attribute value or element text content, in decoded bytes (WCF MaxStringContentLength, same default). Counted over all text records of an element together, so that many small records (or dictionary references) cannot build one huge string.",
		8192, 256, 16<<20,
		func(c *Config) *int { return &c.Limits.Reader.MaxStringContentLength }),
	intSetting("limits.reader.max_array_length",
		"Most items of one MC-NBFX Array record (WCF MaxArrayLength, same default). MS-IPAMM2 messages use no arrays; the bound caps the elements one record can produce.",
		16384, 1, 16<<20,
		func(c *Config) *int { return &c.Limits.Reader.MaxArrayLength }),
	intSetting("limits.reader.max_bytes_per_read",
		"Largest start tag, in decoded bytes of its names, namespaces and attribute values (WCF MaxBytesPerRead, same default): attribute values that reference a large session dictionary string cannot multiply within one element.",
		4096, 256, 16<<20,
		func(c *Config) *int { return &c.Limits.Reader.MaxBytesPerRead }),
	intSetting("limits.reader.max_attributes",
		"Most attributes (namespace declarations included) on one element. WCF has no such quota; the bound keeps the per-element duplicate check cheap.",
		256, 8, 65536,
		func(c *Config) *int { return &c.Limits.Reader.MaxAttributes }),
	intSetting("limits.reader.max_expansion",
		"A binary message may decode to at most this many times its size in names, namespace declarations, attribute values and text (small messages count as 1 KiB). A 2-byte MC-NBFSE dictionary reference can stand for a 2 KiB string; without this bound one 64 KiB message decodes to 64 MiB. Real MS-IPAMM2 messages decode to less than 2×.",
		4, 2, 64,
		func(c *Config) *int { return &c.Limits.Reader.MaxExpansion }),
	intSetting("limits.reader.max_header_size",
		"Longest WS-Addressing header value (a:Action, a:To, a:MessageID, a:RelatesTo, an a:Address), in bytes. Real values are URIs of well under 200 bytes; a:MessageID comes back as a:RelatesTo of the reply, so its size is the reply's too.",
		4096, 256, 64<<10,
		func(c *Config) *int { return &c.Limits.Reader.MaxHeaderSize }),
	intSetting("limits.max_echo_bytes",
		"Longest piece of client input (an unknown a:Action, a refused value) that ipamd repeats in a log field, a fault reason, a fault detail or an IpamException message; longer input is cut at a character boundary and marked […truncated]. Keeps answers and log lines small whatever the client sent.",
		256, 32, 4096,
		func(c *Config) *int { return &c.Limits.MaxEchoBytes }),
	// ---- end of reader quotas ----
	durationSetting("limits.http_request_timeout",
		"HTTP endpoint: how long a request may wait for its session to answer it.",
		60*time.Second, time.Second, 10*time.Minute,
		func(c *Config) *time.Duration { return &c.Limits.HTTPRequestTimeout }),
	durationSetting("session.inactivity_interval",
		"MS-IPAMM2 InactivityTimer: a session with no request or Keepalive for this long is considered idle.",
		15*time.Second, time.Second, 10*time.Minute,
		func(c *Config) *time.Duration { return &c.Session.InactivityInterval }),
	intSetting("session.keepalive_grace_count",
		"Number of missed inactivity intervals tolerated before the session is torn down.",
		3, 0, 1000,
		func(c *Config) *int { return &c.Session.KeepaliveGraceCount }),
	durationSetting("session.checkpoint_interval",
		"How often Notify…Checkpoint is sent while provisioning or schema conversion runs. The first goes out after 1 s (or the interval, if shorter), so a run of seconds still shows the client it moves.",
		5*time.Second, 10*time.Millisecond, 10*time.Minute,
		func(c *Config) *time.Duration { return &c.Session.CheckpointInterval }),
	enumSetting("callbacks.action_style",
		"WS-Addressing Action of callbacks: service = http://Microsoft.Windows.Ipam/IIpamAsyncProvision/Notify… (resp. IIpamAsyncSchemaConversion), callback = …/IIpamAsyncProvisionCallback/Notify… (resp. IIpamAsyncSchemaCallback).",
		ActionStyleService, []string{ActionStyleService, ActionStyleCallback},
		func(c *Config) *string { return &c.Callbacks.ActionStyle }),
	listSetting("callbacks.allowed_networks",
		"HTTP endpoint: networks a callback URL (a:ReplyTo) may point into, checked when a session starts and on every connection the callback client opens, so the daemon cannot be made to POST anywhere else.",
		"CIDR prefixes such as 127.0.0.0/8, 10.1.0.0/16, ::1/128",
		[]string{"127.0.0.0/8", "::1/128"},
		func(c *Config) *[]string { return &c.Callbacks.AllowedNetworks }, checkCIDR,
		func(l []string) []*Error {
			if len(l) == 0 {
				return fieldErr("callbacks.allowed_networks", "[]", "at least one network is required (127.0.0.0/8 for loopback only)")
			}
			return nil
		}),
	intSetting("callbacks.max_attempts",
		"HTTP endpoint: POSTs per callback before delivery gives up and the session is aborted.",
		5, 1, 100,
		func(c *Config) *int { return &c.Callbacks.MaxAttempts }),
	durationSetting("callbacks.attempt_timeout",
		"HTTP endpoint: time limit of one callback POST.",
		10*time.Second, 100*time.Millisecond, 5*time.Minute,
		func(c *Config) *time.Duration { return &c.Callbacks.AttemptTimeout }),
	durationSetting("callbacks.initial_backoff",
		"HTTP endpoint: wait after a failed callback POST; doubled after each further failure up to callbacks.max_backoff.",
		200*time.Millisecond, time.Millisecond, time.Minute,
		func(c *Config) *time.Duration { return &c.Callbacks.InitialBackoff }),
	durationSetting("callbacks.max_backoff",
		"HTTP endpoint: longest wait between callback POSTs.",
		5*time.Second, time.Millisecond, 10*time.Minute,
		func(c *Config) *time.Duration { return &c.Callbacks.MaxBackoff }),
	listSetting("http.allowed_hosts",
		"HTTP endpoint: names, besides the address a connection reached and (on a loopback listener) localhost and loopback addresses, that a request's Host header and Origin may carry. Other Host values, and every Origin that is not this server, get 403 with IpamApiAccessDenied, so a web page cannot drive the endpoint by DNS rebinding. List the names clients use (e.g. ipam.example.com) when the listener is not on loopback.",
		"host names or IP addresses, without a port",
		[]string{},
		func(c *Config) *[]string { return &c.HTTP.AllowedHosts }, checkAllowedHost, nil),
	listSetting("store.allowed_directories",
		"Directories (and their subdirectories) a client may name as DatabasePath for DatabaseType WindowsInternalDatabase, besides the state directory, which is always allowed and holds the default store.",
		"absolute directory paths",
		[]string{},
		func(c *Config) *[]string { return &c.Store.AllowedDirectories }, checkAbsPath, nil),
	listSetting("store.allowed_hosts",
		"PostgreSQL servers a client may name for DatabaseType MSSQLServer (the external store is served by PostgreSQL), each host:port, or a bare host for port 5432 only. Empty: no external store.",
		"host:port ([v6]:port) or host (port 5432)",
		[]string{},
		func(c *Config) *[]string { return &c.Store.AllowedHosts }, checkHostEntry, nil),
	boolSetting("store.remember_password",
		"Keep the database password a client sent in the state directory (mode 0600) so a restart reconnects with it. Off: a restart connects without a password, which a server that wants one refuses unless store.postgres.environment_credentials lets ~/.pgpass or PGPASSFILE supply it.",
		false, func(c *Config) *bool { return &c.Store.RememberPassword }),
	durationSetting("store.lease_duration",
		"How long an in-progress mark outlives its owner's last renewal: a schema conversion whose ipamd died, was paused or lost its database is taken over after this (every batch is fenced by the lease, so the old owner cannot write after the takeover); a transaction whose ipamd went silent this long (at least 10 s) is aborted by PostgreSQL; a PostgreSQL server that stops answering for this long fails the provisioning or conversion running on it (docs/reliability.md).",
		30*time.Second, time.Second, time.Hour,
		func(c *Config) *time.Duration { return &c.Store.LeaseDuration }),
	durationSetting("store.sqlite_busy_timeout",
		"How long the embedded store waits for a lock held by another connection or process.",
		10*time.Second, 0, 10*time.Minute,
		func(c *Config) *time.Duration { return &c.Store.SQLiteBusyTimeout }),
	enumSetting("store.postgres.sslmode", "TLS to the PostgreSQL server, as libpq's sslmode; auto is verify-full (the server's certificate must name it and chain to store.postgres.sslrootcert, or to the system's roots) for a server that is not on loopback and prefer for one that is, so a network attacker cannot stand in for the server and collect the SQL credential.", "auto",
		[]string{"auto", "disable", "allow", "prefer", "require", "verify-ca", "verify-full"},
		func(c *Config) *string { return &c.Store.Postgres.SSLMode }),
	boolSetting("store.postgres.environment_credentials",
		"Let the PostgreSQL driver complete a client's credential from ipamd's own environment: PGPASSWORD, ~/.pgpass or PGPASSFILE, PGSERVICE, a client certificate in ~/.postgresql. Off, ipamd connects with exactly what the client sent, so no client can log on with the daemon's secrets by naming a user without a password.",
		false, func(c *Config) *bool { return &c.Store.Postgres.EnvironmentCredentials }),
	stringSetting("store.postgres.sslrootcert",
		"CA certificate file for sslmode verify-ca / verify-full (and auto for a server not on loopback); empty: the system's roots.",
		`"" or an absolute file path`,
		"",
		func(c *Config) *string { return &c.Store.Postgres.SSLRootCert }, func(s string) error {
			if s == "" {
				return nil
			}
			return checkAbsPath(s)
		}),
	durationSetting("store.postgres.connect_timeout",
		"Time allowed to reach the PostgreSQL server, and to read the store's state when a client starts a job: a server that went silent (a partition, a black hole) is reported as unreachable after this instead of holding the request.",
		10*time.Second, time.Second, 5*time.Minute,
		func(c *Config) *time.Duration { return &c.Store.Postgres.ConnectTimeout }),
	intSetting("store.postgres.max_connections",
		"Maximum open connections to the store's database.",
		8, 2, 1000,
		func(c *Config) *int { return &c.Store.Postgres.MaxConnections }),
	enumSetting("security.mode",
		"Transport security of net.tcp listeners without a ?security= query: none (WCF SecurityMode.None; loopback only unless security.insecure), tls (the application/ssl-tls upgrade, WCF SecurityMode.Transport with a certificate or no client credential) or negotiate (the application/negotiate upgrade of a default NetTcpBinding: NegotiateStream with SPNEGO, Kerberos and/or NTLMv2, EncryptAndSign). Clients that ask for another upgrade, or for none when one is required, get the MC-NMF UpgradeInvalid fault.",
		SecurityNone, []string{SecurityNone, SecurityTLS, SecurityNegotiate},
		func(c *Config) *string { return &c.Security.Mode }),
	boolSetting("security.insecure",
		"Allow listeners without transport security on non-loopback addresses. Their callers are unauthenticated: with security.local_identity os, remote callers have no account and are refused administrator operations; with trust they are administrators. A warning is logged at every start.",
		false, func(c *Config) *bool { return &c.Security.Insecure }),
	durationSetting("security.handshake_timeout",
		"Time a client has for the security handshake after its Upgrade Request (the preamble timeout applies too).",
		10*time.Second, 100*time.Millisecond, 5*time.Minute,
		func(c *Config) *time.Duration { return &c.Security.HandshakeTimeout }),
	stringSetting("security.tls.certificate_file",
		"PEM file with the server certificate chain (leaf first) for tls listeners; its name must match the host clients connect to.",
		"a file path; required when a listener uses tls",
		"",
		func(c *Config) *string { return &c.Security.TLS.CertificateFile }, nil),
	stringSetting("security.tls.key_file",
		"PEM file with the private key of security.tls.certificate_file.",
		"a file path; required when a listener uses tls",
		"",
		func(c *Config) *string { return &c.Security.TLS.KeyFile }, nil),
	enumSetting("security.tls.client_auth",
		"Client certificates on tls listeners: none (WCF TcpClientCredentialType.None: server authentication and encryption only, callers are anonymous) or require (TcpClientCredentialType.Certificate: the chain is verified against security.tls.client_ca_file and the certificate subject, e.g. CN=admin,O=Example, names the caller).",
		ClientAuthNone, []string{ClientAuthNone, ClientAuthRequire},
		func(c *Config) *string { return &c.Security.TLS.ClientAuth }),
	stringSetting("security.tls.client_ca_file",
		"PEM bundle of the CA certificates client certificates must chain to.",
		"a file path; required when security.tls.client_auth is require",
		"",
		func(c *Config) *string { return &c.Security.TLS.ClientCAFile }, nil),
	stringSetting("security.negotiate.keytab_file",
		"Keytab of the service principal (e.g. host/ipam.example.com@EXAMPLE.COM, exported with ktutil/ktpass/msktutil) for Kerberos on negotiate listeners; \"\" = no Kerberos. The client's principal, and the group SIDs of a Windows PAC, name the caller.",
		"a file path; keytab_file or ntlm_accounts_file is required when a listener uses negotiate",
		"",
		func(c *Config) *string { return &c.Security.Negotiate.KeytabFile }, nil),
	stringSetting("security.negotiate.ntlm_accounts_file",
		`File of the NTLM accounts negotiate listeners accept, one "DOMAIN\user:NTHASH" line per account (NTHASH = 32 hex digits of MD4 over the UTF-16LE password; `+"`ipamd ntlm-hash 'DOMAIN\\user'`"+` prints the line for a password read from stdin). Keep it mode 0600: NT hashes are password equivalents.`,
		`a file path or "" (no NTLM)`,
		"",
		func(c *Config) *string { return &c.Security.Negotiate.NTLMAccountsFile }, nil),
	stringSetting("security.negotiate.computer_name",
		"NetBIOS computer name announced in the NTLM CHALLENGE (informational for clients).",
		`"" (the host name) or a name of up to 15 characters`,
		"",
		func(c *Config) *string { return &c.Security.Negotiate.ComputerName }, checkNetBIOSName),
	listSetting("security.negotiate.kerberos_trusted_realms",
		"Kerberos realms, besides the service's own (the realm of its keytab principal), whose principals may call: a cross-realm trust lets every principal of the other realm obtain a ticket for this service, which does not make them callers the operator chose. Empty = the service's realm only. A ticket from any other realm is refused (SEC_E_LOGON_DENIED). The caller is always named by the ticket (name@CLIENT-REALM), never by the authenticator, so alice@OTHER.EXAMPLE.COM is never taken for alice@EXAMPLE.COM.",
		"realm names exactly as the KDCs spell them (case-sensitive, usually upper case)",
		[]string{},
		func(c *Config) *[]string { return &c.Security.Negotiate.KerberosTrustedRealms }, checkRealm, nil),
	listSetting("security.administrators",
		`Callers that count as administrators (MS-IPAMM2 IsAdministrator, required by Initialize… and Start… of both port types), besides tokens with BUILTIN\Administrators (S-1-5-32-544): SIDs from a Kerberos PAC (e.g. the Domain Admins SID S-1-5-21-…-512) and principal names as the transport reports them (IPAM\bob for NTLM, alice@IPAM.TEST for Kerberos, the certificate subject CN=admin,O=Example for TLS; case-insensitive). Callers on listeners without security are identified as security.local_identity says; anonymous TLS callers are never administrators. Others get IpamApiAccessDenied: a SOAP fault for Initialize…, Notify…Complete (then the end of the session) for the one-way Start….`,
		"SIDs S-1-… or principal names",
		[]string{},
		func(c *Config) *[]string { return &c.Security.Administrators }, checkAdministrator, nil),
	listSetting("security.ipam_users",
		`Callers that count as members of IPAM Users (MS-IPAMM2 IsIpamUser, required by IIpamEnumerator's InitializeEnumeration and StartEnumeration), in the forms security.administrators takes. Administrators are IPAM users too (the role above it); an unauthenticated caller is an IPAM user only as an administrator (security.local_identity). Others get IpamApiAccessDenied.`,
		"SIDs S-1-… or principal names",
		[]string{},
		func(c *Config) *[]string { return &c.Security.IpamUsers }, checkAdministrator, nil),
	boolSetting("security.refuse_unauthenticated",
		"Callers on listeners without security (net.tcp none, http://) count as no one, whatever security.local_identity says, so Initialize… and Start… are refused there with IpamApiAccessDenied: for a listener opened to the network with security.insecure whose callers must not change the server, or to see what an unauthorized WCF client is told.",
		false, func(c *Config) *bool { return &c.Security.RefuseUnauthenticated }),
	enumSetting("security.local_identity",
		"Who a caller on a listener without security (net.tcp none, http) is. os: the operating-system account owning the client's loopback socket (Linux: sock_diag, else /proc/net/tcp and tcp6; Windows: the owning process's token); it is an administrator only when it is root / in BUILTIN\\Administrators, the daemon's own account, or in security.local_administrators, and callers whose account cannot be read are refused. trust: every such caller is an administrator (for containers where socket owners cannot be read); a warning is logged at every start.",
		LocalIdentityOS, []string{LocalIdentityOS, LocalIdentityTrust},
		func(c *Config) *string { return &c.Security.LocalIdentity }),
	listSetting("security.local_administrators",
		"With security.local_identity os: further local accounts that are IPAM administrators, by group (a group name, or gid:N; members by primary or supplementary group), by user (uid:N), or on Windows by SID (S-1-…).",
		"group names, gid:N, uid:N or SIDs",
		[]string{},
		func(c *Config) *[]string { return &c.Security.LocalAdministrators }, checkLocalAdministrator, nil),
	durationSetting("dev.work_duration",
		"Development aid: provisioning and schema conversion take at least this long (the work, then a wait still marked in progress), so checkpoints and overlapping Starts can be exercised. 0 in production.",
		0, 0, time.Hour,
		func(c *Config) *time.Duration { return &c.Dev.WorkDuration }),
	stringSetting("dev.fail_with",
		`Fault injection: provisioning and schema conversion fail with this IpamExceptionId instead of doing the work ("" = do the work).`,
		`"" or an IpamExceptionId name`,
		"",
		func(c *Config) *string { return &c.Dev.FailWith }, checkExceptionID),
	boolSetting("dev.require_conversion",
		"Use the in-memory stand-in store (nothing persisted), started as provisioned with schema conversion required, to exercise conversion sessions without a legacy store.",
		false, func(c *Config) *bool { return &c.Dev.RequireConversion }),
	boolSetting("dev.panic_in_work",
		"Fault injection: provisioning and schema conversion panic instead of doing the work, to show that the panic is contained (the session gets Notify…Complete with IpamApiGenericErrorOccurred, other sessions go on). Never in production.",
		false, func(c *Config) *bool { return &c.Dev.PanicInWork }),
	boolSetting("dev.provisioned",
		"Use the in-memory stand-in store (nothing persisted), started as provisioned.",
		false, func(c *Config) *bool { return &c.Dev.Provisioned }),
}

func checkAbsPath(p string) error {
	if strings.ContainsRune(p, 0) || !filepath.IsAbs(p) {
		return errors.New("must be an absolute path")
	}
	return nil
}

func checkHostEntry(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		host, port = s, ""
		if strings.ContainsAny(s, "[]") || strings.Count(s, ":") == 1 {
			return errors.New("must be host, host:port or [v6]:port")
		}
	}
	if host == "" || strings.ContainsAny(host, " /\\@?#") {
		return errors.New("must be host, host:port or [v6]:port")
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return errors.New("port must be 1..65535")
		}
	}
	return nil
}

// crossChecks validate relations between settings.
var crossChecks = []func(*Config) []*Error{
	func(c *Config) []*Error {
		if p := c.Endpoints.ProvisionPath; p != "" && p == c.Endpoints.SchemaConversionPath {
			return []*Error{{Key: "endpoints.schema_conversion_path", Value: quoteRaw(p),
				Err: errors.New("must differ from endpoints.provision_path")}}
		}
		if p := c.Endpoints.EnumeratorPath; p != "" && (p == c.Endpoints.ProvisionPath || p == c.Endpoints.SchemaConversionPath) {
			return []*Error{{Key: "endpoints.enumerator_path", Value: quoteRaw(p),
				Err: errors.New("must differ from endpoints.provision_path and endpoints.schema_conversion_path")}}
		}
		return nil
	},
	checkListenerSecurity,
	func(c *Config) []*Error {
		if c.Security.TLS.ClientAuth == ClientAuthRequire && c.Security.TLS.ClientCAFile == "" {
			return []*Error{{Key: "security.tls.client_ca_file", Value: `""`,
				Err: errors.New("required when security.tls.client_auth is require")}}
		}
		return nil
	},
}

// checkListenerSecurity enforces the safe defaults: a listener without
// security binds loopback only unless security.insecure is set, and tls
// listeners need a certificate and key.
func checkListenerSecurity(c *Config) []*Error {
	var errs []*Error
	needTLS, needNegotiate := false, false
	for i, s := range c.Listen {
		l, err := ParseListenURI(s)
		if err != nil {
			continue // reported by the listen setting itself
		}
		key := fmt.Sprintf("listen[%d]", i)
		switch mode := c.ListenerSecurity(l); {
		case mode == SecurityTLS:
			needTLS = true
		case mode == SecurityNegotiate:
			needNegotiate = true
		case mode == SecurityNone && !l.Loopback() && !c.Security.Insecure:
			errs = append(errs, &Error{Key: key, Value: quoteRaw(s), Source: c.origin["listen"],
				Err: errors.New("a listener without transport security must bind a loopback address (127.0.0.1, [::1], localhost); use security.mode tls, ?security=tls, or set security.insecure to accept unauthenticated callers from the network")})
		}
	}
	if needNegotiate && c.Security.Negotiate.NTLMAccountsFile == "" && c.Security.Negotiate.KeytabFile == "" {
		errs = append(errs, &Error{Key: "security.negotiate.keytab_file", Value: `""`,
			Err: errors.New("a listener uses negotiate: set security.negotiate.keytab_file (Kerberos), security.negotiate.ntlm_accounts_file (NTLM) or both")})
	}
	if needTLS {
		for _, f := range []struct{ key, v string }{
			{"security.tls.certificate_file", c.Security.TLS.CertificateFile},
			{"security.tls.key_file", c.Security.TLS.KeyFile},
		} {
			if f.v == "" {
				errs = append(errs, &Error{Key: f.key, Value: `""`, Err: errors.New("required: a listener uses tls")})
			}
		}
	}
	return errs
}

func checkEndpointPath(p string) error {
	switch {
	case !strings.HasPrefix(p, "/"):
		return errors.New(`must be an absolute path starting with "/"`)
	case p == "/":
		return errors.New(`must not be "/"`)
	case strings.ContainsAny(p, "?# \t\r\n"):
		return errors.New("must be a plain path (no query, fragment or whitespace)")
	case strings.Contains(p, "//"):
		return errors.New(`must not contain "//"`)
	}
	return nil
}

func checkListenURI(s string) error {
	_, err := ParseListenURI(s)
	return err
}

func checkCIDR(s string) error {
	if _, err := netip.ParsePrefix(s); err != nil {
		return errors.New("must be a CIDR prefix such as 10.0.0.0/8 or fd00::/8")
	}
	return nil
}

func checkListenList(list []string) []*Error {
	if len(list) == 0 {
		return fieldErr("listen", "[]", "at least one endpoint is required")
	}
	var errs []*Error
	seen := map[string]int{}
	for i, s := range list {
		l, err := ParseListenURI(s)
		if err != nil || l.Port == 0 {
			continue
		}
		if j, dup := seen[l.Addr()]; dup {
			errs = append(errs, &Error{Key: fmt.Sprintf("listen[%d]", i), Value: quoteRaw(s),
				Err: fmt.Errorf("same address as listen[%d]", j)})
			continue
		}
		seen[l.Addr()] = i
	}
	return errs
}

func checkAdministrator(s string) error {
	if strings.TrimSpace(s) != s || s == "" {
		return errors.New("must be a SID or principal name without surrounding spaces")
	}
	if strings.HasPrefix(s, "S-") && !sidRe.MatchString(s) {
		return errors.New("not a valid SID (S-1-<authority>-<sub>…)")
	}
	return nil
}

var sidRe = regexp.MustCompile(`^S-1-[0-9]+(-[0-9]+)+$`)

// checkRealm accepts a Kerberos realm name: printable, no spaces, '@' or
// '/' (which would make principal names ambiguous).
func checkRealm(s string) error {
	if s == "" || len(s) > 255 || strings.ContainsAny(s, " \t@/\\") || strings.IndexFunc(s, func(r rune) bool { return r < 0x21 || r == 0x7f }) >= 0 {
		return errors.New("must be a realm name (e.g. OTHER.EXAMPLE.COM) without spaces, '@', '/' or '\\'")
	}
	return nil
}

func checkNetBIOSName(s string) error {
	if len(s) > 15 || strings.ContainsAny(s, `\/:*?"<>| .`) {
		return errors.New("must be at most 15 characters without spaces, dots or \\/:*?\"<>|")
	}
	return nil
}

var exceptionIDRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,127}$`)

func checkExceptionID(s string) error {
	if s == "" || exceptionIDRe.MatchString(s) {
		return nil
	}
	return errors.New(`must be "" or an IpamExceptionId name such as IpamApiUnabletoProvisionIpam`)
}
