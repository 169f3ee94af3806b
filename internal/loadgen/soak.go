package loadgen

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ipamd/ipamd/client"
	"github.com/ipamd/ipamd/duplex/nmf"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// SoakConfig describes a soak: a mix of well- and ill-behaved sessions
// against one daemon for Duration, while the daemon's resources are
// sampled; a resource that keeps growing is a leak.
type SoakConfig struct {
	// Target is the net.tcp IIpamAsyncProvision endpoint (loopback only).
	Target string
	// Admin is the daemon's admin listener (host:port, loopback only), whose
	// /metrics gives the samples.
	Admin string
	// Duration of the mix (default 60s, at most MaxDuration).
	Duration time.Duration
	// Clients run the mix in parallel (default 8, at most 256).
	Clients int
	// SampleEvery is the sampling period (default 5s).
	SampleEvery time.Duration
	// SessionTimeout bounds each step of a session (default 30s).
	SessionTimeout time.Duration
	// Hold is how long a held session is kept with keepalives (default 3s).
	Hold time.Duration
	// Bounds are the growths allowed between the first and the last
	// samples (taken after the load stopped and the daemon settled);
	// zero fields take the defaults.
	Bounds SoakBounds
}

// SoakBounds are the growth limits of a soak.
type SoakBounds struct {
	RSSBytes   int64   // resident memory (default 32 MiB)
	Goroutines float64 // default 20
	FDs        float64 // open descriptors (default 10)
	Sessions   float64 // ipamd_sessions (default 0: all end)
	// DBInUse is the growth of the store's connections in use
	// (ipamd_store_connections{state="in_use"}; default 0: an idle daemon
	// holds none, so one still in use after the load is a leak).
	DBInUse float64
	// DBOpen is the growth of the store's open connections, in use or
	// idle (default 8, store.postgres.max_connections' default: the pool
	// may keep what the load opened, but no more than its cap).
	DBOpen float64
}

// Soak actions, the keys of SoakReport.Actions.
const (
	SoakRefused    = "refused"    // a whole session the server answers with an IpamException
	SoakHeld       = "held"       // initialized, kept with keepalives, then finished
	SoakDisconnect = "disconnect" // initialized, then the connection dropped mid-session
	SoakSlow       = "slow"       // the preamble dribbled a byte at a time, nothing read
	SoakMalformed  = "malformed"  // a preamble followed by garbage
)

var soakActions = []string{SoakRefused, SoakHeld, SoakDisconnect, SoakSlow, SoakMalformed}

// SoakSample is one reading of the daemon's resources.
type SoakSample struct {
	At         time.Duration `json:"at"` // since the soak began
	RSSBytes   float64       `json:"rssBytes"`
	Goroutines float64       `json:"goroutines"`
	FDs        float64       `json:"fds"`
	Sessions   float64       `json:"sessions"`
	DBInUse    float64       `json:"dbInUse"` // the store's connections in use
	DBOpen     float64       `json:"dbOpen"`  // the store's open connections (in use + idle)
	Load       bool          `json:"load"`    // taken while the mix ran
}

// SoakReport is what a soak found.
type SoakReport struct {
	Samples []SoakSample   `json:"samples"`
	Actions map[string]int `json:"actions"`
	// Errors are actions whose outcome was not the expected one, by kind.
	Errors map[string]int `json:"errors"`
	// Growth is the last sample minus the first (both without load).
	Growth SoakSample `json:"growth"`
	// Violations name each bound exceeded; empty when the soak passed.
	Violations []string `json:"violations"`
}

func (c SoakConfig) withDefaults() SoakConfig {
	if c.Duration <= 0 {
		c.Duration = time.Minute
	}
	if c.Clients <= 0 {
		c.Clients = 8
	}
	if c.SampleEvery <= 0 {
		c.SampleEvery = 5 * time.Second
	}
	if c.SessionTimeout <= 0 {
		c.SessionTimeout = 30 * time.Second
	}
	if c.Hold <= 0 {
		c.Hold = 3 * time.Second
	}
	if c.Bounds.RSSBytes <= 0 {
		c.Bounds.RSSBytes = 32 << 20
	}
	if c.Bounds.Goroutines <= 0 {
		c.Bounds.Goroutines = 20
	}
	if c.Bounds.FDs <= 0 {
		c.Bounds.FDs = 10
	}
	if c.Bounds.DBOpen <= 0 {
		c.Bounds.DBOpen = 8
	}
	return c
}

