package server

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/ipamd/ipamd/config"
	"github.com/ipamd/ipamd/duplex/nmf"
	"github.com/ipamd/ipamd/duplex/soaphttp"
	"github.com/ipamd/ipamd/internal/server/metrics"
	"github.com/ipamd/ipamd/services"
	"github.com/ipamd/ipamd/sessions"
	"github.com/ipamd/ipamd/sessions/bind"
	"github.com/ipamd/ipamd/soap"
)

// readAtUse are reloadable settings no running component holds: the
// lifecycle reads them from its configuration when it needs them.
var readAtUse = map[string]bool{"shutdown.drain_timeout": true}

// running is what a reload can change in a running server: the log level
// and the options new connections and new sessions get.
type running struct {
	Level    string
	NMF      nmf.Options
	Sessions sessions.Options
	HTTP     soap.Limits // what the HTTP transport reads requests with
	HTTPBody int64
}

func runningOf(lf *lifecycle) running {
	n, s, h := lf.nmf.Options(), lf.mgr.Options(), lf.http.Limits()
	n.Logger, n.Upgrader = nil, nil
	s.Logger, s.Observer = nil, nil
	h.OnQuota = nil
	return running{Level: lf.so.level.Level().String(), NMF: n, Sessions: s, HTTP: h, HTTPBody: lf.http.MaxMessageSize()}
}

