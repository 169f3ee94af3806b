package config

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"time"
)

// settings is THE table: every setting's key, env var, flag, help, default
// and constraint. Env var and flag names are derived from the key
// (IPAMD_ + upper snake; dots and underscores → dashes). Order here is the
// order of the docs, the example file and `ipamd config print`.
var settings = []*Setting{
	listSetting("listen",
		"Endpoints to listen on, one URI per listener (flag: repeat it or separate with commas; env: comma-separated). net.tcp:// serves WCF NetTcpBinding clients; http:// serves SOAP 1.2/1.1 over HTTP with WS-Addressing callbacks to the client's a:ReplyTo (and the WSDL at <endpoint path>?wsdl).",
		"net.tcp://HOST:PORT or http://HOST:PORT, port 1..65535 (0 = OS-chosen, for tests)",
		[]string{"net.tcp://0.0.0.0:48885"},
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
		"Address of the admin HTTP listener (/metrics, /healthz, /readyz, /log/level, and /debug/pprof when admin.pprof is set), separate from the SOAP listeners. It has no authentication: keep it on loopback or a management network. Empty disables it.",
		`HOST:PORT (port 0 = OS-chosen, for tests) or ""`,
		"127.0.0.1:9485",
		func(c *Config) *string { return &c.Admin.Listen }, checkAdminListen),
	boolSetting("admin.pprof",
		"Serve Go's profiler under /debug/pprof/ on the admin listener (CPU and heap profiles, goroutine dumps: diagnostic data for trusted operators only).",
		false, func(c *Config) *bool { return &c.Admin.Pprof }),
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
	intSetting("limits.max_session_table_bytes",
		"Maximum total size of the MC-NBFSE dynamic string table per session, in bytes.",
		2048, 0, 1<<20,
		func(c *Config) *int { return &c.Limits.MaxSessionTableBytes }),
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
		"How often Notify…Checkpoint is sent while provisioning or schema conversion runs.",
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
	durationSetting("dev.work_duration",
		"Duration of the in-memory provisioning/schema-conversion work used until the real store lands.",
		3*time.Second, 0, time.Hour,
		func(c *Config) *time.Duration { return &c.Dev.WorkDuration }),
	stringSetting("dev.fail_with",
		`Fault injection: the in-memory work fails with this IpamExceptionId ("" = succeed).`,
		`"" or an IpamExceptionId name`,
		"",
		func(c *Config) *string { return &c.Dev.FailWith }, checkExceptionID),
	boolSetting("dev.require_conversion",
		"Start as provisioned with schema conversion required (exercises conversion before the store exists).",
		false, func(c *Config) *bool { return &c.Dev.RequireConversion }),
	boolSetting("dev.provisioned",
		"Start as already provisioned.",
		false, func(c *Config) *bool { return &c.Dev.Provisioned }),
}

// crossChecks validate relations between settings.
var crossChecks = []func(*Config) *Error{
	func(c *Config) *Error {
		if p := c.Endpoints.ProvisionPath; p != "" && p == c.Endpoints.SchemaConversionPath {
			return &Error{Key: "endpoints.schema_conversion_path", Value: quoteRaw(p),
				Err: errors.New("must differ from endpoints.provision_path")}
		}
		return nil
	},
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

var exceptionIDRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,127}$`)

func checkExceptionID(s string) error {
	if s == "" || exceptionIDRe.MatchString(s) {
		return nil
	}
	return errors.New(`must be "" or an IpamExceptionId name such as IpamApiUnabletoProvisionIpam`)
}
