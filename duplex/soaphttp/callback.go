package soaphttp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/ipamd/ipamd/soap"
)

// CallbackOptions configures callback delivery. Zero values select the
// defaults.
type CallbackOptions struct {
	// AllowedNetworks are the networks a callback URL's host may resolve
	// to. Default: loopback only (127.0.0.0/8, ::1/128).
	AllowedNetworks []netip.Prefix
	// AttemptTimeout bounds one POST. Default 10s.
	AttemptTimeout time.Duration
	// MaxAttempts is how many POSTs one callback gets. Default 5.
	MaxAttempts int
	// InitialBackoff is the wait after the first failure, doubled after each
	// further one up to MaxBackoff (with ±20 % jitter). Defaults 200ms, 5s.
	InitialBackoff, MaxBackoff time.Duration
}

func (o CallbackOptions) withDefaults() CallbackOptions {
	if len(o.AllowedNetworks) == 0 {
		o.AllowedNetworks = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	}
	if o.AttemptTimeout <= 0 {
		o.AttemptTimeout = 10 * time.Second
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	if o.InitialBackoff <= 0 {
		o.InitialBackoff = 200 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 5 * time.Second
	}
	if o.MaxBackoff < o.InitialBackoff {
		o.MaxBackoff = o.InitialBackoff
	}
	return o
}

// ErrTargetRefused is wrapped by errors for callback URLs outside the
// allowed networks (or not http/https).
var ErrTargetRefused = errors.New("callback target not allowed")

// DeliveryError is a callback that could not be delivered.
type DeliveryError struct {
	URL      string
	Attempts int
	// Status is the last HTTP status received (0: none).
	Status int
	Err    error
}

func (e *DeliveryError) Error() string {
	return fmt.Sprintf("callback to %s failed after %d attempt(s): %v", e.URL, e.Attempts, e.Err)
}

func (e *DeliveryError) Unwrap() error { return e.Err }

type callbackClient struct {
	opts   CallbackOptions
	client *http.Client
}

func newCallbackClient(opts CallbackOptions) *callbackClient {
	c := &callbackClient{opts: opts}
	dialer := &net.Dialer{Timeout: opts.AttemptTimeout, Control: c.controlDial}
	c.client = &http.Client{
		Transport: &http.Transport{
			Proxy:                 nil, // a proxy would hide where the POST goes
			DialContext:           dialer.DialContext,
			MaxIdleConnsPerHost:   4,
			IdleConnTimeout:       30 * time.Second,
			TLSHandshakeTimeout:   opts.AttemptTimeout,
			ResponseHeaderTimeout: opts.AttemptTimeout,
		},
		// A redirect could lead anywhere; the callback URL is what the
		// client gave.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return c
}

// controlDial refuses connections to addresses outside the allowed
// networks, whatever name resolved to them.
func (c *callbackClient) controlDial(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrTargetRefused, address)
	}
	if !c.allowed(ap.Addr()) {
		return fmt.Errorf("%w: %s is outside the allowed networks", ErrTargetRefused, ap.Addr())
	}
	return nil
}

func (c *callbackClient) allowed(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range c.opts.AllowedNetworks {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// checkTarget validates a callback URL when a session starts: http(s), a
// host, and at least one resolved address in the allowed networks.
func (c *callbackClient) checkTarget(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return fmt.Errorf("%w: %q is not an http or https URL", ErrTargetRefused, raw)
	}
	host := u.Hostname()
	if a, err := netip.ParseAddr(host); err == nil {
		if !c.allowed(a) {
			return fmt.Errorf("%w: %s is outside the allowed networks", ErrTargetRefused, a)
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return fmt.Errorf("%w: host %q does not resolve", ErrTargetRefused, host)
	}
	for _, a := range addrs {
		if c.allowed(a) {
			return nil
		}
	}
	return fmt.Errorf("%w: host %q resolves outside the allowed networks", ErrTargetRefused, host)
}

// deliver POSTs payload to target until a 2xx, a permanent failure, the
// attempt budget or ctx ends it.
func (c *callbackClient) deliver(ctx context.Context, target string, enc soap.Encoding, action string, payload []byte) error {
	backoff := c.opts.InitialBackoff
	var lastStatus int
	for attempt := 1; ; attempt++ {
		status, err := c.post(ctx, target, enc, action, payload)
		if err == nil {
			return nil
		}
		if status != 0 {
			lastStatus = status
		}
		permanent := errors.Is(err, ErrTargetRefused) || status != 0 && !retryable(status)
		if permanent || attempt >= c.opts.MaxAttempts || ctx.Err() != nil {
			return &DeliveryError{URL: target, Attempts: attempt, Status: lastStatus, Err: err}
		}
		wait := time.Duration(float64(backoff) * (0.8 + 0.4*rand.Float64()))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return &DeliveryError{URL: target, Attempts: attempt, Status: lastStatus, Err: ctx.Err()}
		case <-t.C:
		}
		backoff = min(2*backoff, c.opts.MaxBackoff)
	}
}

// post makes one attempt; status is the HTTP status when one was received.
func (c *callbackClient) post(ctx context.Context, target string, enc soap.Encoding, action string, payload []byte) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.AttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(payload))
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrTargetRefused, err)
	}
	if enc == soap.EncodingText11 {
		req.Header.Set("Content-Type", enc.ContentType())
		req.Header.Set("SOAPAction", strconv.Quote(action))
	} else {
		req.Header.Set("Content-Type", enc.ContentType()+"; action="+strconv.Quote(action))
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, err
	}
	// Drain a little so the connection can be reused; the answer's content
	// does not matter (callbacks are one-way).
	_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
	resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		return resp.StatusCode, nil
	}
	return resp.StatusCode, fmt.Errorf("callback listener answered %s", resp.Status)
}

// retryable reports whether a failed status may succeed later.
func retryable(status int) bool {
	return status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500
}

func logFields(s *Session, action string, err error) []zap.Field {
	f := []zap.Field{
		zap.String("session_id", s.logID), zap.String("reply_to", s.replyTo),
		zap.String("action", action), zap.Error(err),
	}
	var de *DeliveryError
	if errors.As(err, &de) {
		f = append(f, zap.Int("attempts", de.Attempts), zap.Int("last_status", de.Status))
	}
	return f
}