// newTestLifecycle is the part of New a reload touches, built from
// cfg as a start would build it.
func newTestLifecycle(t *testing.T, cfg *config.Config, log *zap.Logger) *lifecycle {
	t.Helper()
	m := metrics.New(metrics.BuildInfo{})
	local, err := localPolicy(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mgr, enum, err := newSessionManager(cfg, services.NewMemory(false, false), services.NoRows{}, log, m, local)
	if err != nil {
		t.Fatal(err)
	}
	so := options{log: log}.withDefaults()
	if lvl, err := zapcore.ParseLevel(cfg.Log.Level); err == nil {
		so.level.SetLevel(lvl)
	}
	httpSrv := soaphttp.NewServer(soaphttp.Options{MaxMessageSize: int64(cfg.Limits.MaxMessageSize), Limits: readerLimits(cfg, m.QuotaExceeded)}, bind.HTTP(mgr))
	return &lifecycle{cfg: cfg, so: so, log: log, metrics: m, mgr: mgr, enum: enum, nmf: nmf.NewServer(nmfOptions(cfg, log), bind.NetTCP(mgr)), http: httpSrv, local: local}
}

// otherValue is a value of s different from its value in c (validity
// aside: a reload's diff and apply do not validate, Load did).
func otherValue(t *testing.T, s config.Setting, c *config.Config) string {
	cur := s.Format(c)
	switch s.Type {
	case config.TypeBool:
		return strconv.FormatBool(cur != "true")
	case config.TypeInt:
		n, err := strconv.Atoi(cur)
		if err != nil {
			t.Fatalf("%s: %q", s.Key, cur)
		}
		return strconv.Itoa(n + 1)
	case config.TypeDuration:
		d, err := time.ParseDuration(cur)
		if err != nil {
			t.Fatalf("%s: %q", s.Key, cur)
		}
		return config.FormatDuration(d + time.Second)
	case config.TypeList:
		return "S-1-5-21-1-2-3-500" // any element: the reload does not validate
	}
	if strings.Contains(s.Allowed, "|") && !strings.Contains(s.Allowed, " ") {
		for _, v := range strings.Split(s.Allowed, "|") {
			if v != cur {
				return v
			}
		}
	}
	return cur + "-other"
}

// Every setting, changed alone and reloaded (SIGHUP's path): one marked
// reloadable in lifecycle.reloadable takes effect — the running
// components get the value a start with the new configuration would give
// them — and is logged as applied; any other is logged as needing a
// restart and changes nothing that runs. This is what lets the log be
// believed: security.administrators was applied while logged as needing a
// restart.
func TestReloadAppliesWhatItSays(t *testing.T) {
	base := config.Default()
	base.StateDir = t.TempDir()
	for _, s := range config.Settings() {
		t.Run(s.Key, func(t *testing.T) {
			old, next := *base, *base
			if err := s.Set(&next, otherValue(t, s, base)); err != nil {
				t.Fatalf("set: %v", err)
			}
			if s.Format(&next) == s.Format(&old) {
				t.Fatalf("no other value found for %s", s.Key)
			}
			core, logs := observer.New(zapcore.DebugLevel)
			lf := newTestLifecycle(t, &old, zap.New(core))
			before := runningOf(lf)
			fromNext := runningOf(newTestLifecycle(t, &next, zap.NewNop()))
			lf.so.loadConfig = func() (*config.Config, error) { c := next; return &c, nil }
			lf.reload()
			after := runningOf(lf)

			applied, restart := loggedKeys(logs)
			_, reloadable := reloadable[s.Key]
			if reloadable {
				if !slices.Contains(applied, s.Key) || slices.Contains(restart, s.Key) {
					t.Errorf("marked reloadable, logged applied %v, restart %v", applied, restart)
				}
				if s.Format(lf.cfg) != s.Format(&next) {
					t.Errorf("the running configuration keeps %q", s.Format(lf.cfg))
				}
				if !reflect.DeepEqual(after, fromNext) {
					t.Errorf("marked reloadable, but the running components differ from a start with the new value:\n got  %+v\n want %+v", after, fromNext)
				}
				if reflect.DeepEqual(before, fromNext) && !readAtUse[s.Key] {
					t.Errorf("marked reloadable, but nothing a reload applies depends on it")
				}
				return
			}
			if !slices.Contains(restart, s.Key) || slices.Contains(applied, s.Key) {
				t.Errorf("marked restart-only, logged applied %v, restart %v", applied, restart)
			}
			if s.Format(lf.cfg) != s.Format(&old) {
				t.Errorf("the running configuration took the new value %q", s.Format(lf.cfg))
			}
			if !reflect.DeepEqual(after, before) {
				t.Errorf("marked restart-only (logged as needing a restart), but the reload applied it:\n before %+v\n after  %+v", before, after)
			}
		})
	}
}

// loggedKeys are the keys the reload logged as applied and as needing a
// restart.
func loggedKeys(logs *observer.ObservedLogs) (applied, restart []string) {
	for _, e := range logs.All() {
		for _, f := range e.Context {
			arr, ok := f.Interface.(zapcore.ArrayMarshaler)
			if !ok {
				continue
			}
			enc := zapcore.NewMapObjectEncoder()
			_ = enc.AddArray("v", arr)
			var keys []string
			for _, v := range enc.Fields["v"].([]any) {
				keys = append(keys, v.(string))
			}
			switch {
			case e.Message == "configuration reloaded" && f.Key == "applied":
				applied = keys
			case strings.HasPrefix(e.Message, "configuration changes not reloaded") && f.Key == "keys":
				restart = keys
			}
		}
	}
	return applied, restart
}

// TestReloadKeepsLocalPolicy: the local-account policy is resolved once,
// by New (security.local_identity and security.local_administrators need a
// restart); a reload's session options carry that same policy.
func TestReloadKeepsLocalPolicy(t *testing.T) {
	old := config.Default()
	old.StateDir = t.TempDir()
	old.Security.LocalIdentity = config.LocalIdentityOS
	old.Security.LocalAdministrators = []string{"uid:4242"}
	lf := newTestLifecycle(t, old, zap.NewNop())
	if lf.local == nil || !slices.Equal(lf.local.Users, []string{"4242"}) {
		t.Fatalf("policy at start: %+v", lf.local)
	}
	next := *old
	next.Security.Administrators = []string{"S-1-5-21-1-2-3-500"}
	lf.apply(&next)
	got := lf.mgr.Options().Authorizer.(*services.RoleAuthorizer)
	if got.Local != lf.local || !slices.Equal(got.AdminSIDs, next.Security.Administrators) {
		t.Errorf("after the reload: local policy %p (start's %p), admin SIDs %v", got.Local, lf.local, got.AdminSIDs)
	}
}

// TestReloadBoundsEnumerationMessages: the rows bound of the enumerations
// started after a reload follows limits.max_message_size, down and back
// up to the batch bound, so a lowered limit does not turn rows messages
// into TooLarge faults. Rule E5.
func TestReloadBoundsEnumerationMessages(t *testing.T) {
	old := config.Default()
	old.StateDir = t.TempDir()
	lf := newTestLifecycle(t, old, zap.NewNop())
	if got := lf.enum.BatchBytes(); got != min(services.DefaultMaxBatchBytes, old.Limits.MaxMessageSize) {
		t.Fatalf("bound at start %d", got)
	}
	for _, limit := range []int{16 << 10, 1 << 20} {
		next := *lf.cfg
		next.Limits.MaxMessageSize = limit
		lf.apply(&next)
		if got, want := lf.enum.BatchBytes(), min(services.DefaultMaxBatchBytes, limit); got != want {
			t.Errorf("max_message_size %d: rows bound %d, want %d", limit, got, want)
		}
	}
}
