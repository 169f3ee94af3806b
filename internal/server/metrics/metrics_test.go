package metrics

import (
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ipamd/ipamd/services"
	"github.com/ipamd/ipamd/sessions"
	"github.com/ipamd/ipamd/soap/xmlstream"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// sample returns the value of the series name{labels} (a counter, gauge, or
// a histogram's sample count), and whether it exists.
func sample(t *testing.T, g prometheus.Gatherer, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	return FromFamilies(mfs).Value(name, labels)
}

func TestPortObserver(t *testing.T) {
	m := New(BuildInfo{Version: "v1", Commit: "abc", GoVersion: "go1"})
	var obs sessions.Observer = m
	p := obs.Port(ipam.PortIIpamAsyncProvision)
	cb := ipam.ProvisionCallbackActions(ipam.CallbackActionsCallback)

	p.SessionStarted(sessions.TransportNetTCP)
	p.MessageReceived(ipam.ActionInitializeAsyncProvisioning)
	p.StateChanged(sessions.SessionInitialized, sessions.Initialized)
	p.MessageSent(ipam.ActionInitializeAsyncProvisioningResponse)
	p.MessageReceived(ipam.ActionKeepalive)
	p.MessageReceived("urn:client-chosen:" + strings.Repeat("x", 10))
	p.StateChanged(sessions.Initialized, sessions.Started)
	p.MessageIgnored(ipam.ActionStartAsyncProvisioning)
	p.MessageIgnored("urn:client-chosen:" + strings.Repeat("x", 10))
	p.CallbackDone(cb.Start, 3*time.Millisecond, nil)
	p.CallbackDone(cb.Checkpoint, 0, errors.New("gone"))
	p.Exception(ipam.IpamApiErrorIpamAlreadyProvisioned)
	p.Exception("IpamSomethingTheStoreRaises")
	p.SessionStarted(sessions.TransportHTTP)

	tests := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"ipamd_build_info", map[string]string{"version": "v1", "commit": "abc"}, 1},
		{"ipamd_sessions", map[string]string{"port_type": "IIpamAsyncProvision", "state": "started"}, 1},
		{"ipamd_sessions", map[string]string{"port_type": "IIpamAsyncProvision", "state": "session_initialized"}, 1},
		{"ipamd_sessions", map[string]string{"port_type": "IIpamAsyncProvision", "state": "initialized"}, 0},
		{"ipamd_sessions_started_total", map[string]string{"port_type": "IIpamAsyncProvision", "transport": "net.tcp"}, 1},
		{"ipamd_sessions_started_total", map[string]string{"port_type": "IIpamAsyncProvision", "transport": "http"}, 1},
		{"ipamd_messages_received_total", map[string]string{"action": "InitializeAsyncProvisioning"}, 1},
		{"ipamd_messages_received_total", map[string]string{"action": "Keepalive"}, 1},
		{"ipamd_messages_received_total", map[string]string{"action": "other"}, 1},
		{"ipamd_messages_sent_total", map[string]string{"action": "InitializeAsyncProvisioningResponse"}, 1},
		{"ipamd_messages_ignored_total", map[string]string{"action": "StartAsyncProvisioning"}, 1},
		{"ipamd_messages_ignored_total", map[string]string{"action": "other"}, 1},
		{"ipamd_callback_duration_seconds", map[string]string{"callback": "start"}, 1},
		{"ipamd_callback_failures_total", map[string]string{"callback": "checkpoint"}, 1},
		{"ipamd_faults_total", map[string]string{"exception_id": "IpamApiErrorIpamAlreadyProvisioned"}, 1},
		{"ipamd_faults_total", map[string]string{"exception_id": "IpamSomethingTheStoreRaises"}, 1},
		{"ipamd_faults_total", map[string]string{"exception_id": "IpamSchemaConversionFailed"}, 0},
	}
	for _, tt := range tests {
		got, ok := sample(t, m.Registry(), tt.name, tt.labels)
		if !ok || got != tt.want {
			t.Errorf("%s%v = %v (present %v), want %v", tt.name, tt.labels, got, ok, tt.want)
		}
	}
	// Client-chosen actions never become label values.
	mfs, _ := m.Registry().Gather()
	for _, mf := range mfs {
		for _, s := range mf.GetMetric() {
			for _, l := range s.GetLabel() {
				if strings.Contains(l.GetValue(), "client-chosen") || strings.Contains(l.GetValue(), "xxxx") {
					t.Errorf("%s has label %s=%q", mf.GetName(), l.GetName(), l.GetValue())
				}
			}
		}
	}
}

