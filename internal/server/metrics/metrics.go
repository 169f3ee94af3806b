// Package metrics is ipamd's Prometheus instrumentation: one registry with
// the Go and process collectors, build info, and the collectors fed by the
// session layer (sessions.Observer), the services (services.WorkObserver)
// and the transports' counters (read at scrape time).
//
// The per-message path (MessageReceived, MessageSent, StateChanged) does one
// map lookup in a map built at start-up and one atomic add on a label child
// resolved in advance: no allocation and no lock. TestNoAllocs holds it to
// that.
package metrics

import (
	"database/sql"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/ipamd/ipamd/duplex/admission"
	"github.com/ipamd/ipamd/duplex/nmf"
	"github.com/ipamd/ipamd/duplex/soaphttp"
	"github.com/ipamd/ipamd/services"
	"github.com/ipamd/ipamd/sessions"
	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/soap/xmlstream"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

const namespace = "ipamd"

// otherAction labels received actions that are no operation of the port
// type: the client chooses them, so they must not become label values.
const otherAction = "other"

// BuildInfo labels ipamd_build_info.
type BuildInfo struct {
	Version, Commit, GoVersion string
}

// Metrics holds the registry and the collectors. Create it with New.
type Metrics struct {
	reg *prometheus.Registry

	sessions        *prometheus.GaugeVec   // port_type, state
	sessionsStarted *prometheus.CounterVec // port_type, transport
	received        *prometheus.CounterVec // port_type, action
	sent            *prometheus.CounterVec // port_type, action
	ignored         *prometheus.CounterVec // port_type, action
	faults          *prometheus.CounterVec // port_type, exception_id
	callbackSeconds *prometheus.HistogramVec
	callbackFailed  *prometheus.CounterVec
	workSeconds     *prometheus.HistogramVec // kind, result
	workRows        *prometheus.CounterVec   // kind
	workRate        *prometheus.GaugeVec     // kind
	workRunning     *prometheus.GaugeVec     // kind
	workStep        *prometheus.GaugeVec     // kind, step
	draining        prometheus.Gauge
	reloads         *prometheus.CounterVec // result
	expired         *prometheus.CounterVec // port_type, reason
	quotas          map[string]prometheus.Counter
	quotaOther      prometheus.Counter

	work *workObserver
}

// New returns the metrics with their registry.
func New(b BuildInfo) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{Namespace: namespace}))
	info := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: namespace, Name: "build_info",
		Help:        "ipamd's version, commit and Go version, as labels of a constant 1.",
		ConstLabels: prometheus.Labels{"version": b.Version, "commit": b.Commit, "goversion": b.GoVersion}})
	info.Set(1)

	m.expired = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "sessions_expired_total",
		Help: "Sessions the server aborted on a timer: reason uninitialized (no Initialize… within limits.uninitialized_timeout) or inactivity (the MS-IPAMM2 InactivityTimer)."},
		[]string{"port_type", "reason"})
	m.reg.MustRegister(m.expired)
	m.sessions = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: namespace, Name: "sessions",
		Help: "Live MS-IPAMM2 sessions by port type and state-machine state."}, []string{"port_type", "state"})
	m.sessionsStarted = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "sessions_started_total",
		Help: "Sessions started, by port type and transport (net.tcp, http)."}, []string{"port_type", "transport"})
	m.received = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "messages_received_total",
		Help: `SOAP messages received in sessions, by port type and Action (its last segment; "other" for actions the port type does not have).`},
		[]string{"port_type", "action"})
	m.sent = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "messages_sent_total",
		Help: "SOAP messages sent in sessions (replies, faults, callbacks), by port type and Action (its last segment)."},
		[]string{"port_type", "action"})
	m.ignored = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "messages_ignored_total",
		Help: `Messages received in sessions and dropped without an answer (a second Start while the work runs, anything after Notify…Complete), by port type and Action (its last segment; "other" for actions the port type does not have).`},
		[]string{"port_type", "action"})
	m.faults = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "faults_total",
		Help: "IpamExceptions sent to clients, as SOAP fault detail or in Notify…Complete, by port type and IpamExceptionId."},
		[]string{"port_type", "exception_id"})
	m.callbackSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: "callback_duration_seconds",
		Help:    "Time to deliver a Notify… callback: the record write on net.tcp, the POST (with retries) over HTTP.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}},
		[]string{"port_type", "callback"})
	m.callbackFailed = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "callback_failures_total",
		Help: "Notify… callbacks that could not be delivered."}, []string{"port_type", "callback"})
	m.workSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: "work_duration_seconds",
		Help:    "Duration of provisioning and schema conversion runs, by kind and result (success, failure).",
		Buckets: prometheus.ExponentialBuckets(0.1, 3, 10)}, // 0.1 s … ~33 min
		[]string{"kind", "result"})
	m.workRows = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "work_rows_total",
		Help: "Rows written by provisioning and schema conversion, as the store reports them (rate() gives rows/s while a run goes on)."},
		[]string{"kind"})
	m.workRate = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: namespace, Name: "work_last_rows_per_second",
		Help: "Rows per second of the last finished run of each kind."}, []string{"kind"})
	m.workRunning = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: namespace, Name: "work_running",
		Help: "Provisioning or schema conversion runs in progress."}, []string{"kind"})
	m.workStep = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: namespace, Name: "work_step",
		Help: "1 for the step a running provisioning or schema conversion is in (a seed table, a conversion step); no series when none runs."},
		[]string{"kind", "step"})
	m.draining = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: namespace, Name: "draining",
		Help: "1 while a graceful stop drains the sessions, else 0."})
	m.reloads = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "config_reloads_total",
		Help: "Configuration reloads (SIGHUP, service parameter change), by result (success, failure)."}, []string{"result"})
	quotas := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "quota_exceeded_total",
		Help: "Messages refused because they broke a reader quota (MaxDepth, MaxStringContentLength, MaxDecodedBytes, …; docs/security.md), by quota."},
		[]string{"quota"})
	m.quotas = map[string]prometheus.Counter{}
	for _, q := range quotaNames {
		m.quotas[q] = quotas.WithLabelValues(q)
	}
	m.quotaOther = quotas.WithLabelValues(otherAction)
	m.reg.MustRegister(quotas)
	m.reg.MustRegister(info, m.sessions, m.sessionsStarted, m.received, m.sent, m.ignored, m.faults, m.callbackSeconds,
		m.callbackFailed, m.workSeconds, m.workRows, m.workRate, m.workRunning, m.workStep, m.draining, m.reloads)
	for _, r := range []string{"success", "failure"} {
		m.reloads.WithLabelValues(r)
	}
	m.work = newWorkObserver(m)
	return m
}

