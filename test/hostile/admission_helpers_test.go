package hostile

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ipamd/ipamd/client"
	"github.com/ipamd/ipamd/duplex/nmf"
	"github.com/ipamd/ipamd/duplex/soaphttp"
	daemon "github.com/ipamd/ipamd/internal/daemontest"
	"github.com/ipamd/ipamd/internal/server/metrics"
	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/soap/xmlstream"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// The addresses of the admission tests. Linux routes all of 127/8 to the
// loopback interface, so a client socket bound to 127.0.0.2 is a second
// client address on one host.
const (
	attackerAddr = "127.0.0.2"
	victimAddr   = "127.0.0.1"
)

// admDaemon is a running ipamd with a net.tcp, an HTTP and an admin
// listener, all on OS-chosen loopback ports.
type admDaemon struct {
	*daemon.Server
	netTCP     string // host:port of the net.tcp listener
	conversion string // net.tcp URI of IIpamAsyncSchemaConversion
	admin      string // host:port of the admin listener
}

// startAdmDaemon starts `ipamd serve` on the in-memory stand-in store with
// schema conversion required and no padding of the work, so one whole
// session (Initialize, Start, Notify…Start, Notify…Complete, End) takes
// milliseconds; flags come last and win.
func startAdmDaemon(t *testing.T, flags ...string) *admDaemon {
	t.Helper()
	args := append([]string{
		"--listen", "net.tcp://127.0.0.1:0",
		"--admin-listen", "127.0.0.1:0",
		"--dev-require-conversion",
		"--dev-work-duration", "0s",
		"--log-level", "info",
	}, flags...)
	s := daemon.Start(t, args...)
	d := &admDaemon{Server: s}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e, err := s.Log.WaitFor(ctx, func(e daemon.Entry) bool {
		return e.Msg() == "listening" && e.String("transport") == "net.tcp" &&
			e.String("port_type") == ipam.PortIIpamAsyncSchemaConversion
	})
	if err != nil {
		t.Fatalf("net.tcp listener: %v", err)
	}
	d.netTCP, d.conversion = e.String("addr"), e.String("endpoint")
	e, err = s.Log.WaitFor(ctx, func(e daemon.Entry) bool { return e.Msg() == "admin listening" })
	if err != nil {
		t.Fatalf("admin listener: %v", err)
	}
	d.admin = e.String("addr")
	return d
}

// canBind skips the test where 127.0.0.2 is not a local address (not Linux).
func admCanBind(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", attackerAddr+":0")
	if err != nil {
		t.Skipf("%s is not a local address here: %v", attackerAddr, err)
	}
	ln.Close()
}

// dialFrom opens a TCP connection to addr from the local address from.
func admDialFrom(ctx context.Context, from, addr string) (net.Conn, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	return d.DialContext(ctx, "tcp", addr)
}

// client is an IPAM client whose connections come from the address from.
func admClient(from string) *client.Client {
	return &client.Client{Dialer: nmf.Dialer{
		HandshakeTimeout: 5 * time.Second, ReadTimeout: 5 * time.Second, CloseTimeout: 5 * time.Second,
		NetDialer: &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}},
	}}
}

// convert runs one whole schema conversion session from the address from.
func admConvert(ctx context.Context, from, uri string) (client.Result, error) {
	c := admClient(from)
	conn, err := c.Dial(ctx, uri)
	if err != nil {
		return client.Result{}, fmt.Errorf("dial: %w", err)
	}
	return c.ConvertSchema(ctx, conn, nil)
}

// keepalive is an encoded Keepalive for the endpoint via, in SOAP 1.2 text.
func admKeepalive(t *testing.T, via string) []byte {
	t.Helper()
	out, err := soap.NewCodec(soap.EncodingText, soap.Limits{}).Encode(nil,
		&soap.Header{Action: ipam.ActionKeepalive, To: via}, soap.BodyWriterFunc(func(xmlstream.Writer) error { return nil }))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// httpFrom is an HTTP client whose connections come from the address from.
func admHTTPFrom(from string) *http.Client {
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DialContext:       (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}).DialContext,
		DisableKeepAlives: true,
	}}
}

// readHTTPStatus reads one HTTP response from c (sent without a request:
// a refusal at accept) and returns its status and body.
func admReadHTTP(c net.Conn) (int, string, error) {
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, string(b), nil
}