func TestWorkObserver(t *testing.T) {
	m := New(BuildInfo{})
	w := m.Work()
	w.WorkStarted(services.WorkProvisioning)
	if v, _ := sample(t, m.Registry(), "ipamd_work_running", map[string]string{"kind": "provisioning"}); v != 1 {
		t.Errorf("work_running = %v during a run", v)
	}
	w.WorkStep(services.WorkProvisioning, "schema")
	w.WorkStep(services.WorkProvisioning, "seed ADM_Tasks")
	if v, ok := sample(t, m.Registry(), "ipamd_work_step", map[string]string{"kind": "provisioning", "step": "seed ADM_Tasks"}); !ok || v != 1 {
		t.Errorf("work_step = %v (present %v) in step seed ADM_Tasks", v, ok)
	}
	if _, ok := sample(t, m.Registry(), "ipamd_work_step", map[string]string{"kind": "provisioning", "step": "schema"}); ok {
		t.Error("the previous step is still shown")
	}
	w.WorkRows(services.WorkProvisioning, 300)
	w.WorkRows(services.WorkProvisioning, 100)
	w.WorkFinished(services.WorkProvisioning, 2*time.Second, 400, "")
	w.WorkStarted(services.WorkSchemaConversion)
	w.WorkFinished(services.WorkSchemaConversion, time.Second, 0, ipam.IpamSchemaConversionFailed)
	for _, tt := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"ipamd_work_running", map[string]string{"kind": "provisioning"}, 0},
		{"ipamd_work_rows_total", map[string]string{"kind": "provisioning"}, 400},
		{"ipamd_work_last_rows_per_second", map[string]string{"kind": "provisioning"}, 200},
		{"ipamd_work_duration_seconds", map[string]string{"kind": "provisioning", "result": "success"}, 1},
		{"ipamd_work_duration_seconds", map[string]string{"kind": "schema_conversion", "result": "failure"}, 1},
	} {
		if got, ok := sample(t, m.Registry(), tt.name, tt.labels); !ok || got != tt.want {
			t.Errorf("%s%v = %v (present %v), want %v", tt.name, tt.labels, got, ok, tt.want)
		}
	}
	if _, ok := sample(t, m.Registry(), "ipamd_work_step", map[string]string{"kind": "provisioning"}); ok {
		t.Error("a finished run still shows a step")
	}
}

// TestNoAllocs: the calls made for every message allocate nothing.
func TestNoAllocs(t *testing.T) {
	p := New(BuildInfo{}).Port(ipam.PortIIpamAsyncProvision)
	cb := ipam.ProvisionCallbackActions(ipam.CallbackActionsService)
	for name, f := range map[string]func(){
		"MessageReceived":       func() { p.MessageReceived(ipam.ActionKeepalive) },
		"MessageReceived other": func() { p.MessageReceived("urn:x") },
		"MessageSent":           func() { p.MessageSent(cb.Checkpoint) },
		"StateChanged":          func() { p.StateChanged(sessions.Started, sessions.InProgress) },
		"CallbackDone":          func() { p.CallbackDone(cb.Checkpoint, time.Millisecond, nil) },
	} {
		if n := testing.AllocsPerRun(1000, f); n != 0 {
			t.Errorf("%s: %v allocations per call, want 0", name, n)
		}
	}
}

func BenchmarkMessageReceived(b *testing.B) {
	p := New(BuildInfo{}).Port(ipam.PortIIpamAsyncProvision)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			p.MessageReceived(ipam.ActionKeepalive)
		}
	})
}

// TestQuotaExceeded: reader quota violations are counted by quota name,
// from the sessions (their port observer) and the HTTP transport alike; a
// name ipamd does not know is folded into "other".
func TestQuotaExceeded(t *testing.T) {
	m := New(BuildInfo{})
	p := m.Port(ipam.PortIIpamAsyncProvision)
	p.QuotaExceeded(xmlstream.QuotaMaxDecodedBytes)
	m.QuotaExceeded(xmlstream.QuotaMaxDecodedBytes)
	m.QuotaExceeded("Bogus")
	for _, tc := range []struct {
		quota string
		want  float64
	}{{xmlstream.QuotaMaxDecodedBytes, 2}, {"other", 1}, {xmlstream.QuotaMaxDepth, 0}} {
		if v, ok := sample(t, m.Registry(), "ipamd_quota_exceeded_total", map[string]string{"quota": tc.quota}); !ok || v != tc.want {
			t.Errorf("ipamd_quota_exceeded_total{quota=%q} = %v (present %v), want %v", tc.quota, v, ok, tc.want)
		}
	}
}

// ipamd_store_connections follows the pool the store reports at each
// scrape, and reads 0 (but exists) while no store is open.
func TestWatchStore(t *testing.T) {
	m := New(BuildInfo{})
	var stats sql.DBStats
	open := false
	m.WatchStore(func() (sql.DBStats, bool) { return stats, open })
	want := func(inUse, idle, maxOpen, waits float64) {
		t.Helper()
		for _, c := range []struct {
			name   string
			labels map[string]string
			want   float64
		}{
			{"ipamd_store_connections", map[string]string{"state": "in_use"}, inUse},
			{"ipamd_store_connections", map[string]string{"state": "idle"}, idle},
			{"ipamd_store_max_connections", nil, maxOpen},
			{"ipamd_store_connection_waits_total", nil, waits},
		} {
			if v, ok := sample(t, m.Registry(), c.name, c.labels); !ok || v != c.want {
				t.Errorf("%s%v = %v (present %v), want %v", c.name, c.labels, v, ok, c.want)
			}
		}
	}
	want(0, 0, 0, 0)
	stats, open = sql.DBStats{MaxOpenConnections: 8, OpenConnections: 5, InUse: 3, Idle: 2, WaitCount: 7}, true
	want(3, 2, 8, 7)
	stats.InUse, stats.Idle = 0, 5
	want(0, 5, 8, 7)
}