// quotaNames are the label values of ipamd_quota_exceeded_total.
var quotaNames = []string{
	xmlstream.QuotaMaxDepth, xmlstream.QuotaMaxStringContentLength, xmlstream.QuotaMaxArrayLength,
	xmlstream.QuotaMaxBytesPerRead, xmlstream.QuotaMaxAttributes, xmlstream.QuotaMaxDecodedBytes,
	xmlstream.QuotaMaxSessionSize, xmlstream.QuotaMaxReceivedMessageSize, xmlstream.QuotaMaxHeaderSize,
}

// QuotaExceeded counts a message that broke a reader quota (soap.Limits.OnQuota).
func (m *Metrics) QuotaExceeded(quota string) {
	if c := m.quotas[quota]; c != nil {
		c.Inc()
		return
	}
	m.quotaOther.Inc()
}

// Registry is what /metrics serves.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Work is the observer for the services.
func (m *Metrics) Work() services.WorkObserver { return m.work }

// SetDraining sets ipamd_draining.
func (m *Metrics) SetDraining(on bool) {
	v := 0.0
	if on {
		v = 1
	}
	m.draining.Set(v)
}

// Reloaded counts a configuration reload.
func (m *Metrics) Reloaded(ok bool) {
	if ok {
		m.reloads.WithLabelValues("success").Inc()
	} else {
		m.reloads.WithLabelValues("failure").Inc()
	}
}