// metric scrapes the admin listener and returns the value of the series
// whose name and labels ("" for none) match, from victimAddr.
func admMetric(t *testing.T, admin, series string) float64 {
	t.Helper()
	// The admin listener may still count connections a test has just
	// closed (its cap answers 503 until it sees them go), and a refusal is
	// counted after its answer is written: ask again for a short while.
	deadline := time.Now().Add(5 * time.Second)
	for {
		v, found, why := admScrape(admin, series)
		if found {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("metric %s not exposed: %s", series, why)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// admScrape reads one series from the admin listener's /metrics.
func admScrape(admin, series string) (v float64, found bool, why string) {
	resp, err := admHTTPFrom(victimAddr).Get("http://" + admin + "/metrics")
	if err != nil {
		return 0, false, err.Error()
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, false, resp.Status
	}
	e, err := metrics.ParseText(resp.Body)
	if err != nil {
		return 0, false, err.Error()
	}
	if v, found = e.Series(series); !found {
		return 0, false, "no such series"
	}
	return v, true, ""
}

// admPreamble is an MC-NMF duplex preamble for via with the binary session
// encoding, for tests that then misbehave.
func admPreamble(via string) []byte {
	return nmf.AppendPreamble(nil, via, nmf.EncodingBinarySession)
}

// admHTTPConversion runs one whole schema conversion session over HTTP
// from victimAddr: InitializeAsyncSchemaConversion (answered in the
// response), StartAsyncSchemaConversion (202), then Notify…Start and
// Notify…Complete POSTed to a callback listener on victimAddr (the
// session's a:ReplyTo). It returns the Complete's body.
func admHTTPConversion(ctx context.Context, t *testing.T, endpoint string) (string, error) {
	t.Helper()
	ln, err := net.Listen("tcp", victimAddr+":0")
	if err != nil {
		return "", err
	}
	complete := make(chan string, 1)
	cb := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		w.WriteHeader(http.StatusAccepted)
		if strings.Contains(string(b), "NotifyAsyncSchemaConversionComplete") {
			select {
			case complete <- string(b):
			default:
			}
		}
	})}
	go func() { _ = cb.Serve(ln) }()
	defer cb.Close()
	replyTo := "http://" + ln.Addr().String() + "/callback"
	codec := soap.NewCodec(soap.EncodingText, soap.Limits{})
	hc := admHTTPFrom(victimAddr)
	var session string // the ss:SessionId of the Initialize reply; Start carries it back
	for i, m := range []struct {
		action string
		body   soap.BodyWriter
		want   int
	}{
		{ipam.ActionInitializeAsyncSchemaConversion, &ipam.InitializeAsyncSchemaConversion{Parameters: client.ConversionParameters()}, http.StatusOK},
		{ipam.ActionStartAsyncSchemaConversion, &ipam.StartAsyncSchemaConversion{}, http.StatusAccepted},
	} {
		h := soap.Header{Action: m.action, MessageID: fmt.Sprintf("urn:uuid:00000000-0000-4000-8000-%012d", i),
			To: endpoint, ReplyTo: replyTo}
		if session != "" {
			h.Extra = append(h.Extra, soap.BodyWriterFunc(func(w xmlstream.Writer) error {
				w.StartElement("ss", "SessionId", soaphttp.NSSession)
				w.Text(session)
				return w.EndElement()
			}))
		}
		msg, err := codec.Encode(nil, &h, m.body)
		if err != nil {
			return "", err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(string(msg)))
		if err != nil {
			return "", err
		}
		req.Header.Set("Content-Type", soap.EncodingText.ContentType())
		resp, err := hc.Do(req)
		if err != nil {
			return "", err
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if resp.StatusCode != m.want {
			return "", fmt.Errorf("%s: status %d, want %d", m.action, resp.StatusCode, m.want)
		}
		if env, err := soap.NewCodec(soap.EncodingText, soap.Limits{}).Keep(soaphttp.SessionIDHeader).Decode(body); err == nil && len(env.Header.Kept) == 1 {
			session = env.Header.Kept[0].Text
		}
	}
	select {
	case b := <-complete:
		return b, nil
	case <-ctx.Done():
		return "", fmt.Errorf("no Notify…Complete: %w", ctx.Err())
	}
}
