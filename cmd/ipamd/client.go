package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/ipamd/ipamd/client"
	"github.com/ipamd/ipamd/config"
	"github.com/ipamd/ipamd/duplex/nmf"
	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// exitRemote is the exit code of provision and convert when the server
// answered with an IpamException (the operation was refused or failed).
const exitRemote = 3

// clientExitCodes is the exit code table the client commands' help shows.
const clientExitCodes = `Exit codes:
  0  success
  1  no outcome: cannot connect, framing fault (e.g. wrong endpoint path), protocol
     error, --timeout reached, interrupted
  2  usage error (flags, arguments)
  3  the server answered with an IpamException: the operation was refused or failed`

// clientCommands are the commands that talk to a server as a management
// client: provision, convert, status, enumerate.
func clientCommands(stdout, stderr io.Writer) []*cobra.Command {
	return []*cobra.Command{newProvisionCmd(stdout, stderr), newConvertCmd(stdout, stderr), newStatusCmd(stdout, stderr), newEnumerateCmd(stdout, stderr)}
}

// clientFlags are the connection and output flags the client commands share.
type clientFlags struct {
	server         string
	encoding       string
	output         string
	progress       string
	timeout        time.Duration
	connectTimeout time.Duration
	keepalive      time.Duration
	admin          string // provision/convert: the server's admin listener
	security       clientSecurity
	upgrade        nmf.ClientUpgrade // from security, set by check
}

const (
	outputText = "text"
	outputJSON = "json"

	progressAuto   = "auto"
	progressAlways = "always"
	progressNever  = "never"
)

func (f *clientFlags) bind(cmd *cobra.Command, serverHelp string, progress bool) {
	fs := cmd.Flags()
	fs.StringVar(&f.server, "server", "", serverHelp)
	fs.StringVar(&f.encoding, "encoding", "binary", "message `ENCODING`: binary (application/soap+msbinsession1, what WCF clients use) or text (SOAP 1.2 XML)")
	fs.StringVar(&f.output, "output", outputText, "result `FORMAT`: text (one final line) or json (one object on stdout, for scripts)")
	fs.DurationVar(&f.timeout, "timeout", 30*time.Minute, "give up after `DURATION` (0 = no limit); the session is still ended properly")
	fs.DurationVar(&f.connectTimeout, "connect-timeout", 10*time.Second, "limit for connecting and the net.tcp preamble")
	fs.DurationVar(&f.keepalive, "keepalive-interval", client.DefaultKeepaliveInterval,
		"send an MS-IPAMM2 Keepalive after `DURATION` without a message to the server; must be shorter than the server's session.inactivity_interval (15s by default)")
	f.security.bind(fs)
	if progress {
		fs.StringVar(&f.progress, "progress", progressAuto, "progress bar on stderr: auto (only when stderr is a terminal), always, never")
		fs.StringVar(&f.admin, "admin", "", "`ADDRESS` (host:port or http://host:port) of the server's admin listener (admin.listen), for a server you can reach there: "+
			"the progress bar and the result then show the step and the rows the server reports on /metrics; without it, only the checkpoint count")
	}
	_ = cmd.MarkFlagRequired("server")
}

// check validates the enumerated flags (usage errors, exit 2).
func (f *clientFlags) check() error {
	if _, err := f.soapEncoding(); err != nil {
		return err
	}
	switch f.output {
	case outputText, outputJSON:
	default:
		return fmt.Errorf("--output %q: must be text or json", f.output)
	}
	switch f.progress {
	case "", progressAuto, progressAlways, progressNever:
	default:
		return fmt.Errorf("--progress %q: must be auto, always or never", f.progress)
	}
	if f.keepalive <= 0 {
		return fmt.Errorf("--keepalive-interval %v: must be positive", f.keepalive)
	}
	if f.timeout < 0 || f.connectTimeout <= 0 {
		return errors.New("--timeout must be >= 0 and --connect-timeout > 0")
	}
	if f.admin != "" {
		if _, err := adminMetricsURL(f.admin); err != nil {
			return err
		}
	}
	up, err := f.security.upgrade(f.server)
	if err != nil {
		return err
	}
	f.upgrade = up
	return nil
}