// WatchNMF exports the net.tcp framing server's connection counters, read
// at scrape time.
func (m *Metrics) WatchNMF(s *nmf.Server) {
	labels := prometheus.Labels{"transport": sessions.TransportNetTCP}
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: namespace, Name: "connections", ConstLabels: labels,
			Help: "Open connections being served."}, func() float64 { return float64(s.Stats().Active) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: namespace, Name: "connections_accepted_total", ConstLabels: labels,
			Help: "Connections accepted."}, func() float64 { return float64(s.Stats().Accepted) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: namespace, Name: "connections_refused_busy_total", ConstLabels: labels,
			Help: "ServerTooBusy faults sent: limits.max_connections reached, or a new session during a graceful stop."},
			func() float64 { return float64(s.Stats().Busy) }),
		m.refusedFunc(sessions.TransportNetTCP, admission.TooManyFromAddress.String(), func() uint64 { return s.Stats().BusyAddress }),
	)
}

// WatchHTTP exports the HTTP transport's session count and admission
// counters, read at scrape time.
func (m *Metrics) WatchHTTP(s *soaphttp.Server) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: namespace, Name: "http_sessions",
		Help: "Live sessions of the HTTP transport (one per client a:ReplyTo)."},
		func() float64 { return float64(s.ActiveSessions()) }))
	labels := prometheus.Labels{"transport": sessions.TransportHTTP}
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: namespace, Name: "connections", ConstLabels: labels,
			Help: "Open connections being served."}, func() float64 { return float64(s.Stats().Connections) }),
		m.refusedFunc(sessions.TransportHTTP, admission.TooMany.String(), func() uint64 { return s.Stats().RefusedTotal }),
		m.refusedFunc(sessions.TransportHTTP, admission.TooManyFromAddress.String(), func() uint64 { return s.Stats().RefusedAddress }),
		m.refusedFunc(sessions.TransportHTTP, "session_address_limit", func() uint64 { return s.Stats().SessionsRefusedAddress }),
	)
}

// WatchAdmin exports the admin listener's admission counters.
func (m *Metrics) WatchAdmin(s interface{ Admission() admission.Stats }) {
	labels := prometheus.Labels{"transport": "admin"}
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: namespace, Name: "connections", ConstLabels: labels,
			Help: "Open connections being served."}, func() float64 { return float64(s.Admission().Active) }),
		m.refusedFunc("admin", admission.TooMany.String(), func() uint64 { return s.Admission().RefusedTotal }),
		m.refusedFunc("admin", admission.TooManyFromAddress.String(), func() uint64 { return s.Admission().RefusedAddress }),
	)
}

// refusedFunc is one series of connections_refused_total: connections (or,
// over HTTP, new sessions) refused by admission, before any request was
// read or any caller authenticated.
func (m *Metrics) refusedFunc(transport, reason string, f func() uint64) prometheus.Collector {
	return prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: namespace, Name: "connections_refused_total",
		ConstLabels: prometheus.Labels{"transport": transport, "reason": reason},
		Help:        "Connections refused by admission (docs/security.md): reason total_limit, address_limit, or session_address_limit for HTTP sessions."},
		func() float64 { return float64(f()) })
}