// Validate checks the bounds and that both addresses are loopback.
func (c SoakConfig) Validate() error {
	switch {
	case c.Duration < 0 || c.Duration > MaxDuration:
		return fmt.Errorf("%w: duration %v outside 0..%v", ErrConfig, c.Duration, MaxDuration)
	case c.Clients < 0 || c.Clients > 256:
		return fmt.Errorf("%w: clients %d outside 1..256", ErrConfig, c.Clients)
	case c.SampleEvery < 0 || c.Hold < 0 || c.SessionTimeout < 0:
		return fmt.Errorf("%w: negative period", ErrConfig)
	}
	addr, err := nmf.ViaAddr(c.Target)
	if err != nil {
		return fmt.Errorf("%w: target: %w", ErrConfig, err)
	}
	if err := checkLoopback(addr); err != nil {
		return err
	}
	if c.Admin == "" {
		return fmt.Errorf("%w: the admin listener's address is needed for the samples", ErrConfig)
	}
	return checkLoopback(c.Admin)
}

// Soak runs the mix against cfg.Target for cfg.Duration, sampling the
// daemon every cfg.SampleEvery, then lets it settle and compares the last
// sample with the first. The error is for a soak that could not run;
// exceeded bounds are in SoakReport.Violations.
func Soak(ctx context.Context, cfg SoakConfig) (*SoakReport, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	r := &SoakReport{Actions: map[string]int{}, Errors: map[string]int{}}
	hc := &http.Client{Timeout: 5 * time.Second}
	began := time.Now()
	sample := func(load bool) error {
		s, err := scrapeSoak(ctx, hc, cfg.Admin)
		if err != nil {
			return err
		}
		s.At, s.Load = time.Since(began), load
		r.Samples = append(r.Samples, s)
		return nil
	}
	if err := sample(false); err != nil {
		return nil, err
	}

	var mu sync.Mutex
	tally := func(action string, err error) {
		mu.Lock()
		defer mu.Unlock()
		r.Actions[action]++
		if err != nil {
			r.Errors[action+": "+errorKind(err)]++
		}
	}
	lctx, stop := context.WithTimeout(ctx, cfg.Duration)
	defer stop()
	c := &client.Client{KeepaliveInterval: time.Second, Dialer: nmf.Dialer{ReadTimeout: cfg.SessionTimeout,
		WriteTimeout: cfg.SessionTimeout, HandshakeTimeout: cfg.SessionTimeout}}
	var wg sync.WaitGroup
	for w := range cfg.Clients {
		wg.Go(func() {
			for i := w; lctx.Err() == nil; i++ {
				a := soakActions[i%len(soakActions)]
				tally(a, soakAction(lctx, cfg, c, a))
			}
		})
	}
	t := time.NewTicker(cfg.SampleEvery)
	var serr error
loop:
	for {
		select {
		case <-lctx.Done():
			break loop
		case <-t.C:
			if serr = sample(true); serr != nil {
				stop()
				break loop
			}
		}
	}
	t.Stop()
	wg.Wait()
	if serr != nil {
		return r, serr
	}
	if ctx.Err() != nil {
		return r, ctx.Err()
	}
	// Settle: sessions end, idle connections time out, the Go runtime
	// returns memory; then the last sample.
	settle := time.NewTimer(min(cfg.SampleEvery*2, 10*time.Second))
	select {
	case <-ctx.Done():
		settle.Stop()
		return r, ctx.Err()
	case <-settle.C:
	}
	if err := sample(false); err != nil {
		return r, err
	}
	r.trend(cfg.Bounds)
	return r, nil
}

// trend sets Growth to the last sample minus the first (both taken
// without load) and Violations to each growth beyond its bound.
func (r *SoakReport) trend(b SoakBounds) {
	r.Violations = nil
	if len(r.Samples) == 0 {
		return
	}
	first, last := r.Samples[0], r.Samples[len(r.Samples)-1]
	r.Growth = SoakSample{At: last.At, RSSBytes: last.RSSBytes - first.RSSBytes, Goroutines: last.Goroutines - first.Goroutines,
		FDs: last.FDs - first.FDs, Sessions: last.Sessions - first.Sessions,
		DBInUse: last.DBInUse - first.DBInUse, DBOpen: last.DBOpen - first.DBOpen}
	check := func(name string, grew, bound float64) {
		if grew > bound {
			r.Violations = append(r.Violations, fmt.Sprintf("%s grew by %.0f (bound %.0f)", name, grew, bound))
		}
	}
	check("resident memory (bytes)", r.Growth.RSSBytes, float64(b.RSSBytes))
	check("goroutines", r.Growth.Goroutines, b.Goroutines)
	check("open descriptors", r.Growth.FDs, b.FDs)
	check("sessions", r.Growth.Sessions, b.Sessions)
	check("database connections in use", r.Growth.DBInUse, b.DBInUse)
	check("open database connections", r.Growth.DBOpen, b.DBOpen)
}

