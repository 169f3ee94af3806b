package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/ipamd/ipamd/internal/server/metrics"
)

// The protocol's checkpoints carry nothing but their arrival (MS-IPAMM2
// leaves their data open; ipamd sends none), so a client sees only that the
// work moves. When the server is local its admin listener says more: the
// step the work is in (ipamd_work_step) and the rows it wrote
// (ipamd_work_rows_total). serverProgress reads them while the session runs.

// serverProgressInterval is how often the admin metrics are read.
const serverProgressInterval = 500 * time.Millisecond

// maxMetricsBody bounds one /metrics response: ipamd's is a few tens of KiB.
const maxMetricsBody = 4 << 20

// adminMetricsURL turns an --admin value (host:port, or an http:// URL of
// the admin listener) into its /metrics URL.
func adminMetricsURL(admin string) (string, error) {
	if !strings.Contains(admin, "://") {
		if _, _, err := net.SplitHostPort(admin); err != nil {
			return "", fmt.Errorf("--admin %q: want the admin listener's host:port or http://host:port: %w", admin, err)
		}
		admin = "http://" + admin
	}
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("--admin %q: want the admin listener's host:port or http://host:port", admin)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/metrics"
	u.RawQuery, u.Fragment = "", ""
	return u.String(), nil
}

// workSample is what the admin metrics say about one kind of work.
type workSample struct {
	rows float64 // ipamd_work_rows_total{kind}
	step string  // the ipamd_work_step{kind} series at 1, "" when none runs
}

// parseWorkMetrics reads the Prometheus text exposition for kind's
// ipamd_work_rows_total and ipamd_work_step series.
func parseWorkMetrics(r io.Reader, kind string) (workSample, error) {
	var s workSample
	e, err := metrics.ParseText(r)
	if err != nil {
		return s, err
	}
	rows, found := e.Value("ipamd_work_rows_total", map[string]string{"kind": kind})
	if !found {
		return s, fmt.Errorf("no ipamd_work_rows_total{kind=%q} on the admin listener: is it an ipamd of this version?", kind)
	}
	s.rows = rows
	for _, x := range e.Samples("ipamd_work_step") {
		if x.Labels["kind"] == kind && x.Value == 1 {
			s.step = x.Labels["step"]
		}
	}
	return s, nil
}

// serverProgress follows one kind of work on a local server's admin
// metrics. Rows are counted from the value before the session began, so a
// run of the same kind by another client at the same time would count too.
type serverProgress struct {
	url    string
	kind   string
	client *http.Client
	// onUpdate, when set, is called after each successful read (the
	// progress bar).
	onUpdate func(step string, rows int64, rate float64)

	mu       sync.Mutex
	base     float64
	haveBase bool
	cur      workSample
	lastStep string // the last step seen while the work ran
	rate     float64
	at       time.Time
	err      error // the last read's

	stop chan struct{}
	done chan struct{}
}

func newServerProgress(metricsURL, kind string) *serverProgress {
	return &serverProgress{url: metricsURL, kind: kind, client: &http.Client{Timeout: 2 * time.Second}}
}

// read fetches the metrics once.
func (p *serverProgress) read(ctx context.Context) (workSample, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url, nil)
	if err != nil {
		return workSample{}, err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return workSample{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return workSample{}, fmt.Errorf("%s: %s", p.url, resp.Status)
	}
	return parseWorkMetrics(io.LimitReader(resp.Body, maxMetricsBody), p.kind)
}

// sample reads once and updates the running figures.
func (p *serverProgress) sample(ctx context.Context) {
	s, err := p.read(ctx)
	now := time.Now()
	p.mu.Lock()
	if err != nil {
		p.err = err
		p.mu.Unlock()
		return
	}
	p.err = nil
	if !p.haveBase {
		p.base, p.haveBase, p.cur, p.at = s.rows, true, s, now
		p.mu.Unlock()
		return
	}
	if dt := now.Sub(p.at).Seconds(); dt > 0 {
		p.rate = (s.rows - p.cur.rows) / dt
	}
	p.cur, p.at = s, now
	if s.step != "" {
		p.lastStep = s.step
	}
	step, rows, rate := p.lastStep, int64(s.rows-p.base), p.rate
	p.mu.Unlock()
	if p.onUpdate != nil {
		p.onUpdate(step, rows, rate)
	}
}

// begin takes the baseline (before Start…) and starts reading at
// serverProgressInterval until end.
func (p *serverProgress) begin(ctx context.Context) {
	p.sample(ctx)
	p.stop, p.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(p.done)
		t := time.NewTicker(serverProgressInterval)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				p.sample(ctx)
			}
		}
	}()
}

// end stops the reading and takes the final figures (the store counts a
// row before Notify…Complete goes out, so they are complete).
func (p *serverProgress) end(ctx context.Context) {
	if p.stop != nil {
		close(p.stop)
		<-p.done
	}
	p.sample(context.WithoutCancel(ctx))
}

// result is the rows the work wrote, the last step seen, and the last error
// (rows are valid only when err is nil).
func (p *serverProgress) result() (rows int64, step string, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.haveBase {
		if p.err == nil {
			p.err = fmt.Errorf("%s: not read", p.url)
		}
		return 0, "", p.err
	}
	return int64(p.cur.rows - p.base), p.lastStep, p.err
}