// Port implements sessions.Observer: it resolves every label child of the
// port type in advance.
func (m *Metrics) Port(portType string) sessions.PortObserver {
	p := &portObserver{m: m, port: portType,
		received: map[string]prometheus.Counter{}, sent: map[string]prometheus.Counter{}, ignored: map[string]prometheus.Counter{},
		faults: map[string]prometheus.Counter{}, callbacks: map[string]*callbackMetrics{},
		started: map[string]prometheus.Counter{}}
	p.expiredUninitialized = m.expired.WithLabelValues(portType, sessions.ExpiredUninitialized)
	p.expiredInactive = m.expired.WithLabelValues(portType, sessions.ExpiredInactive)
	for _, st := range sessions.States() {
		p.states[st] = m.sessions.WithLabelValues(portType, st.String())
	}
	for _, tr := range []string{sessions.TransportNetTCP, sessions.TransportHTTP} {
		p.started[tr] = m.sessionsStarted.WithLabelValues(portType, tr)
	}
	port, callbacks := portTables(portType)
	sentActions := []string{soap.ActionDefaultFault, soap.ActionAddressingFault, soap.ActionSOAPFault}
	receivedActions := []string{ipam.ActionKeepalive}
	if port != nil {
		for action, op := range port.Operations {
			receivedActions = append(receivedActions, action)
			if op.ReplyAction != "" {
				sentActions = append(sentActions, op.ReplyAction)
			}
		}
		for action := range port.CallbackOperations {
			receivedActions = append(receivedActions, action) // ignored, but counted
		}
	}
	for _, a := range receivedActions {
		p.received[a] = m.received.WithLabelValues(portType, actionLabel(a))
		p.ignored[a] = m.ignored.WithLabelValues(portType, actionLabel(a))
	}
	p.other = m.received.WithLabelValues(portType, otherAction)
	p.otherIgnored = m.ignored.WithLabelValues(portType, otherAction)
	for _, set := range callbacks {
		for kind, a := range map[string]string{"start": set.Start, "checkpoint": set.Checkpoint, "complete": set.Complete} {
			sentActions = append(sentActions, a)
			p.callbacks[a] = &callbackMetrics{
				seconds: m.callbackSeconds.WithLabelValues(portType, kind),
				failed:  m.callbackFailed.WithLabelValues(portType, kind),
			}
		}
	}
	for _, a := range sentActions {
		p.sent[a] = m.sent.WithLabelValues(portType, actionLabel(a))
	}
	for _, id := range exceptionIDs {
		p.faults[id] = m.faults.WithLabelValues(portType, id)
	}
	return p
}

// exceptionIDs are the IpamExceptionIds resolved in advance; others (the
// store may raise more) are resolved when first seen — they come from
// ipamd's code, not from clients, so they are bounded.
var exceptionIDs = []string{
	ipam.IpamApiAccessDenied, ipam.IpamApiInvalidParameter, ipam.IpamApiGenericErrorOccurred,
	ipam.IpamApiCallsAreNotAllowedUntilProvisioningIsDone, ipam.IpamApiCallsAreNotAllowedUntilSchemaConversionIsDone,
	ipam.IpamApiProvisioningAlreadyInProgress, ipam.IpamApiUnabletoProvisionIpam, ipam.IpamApiErrorIpamAlreadyProvisioned,
	ipam.IpamErrorIPAMNotProvisioned, ipam.IpamApiErrorDatabaseCreationOrPopulationFailed, ipam.IpamApiInvalidGpoPrefix,
	ipam.IpamApiErrorInvalidDatabaseConfiguration, ipam.IpamSchemaConversionAnotherOperationInProgress,
	ipam.IpamSchemaConversionNotRequired, ipam.IpamSchemaConversionFailed,
}

func portTables(portType string) (*ipam.PortType, []ipam.CallbackActions) {
	switch portType {
	case ipam.PortIIpamAsyncProvision:
		return ipam.IIpamAsyncProvisionPort, []ipam.CallbackActions{
			ipam.ProvisionCallbackActions(ipam.CallbackActionsService), ipam.ProvisionCallbackActions(ipam.CallbackActionsCallback)}
	case ipam.PortIIpamAsyncSchemaConversion:
		return ipam.IIpamAsyncSchemaConversionPort, []ipam.CallbackActions{
			ipam.SchemaConversionCallbackActions(ipam.CallbackActionsService), ipam.SchemaConversionCallbackActions(ipam.CallbackActionsCallback)}
	}
	return nil, nil
}