// soakAction runs one action; nil when its outcome was the expected one.
func soakAction(ctx context.Context, cfg SoakConfig, c *client.Client, action string) error {
	lc := Config{Target: cfg.Target, SessionTimeout: cfg.SessionTimeout}
	switch action {
	case SoakRefused:
		// The soak's daemon is provisioned: a provisioning asking for a new
		// schema is refused with an IpamException in Notify…Complete.
		sctx, cancel := context.WithTimeout(ctx, cfg.SessionTimeout)
		defer cancel()
		conn, err := c.Dial(sctx, cfg.Target)
		if err != nil {
			return err
		}
		_, err = c.Provision(sctx, conn, &ipam.IpamProvisioningSetting{CreateNewSchema: true}, nil)
		var re *client.RemoteError
		if errors.As(err, &re) {
			return nil
		}
		if err == nil {
			return errors.New("a provisioning was not refused (is the daemon provisioned?)")
		}
		return err
	case SoakHeld:
		s, err := initialize(ctx, lc, c)
		if err != nil {
			return err
		}
		select {
		case <-ctx.Done():
		case <-time.After(cfg.Hold):
		}
		_, err = finish(context.WithoutCancel(ctx), lc, s)
		var re *client.RemoteError
		if errors.As(err, &re) {
			return nil // refused at Start or in Complete: answered
		}
		return err
	case SoakDisconnect:
		s, err := initialize(ctx, lc, c)
		if err != nil {
			return err
		}
		s.Abort()
		return nil
	case SoakSlow, SoakMalformed:
		return rawSession(ctx, cfg, action == SoakSlow)
	}
	return fmt.Errorf("unknown action %q", action)
}

// rawSession opens a TCP connection to the target and either dribbles the
// start of a preamble a byte every 200ms for two seconds without reading
// (slow), or sends a preamble start and garbage, then reads until the
// server closes (malformed): both must end with the server closing the
// connection within the session timeout.
func rawSession(ctx context.Context, cfg SoakConfig, slow bool) error {
	addr, _ := nmf.ViaAddr(cfg.Target)
	d := net.Dialer{Timeout: cfg.SessionTimeout}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("%w: %w", errConnect, err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(cfg.SessionTimeout))
	// Version record (0x00, 1.0), then Mode record (0x01, duplex 0x02).
	start := []byte{0x00, 0x01, 0x00, 0x01, 0x02}
	if slow {
		for _, b := range start {
			if _, err := nc.Write([]byte{b}); err != nil {
				return nil // the server gave up on us: fine
			}
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(200 * time.Millisecond):
			}
		}
		return nil
	}
	if _, err := nc.Write(append(start, 0x7f, 0xff, 0xfe, 0x13, 0x37, 0x00, 0x42)); err != nil {
		return nil
	}
	br := bufio.NewReader(nc)
	for {
		if _, err := br.ReadByte(); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return errors.New("malformed preamble: the server kept the connection open")
			}
			return nil // closed by the server, as it should
		}
	}
}

func errorKind(err error) string {
	var re *client.RemoteError
	switch {
	case errors.As(err, &re):
		return re.ExceptionID()
	case errors.Is(err, errConnect):
		return "connect"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	}
	msg := err.Error()
	if len(msg) > 60 {
		msg = msg[:60]
	}
	return msg
}

// scrapeSoak reads the sampled series from the admin listener's /metrics.
func scrapeSoak(ctx context.Context, hc *http.Client, admin string) (SoakSample, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+admin+"/metrics", nil)
	if err != nil {
		return SoakSample{}, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return SoakSample{}, fmt.Errorf("loadgen: scrape %s: %w", admin, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return SoakSample{}, fmt.Errorf("loadgen: scrape %s: %s", admin, resp.Status)
	}
	var s SoakSample
	seen := map[string]bool{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		name, val, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		base, _, _ := strings.Cut(name, "{")
		v, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil {
			continue
		}
		switch base {
		case "ipamd_process_resident_memory_bytes":
			s.RSSBytes = v
		case "go_goroutines":
			s.Goroutines = v
		case "ipamd_process_open_fds":
			s.FDs = v
		case "ipamd_sessions":
			s.Sessions += v // one series per state
		case "ipamd_store_connections":
			s.DBOpen += v // in_use and idle
			if strings.Contains(name, `state="in_use"`) {
				s.DBInUse = v
			}
		default:
			continue
		}
		seen[base] = true
	}
	if err := sc.Err(); err != nil {
		return s, fmt.Errorf("loadgen: scrape %s: %w", admin, err)
	}
	for _, n := range []string{"ipamd_process_resident_memory_bytes", "go_goroutines", "ipamd_process_open_fds", "ipamd_store_connections"} {
		if !seen[n] {
			return s, fmt.Errorf("loadgen: scrape %s: no %s series", admin, n)
		}
	}
	return s, nil
}