func (f *clientFlags) soapEncoding() (soap.Encoding, error) { return encodingFlag(f.encoding) }

func (f *clientFlags) client() *client.Client {
	enc, _ := f.soapEncoding()
	return &client.Client{
		Encoding:          enc,
		KeepaliveInterval: f.keepalive,
		Dialer:            nmf.Dialer{HandshakeTimeout: f.connectTimeout, Upgrade: f.upgrade},
	}
}

// context is the command's context: cancelled by --timeout, SIGINT or
// SIGTERM (the session is then ended with End records, not dropped).
func (f *clientFlags) context(parent context.Context) (context.Context, context.CancelFunc) {
	if parent == nil {
		parent = context.Background()
	}
	ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	if f.timeout <= 0 {
		return ctx, stop
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	return ctx, func() { cancel(); stop() }
}

// endpointURI checks a --server value for provision/convert and, when it
// has no path, joins the port type's default endpoint path.
func endpointURI(server, defaultPath string) (string, error) {
	u, err := url.Parse(server)
	if err != nil || u.Scheme != "net.tcp" || u.Host == "" {
		return "", fmt.Errorf("--server %q: must be a net.tcp://host:port/path URI", server)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = defaultPath
	}
	if _, err := nmf.ViaAddr(u.String()); err != nil {
		return "", fmt.Errorf("--server %q: %w", server, err)
	}
	return u.String(), nil
}

// progressObserver draws the live progress of a session on stderr. The
// protocol's checkpoints carry no percentage (MS-IPAMM2 leaves their data
// open), so the bar is a spinner with the checkpoint count and the elapsed
// time.
type progressObserver struct {
	bar  *progressbar.ProgressBar
	verb string

	mu          sync.Mutex
	checkpoints int
	server      string // what the admin metrics say, "" without --admin
}

// newProgress returns nil when no bar should be drawn.
func newProgress(mode string, stderr io.Writer, verb string) *progressObserver {
	switch mode {
	case progressNever:
		return nil
	case progressAlways:
	default:
		f, ok := stderr.(*os.File)
		if !ok || !term.IsTerminal(int(f.Fd())) {
			return nil
		}
	}
	bar := progressbar.NewOptions(-1,
		progressbar.OptionSetWriter(stderr),
		progressbar.OptionSetDescription(verb+": connected"),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSetPredictTime(false),
		progressbar.OptionClearOnFinish(),
	)
	_ = bar.RenderBlank()
	return &progressObserver{bar: bar, verb: verb}
}

// Observe implements client.Observer.
func (p *progressObserver) Observe(e client.Event) {
	switch e.Kind {
	case client.EventInitialized:
		p.bar.Describe(p.verb + ": initialized, starting")
	case client.EventStarted:
		p.bar.Describe(p.verb + ": running")
	case client.EventCheckpoint:
		p.mu.Lock()
		p.checkpoints = e.Checkpoints
		p.mu.Unlock()
		p.describeRunning()
	case client.EventCompleted:
		p.bar.Describe(p.verb + ": completed")
	}
}

// serverUpdate is serverProgress's onUpdate: the step, rows and rate the
// server reports join the checkpoint count.
func (p *progressObserver) serverUpdate(step string, rows int64, rate float64) {
	p.mu.Lock()
	p.server = serverFigures(step, rows, rate)
	p.mu.Unlock()
	p.describeRunning()
}

func (p *progressObserver) describeRunning() {
	p.mu.Lock()
	d := fmt.Sprintf("%s: running, %d checkpoint%s", p.verb, p.checkpoints, plural(p.checkpoints))
	if p.server != "" {
		d += ", " + p.server
	}
	p.mu.Unlock()
	p.bar.Describe(d)
}

// serverFigures formats what the admin metrics report.
func serverFigures(step string, rows int64, rate float64) string {
	s := fmt.Sprintf("%d row%s", rows, plural(int(min(rows, 2))))
	if rate > 0 {
		s += fmt.Sprintf(" (%.0f rows/s)", rate)
	}
	if step != "" {
		s += ", step " + step
	}
	return s
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// close stops the bar (and its render goroutine) and clears its line.
func (p *progressObserver) close() {
	if p != nil {
		_ = p.bar.Finish()
		_ = p.bar.Exit()
	}
}

// sessionReport is the --output json object of provision and convert.
type sessionReport struct {
	Operation string `json:"operation"` // provision | convert
	Server    string `json:"server"`
	Encoding  string `json:"encoding"`
	// Outcome is success, exception (the server reported an IpamException)
	// or error (no outcome from the server).
	Outcome string `json:"outcome"`
	// Stage says where a session that did not succeed ended: connect,
	// initialize (the Initialize… fault), complete (Notify…Complete's
	// exception), or session (a failure in between).
	Stage     string         `json:"stage,omitempty"`
	Exception *exceptionJSON `json:"exception,omitempty"`
	// FramingFault is the MC-NMF fault URI the server answered with.
	FramingFault string `json:"framing_fault,omitempty"`
	Error        string `json:"error,omitempty"`
	Checkpoints  int    `json:"checkpoints"`
	Keepalives   int    `json:"keepalives"`
	// Rows, LastStep and RowsPerSecond are what the server's admin metrics
	// report (--admin): rows written by the work, the last step seen, and
	// rows over the work's duration.
	Rows          *int64     `json:"rows,omitempty"`
	LastStep      string     `json:"last_step,omitempty"`
	RowsPerSecond float64    `json:"rows_per_second,omitempty"`
	DurationsMS   durationMS `json:"durations_ms"`
}

type exceptionJSON struct {
	ID      string         `json:"id"`
	Message string         `json:"message"`
	Inner   *exceptionJSON `json:"inner,omitempty"`
}

func exceptionReport(e *ipam.IpamException) *exceptionJSON {
	if e == nil {
		return nil
	}
	return &exceptionJSON{ID: e.ExceptionID, Message: e.Message, Inner: exceptionReport(e.Inner)}
}

// durationMS are the phases of a session in milliseconds.
type durationMS struct {
	Connect    float64 `json:"connect"`    // TCP connect + preamble
	Initialize float64 `json:"initialize"` // Initialize… request → reply
	Work       float64 `json:"work"`       // Start… → Notify…Complete
	Close      float64 `json:"close"`      // End exchange
	Total      float64 `json:"total"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// sessionRun is one provision or convert invocation.
type sessionRun struct {
	flags  *clientFlags
	op     string // provision | convert
	verb   string // provisioning | schema conversion
	kind   string // the work's kind label on the admin metrics
	uri    string
	stdout io.Writer
	stderr io.Writer
}

// run dials, runs the session with do, and reports. It returns the error
// for run() (exit code and whether it was already printed).
func (r *sessionRun) run(cmd *cobra.Command, do func(context.Context, *client.Client, *nmf.ClientSession, client.Observer) (client.Result, error)) error {
	ctx, cancel := r.flags.context(cmd.Context())
	defer cancel()
	c := r.flags.client()
	rep := sessionReport{Operation: r.op, Server: r.uri, Encoding: strings.ToLower(r.flags.encoding)}
	start := time.Now()
	conn, err := c.Dial(ctx, r.uri)
	rep.DurationsMS.Connect = ms(time.Since(start))
	var res client.Result
	var sp *serverProgress
	if err == nil {
		bar := newProgress(r.flags.progress, r.stderr, r.verb)
		var obs client.Observer
		if bar != nil {
			obs = bar
		}
		if r.flags.admin != "" {
			u, _ := adminMetricsURL(r.flags.admin) // checked by check
			sp = newServerProgress(u, r.kind)
			if bar != nil {
				sp.onUpdate = bar.serverUpdate
			}
			sp.begin(ctx)
		}
		res, err = do(ctx, c, conn, obs)
		if sp != nil {
			sp.end(ctx)
		}
		bar.close()
	} else {
		rep.Stage = "connect"
	}
	rep.DurationsMS.Total = ms(time.Since(start))
	rep.DurationsMS.Initialize, rep.DurationsMS.Work, rep.DurationsMS.Close = ms(res.Initialize), ms(res.Work), ms(res.Close)
	rep.Checkpoints, rep.Keepalives = res.Checkpoints, res.Keepalives
	if sp != nil {
		rows, step, serr := sp.result()
		if serr != nil {
			fmt.Fprintf(r.stderr, "ipamd: %s: warning: no progress from the admin listener: %v\n", r.op, serr)
		} else {
			rep.Rows, rep.LastStep = &rows, step
			if res.Work > 0 {
				rep.RowsPerSecond = float64(rows) / res.Work.Seconds()
			}
		}
	}
	if err != nil && ctx.Err() != nil {
		err = interrupted(ctx, r.flags.timeout, err)
	}
	return r.report(&rep, res, err)
}

// interrupted says why ctx ended.
func interrupted(ctx context.Context, timeout time.Duration, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("timed out after %v (--timeout): %w", timeout, err)
	}
	return fmt.Errorf("interrupted: %w", err)
}

// report prints the outcome and maps it to the exit code.
func (r *sessionRun) report(rep *sessionReport, res client.Result, err error) error {
	var (
		remote *client.RemoteError
		line   string
		code   = exitOK
	)
	switch {
	case err == nil || res.Completed && !errors.As(err, &remote):
		// Success; a failed End exchange afterwards does not undo it.
		rep.Outcome = "success"
		rows := ""
		if rep.Rows != nil {
			rows = ", " + serverFigures("", *rep.Rows, rep.RowsPerSecond)
		}
		line = fmt.Sprintf("%s succeeded (%d checkpoint%s%s, %s)", r.verb, res.Checkpoints, plural(res.Checkpoints), rows,
			roundDuration(time.Duration(rep.DurationsMS.Total*1e6)))
		if err != nil {
			fmt.Fprintf(r.stderr, "ipamd: %s: warning: %v\n", r.op, err)
		}
	case errors.As(err, &remote):
		rep.Outcome, code = "exception", exitRemote
		rep.Stage, line = "complete", r.verb+" failed: "
		if remote.Fault != nil {
			rep.Stage, line = "initialize", r.verb+" refused: "
		}
		rep.Exception = exceptionReport(remote.Exception)
		if remote.Exception != nil {
			line += remote.Exception.ExceptionID + ": " + remote.Exception.Message
		} else {
			line += remote.Fault.Error()
		}
	default:
		rep.Outcome, code = "error", exitRuntime
		if rep.Stage == "" {
			rep.Stage = "session"
		}
		var fe *nmf.FaultError
		if errors.As(err, &fe) {
			rep.FramingFault = fe.URI
			if hint := faultHint(fe.URI, r.flags.encoding); hint != "" {
				err = fmt.Errorf("%w (%s)", err, hint)
			}
		} else if hint := dialHint(err); hint != "" {
			err = fmt.Errorf("%w (%s)", err, hint)
		}
		rep.Error = err.Error()
	}
	if r.flags.output == outputJSON {
		enc := json.NewEncoder(r.stdout)
		if err := enc.Encode(rep); err != nil {
			return runtimeError(err)
		}
	} else if line != "" {
		fmt.Fprintln(r.stdout, line)
	}
	switch {
	case code == exitOK:
		return nil
	case code == exitRuntime:
		return runtimeError(fmt.Errorf("%s: %w", r.op, err)) // run() prints it on stderr
	}
	return &exitError{code: code, err: err, logged: true}
}

// dialHint explains the connection failure a newcomer meets first.
func dialHint(err error) string {
	if errors.Is(err, syscall.ECONNREFUSED) {
		return "nothing listens at that address: is ipamd running, and is --server one of its listen URIs?"
	}
	return ""
}

// faultHint explains the framing faults a client most often gets.
func faultHint(uri, encoding string) string {
	switch uri {
	case nmf.FaultEndpointNotFound:
		return "the server has no endpoint at this path; check --server"
	case nmf.FaultContentTypeInvalid:
		return "the server does not take --encoding " + encoding
	case nmf.FaultServerTooBusy:
		return "the server is at its connection limit; try again later"
	case nmf.FaultUpgradeInvalid:
		return "the server wants a transport security upgrade, which this client does not do"
	}
	return ""
}

// roundDuration keeps durations readable in the final line.
func roundDuration(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(100 * time.Microsecond)
	}
	return d
}

// defaultPaths are the endpoint paths ipamd serves by default.
func defaultPaths() (provision, conversion string) {
	d := config.Default().Endpoints
	return d.ProvisionPath, d.SchemaConversionPath
}