// actionLabel is an Action's last segment: "InitializeAsyncProvisioning",
// "NotifyAsyncProvisionComplete", "fault", "Keepalive".
func actionLabel(action string) string {
	if i := strings.LastIndexAny(action, "/."); i >= 0 && i < len(action)-1 {
		return action[i+1:]
	}
	return action
}

type callbackMetrics struct {
	seconds prometheus.Observer
	failed  prometheus.Counter
}

// portObserver is one port type's sessions.PortObserver. Its maps are built
// by Port and only read afterwards, so concurrent reads need no lock.
type portObserver struct {
	m        *Metrics
	port     string
	states   [5]prometheus.Gauge
	started  map[string]prometheus.Counter
	received map[string]prometheus.Counter
	other    prometheus.Counter
	ignored  map[string]prometheus.Counter
	// otherIgnored counts ignored messages whose action is not the port's.
	otherIgnored prometheus.Counter
	sent         map[string]prometheus.Counter
	faults       map[string]prometheus.Counter
	callbacks    map[string]*callbackMetrics

	expiredUninitialized, expiredInactive prometheus.Counter
}

// SessionExpired implements sessions.PortObserver.
func (p *portObserver) SessionExpired(reason string) {
	if reason == sessions.ExpiredUninitialized {
		p.expiredUninitialized.Inc()
	} else {
		p.expiredInactive.Inc()
	}
}

func (p *portObserver) state(s sessions.State) prometheus.Gauge {
	if int(s) < len(p.states) {
		return p.states[s]
	}
	return nil
}

func (p *portObserver) SessionStarted(transport string) {
	if c := p.started[transport]; c != nil {
		c.Inc()
	} else {
		p.m.sessionsStarted.WithLabelValues(p.port, transport).Inc()
	}
	p.state(sessions.SessionInitialized).Inc()
}

func (p *portObserver) StateChanged(from, to sessions.State) {
	if g := p.state(from); g != nil {
		g.Dec()
	}
	if g := p.state(to); g != nil {
		g.Inc()
	}
}

func (p *portObserver) SessionEnded(last sessions.State) {
	if g := p.state(last); g != nil {
		g.Dec()
	}
}

func (p *portObserver) MessageReceived(action string) {
	if c := p.received[action]; c != nil {
		c.Inc()
		return
	}
	p.other.Inc()
}

func (p *portObserver) MessageIgnored(action string) {
	if c := p.ignored[action]; c != nil {
		c.Inc()
		return
	}
	p.otherIgnored.Inc()
}

func (p *portObserver) MessageSent(action string) {
	if c := p.sent[action]; c != nil {
		c.Inc()
		return
	}
	p.m.sent.WithLabelValues(p.port, actionLabel(action)).Inc()
}

// QuotaExceeded implements sessions.PortObserver.
func (p *portObserver) QuotaExceeded(quota string) { p.m.QuotaExceeded(quota) }

func (p *portObserver) Exception(id string) {
	if c := p.faults[id]; c != nil {
		c.Inc()
		return
	}
	p.m.faults.WithLabelValues(p.port, id).Inc()
}

func (p *portObserver) CallbackDone(action string, d time.Duration, err error) {
	cb := p.callbacks[action]
	if cb == nil {
		return
	}
	if err != nil {
		cb.failed.Inc()
		return
	}
	cb.seconds.Observe(d.Seconds())
}

// workObserver is the services.WorkObserver.
type workObserver struct {
	m    *Metrics
	kind map[services.WorkKind]*workMetrics
}

// WorkStep shows step as the one current step of kind. Step names come
// from the store's fixed lists, so the label set stays small.
func (w *workObserver) WorkStep(k services.WorkKind, step string) {
	w.m.workStep.DeletePartialMatch(prometheus.Labels{"kind": string(k)})
	w.m.workStep.WithLabelValues(string(k), step).Set(1)
}

type workMetrics struct {
	running          prometheus.Gauge
	rows             prometheus.Counter
	rate             prometheus.Gauge
	success, failure prometheus.Observer
}

func newWorkObserver(m *Metrics) *workObserver {
	w := &workObserver{m: m, kind: map[services.WorkKind]*workMetrics{}}
	for _, k := range []services.WorkKind{services.WorkProvisioning, services.WorkSchemaConversion} {
		w.kind[k] = &workMetrics{
			running: m.workRunning.WithLabelValues(string(k)),
			rows:    m.workRows.WithLabelValues(string(k)),
			rate:    m.workRate.WithLabelValues(string(k)),
			success: m.workSeconds.WithLabelValues(string(k), "success"),
			failure: m.workSeconds.WithLabelValues(string(k), "failure"),
		}
	}
	return w
}

func (w *workObserver) of(k services.WorkKind) *workMetrics { return w.kind[k] }

func (w *workObserver) WorkStarted(k services.WorkKind) {
	if wm := w.of(k); wm != nil {
		wm.running.Inc()
	}
}

func (w *workObserver) WorkRows(k services.WorkKind, n int64) {
	if wm := w.of(k); wm != nil {
		wm.rows.Add(float64(n))
	}
}

func (w *workObserver) WorkFinished(k services.WorkKind, d time.Duration, rows int64, exceptionID string) {
	wm := w.of(k)
	if wm == nil {
		return
	}
	wm.running.Dec()
	w.m.workStep.DeletePartialMatch(prometheus.Labels{"kind": string(k)})
	if exceptionID == "" {
		wm.success.Observe(d.Seconds())
	} else {
		wm.failure.Observe(d.Seconds())
	}
	if s := d.Seconds(); s > 0 {
		wm.rate.Set(float64(rows) / s)
	}
}

// WatchStore exports the active store's connection pool (database/sql's
// DBStats, whichever engine), read at scrape time: connections in use and
// idle, the cap, and the waits for a free one. pool reports false while no
// store is open; the series then read 0, so a scraper always finds them.
// A connection leak shows as in_use that does not return to 0 when the
// daemon is idle (the soak checks it).
func (m *Metrics) WatchStore(pool func() (sql.DBStats, bool)) {
	m.reg.MustRegister(&storeCollector{pool: pool})
}

var (
	storeConnsDesc = prometheus.NewDesc(namespace+"_store_connections",
		"Connections of the active store's pool, by state (in_use, idle); 0 while no store is open.", []string{"state"}, nil)
	storeMaxConnsDesc = prometheus.NewDesc(namespace+"_store_max_connections",
		"The cap on the active store's open connections (store.postgres.max_connections; 0: none, or no store open).", nil, nil)
	storeWaitsDesc = prometheus.NewDesc(namespace+"_store_connection_waits_total",
		"Times a query waited for a free connection of the active store's pool (counts from the store's opening).", nil, nil)
)

type storeCollector struct {
	pool func() (sql.DBStats, bool)
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- storeConnsDesc
	ch <- storeMaxConnsDesc
	ch <- storeWaitsDesc
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	st, _ := c.pool() // no store: zero stats
	ch <- prometheus.MustNewConstMetric(storeConnsDesc, prometheus.GaugeValue, float64(st.InUse), "in_use")
	ch <- prometheus.MustNewConstMetric(storeConnsDesc, prometheus.GaugeValue, float64(st.Idle), "idle")
	ch <- prometheus.MustNewConstMetric(storeMaxConnsDesc, prometheus.GaugeValue, float64(st.MaxOpenConnections))
	ch <- prometheus.MustNewConstMetric(storeWaitsDesc, prometheus.CounterValue, float64(st.WaitCount))
}
